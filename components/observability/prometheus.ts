import type { Values } from "../../lib/merge";
import { PART_OF } from "../platform-names";
import { claimRetention, ENDPOINTS, NODE_EXPORTER_NAMESPACE, resources, SIZING, type ObservabilitySettings } from "./settings";

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
  /**
   * Keep Prometheus' volume when its StatefulSet is deleted or scaled down (prod: true) or
   * delete it with it (dev: false), through the Prometheus CR's
   * `persistentVolumeClaimRetentionPolicy`. Unset: none (Kubernetes then keeps it).
   */
  retainVolumes?: boolean;
}

/**
 * Values for prometheus-operator-crds 31.0.1 (Prometheus Operator v0.93.1's ten CRDs, as
 * templates of its `crds` subchart; `crds.annotations` lands on every CRD).
 *
 * Unlike kube-prometheus-stack's `crds/` directory, templates are part of the release: Helm
 * upgrades them with the chart (a bump of this pin is the CRD upgrade, before
 * kube-prometheus-stack, which waits for this release) and would delete them on uninstall,
 * and with them every ServiceMonitor, PodMonitor, PrometheusRule and Prometheus in the
 * cluster. `helm.sh/resource-policy: keep` makes Helm leave them instead, as cert-manager's
 * `crds.keep` does.
 *
 * Stacks created before this release existed have these CRDs from kube-prometheus-stack's
 * `crds/`, which Helm creates without ownership labels or annotations (and never deletes, so
 * turning `crds.enabled` off there keeps them). Helm refuses to install a release over
 * objects it does not own, so the release takes ownership (`takeOwnership`, Helm's
 * `--take-ownership`): the chart's only objects are these CRDs. Helm v3 creates and patches
 * them from the client without a `last-applied-configuration` annotation, so the 256 KiB
 * annotation limit that breaks `kubectl apply` of the Prometheus CRD (~830 KB) does not
 * apply and no server-side apply is needed.
 */
export function renderPrometheusOperatorCrdsValues(): Values {
  return { crds: { annotations: { "helm.sh/resource-policy": "keep" } } };
}

/**
 * Values for kube-prometheus-stack 89.2.4 (keys checked against 88.5.3's values.yaml; the
 * 88.5.3 to 89.2.4 notes change no key used here, and the operator stays v0.93.1).
 *
 * CRDs: `crds.enabled: false` (the condition of its `crds` subchart): the
 * prometheus-operator-crds release owns them, so two releases never claim the same objects.
 */
export function renderKubePrometheusStackValues(input: KubePrometheusStackInput): Values {
  const size = SIZING[input.profile];
  const onKind = input.clusterMode === "kind";
  return {
    // The prometheus-operator-crds release installs and upgrades them (renderPrometheusOperatorCrdsValues).
    crds: { enabled: false },
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
        ...(input.retainVolumes === undefined ? {} : { persistentVolumeClaimRetentionPolicy: claimRetention(input.retainVolumes) }),
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
    metadata: { name: "otel-collector", namespace, labels: { ...PART_OF } },
    spec: {
      selector: {
        matchLabels: { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": ENDPOINTS.collector.service },
      },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: "http-prom", interval: "30s", honorLabels: true }],
    },
  };
}
