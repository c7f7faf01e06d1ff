import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import { CHARTS } from "../catalog";
import { platformNamespace, platformRelease, type PodSecurityLevel } from "../helm";

/*
 * The meshes' CNI plugins. Without them every injected pod carries an init container
 * (istio-init, linkerd-init) that needs NET_ADMIN and NET_RAW, which Pod Security
 * `baseline` rejects. With them a node agent writes the redirection rules while the pod's
 * network is set up, and the injected init container only validates them (istio-validation,
 * linkerd-network-validator: no added capabilities, non-root). The agents chain into the
 * node's CNI configuration (Cilium's conflist), so Cilium runs with `cni.exclusive: false`.
 */

/**
 * The Pod Security level a meshed namespace needs: the sidecars and the validating init
 * containers run without added capabilities, so `baseline` admits them (`restricted` too,
 * when the workload sets a RuntimeDefault seccomp profile).
 */
export const MESHED_POD_SECURITY: PodSecurityLevel = "baseline";

/**
 * Where linkerd2-cni runs. The chart creates its namespace only under the linkerd CLI, with
 * these labels: the installer mounts the node's CNI directories (hostPath), which only
 * `privileged` admits, and the proxy injector must leave it alone.
 */
export const LINKERD_CNI = {
  namespace: CHARTS.linkerdCni.namespace,
  labels: { "linkerd.io/cni-resource": "true", "config.linkerd.io/admission-webhooks": "disabled" },
} as const;

/**
 * linkerd2-cni values (edge 2026.8.x) the platform always applies. The chart sets no
 * requests (every `resources` field is ""), which makes the installer BestEffort: first to
 * be evicted under node pressure, and its shutdown removes linkerd-cni from the node's CNI
 * configuration. The repair controller deletes injected pods whose network validator failed
 * (a pod created while Cilium was rewriting its conflist), so they restart with redirection.
 */
const LINKERD_CNI_DEFAULTS = {
  resources: { cpu: { request: "10m" }, memory: { request: "32Mi" } },
  repairController: { enabled: true, resources: { cpu: { request: "5m" }, memory: { request: "16Mi" } } },
} as const;

/** The linkerd2-cni chart's values. Pure. */
export function renderLinkerdCniValues(): Values {
  return structuredClone(LINKERD_CNI_DEFAULTS) as unknown as Values;
}

/**
 * Istio's CNI node agent (`cni` chart) in kube-system. The chart's README (1.30) recommends
 * kube-system so the agent may use the `system-node-critical` priority class (GKE admits it
 * nowhere else without a ResourceQuota), and kube-system is already privileged and, by the
 * chart's `excludeNamespaces` default, left alone by the plugin. So istio-system stays
 * `baseline`. The chart's defaults fit Cilium and kind (`chained: true`, `/opt/cni/bin`,
 * `/etc/cni/net.d`, repair mode on); k3s and others set their paths in `cniValues`.
 */
export function installIstioCni(name: string, overrides: Values, network: pulumi.Resource[], parent: pulumi.Resource): k8s.helm.v3.Release {
  return platformRelease(
    `${name}-istio-cni`,
    { pin: CHARTS.istioCni, releaseName: "istio-cni", namespace: CHARTS.istioCni.namespace, values: {}, overrides, dependsOn: network },
    { parent },
  );
}

/** linkerd2-cni in its own privileged namespace, after the cluster's CNI. */
export function installLinkerdCni(name: string, overrides: Values, network: pulumi.Resource[], parent: pulumi.Resource): k8s.helm.v3.Release {
  // The plugin's DaemonSet runs on the host network, outside NetworkPolicy; nothing else runs here.
  const ns = platformNamespace(`${name}-linkerd-cni-ns`, { name: LINKERD_CNI.namespace, podSecurity: "privileged", labels: { ...LINKERD_CNI.labels }, ingress: {} }, parent);
  return platformRelease(
    `${name}-linkerd-cni`,
    { pin: CHARTS.linkerdCni, releaseName: "linkerd-cni", namespace: ns, values: renderLinkerdCniValues(), overrides, dependsOn: network },
    { parent },
  );
}
