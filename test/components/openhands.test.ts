import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { platformSchema, type PlatformConfigInput } from "../../config/schema";
import { OpenHands, RUNTIME_SERVICE_ACCOUNT, type OpenHandsArgs, type OpenHandsSettings } from "../../components/openhands";
import { evaluateFlow, type NetworkPolicy } from "../../lib/netpol";
import { TYPES } from "../../tools/types";
import { componentMarker, FAKE_FLEET, fakeCertificates, fakeCluster, fakeIngress, fakeNetwork, fakeOllama, fakeProvider, fakeStorage } from "../helpers/layers";
import { recordResources, resolveOutput, ROOT, type ProgramRun } from "../helpers/program";
import { validateAll } from "../helpers/validate";
import { parseConfig } from "../../sandbox-runtime/src/config";
import { desiredIngress } from "../../sandbox-runtime/src/desired";


/** Settings as validated config gives them, from a partial `platform:openhands`. */
export function settings(o: NonNullable<PlatformConfigInput["openhands"]> = {}): OpenHandsSettings {
  return platformSchema.shape.openhands.parse({ enabled: true, ...o });
}

const FLEET = FAKE_FLEET;
export const models = fakeOllama;

/** Builds the layer under mocks with fake upstream layers; a construction error is returned. */
export async function build(s: OpenHandsSettings, over: Partial<OpenHandsArgs> = {}): Promise<{ run: ProgramRun; oh?: OpenHands; error?: unknown }> {
  let oh: OpenHands | undefined;
  let error: unknown;
  const run = await recordResources(async () => {
    const provider = fakeProvider();
    const marker = componentMarker();
    try {
      oh = new OpenHands("openhands", {
      cluster: fakeCluster({ provider, apiServer: { host: "auto", port: 6443 } }),
      network: fakeNetwork([marker("cni")]),
      ingress: fakeIngress({ ready: [marker("controller")] }),
      certificates: fakeCertificates({ ready: [marker("issuer")] }),
      storage: fakeStorage({ ready: [marker("storage")] }),
      ollama: models(),
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
    assert.equal(run.ofType(TYPES.release).length, 0);
    assert.deepEqual(run.ofType(TYPES.namespace).map((n) => n.inputs.metadata.name).sort(), ["openhands", "openhands-sandboxes"]);
    assert.equal(run.ofType(TYPES.role).length, 1, "only the runtime's Role");
    assert.ok(run.ofType(TYPES.networkPolicy).length >= 5);
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

  it("keeps the wildcard key out of the sandbox namespace: Contour serves it to that namespace's Ingresses only, through a delegation", async () => {
    const { run } = await build(settings());
    const sandboxNs = "openhands-sandboxes";
    // Nothing that holds or issues a key lands in the sandbox namespace.
    for (const r of run.resources) {
      if (["kubernetes:core/v1:Secret", "kubernetes:cert-manager.io/v1:Certificate"].includes(r.type)) assert.notEqual(r.inputs.metadata?.namespace, sandboxNs, `${r.type} ${r.name}`);
    }
    // A sandbox Ingress as the runtime renders it from the config.json this layer emits.
    const file = JSON.parse(run.get("kubernetes:core/v1:ConfigMap", "openhands-runtime-config").inputs.data["config.json"]);
    const config = parseConfig(file, { SANDBOX_RUNTIME_API_KEY: "k".repeat(32), POD_NAME: "openhands-sandbox-runtime-0" }, "openhands-sandbox-runtime-0");
    const id = { base: "openhands-runtime-abcdefghijklmnopqrstuv", session: { id: "AbCdEfGhIjKlMnOpQrStUv", part: "abcdefghijklmnopqrstuv" }, specHash: "h" };
    const ingress = desiredIngress(config, id, { apiVersion: "v1", kind: "Secret", metadata: { name: "anchor", namespace: sandboxNs, uid: "u" } })!;
    assert.equal(ingress.metadata.namespace, sandboxNs);
    // Contour's lookup (internal/ingress: TLSCertNamespace): the Secret is <annotation>/<secretName>,
    // and a TLSCertificateDelegation in that namespace must name the Ingress's namespace.
    const secretNs = ingress.metadata.annotations?.["projectcontour.io/tls-cert-namespace"];
    assert.equal(secretNs, "openhands");
    const [tls] = ingress.spec.tls;
    const delegations = run.ofType("kubernetes:projectcontour.io/v1:TLSCertificateDelegation");
    assert.equal(delegations.length, 1);
    assert.equal(delegations[0].inputs.metadata.namespace, secretNs);
    assert.deepEqual(delegations[0].inputs.spec, { delegations: [{ secretName: tls.secretName, targetNamespaces: [sandboxNs] }] });
    assert.ok(run.dependsOn(`kubernetes:projectcontour.io/v1:TLSCertificateDelegation::${delegations[0].name}`, "test:layer:Marker::controller"), "the delegation waits for Contour's CRDs");
    // The Secret is the issued wildcard, in that namespace, covering every host of the Ingress.
    const cert = run.get("kubernetes:cert-manager.io/v1:Certificate", "openhands-sandbox-wildcard").inputs;
    assert.equal(cert.metadata.namespace, secretNs);
    assert.equal(cert.spec.secretName, tls.secretName);
    for (const host of tls.hosts as string[]) assert.ok(cert.spec.dnsNames.some((d: string) => d.startsWith("*.") && host.endsWith(d.slice(1)) && !host.slice(0, -d.length + 1).includes(".")), host);
  });

  it("with a configured Secret, issues nothing and still delegates that Secret of the OpenHands namespace", async () => {
    const { run } = await build(settings({ sandbox: { tlsSecret: "wildcard-dns01" } }), { issuer: "acme" });
    assert.equal(run.ofType("kubernetes:cert-manager.io/v1:Certificate").length, 0);
    const [d] = run.ofType("kubernetes:projectcontour.io/v1:TLSCertificateDelegation");
    assert.equal(d.inputs.metadata.namespace, "openhands");
    assert.deepEqual(d.inputs.spec.delegations, [{ secretName: "wildcard-dns01", targetNamespaces: ["openhands-sandboxes"] }]);
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
    const role = run.get(TYPES.role, "openhands-sandbox-role");
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
    const b = run.get(TYPES.roleBinding, "openhands-sandbox-role-binding");
    assert.equal(b.inputs.metadata.namespace, "openhands-sandboxes");
    assert.deepEqual(b.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "openhands-sandbox-runtime" });
    assert.deepEqual(b.inputs.subjects, [{ kind: "ServiceAccount", name: RUNTIME_SERVICE_ACCOUNT, namespace: "openhands" }]);
  });
});

describe("sandbox namespace isolation", () => {
  it("enforces restricted Pod Security; privileged lifts it", async () => {
    const labels = async (privileged: boolean) => (await build(settings({ sandbox: { privileged } }))).run.get(TYPES.namespace, "openhands-sandbox-ns").inputs.metadata.labels;
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
      run.ofType(TYPES.networkPolicy).map((r) => ({ metadata: { name: r.inputs.metadata.name, namespace: r.inputs.metadata.namespace }, spec: r.inputs.spec }));
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
      ["the runtime's readiness check into a sandbox's agent server (probe.via: service)", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-sandbox-runtime" } }, to: sandbox, port: 60000 }, true],
      ["the sandbox server into a sandbox's VS Code port (only browsers use it)", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-app" } }, to: sandbox, port: 60001 }, false],
      ["the gateway into a sandbox's worker port", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-gateway" } }, to: sandbox, port: 12000 }, false],
      ["the runtime into a sandbox's VS Code port", { from: { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-sandbox-runtime" } }, to: sandbox, port: 60001 }, false],
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

    // The sandbox namespace with Cilium, the `openhands` namespace and the fleet namespace, from
    // their pure functions (the component creates the Cilium ones once wired: see the report in
    // components/openhands/netpol-platform.ts). Modules are loaded here, inside this block.
    type Policies = Parameters<typeof evaluateFlow>[0];
    type F = Parameters<typeof evaluateFlow>[1];
    let iso: typeof import("../../components/openhands/isolation");
    let plat: typeof import("../../components/openhands/netpol-platform");
    let fleetNet: typeof import("../../components/ollama/netpol");
    let fleetPodLabels: (fleet: string) => Record<string, string>;
    let resolved: () => ReturnType<typeof import("../../components/openhands/settings").resolveSandbox>;
    before(async () => {
      const st = await import("../../components/openhands/settings");
      resolved = () => st.resolveSandbox(settings().sandbox, { domain: "localhost", ingressClass: "contour", defaultStorageClass: "standard" });
      iso = await import("../../components/openhands/isolation");
      plat = await import("../../components/openhands/netpol-platform");
      fleetNet = await import("../../components/ollama/netpol");
      const labels = await import("../../operator/src/labels");
      fleetPodLabels = (fleet) => ({ ...labels.fleetLabels(fleet), [labels.ACCELERATOR_LABEL]: "none" });
    });
    const oh = (name: string) => ({ namespace: "openhands", labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "agent-platform" } });
    const app = oh("openhands-app");
    const gateway = oh("openhands-gateway");
    const runtime = oh("openhands-sandbox-runtime");
    const workspace = { namespace: "openhands", labels: { app: "ubuntu-dev" } };
    const postgres = { namespace: "openhands", labels: { "cnpg.io/cluster": "openhands-db", "cnpg.io/instanceRole": "primary", role: "primary" } };
    const envoy = { namespace: "projectcontour", labels: { "app.kubernetes.io/name": "envoy" } };
    const cnpgOperator = { namespace: "cnpg-system", labels: { "app.kubernetes.io/name": "cloudnative-pg" } };
    const kubeDns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
    const apiServer = { ip: "172.18.0.2", entities: ["kube-apiserver" as const, "remote-node" as const] };
    const eksApiServer = { ip: "10.0.12.34", entities: ["kube-apiserver" as const, "world" as const] };
    const sandboxPolicies = (o: { cilium: boolean; internet?: boolean }) => {
      const n = {
        sandbox: resolved(),
        openhandsNamespace: "openhands",
        ingressNamespace: "projectcontour",
        fleet: { namespace: "ollama", name: FLEET },
        egress: { internet: o.internet ?? false, cidrs: [] },
        cilium: o.cilium,
      };
      return [...iso.sandboxNetworkPolicies(n), ...iso.sandboxCiliumNetworkPolicies(n)];
    };
    const platform = (o: Partial<Parameters<typeof plat.platformNetworkPolicies>[0]> = {}) => {
      const p = plat.platformNetworkPolicies({
        namespace: "openhands",
        ingressNamespace: "projectcontour",
        sandboxNamespace: "openhands-sandboxes",
        apiServer: { ports: plat.API_SERVER_PORTS },
        cilium: true,
        postgres: { cluster: plat.OPENHANDS_DB_CLUSTER, operatorNamespace: "cnpg-system" },
        ...o,
      });
      return [...p.networkPolicies, ...p.ciliumNetworkPolicies];
    };
    const fleetPolicies = (o: Partial<Parameters<typeof fleetNet.fleetNetworkPolicies>[0]> = {}) => {
      const p = fleetNet.fleetNetworkPolicies({ namespace: "ollama", mesh: "linkerd", cilium: true, sandboxes: { namespace: "openhands-sandboxes", fleet: FLEET }, ...o });
      return [...p.networkPolicies, ...p.ciliumNetworkPolicies];
    };
    const all = (o: { cilium?: boolean; internet?: boolean } = {}): Policies => [
      ...sandboxPolicies({ cilium: o.cilium ?? true, internet: o.internet }),
      ...platform({ cilium: o.cilium ?? true, ...(o.cilium === false ? { apiServer: { ports: [6443], cidrs: ["172.18.0.2/32"] } } : {}) }),
      ...fleetPolicies({ cilium: o.cilium ?? true }),
    ];
    const llm = (method: string, path: string, fleet = FLEET): F => ({ from: sandbox, to: { namespace: "ollama", labels: fleetPodLabels(fleet) }, port: 11434, http: { method, path } });
    const dnsQuery = (name: string, protocol: "UDP" | "TCP" = "UDP"): F => ({ from: sandbox, to: kubeDns, port: 53, protocol, dns: name });

    describe("with Cilium: sandboxes' DNS and LLM at L7", () => {
      it("leaves DNS and the LLM out of the plain policies, so no L4 allow voids the L7 rules", () => {
        const names = sandboxPolicies({ cilium: true }).map((p) => `${"kind" in p ? "cnp" : "netpol"}/${p.metadata.name}`);
        assert.deepEqual(names.sort(), ["cnp/allow-dns-l7", "cnp/allow-llm-l7", "netpol/allow-ingress", "netpol/allow-openhands-callbacks", "netpol/default-deny"]);
        assert.deepEqual(iso.sandboxCiliumNetworkPolicies({ sandbox: resolved(), openhandsNamespace: "openhands", ingressNamespace: "projectcontour", egress: { internet: false, cidrs: [] } }), [], "none without Cilium");
      });
      const table: [string, () => F, boolean][] = [
        ["POST /v1/chat/completions", () => llm("POST", "/v1/chat/completions"), true],
        ["POST /v1/completions", () => llm("POST", "/v1/completions"), true],
        ["POST /v1/embeddings", () => llm("POST", "/v1/embeddings"), true],
        ["GET /v1/models", () => llm("GET", "/v1/models"), true],
        ["GET /v1/models/<name>", () => llm("GET", "/v1/models/qwen2.5-coder:0.5b"), true],
        ["POST /api/pull (any model, from any registry)", () => llm("POST", "/api/pull"), false],
        ["DELETE /api/delete", () => llm("DELETE", "/api/delete"), false],
        ["POST /api/create, /api/push, /api/copy", () => llm("POST", "/api/create"), false],
        ["POST /api/generate (the native API)", () => llm("POST", "/api/generate"), false],
        ["GET /api/tags", () => llm("GET", "/api/tags"), false],
        ["DELETE /v1/models/<name>", () => llm("DELETE", "/v1/models/qwen2.5-coder:0.5b"), false],
        ["GET /v1/models/.. (a dot segment)", () => llm("GET", "/v1/models/.."), false],
        ["GET /v1/models/x/../../api/tags", () => llm("GET", "/v1/models/x/../../api/tags"), false],
        ["GET /v1/models/%2e%2e (an escape)", () => llm("GET", "/v1/models/%2e%2e"), false],
        ["POST /api/pull?next=/v1/chat/completions (a query string)", () => llm("POST", "/api/pull?next=/v1/chat/completions"), false],
        ["POST /v1/chat/completions?stream=true (a query string)", () => llm("POST", "/v1/chat/completions?stream=true"), false],
        ["POST /v1/chat/completions to another fleet", () => llm("POST", "/v1/chat/completions", "other"), false],
        ["raw TCP to the fleet's port (no HTTP request)", () => ({ from: sandbox, to: { namespace: "ollama", labels: fleetPodLabels(FLEET) }, port: 11434 }), false],
        ["DNS of a Service name", () => dnsQuery("openhands-app.openhands.svc.cluster.local"), true],
        ["DNS of a Service name over TCP", () => dnsQuery(`${FLEET}.ollama.svc.cluster.local`, "TCP"), true],
        ["DNS of a search-list try (example.com.<ns>.svc.cluster.local)", () => dnsQuery("example.com.openhands-sandboxes.svc.cluster.local"), true],
        ["DNS of an external name (a tunnel out)", () => dnsQuery("example.com"), false],
        ["DNS of the sandbox domain", () => dnsQuery("abc.sandboxes.localhost"), false],
        ["DNS of a reverse name", () => dnsQuery("10.113.0.203.in-addr.arpa"), false],
        ["DNS to another kube-system pod", () => ({ from: sandbox, to: { namespace: "kube-system", labels: { app: "metrics-server" } }, port: 53, protocol: "UDP", dns: "a.cluster.local" }), false],
      ];
      for (const [what, f, allowed] of table) {
        it(`${allowed ? "allows" : "denies"} ${what}`, () => assert.equal(evaluateFlow(all(), f()).allowed, allowed));
      }

      it("resolves every name when internet egress is on (a wider channel is open then)", () => {
        assert.equal(evaluateFlow(all({ internet: true }), dnsQuery("example.com")).allowed, true);
        assert.deepEqual(
          sandboxPolicies({ cilium: true, internet: true }).flatMap((p) => ("kind" in p ? (p.spec.egress ?? []).flatMap((r) => r.toPorts ?? []).flatMap((t) => t.rules?.dns ?? []) : [])),
          [{ matchPattern: "*" }],
        );
      });

      it("restricts the fleet's side too: a sandbox-namespace policy opening 11434 at L4 still gets inference only", () => {
        const open: NetworkPolicy = {
          metadata: { name: "tampered", namespace: "openhands-sandboxes" },
          spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "TCP", port: 11434 }] }] },
        };
        const d = evaluateFlow([...all(), open], llm("POST", "/api/pull"));
        assert.equal(d.egress.allowed, true, "the sandbox side is voided by the L4 allow");
        assert.equal(d.ingress.allowed, false);
        assert.equal(d.ingress.l7, "http");
      });

      it("would leak the admin API if the plain L4 allow-llm stayed next to the L7 policy (layer7.rst)", () => {
        const plainLlm = iso.sandboxNetworkPolicies({ sandbox: resolved(), openhandsNamespace: "openhands", ingressNamespace: "projectcontour", fleet: { namespace: "ollama", name: FLEET }, egress: { internet: false, cidrs: [] } });
        const cilium = iso.sandboxCiliumNetworkPolicies({ sandbox: resolved(), openhandsNamespace: "openhands", ingressNamespace: "projectcontour", fleet: { namespace: "ollama", name: FLEET }, egress: { internet: false, cidrs: [] }, cilium: true });
        assert.equal(evaluateFlow([...plainLlm, ...cilium], llm("POST", "/api/pull")).egress.allowed, true);
        assert.equal(evaluateFlow([...plainLlm, ...cilium], dnsQuery("example.com")).egress.allowed, true);
      });
    });

    describe("the openhands namespace: default deny, each workload's flows", () => {
      const table: [string, F, boolean][] = [
        ["the ingress controller to the gateway", { from: envoy, to: gateway, port: 8080 }, true],
        ["the ingress controller to the app (not behind the gateway)", { from: envoy, to: app, port: 3000 }, false],
        ["the ingress controller to the runtime", { from: envoy, to: runtime, port: 8080 }, false],
        ["the ingress controller to the dev workspace", { from: envoy, to: workspace, port: 3000 }, false],
        ["another namespace to the gateway", { from: { namespace: "monitoring", labels: { app: "prometheus" } }, to: gateway, port: 8080 }, false],
        ["the gateway to the app", { from: gateway, to: app, port: 3000 }, true],
        ["the gateway to the runtime", { from: gateway, to: runtime, port: 8080 }, false],
        ["the gateway to a sandbox's agent server (cloud-proxy)", { from: gateway, to: sandbox, port: 60000 }, true],
        ["the gateway to the internet", { from: gateway, to: { ip: "203.0.113.10" }, port: 443 }, false],
        ["the gateway to Postgres", { from: gateway, to: postgres, port: 5432 }, false],
        ["a sandbox to the app's webhooks", { from: sandbox, to: app, port: 3000 }, true],
        ["a sandbox to the gateway", { from: sandbox, to: gateway, port: 8080 }, false],
        ["a sandbox to the runtime", { from: sandbox, to: runtime, port: 8080 }, false],
        ["a sandbox to Postgres", { from: sandbox, to: postgres, port: 5432 }, false],
        ["a sandbox to the dev workspace", { from: sandbox, to: workspace, port: 3000 }, false],
        ["the app to the runtime", { from: app, to: runtime, port: 8080 }, true],
        ["the app to a sandbox's agent server", { from: app, to: sandbox, port: 60000 }, true],
        ["the app to Postgres", { from: app, to: postgres, port: 5432 }, true],
        ["the app to the API server", { from: app, to: apiServer, port: 6443 }, false],
        ["the app to the internet", { from: app, to: { ip: "203.0.113.10" }, port: 443 }, false],
        ["the runtime to the API server (kind: 6443)", { from: runtime, to: apiServer, port: 6443 }, true],
        ["the runtime to the API server (EKS: 443)", { from: runtime, to: eksApiServer, port: 443 }, true],
        ["the runtime to the kubelet on the API server's node", { from: runtime, to: apiServer, port: 10250 }, false],
        ["the runtime to a node", { from: runtime, to: { ip: "172.18.0.3", entities: ["remote-node"] }, port: 6443 }, false],
        ["the runtime to a sandbox's agent server (readiness)", { from: runtime, to: sandbox, port: 60000 }, true],
        ["the runtime to the app", { from: runtime, to: app, port: 3000 }, false],
        ["the runtime to the internet", { from: runtime, to: { ip: "203.0.113.10" }, port: 443 }, false],
        ["Postgres to Postgres (replication)", { from: postgres, to: { ...postgres, labels: { ...postgres.labels, role: "replica" } }, port: 5432 }, true],
        ["Postgres to Postgres (instance manager)", { from: postgres, to: postgres, port: 8000 }, true],
        ["the CloudNativePG operator to the instance manager", { from: cnpgOperator, to: postgres, port: 8000 }, true],
        ["the CloudNativePG operator to PostgreSQL itself", { from: cnpgOperator, to: postgres, port: 5432 }, false],
        ["Postgres to the API server", { from: postgres, to: apiServer, port: 6443 }, true],
        ["Postgres to the internet", { from: postgres, to: { ip: "203.0.113.10" }, port: 443 }, false],
        ["the dev workspace to DNS", { from: workspace, to: kubeDns, port: 53, protocol: "UDP" }, true],
        ["the dev workspace to the app", { from: workspace, to: app, port: 3000 }, false],
        ["the dev workspace to the internet", { from: workspace, to: { ip: "203.0.113.10" }, port: 443 }, false],
        ["the dev workspace to the API server", { from: workspace, to: apiServer, port: 6443 }, false],
        ["the app to DNS", { from: app, to: kubeDns, port: 53, protocol: "UDP" }, true],
        ["the gateway to DNS over TCP", { from: gateway, to: kubeDns, port: 53, protocol: "TCP" }, true],
        ["the runtime to DNS", { from: runtime, to: kubeDns, port: 53, protocol: "UDP" }, true],
      ];
      for (const [what, f, allowed] of table) {
        it(`${allowed ? "allows" : "denies"} ${what}`, () => assert.equal(evaluateFlow(all(), f).allowed, allowed));
      }

      it("without Cilium reaches the API server through an ipBlock of its addresses, or its ports anywhere when they are unknown", () => {
        const p = all({ cilium: false });
        assert.equal(evaluateFlow(p, { from: runtime, to: { ip: "172.18.0.2" }, port: 6443 }).allowed, true);
        assert.equal(evaluateFlow(p, { from: runtime, to: { ip: "172.18.0.9" }, port: 6443 }).allowed, false);
        assert.equal(evaluateFlow(p, { from: app, to: { ip: "172.18.0.2" }, port: 6443 }).allowed, false);
        const unknown = platform({ cilium: false });
        assert.equal(evaluateFlow(unknown, { from: runtime, to: { ip: "172.18.0.9" }, port: 6443 }).allowed, true);
        assert.equal(evaluateFlow(unknown, { from: runtime, to: { ip: "172.18.0.9" }, port: 10250 }).allowed, false);
        assert.ok(!unknown.some((x) => "kind" in x), "no CiliumNetworkPolicy without Cilium");
      });

      it("with SQLite has no Postgres policy, and Postgres flows are not allowed", () => {
        const p = platform({ postgres: undefined });
        assert.ok(!p.some((x) => x.metadata.name.includes("postgres")));
        assert.equal(evaluateFlow(p, { from: app, to: postgres, port: 5432 }).allowed, false);
      });

      it("behind an OIDC proxy admits only the proxy to the gateway", () => {
        const proxy = { namespace: "openhands", labels: { "app.kubernetes.io/name": "oauth2-proxy", "app.kubernetes.io/instance": "oauth2-proxy" } };
        const p = [...sandboxPolicies({ cilium: true }), ...platform({ oidcProxy: { podLabels: { ...proxy.labels }, port: 4180 } })];
        assert.equal(evaluateFlow(p, { from: envoy, to: gateway, port: 8080 }).allowed, false, "the identity header is trusted: nothing but the proxy");
        assert.equal(evaluateFlow(p, { from: proxy, to: gateway, port: 8080 }).allowed, true);
        assert.equal(evaluateFlow(p, { from: envoy, to: proxy, port: 4180 }).allowed, true);
        assert.equal(evaluateFlow(p, { from: proxy, to: { ip: "203.0.113.10" }, port: 443 }).allowed, true, "the OIDC issuer");
        assert.equal(evaluateFlow(p, { from: proxy, to: { ip: "169.254.169.254" }, port: 80 }).allowed, false);
        assert.equal(evaluateFlow(p, { from: proxy, to: app, port: 3000 }).allowed, false);
      });
    });

    describe("the fleet namespace: default deny, the model server's flows", () => {
      const fleetPod = () => ({ namespace: "ollama", labels: fleetPodLabels(FLEET) });
      const operator = { namespace: "ollama-system", labels: { "app.kubernetes.io/name": "ollama-fleet-operator" } };
      it("admits sandboxes with inference requests only, and nothing from the operator or Prometheus", () => {
        const p = all();
        assert.equal(evaluateFlow(p, llm("POST", "/v1/chat/completions")).ingress.allowedBy[0], "CiliumNetworkPolicy/allow-sandbox-inference");
        assert.equal(evaluateFlow(p, llm("POST", "/api/pull")).ingress.allowed, false);
        assert.equal(evaluateFlow(p, { from: operator, to: fleetPod(), port: 11434, http: { method: "GET", path: "/api/tags" } }).allowed, false);
        assert.equal(evaluateFlow(p, { from: { namespace: "monitoring", labels: { app: "prometheus" } }, to: fleetPod(), port: 4191 }).allowed, false);
        assert.equal(evaluateFlow(p, { from: app, to: fleetPod(), port: 11434, http: { method: "POST", path: "/v1/chat/completions" } }).allowed, false, "no platform workload calls the model");
      });

      it("lets the model be pulled from public registries over HTTPS only", () => {
        const p = fleetPolicies();
        assert.equal(evaluateFlow(p, { from: fleetPod(), to: { ip: "104.21.0.1" }, port: 443 }).allowed, true);
        assert.equal(evaluateFlow(p, { from: fleetPod(), to: { ip: "104.21.0.1" }, port: 80 }).allowed, false);
        assert.equal(evaluateFlow(p, { from: fleetPod(), to: { ip: "10.0.0.8" }, port: 443 }).allowed, false);
        assert.equal(evaluateFlow(p, { from: fleetPod(), to: { ip: "169.254.169.254" }, port: 80 }).allowed, false);
        assert.equal(evaluateFlow(p, { from: fleetPod(), to: kubeDns, port: 53, protocol: "UDP" }).allowed, true);
        assert.equal(evaluateFlow(p, { from: fleetPod(), to: sandbox, port: 60000 }).allowed, false);
      });

      it("keeps the mesh's control plane reachable: Linkerd, Istio, or nothing without a mesh", () => {
        const linkerd = fleetPolicies({ mesh: "linkerd" });
        for (const port of [8080, 8086, 8090]) assert.equal(evaluateFlow(linkerd, { from: fleetPod(), to: { namespace: "linkerd", labels: { "linkerd.io/control-plane-component": "destination" } }, port }).allowed, true, String(port));
        assert.equal(evaluateFlow(linkerd, { from: fleetPod(), to: { namespace: "linkerd", labels: {} }, port: 9990 }).allowed, false);
        const istio = fleetPolicies({ mesh: "istio" });
        assert.equal(evaluateFlow(istio, { from: fleetPod(), to: { namespace: "istio-system", labels: { app: "istiod" } }, port: 15012 }).allowed, true);
        assert.equal(evaluateFlow(istio, { from: fleetPod(), to: { namespace: "istio-system", labels: { app: "istiod" } }, port: 15010 }).allowed, false);
        assert.equal(evaluateFlow(istio, { from: fleetPod(), to: { namespace: "monitoring", labels: { "app.kubernetes.io/name": "opentelemetry-collector" } }, port: 4317 }).allowed, true);
        assert.equal(evaluateFlow(istio, { from: fleetPod(), to: { namespace: "linkerd", labels: {} }, port: 8086 }).allowed, false);
        assert.ok(!fleetPolicies({ mesh: "none" }).some((x) => x.metadata.name === "allow-mesh-control-plane"));
      });

      it("without Cilium admits sandboxes to the fleet's port at L4 (the whole API: Cilium's L7 rules are what restrict it)", () => {
        const p = all({ cilium: false });
        assert.equal(evaluateFlow(p, llm("POST", "/api/pull")).allowed, true);
        assert.equal(evaluateFlow(p, llm("POST", "/v1/chat/completions", "other")).allowed, false);
      });

      it("admits the KEDA HTTP interceptor and Prometheus only when asked", () => {
        const p = fleetPolicies({ interceptor: { namespace: "keda" }, metrics: { namespace: "monitoring", ports: [4191] } });
        assert.equal(evaluateFlow(p, { from: { namespace: "keda", labels: {} }, to: fleetPod(), port: 11434 }).ingress.allowed, true);
        assert.equal(evaluateFlow(p, { from: { namespace: "monitoring", labels: {} }, to: fleetPod(), port: 4191 }).ingress.allowed, true);
        assert.equal(evaluateFlow(p, { from: { namespace: "monitoring", labels: {} }, to: fleetPod(), port: 11434 }).ingress.allowed, false);
      });
    });
  });
});

describe("OpenHands' LLM", () => {
  it("refuses a fleet whose context is below 32k tokens", async () => {
    const { error } = await build(settings(), { ollama: models(8192) });
    assert.ok(error instanceof pulumi.ResourceError);
    assert.match((error as Error).message, /contextLength: 8192 is below 32768; OpenHands agents need a context of 32k tokens or more/);
  });

  it("refuses a fleet the model layer does not have", async () => {
    const { error } = await build(settings(), { fleet: "missing" });
    assert.ok(error instanceof pulumi.ResourceError);
    assert.match((error as Error).message, /^OpenHands args\.fleet: "missing" is not a fleet of args\.ollama \(qwen2-5-coder-0-5b-4e80b5\)/);
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
