import { z } from "zod";
import { ARTIFACTS } from "../components/catalog";
import { isQuantity } from "../lib/quantity";
import { DEFAULT_POLICY_SETTINGS } from "../policies/rules/settings";

/*
 * One schema for the whole platform config. Every object is strict (unknown keys are
 * errors) and every leaf says what it allows, so a message can name the key path, the bad
 * value and the allowed set. Cross-field rules (exclusive choices, required secrets) live
 * in `rules.ts`.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const EMAIL = /^[^@\s]+@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/i;
const IMAGE_TAG = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/;

/** A DNS-1123 label (namespace, cluster or object name): lowercase, digits and `-`, at most 63. */
export const dnsLabel = z
  .string()
  .max(63, { message: "must be at most 63 characters" })
  .regex(DNS_LABEL, { message: "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric" });

/** A DNS name such as `agents.example.org` or `localhost`. */
export const domainName = z
  .string()
  .regex(DNS_NAME, { message: "must be a lowercase DNS name such as agents.example.org (no scheme, port, wildcard or trailing dot)" });

/** A Kubernetes resource quantity such as `100Gi` or `500m`. */
export const quantity = z
  .string()
  .refine(isQuantity, { message: "must be a Kubernetes quantity such as 100Gi, 512Mi, 500m or 2" });

/** Kubernetes labels: valid keys and values. */
export const labels = z.record(
  z.string().regex(LABEL_KEY, { message: "must be a label key: [prefix/]name, name at most 63 of [A-Za-z0-9-_.]" }),
  z.string().regex(LABEL_VALUE, { message: "must be a label value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends" }),
);

/** A pinned container image reference; `latest` and untagged images are refused. */
export const pinnedImage = z
  .string()
  .regex(IMAGE_TAG, { message: "must be a pinned image reference repository:tag (optionally @sha256:digest)" })
  .refine((s) => !/:latest(@|$)/.test(s), { message: "must not use the 'latest' tag: pin a version" });

/** A toleration as the Kubernetes API spells it. */
export const toleration = z.strictObject({
  key: z.string().min(1),
  operator: z.enum(["Equal", "Exists"]).default("Equal"),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

/** Extra Helm values, deep-merged once over what the component renders. */
const helmValues = z.record(z.string(), z.unknown()).default({});

const port = z.number().int().min(1, { message: "must be a port between 1 and 65535" }).max(65535, { message: "must be a port between 1 and 65535" });

const kindWorker = z.strictObject({
  /** Labels put on the worker node (e.g. a fake GPU pool for scheduling tests). */
  labels: labels.default({}),
  /** How many workers with these labels. */
  count: z.number().int().min(1).max(8).default(1),
});

const cluster = z.strictObject({
  /** `kind`: the program creates a local kind cluster; `existing`: use a cluster from a kubeconfig. */
  mode: z.enum(["kind", "existing"]),
  kind: z
    .strictObject({
      /** kind cluster name (also the prefix of the control-plane container). Defaults to local-hands. */
      name: dnsLabel.default("local-hands"),
      /** kind node image, pinned; its Kubernetes version is preflighted against the charts. */
      nodeImage: pinnedImage
        .refine((s) => /^kindest\/node:v\d+\.\d+\.\d+/.test(s), { message: "must be a kindest/node:vX.Y.Z image" })
        .default(ARTIFACTS.kindNodeImage.image),
      /** Host ports mapped to the control-plane node's ingress ports. Defaults to 80 and 443. */
      hostPorts: z.strictObject({ http: port.default(80), https: port.default(443) }).default({ http: 80, https: 443 }),
      /** Worker nodes; none runs everything on the control plane. Defaults to none. */
      workers: z.array(kindWorker).max(8).default([]),
    })
    .default({ name: "local-hands", nodeImage: ARTIFACTS.kindNodeImage.image, hostPorts: { http: 80, https: 443 }, workers: [] }),
  existing: z
    .strictObject({
      /** kubeconfig context to use; without it the secret `platform:kubeconfig` must be set. */
      context: z.string().min(1).optional(),
    })
    .default({}),
  /** Check the cluster's Kubernetes version against the pinned charts before deploying. */
  preflight: z.boolean().default(true),
});

const cilium = z.strictObject({
  enabled: z.boolean(),
  hubble: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Hubble metrics, as Cilium names them. Defaults to dns, drop, tcp, flow, icmp, http. */
      metrics: z.array(z.string().min(1)).default(["dns", "drop", "tcp", "flow", "icmp", "http"]),
      /** Run Hubble Relay and the Hubble UI. Defaults to true. */
      ui: z.boolean().default(true),
      /**
       * Serve the Hubble UI at `https://hubble.<domain>` through the default IngressClass. The
       * UI has no login: only where the network is trusted. Ignored while the UI is off.
       * Defaults to false (the dev profile turns it on).
       */
      uiIngress: z.boolean().default(false),
    })
    .default({ enabled: true, metrics: ["dns", "drop", "tcp", "flow", "icmp", "http"], ui: true, uiIngress: false }),
  values: helmValues,
});

const proxyResources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ cpu: quantity, memory: quantity }),
});

const mesh = z.strictObject({
  istio: z.strictObject({
    enabled: z.boolean(),
    egressGateway: z.boolean().default(true),
    proxy: proxyResources.default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } }),
    /** Percentage of requests traced, 0 to 100. */
    tracingSampling: z.number().min(0).max(100).default(1),
    values: helmValues,
    /** Extra values for the Istio CNI chart (`cni`), e.g. `cniBinDir`/`cniConfDir` on k3s. Defaults to none. */
    cniValues: helmValues,
  }),
  linkerd: z.strictObject({
    enabled: z.boolean(),
    /** Validity of the generated trust anchor, in hours. */
    trustAnchorValidityHours: z.number().int().min(24).max(87600).default(87600),
    /** Validity of the generated identity issuer certificate, in hours. */
    issuerValidityHours: z.number().int().min(24).max(87600).default(8760),
    values: helmValues,
    /** Extra values for the linkerd2-cni chart, e.g. `destCNIBinDir`/`destCNINetDir` on k3s. Defaults to none. */
    cniValues: helmValues,
  }),
});

const ingressController = z.strictObject({
  enabled: z.boolean(),
  /** Make this controller's IngressClass the cluster default. */
  default: z.boolean(),
  values: helmValues,
});

const acme = z.strictObject({
  email: z.string().regex(EMAIL, { message: "must be an email address" }),
  server: z.url({ protocol: /^https$/, message: "must be an https URL of an ACME directory" }).default("https://acme-v02.api.letsencrypt.org/directory"),
});

const certificates = z.strictObject({
  /** `selfSigned`: a local CA (dev); `acme`: Let's Encrypt or another ACME CA with HTTP-01 (prod). */
  issuer: z.enum(["selfSigned", "acme"]),
  acme: acme.optional(),
  values: helmValues,
});

const storageProvider = z.strictObject({
  enabled: z.boolean(),
  default: z.boolean(),
  values: helmValues,
});

const storage = z.strictObject({
  /** kind's built-in local-path provisioner (StorageClass `standard`); kind mode only. */
  localPath: z.strictObject({ enabled: z.boolean(), default: z.boolean() }),
  rookCeph: storageProvider.extend({
    /** Host path for Ceph's state on each node. */
    dataDirHostPath: z.string().startsWith("/", { message: "must be an absolute path" }).default("/var/lib/rook"),
    /** Monitors; odd, 1 to 9. */
    mons: z.number().int().min(1).max(9).refine((n) => n % 2 === 1, { message: "must be odd (1, 3, 5, 7 or 9)" }).default(3),
    /** Serve the Ceph dashboard (in-cluster, TLS). Defaults to true. */
    dashboard: z.boolean().default(true),
    /** Run OSDs on every node (the chart's default). Defaults to true. */
    useAllNodes: z.boolean().default(true),
    /** Let Rook consume every empty device on every node (the chart's default). */
    useAllDevices: z.boolean().default(true),
    /** OSDs per device (more on fast NVMe). Defaults to 1. */
    osdsPerDevice: z.number().int().min(1).max(4).default(1),
    /** Extra values for the rook-ceph-cluster chart (`values` goes to the operator chart). */
    clusterValues: helmValues,
  }),
  longhorn: storageProvider.extend({
    replicas: z.number().int().min(1).max(5).default(3),
  }),
});

const objectStorage = z.strictObject({
  minio: z.strictObject({
    enabled: z.boolean(),
    servers: z.number().int().min(1).max(32).default(4),
    volumesPerServer: z.number().int().min(1).max(16).default(4),
    volumeSize: quantity.default("100Gi"),
    /** StorageClass of the pool's volumes; defaults to the platform's default class. */
    storageClass: dnsLabel.optional(),
    /** Buckets created in the tenant. */
    buckets: z.array(dnsLabel).default([]),
    /** Requests of each MinIO server container (the chart sets none). Defaults to none. */
    requests: z.strictObject({ cpu: quantity, memory: quantity }).optional(),
    values: helmValues,
    /** Extra values for the MinIO operator chart (`values` goes to the tenant chart). Defaults to none. */
    operatorValues: helmValues,
  }),
  cephRgw: z.strictObject({
    enabled: z.boolean(),
    buckets: z.array(dnsLabel).default([]),
  }),
});

const observability = z.strictObject({
  otel: z.strictObject({
    enabled: z.boolean(),
    /** Extra values for the opentelemetry-collector chart (the platform's collector). */
    values: helmValues,
    /** Extra values for the opentelemetry-operator chart. */
    operatorValues: helmValues,
  }),
  prometheus: z.strictObject({
    enabled: z.boolean(),
    retention: z.string().regex(/^\d+(ms|s|m|h|d|w|y)$/, { message: "must be a Prometheus duration such as 15d or 12h" }).default("15d"),
    storageSize: quantity.default("50Gi"),
    values: helmValues,
  }),
  grafana: z.strictObject({ enabled: z.boolean(), values: helmValues }),
  loki: z.strictObject({ enabled: z.boolean(), storageSize: quantity.default("10Gi"), values: helmValues }),
  jaeger: z.strictObject({
    enabled: z.boolean(),
    /** `memory`: traces live in the pod and vanish on restart (dev); `badger`: on a PVC (prod). Defaults to memory. */
    storage: z.enum(["memory", "badger"]).default("memory"),
    /** Size of the badger volume (storage `badger` only). Defaults to 10Gi. */
    storageSize: quantity.default("10Gi"),
    /** How long badger keeps spans, in hours (storage `badger` only). Defaults to 168 (7 days). */
    retentionHours: z.number().int().min(1).max(8760).default(168),
    values: helmValues,
  }),
});

const cloud = z.strictObject({
  enabled: z.boolean(),
  /** Default region (aws, azure location) or project (gcp) for managed resources. */
  region: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
});

const crossplane = z.strictObject({
  enabled: z.boolean(),
  providers: z.strictObject({
    aws: cloud.default({ enabled: false }),
    gcp: cloud.default({ enabled: false }),
    azure: cloud.default({ enabled: false }),
  }),
  values: helmValues,
});

const policy = z.strictObject({
  /**
   * What a violation does. `Deny`: Kyverno rejects the request and the preview pack is
   * mandatory; `Audit`: Kyverno records it in a policy report and the pack is advisory.
   */
  enforcement: z.enum(["Audit", "Deny"]),
  /** Largest storage request of a PersistentVolumeClaim. Defaults to 100Gi. */
  pvcQuota: quantity.default(DEFAULT_POLICY_SETTINGS.pvcQuota),
  /** Per-namespace quotas that replace `pvcQuota` there, e.g. `{ "minio-tenant": "1Ti" }`. Defaults to none. */
  pvcQuotaExceptions: z.record(dnsLabel, quantity).default({}),
  /** Namespaces where privileged containers are allowed (node agents). Defaults to the platform's system namespaces. */
  systemNamespaces: z.array(dnsLabel).default([...DEFAULT_POLICY_SETTINGS.systemNamespaces]),
  /** Namespaces whose containers must set requests and limits. Defaults to ollama, openhands, openhands-sandboxes. */
  workloadNamespaces: z
    .array(dnsLabel)
    .min(1, { message: "must list at least one namespace" })
    .default([...DEFAULT_POLICY_SETTINGS.workloadNamespaces]),
  /** Labels marking a model-serving pod (which must limit nvidia.com/gpu). Defaults to app.kubernetes.io/component=model-server. */
  modelPodLabels: labels
    .refine((l) => Object.keys(l).length > 0, { message: "must name at least one label" })
    .default({ ...DEFAULT_POLICY_SETTINGS.modelPodLabels }),
  /** Extra values for the Kyverno chart. */
  values: helmValues,
});

const scalingMetric = z.strictObject({
  /** Signal: request rate or in-flight requests (from the mesh, or the KEDA HTTP add-on without one), cpu/memory, or a PromQL query. */
  type: z.enum(["requestsPerSecond", "concurrentRequests", "cpu", "memory", "prometheus"]),
  /** Target per replica: a number, or percent of the request for cpu and memory. */
  target: z.string().regex(/^\d+(\.\d+)?$/, { message: "must be a number such as 2 or 0.5" }),
  /** PromQL returning one number; only (and required) for type `prometheus`. */
  query: z.string().min(1).optional(),
});

const ollamaFleet = z.strictObject({
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

const ollama = z.strictObject({
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

const name = z.string().min(1);
const gpuPool = z.strictObject({
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

const gpu = z.strictObject({
  /** GPU node pools, one GPUNodePool composite each (Crossplane). Defaults to none. */
  pools: z.array(gpuPool).default([]),
  /** Extra values for the NVIDIA GPU Operator chart. Defaults to none. */
  values: helmValues,
});

const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;
/** An IPv4 CIDR such as `203.0.113.0/24`. */
const ipv4Cidr = z.string().regex(IPV4_CIDR, { message: "must be an IPv4 CIDR such as 203.0.113.0/24" });

/** Egress a sandbox may use beyond DNS and the LLM: one CIDR (minus exceptions) on some ports. */
const sandboxEgress = z.strictObject({
  cidr: ipv4Cidr,
  /** CIDRs inside `cidr` that stay denied. Defaults to none. */
  except: z.array(ipv4Cidr).default([]),
  /** TCP ports allowed; empty allows every port. Defaults to all. */
  ports: z.array(port).default([]),
});

/**
 * The sandbox contract: where and how OpenHands' runtime API creates agent sandboxes (the
 * design's `[kubernetes]` settings). Sandboxes run untrusted code: the platform isolates
 * them (Pod Security, default-deny NetworkPolicies, quota) whatever the runtime does.
 */
const openhandsSandbox = z.strictObject({
  /** Namespace the sandboxes run in. Defaults to openhands-sandboxes. */
  namespace: dnsLabel.default("openhands-sandboxes"),
  /** Each sandbox is served at `<session>.<domain>` (wildcard host). Defaults to the platform domain. */
  domain: domainName.optional(),
  /**
   * Existing TLS Secret in the sandbox namespace holding a wildcard certificate for
   * `*.<domain>`. Required with the acme issuer (HTTP-01 cannot issue wildcards); with the
   * selfSigned issuer the platform issues one. Defaults to the issued one.
   */
  tlsSecret: dnsLabel.optional(),
  /** Size of each sandbox's workspace PVC. Defaults to 2Gi. */
  pvcSize: quantity.default("2Gi"),
  /** StorageClass of the workspace PVCs. Defaults to the platform's default class (`standard` on kind). */
  storageClass: dnsLabel.optional(),
  /** Requests of each sandbox. Defaults to 1 CPU and 1Gi. */
  requests: z.strictObject({ cpu: quantity.default("1"), memory: quantity.default("1Gi") }).prefault({}),
  /** Limits of each sandbox: memory always, CPU optional. Defaults to 2Gi of memory and no CPU limit. */
  limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.default("2Gi") }).prefault({}),
  /** Image pull Secret (in the sandbox namespace) for the sandbox image. Defaults to none. */
  imagePullSecret: dnsLabel.optional(),
  /** Node selector of sandbox pods. Defaults to none. */
  nodeSelector: labels.default({}),
  /** Tolerations of sandbox pods. Defaults to none. */
  tolerations: z.array(toleration).default([]),
  /**
   * Allow privileged sandboxes (Pod Security `privileged` on the namespace; it must also be
   * in policy.systemNamespaces). Defaults to false.
   */
  privileged: z.boolean().default(false),
  /**
   * RuntimeClass of sandbox pods: `gvisor` (handler runsc) or `kata` (handler kata) are
   * created by the platform; any other name must already exist. Defaults to none (runc).
   */
  runtimeClass: dnsLabel.optional(),
  /** Egress allowed beyond DNS and the LLM. Defaults to none. */
  egress: z
    .strictObject({
      /** Public internet on 80/443 (every address outside private, link-local and loopback ranges). Defaults to false. */
      internet: z.boolean().default(false),
      /** Further CIDRs. Defaults to none. */
      cidrs: z.array(sandboxEgress).default([]),
    })
    .prefault({}),
  /** Most sandboxes at once: the namespace's ResourceQuota is this many times one sandbox. Defaults to 10. */
  maxSandboxes: z.number().int().min(1).max(1000).default(10),
});

const openhands = z.strictObject({
  /** The OpenHands layer: namespaces, the sandbox contract, RBAC, isolation, LLM wiring. Defaults to false. */
  enabled: z.boolean().default(false),
  /**
   * Acknowledges the OpenHands chart's license (Polyform Free Trial: not open source; 30
   * days per calendar year without a commercial license). Without it the chart is not
   * installed; the rest of the layer is. Defaults to none.
   */
  license: z.strictObject({ accept: z.literal("polyform-free-trial", { message: 'must be "polyform-free-trial" (the license of the openhands chart)' }) }).optional(),
  /** The LLM: a fleet of `ollama.fleets`, reached through its in-cluster OpenAI-compatible endpoint. Defaults to none. */
  llm: z.strictObject({ fleet: dnsLabel }).optional(),
  sandbox: openhandsSandbox.prefault({}),
  /** The design's `ubuntu-dev` workspace (an OpenVSCode Server on Ubuntu, Service port 8099). Defaults to off. */
  workspace: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Image of the workspace. Defaults to gitpod/openvscode-server:1.105.1. */
      image: pinnedImage.default("gitpod/openvscode-server:1.105.1"),
    })
    .prefault({}),
  /** Extra values for the openhands chart. Defaults to none. */
  values: helmValues,
});

/** The validated platform configuration every component is built from. */
export const platformSchema = z.strictObject({
  /** `dev` (local kind, light) or `prod` (existing cluster, full); selects the defaults. */
  profile: z.enum(["dev", "prod"]),
  /** Base domain: `openhands.<domain>`, `grafana.<domain>`, sandboxes at `*.<domain>`. */
  domain: domainName,
  cluster,
  networking: z.strictObject({ cilium }),
  mesh,
  ingress: z.strictObject({ contour: ingressController, ingressNginx: ingressController }),
  certificates,
  storage,
  objectStorage,
  autoscaling: z.strictObject({
    keda: z.strictObject({
      enabled: z.boolean(),
      httpAddon: z.boolean().default(true),
      values: helmValues,
      /** Extra values for the keda-add-ons-http chart. Defaults to none. */
      httpAddonValues: helmValues,
    }),
  }),
  serverless: z.strictObject({
    knative: z.strictObject({
      enabled: z.boolean(),
      networking: z.enum(["kourier", "istio"]).default("kourier"),
      /** Extra values for the knative-operator chart. Defaults to none. */
      values: helmValues,
      /**
       * Extra KnativeServing spec, deep-merged over the rendered one: e.g. `workloads`, Knative's
       * per-Deployment `replicas` and container `resources`. Defaults to none.
       */
      servingSpec: helmValues,
    }),
  }),
  observability,
  crossplane,
  /** Model serving: the OllamaFleet operator and the fleets. */
  ollama: ollama.default({ operator: { replicas: 2, values: {} }, namespace: "ollama", fleets: [] }),
  /** GPU node pools and the NVIDIA GPU Operator. */
  gpu: gpu.default({ pools: [], values: {} }),
  /** Policy as code: the Kyverno rules and the preview pack's settings. */
  policy,
  /** OpenHands, its agent sandboxes and its LLM. */
  openhands: openhands.prefault({}),
});

/** Platform config after validation and defaulting. */
export type PlatformConfig = z.infer<typeof platformSchema>;
/** Platform config as a stack file may spell it (any subset). */
export type PlatformConfigInput = z.input<typeof platformSchema>;
