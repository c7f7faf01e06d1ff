import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog";
import type { ClusterLayer, NetworkLayer } from "../contracts";
import { platformRelease } from "../helm";
import { apiServerProblem, renderCiliumValues, type CiliumSettings, type MeshOnTop } from "./values";

export { enabled as hubbleUiEnabled, HubbleUiIngress, type HubbleUiIngressArgs } from "./hubble-ui";
export { apiServerProblem, hubbleHost, meshCniChained, renderCiliumValues, replacesKubeProxy, type CiliumSettings, type CiliumValuesInput, type MeshOnTop } from "./values";

/** Arguments of {@link Networking}. */
export interface NetworkingArgs {
  cluster: ClusterLayer;
  /** How the cluster was made: kind clusters get single-node settings. */
  clusterMode: "kind" | "existing";
  /** `platform:networking.cilium`. */
  settings: CiliumSettings;
  /**
   * The mesh the stack runs on top (from config, not the MeshLayer: the mesh installs after
   * the CNI, so it cannot be an input here). Its CNI plugin chains onto Cilium unless
   * `cniChaining: false`.
   */
  mesh: MeshOnTop;
}

/**
 * The CNI: Cilium in kube-system, replacing kube-proxy, with Hubble (relay, UI, metrics).
 * With Cilium disabled the cluster keeps its own CNI (kindnet on kind) and `ready` is
 * empty. Every pod of every later layer waits for `ready`.
 */
export class Networking extends pulumi.ComponentResource implements NetworkLayer {
  /** The Cilium release; empty when Cilium is disabled. */
  public readonly ready: pulumi.Resource[];
  /** The Cilium release, when enabled. */
  public readonly release?: k8s.helm.v3.Release;

  constructor(name: string, args: NetworkingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:networking:Networking", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    if (!s.enabled) {
      this.ready = [];
      this.registerOutputs({ enabled: false });
      return;
    }
    if (args.clusterMode === "kind" && s.mode !== "cni") {
      throw new pulumi.ResourceError(`settings.mode: "${s.mode}" is for EKS; a kind cluster has no other CNI, so Cilium runs in mode "cni"`, this);
    }
    const values = pulumi.output(args.cluster.apiServer).apply((apiServer) => {
      const problem = apiServerProblem(apiServer);
      if (problem) throw new pulumi.ResourceError(problem, this);
      return renderCiliumValues({ settings: s, clusterMode: args.clusterMode, apiServer, mesh: args.mesh });
    });
    this.release = platformRelease(
      `${name}-cilium`,
      {
        pin: CHARTS.cilium,
        releaseName: "cilium",
        // kube-system exists and stays privileged; Cilium's agent needs host access there.
        namespace: CHARTS.cilium.namespace,
        values,
        overrides: s.values,
      },
      { parent: this },
    );
    this.ready = [this.release];
    this.registerOutputs({ enabled: true, release: this.release.status });
  }
}
