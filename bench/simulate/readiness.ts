import { CHARTS, type ChartKey } from "../../components/catalog";
import { TYPES } from "../../tools/types";

/*
 * How long each resource takes to become ready in a simulated deploy, in seconds. Helm
 * releases dominate: the figures are typical first installs on a warm node (images pulled
 * once, rollouts waited for, hooks run), rounded. Custom resources that Pulumi waits on
 * (Ready/Healthy conditions) carry their controllers' reconcile time. They are estimates
 * for comparing schedules, not predictions of a given cluster.
 */

/**
 * Seconds until each chart's release is ready (Pulumi waits for every workload). Keys are
 * catalog keys; a chart missing here is simulated at {@link DEFAULT_RELEASE_SECONDS} and
 * listed under the bench's table, and test/bench/readiness.test.ts names it.
 */
export const RELEASE_SECONDS: Partial<Record<ChartKey, number>> = {
  cilium: 90,
  istioBase: 5,
  istiod: 60,
  istioGateway: 45,
  istioCni: 45,
  linkerdCrds: 5,
  linkerdControlPlane: 90,
  linkerdCni: 45,
  contour: 60,
  ingressNginx: 60,
  certManager: 60,
  kyverno: 90,
  crossplane: 60,
  rookCeph: 60,
  rookCephCluster: 300,
  // Driver and OperatorConfig CRs and their RBAC, no pods: Helm waits for nothing (the CSI operator starts the plugins after).
  cephCsiDrivers: 10,
  minioOperator: 45,
  minioTenant: 120,
  longhorn: 180,
  keda: 45,
  kedaHttpAddon: 45,
  knativeOperator: 45,
  otelOperator: 45,
  otelCollector: 30,
  // Ten CRDs, 4.5 MB of YAML (prometheuses alone 830 KB) and no pods: Helm waits only for
  // each to be Established. Twice istio base's figure for a payload many times its size.
  prometheusOperatorCrds: 10,
  // Operator (with its admission-webhook certificate hook jobs), kube-state-metrics,
  // node-exporter and a Prometheus StatefulSet that waits for its volume to bind; its CRDs
  // are no longer part of it.
  kubePrometheusStack: 180,
  grafanaOperator: 45,
  loki: 90,
  jaeger: 30,
  gpuOperator: 300,
  // One small stateless Deployment (two replicas in prod) with no hooks and no CRDs: readiness is its /ready probe.
  oauth2Proxy: 20,
  ollamaFleetOperator: 30,
  // One operator Deployment (two replicas in prod) behind its webhook Service, CRDs in the chart: like the other small operators.
  cloudnativePg: 45,
};

/**
 * Seconds for a release whose chart has no figure above (a new layer's, or a chart outside
 * the catalog): the common figure of a small operator, one Deployment with a webhook and its
 * CRDs (cert-manager, Contour, the OpenTelemetry operator take 45 to 60). An estimate of an
 * estimate, so the bench prints the charts that used it.
 */
export const DEFAULT_RELEASE_SECONDS = 60;

/** Seconds for other resource kinds, by Pulumi type (or kind suffix). */
export const RESOURCE_SECONDS: Record<string, number> = {
  "command:local:Command": 1,
  "kind:create": 90,
  "kubernetes:yaml/v2:ConfigFile": 5,
  Provider: 90, // a Crossplane package until Healthy
  Function: 45,
  KnativeServing: 120,
  Grafana: 60,
  ClusterIssuer: 5,
  Certificate: 15,
  Ingress: 10,
  CephObjectStoreUser: 30,
  ObjectBucketClaim: 20,
  default: 1,
};

const BY_CHART = new Map<string, ChartKey>(Object.entries(CHARTS).map(([k, p]) => [p.chart, k as ChartKey]));

/** The figure of a release's chart (by its `chart` input), undefined where it has none. */
function releaseSeconds(chart: string): number | undefined {
  const key = BY_CHART.get(chart);
  return key === undefined ? undefined : RELEASE_SECONDS[key];
}

/**
 * The charts of the Helm releases among these resources that have no figure in
 * {@link RELEASE_SECONDS} (so took {@link DEFAULT_RELEASE_SECONDS}): sorted, each once.
 */
export function chartsAtDefault(resources: readonly { type: string; inputs: Record<string, any> }[]): string[] {
  const charts = resources.filter((r) => r.type === TYPES.release && releaseSeconds(String(r.inputs.chart)) === undefined).map((r) => String(r.inputs.chart));
  return [...new Set(charts)].sort();
}

/** Simulated seconds to create one resource. Components and providers take none. */
export function simulatedSeconds(type: string, inputs: Record<string, any>): number {
  if (type.startsWith("pulumi:providers:") || !type.includes(":") || type.startsWith("platform:")) return 0;
  if (type === TYPES.release) return releaseSeconds(String(inputs.chart)) ?? DEFAULT_RELEASE_SECONDS;
  if (type === "command:local:Command" && String(inputs.create ?? "").includes("kind create cluster")) return RESOURCE_SECONDS["kind:create"];
  if (type in RESOURCE_SECONDS) return RESOURCE_SECONDS[type];
  const kind = type.split(":").at(-1)!;
  if (type.startsWith("kubernetes:") && kind in RESOURCE_SECONDS) return RESOURCE_SECONDS[kind];
  if (type.startsWith("tls:") || type.startsWith("random:")) return 0;
  return RESOURCE_SECONDS.default;
}
