import type { PlatformConfigInput } from "./schema";

/**
 * Profile defaults. A stack file sets `platform:profile` and holds only what differs from
 * these. dev is a laptop: kind, Linkerd, kind's local-path storage, a small MinIO, a light
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
    networking: { cilium: { enabled: true, hubble: { uiIngress: true } } },
    mesh: { istio: { enabled: false }, linkerd: { enabled: true } },
    ingress: {
      contour: { enabled: true, default: true },
      ingressNginx: { enabled: false, default: false },
    },
    certificates: { issuer: "selfSigned" },
    storage: {
      // Longhorn needs open-iscsi and Rook-Ceph needs raw disks: neither runs on kind nodes.
      localPath: { enabled: true, default: true },
      rookCeph: { enabled: false, default: false },
      longhorn: { enabled: false, default: false },
    },
    objectStorage: {
      minio: { enabled: true, servers: 1, volumesPerServer: 1, volumeSize: "10Gi" },
      cephRgw: { enabled: false },
    },
    autoscaling: { keda: { enabled: true } },
    serverless: { knative: { enabled: true, networking: "kourier" } },
    observability: {
      otel: { enabled: true },
      prometheus: { enabled: true, retention: "2d", storageSize: "5Gi" },
      grafana: { enabled: true },
      loki: { enabled: true, storageSize: "5Gi" },
      jaeger: { enabled: true },
    },
    crossplane: { enabled: false, providers: {} },
    // Audit: violations land in policy reports and the preview pack only warns.
    policy: { enforcement: "Audit" },
  },
  prod: {
    profile: "prod",
    cluster: { mode: "existing", existing: {}, preflight: true },
    networking: { cilium: { enabled: true } },
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
    // Deny: Kyverno rejects violating requests and the preview pack blocks them.
    policy: { enforcement: "Deny" },
  } as PlatformConfigInput,
};
