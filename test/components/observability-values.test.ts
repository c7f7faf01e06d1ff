import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DATASOURCE_UIDS, ingressRequestRate, modelServingDashboard, platformDashboard, servingQueries } from "../../components/observability/dashboards";
import { datasourceSpecs, dashboardSpec, grafanaSpec } from "../../components/observability/grafana";
import { BADGER_CLAIM, jaegerConfig, renderJaegerValues } from "../../components/observability/jaeger";
import { LOKI_SCHEMA_FROM, renderLokiValues } from "../../components/observability/loki";
import { COLLECTOR_IMAGE, renderOtelCollectorValues, renderOtelOperatorValues } from "../../components/observability/otel";
import { collectorServiceMonitor, renderKubePrometheusStackValues, renderPrometheusOperatorCrdsValues } from "../../components/observability/prometheus";
import { observabilityRequests, SIZING, type ObservabilitySettings } from "../../components/observability/settings";
import { platformSchema } from "../../config/schema";
import { PROFILE_DEFAULTS } from "../../config/profiles";
import { checkRules } from "../../config/rules";

function settings(profile: "dev" | "prod"): ObservabilitySettings {
  const parsed = platformSchema.parse({ ...PROFILE_DEFAULTS[profile], domain: "agents.example.org" });
  return parsed.observability;
}

const kpsInput = {
  prometheus: settings("dev").prometheus,
  profile: "dev" as const,
  storageClass: "standard",
  clusterMode: "kind" as const,
  kubeProxyReplaced: true,
};

describe("kube-prometheus-stack values", () => {
  it("leaves the CRDs to the prometheus-operator-crds release", () => {
    assert.deepEqual((renderKubePrometheusStackValues(kpsInput) as any).crds, { enabled: false });
  });

  it("keeps the Prometheus Operator's CRDs when their release is uninstalled", () => {
    assert.deepEqual(renderPrometheusOperatorCrdsValues(), { crds: { annotations: { "helm.sh/resource-policy": "keep" } } });
  });

  it("leaves Grafana to the operator and picks up every chart's monitors", () => {
    const v = renderKubePrometheusStackValues(kpsInput) as any;
    assert.deepEqual(v.grafana, { enabled: false });
    const spec = v.prometheus.prometheusSpec;
    for (const k of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
      assert.equal(spec[`${k}SelectorNilUsesHelmValues`], false, k);
    }
  });

  it("keeps Prometheus data on a claim of the default StorageClass with the configured size and retention", () => {
    const v = renderKubePrometheusStackValues({ ...kpsInput, prometheus: { ...kpsInput.prometheus, retention: "7d", storageSize: "20Gi" }, storageClass: "ceph-block" }) as any;
    const spec = v.prometheus.prometheusSpec;
    assert.equal(spec.retention, "7d");
    assert.deepEqual(spec.storageSpec.volumeClaimTemplate.spec, {
      storageClassName: "ceph-block",
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "20Gi" } },
    });
  });

  it("moves node-exporter to its own namespace so monitoring can stay baseline", () => {
    const v = renderKubePrometheusStackValues(kpsInput) as any;
    assert.equal(v["prometheus-node-exporter"].namespaceOverride, "monitoring-node-exporter");
  });

  it("skips control-plane and kube-proxy targets that do not exist on kind with Cilium", () => {
    const kind = renderKubePrometheusStackValues(kpsInput) as any;
    assert.deepEqual([kind.kubeControllerManager.enabled, kind.kubeScheduler.enabled, kind.kubeEtcd.enabled, kind.kubeProxy.enabled], [false, false, false, false]);
    const existing = renderKubePrometheusStackValues({ ...kpsInput, clusterMode: "existing", kubeProxyReplaced: false }) as any;
    assert.deepEqual([existing.kubeControllerManager.enabled, existing.kubeScheduler.enabled, existing.kubeEtcd.enabled, existing.kubeProxy.enabled], [true, true, true, true]);
  });

  it("runs Alertmanager in prod only", () => {
    assert.deepEqual((renderKubePrometheusStackValues(kpsInput) as any).alertmanager, { enabled: false });
    assert.equal((renderKubePrometheusStackValues({ ...kpsInput, profile: "prod" }) as any).alertmanager.enabled, true);
  });

  it("scrapes the collector's prometheus exporter port through a ServiceMonitor", () => {
    const sm = collectorServiceMonitor("monitoring") as any;
    assert.equal(sm.kind, "ServiceMonitor");
    assert.deepEqual(sm.spec.selector.matchLabels, { "app.kubernetes.io/name": "opentelemetry-collector", "app.kubernetes.io/instance": "otel-collector" });
    assert.equal(sm.spec.endpoints[0].port, "http-prom");
  });
});

describe("OpenTelemetry values", () => {
  const all = renderOtelCollectorValues({ profile: "dev", loki: true, jaeger: true }) as any;

  it("runs the contrib image as a Deployment named otel-collector", () => {
    assert.equal(all.mode, "deployment");
    assert.deepEqual(all.image, { repository: "otel/opentelemetry-collector-contrib", tag: "0.158.0" });
    assert.equal(all.fullnameOverride, "otel-collector");
  });

  it("exports logs with otlp_http to Loki's /otlp and traces with otlp_grpc to Jaeger", () => {
    assert.deepEqual(Object.keys(all.config.exporters).sort(), ["otlp_grpc/jaeger", "otlp_http/loki", "prometheus"]);
    assert.equal(all.config.exporters["otlp_http/loki"].endpoint, "http://loki.monitoring.svc:3100/otlp");
    assert.equal(all.config.exporters["otlp_grpc/jaeger"].endpoint, "jaeger.monitoring.svc:4317");
    assert.equal(all.config.exporters.prometheus.endpoint, "${env:MY_POD_IP}:8889");
    const p = all.config.service.pipelines;
    assert.deepEqual([p.metrics.exporters, p.logs.exporters, p.traces.exporters], [["prometheus"], ["otlp_http/loki"], ["otlp_grpc/jaeger"]]);
    for (const pipe of Object.values(p) as any[]) assert.deepEqual(pipe.receivers, ["otlp"]);
  });

  it("uses no removed or deprecated exporter names", () => {
    for (const v of [all, renderOtelCollectorValues({ profile: "prod", loki: false, jaeger: false })] as any[]) {
      const names = [...Object.keys(v.config.exporters), ...Object.values(v.config.service.pipelines).flatMap((p: any) => p.exporters)];
      for (const n of names) {
        assert.ok(!/^(loki|jaeger|otlp|otlphttp)(\/|$)/.test(n), `exporter ${n} is removed or deprecated`);
      }
    }
  });

  it("sends nothing to Loki or Jaeger when they are not installed", () => {
    const v = renderOtelCollectorValues({ profile: "dev", loki: false, jaeger: false }) as any;
    assert.deepEqual(Object.keys(v.config.exporters), ["prometheus"]);
    assert.deepEqual(v.config.service.pipelines.logs.exporters, ["debug"]);
    assert.deepEqual(v.config.service.pipelines.traces.exporters, ["debug"]);
  });

  it("names Service ports grpc-*/http-* for Istio and exposes the exporter on 8889", () => {
    const open = Object.entries(all.ports as Record<string, any>).filter(([, p]) => p.enabled);
    assert.deepEqual(open.map(([n, p]) => [n, p.servicePort]), [["grpc-otlp", 4317], ["http-otlp", 4318], ["http-prom", 8889]]);
    for (const [n] of open) assert.match(n, /^(grpc|http)-/);
    for (const closed of ["otlp", "otlp-http", "jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin"]) assert.equal(all.ports[closed].enabled, false);
  });

  it("sets requests and a memory limit (the chart derives GOMEMLIMIT from it)", () => {
    assert.deepEqual(all.resources, { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } });
  });

  it("has the operator's webhooks certified by cert-manager and its collectors on the contrib image", () => {
    const v = renderOtelOperatorValues("dev") as any;
    assert.deepEqual(v.admissionWebhooks.certManager, { enabled: true });
    assert.deepEqual(v.admissionWebhooks.autoGenerateCert, { enabled: false });
    assert.deepEqual(v.manager.collectorImage, { ...COLLECTOR_IMAGE });
  });
});

describe("Loki values", () => {
  const v = renderLokiValues({ loki: { enabled: true, storageSize: "5Gi", values: {} }, profile: "dev", storageClass: "standard" }) as any;

  it("runs one Monolithic replica on the filesystem, without auth, caches or MinIO", () => {
    assert.equal(v.deploymentMode, "Monolithic");
    assert.equal(v.singleBinary.replicas, 1);
    // The chart's validate.yaml fails the render while a simple scalable target keeps replicas.
    for (const target of ["backend", "read", "write"]) assert.equal(v[target].replicas, 0, target);
    assert.equal(v.loki.auth_enabled, false);
    assert.equal(v.loki.storage.type, "filesystem");
    assert.equal(v.loki.commonConfig.replication_factor, 1);
    assert.deepEqual([v.chunksCache.enabled, v.resultsCache.enabled, v.minio.enabled], [false, false, false]);
  });

  it("declares a tsdb v13 schema from a fixed date (the chart refuses to render without one)", () => {
    assert.deepEqual(v.loki.schemaConfig.configs, [
      { from: LOKI_SCHEMA_FROM, store: "tsdb", object_store: "filesystem", schema: "v13", index: { prefix: "loki_index_", period: "24h" } },
    ]);
    assert.match(LOKI_SCHEMA_FROM, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(v.loki.useTestSchema, undefined);
  });

  it("persists on the default StorageClass with the configured size, sized per profile", () => {
    assert.deepEqual(v.singleBinary.persistence, { enabled: true, size: "5Gi", storageClass: "standard" });
    const prod = renderLokiValues({ loki: { enabled: true, storageSize: "100Gi", values: {} }, profile: "prod", storageClass: "ceph-block" }) as any;
    assert.equal(v.singleBinary.resources.requests.memory, "256Mi");
    assert.equal(prod.singleBinary.resources.requests.memory, "1Gi");
  });
});

describe("Jaeger values", () => {
  it("keeps traces in memory in dev, bounded, with no volume", () => {
    const v = renderJaegerValues({ jaeger: settings("dev").jaeger, profile: "dev" }) as any;
    assert.deepEqual(v.userconfig.extensions.jaeger_storage.backends.traces, { memory: { max_traces: 20000 } });
    assert.equal(v.jaeger.extraVolumes, undefined);
  });

  it("keeps traces in badger on the claim in prod, with the configured retention", () => {
    const jaeger = settings("prod").jaeger;
    assert.equal(jaeger.storage, "badger");
    const v = renderJaegerValues({ jaeger, profile: "prod" }) as any;
    const store = v.userconfig.extensions.jaeger_storage.backends.traces.badger;
    assert.deepEqual(store.directories, { keys: "/badger/keys", values: "/badger/values" });
    assert.equal(store.ttl.spans, "168h");
    assert.deepEqual(v.jaeger.extraVolumes, [{ name: "badger", persistentVolumeClaim: { claimName: BADGER_CLAIM } }]);
  });

  it("is a complete v2 config: OTLP on 4317/4318, UI on 16686, health on 13133", () => {
    const c = jaegerConfig(settings("dev").jaeger) as any;
    assert.deepEqual(c.service.extensions, ["jaeger_storage", "jaeger_query", "healthcheckv2"]);
    assert.deepEqual(c.service.pipelines.traces, { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] });
    assert.equal(c.receivers.otlp.protocols.grpc.endpoint, "0.0.0.0:4317");
    assert.equal(c.receivers.otlp.protocols.http.endpoint, "0.0.0.0:4318");
    assert.equal(c.extensions.jaeger_query.http.endpoint, "0.0.0.0:16686");
    assert.equal(c.extensions.healthcheckv2.http.endpoint, "0.0.0.0:13133");
    assert.equal(c.exporters.jaeger_storage_exporter.trace_storage, c.extensions.jaeger_query.storage.traces);
  });
});

describe("Grafana", () => {
  it("creates a datasource per installed backend, Prometheus the default", () => {
    const all = datasourceSpecs({ prometheus: true, loki: true, jaeger: true });
    assert.deepEqual(all.map((d) => [d.role, (d.spec as any).datasource.type, (d.spec as any).datasource.url, (d.spec as any).datasource.isDefault]), [
      ["prometheus", "prometheus", "http://kube-prometheus-stack-prometheus.monitoring.svc:9090", true],
      ["loki", "loki", "http://loki.monitoring.svc:3100", undefined],
      ["jaeger", "jaeger", "http://jaeger.monitoring.svc:16686", undefined],
    ]);
    assert.deepEqual(datasourceSpecs({ prometheus: true, loki: false, jaeger: false }).map((d) => d.role), ["prometheus"]);
    assert.deepEqual(datasourceSpecs({ prometheus: false, loki: false, jaeger: true }).map((d) => d.role), ["jaeger"]);
    for (const d of all) assert.equal((d.spec as any).uid, DATASOURCE_UIDS[d.role]);
  });

  it("reads admin credentials from the Secret, never from the spec", () => {
    const spec = grafanaSpec("grafana.agents.example.org", "dev") as any;
    assert.equal(spec.disableDefaultAdminSecret, true);
    const env = spec.deployment.spec.template.spec.containers[0].env;
    assert.deepEqual(env.map((e: any) => [e.name, e.valueFrom.secretKeyRef.name]), [
      ["GF_SECURITY_ADMIN_USER", "grafana-admin"],
      ["GF_SECURITY_ADMIN_PASSWORD", "grafana-admin"],
    ]);
    assert.ok(!JSON.stringify(spec).includes("admin_password"));
    assert.equal(spec.config.server.root_url, "https://grafana.agents.example.org");
  });
});

function exprs(d: { panels: Record<string, unknown>[] }): string[] {
  return d.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr as string));
}

function balanced(s: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    if (quoted) continue;
    if ("([{".includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0 && !quoted;
}

describe("dashboards", () => {
  const dashboards = [platformDashboard("contour"), ...(["istio", "linkerd", "none"] as const).map(modelServingDashboard)];

  it("are valid JSON with uniquely numbered panels, each with a non-empty query", () => {
    for (const d of dashboards) {
      const parsed = JSON.parse((dashboardSpec(d) as any).json);
      assert.ok(parsed.panels.length >= 4, d.title);
      assert.deepEqual(parsed.panels.map((p: any) => p.id), parsed.panels.map((_: unknown, i: number) => i + 1));
      for (const p of parsed.panels) {
        assert.ok(p.targets.length > 0 && p.targets.every((t: any) => t.expr.trim().length > 0), p.title);
        assert.equal(p.datasource.uid, "prometheus");
      }
    }
  });

  it("have balanced PromQL with rate windows on counters", () => {
    for (const e of dashboards.flatMap(exprs)) {
      assert.ok(balanced(e), e);
      if (/_total\b|_count\b|_bucket\b|_seconds_total/.test(e) && !/kube_/.test(e)) assert.match(e, /(rate|increase)\(/, e);
    }
  });

  it("cover cluster CPU and memory, restarts, ingress and per-namespace usage", () => {
    const d = platformDashboard("contour");
    assert.equal(d.title, "Platform");
    const all = exprs(d).join("\n");
    for (const m of ["container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "kube_pod_container_status_restarts_total", "envoy_http_downstream_rq_total", "sum by (namespace)"]) {
      assert.ok(all.includes(m), m);
    }
    assert.match(ingressRequestRate("nginx"), /nginx_ingress_controller_requests/);
  });

  it("measure model serving through the mesh in use, plus GPU utilisation and replicas", () => {
    assert.match(servingQueries("istio").rate, /istio_requests_total/);
    assert.match(servingQueries("linkerd").p95, /response_latency_ms_bucket/);
    assert.match(servingQueries("none").rate, /http_server_request_duration_seconds_count/);
    const d = modelServingDashboard("istio");
    assert.equal(d.title, "Model serving");
    const all = exprs(d).join("\n");
    assert.ok(all.includes("DCGM_FI_DEV_GPU_UTIL"));
    assert.ok(all.includes("kube_statefulset_status_replicas_ready"));
  });

  it("render byte-identically for identical input", () => {
    assert.equal(JSON.stringify(modelServingDashboard("linkerd")), JSON.stringify(modelServingDashboard("linkerd")));
    assert.equal((dashboardSpec(platformDashboard("contour")) as any).json, (dashboardSpec(platformDashboard("contour")) as any).json);
  });
});

describe("footprint", () => {
  it("reports the dev requests per release, well inside the 4 CPU / 8 GiB dev budget", () => {
    const r = observabilityRequests(settings("dev"), "dev");
    assert.deepEqual(r.map((x) => x.release), ["kube-prometheus-stack", "opentelemetry-operator", "otel-collector", "loki", "jaeger", "grafana-operator", "grafana"]);
    const cpu = r.reduce((a, x) => a + x.cpuMillis, 0);
    const mem = r.reduce((a, x) => a + x.memoryMiB, 0);
    assert.equal(cpu, 400);
    assert.equal(mem, 1272);
    assert.ok(cpu <= 1000 && mem <= 2048, `${cpu}m / ${mem}Mi`);
  });

  it("counts only enabled releases and one node-exporter per node", () => {
    const s = settings("prod");
    const r = observabilityRequests({ ...s, loki: { ...s.loki, enabled: false }, jaeger: { ...s.jaeger, enabled: false } }, "prod", 3);
    assert.ok(!r.some((x) => x.release === "loki" || x.release === "jaeger"));
    const kps = r.find((x) => x.release === "kube-prometheus-stack")!;
    assert.equal(kps.cpuMillis, 100 + 500 + 50 + 50 + 3 * 50);
    assert.equal(SIZING.prod.alertmanager?.cpu, "50m");
  });
});

describe("observability config", () => {
  it("gives the prod profile a badger Jaeger and keeps dev in memory", () => {
    assert.equal(settings("prod").jaeger.storage, "badger");
    assert.equal(settings("dev").jaeger.storage, "memory");
  });

  it("rejects a Grafana admin password when Grafana is disabled", () => {
    const c = platformSchema.parse({ ...PROFILE_DEFAULTS.dev, domain: "localhost" });
    c.observability.grafana.enabled = false;
    assert.ok(
      checkRules(c, { grafanaAdminPassword: "long-enough-password" }).includes(
        "platform:grafanaAdminPassword: set, but observability.grafana.enabled is false; remove the secret or enable Grafana",
      ),
    );
    c.observability.grafana.enabled = true;
    assert.ok(!checkRules(c, { grafanaAdminPassword: "long-enough-password" }).some((e) => e.startsWith("platform:grafanaAdminPassword")));
  });
});
