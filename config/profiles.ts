import type { PlatformConfigInput } from "./schema";

/** A `resources` block with requests only. */
const req = (cpu: string, memory: string) => ({ requests: { cpu, memory } });
/** Linkerd's own spelling of requests. */
const l5dReq = (cpu: string, memory: string) => ({ cpu: { request: cpu }, memory: { request: memory } });
/** A KnativeServing `workloads` entry setting one container's requests. */
const knativeWorkload = (name: string, container: string, cpu: string, memory: string) => ({ name, resources: [{ container, ...req(cpu, memory) }] });

/**
 * Profile defaults. A stack file sets `platform:profile` and holds only what differs from
 * these. dev is a laptop: kind, Linkerd, kind's local-path storage (MinIO only on opt-in), a light
 * observability set. prod is an existing cluster: Cilium + Istio, Rook-Ceph with its object
 * gateway, the full observability stack and Crossplane.
 */
export const PROFILE_DEFAULTS: Record<"dev" | "prod", PlatformConfigInput> = {
  dev: {
    profile: "dev",
    // Browsers and curl resolve *.localhost to loopback: no DNS to set up on a laptop.
    domain: "localhost",
    cluster: {
      mode: "kind",
      existing: {},
      preflight: true,
    },
    // hubble.localhost reaches kind's host ports: the UI is one click away on a laptop.
    //
    // Requests: the dev profile has to fit 4 CPU / 8 GiB of requests on one kind node
    // (`npm run bench`, "Dev footprint"). Charts that set none (Cilium, Linkerd,
    // cert-manager, MinIO) get small explicit ones, so the count is honest; charts whose
    // defaults are sized for production HA (KEDA's HTTP add-on: 3 + 3 replicas at 250m,
    // Knative's activator at 300m, MinIO's operator: 2 at 200m) are scaled down.
    networking: {
      cilium: {
        enabled: true,
        hubble: { uiIngress: true },
        values: {
          resources: req("100m", "192Mi"),
          envoy: { resources: req("20m", "64Mi") },
          operator: { resources: req("20m", "64Mi") },
          hubble: { relay: { resources: req("10m", "32Mi") }, ui: { frontend: { resources: req("5m", "16Mi") }, backend: { resources: req("5m", "32Mi") } } },
        },
      },
    },
    mesh: {
      istio: { enabled: false },
      linkerd: {
        enabled: true,
        // Only the control plane's own proxies: meshed workloads keep proxy.resources.
        values: {
          destinationResources: l5dReq("20m", "64Mi"),
          spValidatorResources: l5dReq("5m", "16Mi"),
          policyController: { resources: l5dReq("10m", "32Mi") },
          identityResources: l5dReq("10m", "32Mi"),
          proxyInjectorResources: l5dReq("10m", "48Mi"),
          destinationProxyResources: l5dReq("10m", "32Mi"),
          identityProxyResources: l5dReq("10m", "32Mi"),
          proxyInjectorProxyResources: l5dReq("10m", "32Mi"),
        },
      },
    },
    ingress: {
      contour: { enabled: true, default: true },
      ingressNginx: { enabled: false, default: false },
    },
    certificates: {
      issuer: "selfSigned",
      values: { resources: req("10m", "64Mi"), webhook: { resources: req("10m", "32Mi") }, cainjector: { resources: req("10m", "64Mi") } },
    },
    storage: {
      // Longhorn needs open-iscsi and Rook-Ceph needs raw disks: neither runs on kind nodes.
      localPath: { enabled: true, default: true },
      rookCeph: { enabled: false, default: false },
      longhorn: { enabled: false, default: false },
    },
    // MinIO's community edition is archived upstream (no more fixes): opt-in only. Enabling it
    // takes this laptop-sized pool.
    objectStorage: {
      minio: {
        enabled: false,
        servers: 1,
        volumesPerServer: 1,
        volumeSize: "10Gi",
        requests: { cpu: "100m", memory: "512Mi" },
        operatorValues: { operator: { replicaCount: 1, resources: req("50m", "128Mi") } },
      },
      cephRgw: { enabled: false },
    },
    autoscaling: {
      keda: {
        enabled: true,
        values: { resources: { operator: req("20m", "128Mi"), metricServer: req("20m", "64Mi"), webhooks: req("10m", "32Mi") } },
        httpAddonValues: {
          operator: { resources: req("10m", "32Mi") },
          scaler: { replicas: 1, resources: req("10m", "32Mi") },
          interceptor: { replicas: { min: 1 }, resources: req("20m", "32Mi") },
        },
      },
    },
    serverless: {
      knative: {
        enabled: true,
        networking: "kourier",
        values: { knative_operator: { knative_operator: { resources: req("20m", "128Mi") }, operator_webhook: { resources: req("20m", "64Mi") } } },
        servingSpec: {
          workloads: [
            knativeWorkload("activator", "activator", "100m", "64Mi"),
            knativeWorkload("autoscaler", "autoscaler", "50m", "64Mi"),
            knativeWorkload("controller", "controller", "50m", "96Mi"),
            knativeWorkload("webhook", "webhook", "20m", "64Mi"),
            knativeWorkload("autoscaler-hpa", "autoscaler-hpa", "10m", "32Mi"),
            knativeWorkload("net-kourier-controller", "controller", "50m", "64Mi"),
            knativeWorkload("3scale-kourier-gateway", "kourier-gateway", "50m", "64Mi"),
          ],
        },
      },
    },
    observability: {
      otel: { enabled: true },
      prometheus: { enabled: true, retention: "2d", storageSize: "5Gi" },
      grafana: { enabled: true },
      // The rules sidecar in the single-binary pod sets no requests of its own.
      loki: { enabled: true, storageSize: "5Gi", values: { sidecar: { resources: req("5m", "32Mi") } } },
      jaeger: { enabled: true },
    },
    crossplane: { enabled: false, providers: {} },
    // One small CPU model: the operator image is built from operator/ and loaded into kind.
    // 0.5b weights (~0.4 GB) plus a 32k-token KV cache (~0.4 GB) fit 1.5Gi.
    ollama: {
      operator: { replicas: 1 },
      fleets: [{ model: "qwen2.5-coder:0.5b", replicas: 1, resources: { cpu: "500m", memory: "1536Mi" }, storage: { size: "10Gi" }, contextLength: 32768 }],
    },
    gpu: { pools: [] },
    // Audit: violations land in policy reports and the preview pack only warns.
    policy: { enforcement: "Audit" },
    // The agent platform on the laptop (Agent Canvas at https://openhands.localhost, SQLite on
    // a PVC, images built from this repository), the sandbox contract, isolation and the
    // ubuntu-dev workspace; sessions at <session>.localhost with a wildcard certificate from the local CA.
    openhands: { enabled: true, workspace: { enabled: true } },
  },
  prod: {
    profile: "prod",
    // EKS (the GPU pools below are EKS node groups): Cilium chains onto the VPC CNI, which
    // every EKS node already runs; "eni" replaces it (README, "Networking modes").
    cluster: { mode: "existing", existing: { distribution: "eks" }, preflight: true },
    networking: { cilium: { enabled: true, mode: "chained" } },
    mesh: { istio: { enabled: true }, linkerd: { enabled: false } },
    ingress: {
      contour: { enabled: true, default: true },
      ingressNginx: { enabled: false, default: false },
    },
    certificates: { issuer: "acme" },
    storage: {
      localPath: { enabled: false, default: false },
      rookCeph: { enabled: true, default: true },
      longhorn: { enabled: false, default: false },
    },
    objectStorage: {
      minio: { enabled: false },
      cephRgw: { enabled: true },
    },
    autoscaling: { keda: { enabled: true } },
    serverless: { knative: { enabled: true, networking: "istio" } },
    observability: {
      otel: { enabled: true },
      prometheus: { enabled: true },
      grafana: { enabled: true },
      loki: { enabled: true, storageSize: "100Gi" },
      jaeger: { enabled: true, storage: "badger", storageSize: "20Gi" },
    },
    crossplane: { enabled: true, providers: {} },
    // GPU fleets on one L4 pool (g6.xlarge: 1 L4 with 24 GB, 4 vCPU, 16 GiB). The 32b model
    // (~20 GB in Q4) scales 1..3 on request rate; the 7b one answers fast and scales to zero.
    // Together at most 4 GPUs: the pool's maxSize. The operator image is site-specific:
    // Pulumi.prod.yaml sets ollama.operator.image.
    ollama: {
      fleets: [
        {
          model: "qwen2.5-coder:32b",
          resources: { gpu: 1, cpu: "3", memory: "12Gi" },
          storage: { size: "50Gi" },
          scaling: { minReplicas: 1, maxReplicas: 3, metrics: [{ type: "requestsPerSecond", target: "1" }] },
          contextLength: 32768,
          placement: { gpuPool: "gpu-l4" },
        },
        {
          model: "qwen2.5-coder:7b",
          resources: { gpu: 1, cpu: "2", memory: "8Gi" },
          storage: { size: "20Gi" },
          scaling: { minReplicas: 0, maxReplicas: 1, metrics: [{ type: "concurrentRequests", target: "4" }], cooldownSeconds: 900 },
          contextLength: 32768,
          placement: { gpuPool: "gpu-l4" },
        },
      ],
    },
    // The EKS cluster behind the platform-prod context, in the AWS provider's region.
    gpu: {
      pools: [
        {
          name: "gpu-l4",
          cloud: "aws",
          instanceType: "g6.xlarge",
          gpuType: "nvidia-l4",
          gpuCount: 1,
          minSize: 0,
          maxSize: 4,
          desiredSize: 1,
          aws: { clusterName: "platform-prod", region: "us-east-1" },
        },
      ],
    },
    // Deny: Kyverno rejects violating requests and the preview pack blocks them.
    policy: { enforcement: "Deny" },
    // The agent platform with its database in Postgres (CloudNativePG) and two replicas of the
    // stateless services. The stack names the sandboxes' wildcard certificate Secret
    // (openhands.sandbox.tlsSecret: ACME HTTP-01 issues no wildcards).
    openhands: {
      enabled: true,
      server: { database: { kind: "postgres", size: "10Gi", instances: 2 } },
      runtime: { replicas: 2 },
      // Behind the OIDC proxy (the stack names the provider: platform:openhands.oidc).
      gateway: { replicas: 2, auth: "oidc-header", identityHeader: "x-forwarded-email" },
    },
  } as PlatformConfigInput,
};
