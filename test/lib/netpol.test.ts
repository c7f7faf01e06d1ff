import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cidrContains, evaluateFlow, selectorMatches, type Flow, type NetworkPolicy } from "../../lib/netpol";

const web = { namespace: "shop", labels: { app: "web" } };
const db = { namespace: "shop", labels: { app: "db" } };
const other = { namespace: "elsewhere", labels: { app: "web" } };
const np = (name: string, namespace: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({ metadata: { name, namespace }, spec });
const flow = (from: Flow["from"], to: Flow["to"], port = 5432, protocol: Flow["protocol"] = "TCP"): Flow => ({ from, to, port, protocol });

describe("label selectors", () => {
  it("matches everything with an empty selector and ANDs labels and expressions", () => {
    assert.ok(selectorMatches({}, { a: "1" }));
    assert.ok(selectorMatches({ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "Exists" }] }, { a: "1", b: "" }));
    assert.ok(!selectorMatches({ matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "Exists" }] }, { a: "1" }));
  });

  it("implements In, NotIn and DoesNotExist", () => {
    assert.ok(selectorMatches({ matchExpressions: [{ key: "t", operator: "In", values: ["x", "y"] }] }, { t: "y" }));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: "t", operator: "In", values: ["x"] }] }, {}));
    assert.ok(selectorMatches({ matchExpressions: [{ key: "t", operator: "NotIn", values: ["x"] }] }, {}));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: "t", operator: "NotIn", values: ["x"] }] }, { t: "x" }));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: "t", operator: "DoesNotExist" }] }, { t: "x" }));
  });
});

describe("CIDRs", () => {
  it("contains the addresses of its prefix only", () => {
    assert.ok(cidrContains("10.0.0.0/8", "10.255.1.2"));
    assert.ok(!cidrContains("10.0.0.0/8", "11.0.0.1"));
    assert.ok(cidrContains("0.0.0.0/0", "203.0.113.9"));
    assert.ok(cidrContains("192.0.2.7/32", "192.0.2.7"));
    assert.throws(() => cidrContains("10.0.0.0/33", "10.0.0.1"), /not an IPv4 CIDR/);
  });
});

describe("network policy evaluation", () => {
  it("allows everything when no policy selects the pods", () => {
    const d = evaluateFlow([np("only-db", "shop", { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"] })], flow(web, other));
    assert.equal(d.allowed, true);
    assert.equal(d.egress.reason, "unisolated");
    assert.equal(d.ingress.reason, "unisolated");
  });

  it("denies ingress to a selected pod without a matching rule, and egress only when Egress is a policy type", () => {
    const deny = np("deny", "shop", { podSelector: {} });
    const d = evaluateFlow([deny], flow(web, db));
    assert.equal(d.ingress.reason, "denied");
    assert.equal(d.egress.reason, "unisolated", "policyTypes defaults to Ingress only without an egress section");
    assert.equal(d.allowed, false);
  });

  it("reads policyTypes from the egress section when unset", () => {
    const d = evaluateFlow([np("egress", "shop", { podSelector: {}, egress: [] })], flow(web, other));
    assert.equal(d.egress.reason, "denied");
  });

  it("scopes a bare podSelector peer to the policy's namespace", () => {
    const p = np("from-web", "shop", { podSelector: { matchLabels: { app: "db" } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: "web" } } }] }] });
    assert.equal(evaluateFlow([p], flow(web, db)).allowed, true);
    assert.equal(evaluateFlow([p], flow(other, db)).allowed, false);
  });

  it("ANDs namespaceSelector and podSelector in one peer, ORs separate peers", () => {
    const both = np("both", "shop", {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "api" } } }] }],
    });
    const ns = { elsewhere: { team: "a" } };
    assert.equal(evaluateFlow([both], flow({ namespace: "elsewhere", labels: { app: "api" } }, db), ns).allowed, true);
    assert.equal(evaluateFlow([both], flow({ namespace: "elsewhere", labels: { app: "web" } }, db), ns).allowed, false);
    const either = np("either", "shop", {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }, { podSelector: { matchLabels: { app: "api" } } }] }],
    });
    assert.equal(evaluateFlow([either], flow({ namespace: "elsewhere", labels: { app: "web" } }, db), ns).allowed, true);
  });

  it("matches namespaces by their automatic kubernetes.io/metadata.name label", () => {
    const p = np("from-elsewhere", "shop", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "elsewhere" } } }] }] });
    assert.equal(evaluateFlow([p], flow(other, db)).allowed, true);
    assert.equal(evaluateFlow([p], flow({ namespace: "third", labels: {} }, db)).allowed, false);
  });

  it("matches ports by protocol, number, endPort range and name", () => {
    const p = np("ports", "shop", {
      podSelector: {},
      ingress: [{ ports: [{ port: 53, protocol: "UDP" }, { port: 8000, endPort: 8080 }, { port: "metrics" }] }],
    });
    assert.equal(evaluateFlow([p], flow(web, db, 53, "UDP")).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, db, 53, "TCP")).allowed, false);
    assert.equal(evaluateFlow([p], flow(web, db, 8080)).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, db, 8081)).allowed, false);
    assert.equal(evaluateFlow([p], { from: web, to: db, port: 9100, portName: "metrics" }).allowed, true);
  });

  it("applies ipBlocks with except to external addresses only", () => {
    const p = np("out", "shop", { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }] });
    assert.equal(evaluateFlow([p], flow(web, { ip: "203.0.113.5" }, 443)).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, { ip: "10.1.2.3" }, 443)).allowed, false);
    assert.equal(evaluateFlow([p], flow(web, other, 443)).egress.allowed, false, "an ipBlock does not select pods");
  });

  it("needs both the source's egress and the destination's ingress", () => {
    const egressOnly = np("egress-open", "shop", { podSelector: {}, policyTypes: ["Egress"], egress: [{}] });
    const ingressDeny = np("ingress-deny", "elsewhere", { podSelector: {}, policyTypes: ["Ingress"] });
    const d = evaluateFlow([egressOnly, ingressDeny], flow(web, other));
    assert.equal(d.egress.allowed, true);
    assert.equal(d.ingress.allowed, false);
    assert.equal(d.allowed, false);
  });

  it("unions policies: any one allowing is enough, and names it", () => {
    const deny = np("deny", "shop", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const dns = np("dns", "shop", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ protocol: "UDP", port: 53 }] }] });
    const d = evaluateFlow([deny, dns], flow(web, { ip: "198.51.100.1" }, 53, "UDP"));
    assert.deepEqual(d.egress, { allowed: true, reason: "allowed", allowedBy: ["dns"] });
  });
});
