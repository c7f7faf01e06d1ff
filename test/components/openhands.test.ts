import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { platformSchema, type PlatformConfigInput } from "../../config/schema";
import { CHARTS } from "../../components/catalog";
import type { ModelServingLayer } from "../../components/contracts";
import { CHART_SECRETS, OpenHands, RUNTIME_SERVICE_ACCOUNT, type OpenHandsArgs, type OpenHandsSettings } from "../../components/openhands";
import { evaluateFlow, type NetworkPolicy } from "../../lib/netpol";
import { recordResources, resolveOutput, type ProgramRun } from "../helpers/program";
import { validateAll } from "../helpers/validate";

const REL = "kubernetes:helm.sh/v3:Release";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const NS = "kubernetes:core/v1:Namespace";

/** Settings as validated config gives them, from a partial `platform:openhands`. */
export function settings(o: NonNullable<PlatformConfigInput["openhands"]> = {}): OpenHandsSettings {
  return platformSchema.shape.openhands.parse({ enabled: true, ...o });
}

const FLEET = "qwen2-5-coder-0-5b-4e80b5";
export const models = (contextLength = 32768): ModelServingLayer => ({
  namespace: "ollama",
  fleets: { [FLEET]: { endpoint: `http://${FLEET}.ollama.svc.cluster.local:11434/v1`, model: "qwen2.5-coder:0.5b", contextLength } },
  ready: [],
});

/** Builds the layer under mocks with fake upstream layers; a construction error is returned. */
export async function build(s: OpenHandsSettings, over: Partial<OpenHandsArgs> = {}): Promise<{ run: ProgramRun; oh?: OpenHands; error?: unknown }> {
  let oh: OpenHands | undefined;
  let error: unknown;
  const run = await recordResources(async () => {
    const provider = new k8s.Provider("fake", { kubeconfig: "fake" });
    const marker = (n: string) => new pulumi.ComponentResource("test:layer:Marker", n, {});
    try {
      oh = new OpenHands("openhands", {
      cluster: { provider, apiServer: { host: "auto", port: 6443 } },
      network: { ready: [marker("cni")] },
      ingress: { className: "contour", namespace: "projectcontour", ready: [marker("controller")] },
      certificates: { clusterIssuer: "platform-ca", ready: [marker("issuer")], webhookReady: [] },
      storage: { defaultStorageClass: "standard", ready: [marker("storage")] },
      models: models(),
      fleet: FLEET,
      settings: s,
      domain: "localhost",
      issuer: "selfSigned",
      ...over,
      });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, oh, error };
}

const LICENSED = { license: { accept: "polyform-free-trial" as const } };

describe("the OpenHands layer without an accepted license", () => {
  it("installs no chart but the whole sandbox contract", async () => {
    const { run } = await build(settings());
    assert.equal(run.ofType(REL).length, 0);
    assert.deepEqual(run.ofType(NS).map((n) => n.inputs.metadata.name).sort(), ["openhands", "openhands-sandboxes"]);
    assert.equal(run.ofType(ROLE).length, 1, "only the design's Role; the runtime API's extras come with the chart");
    assert.ok(run.ofType(NETPOL).length >= 5);
    assert.equal(run.ofType("kubernetes:core/v1:ResourceQuota").length, 1);
    assert.equal(run.ofType("kubernetes:core/v1:LimitRange").length, 1);
    assert.equal(run.ofType("kubernetes:core/v1:Secret").length, 0);
  });

  it("refuses chart values while the license is not accepted, naming the key", async () => {
    const { error } = await build(settings({ values: { replicaCount: 2 } }));
    assert.ok(error instanceof pulumi.ResourceError);
    assert.match((error as Error).message, /platform:openhands\.values: set, but the openhands chart is not installed: its license \(Polyform Free Trial, not open source\) is not accepted; set platform:openhands\.license\.accept: polyform-free-trial/);
  });

  it("rejects any acceptance but the chart's own license", () => {
    const parsed = platformSchema.shape.openhands.safeParse({ enabled: true, license: { accept: "apache-2.0" } });
    assert.equal(parsed.success, false);
    assert.deepEqual(
      parsed.error!.issues.map((i) => [i.path.join("."), i.message]),
      [["license.accept", 'must be "polyform-free-trial" (the license of the openhands chart)']],
    );
  });
});

describe("the OpenHands chart", () => {
  it("installs the pinned chart from its OCI registry into openhands", async () => {
    const { run } = await build(settings(LICENSED));
    const r = run.get(REL, "openhands-openhands");
    assert.equal(r.inputs.chart, "oci://ghcr.io/openhands/helm-charts/openhands");
    assert.equal(r.inputs.chart, CHARTS.openhands.chart);
    assert.equal(r.inputs.version, "0.50.0");
    assert.equal(r.inputs.namespace, "openhands");
    assert.equal(r.inputs.repositoryOpts, undefined);
  });

  it("waits for the CNI, storage, the issuer, the sandbox RBAC, its secrets and the wildcard certificate", async () => {
    const { run } = await build(settings(LICENSED));
    const rel = `${REL}::openhands-openhands`;
    for (const dep of [
      "test:layer:Marker::cni",
      "test:layer:Marker::storage",
      "test:layer:Marker::issuer",
      `${BINDING}::openhands-sandbox-role-binding`,
      `${BINDING}::openhands-runtime-api-role-binding`,
      "kubernetes:core/v1:Secret::openhands-secret-jwt-secret",
      "kubernetes:cert-manager.io/v1:Certificate::openhands-sandbox-wildcard",
    ]) {
      assert.ok(run.dependsOn(rel, dep), `release does not wait for ${dep}`);
    }
    assert.ok(!run.dependsOn(rel, "test:layer:Marker::controller"), "the ingress controller is not a dependency");
  });

  it("creates every Secret the chart expects, with generated values kept secret", async () => {
    const { run } = await build(settings(LICENSED));
    const secrets = run.ofType("kubernetes:core/v1:Secret");
    assert.deepEqual(secrets.map((s) => s.inputs.metadata.name).sort(), Object.keys(CHART_SECRETS).sort());
    for (const s of secrets) {
      assert.equal(s.inputs.metadata.namespace, "openhands");
      const keys = Object.keys((s.inputs.stringData as { value?: object }).value ?? s.inputs.stringData);
      assert.deepEqual(keys.sort(), [...CHART_SECRETS[s.inputs.metadata.name as keyof typeof CHART_SECRETS]].sort(), s.inputs.metadata.name);
    }
    assert.ok(run.ofType("random:index/randomPassword:RandomPassword").length >= 8);
    const serialized = JSON.stringify(run.ofType(REL)[0].inputs.values);
    assert.ok(!serialized.includes("pw-openhands"), "no generated value in the chart values");
  });

  it("binds the runtime API to the dedicated ServiceAccount and drops the chart's ClusterRole", async () => {
    const { run } = await build(settings(LICENSED));
    const v = run.get(REL, "openhands-openhands").inputs.values["runtime-api"];
    assert.deepEqual(v.serviceAccount, { create: false, name: RUNTIME_SERVICE_ACCOUNT, createRBAC: false });
    const sa = run.get("kubernetes:core/v1:ServiceAccount", "openhands-runtime-sa");
    assert.deepEqual(sa.inputs.metadata, { name: RUNTIME_SERVICE_ACCOUNT, namespace: "openhands" });
    assert.equal(run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
    assert.equal(run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
  });

  it("emits only schema-valid Kubernetes objects", async () => {
    const { run } = await build(settings({ ...LICENSED, sandbox: { runtimeClass: "gvisor", egress: { internet: true, cidrs: [{ cidr: "192.0.2.0/24", ports: [22] }] } } }));
    assert.deepEqual(await validateAll(run.resources), []);
  });
});

describe("the sandbox RBAC", () => {
  const triples = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]) =>
    rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g || "core"}/${res}:${v}`)))).sort();

  it("grants exactly the design's resources and verbs, in the sandbox namespace", async () => {
    const { run } = await build(settings());
    const role = run.get(ROLE, "openhands-sandbox-role");
    assert.equal(role.inputs.metadata.namespace, "openhands-sandboxes");
    const verbs = ["create", "delete", "get", "list", "update", "watch"];
    const expected = [
      ...["pods", "pods/exec", "pods/portforward", "services", "persistentvolumeclaims"].flatMap((r) => verbs.map((v) => `core/${r}:${v}`)),
      ...["ingresses", "networkpolicies"].flatMap((r) => verbs.map((v) => `networking.k8s.io/${r}:${v}`)),
    ].sort();
    assert.deepEqual(triples(role.inputs.rules), expected);
  });

  it("binds it to the dedicated ServiceAccount, never to default", async () => {
    const { run } = await build(settings());
    const b = run.get(BINDING, "openhands-sandbox-role-binding");
    assert.equal(b.inputs.metadata.namespace, "openhands-sandboxes");
    assert.deepEqual(b.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "openhands-sandbox-runtime" });
    assert.deepEqual(b.inputs.subjects, [{ kind: "ServiceAccount", name: RUNTIME_SERVICE_ACCOUNT, namespace: "openhands" }]);
  });
});

describe("sandbox namespace isolation", () => {
  it("enforces baseline Pod Security and warns at restricted; privileged lifts it", async () => {
    const labels = async (privileged: boolean) => (await build(settings({ sandbox: { privileged } }))).run.get(NS, "openhands-sandbox-ns").inputs.metadata.labels;
    const off = await labels(false);
    assert.equal(off["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(off["pod-security.kubernetes.io/warn"], "restricted");
    assert.equal(off["pod-security.kubernetes.io/audit"], "restricted");
    assert.equal((await labels(true))["pod-security.kubernetes.io/enforce"], "privileged");
  });

  it("caps the namespace at maxSandboxes sandboxes and each PVC at the contract's size", async () => {
    const { run } = await build(settings({ sandbox: { maxSandboxes: 4, limits: { cpu: "2" } } }));
    assert.deepEqual(run.get("kubernetes:core/v1:ResourceQuota", "openhands-quota").inputs.spec.hard, {
      pods: "4",
      persistentvolumeclaims: "4",
      "requests.cpu": "4",
      "requests.memory": "4Gi",
      "limits.cpu": "8",
      "limits.memory": "8Gi",
      "requests.storage": "8Gi",
    });
    const lr = run.get("kubernetes:core/v1:LimitRange", "openhands-limits").inputs.spec.limits;
    assert.deepEqual(lr[0], { type: "Container", default: { cpu: "2", memory: "2Gi" }, defaultRequest: { cpu: "1", memory: "1Gi" }, max: { cpu: "2", memory: "2Gi" } });
    assert.deepEqual(lr[1], { type: "PersistentVolumeClaim", max: { storage: "2Gi" } });
  });

  it("creates a RuntimeClass for gvisor and kata, and none for a runtime the cluster already has", async () => {
    const rc = async (runtimeClass?: string) => (await build(settings({ sandbox: { runtimeClass } }))).run.ofType("kubernetes:node.k8s.io/v1:RuntimeClass").map((r) => ({ name: r.inputs.metadata.name, handler: r.inputs.handler }));
    assert.deepEqual(await rc("gvisor"), [{ name: "gvisor", handler: "runsc" }]);
    assert.deepEqual(await rc("kata"), [{ name: "kata", handler: "kata" }]);
    assert.deepEqual(await rc("sysbox-runc"), []);
    assert.deepEqual(await rc(undefined), []);
  });

  describe("NetworkPolicies, evaluated against a table of flows", () => {
    const sandbox = { namespace: "openhands-sandboxes", labels: { "app.kubernetes.io/name": "runtime" } };
    const fleetPod = { namespace: "ollama", labels: { "app.kubernetes.io/name": "ollama", "openhands.ai/fleet": FLEET } };
    let defaults: NetworkPolicy[];
    before(async () => {
      defaults = policiesOf((await build(settings())).run);
    });
    const policiesOf = (run: ProgramRun): NetworkPolicy[] =>
      run.ofType(NETPOL).map((r) => ({ metadata: { name: r.inputs.metadata.name, namespace: r.inputs.metadata.namespace }, spec: r.inputs.spec }));
    const table: [string, Parameters<typeof evaluateFlow>[1], boolean][] = [
      ["DNS over UDP to kube-dns", { from: sandbox, to: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } }, port: 53, protocol: "UDP" }, true],
      ["DNS over TCP to kube-dns", { from: sandbox, to: { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } }, port: 53, protocol: "TCP" }, true],
      ["port 53 to another kube-system pod", { from: sandbox, to: { namespace: "kube-system", labels: { app: "metrics-server" } }, port: 53, protocol: "UDP" }, false],
      ["the LLM fleet's Ollama API", { from: sandbox, to: fleetPod, port: 11434 }, true],
      ["another port of the fleet's pods", { from: sandbox, to: fleetPod, port: 8080 }, false],
      ["another fleet in the model namespace", { from: sandbox, to: { namespace: "ollama", labels: { "openhands.ai/fleet": "other" } }, port: 11434 }, false],
      ["the LiteLLM proxy OpenHands hands agents", { from: sandbox, to: { namespace: "openhands", labels: { app: "litellm" } }, port: 4000 }, true],
      ["the app's webhooks", { from: sandbox, to: { namespace: "openhands", labels: { app: "openhands" } }, port: 3000 }, true],
      ["OpenHands' PostgreSQL", { from: sandbox, to: { namespace: "openhands", labels: { app: "postgresql" } }, port: 5432 }, false],
      ["the internet", { from: sandbox, to: { ip: "203.0.113.10" }, port: 443 }, false],
      ["cloud metadata", { from: sandbox, to: { ip: "169.254.169.254" }, port: 80 }, false],
      ["another namespace's pods", { from: sandbox, to: { namespace: "monitoring", labels: { app: "grafana" } }, port: 3000 }, false],
      ["another sandbox", { from: sandbox, to: sandbox, port: 60000 }, false],
      ["the ingress controller into a sandbox", { from: { namespace: "projectcontour", labels: { app: "envoy" } }, to: sandbox, port: 60000 }, true],
      ["the runtime API into a sandbox", { from: { namespace: "openhands", labels: { app: "runtime-api" } }, to: sandbox, port: 60000 }, true],
      ["another namespace into a sandbox", { from: { namespace: "monitoring", labels: { app: "prometheus" } }, to: sandbox, port: 60000 }, false],
      ["the internet straight into a sandbox", { from: { ip: "198.51.100.7" }, to: sandbox, port: 60000 }, false],
    ];
    for (const [what, f, allowed] of table) {
      it(`${allowed ? "allows" : "denies"} ${what}`, () => {
        assert.equal(evaluateFlow(defaults, f).allowed, allowed);
      });
    }

    it("opens the public internet on 80/443 only when configured, never private ranges or metadata", async () => {
      const { run } = await build(settings({ sandbox: { egress: { internet: true } } }));
      const p = policiesOf(run);
      assert.equal(evaluateFlow(p, { from: sandbox, to: { ip: "203.0.113.10" }, port: 443 }).allowed, true);
      assert.equal(evaluateFlow(p, { from: sandbox, to: { ip: "203.0.113.10" }, port: 22 }).allowed, false);
      for (const ip of ["10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1"]) {
        assert.equal(evaluateFlow(p, { from: sandbox, to: { ip }, port: 443 }).allowed, false, ip);
      }
    });

    it("opens configured CIDRs on their ports, minus exceptions", async () => {
      const { run } = await build(settings({ sandbox: { egress: { cidrs: [{ cidr: "192.0.2.0/24", except: ["192.0.2.128/25"], ports: [22] }] } } }));
      const p = policiesOf(run);
      assert.equal(evaluateFlow(p, { from: sandbox, to: { ip: "192.0.2.10" }, port: 22 }).allowed, true);
      assert.equal(evaluateFlow(p, { from: sandbox, to: { ip: "192.0.2.10" }, port: 443 }).allowed, false);
      assert.equal(evaluateFlow(p, { from: sandbox, to: { ip: "192.0.2.200" }, port: 22 }).allowed, false);
    });
  });
});

describe("OpenHands' LLM", () => {
  it("refuses a fleet whose context is below 32k tokens", async () => {
    const { error } = await build(settings(), { models: models(8192) });
    assert.ok(error instanceof pulumi.ResourceError);
    assert.match((error as Error).message, /contextLength: 8192 is below 32768; OpenHands agents need a context of 32k tokens or more/);
  });

  it("refuses a fleet the model layer does not have", async () => {
    const { error } = await build(settings(), { fleet: "missing" });
    assert.ok(error instanceof pulumi.ResourceError);
    assert.match((error as Error).message, /platform:openhands\.llm\.fleet: "missing" is not a fleet of the model layer \(qwen2-5-coder-0-5b-4e80b5\)/);
  });

  it("routes the default model through LiteLLM to the fleet's OpenAI-compatible endpoint", async () => {
    const { run } = await build(settings(LICENSED));
    const v = run.get(REL, "openhands-openhands").inputs.values;
    assert.equal(v.env.LITELLM_DEFAULT_MODEL, "litellm_proxy/qwen2.5-coder:0.5b");
    assert.equal(v["litellm-helm"].enabled, true);
    assert.deepEqual(v["litellm-helm"].proxy_config.model_list, [
      {
        model_name: "qwen2.5-coder:0.5b",
        litellm_params: { model: "openai/qwen2.5-coder:0.5b", api_base: `http://${FLEET}.ollama.svc.cluster.local:11434/v1`, api_key: "unused-by-ollama" },
        model_info: { max_input_tokens: 32768, max_tokens: 32768 },
      },
    ]);
  });

  it("exports the URL, the sandbox domain, and the LLM endpoint and model", async () => {
    const { oh } = await build(settings({ sandbox: { domain: "sandboxes.localhost" } }));
    assert.equal(oh!.url, "https://openhands.localhost");
    assert.equal(oh!.sandboxDomain, "sandboxes.localhost");
    assert.equal(oh!.llmEndpoint, `http://${FLEET}.ollama.svc.cluster.local:11434/v1`);
    assert.equal(oh!.llmModel, "qwen2.5-coder:0.5b");
    const { value } = await resolveOutput<string>(pulumi.output(oh!.url));
    assert.equal(value, "https://openhands.localhost");
  });
});
