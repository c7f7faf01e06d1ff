import { z } from "zod";
import { LABEL_VALUE, dnsLabel, helmValues, labels, pinnedImage, quantity, toleration } from "./primitives";

/* Model serving: the Ollama fleets and the GPU node pools. */

export const scalingMetric = z.strictObject({
  /** Signal: request rate or in-flight requests (from the mesh, or the KEDA HTTP add-on without one), cpu/memory, or a PromQL query. */
  type: z.enum(["requestsPerSecond", "concurrentRequests", "cpu", "memory", "prometheus"]),
  /** Target per replica: a number, or percent of the request for cpu and memory. */
  target: z.string().regex(/^\d+(\.\d+)?$/, { message: "must be a number such as 2 or 0.5" }),
  /** PromQL returning one number; only (and required) for type `prometheus`. */
  query: z.string().min(1).optional(),
});

export const ollamaFleet = z.strictObject({
  /** Fleet (and Service) name. Defaults to a stable slug of the model (`modelSlug`). */
  name: z
    .string()
    .max(52, { message: "must be at most 52 characters (a longer StatefulSet name gets no pods)" })
    .regex(/^[a-z]([-a-z0-9]*[a-z0-9])?$/, { message: "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter" })
    .optional(),
  /** Ollama model reference, e.g. `qwen2.5-coder:0.5b` or `library/llama3:70b`. */
  model: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*(:[A-Za-z0-9._-]+)?$/, { message: "must be an Ollama model reference such as qwen2.5-coder:7b" }),
  /** Replicas while `scaling` is unset. Defaults to 1. */
  replicas: z.number().int().min(1).max(64).default(1),
  resources: z.strictObject({
    /** GPUs per replica (`nvidia.com/gpu` limit). Defaults to 0 (CPU only). */
    gpu: z.number().int().min(0).max(16).default(0),
    /** Required `nvidia.com/gpu.product` node label value (e.g. NVIDIA-L4). Defaults to any. */
    gpuType: z.string().min(1).optional(),
    /** CPU request (no limit: CPU is compressible). */
    cpu: quantity,
    /** Memory request and limit: the model's weights and KV cache live here on CPU. */
    memory: quantity,
  }),
  storage: z
    .strictObject({
      /** Model cache per replica (one PVC each). Defaults to 50Gi. */
      size: quantity.default("50Gi"),
      /** StorageClass. Defaults to the cluster's default class. */
      class: dnsLabel.optional(),
      /** Fate of the cache PVCs on deletion or scale-down. Defaults to Retain. */
      retainPolicy: z.enum(["Retain", "Delete"]).default("Retain"),
    })
    .default({ size: "50Gi", retainPolicy: "Retain" }),
  /** KEDA autoscaling (needs autoscaling.keda). Defaults to none: a fixed `replicas`. */
  scaling: z
    .strictObject({
      /** Fewest replicas; 0 scales to zero. */
      minReplicas: z.number().int().min(0).max(64),
      maxReplicas: z.number().int().min(1).max(64),
      metrics: z.array(scalingMetric).min(1, { message: "must list at least one metric" }),
      /** Seconds without load before scaling down. Defaults to 300. */
      cooldownSeconds: z.number().int().min(0).max(86400).default(300),
    })
    .optional(),
  /** OLLAMA_CONTEXT_LENGTH: agents need 32k+. Defaults to 32768. */
  contextLength: z.number().int().min(2048).max(1048576).default(32768),
  /** OLLAMA_KEEP_ALIVE: Go duration or -1 (forever). Defaults to 24h. */
  keepAlive: z.string().regex(/^(-1|(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/, { message: "must be a Go duration such as 24h or 30m, or -1" }).default("24h"),
  /** Ollama image. Defaults to the operator's pinned image. */
  image: pinnedImage.optional(),
  /** Where replicas run. Defaults to anywhere untainted. */
  placement: z
    .strictObject({
      /** A configured GPU pool (`platform:gpu.pools[].name`): selected by label and its taint tolerated. */
      gpuPool: dnsLabel.optional(),
      nodeSelector: labels.optional(),
      tolerations: z.array(toleration).optional(),
    })
    .optional(),
});

export const ollama = z.strictObject({
  operator: z
    .strictObject({
      /** The operator image, pinned (required in prod; dev builds operator/ and loads it into kind). Defaults to a dev build. */
      image: pinnedImage.optional(),
      /** Operator replicas (leader election picks one). Defaults to 2. */
      replicas: z.number().int().min(1).max(5).default(2),
      /** Extra values for the operator chart (operator/chart). Defaults to none. */
      values: helmValues,
    })
    .default({ replicas: 2, values: {} }),
  /** Namespace of the fleets; must be one of policy.workloadNamespaces. Defaults to ollama. */
  namespace: dnsLabel.default("ollama"),
  /** Model fleets, one OllamaFleet each. Defaults to none. */
  fleets: z.array(ollamaFleet).default([]),
});

export const name = z.string().min(1);
export const gpuPool = z.strictObject({
  /** Pool name: node label `platform.openhands.ai/gpu-pool` value and the composite's name. */
  name: dnsLabel.refine((s) => s.length <= 40, { message: "must be at most 40 characters (cloud node pool names)" }),
  cloud: z.enum(["aws", "gcp", "azure"]),
  /** EC2 instance type, GCE machine type or Azure VM size, e.g. g6.xlarge. */
  instanceType: name,
  /** GPU model, e.g. nvidia-l4 (on GCP the accelerator type); also the node label `platform.openhands.ai/gpu-type`. */
  gpuType: z.string().regex(LABEL_VALUE, { message: "must be a label value such as nvidia-l4" }).min(1),
  /** GPUs per node. */
  gpuCount: z.number().int().min(1).max(16),
  minSize: z.number().int().min(0).max(1000),
  maxSize: z.number().int().min(1).max(1000),
  /** Nodes to start with (a cluster autoscaler moves it later). Defaults to minSize. */
  desiredSize: z.number().int().min(0).max(1000).optional(),
  /** Boot disk in GB (images of GPU stacks are large). Defaults to 100. */
  diskSizeGb: z.number().int().min(20).max(4096).default(100),
  /** Extra node labels. Defaults to none. */
  labels: labels.default({}),
  /** The EKS cluster (aws pools). */
  aws: z.strictObject({ clusterName: name, region: name, subnetIds: z.array(name).optional() }).optional(),
  /** The GKE cluster (gcp pools); location is the cluster's region or zone. */
  gcp: z.strictObject({ project: name, location: name, clusterName: name }).optional(),
  /** The AKS cluster (azure pools). */
  azure: z.strictObject({ resourceGroup: name, clusterName: name, subscriptionId: z.uuid({ message: "must be a subscription id (UUID)" }) }).optional(),
});

export const gpu = z.strictObject({
  /** GPU node pools, one GPUNodePool composite each (Crossplane). Defaults to none. */
  pools: z.array(gpuPool).default([]),
  /** Extra values for the NVIDIA GPU Operator chart. Defaults to none. */
  values: helmValues,
});
