import assert from "node:assert/strict";
import * as path from "node:path";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";
import { CHARTS } from "../components/catalog";
import { assertExplicitKubernetesProvider, assertLayersFollowEnabled, assertSchemasValid, assertUniqueNames, snapshot } from "./helpers/invariants";
import { stackConfig } from "../tools/stack-config";
import { TYPES } from "../tools/types";
import { PROD_SECRETS, resolveOutput, ROOT, runProgram, type ProgramRun } from "./helpers/program";

describe("the prod stack", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram({ stack: "prod", secrets: PROD_SECRETS });
  });

  it("connects to the existing cluster through the configured context", () => {
    const provider = run.get("pulumi:providers:kubernetes", "cluster-provider");
    assert.equal(provider.inputs.context, "platform-prod");
    assert.equal(run.ofType("command:local:Command").length, 0);
  });

  it("checks the cluster's version before deploying and exports it", async () => {
    assert.equal((await resolveOutput(run.exports.kubernetesVersion)).value, "v1.35.1");
  });

  it("keeps the kubeconfig secret", async () => {
    assert.equal((await resolveOutput(run.exports.kubeconfig)).secret, true);
  });

  it("puts every Kubernetes resource on the cluster's provider", () => assertExplicitKubernetesProvider(run));
  it("emits only schema-valid Kubernetes objects", () => assertSchemasValid(run));
  it("names every resource uniquely", () => assertUniqueNames(run));
  it("builds each optional layer exactly when its enabled(config) holds, and installs exactly the selected charts", () => assertLayersFollowEnabled(run, stackConfig("prod")));

  it("reports the charts it installs with their pinned versions", async () => {
    const charts = (await resolveOutput<Record<string, string>>(run.exports.charts)).value;
    assert.equal(charts.istiod, CHARTS.istiod.version);
    assert.equal(charts["rook-ceph-cluster"], CHARTS.rookCephCluster.version);
    assert.equal(charts["linkerd-control-plane"], undefined);
  });

  it("exports the prod endpoints: Ceph's S3 gateway, no Hubble UI", async () => {
    const urls = (await resolveOutput<Record<string, string>>(run.exports.urls)).value;
    assert.equal(urls.grafana, "https://grafana.agents.example.com");
    assert.equal(urls.hubble, undefined);
    assert.match(urls.s3, /rook-ceph-rgw/);
    const platform = (await resolveOutput<Record<string, unknown>>(run.exports.platform)).value;
    assert.equal(platform.defaultStorageClass, "ceph-block");
    assert.equal(platform.clusterIssuer, "platform-acme");
    assert.equal((await resolveOutput(run.exports.credentials)).secret, true);
  });

  it("runs the agent platform on released images with Postgres, and exports the GPU fleets' endpoints", async () => {
    const oh = (await resolveOutput<Record<string, any>>(run.exports.openHands)).value;
    assert.equal(oh.url, "https://openhands.agents.example.com");
    assert.equal(oh.sandboxDomain, "sandboxes.agents.example.com");
    for (const [key, folder] of [["server", "sandbox-server"], ["runtime", "sandbox-runtime"], ["gateway", "agent-gateway"]]) {
      const version = JSON.parse(fs.readFileSync(path.join(ROOT, folder, "package.json"), "utf8")).version;
      assert.equal(oh.images[key], `ghcr.io/agent-platform/openhands-${folder}:${version}`);
    }
    const cluster = run.get("kubernetes:postgresql.cnpg.io/v1:Cluster", "openhands-postgres");
    assert.equal(cluster.inputs.spec.instances, 2);
    const app = run.get("kubernetes:apps/v1:Deployment", "openhands-server").inputs.spec.template.spec.containers[0];
    const env = Object.fromEntries(app.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [e.name, e.value ?? e.valueFrom]));
    assert.equal(env.DB_HOST, "openhands-db-rw.openhands.svc.cluster.local");
    assert.deepEqual(env.DB_PASS, { secretKeyRef: { name: "openhands-db-app", key: "password" } });
    assert.ok(run.dependsOn("kubernetes:apps/v1:Deployment::openhands-server", "kubernetes:postgresql.cnpg.io/v1:Cluster::openhands-postgres"));
    const endpoints = (await resolveOutput<Record<string, string>>(run.exports.modelEndpoints)).value;
    assert.ok(Object.keys(endpoints).length >= 1);
    for (const url of Object.values(endpoints)) assert.match(url, /^http:\/\/[a-z][a-z0-9-]*\.ollama\.svc\.cluster\.local:11434\/v1$/);
  });

  it("signs people in to Grafana through the OIDC proxy: Grafana has no Ingress, trusts the proxy's header, and admits only the proxy", async () => {
    const ingresses = run.ofType("kubernetes:networking.k8s.io/v1:Ingress");
    const grafanaHost = ingresses.filter((i) => i.inputs.spec.rules.some((r: { host: string }) => r.host === "grafana.agents.example.com"));
    assert.deepEqual(grafanaHost.map((i) => [i.inputs.metadata.namespace, i.inputs.metadata.name, i.inputs.spec.rules[0].http.paths[0].backend.service.name]), [["monitoring", "grafana-oidc", "oauth2-proxy"]]);
    assert.ok(!ingresses.some((i) => i.inputs.spec.rules.some((r: any) => r.http.paths.some((p: any) => p.backend.service.name === "grafana-service"))), "an Ingress routes around the proxy to Grafana");
    const grafana = run.get("kubernetes:grafana.integreatly.org/v1beta1:Grafana", "observability-grafana").inputs.spec.config;
    assert.deepEqual(grafana["auth.proxy"], { enabled: "true", header_name: "x-forwarded-email", header_property: "email", auto_sign_up: "true", enable_login_token: "false" });
    assert.equal(grafana["auth.anonymous"].enabled, "false");
    // oauth2-proxy sets (and strips from the client) the header Grafana trusts.
    const proxy = run.get(TYPES.release, "grafana-oidc-oauth2-proxy").inputs;
    assert.equal(proxy.namespace, "monitoring");
    assert.equal(proxy.values.extraArgs["pass-user-headers"], true);
    assert.equal(proxy.values.extraArgs["skip-auth-strip-headers"], true);
    assert.equal(proxy.values.extraArgs["redirect-url"], "https://grafana.agents.example.com/oauth2/callback");
    assert.equal(proxy.values.config.cookieName, "__Host-grafana-oidc");
    assert.notEqual(run.get(TYPES.release, "openhands-oidc-oauth2-proxy").inputs.values.config.cookieName, proxy.values.config.cookieName);
    const policy = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.inputs.metadata.name === "grafana-service-from-oidc-proxy")!;
    assert.equal(policy.inputs.metadata.namespace, "monitoring");
    assert.deepEqual(policy.inputs.spec.podSelector, { matchLabels: { app: "grafana" } });
    assert.deepEqual(policy.inputs.spec.ingress, [{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "oauth2-proxy", "app.kubernetes.io/instance": "oauth2-proxy" } } }], ports: [{ protocol: "TCP", port: 3000 }] }]);
    assert.equal((await resolveOutput<Record<string, string>>(run.exports.urls)).value.grafana, "https://grafana.agents.example.com");
  });

  it("registers identical inputs on a second run (a second `pulumi up` is a no-op)", async () => {
    for (const k of Object.keys(require.cache)) {
      if (!k.includes("node_modules")) delete require.cache[k];
    }
    const again = await runProgram({ stack: "prod", secrets: PROD_SECRETS });
    assert.equal(snapshot(again), snapshot(run));
  });
});
