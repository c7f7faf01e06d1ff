import assert from "node:assert/strict";
import * as path from "node:path";
import * as fs from "node:fs";
import { before, describe, it } from "node:test";
import { CHARTS } from "../components/catalog";
import { assertExplicitKubernetesProvider, assertSchemasValid, assertUniqueNames, snapshot } from "./helpers/invariants";
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

  it("registers identical inputs on a second run (a second `pulumi up` is a no-op)", async () => {
    for (const k of Object.keys(require.cache)) {
      if (!k.includes("node_modules")) delete require.cache[k];
    }
    const again = await runProgram({ stack: "prod", secrets: PROD_SECRETS });
    assert.equal(snapshot(again), snapshot(run));
  });
});
