/*
 * What each chart the platform installs runs, and where its CPU and memory requests come
 * from: the chart's own defaults, read from its values.yaml (or templates, or the
 * operator's code for pods an operator creates) at the pinned version, and the values
 * paths that override them. Jobs (hooks, cert generators, post-install jobs) are left out:
 * they finish and release their requests. Init containers are left out too: a pod's
 * request is max(init, sum of containers), and every init container here asks for no
 * more than its pod's containers do.
 *
 * `version` is the pin an entry was read for. Bumping a chart in components/catalog.ts does
 * not need it moved: until the entry is re-read and its `version` set to the new pin, the
 * bench counts it as read and lists it under the footprint table as an estimate
 * (footprint.ts `stale`). Sources are git tags of the upstream repositories.
 */
import type { ChartKey } from "../../components/catalog";

/** Where a workload's pods come from. */
export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet";

/** CPU and memory requests as Kubernetes quantities. */
export interface Requests {
  readonly cpu?: string;
  readonly memory?: string;
}

/** One container and the values paths that set its requests. */
export interface ContainerEntry {
  readonly name: string;
  /** Values paths of the CPU request, most specific first (the first one set wins). */
  readonly cpu: readonly string[];
  /** Values paths of the memory request, most specific first. */
  readonly memory: readonly string[];
  /** The chart's (or operator's) default request; empty when it sets none. */
  readonly defaults: Requests;
  /**
   * A values block whose presence replaces the defaults wholesale (Bitnami-style
   * `resourcesPreset`: the template uses `resources` when set, else the preset).
   */
  readonly presetUnless?: string;
}

/** A condition: the workload exists only while the value at `path` is truthy. */
export interface Toggle {
  readonly path: string;
  readonly default: boolean;
}

/** One Deployment, StatefulSet or DaemonSet. */
export interface WorkloadEntry {
  readonly name: string;
  readonly kind: WorkloadKind;
  /** Replicas: the chart default and the values path that sets it (DaemonSets: per node). */
  readonly replicas: { readonly default: number; readonly path?: string };
  /** All must hold for the workload to be rendered. */
  readonly when?: readonly Toggle[];
  readonly containers: readonly ContainerEntry[];
}

/** What one chart (or operator-managed resource) runs. */
export interface InventoryEntry {
  /** The pinned version this entry was read for (the catalog's may have moved on since). */
  readonly version: string;
  /** Where the defaults were read. */
  readonly source: string;
  readonly workloads: readonly WorkloadEntry[];
}

/** A standard `resources` block at `path`. */
function k8s(path: string, defaults: Requests = {}, extra: Partial<ContainerEntry> = {}): Omit<ContainerEntry, "name"> {
  return { cpu: [`${path}.requests.cpu`], memory: [`${path}.requests.memory`], defaults, ...extra };
}

/** Linkerd's `{cpu: {request}, memory: {request}}` blocks, most specific first. */
function l5d(...paths: string[]): Omit<ContainerEntry, "name"> {
  return { cpu: paths.map((p) => `${p}.cpu.request`), memory: paths.map((p) => `${p}.memory.request`), defaults: {} };
}

const c = (name: string, spec: Omit<ContainerEntry, "name">): ContainerEntry => ({ name, ...spec });
const on = (path: string, dflt: boolean): Toggle => ({ path, default: dflt });

// The Bitnami-style "nano" preset of the contour chart (templates/_common.tpl).
const NANO = { cpu: "100m", memory: "128Mi" };
// prometheus-operator's defaults for the config-reloader sidecar when the chart passes no
// --config-reloader-* flags (Documentation/operator.md: cpu-request 10m, memory-request
// 50Mi; cpu lowered from 100m in v0.66.0).
const RELOADER = { cpu: "10m", memory: "50Mi" };

/** Charts, by catalog key. */
export const CHART_INVENTORY: Partial<Record<ChartKey, InventoryEntry>> = {
  // CRDs only: no pods.
  linkerdCrds: { version: "2026.8.3", source: "linkerd/linkerd2 edge-26.8.3 charts/linkerd-crds/templates", workloads: [] },
  cilium: {
    version: "1.20.2",
    // 1.20.2 is not in the snapshot: read at cilium/charts cilium-1.20.0.tgz values.yaml
    // (resources/replicas keys unchanged within a minor).
    source: "cilium/charts cilium-1.20.0.tgz cilium/values.yaml",
    workloads: [
      { name: "cilium", kind: "DaemonSet", replicas: { default: 1 }, containers: [c("cilium-agent", k8s("resources"))] },
      // `envoy.enabled: ~` means true for new installations.
      { name: "cilium-envoy", kind: "DaemonSet", replicas: { default: 1 }, when: [on("envoy.enabled", true)], containers: [c("cilium-envoy", k8s("envoy.resources"))] },
      { name: "cilium-operator", kind: "Deployment", replicas: { default: 2, path: "operator.replicas" }, when: [on("operator.enabled", true)], containers: [c("cilium-operator", k8s("operator.resources"))] },
      {
        name: "hubble-relay",
        kind: "Deployment",
        replicas: { default: 1, path: "hubble.relay.replicas" },
        when: [on("hubble.enabled", true), on("hubble.relay.enabled", false)],
        containers: [c("hubble-relay", k8s("hubble.relay.resources"))],
      },
      {
        name: "hubble-ui",
        kind: "Deployment",
        replicas: { default: 1, path: "hubble.ui.replicas" },
        when: [on("hubble.enabled", true), on("hubble.ui.enabled", false)],
        containers: [c("frontend", k8s("hubble.ui.frontend.resources")), c("backend", k8s("hubble.ui.backend.resources"))],
      },
    ],
  },
  linkerdControlPlane: {
    version: "2026.8.3",
    // Every *Resources value is commented out or "" by default; a control-plane proxy uses
    // <x>ProxyResources merged over proxy.resources (templates/destination.yaml and friends).
    source: "linkerd/linkerd2 edge-26.8.3 charts/linkerd-control-plane/values.yaml, templates/{destination,identity,proxy-injector}.yaml",
    workloads: [
      {
        name: "linkerd-destination",
        kind: "Deployment",
        replicas: { default: 1, path: "controllerReplicas" },
        containers: [
          c("linkerd-proxy", l5d("destinationProxyResources", "proxy.resources")),
          c("destination", l5d("destinationResources")),
          c("sp-validator", l5d("spValidatorResources")),
          c("policy", l5d("policyController.resources")),
        ],
      },
      {
        name: "linkerd-identity",
        kind: "Deployment",
        replicas: { default: 1, path: "controllerReplicas" },
        containers: [c("identity", l5d("identityResources")), c("linkerd-proxy", l5d("identityProxyResources", "proxy.resources"))],
      },
      {
        name: "linkerd-proxy-injector",
        kind: "Deployment",
        replicas: { default: 1, path: "controllerReplicas" },
        containers: [c("proxy-injector", l5d("proxyInjectorResources")), c("linkerd-proxy", l5d("proxyInjectorProxyResources", "proxy.resources"))],
      },
    ],
  },
  linkerdCni: {
    version: "2026.8.3",
    // Every resources field is "" by default (no requests). The repair controller is a second
    // container of the same DaemonSet, rendered only with repairController.enabled (default false).
    source: "linkerd/linkerd2 edge-26.8.3 charts/linkerd2-cni/values.yaml, templates/cni-plugin.yaml",
    workloads: [
      { name: "linkerd-cni", kind: "DaemonSet", replicas: { default: 1 }, containers: [c("install-cni", l5d("resources"))] },
      { name: "linkerd-cni", kind: "DaemonSet", replicas: { default: 1 }, when: [on("repairController.enabled", false)], containers: [c("repair-controller", l5d("repairController.resources"))] },
    ],
  },
  contour: {
    version: "0.7.0",
    source: "projectcontour/helm-charts contour-0.7.0 charts/contour/values.yaml (resourcesPreset: nano), templates/_common.tpl",
    workloads: [
      { name: "contour", kind: "Deployment", replicas: { default: 1, path: "contour.replicaCount" }, containers: [c("contour", k8s("contour.resources", NANO, { presetUnless: "contour.resources" }))] },
      {
        // `envoy.kind: daemonset` by default; the deployment variant would use envoy.replicaCount.
        name: "envoy",
        kind: "DaemonSet",
        replicas: { default: 1 },
        containers: [
          c("shutdown-manager", k8s("envoy.shutdownManager.resources", NANO, { presetUnless: "envoy.shutdownManager.resources" })),
          c("envoy", k8s("envoy.resources", NANO, { presetUnless: "envoy.resources" })),
        ],
      },
    ],
  },
  certManager: {
    version: "v1.21.2",
    source: "cert-manager/cert-manager v1.21.1 deploy/charts/cert-manager/values.yaml (the v1.21.2 patch's source was not readable here)",
    workloads: [
      { name: "cert-manager", kind: "Deployment", replicas: { default: 1, path: "replicaCount" }, containers: [c("cert-manager-controller", k8s("resources"))] },
      { name: "cert-manager-webhook", kind: "Deployment", replicas: { default: 1, path: "webhook.replicaCount" }, containers: [c("cert-manager-webhook", k8s("webhook.resources"))] },
      {
        name: "cert-manager-cainjector",
        kind: "Deployment",
        replicas: { default: 1, path: "cainjector.replicaCount" },
        when: [on("cainjector.enabled", true)],
        containers: [c("cert-manager-cainjector", k8s("cainjector.resources"))],
      },
    ],
  },
  kyverno: {
    version: "3.9.2",
    // `replicas: ~` renders one pod per controller.
    source: "kyverno/kyverno kyverno-chart-3.9.0 charts/kyverno/values.yaml (the 3.9.2 patch's source was not readable here)",
    workloads: [
      {
        name: "kyverno-admission-controller",
        kind: "Deployment",
        replicas: { default: 1, path: "admissionController.replicas" },
        containers: [c("kyverno", k8s("admissionController.container.resources", { cpu: "100m", memory: "128Mi" }))],
      },
      ...(["background", "cleanup", "reports"] as const).map(
        (k): WorkloadEntry => ({
          name: `kyverno-${k}-controller`,
          kind: "Deployment",
          replicas: { default: 1, path: `${k}Controller.replicas` },
          when: [on(`${k}Controller.enabled`, true)],
          containers: [c("controller", k8s(`${k}Controller.resources`, { cpu: "100m", memory: "64Mi" }))],
        }),
      ),
    ],
  },
  minioOperator: {
    version: "7.1.1",
    source: "minio/operator v7.1.1 helm/operator/values.yaml",
    workloads: [
      { name: "minio-operator", kind: "Deployment", replicas: { default: 2, path: "operator.replicaCount" }, containers: [c("operator", k8s("operator.resources", { cpu: "200m", memory: "256Mi" }))] },
    ],
  },
  minioTenant: {
    version: "7.1.1",
    // The operator builds the pool's StatefulSet: `minio` takes the pool's resources, its
    // own `sidecar` takes Tenant spec.sideCars.resources, which this chart does not expose
    // (pkg/resources/statefulsets/minio-statefulset.go). Only the first pool is counted.
    source: "minio/operator v7.1.1 helm/tenant/values.yaml, pkg/resources/statefulsets/minio-statefulset.go",
    workloads: [
      {
        name: "minio-pool-0",
        kind: "StatefulSet",
        replicas: { default: 4, path: "tenant.pools[0].servers" },
        containers: [c("minio", k8s("tenant.pools[0].resources")), c("sidecar", { cpu: [], memory: [], defaults: {} })],
      },
    ],
  },
  keda: {
    version: "2.20.2",
    source: "kedacore/charts v2.20.2 keda/values.yaml",
    workloads: [
      { name: "keda-operator", kind: "Deployment", replicas: { default: 1, path: "operator.replicaCount" }, containers: [c("keda-operator", k8s("resources.operator", { cpu: "100m", memory: "100Mi" }))] },
      {
        name: "keda-operator-metrics-apiserver",
        kind: "Deployment",
        replicas: { default: 1, path: "metricsServer.replicaCount" },
        when: [on("metricsServer.enabled", true)],
        containers: [c("keda-operator-metrics-apiserver", k8s("resources.metricServer", { cpu: "100m", memory: "100Mi" }))],
      },
      {
        name: "keda-admission-webhooks",
        kind: "Deployment",
        replicas: { default: 1, path: "webhooks.replicaCount" },
        when: [on("webhooks.enabled", true)],
        containers: [c("keda-admission-webhooks", k8s("resources.webhooks", { cpu: "100m", memory: "100Mi" }))],
      },
    ],
  },
  kedaHttpAddon: {
    version: "0.15.0",
    // The interceptor is scaled by its own ScaledObject between replicas.min and max.
    source: "kedacore/charts v2.20.2 http-add-on/values.yaml (chart 0.15.0)",
    workloads: [
      { name: "keda-add-ons-http-operator", kind: "Deployment", replicas: { default: 1, path: "operator.replicas" }, containers: [c("operator", k8s("operator.resources", { cpu: "250m", memory: "20Mi" }))] },
      { name: "keda-add-ons-http-external-scaler", kind: "Deployment", replicas: { default: 3, path: "scaler.replicas" }, containers: [c("scaler", k8s("scaler.resources", { cpu: "250m", memory: "20Mi" }))] },
      {
        name: "keda-add-ons-http-interceptor",
        kind: "Deployment",
        replicas: { default: 3, path: "interceptor.replicas.min" },
        containers: [c("interceptor", k8s("interceptor.resources", { cpu: "250m", memory: "20Mi" }))],
      },
    ],
  },
  knativeOperator: {
    version: "1.23.0",
    source: "knative/operator knative-v1.23.0 config/charts/knative-operator/values.yaml, templates/operator.yaml",
    workloads: [
      {
        name: "knative-operator",
        kind: "Deployment",
        replicas: { default: 1 },
        containers: [c("knative-operator", k8s("knative_operator.knative_operator.resources", { cpu: "100m", memory: "100Mi" }))],
      },
      {
        name: "operator-webhook",
        kind: "Deployment",
        replicas: { default: 1 },
        containers: [c("operator-webhook", k8s("knative_operator.operator_webhook.resources", { cpu: "100m", memory: "100Mi" }))],
      },
    ],
  },
  // CRDs only (templates of its crds subchart): no workloads.
  prometheusOperatorCrds: { version: "31.0.1", source: "prometheus-community/helm-charts prometheus-operator-crds-31.0.1 charts/prometheus-operator-crds/charts/crds/templates", workloads: [] },
  kubePrometheusStack: {
    version: "89.2.4",
    // Subcharts kube-state-metrics 8.4.0 and prometheus-node-exporter 4.56.1 (same repo):
    // `resources: {}`. The admission webhook Deployment and Thanos Ruler are off by default.
    // Read at 88.5.3. The 88.5.3 to 89.2.4 release notes (Grafana subchart v13, kube-state-metrics
    // 8.4.2, a certificate commonName, commented-out values) change no workload or default request
    // listed here.
    source: "prometheus-community/helm-charts kube-prometheus-stack-88.5.3 charts/kube-prometheus-stack/values.yaml",
    workloads: [
      {
        name: "prometheus-operator",
        kind: "Deployment",
        replicas: { default: 1 },
        when: [on("prometheusOperator.enabled", true)],
        containers: [c("kube-prometheus-stack", k8s("prometheusOperator.resources"))],
      },
      {
        name: "prometheus",
        kind: "StatefulSet",
        replicas: { default: 1, path: "prometheus.prometheusSpec.replicas" },
        when: [on("prometheus.enabled", true)],
        containers: [c("prometheus", k8s("prometheus.prometheusSpec.resources")), c("config-reloader", k8s("prometheusOperator.prometheusConfigReloader.resources", RELOADER))],
      },
      {
        name: "alertmanager",
        kind: "StatefulSet",
        replicas: { default: 1, path: "alertmanager.alertmanagerSpec.replicas" },
        when: [on("alertmanager.enabled", true)],
        containers: [c("alertmanager", k8s("alertmanager.alertmanagerSpec.resources")), c("config-reloader", k8s("prometheusOperator.prometheusConfigReloader.resources", RELOADER))],
      },
      {
        name: "kube-state-metrics",
        kind: "Deployment",
        replicas: { default: 1, path: "kube-state-metrics.replicas" },
        when: [on("kubeStateMetrics.enabled", true)],
        containers: [c("kube-state-metrics", k8s("kube-state-metrics.resources"))],
      },
      {
        name: "prometheus-node-exporter",
        kind: "DaemonSet",
        replicas: { default: 1 },
        when: [on("nodeExporter.enabled", true)],
        containers: [c("node-exporter", k8s("prometheus-node-exporter.resources"))],
      },
    ],
  },
  otelOperator: {
    version: "0.122.0",
    source: "open-telemetry/opentelemetry-helm-charts opentelemetry-operator-0.122.0 charts/opentelemetry-operator/values.yaml",
    workloads: [{ name: "opentelemetry-operator", kind: "Deployment", replicas: { default: 1, path: "replicaCount" }, containers: [c("manager", k8s("manager.resources"))] }],
  },
  otelCollector: {
    version: "0.170.0",
    // `mode` is required (no default); the platform renders `deployment`.
    source: "open-telemetry/opentelemetry-helm-charts opentelemetry-collector-0.170.0 charts/opentelemetry-collector/values.yaml",
    workloads: [{ name: "otel-collector", kind: "Deployment", replicas: { default: 1, path: "replicaCount" }, containers: [c("opentelemetry-collector", k8s("resources"))] }],
  },
  loki: {
    version: "18.11.0",
    // Monolithic mode: one single-binary StatefulSet with the rules sidecar
    // (singleBinary.sidecar: true, sidecar.rules.enabled: true). The gateway, canary and
    // both memcached caches are on by default.
    source: "grafana-community/helm-charts loki-18.11.0 charts/loki/values.yaml, templates/_pod.tpl",
    workloads: [
      {
        name: "loki",
        kind: "StatefulSet",
        replicas: { default: 1, path: "singleBinary.replicas" },
        containers: [c("loki", k8s("singleBinary.resources")), c("loki-sc-rules", k8s("sidecar.resources"))],
      },
      { name: "loki-gateway", kind: "Deployment", replicas: { default: 1, path: "gateway.replicas" }, when: [on("gateway.enabled", true)], containers: [c("nginx", k8s("gateway.resources"))] },
      { name: "loki-canary", kind: "DaemonSet", replicas: { default: 1 }, when: [on("lokiCanary.enabled", true)], containers: [c("loki-canary", k8s("lokiCanary.resources"))] },
      // memcached without `resources`: requests floor(1.2 x allocatedMemory) MiB and allocatedCPU
      // (8192 MB / 500m chunks, 1024 MB / 500m results; templates/memcached/_memcached-statefulset.tpl).
      { name: "loki-chunks-cache", kind: "StatefulSet", replicas: { default: 1, path: "chunksCache.replicas" }, when: [on("chunksCache.enabled", true)], containers: [c("memcached", k8s("chunksCache.resources", { cpu: "500m", memory: "9830Mi" }))] },
      { name: "loki-results-cache", kind: "StatefulSet", replicas: { default: 1, path: "resultsCache.replicas" }, when: [on("resultsCache.enabled", true)], containers: [c("memcached", k8s("resultsCache.resources", { cpu: "500m", memory: "1228Mi" }))] },
    ],
  },
  jaeger: {
    version: "4.11.1",
    source: "jaegertracing/helm-charts jaeger-4.11.1 charts/jaeger/values.yaml (jaeger.resources commented out)",
    workloads: [{ name: "jaeger", kind: "Deployment", replicas: { default: 1, path: "jaeger.replicas" }, when: [on("jaeger.enabled", true)], containers: [c("jaeger", k8s("jaeger.resources"))] }],
  },
  grafanaOperator: {
    version: "5.24.0",
    source: "grafana/grafana-operator v5.24.0 deploy/helm/grafana-operator/values.yaml",
    workloads: [{ name: "grafana-operator", kind: "Deployment", replicas: { default: 1, path: "replicas" }, containers: [c("grafana-operator", k8s("resources"))] }],
  },
  oauth2Proxy: {
    version: "10.7.0",
    // `resources: {}` by default; the redis-ha subchart (redis-ha.enabled: false) and its wait-for-redis init container are off by default.
    source: "oauth2-proxy/manifests oauth2-proxy-10.7.0 helm/oauth2-proxy/values.yaml, templates/deployment.yaml",
    workloads: [{ name: "oauth2-proxy", kind: "Deployment", replicas: { default: 1, path: "replicaCount" }, containers: [c("oauth2-proxy", k8s("resources"))] }],
  },
  ollamaFleetOperator: {
    version: "0.1.0",
    source: "operator/chart/values.yaml (this repository)",
    workloads: [{ name: "ollama-fleet-operator", kind: "Deployment", replicas: { default: 2, path: "replicas" }, containers: [c("operator", k8s("resources", { cpu: "50m", memory: "128Mi" }))] }],
  },
};

/** The chart whose operator creates each kind's pods: its pin is the version the kind's entry describes. */
export const RESOURCE_OPERATORS: Record<keyof typeof RESOURCE_INVENTORY, ChartKey> = { KnativeServing: "knativeOperator", Grafana: "grafanaOperator" };

/** Pods that operators create from custom resources the program registers, by kind. */
export const RESOURCE_INVENTORY: Record<"KnativeServing" | "Grafana", InventoryEntry> = {
  KnativeServing: {
    version: "1.23.0",
    // The operator applies every manifest of its bundled Serving release (core + hpa) and
    // of the chosen ingress; overrides go in spec.workloads[name].resources[container].
    // The activator and webhook HPAs start at minReplicas 1.
    source: "knative/operator knative-v1.23.0 cmd/operator/kodata/knative-serving/1.23.0/{2-serving-core,3-serving-hpa}.yaml, kodata/ingress/1.23/kourier/kourier.yaml",
    workloads: [
      ...(
        [
          ["activator", "300m", "60Mi"],
          ["autoscaler", "100m", "100Mi"],
          ["controller", "100m", "100Mi"],
          ["webhook", "100m", "100Mi"],
          ["autoscaler-hpa", "30m", "40Mi"],
        ] as const
      ).map(([name, cpu, memory]) => knativeWorkload(name, name, { cpu, memory })),
      knativeWorkload("net-kourier-controller", "controller", { cpu: "200m", memory: "200Mi" }, [on("ingress.kourier.enabled", false)]),
      knativeWorkload("3scale-kourier-gateway", "kourier-gateway", { cpu: "200m", memory: "200Mi" }, [on("ingress.kourier.enabled", false)]),
    ],
  },
  Grafana: {
    version: "5.24.0",
    source: "grafana/grafana-operator v5.24.0 controllers/reconcilers/grafana/deployment_reconciler.go (CPURequest 100m, MemoryRequest 256Mi)",
    workloads: [
      {
        name: "grafana-deployment",
        kind: "Deployment",
        replicas: { default: 1, path: "deployment.spec.replicas" },
        containers: [c("grafana", k8s("deployment.spec.template.spec.containers[name=grafana].resources", { cpu: "100m", memory: "256Mi" }))],
      },
    ],
  },
};

function knativeWorkload(name: string, container: string, defaults: Requests, when?: Toggle[]): WorkloadEntry {
  const at = `workloads[name=${name}].resources[container=${container}].requests`;
  return {
    name,
    kind: "Deployment",
    replicas: { default: 1, path: `workloads[name=${name}].replicas` },
    ...(when ? { when } : {}),
    containers: [c(container, { cpu: [`${at}.cpu`], memory: [`${at}.memory`], defaults })],
  };
}
