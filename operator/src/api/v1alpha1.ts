/*
 * The OllamaFleet API, openhands.ai/v1alpha1 (kubebuilder's `api/v1alpha1` is the model):
 * what chart/crds/ollamafleets.openhands.ai.yaml declares, the wire facts of the objects the
 * operator makes for a fleet (port, init container, node labels, GPU resource, the fleet
 * label, endpoint) and the condition and Event reasons, which users, `kubectl wait` and
 * tests read. It is the one place these are said: the operator and the Pulumi program at
 * the repository root both import it.
 *
 * No imports, not even types: the root program loads this file without the operator's
 * node_modules, and it compiles under the root's tsconfig as well as the operator's.
 */

/** API group of the OllamaFleet CRD. */
export const GROUP = "openhands.ai";
/** API version of the OllamaFleet CRD (served and stored). */
export const VERSION = "v1alpha1";
/** `apiVersion` of an OllamaFleet: `openhands.ai/v1alpha1`. */
export const API_VERSION = `${GROUP}/${VERSION}` as const;
/** `kind` of an OllamaFleet. */
export const KIND = "OllamaFleet";
/** Resource (plural) name: `/apis/openhands.ai/v1alpha1/namespaces/<ns>/ollamafleets`. */
export const PLURAL = "ollamafleets";

/** Port of Ollama's API: the model server's container port and the fleet Service's port. */
export const OLLAMA_PORT = 11434;
/** Name of the init container that pulls the model before the server starts. */
export const PULL_CONTAINER = "pull";
/** Node label of GPU node pools: `spec.placement.gpuPool` selects `<label>=<pool>`. */
export const GPU_POOL_LABEL = "platform.openhands.ai/gpu-pool";
/** NVIDIA GPUs' extended resource, and the key of the taint GPU nodes carry (a fleet with GPUs tolerates it). */
export const GPU_RESOURCE = "nvidia.com/gpu";
/** Label naming the fleet an object belongs to; a fleet's pods carry it (NetworkPolicies select them by it). */
export const FLEET_LABEL = "openhands.ai/fleet";

/** In-cluster DNS name of a fleet's Service: `<fleet>.<namespace>.svc.cluster.local`. */
export function fleetHost(fleet: string, namespace: string): string {
  return `${fleet}.${namespace}.svc.cluster.local`;
}

/** OpenAI-compatible base URL of a fleet (`status.endpoint`): `http://<fleet>.<namespace>.svc.cluster.local:11434/v1`. */
export function fleetEndpoint(fleet: string, namespace: string): string {
  return `http://${fleetHost(fleet, namespace)}:${OLLAMA_PORT}/v1`;
}

/* ---- spec ---- */

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
/** The request metrics: from the mesh's proxies through Prometheus, or without a mesh from the KEDA HTTP add-on. */
export type RequestMetricType = Extract<MetricType, "requestsPerSecond" | "concurrentRequests">;
/** Whether a metric type measures requests ({@link RequestMetricType}). */
export function isRequestMetric(type: string): type is RequestMetricType {
  return type === "requestsPerSecond" || type === "concurrentRequests";
}

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

/** core/v1 Toleration, as the CRD accepts it. */
export interface Toleration {
  key?: string;
  /** `Exists` or `Equal`. Defaults to Equal. */
  operator?: string;
  value?: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. Defaults to all effects. */
  effect?: string;
  tolerationSeconds?: number;
}

/** Where replicas run. */
export interface FleetPlacement {
  /** GPU node pool: selects `platform.openhands.ai/gpu-pool=<name>` (GPU_POOL_LABEL) and tolerates `nvidia.com/gpu`. Defaults to none. */
  gpuPool?: string;
  /** Extra node selector. Defaults to none. */
  nodeSelector?: Record<string, string>;
  /** Extra tolerations. Defaults to none. */
  tolerations?: Toleration[];
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

/** The CRD's defaults (chart/crds; a test keeps the two equal). */
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

/* ---- status ---- */

export type ConditionType = "ModelPulled" | "Progressing" | "Degraded" | "Ready";
/** Every condition a fleet's status carries, in this order. */
export const CONDITION_TYPES: readonly ConditionType[] = ["ModelPulled", "Progressing", "Degraded", "Ready"];
export type ConditionStatus = "True" | "False" | "Unknown";

/**
 * The spec's problems: Degraded=True (and Ready=False) with one of these; Progressing=False
 * with `InvalidSpec`. The operator never retries a fleet with one until its spec changes.
 */
export const SpecReason = {
  InvalidName: "InvalidName",
  InvalidModel: "InvalidModel",
  InvalidQuantity: "InvalidQuantity",
  InvalidResources: "InvalidResources",
  InvalidImage: "InvalidImage",
  InvalidKeepAlive: "InvalidKeepAlive",
  InvalidScaling: "InvalidScaling",
} as const;
export type SpecReason = (typeof SpecReason)[keyof typeof SpecReason];

/** The API server refused a child: Degraded=True (and Ready=False) with one of these; retried every few minutes. */
export const RefusalReason = {
  /** KEDA (or its HTTP add-on) is not installed. */
  ScalingUnavailable: "ScalingUnavailable",
  /** 422: the child is invalid. */
  ApplyRejected: "ApplyRejected",
  /** 400 or 403: an admission webhook or policy denied the child. */
  AdmissionDenied: "AdmissionDenied",
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/**
 * Every condition reason (`status.conditions[].reason`). The strings are API: users, alerts
 * and tests match on them, so a value never changes (test/operator/reasons.test.ts lists them).
 */
export const Reason = {
  ...SpecReason,
  ...RefusalReason,
  // ModelPulled
  Pulled: "Pulled",
  PullFailed: "PullFailed",
  Pulling: "Pulling",
  NoPods: "NoPods",
  // Progressing
  InvalidSpec: "InvalidSpec",
  Creating: "Creating",
  RollingOut: "RollingOut",
  ScalingUp: "ScalingUp",
  ScalingDown: "ScalingDown",
  Stable: "Stable",
  // Degraded (besides SpecReason, RefusalReason and PullFailed); Ready=False repeats it
  GPUUnavailable: "GPUUnavailable",
  Unschedulable: "Unschedulable",
  CrashLoop: "CrashLoop",
  ImagePullFailed: "ImagePullFailed",
  PodCreationFailed: "PodCreationFailed",
  AsExpected: "AsExpected",
  // Ready
  ReplicasReady: "ReplicasReady",
  ScaledToZero: "ScaledToZero",
  ReplicasNotReady: "ReplicasNotReady",
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

/**
 * Reasons of Events about a fleet that are not condition reasons (a Warning Event on
 * becoming Degraded carries the Degraded condition's reason; a failed pull, PullFailed).
 */
export const EventReason = {
  ModelPulled: "ModelPulled",
  Recovered: "Recovered",
  Ready: "Ready",
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

/** metav1.Condition. */
export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: Reason;
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
  /** OpenAI-compatible base URL (`fleetEndpoint`). */
  endpoint: string;
  model: string;
  conditions: Condition[];
}

/* ---- object ---- */

/** The metav1.ObjectMeta fields a fleet is read with (structurally a client-node V1ObjectMeta). */
export interface FleetMeta {
  name: string;
  namespace: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set while the fleet is being deleted (typed as @kubernetes/client-node types it; only its presence is read). */
  deletionTimestamp?: Date;
}

/** An OllamaFleet as read from the API server. */
export interface OllamaFleet {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: FleetMeta;
  spec: OllamaFleetSpec;
  status?: Partial<OllamaFleetStatus>;
}
