import { DEFAULTS, type OllamaFleetSpec, type RetainPolicy, type ScalingMetric, type Toleration } from "./api/v1alpha1";

/*
 * The operator's own types around the OllamaFleet API (api/v1alpha1.ts, which declares the
 * API itself). The API server applies the CRD's defaults before the operator sees a fleet;
 * `withDefaults` applies the same ones (a test keeps the two equal) so pure functions can
 * take a spec as written.
 */

/**
 * For importers outside operator/ that still name this module (components/ollama/quota.ts,
 * bench/operator, test/components): the operator itself imports them from api/v1alpha1.
 */
export type { OllamaFleet, OllamaFleetSpec, OllamaFleetStatus } from "./api/v1alpha1";

/** Field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = "ollama-fleet-operator";

/** The mesh in front of model servers: where request metrics come from. */
export type Mesh = "istio" | "linkerd" | "none";
export const MESHES: readonly Mesh[] = ["istio", "linkerd", "none"];

/** A spec with every default filled in. */
export interface ResolvedSpec {
  model: string;
  replicas: number;
  resources: { gpu: number; gpuType?: string; memory: string; cpu: string };
  storage: { size: string; class?: string; retainPolicy: RetainPolicy };
  scaling?: { minReplicas: number; maxReplicas: number; metrics: ScalingMetric[]; cooldownSeconds: number };
  contextLength: number;
  keepAlive: string;
  image: string;
  placement: { gpuPool?: string; nodeSelector: Record<string, string>; tolerations: Toleration[] };
}

/** The spec with the CRD's defaults applied (quantities as strings). */
export function withDefaults(spec: OllamaFleetSpec): ResolvedSpec {
  const r = spec.resources ?? {};
  const s = spec.storage ?? {};
  const p = spec.placement ?? {};
  return {
    model: spec.model,
    replicas: spec.replicas ?? DEFAULTS.replicas,
    resources: { gpu: r.gpu ?? DEFAULTS.gpu, ...(r.gpuType ? { gpuType: r.gpuType } : {}), memory: String(r.memory ?? DEFAULTS.memory), cpu: String(r.cpu ?? DEFAULTS.cpu) },
    storage: { size: String(s.size ?? DEFAULTS.storageSize), ...(s.class ? { class: s.class } : {}), retainPolicy: s.retainPolicy ?? DEFAULTS.retainPolicy },
    ...(spec.scaling
      ? {
          scaling: {
            minReplicas: spec.scaling.minReplicas,
            maxReplicas: spec.scaling.maxReplicas,
            metrics: spec.scaling.metrics && spec.scaling.metrics.length > 0 ? spec.scaling.metrics : DEFAULTS.metrics.map((m) => ({ ...m })),
            cooldownSeconds: spec.scaling.cooldownSeconds ?? DEFAULTS.cooldownSeconds,
          },
        }
      : {}),
    contextLength: spec.contextLength ?? DEFAULTS.contextLength,
    keepAlive: spec.keepAlive ?? DEFAULTS.keepAlive,
    image: spec.image ?? DEFAULTS.image,
    placement: { ...(p.gpuPool ? { gpuPool: p.gpuPool } : {}), nodeSelector: { ...(p.nodeSelector ?? {}) }, tolerations: [...(p.tolerations ?? [])] },
  };
}

/** `<namespace>/<name>`: the work queue's key for a fleet. */
export function fleetKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Splits a fleet key. */
export function parseFleetKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
