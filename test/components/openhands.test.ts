import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { platformSchema, type PlatformConfigInput } from "../../config/schema";
import type { ModelServingLayer } from "../../components/contracts";
import { OpenHands, RUNTIME_SERVICE_ACCOUNT, type OpenHandsArgs, type OpenHandsSettings } from "../../components/openhands";
import { evaluateFlow, type NetworkPolicy } from "../../lib/netpol";
import { recordResources, resolveOutput, ROOT, type ProgramRun } from "../helpers/program";
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
      database: undefined,
      sourceDir: ROOT,
      devBuild: undefined,
      secrets: { runtimeApiKey: pulumi.secret("runtime-key"), serverSessionKey: pulumi.secret("session-key"), gatewayToken: pulumi.secret("gateway-token") },
      ...over,
      });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, oh, error };
}

describe("the OpenHands layer", () => {
  it("installs no chart: the sandbox contract and the agent platform's own workloads", async () => {
    const { run } = await build(settings());
    assert.equal(run.ofType(REL).length, 0);
    assert.deepEqual(run.ofType(NS).map((n) => n.inputs.metadata.name).sort(), ["openhands", "openhands-sandboxes"]);
    assert.equal(run.ofType(ROLE).length, 1, "only the runtime's Role");
    assert.ok(run.ofType(NETPOL).length >= 5);
    assert.equal(run.ofType("kubernetes:core/v1:ResourceQuota").length, 1);
    assert.equal(run.ofType("kubernetes:core/v1:LimitRange").length, 1);
    assert.deepEqual(run.ofType("kubernetes:apps/v1:Deployment").map((d) => d.inputs.metadata.name).sort(), ["openhands-app", "openhands-gateway", "openhands-sandbox-runtime"]);
    assert.deepEqual(run.ofType("kubernetes:core/v1:Secret").map((d) => d.inputs.metadata.name).sort(), ["openhands-app-session-key", "openhands-gateway-tokens", "openhands-runtime-api-key"]);
    // The keys are the component's inputs (index.ts generates them), never generated here.
    assert.equal(run.ofType("random:index/randomPassword:RandomPassword").length, 0);
  });

  it("publishes the contract and the LLM for the sandbox runtime in a ConfigMap", async () => {
    const { run } = await build(settings());
    const data = run.get("kubernetes:core/v1:ConfigMap", "openhands-sandbox-contract").inputs.data;
    assert.equal(data.K8S_NAMESPACE, "openhands-sandboxes");
    assert.equal(data.RUNTIME_SERVICE_ACCOUNT, RUNTIME_SERVICE_ACCOUNT);
    assert.equal(data.LLM_BASE_URL, `http://${FLEET}.ollama.svc.cluster.local:11434/v1`);
    assert.equal(data.LLM_MODEL, "openai/qwen2.5-coder:0.5b");
    assert.equal(data.LLM_CONTEXT_LENGTH, "32768");
  });

  it("runs the sandbox runtime as the dedicated ServiceAccount, with no cluster-wide grant", async () => {
    const { run } = await build(settings());
    const sa = run.get("kubernetes:core/v1:ServiceAccount", "openhands-runtime-sa");
    assert.deepEqual(sa.inputs.metadata, { name: RUNTIME_SERVICE_ACCOUNT, namespace: "openhands" });
    assert.equal(run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").length, 0);
    assert.equal(run.ofType("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").length, 0);
  });

  it("issues the sandbox wildcard certificate after the issuer", async () => {
    const { run } = await build(settings());
    const cert = "kubernetes:cert-manager.io/v1:Certificate::openhands-sandbox-wildcard";
    assert.ok(run.dependsOn(cert, "test:layer:Marker::issuer"));
    assert.deepEqual(run.get("kubernetes:cert-manager.io/v1:Certificate", "openhands-sandbox-wildcard").inputs.spec.dnsNames, ["*.sandboxes.localhost"]);
  });

  it("emits only schema-valid Kubernetes objects", async () => {
    const { run } = await build(settings({ sandbox: { runtimeClass: "gvisor", egress: { internet: true, cidrs: [{ cidr: "192.0.2.0/24", ports: [22] }] } } }));
    assert.deepEqual(await validateAll(run.resources), []);
  });
});

describe("the sandbox RBAC", () => {
  const triples = (rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[]) =>
    rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g || "core"}/${res}:${v}`)))).sort();

  it("grants exactly what sandbox-runtime/README.md lists, in the sandbox namespace: no exec, port-forward or NetworkPolicies", async () => {
    const { run } = await build(settings());
    const role = run.get(ROLE, "openhands-sandbox-role");
    assert.equal(role.inputs.metadata.namespace, "openhands-sandboxes");
    const verbs = ["create", "delete", "get", "list", "patch", "update"];
    const expected = [
      ...["secrets", "pods", "services", "persistentvolumeclaims"].flatMap((r) => verbs.map((v) => `core/${r}:${v}`)),
      ...verbs.map((v) => `networking.k8s.io/ingresses:${v}`),
      "core/events:create",
      ...["get", "create", "update"].map((v) => `coordination.k8s.io/leases:${v}`),
    ].sort();
    assert.deepEqual(triples(role.inputs.rules), expected);
    // The service's README is the other half of the contract: every grant it lists is here.
    const readme = fs.readFileSync(path.join(ROOT, "sandbox-runtime", "README.md"), "utf8");
    const rbac = readme.slice(readme.indexOf("**RBAC**"), readme.indexOf("## Metrics"));
    for (const r of ["secrets", "pods", "services", "persistentvolumeclaims", "networking.k8s.io/ingresses", "events", "coordination.k8s.io/leases"]) assert.ok(rbac.includes(r), `README RBAC lists ${r}`);
    assert.ok(!/networkpolicies|pods\/exec/.test(rbac));
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
  it("enforces restricted Pod Security; privileged lifts it", async () => {
    const labels = async (privileged: boolean) => (await build(settings({ sandbox: { privileged } }))).run.get(NS, "openhands-sandbox-ns").inputs.metadata.labels;
    const off = await labels(false);
    assert.equal(off["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(off["pod-security.kubernetes.io/warn"], "restricted");
    assert.equal(off["pod-security.kubernetes.io/audit"], "restricted");
    assert.equal((await labels(true))["pod-security.kubernetes.io/enforce"], "privileged");
  });

  it("caps the namespace at maxSandboxes sandboxes and each PVC at the contract's size", async () => {
    const { run } = await build(settings({ sandbox: { maxSandboxes: 4, limits: { cpu: "2" } } }));
    assert.deepEqual(run.get("kubernetes:core/v1:ResourceQuota", "openhands-quota").inputs.spec.hard, {
      "services.loadbalancers": "0",
      "services.nodeports": "0",
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
      ["port 4000 in the OpenHands namespace (no LLM proxy there any more)", { from: sandbox, to: { namespace: "openhands", labels: { app: "litellm" } }, port: 4000 }, false],
      ["the sandbox server's webhooks", { from: sandbox, to: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-app" } }, port: 3000 }, true],
      ["the dev workspace's port 3000 (openvscode-server, no token)", { from: sandbox, to: { namespace: "openhands", labels: { "app.kubernetes.io/name": "ubuntu-dev" } }, port: 3000 }, false],
      ["the gateway", { from: sandbox, to: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-gateway" } }, port: 8080 }, false],
      ["the runtime API", { from: sandbox, to: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-sandbox-runtime" } }, port: 8080 }, false],
      ["OpenHands' PostgreSQL", { from: sandbox, to: { namespace: "openhands", labels: { app: "postgresql" } }, port: 5432 }, false],
      ["the internet", { from: sandbox, to: { ip: "203.0.113.10" }, port: 443 }, false],
      ["cloud metadata", { from: sandbox, to: { ip: "169.254.169.254" }, port: 80 }, false],
      ["another namespace's pods", { from: sandbox, to: { namespace: "monitoring", labels: { app: "grafana" } }, port: 3000 }, false],
      ["another sandbox", { from: sandbox, to: sandbox, port: 60000 }, false],
      ["the ingress controller into a sandbox", { from: { namespace: "projectcontour", labels: { app: "envoy" } }, to: sandbox, port: 60000 }, true],
      ["the sandbox server into a sandbox's agent server", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-app" } }, to: sandbox, port: 60000 }, true],
      ["the gateway's cloud-proxy into a sandbox's agent server", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-gateway" } }, to: sandbox, port: 60000 }, true],
      ["the dev workspace into a sandbox", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "ubuntu-dev" } }, to: sandbox, port: 60000 }, false],
      ["the ingress controller to a sandbox port that is not served", { from: { namespace: "projectcontour", labels: { app: "envoy" } }, to: sandbox, port: 22 }, false],
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

  it("exports the sandbox domain, and the LLM endpoint and model", async () => {
    const { oh } = await build(settings({ sandbox: { domain: "sandboxes.localhost" } }));
    assert.equal(oh!.sandboxDomain, "sandboxes.localhost");
    assert.equal(oh!.llmEndpoint, `http://${FLEET}.ollama.svc.cluster.local:11434/v1`);
    assert.equal(oh!.llmModel, "qwen2.5-coder:0.5b");
    const { value } = await resolveOutput<string>(pulumi.output(oh!.llmEndpoint));
    assert.equal(value, `http://${FLEET}.ollama.svc.cluster.local:11434/v1`);
  });
});
