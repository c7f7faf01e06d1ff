import { childNames } from "./names";
import { fleetLabels, ownerReference } from "./labels";
import { isRequestMetric, OLLAMA_PORT, type OllamaFleet, type RequestMetricType, type ScalingMetric } from "./api/v1alpha1";
import { type Mesh, withDefaults } from "./types";

/*
 * KEDA objects for a fleet with `spec.scaling`. Ollama exports no request metrics, so the
 * request signal comes from the mesh's sidecar metrics in Prometheus (Istio, Linkerd) or,
 * without a mesh, from the KEDA HTTP add-on's interceptor (an HTTPScaledObject; clients
 * must then reach the fleet through the interceptor for scale-from-zero to work).
 * Concurrency is estimated with Little's law: the rate of summed request durations is the
 * mean number of requests in flight.
 */

/** A KEDA ScaledObject (keda.sh/v1alpha1) or HTTPScaledObject (http.keda.sh/v1alpha1). */
export interface ScalingObject {
  apiVersion: "keda.sh/v1alpha1" | "http.keda.sh/v1alpha1";
  kind: "ScaledObject" | "HTTPScaledObject";
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences: ReturnType<typeof ownerReference>[] };
  spec: Record<string, unknown>;
}

/** Every kind `desiredScaling` may return: the reconciler deletes the unwanted ones. */
export const SCALING_KINDS = [
  { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject" },
  { apiVersion: "http.keda.sh/v1alpha1", kind: "HTTPScaledObject" },
] as const;

/**
 * The kind of scaler a fleet's scaling gets, or undefined without scaling: a ScaledObject,
 * except without a mesh and with a request metric, where it is an HTTPScaledObject.
 */
export function scalerKind(scaling: { metrics: readonly { type: string }[] } | undefined, mesh: Mesh): ScalingObject["kind"] | undefined {
  if (!scaling) return undefined;
  return mesh === "none" && scaling.metrics.some((m) => isRequestMetric(m.type)) ? "HTTPScaledObject" : "ScaledObject";
}

/** PromQL for a request metric of a fleet behind a mesh. */
export function requestQuery(mesh: Exclude<Mesh, "none">, type: RequestMetricType, name: string, namespace: string): string {
  if (mesh === "istio") {
    const sel = `destination_service_name="${name}",destination_service_namespace="${namespace}",reporter="destination"`;
    return type === "requestsPerSecond" ? `sum(rate(istio_requests_total{${sel}}[1m]))` : `sum(rate(istio_request_duration_milliseconds_sum{${sel}}[1m])) / 1000`;
  }
  const sel = `direction="inbound",namespace="${namespace}",statefulset="${name}"`;
  return type === "requestsPerSecond" ? `sum(rate(request_total{${sel}}[1m]))` : `sum(rate(response_latency_ms_sum{${sel}}[1m])) / 1000`;
}

function trigger(m: ScalingMetric, mesh: Mesh, prometheusUrl: string, name: string, namespace: string, index: number): Record<string, unknown> {
  const id = `${m.type.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-${index}`;
  switch (m.type) {
    case "cpu":
    case "memory":
      return { type: m.type, name: id, metricType: "Utilization", metadata: { value: m.target } };
    case "prometheus":
      return { type: "prometheus", name: id, metadata: { serverAddress: prometheusUrl, query: m.query ?? "", threshold: m.target } };
    default:
      if (mesh === "none") throw new Error(`${m.type} without a mesh is served by an HTTPScaledObject`);
      return { type: "prometheus", name: id, metadata: { serverAddress: prometheusUrl, query: requestQuery(mesh, m.type, name, namespace), threshold: m.target } };
  }
}

/**
 * The scaler a fleet needs, or undefined without `spec.scaling`: a ScaledObject, except
 * without a mesh and with a request metric, where it is an HTTPScaledObject. Assumes a
 * validated fleet (validate.ts rejects combinations this cannot express).
 */
export function desiredScaling(fleet: OllamaFleet, opts: { mesh: Mesh; prometheusUrl: string }): ScalingObject | undefined {
  const spec = withDefaults(fleet.spec);
  if (!spec.scaling) return undefined;
  const { name, namespace } = fleet.metadata;
  const metadata = { name: childNames(name, namespace).scaledObject, namespace, labels: fleetLabels(name), ownerReferences: [ownerReference(fleet)] };
  const scaling = spec.scaling;
  const request = scaling.metrics.find((m) => isRequestMetric(m.type));
  if (scalerKind(scaling, opts.mesh) === "HTTPScaledObject" && request) {
    const host = childNames(name, namespace).host;
    return {
      apiVersion: "http.keda.sh/v1alpha1",
      kind: "HTTPScaledObject",
      metadata,
      spec: {
        hosts: [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, host],
        replicas: { min: scaling.minReplicas, max: scaling.maxReplicas },
        scaleTargetRef: { apiVersion: "apps/v1", kind: "StatefulSet", name, service: name, port: OLLAMA_PORT },
        scaledownPeriod: scaling.cooldownSeconds,
        scalingMetric:
          request.type === "requestsPerSecond"
            ? { requestRate: { granularity: "1s", targetValue: Number(request.target), window: "1m" } }
            : { concurrency: { targetValue: Number(request.target) } },
      },
    };
  }
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "StatefulSet", name },
      minReplicaCount: scaling.minReplicas,
      maxReplicaCount: scaling.maxReplicas,
      cooldownPeriod: scaling.cooldownSeconds,
      pollingInterval: 15,
      triggers: scaling.metrics.map((m, i) => trigger(m, opts.mesh, opts.prometheusUrl, name, namespace, i)),
    },
  };
}
