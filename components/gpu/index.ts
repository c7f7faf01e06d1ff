import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import { ARTIFACTS, CHARTS } from "../catalog";
import type { ClusterLayer, CrossplaneLayer, GpuLayer, NetworkLayer, ObservabilityLayer } from "../contracts";
import { CLOUDS, packageObjectName, renderPackageSpec, type Cloud } from "../crossplane/packages";
import { platformNamespace, platformRelease } from "../helm";
import { WAIT_HEALTHY, WAIT_READY } from "../platform-names";
import { compositionName, POOLS_NAMESPACE, renderComposition, renderXrd, XR_API_VERSION, XR_KIND } from "./compositions";
import { renderGpuOperatorValues, renderPoolSpec, type GpuPoolSettings } from "./pools";
import type { PlatformConfig } from "../../config/schema";

export * from "./compositions";
export * from "./pools";

/** A stack without GPU pools: nothing to wait for. */
export const NO_GPU_CAPACITY: GpuLayer = { capacityReady: [], pools: [] };

/** GPU settings, as validated config gives them. */
export interface GpuSettings {
  pools: GpuPoolSettings[];
  values: Values;
}

/** Whether the stack has GPU node pools (and so the GPU Operator); config requires Crossplane for them. */
export function enabled(c: PlatformConfig): boolean {
  return c.gpu.pools.length > 0;
}

/** Arguments of {@link Gpu}. */
export interface GpuArgs {
  cluster: ClusterLayer;
  /** The GPU Operator's pods wait for the CNI. */
  network: NetworkLayer;
  /** Pools are Crossplane composites. */
  crossplane: CrossplaneLayer;
  /** The DCGM exporter's ServiceMonitor needs the Prometheus Operator's CRDs (when Prometheus runs). */
  observability: ObservabilityLayer;
  settings: GpuSettings;
}

// A managed node group takes 5-15 minutes to become ACTIVE.
const POOL_TIMEOUTS = { create: "30m", update: "30m" };

/**
 * GPU node pools and the NVIDIA GPU Operator. One GPUNodePool composite per configured pool,
 * composed by the Composition of its cloud (node group, node pool; on AWS also the node role),
 * with the pool label, the GPU type label and the taint `nvidia.com/gpu=true:NoSchedule` on
 * every node. The GPU Operator (NFD, device plugin, DCGM exporter, and driver/toolkit where
 * the node image lacks them) makes `nvidia.com/gpu` allocatable there.
 */
export class Gpu extends pulumi.ComponentResource implements GpuLayer {
  public readonly capacityReady: pulumi.Resource[];
  public readonly pools: string[];
  /** The GPU Operator release. */
  public readonly operator: k8s.helm.v3.Release;

  constructor(name: string, args: GpuArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:gpu:Gpu", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    if (s.pools.length === 0) {
      throw new pulumi.ResourceError(`Gpu args.settings.pools: empty; the GPU layer is built only when a pool is configured`, this);
    }
    this.pools = s.pools.map((p) => p.name);

    // The driver and toolkit containers are privileged (the namespace is in the policy's systemNamespaces).
    const pin = CHARTS.gpuOperator;
    // No webhook or cross-namespace caller: the operator, NFD and the node daemons talk to the
    // API server and each other; Prometheus scrapes the DCGM exporter.
    const ns = platformNamespace(`${name}-operator-ns`, { name: pin.namespace, podSecurity: "privileged", ingress: {} }, this);
    const serviceMonitor = args.observability.prometheusUrl !== undefined;
    this.operator = platformRelease(
      `${name}-operator`,
      {
        pin,
        releaseName: "gpu-operator",
        namespace: ns,
        values: renderGpuOperatorValues({ serviceMonitor }),
        overrides: s.values,
        dependsOn: [...args.network.ready, ...(serviceMonitor ? args.observability.ready : [])],
      },
      { parent: this },
    );

    // Composites and their managed resources; nothing runs here.
    const poolsNs = platformNamespace(`${name}-pools-ns`, { name: POOLS_NAMESPACE, podSecurity: "restricted", ingress: { scraped: false } }, this);
    const xrd = new k8s.apiextensions.CustomResource(`${name}-xrd`, renderXrd() as k8s.apiextensions.CustomResourceArgs, {
      parent: this,
      dependsOn: args.crossplane.core,
    });

    const clouds = CLOUDS.filter((c) => s.pools.some((p) => p.cloud === c));
    const perCloud = new Map<Cloud, pulumi.Resource[]>();
    for (const cloud of clouds) {
      const providerConfig = args.crossplane.providerConfigs[cloud];
      if (providerConfig === undefined) {
        throw new pulumi.ResourceError(`Gpu args.crossplane.providerConfigs.${cloud}: missing; a pool of args.settings.pools uses cloud "${cloud}", whose Crossplane provider is not installed`, this);
      }
      const extra: pulumi.Resource[] = [];
      if (cloud === "aws") {
        // The node role is an IAM resource: the IAM service provider joins the Crossplane
        // layer's EC2 and EKS ones (installed after its family, like them).
        const iam = ARTIFACTS.providerAwsIam;
        extra.push(
          new k8s.apiextensions.CustomResource(
            `${name}-${packageObjectName(iam)}`,
            {
              apiVersion: "pkg.crossplane.io/v1",
              kind: "Provider",
              metadata: { name: packageObjectName(iam), annotations: WAIT_HEALTHY },
              spec: renderPackageSpec(iam),
            },
            { parent: this, dependsOn: [args.crossplane.families.aws!], customTimeouts: { create: "15m", update: "15m" } },
          ),
        );
      }
      const composition = new k8s.apiextensions.CustomResource(`${name}-composition-${cloud}`, renderComposition(cloud) as k8s.apiextensions.CustomResourceArgs, {
        parent: this,
        dependsOn: [xrd, ...args.crossplane.core],
      });
      perCloud.set(cloud, [composition, ...extra]);
    }

    const composites = s.pools.map(
      (p) =>
        new k8s.apiextensions.CustomResource(
          `${name}-pool-${p.name}`,
          {
            apiVersion: XR_API_VERSION,
            kind: XR_KIND,
            metadata: {
              name: p.name,
              namespace: poolsNs.metadata.name,
              // Ready once every composed resource is: the node group exists and is ACTIVE.
              annotations: WAIT_READY,
            },
            spec: renderPoolSpec(p, args.crossplane.providerConfigs[p.cloud]!, compositionName(p.cloud)),
          },
          // Composing needs the pipeline's function and the provider configs the managed resources name.
          { parent: this, dependsOn: [xrd, ...(perCloud.get(p.cloud) ?? []), ...args.crossplane.ready], customTimeouts: POOL_TIMEOUTS },
        ),
    );

    this.capacityReady = [...composites, this.operator];
    this.registerOutputs({ pools: this.pools });
  }
}
