import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ciliumPodLabels,
  dnsPatternRegex,
  dnsRuleMatches,
  entityMatches,
  evaluateFlow,
  httpRuleMatches,
  type CiliumNetworkPolicy,
  type Flow,
  type NetworkPolicy,
} from "../../lib/netpol";

const web = { namespace: "shop", labels: { app: "web" } };
const db = { namespace: "shop", labels: { app: "db" } };
const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
const api = { namespace: "backend", labels: { app: "api" } };
const cnp = (name: string, namespace: string, spec: CiliumNetworkPolicy["spec"]): CiliumNetworkPolicy => ({ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", metadata: { name, namespace }, spec });
const np = (name: string, namespace: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({ metadata: { name, namespace }, spec });
const flow = (from: Flow["from"], to: Flow["to"], port: number, extra: Partial<Flow> = {}): Flow => ({ from, to, port, ...extra });

describe("CiliumNetworkPolicy isolation", () => {
  it("puts the selected pods into default deny for each direction that has rules", () => {
    const p = cnp("out", "shop", { endpointSelector: { matchLabels: { app: "web" } }, egress: [{ toEndpoints: [{ matchLabels: { app: "db" } }] }] });
    const toApi = evaluateFlow([p], flow(web, api, 8080));
    assert.equal(toApi.egress.reason, "denied");
    assert.equal(evaluateFlow([p], flow(web, db, 5432)).egress.allowedBy[0], "CiliumNetworkPolicy/out");
    assert.equal(evaluateFlow([p], flow(api, web, 80)).ingress.reason, "unisolated", "no ingress rules: ingress stays open");
    assert.equal(evaluateFlow([p], flow(db, api, 80)).egress.reason, "unisolated", "the endpointSelector selects web only");
  });

  it("follows enableDefaultDeny over the rules' presence", () => {
    const allowOnly = cnp("broad", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { app: "db" } }] }], enableDefaultDeny: { egress: false } });
    assert.equal(evaluateFlow([allowOnly], flow(web, api, 8080)).egress.reason, "unisolated");
    const denyOnly = cnp("deny", "shop", { endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }], enableDefaultDeny: { egress: true } });
    assert.equal(evaluateFlow([denyOnly], flow(web, api, 8080)).egress.reason, "denied");
  });

  it("treats an empty rule as allowing nothing, and a ports-only rule as every peer", () => {
    const deny = cnp("deny", "shop", { endpointSelector: {}, egress: [{}] });
    assert.equal(evaluateFlow([deny], flow(web, { ip: "203.0.113.1" }, 443)).egress.allowed, false);
    const anyPeer = cnp("dns-anywhere", "shop", { endpointSelector: {}, egress: [{ toPorts: [{ ports: [{ port: "53", protocol: "UDP" }] }] }] });
    assert.equal(evaluateFlow([anyPeer], flow(web, { ip: "203.0.113.1" }, 53, { protocol: "UDP" })).egress.allowed, true);
    assert.equal(evaluateFlow([anyPeer], flow(web, api, 53, { protocol: "UDP" })).egress.allowed, true);
    assert.equal(evaluateFlow([anyPeer], flow(web, api, 53, { protocol: "TCP" })).egress.allowed, false);
  });

  it("unions with NetworkPolicies: either kind isolates, either kind allows", () => {
    const plainDeny = np("deny", "shop", { podSelector: {}, policyTypes: ["Egress"] });
    const ciliumAllow = cnp("to-api", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "backend" } }] }] });
    const d = evaluateFlow([plainDeny, ciliumAllow], flow(web, api, 8080));
    assert.deepEqual(d.egress, { allowed: true, reason: "allowed", allowedBy: ["CiliumNetworkPolicy/to-api"] });
    assert.equal(evaluateFlow([plainDeny], flow(web, api, 8080)).egress.allowed, false);
  });
});

describe("Cilium peers", () => {
  it("limits endpoint selectors that name no namespace to the policy's namespace", () => {
    const p = cnp("same-ns", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{}] }] });
    assert.equal(evaluateFlow([p], flow(web, db, 5432)).egress.allowed, true);
    assert.equal(evaluateFlow([p], flow(web, api, 8080)).egress.allowed, false);
    const other = cnp("other-ns", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "backend", app: "api" } }] }] });
    assert.equal(evaluateFlow([other], flow(web, api, 8080)).egress.allowed, true);
    assert.equal(evaluateFlow([other], flow(web, { namespace: "backend", labels: { app: "worker" } }, 8080)).egress.allowed, false);
  });

  it("reads selector keys with the k8s: or any: source, or none, and refuses other sources", () => {
    for (const key of ["app", "k8s:app", "any:app"]) {
      const p = cnp("k", "shop", { endpointSelector: { matchLabels: { [key]: "web" } }, egress: [{}] });
      assert.equal(evaluateFlow([p], flow(web, db, 1)).egress.reason, "denied", key);
    }
    const reserved = cnp("r", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { "reserved:host": "" } }] }] });
    assert.throws(() => evaluateFlow([reserved], flow(web, db, 1)), /label source "reserved"/);
    assert.deepEqual(ciliumPodLabels(web), {
      "k8s:app": "web",
      "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name": "shop",
      "k8s:io.kubernetes.pod.namespace": "shop",
    });
  });

  it("matches entities: the API server, nodes, world, cluster and all", () => {
    const apiServer = { ip: "172.18.0.2", entities: ["kube-apiserver" as const, "remote-node" as const] };
    const node = { ip: "172.18.0.3", entities: ["remote-node" as const] };
    const internet = { ip: "203.0.113.7" };
    assert.ok(entityMatches("kube-apiserver", apiServer));
    assert.ok(!entityMatches("kube-apiserver", node));
    assert.ok(entityMatches("world", internet), "external endpoints are world unless told");
    assert.ok(!entityMatches("world", node));
    assert.ok(entityMatches("cluster", node) && entityMatches("cluster", web) && !entityMatches("cluster", internet));
    assert.ok(entityMatches("all", internet) && !entityMatches("none", internet));
    const p = cnp("api", "shop", { endpointSelector: {}, egress: [{ toEntities: ["kube-apiserver"], toPorts: [{ ports: [{ port: "6443", protocol: "TCP" }] }] }] });
    assert.equal(evaluateFlow([p], flow(web, apiServer, 6443)).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, apiServer, 10250)).allowed, false, "the kubelet on the same node");
    assert.equal(evaluateFlow([p], flow(web, node, 6443)).allowed, false);
  });

  it("matches CIDR sets minus their exceptions, for external addresses only", () => {
    const p = cnp("out", "shop", { endpointSelector: {}, egress: [{ toCIDRSet: [{ cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] }] }, { toCIDR: ["192.0.2.0/24"] }] });
    assert.equal(evaluateFlow([p], flow(web, { ip: "203.0.113.5" }, 443)).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, { ip: "10.1.2.3" }, 443)).allowed, false);
    assert.equal(evaluateFlow([p], flow(web, { ip: "192.0.2.9" }, 22)).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, api, 443)).egress.allowed, false);
  });

  it("applies ingress rules on the destination, fromEndpoints in other namespaces by label", () => {
    const p = cnp("in", "backend", { endpointSelector: { matchLabels: { app: "api" } }, ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "shop" } }], toPorts: [{ ports: [{ port: "8080" }] }] }] });
    assert.equal(evaluateFlow([p], flow(web, api, 8080)).allowed, true);
    assert.equal(evaluateFlow([p], flow(web, api, 9090)).allowed, false);
    assert.equal(evaluateFlow([p], flow(dns, api, 8080)).allowed, false);
  });
});

describe("Cilium ports", () => {
  const p = (ports: NonNullable<NonNullable<CiliumNetworkPolicy["spec"]["egress"]>[number]["toPorts"]>[number]["ports"]) =>
    cnp("ports", "shop", { endpointSelector: {}, egress: [{ toPorts: [{ ports }] }] });

  it("defaults the protocol to ANY: TCP, UDP and SCTP", () => {
    for (const protocol of ["TCP", "UDP", "SCTP"] as const) assert.equal(evaluateFlow([p([{ port: "53" }])], flow(web, dns, 53, { protocol })).allowed, true, protocol);
    assert.equal(evaluateFlow([p([{ port: "53", protocol: "UDP" }])], flow(web, dns, 53, { protocol: "TCP" })).allowed, false);
  });

  it("matches port ranges, names, and 0 as every port", () => {
    assert.equal(evaluateFlow([p([{ port: "8000", endPort: 8080, protocol: "TCP" }])], flow(web, db, 8080)).allowed, true);
    assert.equal(evaluateFlow([p([{ port: "8000", endPort: 8080, protocol: "TCP" }])], flow(web, db, 8081)).allowed, false);
    assert.equal(evaluateFlow([p([{ port: "metrics" }])], flow(web, db, 9100, { portName: "metrics" })).allowed, true);
    assert.equal(evaluateFlow([p([{ port: "0" }])], flow(web, db, 31337)).allowed, true);
  });
});

describe("Cilium L7 rules", () => {
  const inference = cnp("llm", "shop", {
    endpointSelector: {},
    egress: [
      {
        toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "backend" } }],
        toPorts: [{ ports: [{ port: "11434", protocol: "TCP" }], rules: { http: [{ method: "POST", path: "/v1/chat/completions" }, { method: "GET", path: "/v1/models(/[a-z0-9.:-]+)?" }] } }],
      },
    ],
  });
  const req = (method: string, path: string) => flow(web, api, 11434, { http: { method, path } });

  it("passes only requests that match an HTTP rule, the whole method and path", () => {
    assert.equal(evaluateFlow([inference], req("POST", "/v1/chat/completions")).allowed, true);
    assert.equal(evaluateFlow([inference], req("GET", "/v1/models/qwen2.5-coder:0.5b")).allowed, true);
    assert.equal(evaluateFlow([inference], req("GET", "/v1/chat/completions")).allowed, false, "method");
    assert.equal(evaluateFlow([inference], req("POST", "/api/pull")).allowed, false);
    assert.equal(evaluateFlow([inference], req("POST", "/v1/chat/completions/../../api/pull")).allowed, false, "the path regex matches the whole path");
    assert.equal(evaluateFlow([inference], req("POST", "/x/v1/chat/completions")).allowed, false);
    const d = evaluateFlow([inference], req("DELETE", "/api/delete"));
    assert.deepEqual(d.egress, { allowed: false, reason: "denied", allowedBy: [], l7: "http" });
  });

  it("denies a flow that carries no request through an HTTP-filtered port", () => {
    assert.equal(evaluateFlow([inference], flow(web, api, 11434)).allowed, false);
  });

  it("is voided by an L4 rule for the same peer and port (layer7.rst), of either kind", () => {
    const plainDeny = np("deny", "shop", { podSelector: {}, policyTypes: ["Egress"] });
    const plainL4 = np("allow-llm", "shop", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "backend" } } }], ports: [{ protocol: "TCP", port: 11434 }] }] });
    const d = evaluateFlow([plainDeny, plainL4, inference], req("POST", "/api/pull"));
    assert.deepEqual(d.egress, { allowed: true, reason: "allowed", allowedBy: ["allow-llm"] });
    const ciliumL4 = cnp("l4", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "backend" } }], toPorts: [{ ports: [{ port: "11434" }] }] }] });
    assert.equal(evaluateFlow([inference, ciliumL4], req("POST", "/api/pull")).allowed, true);
    // An L4 rule for another peer leaves this peer's L7 rules in force.
    const otherPeer = np("other", "shop", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "elsewhere" } } }], ports: [{ protocol: "TCP", port: 11434 }] }] });
    assert.equal(evaluateFlow([inference, otherPeer], req("POST", "/api/pull")).allowed, false);
  });

  it("treats empty L7 sections as no L7 rules", () => {
    const empty = cnp("empty", "shop", { endpointSelector: {}, egress: [{ toPorts: [{ ports: [{ port: "80" }], rules: { http: [] } }] }] });
    assert.equal(evaluateFlow([empty], flow(web, api, 80)).allowed, true);
    assert.ok(httpRuleMatches({}, { method: "DELETE", path: "/anything" }), "an empty HTTP rule matches every request");
  });

  it("checks the host and the headers an HTTP rule names", () => {
    assert.ok(httpRuleMatches({ host: "api\\.example\\.com" }, { method: "GET", path: "/", host: "api.example.com" }));
    assert.ok(!httpRuleMatches({ host: "api\\.example\\.com" }, { method: "GET", path: "/", host: "apixexample.com" }));
    assert.ok(!httpRuleMatches({ host: "api\\.example\\.com" }, { method: "GET", path: "/" }));
    assert.ok(httpRuleMatches({ headers: ["X-My-Header: true"] }, { method: "GET", path: "/", headers: { "x-my-header": "true" } }));
    assert.ok(!httpRuleMatches({ headers: ["X-My-Header: true"] }, { method: "GET", path: "/", headers: { "x-my-header": "false" } }));
    assert.ok(httpRuleMatches({ headers: ["X-Token"] }, { method: "GET", path: "/", headers: { "X-Token": "a" } }));
  });

  it("applies L7 rules on ingress too, and both sides must pass", () => {
    const ingress = cnp("fleet", "backend", {
      endpointSelector: {},
      ingress: [{ fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "shop" } }], toPorts: [{ ports: [{ port: "11434", protocol: "TCP" }], rules: { http: [{ method: "POST", path: "/v1/chat/completions" }] } }] }],
    });
    assert.equal(evaluateFlow([inference, ingress], req("POST", "/v1/chat/completions")).allowed, true);
    const d = evaluateFlow([inference, ingress], req("GET", "/v1/models"));
    assert.equal(d.egress.allowed, true);
    assert.equal(d.ingress.allowed, false);
    assert.equal(d.ingress.l7, "http");
  });
});

describe("Cilium DNS rules", () => {
  it("builds matchPattern regexes as pkg/fqdn/matchpattern does", () => {
    assert.equal(dnsPatternRegex("*.cilium.io").source, "^[-a-zA-Z0-9_]*[.]cilium[.]io[.]$");
    assert.equal(dnsPatternRegex("**.cilium.io").source, "^([-a-zA-Z0-9_]+([.][-a-zA-Z0-9_]+){0,})[.]cilium[.]io[.]$");
    assert.equal(dnsPatternRegex("*").source, "(^([-a-zA-Z0-9_]+[.])+$)|(^[.]$)");
    assert.throws(() => dnsPatternRegex("a+b.io"), /not allowed/);
  });

  it("matches names as the CRD documents", () => {
    const m = (pattern: string, name: string) => dnsRuleMatches({ matchPattern: pattern }, name);
    assert.ok(m("*.cilium.io", "sub.cilium.io") && !m("*.cilium.io", "cilium.io") && !m("*.cilium.io", "sub.sub.cilium.io"));
    assert.ok(m("*cilium.io", "cilium.io") && m("*cilium.io", "sub-cilium.io") && !m("*cilium.io", "www.cilium.io"));
    assert.ok(m("sub*.cilium.io", "subdomain.cilium.io") && !m("sub*.cilium.io", "www.cilium.io"));
    assert.ok(m("**.cilium.io", "app.cilium.io") && m("**.cilium.io", "test.app.cilium.io") && !m("**.cilium.io", "cilium.io"));
    assert.ok(m("*", "example.com") && m("*", "example.com."));
    assert.ok(m("**.cluster.local", "OpenHands-App.openhands.svc.cluster.local."), "case-insensitive, trailing dot optional");
    assert.ok(!m("**.cluster.local", "cluster.local.example.com"));
    assert.ok(dnsRuleMatches({ matchName: "cilium.io" }, "cilium.io.") && !dnsRuleMatches({ matchName: "cilium.io" }, "www.cilium.io"));
  });

  it("filters DNS queries through kube-dns by name", () => {
    const deny = np("deny", "shop", { podSelector: {}, policyTypes: ["Egress"] });
    const p = cnp("dns", "shop", {
      endpointSelector: {},
      egress: [{ toEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" } }], toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "**.cluster.local" }] } }] }],
    });
    const q = (name: string | undefined, protocol: "UDP" | "TCP" = "UDP") => evaluateFlow([deny, p], flow(web, dns, 53, { protocol, dns: name }));
    assert.equal(q("db.shop.svc.cluster.local").allowed, true);
    assert.equal(q("example.com.shop.svc.cluster.local", "TCP").allowed, true, "search-list tries stay in the cluster domain");
    assert.deepEqual(q("example.com").egress, { allowed: false, reason: "denied", allowedBy: [], l7: "dns" });
    assert.equal(q(undefined).allowed, false);
    assert.equal(evaluateFlow([deny, p], flow(web, { namespace: "kube-system", labels: { app: "other" } }, 53, { protocol: "UDP", dns: "a.cluster.local" })).allowed, false);
  });
});

describe("the evaluated subset", () => {
  it("refuses fields it does not evaluate rather than ignore them", () => {
    const fqdn = { ...cnp("fqdn", "shop", { endpointSelector: {}, egress: [] }), spec: { endpointSelector: {}, egress: [{ toFQDNs: [{ matchName: "example.com" }] }] } } as unknown as CiliumNetworkPolicy;
    assert.throws(() => evaluateFlow([fqdn], flow(web, db, 1)), /egress\[0\]\.toFQDNs: not in the CiliumNetworkPolicy subset/);
    const deny = { ...cnp("d", "shop", { endpointSelector: {} }), spec: { endpointSelector: {}, egressDeny: [{}] } } as unknown as CiliumNetworkPolicy;
    assert.throws(() => evaluateFlow([deny], flow(web, db, 1)), /spec\.egressDeny/);
    const two = cnp("two", "shop", { endpointSelector: {}, egress: [{ toEndpoints: [{}], toEntities: ["world"] }] });
    assert.throws(() => evaluateFlow([two], flow(web, db, 1)), /mutually exclusive/);
  });
});
