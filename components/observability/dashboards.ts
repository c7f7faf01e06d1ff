/*
 * The platform's Grafana dashboards, as dashboard JSON built in code: stable uids and
 * panel ids, so the same inputs give byte-identical JSON (a second `pulumi up` is a no-op).
 * Every query reads the Prometheus datasource by its fixed uid.
 */

/** Datasource uids, fixed on the GrafanaDatasource CRs so dashboards can name them. */
export const DATASOURCE_UIDS = { prometheus: "prometheus", loki: "loki", jaeger: "jaeger" } as const;

/** A dashboard's panel as Grafana stores it (the subset the platform uses). */
export interface Panel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description: string;
  unit: string;
  /** PromQL per series, with its legend. */
  targets: { expr: string; legend: string }[];
  gridPos: { x: number; y: number; w: number; h: number };
}

/** A dashboard as Grafana's JSON model. */
export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  panels: Record<string, unknown>[];
  [key: string]: unknown;
}

type PanelSpec = Omit<Panel, "id" | "gridPos"> & { width?: number };

/** Lays panels out left to right, 24 columns per row, 8 rows high. */
function layout(specs: PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  return specs.map((s, i) => {
    const w = s.width ?? 12;
    if (x + w > 24) {
      x = 0;
      y += 8;
    }
    const panel: Panel = { id: i + 1, type: s.type, title: s.title, description: s.description, unit: s.unit, targets: s.targets, gridPos: { x, y, w, h: 8 } };
    x += w;
    return panel;
  });
}

function toJson(p: Panel): Record<string, unknown> {
  const datasource = { type: "prometheus", uid: DATASOURCE_UIDS.prometheus };
  return {
    id: p.id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource,
    gridPos: p.gridPos,
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: p.type === "stat" ? { reduceOptions: { calcs: ["lastNotNull"] } } : { legend: { displayMode: "list", placement: "bottom" } },
    targets: p.targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource, expr: t.expr, legendFormat: t.legend })),
  };
}

function dashboard(uid: string, title: string, tags: string[], panels: Panel[], templating: Record<string, unknown>[] = []): Dashboard {
  return {
    uid,
    title,
    tags,
    editable: false,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    timezone: "browser",
    templating: { list: templating },
    panels: panels.map(toJson),
  };
}

/** The ingress controller family, read off the IngressClass name, for its request metric. */
export function ingressRequestRate(className: string): string {
  if (/nginx/.test(className)) {
    return "sum by (ingress) (rate(nginx_ingress_controller_requests[5m]))";
  }
  // Contour and Istio gateways are Envoy: its HTTP connection managers count downstream requests.
  return 'sum by (envoy_http_conn_manager_prefix) (rate(envoy_http_downstream_rq_total{envoy_http_conn_manager_prefix=~"ingress_http|ingress_https"}[5m]))';
}

/** Cluster CPU and memory, restarts, ingress traffic and per-namespace usage. */
export function platformDashboard(ingressClassName: string): Dashboard {
  return dashboard(
    "platform-overview",
    "Platform",
    ["platform"],
    layout([
      {
        type: "stat",
        title: "Cluster CPU used",
        description: "CPU used by all containers, as a share of what the nodes can allocate.",
        unit: "percentunit",
        targets: [{ expr: 'sum(rate(container_cpu_usage_seconds_total{container!=""}[5m])) / sum(kube_node_status_allocatable{resource="cpu"})', legend: "cpu" }],
        width: 6,
      },
      {
        type: "stat",
        title: "Cluster memory used",
        description: "Working-set memory of all containers, as a share of what the nodes can allocate.",
        unit: "percentunit",
        targets: [{ expr: 'sum(container_memory_working_set_bytes{container!=""}) / sum(kube_node_status_allocatable{resource="memory"})', legend: "memory" }],
        width: 6,
      },
      {
        type: "timeseries",
        title: "Pod restarts (1h)",
        description: "Container restarts over the last hour, per pod; only pods that restarted.",
        unit: "short",
        targets: [{ expr: "sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total[1h])) > 0", legend: "{{namespace}}/{{pod}}" }],
      },
      {
        type: "timeseries",
        title: "Ingress request rate",
        description: "Requests per second through the default ingress controller.",
        unit: "reqps",
        targets: [{ expr: ingressRequestRate(ingressClassName), legend: "{{envoy_http_conn_manager_prefix}}{{ingress}}" }],
        width: 24,
      },
      {
        type: "timeseries",
        title: "CPU by namespace",
        description: "Cores used per namespace.",
        unit: "short",
        targets: [{ expr: 'sum by (namespace) (rate(container_cpu_usage_seconds_total{container!=""}[5m]))', legend: "{{namespace}}" }],
      },
      {
        type: "timeseries",
        title: "Memory by namespace",
        description: "Working-set memory per namespace.",
        unit: "bytes",
        targets: [{ expr: 'sum by (namespace) (container_memory_working_set_bytes{container!=""})', legend: "{{namespace}}" }],
      },
    ]),
  );
}

/** Request rate and p95 latency of the Ollama fleet, by what measures them: the mesh or the collector. */
export function servingQueries(mesh: "istio" | "linkerd" | "none"): { rate: string; p95: string; legend: string } {
  switch (mesh) {
    case "istio":
      return {
        rate: 'sum by (destination_workload) (rate(istio_requests_total{reporter="destination", destination_workload=~"$workload"}[5m]))',
        p95: 'histogram_quantile(0.95, sum by (le, destination_workload) (rate(istio_request_duration_milliseconds_bucket{reporter="destination", destination_workload=~"$workload"}[5m]))) / 1000',
        legend: "{{destination_workload}}",
      };
    case "linkerd":
      return {
        rate: 'sum by (namespace) (rate(request_total{direction="inbound", pod=~"$workload-.*"}[5m]))',
        p95: 'histogram_quantile(0.95, sum by (le, namespace) (rate(response_latency_ms_bucket{direction="inbound", pod=~"$workload-.*"}[5m]))) / 1000',
        legend: "{{namespace}}",
      };
    case "none":
      // Without a mesh, the OTel semantic-convention server histogram (exported by the
      // collector's prometheus exporter) is the signal.
      return {
        rate: 'sum by (service_name) (rate(http_server_request_duration_seconds_count{service_name=~"$workload"}[5m]))',
        p95: 'histogram_quantile(0.95, sum by (le, service_name) (rate(http_server_request_duration_seconds_bucket{service_name=~"$workload"}[5m])))',
        legend: "{{service_name}}",
      };
  }
}

/** The Ollama fleet: request rate and latency, GPU utilisation, replicas. */
export function modelServingDashboard(mesh: "istio" | "linkerd" | "none"): Dashboard {
  const q = servingQueries(mesh);
  const workload = {
    name: "workload",
    label: "Model workload (regex)",
    type: "textbox",
    query: "ollama.*",
    current: { text: "ollama.*", value: "ollama.*" },
  };
  return dashboard(
    "model-serving",
    "Model serving",
    ["platform", "ollama"],
    layout([
      { type: "timeseries", title: "Request rate", description: `Requests per second to the model servers (${mesh === "none" ? "collector" : mesh} metrics).`, unit: "reqps", targets: [{ expr: q.rate, legend: q.legend }] },
      { type: "timeseries", title: "Latency p95", description: "95th percentile request duration.", unit: "s", targets: [{ expr: q.p95, legend: q.legend }] },
      {
        type: "timeseries",
        title: "GPU utilisation",
        description: "DCGM exporter's GPU utilisation per GPU (the GPU Operator installs the exporter).",
        unit: "percent",
        targets: [{ expr: "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", legend: "{{Hostname}} gpu{{gpu}}" }],
      },
      {
        type: "timeseries",
        title: "Replicas",
        description: "Ready replicas of the model server workloads against the desired count.",
        unit: "short",
        targets: [
          // The fleet may be StatefulSets or Deployments; `or vector(0)` keeps the sum when one kind is absent.
          {
            expr: '(sum(kube_statefulset_status_replicas_ready{statefulset=~"$workload"}) or vector(0)) + (sum(kube_deployment_status_replicas_available{deployment=~"$workload"}) or vector(0))',
            legend: "ready",
          },
          {
            expr: '(sum(kube_statefulset_replicas{statefulset=~"$workload"}) or vector(0)) + (sum(kube_deployment_spec_replicas{deployment=~"$workload"}) or vector(0))',
            legend: "desired",
          },
        ],
      },
    ]),
    [workload],
  );
}
