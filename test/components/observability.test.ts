import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import type { MeshLayer } from "../../components/contracts";
import { Observability, type ObservabilitySettings } from "../../components/observability";
import { PROFILE_DEFAULTS } from "../../config/profiles";
import { platformSchema } from "../../config/schema";
import { assertExplicitKubernetesProvider, assertSchemasValid, assertUniqueNames } from "../helpers/invariants";
import { componentMarker, fakeCertificates, fakeCluster, fakeIngress, fakeMesh, fakeNetwork, fakeProvider, fakeStorage } from "../helpers/layers";
import { mockPassword, recordResources, resolveOutput, SECRET_SIG, SECRET_VALUE as SECRET_VALUE_SIG, type ProgramRun } from "../helpers/program";
import { TYPES } from "../../tools/types";

const CR = (kind: string) => `kubernetes:grafana.integreatly.org/v1beta1:${kind}`;
const FAKE = "test:fake:Layer";
const rel = (n: string) => `${TYPES.release}::obs-${n}`;
const fake = (n: string) => `${FAKE}::${n}`;


function settings(profile: "dev" | "prod", patch: (s: ObservabilitySettings) => void = () => {}): ObservabilitySettings {
  const s = platformSchema.parse({ ...PROFILE_DEFAULTS[profile], domain: "agents.example.org" }).observability;
  patch(s);
  return s;
}

interface Built {
  run: ProgramRun;
  obs: Observability;
}

async function build(profile: "dev" | "prod", s: ObservabilitySettings, extra: { adminPassword?: string; mesh?: MeshLayer["kind"] } = {}): Promise<Built> {
  let obs!: Observability;
  const run = await recordResources(async () => {
    const provider = fakeProvider("cluster-provider");
    const marker = componentMarker(FAKE);
    const layer = (n: string) => [marker(n)];
    obs = new Observability("obs", {
      cluster: fakeCluster({ provider }),
      network: fakeNetwork(layer("network")),
      mesh: fakeMesh(extra.mesh ?? "linkerd", { ready: layer("mesh") }),
      ingress: fakeIngress({ ready: layer("ingress") }),
      certificates: fakeCertificates({ ready: layer("certificates"), webhookReady: layer("cert-manager") }),
      storage: fakeStorage({ ready: layer("storage") }),
      settings: s,
      profile,
      domain: "agents.example.org",
      clusterMode: profile === "dev" ? "kind" : "existing",
      kubeProxyReplaced: true,
      adminPassword: extra.adminPassword === undefined ? undefined : pulumi.secret(extra.adminPassword),
    });
    return {};
  });
  return { run, obs };
}

describe("Observability (dev, everything on)", () => {
  let run: ProgramRun;
  let obs: Observability;
  before(async () => ({ run, obs } = await build("dev", settings("dev"))));

  it("installs each pinned chart into its namespace", () => {
    const pins = {
      "prometheus-operator-crds": CHARTS.prometheusOperatorCrds,
      "kube-prometheus-stack": CHARTS.kubePrometheusStack,
      "otel-operator": CHARTS.otelOperator,
      "otel-collector": CHARTS.otelCollector,
      loki: CHARTS.loki,
      jaeger: CHARTS.jaeger,
      "grafana-operator": CHARTS.grafanaOperator,
    };
    for (const [n, pin] of Object.entries(pins)) {
      const r = run.get(TYPES.release, `obs-${n}`);
      assert.deepEqual([r.inputs.chart, r.inputs.version, r.inputs.namespace], [pin.chart, pin.version, pin.namespace], n);
    }
    assert.equal(run.get(TYPES.release, "obs-otel-collector").inputs.name, "otel-collector");
    assert.equal(run.ofType(TYPES.release).length, 7);
  });

  it("keeps monitoring baseline and gives node-exporter a privileged namespace of its own", () => {
    const level = (n: string) => run.get("kubernetes:core/v1:Namespace", n).inputs.metadata.labels["pod-security.kubernetes.io/enforce"];
    assert.equal(run.get("kubernetes:core/v1:Namespace", "obs-namespace").inputs.metadata.name, "monitoring");
    assert.equal(level("obs-namespace"), "baseline");
    assert.equal(run.get("kubernetes:core/v1:Namespace", "obs-node-exporter-namespace").inputs.metadata.name, "monitoring-node-exporter");
    assert.equal(level("obs-node-exporter-namespace"), "privileged");
    assert.equal(run.get("kubernetes:core/v1:Namespace", "obs-otel-operator-namespace").inputs.metadata.name, "opentelemetry-operator-system");
  });

  it("makes every release that runs pods wait for the network", () => {
    for (const r of run.ofType(TYPES.release).filter((x) => x.name !== "obs-prometheus-operator-crds")) assert.ok(run.dependsOn(`${TYPES.release}::${r.name}`, fake("network")), r.name);
  });

  it("installs the Prometheus Operator's CRDs first, as a release of their own that waits for nothing but its namespace", () => {
    const crds = run.get(TYPES.release, "obs-prometheus-operator-crds");
    assert.equal(crds.inputs.name, "prometheus-operator-crds");
    assert.deepEqual(run.directWaits(rel("prometheus-operator-crds")).sort(), ["kubernetes:core/v1:Namespace::obs-namespace", "pulumi:providers:kubernetes::cluster-provider"]);
    assert.ok(run.dependsOn(rel("kube-prometheus-stack"), rel("prometheus-operator-crds")));
    // What other layers' ServiceMonitors wait for: the CRDs, not Prometheus and its volume.
    assert.equal(obs.ready.length, 1);
    assert.equal(obs.ready[0], obs.releases["prometheus-operator-crds"]);
  });

  it("keeps one owner per CRD: kube-prometheus-stack installs none, the CRD release adopts those an earlier stack left", () => {
    assert.deepEqual(run.get(TYPES.release, "obs-kube-prometheus-stack").inputs.values.crds, { enabled: false });
    const crds = run.get(TYPES.release, "obs-prometheus-operator-crds").inputs;
    assert.equal(crds.takeOwnership, true);
    // Uninstalling it must not delete every ServiceMonitor and Prometheus in the cluster.
    assert.deepEqual(crds.values.crds.annotations, { "helm.sh/resource-policy": "keep" });
    for (const r of run.ofType(TYPES.release).filter((x) => x.name !== "obs-prometheus-operator-crds")) assert.equal(r.inputs.takeOwnership, undefined, r.name);
  });

  it("makes only the volume-claiming charts wait for storage", () => {
    assert.ok(run.dependsOn(rel("kube-prometheus-stack"), fake("storage")));
    assert.ok(run.dependsOn(rel("loki"), fake("storage")));
    for (const n of ["jaeger", "otel-collector", "otel-operator", "grafana-operator"]) assert.ok(!run.dependsOn(rel(n), fake("storage")), n);
  });

  it("makes only the operator's webhooks wait for cert-manager", () => {
    // Its webhook certificate needs cert-manager, not the platform's ClusterIssuer.
    assert.ok(run.dependsOn(rel("otel-operator"), fake("cert-manager")));
    assert.ok(!run.dependsOn(rel("otel-operator"), fake("certificates")));
    for (const n of ["kube-prometheus-stack", "otel-collector", "loki", "jaeger", "grafana-operator"]) assert.ok(!run.dependsOn(rel(n), fake("certificates")), n);
  });

  it("installs loki, jaeger, the collector and prometheus in parallel", () => {
    const parallel = ["kube-prometheus-stack", "otel-collector", "loki", "jaeger", "grafana-operator"];
    for (const a of parallel) for (const b of parallel) if (a !== b) assert.ok(!run.dependsOn(rel(a), rel(b)), `${a} waits for ${b}`);
    for (const r of run.ofType(TYPES.release)) assert.ok(!run.dependsOn(`${TYPES.release}::${r.name}`, fake("mesh")), r.name);
  });

  it("applies Grafana CRs after the Grafana Operator, and the ServiceMonitor after the CRDs alone", () => {
    const crs = run.resources.filter((r) => r.type.startsWith("kubernetes:grafana.integreatly.org/"));
    assert.equal(crs.length, 1 + 3 + 1 + 2);
    for (const r of crs) assert.ok(run.dependsOn(`${r.type}::${r.name}`, rel("grafana-operator")), r.name);
    assert.ok(run.dependsOn(`${CR("Grafana")}::obs-grafana`, "kubernetes:core/v1:Secret::obs-grafana-admin"));
    const sm = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::obs-collector-servicemonitor";
    assert.ok(run.dependsOn(sm, rel("prometheus-operator-crds")));
    assert.ok(!run.dependsOn(sm, rel("kube-prometheus-stack")));
    assert.ok(!run.dependsOn(sm, rel("otel-collector")));
  });

  it("serves Grafana over TLS at grafana.<domain>, after the ingress controller and cert-manager", () => {
    const ing = run.get(TYPES.ingress, "obs-grafana-ingress");
    assert.equal(ing.inputs.spec.ingressClassName, "contour");
    assert.equal(ing.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "platform-ca");
    assert.deepEqual(ing.inputs.spec.tls, [{ hosts: ["grafana.agents.example.org"], secretName: "grafana-tls" }]);
    assert.equal(ing.inputs.spec.rules[0].http.paths[0].backend.service.name, "grafana-service");
    const key = `${TYPES.ingress}::obs-grafana-ingress`;
    assert.ok(run.dependsOn(key, fake("ingress")) && run.dependsOn(key, fake("certificates")));
    assert.ok(!run.dependsOn(key, rel("grafana-operator")));
  });

  it("creates the Prometheus, Loki and Jaeger datasources and two dashboards in the platform folder", () => {
    assert.deepEqual(run.ofType(CR("GrafanaDatasource")).map((r) => r.inputs.spec.datasource.type), ["prometheus", "loki", "jaeger"]);
    const dashboards = run.ofType(CR("GrafanaDashboard"));
    assert.deepEqual(dashboards.map((d) => JSON.parse(d.inputs.spec.json).title), ["Platform", "Model serving"]);
    for (const d of dashboards) assert.equal(d.inputs.spec.folderRef, run.get(CR("GrafanaFolder"), "obs-folder").inputs.metadata.name);
    // linkerd was the mesh passed in: its metrics measure the fleet.
    assert.match(dashboards[1].inputs.spec.json, /response_latency_ms_bucket/);
  });

  it("exports the URLs and a generated admin password as a secret", async () => {
    assert.equal(obs.grafanaUrl, "https://grafana.agents.example.org");
    assert.equal(obs.prometheusUrl, "http://kube-prometheus-stack-prometheus.monitoring.svc:9090");
    assert.equal(obs.jaegerUrl, "http://jaeger.monitoring.svc:16686");
    assert.equal(obs.otlpEndpoint, "otel-collector.monitoring.svc.cluster.local:4317");
    // What other layers' ServiceMonitors wait for: the CRDs, not Prometheus and its volume.
    assert.equal(obs.ready.length, 1);
    assert.equal(obs.ready[0], obs.releases["prometheus-operator-crds"]);
    const pw = await resolveOutput<string>(obs.grafanaAdminPassword);
    assert.equal(pw.secret, true);
    assert.equal(pw.value, mockPassword("obs-grafana-admin-password", 24));
    assert.equal(run.get("random:index/randomPassword:RandomPassword", "obs-grafana-admin-password").inputs.special, false);
  });

  it("puts the password only in the admin Secret, marked secret there", () => {
    const holders = run.resources.filter((r) => JSON.stringify(r.inputs).includes(mockPassword("obs-grafana-admin-password", 24)));
    assert.deepEqual(holders.map((r) => `${r.type}::${r.name}`), ["kubernetes:core/v1:Secret::obs-grafana-admin"]);
    const stringData = run.get("kubernetes:core/v1:Secret", "obs-grafana-admin").inputs.stringData;
    assert.equal(stringData[SECRET_SIG], SECRET_VALUE_SIG, "the Secret's data reaches the engine as a Pulumi secret");
    assert.equal(stringData.value.GF_SECURITY_ADMIN_PASSWORD, mockPassword("obs-grafana-admin-password", 24));
  });

  it("passes the invariants: explicit provider, valid schemas, unique names", async () => {
    assertExplicitKubernetesProvider(run);
    assertUniqueNames(run);
    // validate.ts unwraps secrets and holds the Grafana Operator CRD schemas.
    await assertSchemasValid(run);
  });
});

describe("Observability (prod, badger)", () => {
  let run: ProgramRun;
  before(async () => ({ run } = await build("prod", settings("prod"), { adminPassword: "from-config-secret-1234", mesh: "istio" })));

  it("puts Jaeger's badger store on a claim that waits for storage", () => {
    const pvc = run.get("kubernetes:core/v1:PersistentVolumeClaim", "obs-jaeger-badger");
    assert.equal(pvc.inputs.spec.resources.requests.storage, "20Gi");
    assert.equal(pvc.inputs.spec.storageClassName, "standard");
    assert.ok(run.dependsOn(rel("jaeger"), "kubernetes:core/v1:PersistentVolumeClaim::obs-jaeger-badger"));
    assert.ok(run.dependsOn(rel("jaeger"), fake("storage")));
    assert.ok(!run.dependsOn(rel("jaeger"), rel("loki")) && !run.dependsOn(rel("loki"), rel("jaeger")));
  });

  it("uses the configured admin password instead of generating one", () => {
    assert.equal(run.ofType("random:index/randomPassword:RandomPassword").length, 0);
    const holders = run.resources.filter((r) => JSON.stringify(r.inputs).includes("from-config-secret-1234"));
    assert.deepEqual(holders.map((r) => r.name), ["obs-grafana-admin"]);
  });

  it("measures the model fleet with Istio metrics", () => {
    assert.match(run.get(CR("GrafanaDashboard"), "obs-dashboard-model-serving").inputs.spec.json, /istio_requests_total/);
  });
});

describe("Observability toggles", () => {
  let run: ProgramRun;
  let obs: Observability;
  before(async () => {
    ({ run, obs } = await build(
      "dev",
      settings("dev", (s) => {
        s.loki.enabled = false;
        s.jaeger.enabled = false;
      }),
    ));
  });

  it("installs only the enabled parts, with datasources for them alone", () => {
    assert.deepEqual(run.ofType(TYPES.release).map((r) => r.inputs.name).sort(), ["grafana-operator", "kube-prometheus-stack", "opentelemetry-operator", "otel-collector", "prometheus-operator-crds"]);
    assert.deepEqual(run.ofType(CR("GrafanaDatasource")).map((r) => r.inputs.spec.datasource.type), ["prometheus"]);
    assert.equal(obs.jaegerUrl, undefined);
  });

  it("keeps the collector from exporting to the missing backends", () => {
    const exporters = Object.keys(run.get(TYPES.release, "obs-otel-collector").inputs.values.config.exporters);
    assert.deepEqual(exporters, ["prometheus"]);
  });
});

describe("Observability without Prometheus or Grafana", () => {
  let run: ProgramRun;
  let obs: Observability;
  before(async () => {
    ({ run, obs } = await build(
      "dev",
      settings("dev", (s) => {
        s.prometheus.enabled = false;
        s.grafana.enabled = false;
      }),
    ));
  });

  it("offers no CRDs, no ServiceMonitor, no Grafana and no password", () => {
    assert.deepEqual(obs.ready, []);
    assert.throws(() => run.get(TYPES.release, "obs-prometheus-operator-crds"));
    assert.equal(run.ofType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor").length, 0);
    assert.equal(run.resources.filter((r) => r.type.startsWith("kubernetes:grafana.integreatly.org/")).length, 0);
    assert.equal(obs.grafanaAdminPassword, undefined);
    assert.equal(obs.grafanaUrl, undefined);
    assert.throws(() => run.get("kubernetes:core/v1:Namespace", "obs-node-exporter-namespace"));
  });
});
