import type { PlatformConfig } from "../../config/schema";
import type { Values } from "../../lib/merge";

/** Cilium settings, as validated config gives them (`platform:networking.cilium`). */
export type CiliumSettings = PlatformConfig["networking"]["cilium"];

/** The mesh that will run on top of Cilium, and whether it chains its own CNI plugin. */
export interface MeshOnTop {
  /** Which mesh the stack enables. */
  kind: "istio" | "linkerd" | "none";
  /**
   * Whether the mesh's CNI plugin (Istio CNI, linkerd-cni) chains onto Cilium. The mesh layer
   * always installs it, so meshed pods need no NET_ADMIN init container; false only for a
   * mesh that redirects with init containers. Ignored without a mesh. Defaults to true.
   */
  cniChaining?: boolean;
}

/** Everything {@link renderCiliumValues} decides on. */
export interface CiliumValuesInput {
  settings: CiliumSettings;
  clusterMode: "kind" | "existing";
  /** API server address as seen from the nodes (`auto`: from the cluster-info ConfigMap). */
  apiServer: { host: string; port: number };
  mesh: MeshOnTop;
}

/** Settings the platform always applies, whatever the stack says. */
const CILIUM_DEFAULTS = {
  // Pod CIDRs come from the node objects (kind's controller-manager and every managed
  // Kubernetes allocate them), so Cilium must not run its own cluster-pool IPAM.
  ipam: { mode: "kubernetes" },
  // "true"/"false" are the documented values since 1.14; the old "strict" is not one of them.
  kubeProxyReplacement: "true",
  loadBalancer: { algorithm: "maglev", mode: "snat" },
  bandwidthManager: { enabled: true },
} as const;

/**
 * The Cilium chart's values for one stack. Pure and deterministic.
 *
 * - `k8sServiceHost`/`k8sServicePort`: with kube-proxy replaced, the agent cannot reach the
 *   API server through the `kubernetes` Service it is about to implement. kind: the
 *   control-plane container; existing clusters: `auto`, which the chart (since 1.16) resolves
 *   with a Helm `lookup` of `kube-public/cluster-info`. Clusters without that ConfigMap
 *   (most managed offerings that are not kubeadm-based) must set both keys in
 *   `platform:networking.cilium.values`; the chart fails with a message naming the ConfigMap.
 * - `hubble.tls.auto.method: cronJob`: the chart's default `helm` method mints the Hubble
 *   CA and certificates inside the template render, so the key material lands in the Helm
 *   release record and every render without cluster access (previews, dry runs) produces new
 *   certificates. The cronJob method renders the same manifest every time and lets an
 *   in-cluster Job create (and rotate) the certificates.
 * - With a mesh on top, socket-level load balancing is limited to the host namespace so the
 *   mesh's sidecars see the Service IPs they route on; `cni.exclusive: false` stops the agent
 *   from taking over `/etc/cni/net.d` (it renames every other CNI configuration to
 *   `*.cilium_bak`), which would drop the mesh's chained plugin (Istio CNI, linkerd-cni).
 */
export function renderCiliumValues(input: CiliumValuesInput): Values {
  const { settings, clusterMode, apiServer, mesh } = input;
  const hubble = settings.hubble;
  const kind = clusterMode === "kind";
  return {
    ...structuredClone(CILIUM_DEFAULTS),
    k8sServiceHost: apiServer.host,
    k8sServicePort: apiServer.port,
    // The operator's two replicas carry a required anti-affinity per node: on a one-node kind
    // cluster the second one would stay Pending forever.
    operator: { replicas: kind ? 1 : 2 },
    hubble: {
      enabled: hubble.enabled,
      metrics: { enabled: hubble.enabled && hubble.metrics.length > 0 ? [...hubble.metrics] : null },
      relay: { enabled: hubble.enabled },
      ui: { enabled: hubble.enabled && hubble.ui },
      tls: { auto: { enabled: true, method: "cronJob" } },
    },
    ...(mesh.kind !== "none" ? { socketLB: { hostNamespaceOnly: true } } : {}),
    cni: { exclusive: !meshCniChained(mesh) },
  };
}

/** Whether a mesh CNI plugin chains onto Cilium: with a mesh, unless the caller opts out. */
export function meshCniChained(mesh: MeshOnTop): boolean {
  return mesh.kind !== "none" && mesh.cniChaining !== false;
}

/** Why an API server address cannot serve Cilium's kube-proxy replacement, or undefined. */
export function apiServerProblem(api: { host: string; port: number }): string | undefined {
  if (api.host !== "" && Number.isInteger(api.port) && api.port >= 1 && api.port <= 65535) return undefined;
  return `cluster.apiServer: ${JSON.stringify(api)} is not an address; Cilium's kube-proxy replacement needs the API server's host (or "auto") and a port 1-65535`;
}

/** Host name of the Hubble UI under the platform domain. */
export function hubbleHost(domain: string): string {
  return `hubble.${domain}`;
}
