import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acmeSolverFlow, apiServerFlow, namespaceIngressPolicies, PROMETHEUS_PEER, type NamespaceIngress } from "../../components/namespace-ingress";
import { evaluateFlow, type PodEndpoint } from "../../lib/netpol";

const NS = "team-tools";
const pod = (labels: Record<string, string>, namespace = NS): PodEndpoint => ({ namespace, labels });
const WEBHOOK = pod({ app: "webhook" });
const OTHER = pod({ app: "worker" });
const OUTSIDER = pod({ app: "x" }, "default");
const PROMETHEUS = pod({ "app.kubernetes.io/name": "prometheus" }, "monitoring");
const API_SERVER = { ip: "172.18.0.2", entities: ["kube-apiserver" as const, "remote-node" as const] };

describe("namespaceIngressPolicies", () => {
  const declared: NamespaceIngress = { flows: [apiServerFlow("webhook", { app: "webhook" }, [9443], "The API server calls it.")] };
  const policies = namespaceIngressPolicies(NS, declared);

  it("isolates every pod for ingress and names each policy's reason", () => {
    assert.deepEqual(
      policies.map((p) => p.metadata.name),
      ["default-deny-ingress", "allow-same-namespace", "allow-prometheus", "allow-webhook"],
    );
    assert.deepEqual(policies[0].spec, { podSelector: {}, policyTypes: ["Ingress"] });
    for (const p of policies) assert.ok(p.why.length > 10, p.metadata.name);
    assert.equal(policies[3].why, "The API server calls it.");
  });

  it("admits exactly the declared flows", () => {
    const verdict = (from: PodEndpoint | typeof API_SERVER, to: PodEndpoint, port: number) => evaluateFlow(policies, { from, to, port }).allowed;
    assert.equal(verdict(API_SERVER, WEBHOOK, 9443), true, "the API server reaches the webhook port");
    assert.equal(verdict(OUTSIDER, WEBHOOK, 9443), true, "a webhook port is open to every source (the API server is not a pod)");
    assert.equal(verdict(OUTSIDER, WEBHOOK, 8000), false, "not the webhook pod's other ports");
    assert.equal(verdict(OUTSIDER, OTHER, 9443), false, "not another pod on the webhook port");
    assert.equal(verdict(OTHER, WEBHOOK, 8000), true, "neighbours reach each other");
    assert.equal(verdict(PROMETHEUS, OTHER, 8000), true, "Prometheus scrapes");
    assert.equal(verdict(pod({ "app.kubernetes.io/name": "prometheus" }, "default"), OTHER, 8000), false, "a pod labelled like Prometheus elsewhere is not Prometheus");
  });

  it("without sameNamespace and scraping, neighbours and Prometheus are refused", () => {
    const strict = namespaceIngressPolicies(NS, { sameNamespace: false, scraped: false, flows: [] });
    assert.deepEqual(strict.map((p) => p.metadata.name), ["default-deny-ingress"]);
    assert.equal(evaluateFlow(strict, { from: OTHER, to: WEBHOOK, port: 8000 }).allowed, false);
    assert.equal(evaluateFlow(strict, { from: PROMETHEUS, to: WEBHOOK, port: 8000 }).allowed, false);
  });

  it("scrapes only the selected pods when told", () => {
    const some = namespaceIngressPolicies(NS, { scraped: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["webhook"] }] } });
    assert.equal(evaluateFlow(some, { from: PROMETHEUS, to: WEBHOOK, port: 8000 }).allowed, false);
    assert.equal(evaluateFlow(some, { from: PROMETHEUS, to: OTHER, port: 8000 }).allowed, true);
  });

  it("a flow from another namespace admits its pods only", () => {
    const p = namespaceIngressPolicies(NS, { sameNamespace: false, flows: [{ name: "queries", to: { matchLabels: { app: "webhook" } }, from: { namespace: "keda", pods: { matchLabels: { app: "keda-operator" } } }, ports: [{ port: 9090 }], why: "KEDA queries it." }] });
    assert.equal(evaluateFlow(p, { from: pod({ app: "keda-operator" }, "keda"), to: WEBHOOK, port: 9090 }).allowed, true);
    assert.equal(evaluateFlow(p, { from: pod({ app: "other" }, "keda"), to: WEBHOOK, port: 9090 }).allowed, false);
    assert.equal(evaluateFlow(p, { from: pod({ app: "keda-operator" }, "default"), to: WEBHOOK, port: 9090 }).allowed, false);
  });

  it("the ACME solver flow admits the ingress controller's namespace on 8089", () => {
    const p = namespaceIngressPolicies(NS, { sameNamespace: false, flows: [acmeSolverFlow("projectcontour")] });
    const solver = pod({ "acme.cert-manager.io/http01-solver": "true" });
    assert.equal(evaluateFlow(p, { from: pod({ app: "envoy" }, "projectcontour"), to: solver, port: 8089 }).allowed, true);
    assert.equal(evaluateFlow(p, { from: OUTSIDER, to: solver, port: 8089 }).allowed, false);
  });

  it("refuses a declaration that would open more than it says", () => {
    const flow = { name: "webhook", to: { matchLabels: { app: "webhook" } }, from: "any" as const, ports: [{ port: 9443 }], why: "x" };
    assert.throws(() => namespaceIngressPolicies(NS, { flows: [{ ...flow, to: {} }] }), /namespace team-tools, flow "webhook": from any source to every pod of the namespace/);
    assert.throws(() => namespaceIngressPolicies(NS, { flows: [{ ...flow, ports: [] }] }), /flow "webhook": no ports/);
    assert.throws(() => namespaceIngressPolicies(NS, { flows: [flow, flow] }), /flow "webhook": declared twice/);
    assert.throws(() => namespaceIngressPolicies(NS, { flows: [{ ...flow, name: "Web_hook" }] }), /flow "Web_hook": the name must be a lower-case DNS label/);
    assert.throws(() => namespaceIngressPolicies(NS, { flows: [{ ...flow, why: " " }] }), /flow "webhook": say why it is open/);
    assert.throws(() => namespaceIngressPolicies(NS, { flows: [{ ...flow, from: [] }] }), /flow "webhook": no sources/);
  });

  it("names Prometheus by namespace and pod labels together", () => {
    assert.deepEqual(PROMETHEUS_PEER, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } });
  });
});
