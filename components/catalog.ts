/**
 * Every chart the platform installs, pinned: repository, chart, exact version, namespace,
 * and the Kubernetes versions the chart declares it supports. Bumping a chart is a one-line
 * diff here, and a stack preview shows it as that release's version change.
 *
 * `kube` is the chart's own `kubeVersion` constraint or its documented support matrix
 * (Istio: istioctl's minimum; Knative: knative.dev/pkg's minimum; KEDA, cert-manager,
 * Rook, ingress-nginx: their tested matrices), as `[min, max]` minor versions, `max`
 * inclusive, null where nothing is declared. The preflight intersects them all.
 */

import { MONITORING_NAMESPACE } from "./platform-names";

/** A pinned Helm chart. */
export interface ChartPin {
  /** Helm repository URL; empty for OCI charts and charts in this repository. */
  readonly repo: string;
  /** Chart name, `oci://` reference, or a path relative to the project root. */
  readonly chart: string;
  /** Exact chart version. */
  readonly version: string;
  /** Namespace the release goes into. */
  readonly namespace: string;
  /** Supported Kubernetes minor versions, inclusive; null where the chart declares no bound. */
  readonly kube: readonly [min: string | null, max: string | null];
}

// prettier-ignore
export const CHARTS = {
  cilium:              { repo: "https://helm.cilium.io", chart: "cilium", version: "1.20.2", namespace: "kube-system", kube: ["1.21", null] },
  istioBase:           { repo: "https://istio-release.storage.googleapis.com/charts", chart: "base", version: "1.30.5", namespace: "istio-system", kube: ["1.32", null] },
  istiod:              { repo: "https://istio-release.storage.googleapis.com/charts", chart: "istiod", version: "1.30.5", namespace: "istio-system", kube: ["1.32", null] },
  istioGateway:        { repo: "https://istio-release.storage.googleapis.com/charts", chart: "gateway", version: "1.30.5", namespace: "istio-ingress", kube: ["1.32", null] },
  istioCni:            { repo: "https://istio-release.storage.googleapis.com/charts", chart: "cni", version: "1.30.5", namespace: "kube-system", kube: ["1.32", null] },
  linkerdCrds:         { repo: "https://helm.linkerd.io/edge", chart: "linkerd-crds", version: "2026.8.3", namespace: "linkerd", kube: ["1.31", null] },
  linkerdControlPlane: { repo: "https://helm.linkerd.io/edge", chart: "linkerd-control-plane", version: "2026.8.3", namespace: "linkerd", kube: ["1.31", null] },
  linkerdCni:          { repo: "https://helm.linkerd.io/edge", chart: "linkerd2-cni", version: "2026.8.3", namespace: "linkerd-cni", kube: ["1.31", null] },
  contour:             { repo: "https://projectcontour.github.io/helm-charts/", chart: "contour", version: "0.7.0", namespace: "projectcontour", kube: [null, null] },
  ingressNginx:        { repo: "https://kubernetes.github.io/ingress-nginx", chart: "ingress-nginx", version: "4.15.1", namespace: "ingress-nginx", kube: ["1.31", "1.35"] },
  certManager:         { repo: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.2", namespace: "cert-manager", kube: ["1.33", "1.36"] },
  kyverno:             { repo: "https://kyverno.github.io/kyverno/", chart: "kyverno", version: "3.9.2", namespace: "kyverno", kube: ["1.25", null] },
  crossplane:          { repo: "https://charts.crossplane.io/stable", chart: "crossplane", version: "2.4.0", namespace: "crossplane-system", kube: [null, null] },
  rookCeph:            { repo: "https://charts.rook.io/release", chart: "rook-ceph", version: "v1.20.6", namespace: "rook-ceph", kube: ["1.31", "1.36"] },
  rookCephCluster:     { repo: "https://charts.rook.io/release", chart: "rook-ceph-cluster", version: "v1.20.6", namespace: "rook-ceph", kube: ["1.31", "1.36"] },
  // Since Rook 1.20 the Ceph CSI drivers (what provisions and mounts ceph-block volumes) are Driver CRs of the
  // ceph-csi-operator that rook-ceph bundles; this chart holds them. 1.0.4 is the version rook v1.20.6's own CI installs.
  cephCsiDrivers:      { repo: "https://ceph.github.io/ceph-csi-operator", chart: "ceph-csi-drivers", version: "1.0.4", namespace: "rook-ceph", kube: [null, null] },
  minioOperator:       { repo: "https://operator.min.io", chart: "operator", version: "7.1.1", namespace: "minio-operator", kube: [null, null] },
  minioTenant:         { repo: "https://operator.min.io", chart: "tenant", version: "7.1.1", namespace: "minio-tenant", kube: [null, null] },
  longhorn:            { repo: "https://charts.longhorn.io", chart: "longhorn", version: "1.12.1", namespace: "longhorn-system", kube: ["1.25", null] },
  // Not 2.21.x yet: 2.21.0 (with HTTP add-on 0.16.0) is published, but its chart source could not be read here to check our
  // values and its tested Kubernetes range; 2.20.2 is tested on 1.33-1.35, the platform's range. Bump both lines together.
  keda:                { repo: "https://kedacore.github.io/charts", chart: "keda", version: "2.20.2", namespace: "keda", kube: ["1.33", "1.35"] },
  kedaHttpAddon:       { repo: "https://kedacore.github.io/charts", chart: "keda-add-ons-http", version: "0.15.0", namespace: "keda", kube: ["1.23", null] },
  knativeOperator:     { repo: "https://knative.github.io/operator", chart: "knative-operator", version: "1.23.0", namespace: "knative-operator", kube: ["1.34", null] },
  otelOperator:        { repo: "https://open-telemetry.github.io/opentelemetry-helm-charts", chart: "opentelemetry-operator", version: "0.122.0", namespace: "opentelemetry-operator-system", kube: ["1.24", null] },
  otelCollector:       { repo: "https://open-telemetry.github.io/opentelemetry-helm-charts", chart: "opentelemetry-collector", version: "0.170.0", namespace: MONITORING_NAMESPACE, kube: [null, null] },
  // The Prometheus Operator's CRDs on their own, so ServiceMonitor consumers need not wait for Prometheus and its volume.
  // Its appVersion must equal kube-prometheus-stack's (both Prometheus Operator v0.93.1): bump the two together.
  prometheusOperatorCrds: { repo: "https://prometheus-community.github.io/helm-charts", chart: "prometheus-operator-crds", version: "31.0.1", namespace: MONITORING_NAMESPACE, kube: ["1.16", null] },
  // 89.x over 88.x: the only breaking change is the Grafana subchart v13, which the platform disables (grafana.enabled: false);
  // the operator and CRDs are unchanged. Not 90.x yet: it moves control-plane ServiceMonitor credentials to a generated token Secret.
  kubePrometheusStack: { repo: "https://prometheus-community.github.io/helm-charts", chart: "kube-prometheus-stack", version: "89.2.4", namespace: MONITORING_NAMESPACE, kube: ["1.25", null] },
  grafanaOperator:     { repo: "", chart: "oci://ghcr.io/grafana/helm-charts/grafana-operator", version: "5.24.0", namespace: MONITORING_NAMESPACE, kube: [null, null] },
  loki:                { repo: "https://grafana-community.github.io/helm-charts", chart: "loki", version: "18.11.0", namespace: MONITORING_NAMESPACE, kube: ["1.25", null] },
  jaeger:              { repo: "https://jaegertracing.github.io/helm-charts", chart: "jaeger", version: "4.11.1", namespace: MONITORING_NAMESPACE, kube: ["1.21", null] },
  gpuOperator:         { repo: "https://helm.ngc.nvidia.com/nvidia", chart: "gpu-operator", version: "v26.7.0", namespace: "gpu-operator", kube: ["1.16", null] },
  // CloudNativePG operator 1.30.0 (the chart's appVersion); kube: docs/src/supported_releases.md at v1.30.0 supports 1.34-1.36 (1.30-1.33 tested, unsupported; chart kubeVersion >=1.29).
  cloudnativePg:       { repo: "https://cloudnative-pg.github.io/charts", chart: "cloudnative-pg", version: "0.29.0", namespace: "cnpg-system", kube: ["1.34", "1.36"] },
  // oauth2-proxy 7.15.3 (the chart's appVersion), the OIDC proxy in front of Agent Canvas (components/auth); chart kubeVersion >=1.16.0-0; its redis-ha subchart stays off (cookie sessions).
  oauth2Proxy:         { repo: "https://oauth2-proxy.github.io/manifests", chart: "oauth2-proxy", version: "10.7.0", namespace: "openhands", kube: ["1.16", null] },
  ollamaFleetOperator: { repo: "", chart: "operator/chart", version: "0.1.0", namespace: "ollama-system", kube: [null, null] },
} as const satisfies Record<string, ChartPin>;

/** Key of a pinned chart. */
export type ChartKey = keyof typeof CHARTS;

/** Versions of artifacts that are not Helm charts but are pinned the same way. */
// prettier-ignore
export const ARTIFACTS = {
  /** Gateway API CRDs (standard channel), a prerequisite of Linkerd. */
  gatewayApi:   { version: "v1.6.1", url: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.1/standard-install.yaml" },
  /** kind node image of the dev cluster (kind v0.33.0's Kubernetes 1.35 image, inside every chart's range). */
  kindNodeImage: { image: "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0", kind: "v0.33.0" },
  /** Crossplane packages (family and service providers share one version per cloud). */
  providerFamilyAws:             { package: "xpkg.crossplane.io/crossplane-contrib/provider-family-aws", version: "v2.6.0" },
  providerAwsEc2:                { package: "xpkg.crossplane.io/crossplane-contrib/provider-aws-ec2", version: "v2.6.0" },
  providerAwsEks:                { package: "xpkg.crossplane.io/crossplane-contrib/provider-aws-eks", version: "v2.6.0" },
  providerAwsIam:                { package: "xpkg.crossplane.io/crossplane-contrib/provider-aws-iam", version: "v2.6.0" },
  providerFamilyGcp:             { package: "xpkg.crossplane.io/crossplane-contrib/provider-family-gcp", version: "v3.0.0" },
  providerGcpContainer:          { package: "xpkg.crossplane.io/crossplane-contrib/provider-gcp-container", version: "v3.0.0" },
  providerFamilyAzure:           { package: "xpkg.crossplane.io/crossplane-contrib/provider-family-azure", version: "v2.7.0" },
  providerAzureContainerservice: { package: "xpkg.crossplane.io/crossplane-contrib/provider-azure-containerservice", version: "v2.7.0" },
  functionPatchAndTransform:     { package: "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform", version: "v0.10.8" },
} as const;

/** A Kubernetes minor version as [major, minor]. */
export function parseMinor(v: string): [number, number] {
  const m = /^v?(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`"${v}" is not a Kubernetes version (expected e.g. v1.35.1 or 1.35)`);
  return [Number(m[1]), Number(m[2])];
}

function cmpMinor(a: string, b: string): number {
  const [am, an] = parseMinor(a);
  const [bm, bn] = parseMinor(b);
  return am !== bm ? am - bm : an - bn;
}

/** The range every given chart supports, and which chart sets each bound. */
export interface KubeRange {
  min: string | null;
  max: string | null;
  limitedBy: { min?: string; max?: string };
}

/**
 * The Kubernetes minor versions every given chart supports: the latest minimum and the
 * earliest maximum. Throws when the charts share no version.
 */
export function supportedKubeRange(pins: readonly ChartPin[]): KubeRange {
  const range: KubeRange = { min: null, max: null, limitedBy: {} };
  for (const p of pins) {
    const [lo, hi] = p.kube;
    if (lo !== null && (range.min === null || cmpMinor(lo, range.min) > 0)) {
      range.min = lo;
      range.limitedBy.min = `${p.chart} ${p.version}`;
    }
    if (hi !== null && (range.max === null || cmpMinor(hi, range.max) < 0)) {
      range.max = hi;
      range.limitedBy.max = `${p.chart} ${p.version}`;
    }
  }
  if (range.min !== null && range.max !== null && cmpMinor(range.min, range.max) > 0) {
    throw new Error(
      `the pinned charts share no Kubernetes version: ${range.limitedBy.min} needs >= ${range.min}, ${range.limitedBy.max} supports <= ${range.max}`,
    );
  }
  return range;
}

function describe(range: KubeRange): string {
  return `${range.min ?? "any"} to ${range.max ?? "any"}`;
}

/**
 * Checks a server version (`v1.35.1`, `v1.33.4-eks-1234`) against the range; returns an
 * error message naming the version, the range and the charts that bound it, or undefined.
 */
export function checkKubeVersion(serverVersion: string, pins: readonly ChartPin[]): string | undefined {
  const range = supportedKubeRange(pins);
  const [maj, min] = parseMinor(serverVersion);
  const v = `${maj}.${min}`;
  if (range.min !== null && cmpMinor(v, range.min) < 0) {
    return `Kubernetes ${serverVersion} is older than the pinned charts support: need ${describe(range)} (minimum set by ${range.limitedBy.min}); upgrade the cluster`;
  }
  if (range.max !== null && cmpMinor(v, range.max) > 0) {
    return `Kubernetes ${serverVersion} is newer than the pinned charts support: need ${describe(range)} (maximum set by ${range.limitedBy.max}); bump the charts in components/catalog.ts or use an older cluster`;
  }
  return undefined;
}
