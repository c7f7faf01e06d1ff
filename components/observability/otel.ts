import type { Values } from "../../lib/merge";
import { MONITORING_NAMESPACE } from "../platform-names";
import { ENDPOINTS, resources, serviceUrl, SIZING } from "./settings";

/**
 * The contrib distribution: the only one with the `prometheus` exporter. The tag is the
 * collector version both pinned charts ship (opentelemetry-collector 0.170.0 and
 * opentelemetry-operator 0.122.0 have appVersion 0.158.0).
 */
export const COLLECTOR_IMAGE = { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" } as const;

/**
 * Exporter names. Collector v0.144.0 renamed `otlp` to `otlp_grpc` and `otlphttp` to
 * `otlp_http`, keeping the old names as deprecated aliases that log a warning
 * (opentelemetry-collector CHANGELOG "v1.50.0/v0.144.0", #14403 and #14396; at tag
 * v0.158.0 `exporter/otlpexporter` registers Type "otlp_grpc" with DeprecatedType "otlp").
 * The contrib `loki` and `jaeger` exporters are gone: Loki takes OTLP at /otlp and Jaeger
 * v2 speaks OTLP natively.
 */
export const EXPORTERS = { loki: "otlp_http/loki", jaeger: "otlp_grpc/jaeger", prometheus: "prometheus", debug: "debug" } as const;

/** Values for the opentelemetry-operator chart 0.122.0. */
export function renderOtelOperatorValues(profile: "dev" | "prod"): Values {
  return {
    manager: {
      collectorImage: { repository: COLLECTOR_IMAGE.repository, tag: COLLECTOR_IMAGE.tag },
      resources: resources(SIZING[profile].otelOperator),
    },
    admissionWebhooks: {
      // The webhook certificate comes from cert-manager (a chart-made Issuer and
      // Certificate), so the release waits for cert-manager's webhook.
      certManager: { enabled: true },
      autoGenerateCert: { enabled: false },
    },
  };
}

/** What the collector's pipelines send to. */
export interface CollectorInput {
  profile: "dev" | "prod";
  /** Ship logs to Loki (only when Loki is installed). */
  loki: boolean;
  /** Ship traces to Jaeger (only when Jaeger is installed). */
  jaeger: boolean;
}

/**
 * Values for the opentelemetry-collector chart 0.170.0: one Deployment behind the Service
 * `otel-collector`, OTLP in, metrics out on a Prometheus endpoint, logs to Loki and traces
 * to Jaeger when those are installed (otherwise into the `debug` exporter, which only
 * counts them).
 *
 * Helm merges these maps into the chart's default `config`, whose unused receivers
 * (jaeger, zipkin, prometheus self-scrape) stay defined but are not started: the contrib
 * image has them all, and deleting chart defaults with `null` does not survive every
 * Pulumi SDK (pulumi/pulumi-kubernetes#2034). Pipelines are lists, so they are replaced
 * whole.
 */
export function renderOtelCollectorValues(input: CollectorInput): Values {
  const size = SIZING[input.profile].otelCollector;
  const exporters: Values = {
    [EXPORTERS.prometheus]: {
      endpoint: `\${env:MY_POD_IP}:${ENDPOINTS.collector.prometheus}`,
      // service.name, k8s.* and other resource attributes become metric labels.
      resource_to_telemetry_conversion: { enabled: true },
    },
  };
  if (input.loki) {
    // otlp_http appends /v1/logs to the endpoint: Loki's native OTLP ingest path.
    exporters[EXPORTERS.loki] = { endpoint: `${serviceUrl(ENDPOINTS.loki.service, ENDPOINTS.loki.port)}/otlp` };
  }
  if (input.jaeger) {
    exporters[EXPORTERS.jaeger] = {
      endpoint: `${ENDPOINTS.jaeger.service}.${MONITORING_NAMESPACE}.svc:${ENDPOINTS.jaeger.otlpGrpc}`,
      tls: { insecure: true },
    };
  }
  const processors = ["memory_limiter", "batch"];
  return {
    mode: "deployment",
    // Istio's tracing provider and every SDK point at otel-collector.monitoring.svc.cluster.local.
    fullnameOverride: ENDPOINTS.collector.service,
    image: { repository: COLLECTOR_IMAGE.repository, tag: COLLECTOR_IMAGE.tag },
    replicaCount: 1,
    resources: resources(size),
    config: {
      exporters,
      service: {
        pipelines: {
          metrics: { receivers: ["otlp"], processors, exporters: [EXPORTERS.prometheus] },
          logs: { receivers: ["otlp"], processors, exporters: [input.loki ? EXPORTERS.loki : EXPORTERS.debug] },
          traces: { receivers: ["otlp"], processors, exporters: [input.jaeger ? EXPORTERS.jaeger : EXPORTERS.debug] },
        },
      },
    },
    // Istio picks the protocol from the port name prefix (`grpc-*`, `http-*`), so the
    // chart's default `otlp`/`otlp-http` ports are replaced by named ones, and the
    // Jaeger/Zipkin ingest ports nobody uses are closed.
    ports: {
      otlp: { enabled: false },
      "otlp-http": { enabled: false },
      "jaeger-compact": { enabled: false },
      "jaeger-thrift": { enabled: false },
      "jaeger-grpc": { enabled: false },
      zipkin: { enabled: false },
      "grpc-otlp": { enabled: true, containerPort: ENDPOINTS.collector.grpc, servicePort: ENDPOINTS.collector.grpc, protocol: "TCP", appProtocol: "grpc" },
      "http-otlp": { enabled: true, containerPort: ENDPOINTS.collector.http, servicePort: ENDPOINTS.collector.http, protocol: "TCP", appProtocol: "http" },
      "http-prom": {
        enabled: true,
        containerPort: ENDPOINTS.collector.prometheus,
        servicePort: ENDPOINTS.collector.prometheus,
        protocol: "TCP",
        appProtocol: "http",
      },
    },
  };
}
