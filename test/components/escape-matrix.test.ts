import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { after, before, describe, it } from "node:test";
import { OIDC_PROXY } from "../../components/auth";
import { fleetNetworkPolicies } from "../../components/ollama/netpol";
import { sandboxCiliumNetworkPolicies, sandboxNetworkPolicies } from "../../components/openhands/isolation";
import { resolveSandbox } from "../../components/openhands/settings";
import { API_SERVER_PORTS, OPENHANDS_DB_CLUSTER, platformNetworkPolicies } from "../../components/openhands/netpol-platform";
import { CHARTS } from "../../components/catalog";
import { ACME_SOLVER } from "../../components/namespace-ingress";
import { MONITORING_NAMESPACE, MONITORING_PODS } from "../../components/observability";
import type { PlatformConfig } from "../../config";
import { fleetName, meshKind, openHandsFleet } from "../../config/names";
import { evaluateFlow, type AnyNetworkPolicy, type CiliumNetworkPolicy, type Decision, type ExternalEndpoint, type Flow, type NetworkPolicy, type PodEndpoint } from "../../lib/netpol";
import { ACCELERATOR_LABEL, fleetLabels } from "../../operator/src/labels";
import { commonLabels } from "../../sandbox-runtime/src/labels";
import { PROD_SECRETS, runProgram, stackConfig } from "../helpers/program";

/*
 * The escape matrix: what an agent sandbox (untrusted code) and the platform's own workloads
 * can reach, decided by every NetworkPolicy and CiliumNetworkPolicy the real program emits
 * for the dev and prod stacks (index.ts under mocks), with Cilium's semantics (lib/netpol.ts).
 *
 * Pulumi's runtime runs one program per process, so each stack is recorded by this same file
 * in a child process (ESCAPE_MATRIX_STACK), which writes the policies and namespaces it saw.
 *
 * Until the program creates the policies of a namespace (components/openhands/netpol-platform.ts
 * for `openhands`, components/ollama/netpol.ts for the fleet namespace, and the sandbox
 * namespace's CiliumNetworkPolicies), that namespace's policies come from the pure functions
 * instead, with the stack's config; the "wiring" test is a todo until then, and checks the
 * recorded objects against the functions after.
 */

const STACKS = ["dev", "prod"] as const;
type Stack = (typeof STACKS)[number];
const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const CNP = "kubernetes:cilium.io/v2:CiliumNetworkPolicy";

/** What a child process records of one stack's run. */
interface Recording {
  policies: AnyNetworkPolicy[];
  namespaces: string[];
}

async function record(stack: Stack, out: string): Promise<void> {
  const run = await runProgram({ stack, secrets: stack === "prod" ? PROD_SECRETS : undefined });
  const policies: AnyNetworkPolicy[] = [
    ...run.ofType(NETPOL).map((r): NetworkPolicy => ({ metadata: { name: r.inputs.metadata.name, namespace: r.inputs.metadata.namespace }, spec: r.inputs.spec })),
    ...run.ofType(CNP).map((r): CiliumNetworkPolicy => ({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name: r.inputs.metadata.name, namespace: r.inputs.metadata.namespace }, spec: r.inputs.spec })),
  ];
  const namespaces = run.ofType("kubernetes:core/v1:Namespace").map((r) => r.inputs.metadata.name as string);
  fs.writeFileSync(out, JSON.stringify({ policies, namespaces } satisfies Recording));
}

function recordInChild(stack: Stack): Promise<Recording> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "escape-matrix-")), `${stack}.json`);
  const env: NodeJS.ProcessEnv = { ...process.env, ESCAPE_MATRIX_STACK: stack, ESCAPE_MATRIX_OUT: out };
  // The child is a plain program, not a test file of this run.
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", __filename], { env, maxBuffer: 64 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) return reject(new Error(`recording ${stack} failed: ${err.message}\n${stderr}`));
      const rec = JSON.parse(fs.readFileSync(out, "utf8")) as Recording;
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      resolve(rec);
    });
  });
}

/** Everything the matrix needs of one stack. */
interface StackView {
  stack: Stack;
  config: PlatformConfig;
  namespaces: string[];
  /** The policies the matrix evaluates. */
  policies: AnyNetworkPolicy[];
  /** The functions' policies for the namespaces they own. */
  expected: AnyNetworkPolicy[];
  /** Namespaces whose policies the program does not create yet (taken from the functions). */
  unwired: string[];
  recorded: AnyNetworkPolicy[];
  ingressNamespace: string;
  sandboxNamespace: string;
  fleetNamespace: string;
  fleet: string;
  otherFleet: string;
}

const isCnp = (p: AnyNetworkPolicy): p is CiliumNetworkPolicy => "kind" in p && p.kind === "CiliumNetworkPolicy";
const key = (p: AnyNetworkPolicy) => `${isCnp(p) ? "CiliumNetworkPolicy" : "NetworkPolicy"} ${p.metadata.namespace}/${p.metadata.name}`;

function view(stack: Stack, rec: Recording): StackView {
  const config = stackConfig(stack);
  const cilium = config.networking.cilium.enabled;
  const mesh = meshKind(config);
  const fleet = openHandsFleet(config);
  assert.ok(fleet, `${stack}: OpenHands has a fleet`);
  const sandboxNamespace = config.openhands.sandbox.namespace;
  const fleetNamespace = config.ollama.namespace;
  // The controller's namespace as index.ts passed it: the sandbox policy admitting browsers.
  const allowIngress = rec.policies.find((p) => !isCnp(p) && p.metadata.namespace === sandboxNamespace && p.metadata.name === "allow-ingress") as NetworkPolicy | undefined;
  const ingressNamespace = allowIngress?.spec.ingress?.[0]?.from?.[0]?.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];
  assert.ok(ingressNamespace, `${stack}: the sandbox namespace admits the ingress controller`);

  const sandbox = resolveSandbox(config.openhands.sandbox, { domain: config.domain, ingressClass: "unused", defaultStorageClass: "unused" });
  const sandboxNet = { sandbox, openhandsNamespace: "openhands", ingressNamespace, fleet: { namespace: fleetNamespace, name: fleet }, egress: config.openhands.sandbox.egress, cilium };
  const platform = platformNetworkPolicies({
    namespace: "openhands",
    ingressNamespace,
    sandboxNamespace,
    apiServer: { ports: API_SERVER_PORTS },
    cilium,
    postgres: config.openhands.server.database.kind === "postgres" ? { cluster: OPENHANDS_DB_CLUSTER, operatorNamespace: CHARTS.cloudnativePg.namespace } : undefined,
    oidcProxy: config.openhands.oidc ? { podLabels: { ...OIDC_PROXY.podLabels }, port: OIDC_PROXY.containerPort } : undefined,
  });
  const fleets = fleetNetworkPolicies({ namespace: fleetNamespace, mesh, cilium, sandboxes: { namespace: sandboxNamespace, fleet } });
  const owned: Record<string, AnyNetworkPolicy[]> = {
    [sandboxNamespace]: [...sandboxNetworkPolicies(sandboxNet), ...sandboxCiliumNetworkPolicies(sandboxNet)],
    openhands: [...platform.networkPolicies, ...platform.ciliumNetworkPolicies],
    [fleetNamespace]: [...fleets.networkPolicies, ...fleets.ciliumNetworkPolicies],
  };
  // A namespace is wired once the program creates the policies only the new code has.
  const has = (ns: string, pred: (p: AnyNetworkPolicy) => boolean) => rec.policies.some((p) => p.metadata.namespace === ns && pred(p));
  const wired: Record<string, boolean> = {
    [sandboxNamespace]: !cilium || has(sandboxNamespace, isCnp),
    openhands: has("openhands", (p) => !isCnp(p) && p.metadata.name === "default-deny"),
    [fleetNamespace]: has(fleetNamespace, (p) => !isCnp(p) && p.metadata.name === "default-deny"),
  };
  const unwired = Object.keys(owned)
    .filter((ns) => !wired[ns])
    .sort();
  // Unwired: the sandbox namespace's recorded policies are the plain-only call's, replaced
  // whole; elsewhere the functions' policies join what other components record there.
  const replaced = new Set(unwired.flatMap((ns) => owned[ns]).map(key));
  const keep = (p: AnyNetworkPolicy) => !(unwired.includes(p.metadata.namespace) && (p.metadata.namespace === sandboxNamespace || replaced.has(key(p))));
  const policies = [...rec.policies.filter(keep), ...unwired.flatMap((ns) => owned[ns])];
  const fleetNames = config.ollama.fleets.map((f) => fleetName(f));
  return {
    stack,
    config,
    namespaces: [...rec.namespaces].sort(),
    policies,
    expected: Object.values(owned).flat(),
    unwired,
    recorded: rec.policies,
    ingressNamespace,
    sandboxNamespace,
    fleetNamespace,
    fleet,
    otherFleet: fleetNames.find((n) => n !== fleet) ?? "another-fleet",
  };
}

// ---- the endpoints ---------------------------------------------------------------------

/** A sandbox pod as sandbox-runtime labels it. */
const sandboxPod = (v: StackView, base: string): PodEndpoint => ({ namespace: v.sandboxNamespace, labels: commonLabels(base, "session", base, undefined, "0123abcd", "sandbox") });
const fleetPod = (v: StackView, fleet: string): PodEndpoint => ({ namespace: v.fleetNamespace, labels: { ...fleetLabels(fleet), [ACCELERATOR_LABEL]: v.stack === "prod" ? "nvidia" : "none" } });
const platformPod = (name: string): PodEndpoint => ({ namespace: "openhands", labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "agent-platform" } });
const APP = platformPod("openhands-app");
const GATEWAY = platformPod("openhands-gateway");
const RUNTIME = platformPod("openhands-sandbox-runtime");
const WORKSPACE: PodEndpoint = { namespace: "openhands", labels: { app: "ubuntu-dev" } };
const PROXY: PodEndpoint = { namespace: "openhands", labels: { ...OIDC_PROXY.podLabels } };
const POSTGRES: PodEndpoint = { namespace: "openhands", labels: { "cnpg.io/cluster": OPENHANDS_DB_CLUSTER, "cnpg.io/instanceRole": "primary", role: "primary" } };
const CNPG_OPERATOR: PodEndpoint = { namespace: CHARTS.cloudnativePg.namespace, labels: { "app.kubernetes.io/name": "cloudnative-pg" } };
const FLEET_OPERATOR: PodEndpoint = { namespace: CHARTS.ollamaFleetOperator.namespace, labels: { "app.kubernetes.io/name": "ollama-fleet-operator" } };
const KUBE_DNS: PodEndpoint = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
const INTERNET: ExternalEndpoint = { ip: "203.0.113.10" };
const METADATA: ExternalEndpoint = { ip: "169.254.169.254" };
/** The API server's endpoint: kind's control-plane node, or EKS's managed endpoint (an ENI in the VPC). */
const apiServer = (v: StackView): { to: ExternalEndpoint; port: number } =>
  v.config.cluster.mode === "kind" ? { to: { ip: "172.18.0.2", entities: ["kube-apiserver", "remote-node"] }, port: 6443 } : { to: { ip: "10.0.12.34", entities: ["kube-apiserver", "world"] }, port: 443 };
const node = (v: StackView): ExternalEndpoint => (v.config.cluster.mode === "kind" ? { ip: "172.18.0.3", entities: ["remote-node"] } : { ip: "10.0.1.23", entities: ["remote-node"] });
const ingressPod = (v: StackView): PodEndpoint => ({ namespace: v.ingressNamespace, labels: { "app.kubernetes.io/name": "envoy" } });
const meshControlPlane = (v: StackView): { to: PodEndpoint; port: number } =>
  v.config.mesh.istio.enabled ? { to: { namespace: "istio-system", labels: { app: "istiod", istio: "pilot" } }, port: 15012 } : { to: { namespace: "linkerd", labels: { "linkerd.io/control-plane-component": "destination" } }, port: 8086 };

/** A pod of a namespace the platform does not manage (`default`): any workload someone deploys. */
const OUTSIDER: PodEndpoint = { namespace: "default", labels: { app: "outsider" } };
const monitoringPod = (labels: Record<string, string>): PodEndpoint => ({ namespace: MONITORING_NAMESPACE, labels: { ...labels } });
const PROMETHEUS = monitoringPod(MONITORING_PODS.prometheus);
const GRAFANA = monitoringPod(MONITORING_PODS.grafana);
const GRAFANA_OPERATOR = monitoringPod(MONITORING_PODS.grafanaOperator);
const COLLECTOR = monitoringPod({ ...MONITORING_PODS.collector, component: "standalone-collector" });
const LOKI = monitoringPod({ ...MONITORING_PODS.loki, "app.kubernetes.io/component": "single-binary" });
const JAEGER = monitoringPod({ ...MONITORING_PODS.jaeger, "app.kubernetes.io/component": "all-in-one" });
const ALERTMANAGER = monitoringPod(MONITORING_PODS.alertmanager);
const GRAFANA_PROXY = monitoringPod(OIDC_PROXY.podLabels);
const KEDA_OPERATOR: PodEndpoint = { namespace: CHARTS.keda.namespace, labels: { app: "keda-operator", "app.kubernetes.io/name": "keda-operator" } };
const KYVERNO_ADMISSION: PodEndpoint = { namespace: CHARTS.kyverno.namespace, labels: { "app.kubernetes.io/component": "admission-controller", "app.kubernetes.io/instance": "kyverno", "app.kubernetes.io/part-of": "kyverno" } };
const CERT_MANAGER_WEBHOOK: PodEndpoint = { namespace: CHARTS.certManager.namespace, labels: { app: "webhook", "app.kubernetes.io/component": "webhook", "app.kubernetes.io/instance": "cert-manager" } };
const contourPod = (component: "envoy" | "contour"): PodEndpoint => ({ namespace: CHARTS.contour.namespace, labels: { "app.kubernetes.io/name": "contour", "app.kubernetes.io/instance": "contour", "app.kubernetes.io/component": component } });
const ACME_SOLVER_POD: PodEndpoint = { namespace: "openhands", labels: { ...ACME_SOLVER.labels } };
/** Present only where the stack runs it. */
const when = (on: (v: StackView) => boolean, make: (v: StackView) => Flow) => (v: StackView) => (on(v) ? make(v) : undefined);
const jaegerOn = (v: StackView) => v.config.observability.jaeger.enabled;
const alertmanagerOn = (v: StackView) => v.config.profile === "prod";

// ---- the matrix ------------------------------------------------------------------------

interface Row {
  flow: string;
  make: (v: StackView) => Flow | undefined;
  expect: Record<Stack, boolean>;
}
const both = (allowed: boolean): Record<Stack, boolean> => ({ dev: allowed, prod: allowed });
const SB = (v: StackView) => sandboxPod(v, "oh-abc123");
const llm = (method: string, p: string, fleet?: string) => (v: StackView): Flow => ({ from: SB(v), to: fleetPod(v, fleet ?? v.fleet), port: 11434, http: { method, path: p } });
const dns = (name: (v: StackView) => string) => (v: StackView): Flow => ({ from: SB(v), to: KUBE_DNS, port: 53, protocol: "UDP", dns: name(v) });

const FIXED_ROWS: Row[] = [
  { flow: "sandbox → the Kubernetes API server", make: (v) => ({ from: SB(v), ...apiServer(v) }), expect: both(false) },
  { flow: "sandbox → cloud metadata 169.254.169.254:80", make: (v) => ({ from: SB(v), to: METADATA, port: 80 }), expect: both(false) },
  { flow: "sandbox → a node's kubelet :10250", make: (v) => ({ from: SB(v), to: node(v), port: 10250 }), expect: both(false) },
  { flow: "sandbox → the internet 203.0.113.10:443", make: (v) => ({ from: SB(v), to: INTERNET, port: 443 }), expect: both(false) },
  { flow: "sandbox → another sandbox's agent server :60000", make: (v) => ({ from: SB(v), to: sandboxPod(v, "oh-def456"), port: 60000 }), expect: both(false) },
  { flow: "the internet → a sandbox :60000", make: (v) => ({ from: INTERNET, to: SB(v), port: 60000 }), expect: both(false) },
  { flow: "sandbox → model admin API: POST /api/pull", make: llm("POST", "/api/pull"), expect: both(false) },
  { flow: "sandbox → model admin API: DELETE /api/delete", make: llm("DELETE", "/api/delete"), expect: both(false) },
  { flow: "sandbox → model native API: POST /api/generate", make: llm("POST", "/api/generate"), expect: both(false) },
  { flow: "sandbox → model inference: POST /v1/chat/completions", make: llm("POST", "/v1/chat/completions"), expect: both(true) },
  { flow: "sandbox → model inference: GET /v1/models", make: llm("GET", "/v1/models"), expect: both(true) },
  { flow: "sandbox → another fleet: POST /v1/chat/completions", make: (v) => llm("POST", "/v1/chat/completions", v.otherFleet)(v), expect: both(false) },
  { flow: "sandbox → DNS: example.com", make: dns(() => "example.com"), expect: both(false) },
  { flow: "sandbox → DNS: openhands-app.openhands.svc.cluster.local", make: dns(() => "openhands-app.openhands.svc.cluster.local"), expect: both(true) },
  { flow: "sandbox → DNS: <fleet>.<fleet namespace>.svc.cluster.local", make: dns((v) => `${v.fleet}.${v.fleetNamespace}.svc.cluster.local`), expect: both(true) },
  { flow: "sandbox → app webhooks :3000", make: (v) => ({ from: SB(v), to: APP, port: 3000 }), expect: both(true) },
  { flow: "sandbox → gateway :8080", make: (v) => ({ from: SB(v), to: GATEWAY, port: 8080 }), expect: both(false) },
  { flow: "sandbox → runtime :8080", make: (v) => ({ from: SB(v), to: RUNTIME, port: 8080 }), expect: both(false) },
  { flow: "sandbox → Postgres :5432", make: (v) => ({ from: SB(v), to: POSTGRES, port: 5432 }), expect: both(false) },
  { flow: "sandbox → dev workspace :3000", make: (v) => ({ from: SB(v), to: WORKSPACE, port: 3000 }), expect: both(false) },
  { flow: "ingress controller → gateway :8080", make: (v) => ({ from: ingressPod(v), to: GATEWAY, port: 8080 }), expect: { dev: true, prod: false } },
  { flow: "ingress controller → oauth2-proxy :4180", make: (v) => ({ from: ingressPod(v), to: PROXY, port: OIDC_PROXY.containerPort }), expect: { dev: false, prod: true } },
  { flow: "oauth2-proxy → gateway :8080", make: () => ({ from: PROXY, to: GATEWAY, port: 8080 }), expect: { dev: false, prod: true } },
  { flow: "ingress controller → app :3000 (around the gateway)", make: (v) => ({ from: ingressPod(v), to: APP, port: 3000 }), expect: both(false) },
  { flow: "ingress controller → dev workspace :3000", make: (v) => ({ from: ingressPod(v), to: WORKSPACE, port: 3000 }), expect: both(false) },
  { flow: "ingress controller → a sandbox :60000", make: (v) => ({ from: ingressPod(v), to: SB(v), port: 60000 }), expect: both(true) },
  { flow: "gateway → app :3000", make: () => ({ from: GATEWAY, to: APP, port: 3000 }), expect: both(true) },
  { flow: "gateway → a sandbox :60000 (cloud-proxy)", make: (v) => ({ from: GATEWAY, to: SB(v), port: 60000 }), expect: both(true) },
  { flow: "app → runtime :8080", make: () => ({ from: APP, to: RUNTIME, port: 8080 }), expect: both(true) },
  { flow: "app → a sandbox :60000", make: (v) => ({ from: APP, to: SB(v), port: 60000 }), expect: both(true) },
  { flow: "app → Postgres :5432", make: () => ({ from: APP, to: POSTGRES, port: 5432 }), expect: { dev: false, prod: true } },
  { flow: "runtime → the Kubernetes API server", make: (v) => ({ from: RUNTIME, ...apiServer(v) }), expect: both(true) },
  { flow: "runtime → a sandbox :60000 (readiness)", make: (v) => ({ from: RUNTIME, to: SB(v), port: 60000 }), expect: both(true) },
  { flow: "CloudNativePG operator → Postgres :8000", make: () => ({ from: CNPG_OPERATOR, to: POSTGRES, port: 8000 }), expect: { dev: false, prod: true } },
  { flow: "Postgres → the Kubernetes API server", make: (v) => ({ from: POSTGRES, ...apiServer(v) }), expect: { dev: false, prod: true } },
  { flow: "gateway → the internet :443", make: () => ({ from: GATEWAY, to: INTERNET, port: 443 }), expect: both(false) },
  { flow: "app → the internet :443", make: () => ({ from: APP, to: INTERNET, port: 443 }), expect: both(false) },
  { flow: "dev workspace → the internet :443", make: () => ({ from: WORKSPACE, to: INTERNET, port: 443 }), expect: both(false) },
  { flow: "fleet → the model registry (public :443)", make: (v) => ({ from: fleetPod(v, v.fleet), to: { ip: "104.18.0.1" }, port: 443 }), expect: both(true) },
  { flow: "fleet → a private address :443", make: (v) => ({ from: fleetPod(v, v.fleet), to: { ip: "10.0.0.8" }, port: 443 }), expect: both(false) },
  { flow: "fleet → cloud metadata :80", make: (v) => ({ from: fleetPod(v, v.fleet), to: METADATA, port: 80 }), expect: both(false) },
  { flow: "fleet → the mesh control plane (linkerd :8086 / istiod :15012)", make: (v) => ({ from: fleetPod(v, v.fleet), ...meshControlPlane(v) }), expect: both(true) },
  { flow: "fleet operator → fleet :11434", make: (v) => ({ from: FLEET_OPERATOR, to: fleetPod(v, v.fleet), port: 11434, http: { method: "GET", path: "/api/tags" } }), expect: both(false) },
  { flow: "ingress controller → an ACME HTTP-01 solver in openhands :8089", make: (v) => ({ from: ingressPod(v), to: ACME_SOLVER_POD, port: ACME_SOLVER.port }), expect: both(true) },
  { flow: "sandbox → an ACME HTTP-01 solver in openhands :8089", make: (v) => ({ from: SB(v), to: ACME_SOLVER_POD, port: ACME_SOLVER.port }), expect: both(false) },
  // Platform namespaces: the unauthenticated backends, Grafana behind its proxy, webhooks.
  { flow: "outside pod → Prometheus :9090", make: () => ({ from: OUTSIDER, to: PROMETHEUS, port: 9090 }), expect: both(false) },
  { flow: "Grafana → Prometheus :9090", make: () => ({ from: GRAFANA, to: PROMETHEUS, port: 9090 }), expect: both(true) },
  { flow: "KEDA operator → Prometheus :9090 (Prometheus triggers)", make: () => ({ from: KEDA_OPERATOR, to: PROMETHEUS, port: 9090 }), expect: both(true) },
  { flow: "Loki → Prometheus :9090 (a neighbour without a reason)", make: () => ({ from: LOKI, to: PROMETHEUS, port: 9090 }), expect: both(false) },
  { flow: "outside pod → Alertmanager :9093", make: when(alertmanagerOn, () => ({ from: OUTSIDER, to: ALERTMANAGER, port: 9093 })), expect: both(false) },
  { flow: "Prometheus → Alertmanager :9093", make: when(alertmanagerOn, () => ({ from: PROMETHEUS, to: ALERTMANAGER, port: 9093 })), expect: both(true) },
  { flow: "outside pod → Loki :3100", make: () => ({ from: OUTSIDER, to: LOKI, port: 3100 }), expect: both(false) },
  { flow: "collector → Loki :3100 (OTLP logs)", make: () => ({ from: COLLECTOR, to: LOKI, port: 3100 }), expect: both(true) },
  { flow: "Grafana → Loki :3100", make: () => ({ from: GRAFANA, to: LOKI, port: 3100 }), expect: both(true) },
  { flow: "outside pod → Jaeger :16686", make: when(jaegerOn, () => ({ from: OUTSIDER, to: JAEGER, port: 16686 })), expect: both(false) },
  { flow: "collector → Jaeger :4317", make: when(jaegerOn, () => ({ from: COLLECTOR, to: JAEGER, port: 4317 })), expect: both(true) },
  { flow: "Grafana → Jaeger :16686", make: when(jaegerOn, () => ({ from: GRAFANA, to: JAEGER, port: 16686 })), expect: both(true) },
  { flow: "outside pod → collector :4317 (OTLP in)", make: () => ({ from: OUTSIDER, to: COLLECTOR, port: 4317 }), expect: both(true) },
  { flow: "Prometheus → collector :8889 (scrape)", make: () => ({ from: PROMETHEUS, to: COLLECTOR, port: 8889 }), expect: both(true) },
  { flow: "Prometheus → Grafana :3000", make: () => ({ from: PROMETHEUS, to: GRAFANA, port: 3000 }), expect: both(false) },
  { flow: "Loki → Grafana :3000 (a neighbour would pass the proxy's header)", make: () => ({ from: LOKI, to: GRAFANA, port: 3000 }), expect: both(false) },
  { flow: "Grafana Operator → Grafana :3000", make: () => ({ from: GRAFANA_OPERATOR, to: GRAFANA, port: 3000 }), expect: both(true) },
  { flow: "ingress controller → Grafana :3000", make: (v) => ({ from: ingressPod(v), to: GRAFANA, port: 3000 }), expect: { dev: true, prod: false } },
  { flow: "ingress controller → Grafana's sign-in proxy :4180", make: when((v) => v.config.openhands.oidc !== undefined, (v) => ({ from: ingressPod(v), to: GRAFANA_PROXY, port: OIDC_PROXY.containerPort })), expect: both(true) },
  { flow: "Grafana's sign-in proxy → Grafana :3000", make: when((v) => v.config.openhands.oidc !== undefined, () => ({ from: GRAFANA_PROXY, to: GRAFANA, port: 3000 })), expect: both(true) },
  { flow: "Prometheus → KEDA's operator :8080 (scrape)", make: () => ({ from: PROMETHEUS, to: KEDA_OPERATOR, port: 8080 }), expect: both(true) },
  { flow: "the API server → Kyverno's admission webhook :9443", make: (v) => ({ from: apiServer(v).to, to: KYVERNO_ADMISSION, port: 9443 }), expect: both(true) },
  { flow: "the API server → cert-manager's webhook :10250", make: (v) => ({ from: apiServer(v).to, to: CERT_MANAGER_WEBHOOK, port: 10250 }), expect: both(true) },
  { flow: "outside pod → Kyverno's admission controller :8000 (metrics)", make: () => ({ from: OUTSIDER, to: KYVERNO_ADMISSION, port: 8000 }), expect: both(false) },
  { flow: "the internet → Envoy :8443", make: () => ({ from: INTERNET, to: contourPod("envoy"), port: 8443 }), expect: both(true) },
  { flow: "Envoy → Contour's xDS :8001", make: () => ({ from: contourPod("envoy"), to: contourPod("contour"), port: 8001 }), expect: both(true) },
  { flow: "outside pod → Contour's xDS :8001", make: () => ({ from: OUTSIDER, to: contourPod("contour"), port: 8001 }), expect: both(false) },
];

/** One row per namespace of either run (and kube-system): a sandbox reaching any other pod there. */
function namespaceRows(views: StackView[]): Row[] {
  const names = [...new Set([...views.flatMap((v) => v.namespaces), "kube-system"])].filter((ns) => !views.some((v) => v.sandboxNamespace === ns)).sort();
  return names.map((ns) => ({
    flow: `sandbox → namespace ${ns} (any other pod :8080)`,
    make: (v: StackView) => (ns === "kube-system" || v.namespaces.includes(ns) ? { from: SB(v), to: { namespace: ns, labels: { "app.kubernetes.io/name": "escape-probe" } }, port: 8080 } : undefined),
    expect: both(false),
  }));
}

/**
 * One row per namespace the platform creates: a pod of a namespace the platform does not
 * manage reaching any pod there that no flow names. kube-system is not the platform's.
 */
function outsiderRows(views: StackView[]): Row[] {
  const names = [...new Set(views.flatMap((v) => v.namespaces))].sort();
  return names.map((ns) => ({
    flow: `outside pod → namespace ${ns} (any other pod :8080)`,
    make: (v: StackView) => (v.namespaces.includes(ns) ? { from: OUTSIDER, to: { namespace: ns, labels: { "app.kubernetes.io/name": "escape-probe" } }, port: 8080 } : undefined),
    expect: both(false),
  }));
}

/** How a decision reads in the table. */
function cell(d: Decision | undefined): string {
  if (!d) return "n/a";
  const l7 = [d.egress.l7, d.ingress.l7].find((x) => x !== undefined);
  if (d.allowed) return l7 ? `allowed (L7 ${l7})` : "allowed";
  const sides = [d.egress, d.ingress].map((s, i) => (s.allowed ? undefined : `${i === 0 ? "egress" : "ingress"}${s.l7 ? ` L7 ${s.l7}` : ""}`)).filter((s) => s !== undefined);
  return `denied (${sides.join(", ")})`;
}

const CHILD_STACK = process.env.ESCAPE_MATRIX_STACK as Stack | undefined;
if (CHILD_STACK) {
  record(CHILD_STACK, process.env.ESCAPE_MATRIX_OUT!).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  describe("the escape matrix (dev and prod, every emitted policy)", () => {
    const views = {} as Record<Stack, StackView>;
    let rows: Row[] = [];
    before(
      async () => {
        const recs = await Promise.all(STACKS.map((s) => recordInChild(s)));
        STACKS.forEach((s, i) => (views[s] = view(s, recs[i])));
        rows = [...FIXED_ROWS.slice(0, 6), ...namespaceRows(STACKS.map((s) => views[s])), ...FIXED_ROWS.slice(6), ...outsiderRows(STACKS.map((s) => views[s]))];
      },
      { timeout: 300_000 },
    );

    for (const stack of STACKS) {
      it(`${stack}: every flow has its expected verdict`, () => {
        const v = views[stack];
        const wrong = rows.flatMap((r) => {
          const f = r.make(v);
          if (!f) return [];
          const d = evaluateFlow(v.policies, f);
          return d.allowed === r.expect[stack] ? [] : [`${r.flow}: expected ${r.expect[stack] ? "allowed" : "denied"}, got ${cell(d)}`];
        });
        assert.deepEqual(wrong, []);
      });

      it(`${stack}: lists the run's namespaces and covers each`, () => {
        const v = views[stack];
        assert.ok(v.namespaces.includes("openhands") && v.namespaces.includes(v.sandboxNamespace) && v.namespaces.includes(v.fleetNamespace));
        for (const ns of v.namespaces.filter((n) => n !== v.sandboxNamespace)) assert.ok(rows.some((r) => r.flow.includes(`namespace ${ns} `)), ns);
      });

      it(`${stack}: the program creates the functions' policies`, (t) => {
        const v = views[stack];
        if (v.unwired.length > 0) {
          t.todo(`not created by the program yet, taken from the functions: ${v.unwired.join(", ")}`);
          return;
        }
        const recorded = new Map(v.recorded.map((p) => [key(p), p]));
        const missing = v.expected.filter((p) => !recorded.has(key(p))).map(key);
        const differing = v.expected.filter((p) => recorded.has(key(p)) && !isDeepStrictEqual(recorded.get(key(p))!.spec, p.spec)).map(key);
        assert.deepEqual({ missing, differing }, { missing: [], differing: [] });
      });
    }

    it("matches results/escape-matrix.md, which the README quotes (ESCAPE_MATRIX_WRITE=1 rewrites it)", () => {
      const text = matrixText();
      const file = path.join(__dirname, "..", "..", "results", "escape-matrix.md");
      if (process.env.ESCAPE_MATRIX_WRITE === "1") fs.writeFileSync(file, text);
      assert.equal(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "", text, "results/escape-matrix.md is stale: rerun this test with ESCAPE_MATRIX_WRITE=1 and update the README's quotes");
    });

    const matrixText = () => {
      const decided = (v: StackView, r: Row) => {
        const f = r.make(v);
        return cell(f ? evaluateFlow(v.policies, f) : undefined);
      };
      return [
        "# Escape matrix",
        "",
        "Written by `ESCAPE_MATRIX_WRITE=1 node --import tsx --test test/components/escape-matrix.test.ts`; do not edit (the test fails when it is stale, the README quotes it).",
        "Every NetworkPolicy and CiliumNetworkPolicy of the dev and prod runs under mocks, evaluated with Cilium's semantics (lib/netpol.ts).",
        "",
        "```text",
        "| flow | dev | prod |",
        "|---|---|---|",
        ...rows.map((r) => `| ${r.flow} | ${decided(views.dev, r)} | ${decided(views.prod, r)} |`),
        "```",
        "",
      ].join("\n");
    };

    after(() => {
      if (rows.length === 0) return;
      const decided = (v: StackView, r: Row) => {
        const f = r.make(v);
        return cell(f ? evaluateFlow(v.policies, f) : undefined);
      };
      const lines = [
        "Escape matrix (test/components/escape-matrix.test.ts): every NetworkPolicy and CiliumNetworkPolicy of the dev and prod runs, Cilium semantics (lib/netpol.ts).",
        ...STACKS.filter((s) => views[s].unwired.length > 0).map((s) => `${s}: policies of ${views[s].unwired.join(", ")} from the functions (not created by the program yet).`),
        "",
        "| flow | dev | prod |",
        "|---|---|---|",
        ...rows.map((r) => `| ${r.flow} | ${decided(views.dev, r)} | ${decided(views.prod, r)} |`),
      ];
      console.log(lines.join("\n"));
    });
  });
}
