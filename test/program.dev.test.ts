import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { stackConfig } from "../tools/stack-config";
import { parse } from "yaml";
import { CHARTS } from "../components/catalog";
import { assertExplicitKubernetesProvider, assertLayersFollowEnabled, assertSchemasValid, assertUniqueNames } from "./helpers/invariants";
import { resolveOutput, runProgram, type ProgramRun } from "./helpers/program";

describe("the dev stack", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram({ stack: "dev" });
  });

  it("creates a kind cluster from the rendered config and deletes it on destroy", () => {
    const kind = run.get("command:local:Command", "cluster-kind");
    assert.match(kind.inputs.create, /kind create cluster --name "\$CLUSTER" --config -/);
    assert.match(kind.inputs.delete, /kind delete cluster --name "\$CLUSTER"/);
    assert.deepEqual(kind.inputs.environment, { CLUSTER: "local-hands" });
    const cfg = parse(kind.inputs.stdin);
    assert.deepEqual(cfg.networking, { disableDefaultCNI: true, kubeProxyMode: "none" });
    assert.deepEqual(kind.inputs.triggers, [kind.inputs.stdin]);
  });

  it("reads the kubeconfig back without logging it, as a secret", async () => {
    const kc = run.get("command:local:Command", "cluster-kubeconfig");
    assert.equal(kc.inputs.logging, "none");
    assert.deepEqual(kc.dependsOn, ["command:local:Command::cluster-kind"]);
    const out = await resolveOutput<string>(run.exports.kubeconfig);
    assert.equal(out.secret, true);
    assert.match(out.value, /kind-local-hands/);
  });

  it("puts every Kubernetes resource on the cluster's provider", () => assertExplicitKubernetesProvider(run));
  it("emits only schema-valid Kubernetes objects", () => assertSchemasValid(run));
  it("names every resource uniquely", () => assertUniqueNames(run));
  it("builds each optional layer exactly when its enabled(config) holds, and installs exactly the selected charts", () => assertLayersFollowEnabled(run, stackConfig("dev")));

  it("reports the charts it installs with their pinned versions", async () => {
    const charts = (await resolveOutput<Record<string, string>>(run.exports.charts)).value;
    assert.equal(charts["linkerd-control-plane"], CHARTS.linkerdControlPlane.version);
    assert.equal(charts.istiod, undefined);
    assert.equal(charts["rook-ceph"], undefined);
  });

  it("exports the local ingress domain", async () => {
    assert.equal((await resolveOutput(run.exports.ingressDomain)).value, "localhost");
  });

  it("exports the URLs of what dev enables, and nothing for what it does not", async () => {
    const urls = (await resolveOutput<Record<string, string>>(run.exports.urls)).value;
    assert.equal(urls.grafana, "https://grafana.localhost");
    assert.equal(urls.hubble, "https://hubble.localhost");
    // MinIO (archived upstream, no more fixes) is opt-in: dev has no S3 endpoint by default.
    assert.equal(urls.s3, undefined);
    assert.match(urls.otlp, /otel-collector\.monitoring\.svc\.cluster\.local:4317/);
    assert.equal(urls.openhands, "https://openhands.localhost");
    assert.deepEqual(Object.keys(urls).sort(), ["grafana", "hubble", "jaeger", "openhands", "otlp", "prometheus"]);
  });

  it("wires OpenHands to the dev model fleet through its in-cluster OpenAI endpoint", async () => {
    const oh = (await resolveOutput<Record<string, any>>(run.exports.openHands)).value;
    const fleets = (await resolveOutput<Record<string, { endpoint: string; model: string; contextLength: number }>>(run.exports.modelFleets)).value;
    const fleet = Object.values(fleets).find((f) => f.endpoint === oh.llmEndpoint);
    assert.ok(fleet, `OpenHands calls ${oh.llmEndpoint}, which is no fleet's endpoint`);
    assert.match(oh.llmEndpoint, /^http:\/\/[a-z0-9-]+\.ollama\.svc\.cluster\.local:11434\/v1$/);
    assert.equal(oh.llmModel, fleet.model);
    assert.ok(fleet.contextLength >= 32768);
    assert.equal(oh.url, "https://openhands.localhost");
    assert.match(oh.signIn, /credentials\.openhands\.token/);
    assert.equal(oh.sandboxDomain, "sandboxes.localhost", "a domain of their own, beside none of the platform's hosts");
  });

  it("redirects plain HTTP to HTTPS on every Ingress, and on the sandboxes' Ingresses the runtime creates", () => {
    for (const i of run.ofType("kubernetes:networking.k8s.io/v1:Ingress")) {
      assert.equal(i.inputs.metadata.annotations?.["ingress.kubernetes.io/force-ssl-redirect"], "true", i.name);
    }
    const config = JSON.parse(run.get("kubernetes:core/v1:ConfigMap", "openhands-runtime-config").inputs.data["config.json"]);
    assert.equal(config.ingress.annotations["ingress.kubernetes.io/force-ssl-redirect"], "true");
  });

  it("exports credentials only as a secret", async () => {
    const creds = await resolveOutput<{ grafana: { user: string; password: string }; s3?: { accessKey: string; secretKey: string } }>(run.exports.credentials);
    assert.equal(creds.secret, true);
    assert.equal(creds.value.grafana.user, "admin");
    assert.ok(creds.value.grafana.password.length >= 12);
    assert.equal(creds.value.s3, undefined, "no object store in dev by default (MinIO is opt-in)");
    for (const name of ["urls", "platform", "charts", "ingressDomain"]) {
      const o = await resolveOutput(run.exports[name]);
      assert.ok(!JSON.stringify(o.value).includes(creds.value.grafana.password), `${name} leaks the Grafana password`);
    }
  });
});
