import type { LabelSelector, PolicyPort } from "../../lib/netpol";
import { tcpPort as tcp } from "../../lib/netpol";
import { OIDC_PROXY } from "../auth";
import type { IngressFlow, NamespaceIngress } from "../namespace-ingress";
import { acmeSolverFlow, apiServerFlow } from "../namespace-ingress";
import { GRAFANA_POD_LABELS } from "./grafana";
import { ENDPOINTS, PROMETHEUS_POD_LABELS } from "./settings";

/*
 * Who reaches what in `monitoring`. Prometheus, Alertmanager, Loki and Jaeger have no login,
 * and Grafana behind its sign-in proxy trusts the proxy's identity header: so no pod of the
 * namespace reaches another by default (`sameNamespace: false`), and each flow is named:
 *
 * | pods                  | port(s)               | from                                                   |
 * |-----------------------|-----------------------|--------------------------------------------------------|
 * | Prometheus            | 9090                  | Grafana (datasource), KEDA's operator (Prometheus triggers) |
 * | Alertmanager          | 9093, 9094 (cluster)  | Prometheus; the other Alertmanagers                    |
 * | the collector         | 4317, 4318 (OTLP)     | any (every workload and mesh proxy sends telemetry)    |
 * | Loki                  | 3100                  | the collector (OTLP logs), Grafana (queries)           |
 * | Loki                  | 3100, 7946, 9095      | Loki (its components, also through its own Service)    |
 * | Jaeger                | 4317, 4318            | the collector (traces)                                 |
 * | Jaeger                | 16686                 | Grafana (queries)                                      |
 * | Grafana               | 3000                  | its operator (the API it reconciles through); the sign-in proxy, or without one the ingress controller |
 * | sign-in proxy         | 4180                  | the ingress controller                                 |
 * | Prometheus Operator   | 10250                 | any (the API server calls its admission webhook)       |
 * | ACME HTTP-01 solvers  | 8089                  | the ingress controller                                 |
 *
 * Prometheus scrapes every pod here but Grafana (which has no ServiceMonitor and trusts a
 * header). The kubelet's probes come from the node, which Cilium always admits.
 */

/** Pods of each workload in `monitoring`, by the labels their charts (or operators) give them. */
export const MONITORING_PODS = {
  prometheus: { ...PROMETHEUS_POD_LABELS },
  /** prometheus-operator pkg/alertmanager: `app.kubernetes.io/name: alertmanager`. */
  alertmanager: { "app.kubernetes.io/name": "alertmanager" },
  /** kube-prometheus-stack templates/prometheus-operator/deployment.yaml: `app: <fullname>-operator`. */
  prometheusOperator: { app: "kube-prometheus-stack-operator" },
  /** opentelemetry-collector chart: `app.kubernetes.io/name: opentelemetry-collector` plus the release. */
  collector: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": ENDPOINTS.collector.service },
  /** loki chart, Monolithic: `app.kubernetes.io/name: loki`, component single-binary. */
  loki: { "app.kubernetes.io/name": "loki", "app.kubernetes.io/instance": "loki" },
  /** jaeger chart 4 (Jaeger v2, one pod): `app.kubernetes.io/name: jaeger`. */
  jaeger: { "app.kubernetes.io/name": "jaeger", "app.kubernetes.io/instance": "jaeger" },
  /** grafana-operator chart: `app.kubernetes.io/name: grafana-operator`. */
  grafanaOperator: { "app.kubernetes.io/name": "grafana-operator" },
  grafana: { ...GRAFANA_POD_LABELS },
} as const;

/** The Prometheus Operator's admission webhook port (kube-prometheus-stack `prometheusOperator.tls.internalPort`). */
export const PROMETHEUS_OPERATOR_WEBHOOK_PORT = 10250;

/** What `monitoring`'s ingress depends on. */
export interface MonitoringNetwork {
  /** The default ingress controller's namespace. */
  ingressNamespace: string;
  /** Grafana signs people in itself (its Ingress), or behind the OIDC proxy in this namespace. */
  grafanaSignIn: "login" | "proxy";
  /** KEDA's namespace, when KEDA runs (its operator queries Prometheus). */
  kedaNamespace?: string;
  /** The Prometheus Operator's admission webhook is enabled. */
  prometheusOperatorWebhook: boolean;
}

const sel = (labels: Record<string, string>): LabelSelector => ({ matchLabels: { ...labels } });

/** `monitoring`'s {@link NamespaceIngress}; see the module comment. Pure. */
export function monitoringIngress(n: MonitoringNetwork): NamespaceIngress {
  const P = MONITORING_PODS;
  const ports = (...p: number[]): PolicyPort[] => p.map(tcp);
  const flows: IngressFlow[] = [
    {
      name: "prometheus-queries",
      to: sel(P.prometheus),
      from: [{ pods: sel(P.grafana) }, ...(n.kedaNamespace ? [{ namespace: n.kedaNamespace, pods: sel({ "app.kubernetes.io/name": "keda-operator" }) }] : [])],
      ports: ports(ENDPOINTS.prometheus.port),
      why: "Grafana's Prometheus datasource, and KEDA's operator evaluating Prometheus triggers.",
    },
    {
      name: "alertmanager",
      to: sel(P.alertmanager),
      from: [{ pods: sel(P.prometheus) }, { pods: sel(P.alertmanager) }],
      ports: [tcp(9093), tcp(9094), { protocol: "UDP", port: 9094 }],
      why: "Prometheus sends alerts to Alertmanager (9093); Alertmanagers gossip with each other (9094).",
    },
    {
      name: "otlp",
      to: sel(P.collector),
      from: "any",
      ports: ports(ENDPOINTS.collector.grpc, ENDPOINTS.collector.http),
      why: "Every workload and the mesh's proxies send traces, metrics and logs to the collector over OTLP.",
    },
    {
      name: "loki",
      to: sel(P.loki),
      from: [{ pods: sel(P.collector) }, { pods: sel(P.grafana) }],
      ports: ports(ENDPOINTS.loki.port),
      why: "The collector pushes logs to Loki's OTLP endpoint; Grafana's Loki datasource queries it.",
    },
    {
      name: "loki-peers",
      to: sel(P.loki),
      from: { pods: sel(P.loki) },
      ports: ports(ENDPOINTS.loki.port, 7946, 9095),
      why: "Loki's components call each other (HTTP, gRPC and the memberlist ring), within one pod or between pods.",
    },
    {
      name: "jaeger-otlp",
      to: sel(P.jaeger),
      from: { pods: sel(P.collector) },
      ports: ports(ENDPOINTS.jaeger.otlpGrpc, ENDPOINTS.jaeger.otlpHttp),
      why: "The collector exports traces to Jaeger over OTLP.",
    },
    {
      name: "jaeger-queries",
      to: sel(P.jaeger),
      from: { pods: sel(P.grafana) },
      ports: ports(ENDPOINTS.jaeger.ui),
      why: "Grafana's Jaeger datasource queries Jaeger's query API.",
    },
    {
      name: "grafana",
      to: sel(P.grafana),
      from: [{ pods: sel(P.grafanaOperator) }, n.grafanaSignIn === "proxy" ? { pods: sel(OIDC_PROXY.podLabels) } : { namespace: n.ingressNamespace }],
      ports: ports(ENDPOINTS.grafana.port),
      why:
        n.grafanaSignIn === "proxy"
          ? "The Grafana Operator reconciles datasources and dashboards through Grafana's API; the sign-in proxy forwards signed-in users."
          : "The Grafana Operator reconciles datasources and dashboards through Grafana's API; the ingress controller serves Grafana's login.",
    },
    ...(n.grafanaSignIn === "proxy"
      ? [
          {
            name: "grafana-sign-in",
            to: sel(OIDC_PROXY.podLabels),
            from: { namespace: n.ingressNamespace },
            ports: ports(OIDC_PROXY.containerPort),
            why: "The ingress controller forwards grafana.<domain> to the OIDC sign-in proxy.",
          },
        ]
      : []),
    ...(n.prometheusOperatorWebhook
      ? [
          apiServerFlow(
            "prometheus-operator-webhook",
            P.prometheusOperator,
            [PROMETHEUS_OPERATOR_WEBHOOK_PORT],
            "The API server calls the Prometheus Operator's admission webhook (PrometheusRule and Alertmanager config validation).",
          ),
        ]
      : []),
    acmeSolverFlow(n.ingressNamespace),
  ];
  return {
    sameNamespace: false,
    scraped: { matchExpressions: [{ key: "app", operator: "NotIn", values: [GRAFANA_POD_LABELS.app] }] },
    flows,
  };
}

/** The OpenTelemetry Operator's namespace: the API server calls its webhook (collector and instrumentation CRs, pod injection). */
export const OTEL_OPERATOR_INGRESS: NamespaceIngress = {
  flows: [apiServerFlow("webhook", { "app.kubernetes.io/name": "opentelemetry-operator" }, [9443], "The API server calls the OpenTelemetry Operator's admission and conversion webhooks.")],
};
