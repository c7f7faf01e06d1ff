import { parseQuantity } from "../../lib/quantity";
import type { Values } from "../../lib/merge";
import { MONITORING_NAMESPACE, OTEL_COLLECTOR } from "../platform-names";

/** The `platform:observability` section, as validated config gives it. */
export interface ObservabilitySettings {
  otel: { enabled: boolean; values: Values; operatorValues: Values };
  prometheus: { enabled: boolean; retention: string; storageSize: string; values: Values };
  grafana: { enabled: boolean; values: Values };
  loki: { enabled: boolean; storageSize: string; values: Values };
  jaeger: { enabled: boolean; storage: "memory" | "badger"; storageSize: string; retentionHours: number; values: Values };
}

/** Requests (and a memory limit) for one container. */
export interface Sizing {
  cpu: string;
  memory: string;
  memoryLimit: string;
}

/** Every workload this layer runs, by the release that runs it. */
export type Workload =
  | "prometheusOperator"
  | "prometheus"
  | "alertmanager"
  | "kubeStateMetrics"
  | "nodeExporter"
  | "otelOperator"
  | "otelCollector"
  | "loki"
  | "jaeger"
  | "grafanaOperator"
  | "grafana";

/**
 * Per-profile sizing. dev has to share 4 CPU / 8 GiB of requests with the rest of the
 * platform on one kind node, so it asks for little and runs no Alertmanager; prod sizes
 * for a few hundred pods and a week of data.
 */
// prettier-ignore
export const SIZING: Record<"dev" | "prod", Record<Exclude<Workload, "alertmanager">, Sizing> & { alertmanager: Sizing | null }> = {
  dev: {
    prometheusOperator: { cpu: "20m",  memory: "64Mi",  memoryLimit: "128Mi" },
    prometheus:         { cpu: "100m", memory: "384Mi", memoryLimit: "1Gi" },
    alertmanager:       null,
    kubeStateMetrics:   { cpu: "10m",  memory: "32Mi",  memoryLimit: "128Mi" },
    nodeExporter:       { cpu: "10m",  memory: "24Mi",  memoryLimit: "64Mi" },
    otelOperator:       { cpu: "20m",  memory: "64Mi",  memoryLimit: "256Mi" },
    otelCollector:      { cpu: "50m",  memory: "128Mi", memoryLimit: "256Mi" },
    loki:               { cpu: "100m", memory: "256Mi", memoryLimit: "1Gi" },
    jaeger:             { cpu: "20m",  memory: "128Mi", memoryLimit: "512Mi" },
    grafanaOperator:    { cpu: "20m",  memory: "64Mi",  memoryLimit: "256Mi" },
    grafana:            { cpu: "50m",  memory: "128Mi", memoryLimit: "512Mi" },
  },
  prod: {
    prometheusOperator: { cpu: "100m", memory: "128Mi", memoryLimit: "512Mi" },
    prometheus:         { cpu: "500m", memory: "2Gi",   memoryLimit: "8Gi" },
    alertmanager:       { cpu: "50m",  memory: "128Mi", memoryLimit: "256Mi" },
    kubeStateMetrics:   { cpu: "50m",  memory: "128Mi", memoryLimit: "512Mi" },
    nodeExporter:       { cpu: "50m",  memory: "64Mi",  memoryLimit: "128Mi" },
    otelOperator:       { cpu: "100m", memory: "128Mi", memoryLimit: "512Mi" },
    otelCollector:      { cpu: "250m", memory: "512Mi", memoryLimit: "1Gi" },
    loki:               { cpu: "500m", memory: "1Gi",   memoryLimit: "4Gi" },
    jaeger:             { cpu: "250m", memory: "512Mi", memoryLimit: "2Gi" },
    grafanaOperator:    { cpu: "50m",  memory: "128Mi", memoryLimit: "512Mi" },
    grafana:            { cpu: "100m", memory: "256Mi", memoryLimit: "1Gi" },
  },
};

/**
 * A StatefulSet's `persistentVolumeClaimRetentionPolicy` (Kubernetes 1.32+ GA): what happens
 * to the PVCs of its volumeClaimTemplates when the StatefulSet is deleted or scaled down.
 * `true` keeps them (prod), `false` deletes them with it (dev).
 */
export function claimRetention(retain: boolean): { whenDeleted: "Retain" | "Delete"; whenScaled: "Retain" | "Delete" } {
  const policy = retain ? "Retain" : "Delete";
  return { whenDeleted: policy, whenScaled: policy };
}

/** Kubernetes `resources` for a sizing. CPU is never limited (throttling hides saturation). */
export function resources(s: Sizing): Values {
  return { requests: { cpu: s.cpu, memory: s.memory }, limits: { memory: s.memoryLimit } };
}

/** What one release of this layer requests in total. */
export interface ReleaseRequests {
  /** Helm release name (or `grafana` for the operator-managed Grafana). */
  release: string;
  /** CPU requested, in millicores. */
  cpuMillis: number;
  /** Memory requested, in MiB. */
  memoryMiB: number;
}

/** Which workloads each release (or CR) runs. */
const RELEASE_WORKLOADS: { release: string; enabled: (s: ObservabilitySettings) => boolean; workloads: Workload[] }[] = [
  {
    release: "kube-prometheus-stack",
    enabled: (s) => s.prometheus.enabled,
    workloads: ["prometheusOperator", "prometheus", "alertmanager", "kubeStateMetrics", "nodeExporter"],
  },
  { release: "opentelemetry-operator", enabled: (s) => s.otel.enabled, workloads: ["otelOperator"] },
  { release: "otel-collector", enabled: (s) => s.otel.enabled, workloads: ["otelCollector"] },
  { release: "loki", enabled: (s) => s.loki.enabled, workloads: ["loki"] },
  { release: "jaeger", enabled: (s) => s.jaeger.enabled, workloads: ["jaeger"] },
  { release: "grafana-operator", enabled: (s) => s.grafana.enabled, workloads: ["grafanaOperator"] },
  { release: "grafana", enabled: (s) => s.grafana.enabled, workloads: ["grafana"] },
];

function millis(q: string): number {
  const { num, den } = parseQuantity(q);
  return Number((num * 1000n) / den);
}

function mebibytes(q: string): number {
  const { num, den } = parseQuantity(q);
  return Number(num / den) / 2 ** 20;
}

/**
 * The CPU and memory this layer's values request, per release, for a footprint report.
 * Pure: computed from {@link SIZING}, the same table the values are rendered from.
 * `nodes` counts node-exporter's DaemonSet pods. Stack `values` overrides are not seen.
 */
export function observabilityRequests(settings: ObservabilitySettings, profile: "dev" | "prod", nodes = 1): ReleaseRequests[] {
  const sizing = SIZING[profile];
  return RELEASE_WORKLOADS.filter((r) => r.enabled(settings)).map((r) => {
    let cpuMillis = 0;
    let memoryMiB = 0;
    for (const w of r.workloads) {
      const s = sizing[w];
      if (!s) continue;
      const copies = w === "nodeExporter" ? nodes : 1;
      cpuMillis += millis(s.cpu) * copies;
      memoryMiB += mebibytes(s.memory) * copies;
    }
    return { release: r.release, cpuMillis, memoryMiB };
  });
}

export { MONITORING_NAMESPACE };
/**
 * Labels the Prometheus Operator puts on every Prometheus server pod (pkg/prometheus: the
 * StatefulSet's pod template carries `app.kubernetes.io/name: prometheus`): the pods every
 * namespace admits to be scraped.
 */
export const PROMETHEUS_POD_LABELS = { "app.kubernetes.io/name": "prometheus" } as const;
/**
 * node-exporter's own namespace: it needs hostNetwork, hostPID and hostPath mounts, which
 * only the `privileged` Pod Security level admits; keeping it apart lets `monitoring`
 * stay `baseline`.
 */
export const NODE_EXPORTER_NAMESPACE = "monitoring-node-exporter";

/** In-cluster names and ports other components (and the datasources) reach. */
export const ENDPOINTS = {
  /** The collector Service (`fullnameOverride`), also Istio's tracing provider target. */
  collector: { service: OTEL_COLLECTOR.service, grpc: OTEL_COLLECTOR.grpcPort, http: OTEL_COLLECTOR.httpPort, prometheus: 8889 },
  /** kps names its Prometheus Service `<fullname>-prometheus`; fullname is the release name. */
  prometheus: { service: "kube-prometheus-stack-prometheus", port: 9090 },
  /** Loki's Monolithic Service is the chart fullname, i.e. the release name. */
  loki: { service: "loki", port: 3100 },
  /** Jaeger's all-in-one Service is the chart fullname, i.e. the release name. */
  jaeger: { service: "jaeger", otlpGrpc: 4317, otlpHttp: 4318, ui: 16686 },
  /** The Grafana Operator names a Grafana's Service `<cr name>-service`. */
  grafana: { service: "grafana-service", port: 3000 },
} as const;

/** `http://<service>.<namespace>.svc:<port>`. */
export function serviceUrl(service: string, port: number, namespace = MONITORING_NAMESPACE): string {
  return `http://${service}.${namespace}.svc:${port}`;
}
