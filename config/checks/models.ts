import { MIN_CONTEXT_LENGTH } from "../../components/openhands/settings";
import { compareQuantities } from "../../lib/quantity";
import { isRequestMetric } from "../../operator/src/api/v1alpha1";
import { azureNodePoolName, fleetName, openHandsFleet } from "../names";
import type { PlatformConfig } from "../schema";

/** GPU node pools: unique names, sizes in order, the cluster of their cloud, the cloud's provider. */
export function gpuPools(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const azureNames = new Map<string, string>();
  c.gpu.pools.forEach((p, i) => {
    const at = `platform:gpu.pools[${i}]`;
    if (seen.has(p.name)) errors.push(`${at}.name: "${p.name}" is used by another pool; pool names must be unique`);
    seen.add(p.name);
    if (p.minSize > p.maxSize) errors.push(`${at}.minSize: ${p.minSize} is above maxSize ${p.maxSize}; minSize must be <= maxSize`);
    if (p.desiredSize !== undefined && (p.desiredSize < p.minSize || p.desiredSize > p.maxSize)) {
      errors.push(`${at}.desiredSize: ${p.desiredSize} is outside minSize..maxSize (${p.minSize}..${p.maxSize})`);
    }
    for (const other of ["aws", "gcp", "azure"] as const) {
      if (other === p.cloud && p[other] === undefined) errors.push(`${at}.${other}: missing; a ${other} pool names its cluster there`);
      if (other !== p.cloud && p[other] !== undefined) errors.push(`${at}.${other}: set, but the pool's cloud is "${p.cloud}"; remove it`);
    }
    if (!c.crossplane.enabled || !c.crossplane.providers[p.cloud].enabled) {
      errors.push(`${at}.cloud: "${p.cloud}" needs crossplane.enabled: true and crossplane.providers.${p.cloud}.enabled: true (pools are Crossplane composites)`);
    }
    if (p.cloud === "azure") {
      const az = azureNodePoolName(p.name);
      if (!/^[a-z]/.test(az)) errors.push(`${at}.name: "${p.name}" gives the AKS node pool name "${az}", which must start with a letter`);
      const clash = azureNames.get(az);
      if (clash !== undefined) errors.push(`${at}.name: "${p.name}" and "${clash}" both give the AKS node pool name "${az}" (lowercase alphanumerics, at most 12); rename one`);
      azureNames.set(az, p.name);
    }
  });
  return errors;
}

/** Model servers run where requests and limits are enforced. */
export function fleetNamespace(c: PlatformConfig): string[] {
  const ns = c.ollama.namespace;
  if (c.policy.workloadNamespaces.includes(ns)) return [];
  return [`platform:ollama.namespace: "${ns}" is not in policy.workloadNamespaces (${c.policy.workloadNamespaces.join(", ")}); model servers must run where requests and limits are enforced`];
}

/** Fleet names are unique: each is a resource name and an endpoint. */
export function fleetNames(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const names = new Map<string, number>();
  c.ollama.fleets.forEach((f, i) => {
    const name = fleetName(f);
    const first = names.get(name);
    if (first !== undefined) errors.push(`platform:ollama.fleets[${i}].name: "${name}" is also the name of fleets[${first}]; fleet names must be unique (set name on one)`);
    else names.set(name, i);
  });
  return errors;
}

/** Fleet scaling: a range in order, KEDA, and the metrics sources each metric type reads. */
export function fleetScaling(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const meshed = c.mesh.istio.enabled || c.mesh.linkerd.enabled;
  c.ollama.fleets.forEach((f, i) => {
    const s = f.scaling;
    if (!s) return;
    const at = `platform:ollama.fleets[${i}].scaling`;
    if (s.minReplicas > s.maxReplicas) errors.push(`${at}.minReplicas: ${s.minReplicas} is above maxReplicas ${s.maxReplicas}; minReplicas must be <= maxReplicas`);
    if (!c.autoscaling.keda.enabled) errors.push(`${at}: set, but autoscaling.keda.enabled is false; enable KEDA or remove scaling`);
    s.metrics.forEach((m, j) => {
      if (m.type === "prometheus" && m.query === undefined) errors.push(`${at}.metrics[${j}].query: missing; type "prometheus" needs a PromQL query`);
      if (m.type !== "prometheus" && m.query !== undefined) errors.push(`${at}.metrics[${j}].query: set, but only type "prometheus" reads a query`);
    });
    const requestMetric = s.metrics.some((m) => isRequestMetric(m.type));
    if (requestMetric && meshed && !c.observability.prometheus.enabled) {
      errors.push(`${at}.metrics: request metrics come from the mesh through Prometheus; enable observability.prometheus`);
    }
    if (requestMetric && !meshed && !c.autoscaling.keda.httpAddon) {
      errors.push(`${at}.metrics: request metrics without a mesh need the KEDA HTTP add-on; set autoscaling.keda.httpAddon: true`);
    }
    if (s.metrics.some((m) => m.type === "prometheus") && !c.observability.prometheus.enabled) {
      errors.push(`${at}.metrics: type "prometheus" needs observability.prometheus.enabled: true`);
    }
  });
  return errors;
}

/** Taints of control-plane nodes (kubeadm's current and legacy keys). */
const CONTROL_PLANE_TAINTS = ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"];

/** Fleet placement: a configured pool with enough GPUs, GPU nodes only for GPU fleets, never the control plane. */
export function fleetPlacement(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const pools = new Map(c.gpu.pools.map((p) => [p.name, p]));
  c.ollama.fleets.forEach((f, i) => {
    const at = `platform:ollama.fleets[${i}]`;
    const poolName = f.placement?.gpuPool;
    const pool = poolName === undefined ? undefined : pools.get(poolName);
    if (poolName !== undefined && pool === undefined) {
      const known = [...pools.keys()];
      errors.push(`${at}.placement.gpuPool: "${poolName}" is not a configured pool; ${known.length ? `configured: ${known.join(", ")}` : "platform:gpu.pools is empty"}`);
    }
    if (poolName !== undefined && f.resources.gpu === 0) {
      errors.push(`${at}.placement.gpuPool: set, but resources.gpu is 0; CPU fleets stay off the (tainted, costly) GPU nodes`);
    }
    if (pool && f.resources.gpu > pool.gpuCount) {
      errors.push(`${at}.resources.gpu: ${f.resources.gpu} is more than the ${pool.gpuCount} GPU(s) per node of pool "${pool.name}"; a replica would never schedule`);
    }
    if (c.profile === "prod" && f.resources.gpu > 0 && poolName === undefined && f.placement?.nodeSelector === undefined) {
      errors.push(`${at}.placement: missing; a GPU fleet in prod names a gpuPool or a nodeSelector for its GPU nodes`);
    }
    (f.placement?.tolerations ?? []).forEach((t, j) => {
      if (t.key === undefined || t.key === "" || CONTROL_PLANE_TAINTS.includes(t.key)) {
        errors.push(
          `${at}.placement.tolerations[${j}]: ${t.key ? `tolerates "${t.key}"` : "tolerates every taint (no key)"}, which would schedule model servers onto control-plane nodes; tolerate only the taints of the nodes meant for them (a GPU pool's is added by gpuPool)`,
        );
      }
    });
  });
  return errors;
}

/** Model caches: each is a PVC within the fleet namespace's quota, and kept in prod. */
export function fleetStorage(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const o = c.ollama;
  const quota = c.policy.pvcQuotaExceptions[o.namespace] ?? c.policy.pvcQuota;
  o.fleets.forEach((f, i) => {
    const at = `platform:ollama.fleets[${i}].storage`;
    if (compareQuantities(f.storage.size, quota) > 0) {
      errors.push(
        `${at}.size: "${f.storage.size}" exceeds the PVC quota of namespace ${o.namespace} (${quota}, platform:policy.pvcQuota); use at most ${quota} or set platform:policy.pvcQuotaExceptions.${o.namespace}`,
      );
    }
    if (c.profile === "prod" && f.storage.retainPolicy === "Delete") {
      errors.push(`${at}.retainPolicy: "Delete", but profile "prod" protects its data: model caches are kept (Retain); remove the key`);
    }
  });
  return errors;
}

/** The fleet OpenHands uses has the context its agents need. */
export function agentModelContext(c: PlatformConfig): string[] {
  if (!c.openhands.enabled) return [];
  const name = openHandsFleet(c);
  const i = c.ollama.fleets.findIndex((f) => fleetName(f) === name);
  const f = c.ollama.fleets[i];
  if (f === undefined || f.contextLength >= MIN_CONTEXT_LENGTH) return [];
  return [
    `platform:ollama.fleets[${i}].contextLength: ${f.contextLength} is below ${MIN_CONTEXT_LENGTH}, and OpenHands uses this fleet ("${name}"); its agents need a context of 32k tokens or more`,
  ];
}
