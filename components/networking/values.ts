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
  /** API server address as seen from the nodes. */
  apiServer: { host: string; port: number };
  mesh: MeshOnTop;
}

/**
 * Values of each way Cilium joins a cluster's network (`platform:networking.cilium.mode`),
 * from Cilium's installation guides for 1.20 (kind/kubeadm, "AWS ENI", "AWS VPC CNI plugin"
 * chaining).
 */
const MODE_VALUES = {
  // The only CNI. Pod CIDRs come from the node objects (kind's and kubeadm's
  // controller-manager allocate them), so Cilium must not run its own cluster-pool IPAM.
  cni: { ipam: { mode: "kubernetes" } },
  // EKS, Cilium allocating ENI addresses itself: native routing on the VPC, masquerading only
  // out of the nodes' ENIs (eth0, eth1, ...).
  eni: { eni: { enabled: true }, ipam: { mode: "eni" }, routingMode: "native", egressMasqueradeInterfaces: "eth+" },
  // EKS, chained onto the VPC CNI (aws-node keeps IPAM and routing): no masquerading (the VPC
  // routes pod addresses) and per-endpoint routes so policy applies on the pod's own device.
  chained: { enableIPv4Masquerade: false, routingMode: "native", endpointRoutes: { enabled: true } },
} as const;

/**
 * Cilium's own datapath with kube-proxy replaced (modes cni and eni). In chained mode
 * kube-proxy stays (EKS manages it as an add-on), and Maglev and the bandwidth manager, which
 * build on the replacement, are left off.
 */
const KUBE_PROXY_REPLACEMENT = {
  // "true"/"false" are the documented values since 1.14; the old "strict" is not one of them.
  kubeProxyReplacement: "true",
  loadBalancer: { algorithm: "maglev", mode: "snat" },
  bandwidthManager: { enabled: true },
} as const;

/** Whether Cilium replaces kube-proxy in this configuration (everything but chained mode). */
export function replacesKubeProxy(settings: Pick<CiliumSettings, "enabled" | "mode">): boolean {
  return settings.enabled && settings.mode !== "chained";
}

/**
 * The Cilium chart's values for one stack. Pure and deterministic.
 *
 * - The mode's own values ({@link MODE_VALUES}), and kube-proxy replacement where the mode
 *   has it.
 * - `k8sServiceHost`/`k8sServicePort`: with kube-proxy replaced, the agent cannot reach the
 *   API server through the `kubernetes` Service it is about to implement. kind: the
 *   control-plane container; existing clusters: the kubeconfig's server (the chart's `auto`
 *   is a Helm `lookup` of `kube-public/cluster-info`, which managed clusters do not have).
 * - `hubble.tls.auto.method: cronJob`: the chart's default `helm` method mints the Hubble
 *   CA and certificates inside the template render, so the key material lands in the Helm
 *   release record and every render without cluster access (previews, dry runs) produces new
 *   certificates. The cronJob method renders the same manifest every time and lets an
 *   in-cluster Job create (and rotate) the certificates.
 * - With a mesh on top, socket-level load balancing is limited to the host namespace so the
 *   mesh's sidecars see the Service IPs they route on. `cni.exclusive: false` stops the agent
 *   from taking over `/etc/cni/net.d` (it renames every other CNI configuration to
 *   `*.cilium_bak`), which would drop the mesh's chained plugin (Istio CNI, linkerd-cni) and,
 *   in chained mode, aws-node's own configuration (`cni.chainingMode: aws-cni`).
 */
export function renderCiliumValues(input: CiliumValuesInput): Values {
  const { settings, clusterMode, apiServer, mesh } = input;
  const hubble = settings.hubble;
  const kind = clusterMode === "kind";
  const chained = settings.mode === "chained";
  return {
    ...(structuredClone(MODE_VALUES[settings.mode]) as Values),
    ...(replacesKubeProxy(settings) ? structuredClone(KUBE_PROXY_REPLACEMENT) : {}),
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
    cni: chained ? { chainingMode: "aws-cni", exclusive: false } : { exclusive: !meshCniChained(mesh) },
  };
}

/** Whether a mesh CNI plugin chains onto Cilium: with a mesh, unless the caller opts out. */
export function meshCniChained(mesh: MeshOnTop): boolean {
  return mesh.kind !== "none" && mesh.cniChaining !== false;
}

/** Why an API server address cannot serve Cilium's kube-proxy replacement, or undefined. */
export function apiServerProblem(api: { host: string; port: number }): string | undefined {
  if (api.host !== "" && Number.isInteger(api.port) && api.port >= 1 && api.port <= 65535) return undefined;
  return `cluster.apiServer: ${JSON.stringify(api)} is not an address; Cilium needs the API server's host and a port 1-65535`;
}

/** Host name of the Hubble UI under the platform domain. */
export function hubbleHost(domain: string): string {
  return `hubble.${domain}`;
}
