import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS, type ChartPin } from "../catalog";
import type { CertificatesLayer, ClusterLayer, IngressLayer, MeshLayer, NetworkLayer, ObservabilityLayer, StorageLayer } from "../contracts";
import type { Values } from "../../lib/merge";
import { platformNamespace, platformRelease } from "../helm";
import { OTEL_COLLECTOR_OTLP_GRPC } from "../platform-names";
import { tlsIngress } from "../ingress/tls-ingress";
import { modelServingDashboard, platformDashboard } from "./dashboards";
import { ADMIN_SECRET, dashboardSpec, datasourceSpecs, folderSpec, FOLDER, GRAFANA_API, GRAFANA_NAME, grafanaSpec, INSTANCE_LABELS, type GrafanaSignIn, renderGrafanaOperatorValues } from "./grafana";
import { badgerClaim, renderJaegerValues } from "./jaeger";
import { renderLokiValues } from "./loki";
import { monitoringIngress, OTEL_OPERATOR_INGRESS } from "./netpol";
import { renderOtelCollectorValues, renderOtelOperatorValues } from "./otel";
import { collectorServiceMonitor, renderKubePrometheusStackValues, renderPrometheusOperatorCrdsValues } from "./prometheus";
import { ENDPOINTS, MONITORING_NAMESPACE, NODE_EXPORTER_NAMESPACE, serviceUrl, type ObservabilitySettings } from "./settings";

export { modelServingDashboard, platformDashboard } from "./dashboards";
export { datasourceSpecs, GRAFANA_POD_LABELS, type GrafanaSignIn } from "./grafana";
export { renderJaegerValues } from "./jaeger";
export { renderLokiValues } from "./loki";
export { MONITORING_PODS, monitoringIngress } from "./netpol";
export { EXPORTERS, renderOtelCollectorValues, renderOtelOperatorValues } from "./otel";
export { renderKubePrometheusStackValues, renderPrometheusOperatorCrdsValues } from "./prometheus";
export { ENDPOINTS, MONITORING_NAMESPACE, observabilityRequests, SIZING, type ObservabilitySettings, type ReleaseRequests } from "./settings";

/** Arguments of {@link Observability}. */
export interface ObservabilityArgs {
  cluster: ClusterLayer;
  network: NetworkLayer;
  /** Read for its kind only (which metrics measure model traffic); nothing waits for it. */
  mesh: MeshLayer;
  ingress: IngressLayer;
  certificates: CertificatesLayer;
  storage: StorageLayer;
  /** `platform:observability`. */
  settings: ObservabilitySettings;
  /** `platform:profile`: selects the sizing. */
  profile: "dev" | "prod";
  /** `platform:domain`: Grafana is served at `grafana.<domain>`. */
  domain: string;
  /** kind clusters expose no controller-manager, scheduler or etcd metrics. */
  clusterMode: "kind" | "existing";
  /** True when Cilium replaces kube-proxy (nothing to scrape). */
  kubeProxyReplaced: boolean;
  /** `platform:grafanaAdminPassword` (secret); a random one is generated when absent. */
  adminPassword?: pulumi.Output<string>;
  /**
   * How people sign in to Grafana ({@link GrafanaSignIn}). Defaults to its own login form,
   * with an Ingress at `grafana.<domain>`; with a proxy, the caller puts the proxy (and its
   * Ingress at that host) in front of {@link ENDPOINTS}.grafana and this layer adds no Ingress.
   */
  grafanaSignIn?: GrafanaSignIn;
  /**
   * Keep the data (prod). Defaults to false (dev: a destroy removes everything). When set:
   * the Prometheus and Loki releases and Jaeger's badger PVC are `protect`ed, their
   * StatefulSets keep their PVCs when deleted or scaled down, and the `monitoring` namespace
   * is `retainOnDelete` (deleting it would delete every PVC in it). When false, those
   * StatefulSets delete their PVCs with them; when unset, they render no retention policy
   * (Kubernetes keeps the PVCs), and nothing is protected.
   */
  protectData?: boolean;
  /** KEDA's namespace when KEDA runs: its operator may query Prometheus (netpol.ts). */
  kedaNamespace?: string;
}

/**
 * Metrics, logs and traces: the Prometheus Operator's CRDs (`prometheus-operator-crds`),
 * kube-prometheus-stack (Prometheus and its operator), the OpenTelemetry operator and a
 * collector (`otel-collector.monitoring`), Loki, Jaeger, and Grafana through the Grafana
 * Operator with datasources and dashboards as CRs, served at `grafana.<domain>`. Each part
 * installs only when enabled. `ready` is the CRD release alone: other layers'
 * ServiceMonitors need the CRDs, not Prometheus (which waits for its volume).
 */
export class Observability extends pulumi.ComponentResource implements ObservabilityLayer {
  /** The prometheus-operator-crds release; empty when Prometheus is disabled. */
  public readonly ready: pulumi.Resource[];
  /** Every Helm release of the layer, by release name. */
  public readonly releases: Record<string, k8s.helm.v3.Release> = {};
  /** `https://grafana.<domain>`, when Grafana is enabled. */
  public readonly grafanaUrl?: string;
  /** Grafana's admin password (secret), when Grafana is enabled. */
  public readonly grafanaAdminPassword?: pulumi.Output<string>;
  /** In-cluster Prometheus URL (for KEDA and other consumers), when Prometheus is enabled. */
  public readonly prometheusUrl?: string;
  /** In-cluster Jaeger UI URL, when Jaeger is enabled (not exposed: the UI has no login). */
  public readonly jaegerUrl?: string;
  /** OTLP/gRPC endpoint of the collector, when OpenTelemetry is enabled. */
  public readonly otlpEndpoint?: string;
  /** The `monitoring` namespace, when any backend is enabled (a sign-in proxy for Grafana goes there). */
  public readonly namespace?: k8s.core.v1.Namespace;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:observability:Observability", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    const anyBackend = s.prometheus.enabled || s.otel.enabled || s.loki.enabled || s.jaeger.enabled || s.grafana.enabled;
    const ns = anyBackend ? this.monitoringNamespace(name, args) : undefined;
    this.namespace = ns;

    const prometheus = ns && s.prometheus.enabled ? this.prometheus(name, args, ns) : undefined;
    this.ready = prometheus ? [prometheus.crds] : [];
    this.prometheusUrl = prometheus?.url;
    if (ns && s.otel.enabled) this.otlpEndpoint = this.otel(name, args, ns, prometheus?.crds);
    if (ns && s.loki.enabled) this.loki(name, args, ns);
    if (ns && s.jaeger.enabled) this.jaegerUrl = this.jaeger(name, args, ns);
    if (ns && s.grafana.enabled) {
      const grafana = this.grafana(name, args, ns);
      this.grafanaUrl = grafana.url;
      this.grafanaAdminPassword = grafana.adminPassword;
    }

    this.registerOutputs({
      releases: Object.fromEntries(Object.entries(this.releases).map(([k, r]) => [k, r.status])),
      grafanaUrl: this.grafanaUrl,
      grafanaAdminPassword: this.grafanaAdminPassword,
      prometheusUrl: this.prometheusUrl,
      jaegerUrl: this.jaegerUrl,
      otlpEndpoint: this.otlpEndpoint,
    });
  }

  /**
   * `monitoring`, out of the mesh: Prometheus scrapes meshed and unmeshed pods alike over
   * plain HTTP, and the collector receives spans from the mesh's own proxies. It holds
   * Prometheus', Loki's and Jaeger's volumes: a destroy in prod leaves it (and them) in the
   * cluster. Its ingress: netpol.ts.
   */
  private monitoringNamespace(name: string, args: ObservabilityArgs): k8s.core.v1.Namespace {
    return platformNamespace(
      `${name}-namespace`,
      {
        name: MONITORING_NAMESPACE,
        podSecurity: "baseline",
        ingress: monitoringIngress({
          ingressNamespace: args.ingress.namespace,
          grafanaSignIn: args.grafanaSignIn?.kind ?? "login",
          kedaNamespace: args.kedaNamespace,
          prometheusOperatorWebhook: args.settings.prometheus.enabled,
        }),
      },
      this,
      { retainOnDelete: args.protectData ?? false },
    );
  }

  /** The Prometheus Operator's CRDs (what ServiceMonitor consumers wait for), then kube-prometheus-stack. */
  private prometheus(name: string, args: ObservabilityArgs, ns: k8s.core.v1.Namespace): { crds: k8s.helm.v3.Release; url: string } {
    const s = args.settings.prometheus;
    // CRDs only, no pods: nothing to wait for but the namespace that holds the release.
    const crds = this.release(`${name}-prometheus-operator-crds`, {
      releaseName: "prometheus-operator-crds",
      pin: CHARTS.prometheusOperatorCrds,
      namespace: ns,
      values: renderPrometheusOperatorCrdsValues(),
      overrides: {},
      dependsOn: [],
      takeOwnership: true,
    });
    // node-exporter runs on the host network, which NetworkPolicy does not govern; nothing else runs here.
    const nodeNs = platformNamespace(`${name}-node-exporter-namespace`, { name: NODE_EXPORTER_NAMESPACE, podSecurity: "privileged", ingress: {} }, this);
    const values = renderKubePrometheusStackValues({
      prometheus: s,
      profile: args.profile,
      storageClass: args.storage.defaultStorageClass,
      clusterMode: args.clusterMode,
      kubeProxyReplaced: args.kubeProxyReplaced,
      // Unset (no protectData): no policy, which Kubernetes treats as Retain.
      retainVolumes: args.protectData,
    });
    // Holds the Prometheus CR: uninstalling the release deletes Prometheus' StatefulSet.
    this.release(`${name}-kube-prometheus-stack`, {
      releaseName: "kube-prometheus-stack",
      pin: CHARTS.kubePrometheusStack,
      namespace: ns,
      values,
      overrides: s.values,
      dependsOn: [...args.network.ready, ...args.storage.ready, nodeNs, crds],
      protect: args.protectData ?? false,
    });
    return { crds, url: serviceUrl(ENDPOINTS.prometheus.service, ENDPOINTS.prometheus.port) };
  }

  /** The OpenTelemetry Operator in its namespace and the collector in `monitoring` (monitored once the CRDs exist); returns the OTLP endpoint. */
  private otel(name: string, args: ObservabilityArgs, ns: k8s.core.v1.Namespace, crds: k8s.helm.v3.Release | undefined): string {
    const s = args.settings;
    const opNs = platformNamespace(`${name}-otel-operator-namespace`, { name: CHARTS.otelOperator.namespace, podSecurity: "baseline", ingress: OTEL_OPERATOR_INGRESS }, this);
    this.release(`${name}-otel-operator`, {
      releaseName: "opentelemetry-operator",
      pin: CHARTS.otelOperator,
      namespace: opNs,
      values: renderOtelOperatorValues(args.profile),
      overrides: s.otel.operatorValues,
      dependsOn: [...args.network.ready, ...args.certificates.webhookReady],
    });
    this.release(`${name}-otel-collector`, {
      releaseName: ENDPOINTS.collector.service,
      pin: CHARTS.otelCollector,
      namespace: ns,
      values: renderOtelCollectorValues({ profile: args.profile, loki: s.loki.enabled, jaeger: s.jaeger.enabled }),
      overrides: s.otel.values,
      dependsOn: args.network.ready,
    });
    if (crds) {
      new k8s.apiextensions.CustomResource(`${name}-collector-servicemonitor`, collectorServiceMonitor(MONITORING_NAMESPACE) as k8s.apiextensions.CustomResourceArgs, {
        parent: this,
        dependsOn: [crds],
      });
    }
    return OTEL_COLLECTOR_OTLP_GRPC;
  }

  /** Loki, monolithic, on a volume of the default class. */
  private loki(name: string, args: ObservabilityArgs, ns: k8s.core.v1.Namespace): void {
    const s = args.settings.loki;
    this.release(`${name}-loki`, {
      releaseName: "loki",
      pin: CHARTS.loki,
      namespace: ns,
      values: renderLokiValues({ loki: s, profile: args.profile, storageClass: args.storage.defaultStorageClass, retainVolumes: args.protectData }),
      overrides: s.values,
      dependsOn: [...args.network.ready, ...args.storage.ready],
      protect: args.protectData ?? false,
    });
  }

  /** Jaeger, in memory or on its own badger PVC; returns its in-cluster UI URL. */
  private jaeger(name: string, args: ObservabilityArgs, ns: k8s.core.v1.Namespace): string {
    const s = args.settings.jaeger;
    const deps: pulumi.Resource[] = [...args.network.ready];
    if (s.storage === "badger") {
      const claim = badgerClaim(MONITORING_NAMESPACE, args.storage.defaultStorageClass, s.storageSize);
      // The traces themselves; the Jaeger release only mounts it.
      deps.push(
        new k8s.core.v1.PersistentVolumeClaim(`${name}-jaeger-badger`, claim as k8s.core.v1.PersistentVolumeClaimArgs, {
          parent: this,
          dependsOn: [ns, ...args.storage.ready],
          protect: args.protectData ?? false,
        }),
      );
    }
    this.release(`${name}-jaeger`, {
      releaseName: "jaeger",
      pin: CHARTS.jaeger,
      namespace: ns,
      values: renderJaegerValues({ jaeger: s, profile: args.profile }),
      overrides: s.values,
      dependsOn: deps,
    });
    return serviceUrl(ENDPOINTS.jaeger.service, ENDPOINTS.jaeger.ui);
  }

  /**
   * The Grafana Operator, its admin Secret, a Grafana with the installed backends as
   * datasources and the platform's dashboards, and (with its own login) an Ingress at
   * `grafana.<domain>`; behind a sign-in proxy, the proxy's Ingress serves the host.
   */
  private grafana(name: string, args: ObservabilityArgs, ns: k8s.core.v1.Namespace): { url: string; adminPassword: pulumi.Output<string> } {
    const s = args.settings;
    const host = `grafana.${args.domain}`;
    const operator = this.release(`${name}-grafana-operator`, {
      releaseName: "grafana-operator",
      pin: CHARTS.grafanaOperator,
      namespace: ns,
      values: renderGrafanaOperatorValues(args.profile),
      overrides: s.grafana.values,
      dependsOn: args.network.ready,
    });
    const password = args.adminPassword ?? new random.RandomPassword(`${name}-grafana-admin-password`, { length: 24, special: false }, { parent: this }).result;
    const adminPassword = pulumi.secret(password);
    const secret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: ADMIN_SECRET, namespace: MONITORING_NAMESPACE },
        type: "Opaque",
        stringData: { GF_SECURITY_ADMIN_USER: "admin", GF_SECURITY_ADMIN_PASSWORD: adminPassword },
      },
      { parent: this, dependsOn: [ns] },
    );
    const cr = (role: string, kind: string, crName: string, spec: unknown, deps: pulumi.Resource[], labels: Record<string, string> = {}) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${role}`,
        { apiVersion: GRAFANA_API, kind, metadata: { name: crName, namespace: MONITORING_NAMESPACE, labels }, spec },
        { parent: this, dependsOn: deps },
      );
    cr("grafana", "Grafana", GRAFANA_NAME, grafanaSpec(host, args.profile, args.grafanaSignIn), [operator, secret], { ...INSTANCE_LABELS });
    for (const ds of datasourceSpecs({ prometheus: s.prometheus.enabled, loki: s.loki.enabled, jaeger: s.jaeger.enabled })) {
      cr(`datasource-${ds.role}`, "GrafanaDatasource", ds.role, ds.spec, [operator]);
    }
    cr("folder", "GrafanaFolder", FOLDER.name, folderSpec(), [operator]);
    cr("dashboard-platform", "GrafanaDashboard", "platform", dashboardSpec(platformDashboard(args.ingress.className)), [operator]);
    cr("dashboard-model-serving", "GrafanaDashboard", "model-serving", dashboardSpec(modelServingDashboard(args.mesh.kind)), [operator]);
    if ((args.grafanaSignIn?.kind ?? "login") === "login") {
      tlsIngress(
        `${name}-grafana-ingress`,
        { namespace: MONITORING_NAMESPACE, name: "grafana", host, service: { name: ENDPOINTS.grafana.service, port: ENDPOINTS.grafana.port } },
        args.certificates,
        args.ingress,
        this,
      );
    }
    return { url: `https://${host}`, adminPassword };
  }

  /**
   * A release of this layer, recorded in {@link releases}; `dependsOn` lists its only edges,
   * `protect` is set on the releases whose workloads hold data (prod).
   */
  private release(
    resourceName: string,
    r: {
      releaseName: string;
      pin: ChartPin;
      namespace: k8s.core.v1.Namespace;
      values: Values;
      overrides: Values;
      dependsOn: pulumi.Resource[];
      takeOwnership?: boolean;
      protect?: boolean;
    },
  ): k8s.helm.v3.Release {
    const { protect, ...args } = r;
    const release = platformRelease(resourceName, args, { parent: this, protect: protect ?? false });
    this.releases[r.releaseName] = release;
    return release;
  }
}
