/*
 * Names the whole platform shares: the label on what it creates, the annotation Pulumi waits
 * on, where the observability backends run and the collector's address. The one place each
 * is spelled. Imports nothing, so every module (components, config, scripts, bench, tests)
 * can use it without an import cycle.
 */

/** Key of the label on every object the platform creates itself (`app.kubernetes.io/part-of`). */
export const PART_OF_LABEL = "app.kubernetes.io/part-of";
/** The platform's name: the value of {@link PART_OF_LABEL}. */
export const PLATFORM_NAME = "agent-platform";
/** `app.kubernetes.io/part-of: agent-platform`, as labels to spread. */
export const PART_OF = { [PART_OF_LABEL]: PLATFORM_NAME } as const;

/**
 * The annotation with which pulumi-kubernetes (4.18 and later) waits for a custom resource:
 * `condition=<type>` or `jsonpath={...}=<value>`, as `kubectl wait --for` takes it.
 */
export const WAIT_FOR_ANNOTATION = "pulumi.com/waitFor";

/** Annotations that make Pulumi wait for `expression` ({@link WAIT_FOR_ANNOTATION}). */
export function waitFor(expression: string): Record<string, string> {
  return { [WAIT_FOR_ANNOTATION]: expression };
}

/** Wait for the resource's `Ready` condition: created means ready, not just stored. */
export const WAIT_READY = { [WAIT_FOR_ANNOTATION]: "condition=Ready" } as const;
/** Wait for the resource's `Healthy` condition (Crossplane packages). */
export const WAIT_HEALTHY = { [WAIT_FOR_ANNOTATION]: "condition=Healthy" } as const;

/** Namespace of the observability backends (and the Grafana Operator). */
export const MONITORING_NAMESPACE = "monitoring";

/**
 * The OpenTelemetry collector's Service, created by the observability layer (its
 * `fullnameOverride`) in {@link MONITORING_NAMESPACE}: Istio's tracing provider and every
 * SDK send OTLP there.
 */
export const OTEL_COLLECTOR = { service: "otel-collector", namespace: MONITORING_NAMESPACE, grpcPort: 4317, httpPort: 4318 } as const;
/** Fully qualified host of {@link OTEL_COLLECTOR}. */
export const OTEL_COLLECTOR_HOST = `${OTEL_COLLECTOR.service}.${OTEL_COLLECTOR.namespace}.svc.cluster.local`;
/** `host:port` of the collector's OTLP/gRPC receiver. */
export const OTEL_COLLECTOR_OTLP_GRPC = `${OTEL_COLLECTOR_HOST}:${OTEL_COLLECTOR.grpcPort}`;
