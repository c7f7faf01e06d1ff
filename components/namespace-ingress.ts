import type { LabelSelector, NetworkPolicy, PolicyPeer, PolicyPort } from "../lib/netpol";
import { namespaceSelector } from "../lib/netpol";
import { MONITORING_NAMESPACE, PROMETHEUS_POD_LABELS } from "./observability/settings";

/*
 * Who may open a connection to a platform namespace's pods. Every namespace the platform
 * creates declares it where it is created (platformNamespace's `ingress`), so a namespace
 * cannot exist without it: either the namespace's own component writes its policies both
 * ways (`"own"`: `openhands`, the sandbox namespace, the fleet namespace), or it gets
 *
 *   default-deny-ingress   every pod isolated for ingress
 *   allow-same-namespace   the namespace's pods reach each other (unless `sameNamespace: false`)
 *   allow-prometheus       Prometheus's pods scrape the `scraped` pods (every pod unless told)
 *   allow-<flow>           each declared flow: its pods, its ports, its sources, its reason
 *
 * A flow `from: "any"` admits every source on its ports: the API server calling a webhook or
 * an aggregated API (its address is a node's or the cloud's, not a pod's), every meshed pod
 * calling the mesh control plane, the ingress controller's Envoys from the internet. Egress
 * is not restricted here (operators reach the API server and their clouds, Prometheus
 * scrapes every namespace); the namespaces that run untrusted or model code restrict it.
 * Pods on the host network (node-exporter, CNI and CSI node plugins) are outside
 * NetworkPolicy: they are the node.
 */

/** Where a flow comes from. */
export type FlowSource =
  /** Every source, in or outside the cluster, on the flow's ports. */
  | "any"
  /** Pods of another namespace (all of them unless `pods`). */
  | { namespace: string; pods?: LabelSelector }
  /** Pods of this namespace (where `sameNamespace` is false). */
  | { pods: LabelSelector };

/** One way into a namespace, and why it is open. */
export interface IngressFlow {
  /** Policy name suffix: `allow-<name>` (lower-case DNS label). */
  name: string;
  /** The pods it reaches; never every pod of the namespace with `from: "any"`. */
  to: LabelSelector;
  from: FlowSource | FlowSource[];
  /** The ports, at least one. */
  ports: PolicyPort[];
  /** Why the flow exists (who calls, for what). */
  why: string;
}

/** A platform namespace's ingress (see the module comment). */
export interface NamespaceIngress {
  /** The namespace's pods reach each other on every port. Defaults to true. */
  sameNamespace?: boolean;
  /** The pods Prometheus may scrape (any port). Defaults to every pod; `false` for none. */
  scraped?: LabelSelector | false;
  flows?: IngressFlow[];
}

/** What `platformNamespace` is told of a namespace's ingress: declared here, or written by its component. */
export type IngressDeclaration = NamespaceIngress | "own";

/** A policy with the reason it exists (the annotation {@link WHY_ANNOTATION} on the object). */
export type ExplainedPolicy = NetworkPolicy & { why: string };

/** The annotation that carries a policy's reason. */
export const WHY_ANNOTATION = "platform.agents/why";

/** Prometheus's pods, wherever a policy names them. */
export const PROMETHEUS_PEER: PolicyPeer = {
  namespaceSelector: namespaceSelector(MONITORING_NAMESPACE),
  podSelector: { matchLabels: { ...PROMETHEUS_POD_LABELS } },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function peer(source: Exclude<FlowSource, "any">): PolicyPeer {
  if ("namespace" in source) return { namespaceSelector: namespaceSelector(source.namespace), ...(source.pods ? { podSelector: source.pods } : {}) };
  return { podSelector: source.pods };
}

const isEmpty = (s: LabelSelector) => Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0;

/**
 * The NetworkPolicies of a namespace declared with {@link NamespaceIngress}. Pure; throws
 * on a declaration that would open more than it says (a flow from any source to every pod,
 * a flow without ports, a duplicate or malformed name).
 */
export function namespaceIngressPolicies(namespace: string, ingress: NamespaceIngress): ExplainedPolicy[] {
  const np = (name: string, why: string, spec: NetworkPolicy["spec"]): ExplainedPolicy => ({ metadata: { name, namespace }, spec, why });
  const out: ExplainedPolicy[] = [np("default-deny-ingress", "Nothing reaches this namespace's pods but the flows its other policies name.", { podSelector: {}, policyTypes: ["Ingress"] })];
  if (ingress.sameNamespace ?? true) {
    out.push(np("allow-same-namespace", "The namespace's components call each other.", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: {} }] }] }));
  }
  if (ingress.scraped !== false) {
    out.push(np("allow-prometheus", "Prometheus scrapes the metrics of these pods.", { podSelector: ingress.scraped ?? {}, policyTypes: ["Ingress"], ingress: [{ from: [PROMETHEUS_PEER] }] }));
  }
  const seen = new Set<string>();
  for (const f of ingress.flows ?? []) {
    if (seen.has(f.name)) throw new Error(`namespace ${namespace}, flow ${JSON.stringify(f.name)}: declared twice`);
    seen.add(f.name);
    out.push(flowPolicy(namespace, f));
  }
  return out;
}

/**
 * The NetworkPolicy `allow-<name>` of one flow. Pure; throws on a flow that would open more
 * than it says (from any source to every pod, no ports or sources, a malformed name, no reason).
 */
export function flowPolicy(namespace: string, f: IngressFlow): ExplainedPolicy {
  const where = `namespace ${namespace}, flow ${JSON.stringify(f.name)}`;
  if (!DNS_LABEL.test(f.name) || f.name.length > 57) throw new Error(`${where}: the name must be a lower-case DNS label of at most 57 characters`);
  if (f.ports.length === 0) throw new Error(`${where}: no ports (a flow names the ports it opens)`);
  const sources = Array.isArray(f.from) ? f.from : [f.from];
  if (sources.length === 0) throw new Error(`${where}: no sources`);
  const any = sources.includes("any");
  if (any && isEmpty(f.to)) throw new Error(`${where}: from any source to every pod of the namespace; select the pods that serve it`);
  if (f.why.trim() === "") throw new Error(`${where}: say why it is open`);
  const ports = f.ports.map((p) => ({ ...p }));
  const rule = any ? { ports } : { from: sources.filter((s) => s !== "any").map(peer), ports };
  return { metadata: { name: `allow-${f.name}`, namespace }, spec: { podSelector: f.to, policyTypes: ["Ingress"], ingress: [rule] }, why: f.why };
}

/**
 * cert-manager's ACME HTTP-01 solver pods (pkg/issuer/acme/http/pod.go: label
 * `acme.cert-manager.io/http01-solver: "true"`, listening on 8089), which it starts in the
 * namespace of an Ingress whose certificate it is issuing: the ingress controller forwards
 * the CA's `/.well-known/acme-challenge/` requests to them.
 */
export const ACME_SOLVER = { labels: { "acme.cert-manager.io/http01-solver": "true" }, port: 8089 } as const;

/** The flow that lets the ingress controller reach {@link ACME_SOLVER} pods in a namespace holding a TLS Ingress. */
export function acmeSolverFlow(ingressNamespace: string): IngressFlow {
  return {
    name: "acme-http01-solver",
    to: { matchLabels: { ...ACME_SOLVER.labels } },
    from: { namespace: ingressNamespace },
    ports: [{ protocol: "TCP", port: ACME_SOLVER.port }],
    why: "The ingress controller forwards the ACME CA's HTTP-01 challenges to cert-manager's solver pods while a certificate of this namespace's Ingresses is issued.",
  };
}

/**
 * A port the API server calls (an admission or conversion webhook, an aggregated API): open to
 * every source, since the API server's address is a node's or the cloud's, not a pod's.
 */
export function apiServerFlow(name: string, pods: Record<string, string>, ports: readonly number[], why: string): IngressFlow {
  return { name, to: { matchLabels: { ...pods } }, from: "any", ports: ports.map((port) => ({ protocol: "TCP" as const, port })), why };
}
