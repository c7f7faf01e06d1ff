/*
 * A pure evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1): given the policies
 * and one flow, it decides whether the flow is allowed, following the API's semantics:
 *
 * - A pod is isolated for a direction only when some policy in its namespace selects it
 *   (spec.podSelector) and lists that direction in policyTypes. Unselected pods allow all.
 * - policyTypes defaults to ["Ingress"], plus "Egress" when the policy has an egress section.
 * - Policies are additive: a flow is allowed in a direction when any selecting policy has a
 *   rule whose peers and ports both match. An absent or empty peer list matches every
 *   peer; an absent or empty port list matches every port.
 * - A peer's podSelector alone selects pods in the policy's namespace; namespaceSelector
 *   alone selects every pod in the matching namespaces; both together select the matching
 *   pods in the matching namespaces. ipBlock (cidr minus except) matches addresses outside
 *   the cluster's pods (the API leaves pod IPs in ipBlocks implementation-defined, so pod
 *   endpoints never match one here).
 * - A port matches by number (with endPort a range) or by name (the destination container
 *   port's name); protocol defaults to TCP.
 * - A pod-to-pod flow needs both the source's egress and the destination's ingress.
 */

/** Label selector as the API spells it. An empty selector matches everything. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** One peer of a rule. */
export interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

/** One port of a rule. */
export interface PolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

/** A NetworkPolicy as plain data (the fields the evaluator reads). */
export interface NetworkPolicy {
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ("Ingress" | "Egress")[];
    ingress?: { from?: PolicyPeer[]; ports?: PolicyPort[] }[];
    egress?: { to?: PolicyPeer[]; ports?: PolicyPort[] }[];
  };
}

/** Transport protocol of a flow. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** A pod: its namespace and labels. */
export interface PodEndpoint {
  namespace: string;
  labels: Record<string, string>;
}

/** An address outside the cluster's pods (an IPv4 address). */
export interface ExternalEndpoint {
  ip: string;
}

/** A connection attempt from one endpoint to another. */
export interface Flow {
  from: PodEndpoint | ExternalEndpoint;
  to: PodEndpoint | ExternalEndpoint;
  port: number;
  /** Defaults to TCP. */
  protocol?: Protocol;
  /** Name of the destination container port, for policies that name ports. */
  portName?: string;
}

/** What one direction decided. */
export interface Verdict {
  allowed: boolean;
  /** `unisolated`: no policy selects the pod for this direction (or the side is external). */
  reason: "unisolated" | "allowed" | "denied";
  /** Names of the policies whose rules allowed the flow. */
  allowedBy: string[];
}

/** The decision for a flow: both directions and the result. */
export interface Decision {
  allowed: boolean;
  egress: Verdict;
  ingress: Verdict;
}

/** Labels of namespaces, by name; `kubernetes.io/metadata.name` is always added. */
export type NamespaceLabels = Record<string, Record<string, string>>;

const isPod = (e: PodEndpoint | ExternalEndpoint): e is PodEndpoint => "namespace" in e;

/** Whether `labels` satisfy `selector` (matchLabels and matchExpressions ANDed). */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`unknown selector operator ${(e as { operator: string }).operator}`);
    }
  }
  return true;
}

function ipv4(s: string): number {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`"${s}" is not an IPv4 address`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** Whether IPv4 address `ip` is inside `cidr` (`10.0.0.0/8`). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4(base) / size) * size;
  const addr = ipv4(ip);
  return addr >= start && addr < start + size;
}

function namespaceLabels(ns: string, known: NamespaceLabels): Record<string, string> {
  return { ...(known[ns] ?? {}), "kubernetes.io/metadata.name": ns };
}

function peerMatches(peer: PolicyPeer, policyNs: string, other: PodEndpoint | ExternalEndpoint, known: NamespaceLabels): boolean {
  if (peer.ipBlock) {
    if (isPod(other)) return false;
    return cidrContains(peer.ipBlock.cidr, other.ip) && !(peer.ipBlock.except ?? []).some((c) => cidrContains(c, other.ip));
  }
  if (!isPod(other)) return false;
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, namespaceLabels(other.namespace, known))) return false;
  } else if (other.namespace !== policyNs) {
    return false;
  }
  return peer.podSelector ? selectorMatches(peer.podSelector, other.labels) : true;
}

function portMatches(p: PolicyPort, flow: Flow): boolean {
  if ((p.protocol ?? "TCP") !== (flow.protocol ?? "TCP")) return false;
  if (p.port === undefined) return true;
  if (typeof p.port === "string") return flow.portName === p.port;
  const end = p.endPort ?? p.port;
  return flow.port >= p.port && flow.port <= end;
}

const types = (p: NetworkPolicy): ("Ingress" | "Egress")[] => p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);

function direction(policies: readonly NetworkPolicy[], flow: Flow, dir: "Ingress" | "Egress", known: NamespaceLabels): Verdict {
  const self = dir === "Egress" ? flow.from : flow.to;
  const other = dir === "Egress" ? flow.to : flow.from;
  if (!isPod(self)) return { allowed: true, reason: "unisolated", allowedBy: [] };
  const selecting = policies.filter((p) => p.metadata.namespace === self.namespace && types(p).includes(dir) && selectorMatches(p.spec.podSelector, self.labels));
  if (selecting.length === 0) return { allowed: true, reason: "unisolated", allowedBy: [] };
  const allowedBy = selecting
    .filter((p) => {
      const rules = dir === "Egress" ? (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })) : (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
      return rules.some(
        (r) =>
          (!r.peers || r.peers.length === 0 || r.peers.some((peer) => peerMatches(peer, p.metadata.namespace, other, known))) &&
          (!r.ports || r.ports.length === 0 || r.ports.some((port) => portMatches(port, flow))),
      );
    })
    .map((p) => p.metadata.name);
  return { allowed: allowedBy.length > 0, reason: allowedBy.length > 0 ? "allowed" : "denied", allowedBy };
}

/**
 * Decides one flow against the policies. `namespaces` gives namespace labels beyond the
 * automatic `kubernetes.io/metadata.name`.
 */
export function evaluateFlow(policies: readonly NetworkPolicy[], flow: Flow, namespaces: NamespaceLabels = {}): Decision {
  const egress = direction(policies, flow, "Egress", namespaces);
  const ingress = direction(policies, flow, "Ingress", namespaces);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}
