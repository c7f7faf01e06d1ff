import type { Values } from "../../lib/merge";
import { ENDPOINTS, NODE_EXPORTER_NAMESPACE, resources, SIZING, type ObservabilitySettings } from "./settings";

/** What the kube-prometheus-stack values depend on. */
export interface KubePrometheusStackInput {
  prometheus: ObservabilitySettings["prometheus"];
  profile: "dev" | "prod";
  /** The StorageLayer's default StorageClass, for Prometheus' volumeClaimTemplate. */
  storageClass: string;
  /** kind runs the control plane's metrics endpoints on 127.0.0.1: nothing to scrape. */
  clusterMode: "kind" | "existing";
  /** True when Cilium replaces kube-proxy: there is no kube-proxy to scrape. */
  kubeProxyReplaced: boolean;
}

/**
 * Values for kube-prometheus-stack 88.5.3 (keys checked against that tag's values.yaml).
 *
 * CRDs: the chart ships them in its `crds` subchart's `crds/` directory (the Prometheus
 * CRD alone is ~830 KB). Helm installs `crds/` before the templates with a plain create
 * (helm v3 `pkg/action/install.go` `installCRDs` → `KubeClient.Create`), not a client-side
 * apply, so no `kubectl.kubernetes.io/last-applied-configuration` annotation is written and
 * the 256 KiB annotation limit that breaks `kubectl apply` of these CRDs never applies.
 * The flip side: Helm never upgrades `crds/`; before bumping the chart's major version,
 * apply the new CRDs server-side (or enable `crds.upgradeJob`).
 */
export function renderKubePrometheusStackValues(input: KubePrometheusStackInput): Values {
  const size = SIZING[input.profile];
  const onKind = input.clusterMode === "kind";
  return {
    // Grafana comes from the Grafana Operator (a `Grafana` CR), not the bundled subchart.
    grafana: { enabled: false },
    alertmanager: size.alertmanager
      ? { enabled: true, alertmanagerSpec: { resources: resources(size.alertmanager) } }
      : { enabled: false },
    prometheusOperator: { resources: resources(size.prometheusOperator) },
    prometheus: {
      prometheusSpec: {
        // Nil selectors would otherwise mean "only objects labelled release=kube-prometheus-stack":
        // false makes Prometheus pick up every chart's ServiceMonitors, PodMonitors, rules,
        // probes and ScrapeConfigs in every namespace.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
        retention: input.prometheus.retention,
        resources: resources(size.prometheus),
        storageSpec: {
          volumeClaimTemplate: {
            spec: {
              storageClassName: input.storageClass,
              accessModes: ["ReadWriteOnce"],
              resources: { requests: { storage: input.prometheus.storageSize } },
            },
          },
        },
      },
    },
    "kube-state-metrics": { resources: resources(size.kubeStateMetrics) },
    "prometheus-node-exporter": {
      namespaceOverride: NODE_EXPORTER_NAMESPACE,
      resources: resources(size.nodeExporter),
    },
    kubeControllerManager: { enabled: !onKind },
    kubeScheduler: { enabled: !onKind },
    kubeEtcd: { enabled: !onKind },
    kubeProxy: { enabled: !input.kubeProxyReplaced },
  };
}

/** The ServiceMonitor that scrapes the collector's `prometheus` exporter (:8889). */
export function collectorServiceMonitor(namespace: string): Values {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: { name: "otel-collector", namespace, labels: { "app.kubernetes.io/part-of": "agent-platform" } },
    spec: {
      selector: {
        matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": ENDPOINTS.collector.service },
      },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: "http-prom", interval: "30s", honorLabels: true }],
    },
  };
}
