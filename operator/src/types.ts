import type { V1ObjectMeta, V1Toleration } from "@kubernetes/client-node";

/*
 * The OllamaFleet API (openhands.ai/v1alpha1), as chart/crds/ollamafleets.openhands.ai.yaml
 * declares it. The API server applies the CRD's defaults before the operator sees a fleet;
 * `withDefaults` applies the same ones (a test keeps the two equal) so pure functions can
 * take a spec as written.
 */

export const GROUP = "openhands.ai";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = "OllamaFleet";
export const PLURAL = "ollamafleets";

/** Field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = "ollama-fleet-operator";

/** The mesh in front of model servers: where request metrics come from. */
export type Mesh = "istio" | "linkerd" | "none";
export const MESHES: readonly Mesh[] = ["istio", "linkerd", "none"];

/** A quantity as the CRD accepts it (`x-kubernetes-int-or-string`). */
export type QuantityValue = string | number;

/** Compute resources of one model server. */
export interface FleetResources {
  /** GPUs per replica (`nvidia.com/gpu` limit). Defaults to 0. */
  gpu?: number;
  /** Required node label `nvidia.com/gpu.product` value (e.g. `NVIDIA-L4`). Defaults to any. */
  gpuType?: string;
  /** Memory request and limit. Defaults to 8Gi. */
  memory?: QuantityValue;
  /** CPU request (no limit: CPU is compressible). Defaults to 2. */
  cpu?: QuantityValue;
}

/** What happens to the model-cache PVCs on fleet deletion or scale-down. */
export type RetainPolicy = "Retain" | "Delete";

/** The per-replica model cache. */
export interface FleetStorage {
  /** Size of each replica's volume. Defaults to 50Gi. */
  size?: QuantityValue;
  /** StorageClass. Defaults to the cluster's default class. */
  class?: string;
  /** Fate of the PVCs when the fleet is deleted or scaled down. Defaults to Retain. */
  retainPolicy?: RetainPolicy;
}

export type MetricType = "requestsPerSecond" | "concurrentRequests" | "cpu" | "memory" | "prometheus";
export const METRIC_TYPES: readonly MetricType[] = ["requestsPerSecond", "concurrentRequests", "cpu", "memory", "prometheus"];

/** One autoscaling signal. */
export interface ScalingMetric {
  type: MetricType;
  /** Target per replica: a number (or quantity); for cpu and memory, percent of the request. */
  target: string;
  /** PromQL returning one number; only (and required) for `prometheus`. */
  query?: string;
}

/** KEDA autoscaling; while set, KEDA owns the replica count. */
export interface FleetScaling {
  /** Fewest replicas (0 scales to zero). */
  minReplicas: number;
  /** Most replicas. */
  maxReplicas: number;
  /** Signals; the largest proposal wins. Defaults to concurrentRequests with target 2. */
  metrics?: ScalingMetric[];
  /** Seconds without load before scaling down (to zero). Defaults to 300. */
  cooldownSeconds?: number;
}

/** Where replicas run. */
export interface FleetPlacement {
  /** GPU node pool: selects `platform.openhands.ai/gpu-pool=<name>` and tolerates `nvidia.com/gpu`. Defaults to none. */
  gpuPool?: string;
  /** Extra node selector. Defaults to none. */
  nodeSelector?: Record<string, string>;
  /** Extra tolerations. Defaults to none. */
  tolerations?: V1Toleration[];
}

/** `spec` of an OllamaFleet. */
export interface OllamaFleetSpec {
  /** Ollama model reference, e.g. `qwen2.5-coder:0.5b` or `library/llama3:70b`. */
  model: string;
  /** Replicas while `scaling` is unset. Defaults to 1. */
  replicas?: number;
  resources?: FleetResources;
  storage?: FleetStorage;
  scaling?: FleetScaling;
  /** OLLAMA_CONTEXT_LENGTH. Defaults to 32768. */
  contextLength?: number;
  /** OLLAMA_KEEP_ALIVE (Go duration or -1). Defaults to 24h. */
  keepAlive?: string;
  /** Ollama image, pinned by tag or digest. Defaults to ollama/ollama:0.32.15. */
  image?: string;
  placement?: FleetPlacement;
}

export type ConditionType = "ModelPulled" | "Progressing" | "Degraded" | "Ready";
export const CONDITION_TYPES: readonly ConditionType[] = ["ModelPulled", "Progressing", "Degraded", "Ready"];
export type ConditionStatus = "True" | "False" | "Unknown";

/** metav1.Condition. */
export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration: number;
  /** RFC 3339, second precision. */
  lastTransitionTime: string;
}

/** `status` of an OllamaFleet, rebuilt from the cluster on every pass. */
export interface OllamaFleetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  desiredReplicas: number;
  /** Label selector of the pods, for the scale subresource. */
  selector: string;
  /** OpenAI-compatible base URL. */
  endpoint: string;
  model: string;
  conditions: Condition[];
}

/** An OllamaFleet as read from the API server. */
export interface OllamaFleet {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: OllamaFleetSpec;
  status?: Partial<OllamaFleetStatus>;
}

/** The CRD's defaults (chart/crds). */
export const DEFAULTS = {
  replicas: 1,
  gpu: 0,
  memory: "8Gi",
  cpu: "2",
  storageSize: "50Gi",
  retainPolicy: "Retain" as RetainPolicy,
  metrics: [{ type: "concurrentRequests", target: "2" }] as ScalingMetric[],
  cooldownSeconds: 300,
  contextLength: 32768,
  keepAlive: "24h",
  image: "ollama/ollama:0.32.15",
} as const;

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
  placement: { gpuPool?: string; nodeSelector: Record<string, string>; tolerations: V1Toleration[] };
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
