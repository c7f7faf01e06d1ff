import type { PlatformConfig } from "../../config/schema";
import type { Values } from "../../lib/merge";
import type { Cloud } from "../crossplane/packages";
import { azureNodePoolName } from "../../config/names";
import { GPU_POOL_LABEL } from "../../operator/src/api/v1alpha1";
import { GPU_TAINT, GPU_TYPE_LABEL } from "./compositions";

/** One GPU pool as validated config gives it (`platform:gpu.pools[]`). */
export type GpuPoolSettings = PlatformConfig["gpu"]["pools"][number];

/**
 * Per cloud, the GPU Operator operands a pool's nodes opt out of (`nvidia.com/gpu.deploy.*`
 * node labels, which the operator honours when set before it labels the node):
 * - aws: the EKS accelerated AMI ships the driver and the container toolkit;
 * - gcp: GKE's device plugin is switched off, so the operator's own runs;
 * - azure: nothing (the pool skips AKS' driver install, the operator installs it).
 */
export const CLOUD_NODE_LABELS: Record<Cloud, Record<string, string>> = {
  aws: { "nvidia.com/gpu.deploy.driver": "false", "nvidia.com/gpu.deploy.container-toolkit": "false" },
  gcp: { "gke-no-default-nvidia-gpu-device-plugin": "true" },
  azure: {},
};

/** Labels on a pool's nodes: the stack's own, then the pool and GPU labels (which win). */
export function poolNodeLabels(p: GpuPoolSettings): Record<string, string> {
  return { ...p.labels, ...CLOUD_NODE_LABELS[p.cloud], [GPU_POOL_LABEL]: p.name, [GPU_TYPE_LABEL]: p.gpuType };
}

/** The AKS cluster's resource id. */
export function aksClusterId(a: { subscriptionId: string; resourceGroup: string; clusterName: string }): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${a.clusterName}`;
}

/** `spec` of a pool's GPUNodePool composite (Crossplane fields under `crossplane`). */
export function renderPoolSpec(p: GpuPoolSettings, providerConfigName: string, compositionName: string): Values {
  const cloudSpec: Values =
    p.cloud === "aws"
      ? { aws: { clusterName: p.aws!.clusterName, region: p.aws!.region, ...(p.aws!.subnetIds ? { subnetIds: [...p.aws!.subnetIds] } : {}) } }
      : p.cloud === "gcp"
        ? { gcp: { project: p.gcp!.project, location: p.gcp!.location, clusterName: p.gcp!.clusterName } }
        : { azure: { clusterId: aksClusterId(p.azure!), nodePoolName: azureNodePoolName(p.name) } };
  return {
    cloud: p.cloud,
    instanceType: p.instanceType,
    gpuType: p.gpuType,
    gpuCount: p.gpuCount,
    minSize: p.minSize,
    maxSize: p.maxSize,
    desiredSize: p.desiredSize ?? p.minSize,
    diskSizeGb: p.diskSizeGb,
    nodeLabels: poolNodeLabels(p),
    providerConfigName,
    ...cloudSpec,
    crossplane: { compositionRef: { name: compositionName } },
  };
}

/** Values of the gpu-operator chart (v26.7.0). */
export function renderGpuOperatorValues(s: { serviceMonitor: boolean }): Values {
  // Arrays replace the chart's in a merge: the GPU taint is tolerated by every operand.
  const tolerations = [{ key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect }];
  return {
    // NFD labels GPU nodes (PCI vendor 10de); the operator schedules operands by those labels.
    nfd: { enabled: true },
    // On for nodes that need them; pool nodes whose image ships them opt out per node.
    driver: { enabled: true },
    toolkit: { enabled: true },
    devicePlugin: { enabled: true },
    daemonsets: { tolerations },
    // The operator creates the DCGM exporter's ServiceMonitor: only where Prometheus runs.
    dcgmExporter: { serviceMonitor: { enabled: s.serviceMonitor } },
  };
}
