import type { PlatformConfig } from "../config/schema";
import { enabled as autoscaling, httpAddonEnabled } from "./autoscaling";
import { CHARTS, type ChartKey, type ChartPin } from "./catalog";
import { enabled as crossplane } from "./crossplane";
import { enabled as database } from "./database";
import { enabled as gpu } from "./gpu";
import { minioEnabled } from "./object-storage";
import { signInEnabled } from "./openhands";
import { enabled as serverless } from "./serverless";

/**
 * The charts a stack installs, in catalog order. Pure: the preflight checks the cluster
 * against exactly these, and the `charts` stack output reports them. An optional layer's
 * charts follow its module's `enabled(config)`, the same test index.ts builds it by.
 */
export function selectedCharts(c: PlatformConfig): ChartKey[] {
  const on: Record<ChartKey, boolean> = {
    cilium: c.networking.cilium.enabled,
    istioBase: c.mesh.istio.enabled,
    istiod: c.mesh.istio.enabled,
    istioGateway: c.mesh.istio.enabled,
    istioCni: c.mesh.istio.enabled,
    linkerdCrds: c.mesh.linkerd.enabled,
    linkerdControlPlane: c.mesh.linkerd.enabled,
    linkerdCni: c.mesh.linkerd.enabled,
    contour: c.ingress.contour.enabled,
    ingressNginx: c.ingress.ingressNginx.enabled,
    certManager: true,
    kyverno: true,
    crossplane: crossplane(c),
    rookCeph: c.storage.rookCeph.enabled,
    rookCephCluster: c.storage.rookCeph.enabled,
    cephCsiDrivers: c.storage.rookCeph.enabled,
    minioOperator: minioEnabled(c),
    minioTenant: minioEnabled(c),
    longhorn: c.storage.longhorn.enabled,
    keda: autoscaling(c),
    kedaHttpAddon: httpAddonEnabled(c),
    knativeOperator: serverless(c),
    otelOperator: c.observability.otel.enabled,
    otelCollector: c.observability.otel.enabled,
    prometheusOperatorCrds: c.observability.prometheus.enabled,
    kubePrometheusStack: c.observability.prometheus.enabled,
    grafanaOperator: c.observability.grafana.enabled,
    loki: c.observability.loki.enabled,
    jaeger: c.observability.jaeger.enabled,
    // The GPU Operator runs where GPU pools exist; the fleet operator always (fleets are config).
    gpuOperator: gpu(c),
    ollamaFleetOperator: true,
    // Postgres for the OpenHands sandbox server, when it is configured to use one.
    cloudnativePg: database(c),
    // The OIDC proxy in front of the agent UI, when configured (prod).
    oauth2Proxy: signInEnabled(c),
  };
  return (Object.keys(CHARTS) as ChartKey[]).filter((k) => on[k]);
}

/** The pins of the selected charts. */
export function selectedPins(c: PlatformConfig): ChartPin[] {
  return selectedCharts(c).map((k) => CHARTS[k]);
}

/** `{ "<chart>": "<version>" }` for the stack output, keyed by chart name. */
export function chartVersions(keys: readonly ChartKey[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [CHARTS[k].chart.replace(/^oci:\/\/.*\//, ""), CHARTS[k].version]));
}
