/*
 * A pure evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1) and of the subset of
 * CiliumNetworkPolicies (cilium.io/v2) the platform emits: given the policies and one flow, it
 * decides whether the flow is allowed.
 *
 * NetworkPolicy, following the API's semantics:
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
 *
 * CiliumNetworkPolicy, following Cilium 1.20 (Documentation/security/policy/layer3.rst,
 * layer7.rst, kubernetes.rst; the CRD ciliumnetworkpolicies.yaml):
 *
 * - `spec.endpointSelector` selects pods of the policy's namespace. A policy puts them into
 *   default deny for a direction when it has rules for it (`ingress`/`egress` non-empty), unless
 *   `enableDefaultDeny` says otherwise; one policy asking for default deny is enough.
 * - Cilium enforces NetworkPolicies and CiliumNetworkPolicies together: a flow is allowed
 *   when any rule of either kind allows it, once either kind isolates the pod.
 * - Selectors of `fromEndpoints`/`toEndpoints` read Cilium's labels of a pod: its own labels
 *   (source `k8s:`, a key without a source matches any source) and
 *   `k8s:io.kubernetes.pod.namespace`. A selector that does not name the namespace is limited
 *   to the policy's namespace (kubernetes.rst, "If the namespace label of policy rules is
 *   omitted it defaults to the same namespace where the policy itself is applied in").
 * - `toEntities`/`fromEntities` match the entities an external endpoint carries (`world` unless
 *   told, `kube-apiserver`, `host`, `remote-node`, ...); `cluster` and `all` match pods too.
 * - `toCIDR`/`toCIDRSet` (and `from*`) match external addresses by prefix, minus `except`.
 * - A rule without a peer field but with `toPorts` matches every peer; a rule with neither
 *   matches nothing (`egress: [{}]` is Cilium's default-deny idiom).
 * - `toPorts[].ports[]`: port number (with endPort), port name, or "0"/absent for all ports;
 *   protocol TCP, UDP, SCTP or ANY (the default: TCP, UDP and SCTP).
 * - L7 (`toPorts[].rules.http` / `.dns`): of the rules allowing a flow's peer and port, if any
 *   carries no L7 rules the flow passes whatever its requests (layer7.rst: "If a layer 4 rule is
 *   specified in the policy, and a similar layer 4 rule with layer 7 rules is also specified,
 *   then the layer 7 portions of the latter rule will have no effect"); otherwise the flow's
 *   HTTP request (method, path, host, headers) or DNS query name must match one L7 rule of
 *   them. `method`, `path` and `host` are regular expressions matched against the whole
 *   value (Envoy's safe_regex matching); DNS `matchName` is exact and `matchPattern` follows
 *   pkg/fqdn/matchpattern (`*` one label's characters, a leading `**.` any number of labels,
 *   `*` alone every name). A flow that carries no request through an L7 port is denied: only
 *   the listed requests pass there.
 *
 * Conservative where Cilium is stricter: CIDR peers match any external address, node and
 * API server addresses too (Cilium's default `policy-cidr-match-mode` leaves nodes out of
 * CIDR selectors), so the evaluator may allow a flow Cilium drops, never the reverse. Fields
 * outside the subset (toFQDNs, toServices, deny rules, headerMatches, ...) throw.
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

/** Cilium's entities (layer3.rst, "Entities based"). */
export type CiliumEntity = "all" | "world" | "cluster" | "host" | "remote-node" | "kube-apiserver" | "init" | "health" | "unmanaged" | "ingress" | "none";

/** One L4 port of a Cilium port rule: `port` a number or a name as a string ("0" or absent: all ports). */
export interface CiliumPortProtocol {
  port?: string;
  endPort?: number;
  protocol?: "TCP" | "UDP" | "SCTP" | "ANY";
}

/** An HTTP rule (PortRuleHTTP): every field set must match; an empty rule matches every request. */
export interface CiliumHttpRule {
  method?: string;
  path?: string;
  host?: string;
  /** Headers that must be present: `Name` or `Name: value`. */
  headers?: string[];
}

/** A DNS rule (PortRuleDNS): exactly one of the two. */
export interface CiliumDnsRule {
  matchName?: string;
  matchPattern?: string;
}

/** A port rule (PortRule): ports and optional L7 rules of one kind. */
export interface CiliumPortRule {
  ports?: CiliumPortProtocol[];
  rules?: { http?: CiliumHttpRule[]; dns?: CiliumDnsRule[] };
}

/** A CIDR with exceptions (CIDRRule). */
export interface CiliumCidrRule {
  cidr: string;
  except?: string[];
}

/** An egress rule (EgressRule), the fields the platform uses. At most one peer field. */
export interface CiliumEgressRule {
  toEndpoints?: LabelSelector[];
  toEntities?: CiliumEntity[];
  toCIDR?: string[];
  toCIDRSet?: CiliumCidrRule[];
  toPorts?: CiliumPortRule[];
}

/** An ingress rule (IngressRule), the fields the platform uses. At most one peer field. */
export interface CiliumIngressRule {
  fromEndpoints?: LabelSelector[];
  fromEntities?: CiliumEntity[];
  fromCIDR?: string[];
  fromCIDRSet?: CiliumCidrRule[];
  toPorts?: CiliumPortRule[];
}

/** A CiliumNetworkPolicy (cilium.io/v2) as plain data: the subset the evaluator understands. */
export interface CiliumNetworkPolicy {
  apiVersion: "cilium.io/v2";
  kind: "CiliumNetworkPolicy";
  metadata: { name: string; namespace: string };
  spec: {
    description?: string;
    endpointSelector: LabelSelector;
    ingress?: CiliumIngressRule[];
    egress?: CiliumEgressRule[];
    enableDefaultDeny?: { ingress?: boolean; egress?: boolean };
  };
}

/** Either kind of policy. */
export type AnyNetworkPolicy = NetworkPolicy | CiliumNetworkPolicy;

/** Transport protocol of a flow. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** A pod: its namespace and labels. */
export interface PodEndpoint {
  namespace: string;
  labels: Record<string, string>;
}

/**
 * An address outside the cluster's pods (an IPv4 address), with the Cilium entities it
 * belongs to: `world` unless given (a node: `host` or `remote-node`; the API server:
 * `kube-apiserver` plus `remote-node` when it runs on a node, plus `world` when managed).
 */
export interface ExternalEndpoint {
  ip: string;
  entities?: CiliumEntity[];
}

/** The HTTP request a flow carries, for L7 rules. */
export interface HttpRequest {
  method: string;
  /** The request target as sent (`/v1/models`; a query string is part of it). */
  path: string;
  host?: string;
  headers?: Record<string, string>;
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
  /** The HTTP request, where an L7 HTTP rule may apply. */
  http?: HttpRequest;
  /** The queried name, where an L7 DNS rule may apply (`example.com`, a trailing dot optional). */
  dns?: string;
}

/** What one direction decided. */
export interface Verdict {
  allowed: boolean;
  /** `unisolated`: no policy selects the pod for this direction (or the side is external). */
  reason: "unisolated" | "allowed" | "denied";
  /** Names of the policies whose rules allowed the flow (`<kind>/<name>` for Cilium's). */
  allowedBy: string[];
  /** The L7 protocol whose rules decided, when every rule allowing the peer and port carried L7 rules. */
  l7?: "http" | "dns";
}

/** The decision for a flow: both directions and the result. */
export interface Decision {
  allowed: boolean;
  egress: Verdict;
  ingress: Verdict;
}

/** Labels of namespaces, by name; `kubernetes.io/metadata.name` is always added. */
export type NamespaceLabels = Record<string, Record<string, string>>;

/**
 * Address ranges that are not the public internet: private, shared (CGNAT), link-local
 * (cloud metadata at 169.254.169.254), loopback.
 */
/** Selects a namespace by the label the API server sets on every namespace. */
export function namespaceSelector(name: string): LabelSelector {
  return { matchLabels: { "kubernetes.io/metadata.name": name } };
}

/** A TCP port of a policy rule. */
export function tcpPort(port: number): PolicyPort {
  return { protocol: "TCP", port };
}

/** Egress to the cluster DNS (kube-dns in kube-system) on 53, UDP and TCP. */
export function kubeDnsEgress(): { to: PolicyPeer[]; ports: PolicyPort[] } {
  return {
    to: [{ namespaceSelector: namespaceSelector("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}

export const NON_PUBLIC_CIDRS = ["10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16"] as const;

const isPod = (e: PodEndpoint | ExternalEndpoint): e is PodEndpoint => "namespace" in e;
const isCilium = (p: AnyNetworkPolicy): p is CiliumNetworkPolicy => (p as CiliumNetworkPolicy).kind === "CiliumNetworkPolicy";
const policyName = (p: AnyNetworkPolicy): string => (isCilium(p) ? `CiliumNetworkPolicy/${p.metadata.name}` : p.metadata.name);

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

// ---- Cilium ---------------------------------------------------------------------------

/** The label Cilium gives every pod for its namespace. */
export const CILIUM_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";

const SPEC_FIELDS = new Set(["description", "endpointSelector", "ingress", "egress", "enableDefaultDeny"]);
const EGRESS_FIELDS = new Set(["toEndpoints", "toEntities", "toCIDR", "toCIDRSet", "toPorts"]);
const INGRESS_FIELDS = new Set(["fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet", "toPorts"]);
const PORT_RULE_FIELDS = new Set(["ports", "rules"]);
const L7_FIELDS = new Set(["http", "dns"]);
const HTTP_FIELDS = new Set(["method", "path", "host", "headers"]);

function checkFields(o: object, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(o)) if (!allowed.has(k)) throw new Error(`${where}.${k}: not in the CiliumNetworkPolicy subset lib/netpol.ts evaluates`);
}

/** Throws naming the first field of `p` the evaluator does not understand. */
export function checkCiliumPolicy(p: CiliumNetworkPolicy): void {
  const at = `CiliumNetworkPolicy ${p.metadata.namespace}/${p.metadata.name}: spec`;
  checkFields(p.spec, SPEC_FIELDS, at);
  const ports = (rules: CiliumPortRule[] | undefined, where: string) =>
    (rules ?? []).forEach((r, i) => {
      checkFields(r, PORT_RULE_FIELDS, `${where}.toPorts[${i}]`);
      if (r.rules) {
        checkFields(r.rules, L7_FIELDS, `${where}.toPorts[${i}].rules`);
        if (r.rules.http && r.rules.dns) throw new Error(`${where}.toPorts[${i}].rules: http and dns are exclusive`);
        (r.rules.http ?? []).forEach((h, j) => checkFields(h, HTTP_FIELDS, `${where}.toPorts[${i}].rules.http[${j}]`));
      }
    });
  (p.spec.egress ?? []).forEach((r, i) => {
    checkFields(r, EGRESS_FIELDS, `${at}.egress[${i}]`);
    if ([r.toEndpoints, r.toEntities, r.toCIDR, r.toCIDRSet].filter((x) => x !== undefined).length > 1) throw new Error(`${at}.egress[${i}]: the peer fields are mutually exclusive`);
    ports(r.toPorts, `${at}.egress[${i}]`);
  });
  (p.spec.ingress ?? []).forEach((r, i) => {
    checkFields(r, INGRESS_FIELDS, `${at}.ingress[${i}]`);
    if ([r.fromEndpoints, r.fromEntities, r.fromCIDR, r.fromCIDRSet].filter((x) => x !== undefined).length > 1) throw new Error(`${at}.ingress[${i}]: the peer fields are mutually exclusive`);
    ports(r.toPorts, `${at}.ingress[${i}]`);
  });
}

/** A selector key in Cilium's spelling (`k8s:app`); a key without a source matches any, which for pods is `k8s`. */
function ciliumKey(key: string): string {
  const colon = key.indexOf(":");
  if (colon < 0) return `k8s:${key}`;
  const source = key.slice(0, colon);
  if (source === "k8s" || source === "any") return `k8s:${key.slice(colon + 1)}`;
  throw new Error(`selector key "${key}": label source "${source}" is not in the subset lib/netpol.ts evaluates`);
}

function ciliumSelector(s: LabelSelector): LabelSelector {
  return {
    matchLabels: Object.fromEntries(Object.entries(s.matchLabels ?? {}).map(([k, v]) => [ciliumKey(k), v])),
    matchExpressions: (s.matchExpressions ?? []).map((e) => ({ ...e, key: ciliumKey(e.key) })),
  };
}

/** Cilium's labels of a pod: its own (source `k8s`) and its namespace's. */
export function ciliumPodLabels(pod: PodEndpoint, known: NamespaceLabels = {}): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(pod.labels)) labels[`k8s:${k}`] = v;
  for (const [k, v] of Object.entries(namespaceLabels(pod.namespace, known))) labels[`k8s:io.cilium.k8s.namespace.labels.${k}`] = v;
  labels[CILIUM_NAMESPACE_LABEL] = pod.namespace;
  return labels;
}

/** Whether a peer selector of a policy in `policyNs` selects `pod` (the policy's namespace unless the selector names one). */
function endpointSelects(selector: LabelSelector, policyNs: string, pod: PodEndpoint, known: NamespaceLabels): boolean {
  const s = ciliumSelector(selector);
  const namesNamespace = CILIUM_NAMESPACE_LABEL in (s.matchLabels ?? {}) || (s.matchExpressions ?? []).some((e) => e.key === CILIUM_NAMESPACE_LABEL);
  if (!namesNamespace && pod.namespace !== policyNs) return false;
  return selectorMatches(s, ciliumPodLabels(pod, known));
}

const IN_CLUSTER: readonly CiliumEntity[] = ["host", "remote-node", "health", "init", "unmanaged", "ingress"];

/** Whether an entity covers the endpoint. */
export function entityMatches(entity: CiliumEntity, other: PodEndpoint | ExternalEndpoint): boolean {
  if (entity === "all") return true;
  if (entity === "none") return false;
  if (isPod(other)) return entity === "cluster";
  const has = other.entities ?? ["world"];
  if (entity === "cluster") return has.some((e) => IN_CLUSTER.includes(e));
  return has.includes(entity);
}

const cidrRuleMatches = (c: CiliumCidrRule, ip: string) => cidrContains(c.cidr, ip) && !(c.except ?? []).some((x) => cidrContains(x, ip));

/** The L3 part of one Cilium rule: whether it selects the peer. */
function ciliumPeerMatches(
  r: { endpoints?: LabelSelector[]; entities?: CiliumEntity[]; cidr?: string[]; cidrSet?: CiliumCidrRule[]; toPorts?: CiliumPortRule[] },
  policyNs: string,
  other: PodEndpoint | ExternalEndpoint,
  known: NamespaceLabels,
): boolean {
  if (r.endpoints) return isPod(other) && r.endpoints.some((s) => endpointSelects(s, policyNs, other, known));
  if (r.entities) return r.entities.some((e) => entityMatches(e, other));
  if (r.cidr) return !isPod(other) && r.cidr.some((c) => cidrRuleMatches({ cidr: c }, other.ip));
  if (r.cidrSet) return !isPod(other) && r.cidrSet.some((c) => cidrRuleMatches(c, other.ip));
  // No peer field: every peer when ports are given (the CRD's "nil ToEndpoints is implicitly
  // treated as a wildcard selector if ToPorts are also specified"), none otherwise.
  return r.toPorts !== undefined;
}

function ciliumPortMatches(p: CiliumPortProtocol, flow: Flow): boolean {
  const protocol = p.protocol ?? "ANY";
  if (protocol !== "ANY" && protocol !== (flow.protocol ?? "TCP")) return false;
  if (p.port === undefined || p.port === "0") return true;
  if (!/^\d+$/.test(p.port)) return flow.portName === p.port;
  const start = Number(p.port);
  return flow.port >= start && flow.port <= (p.endPort ?? start);
}

/** The L7 rules of a port rule: undefined when it has none (omitted or empty: no L7 enforcement). */
function l7Of(r: CiliumPortRule): { http: CiliumHttpRule[] } | { dns: CiliumDnsRule[] } | undefined {
  if (r.rules?.http && r.rules.http.length > 0) return { http: r.rules.http };
  if (r.rules?.dns && r.rules.dns.length > 0) return { dns: r.rules.dns };
  return undefined;
}

const fullMatch = (re: string, value: string) => new RegExp(`^(?:${re})$`).test(value);

/** Whether an HTTP rule admits a request (every field set must match; regexes match the whole value). */
export function httpRuleMatches(rule: CiliumHttpRule, req: HttpRequest): boolean {
  if (rule.method && !fullMatch(rule.method, req.method)) return false;
  if (rule.path && !fullMatch(rule.path, req.path)) return false;
  if (rule.host && (req.host === undefined || !fullMatch(rule.host, req.host))) return false;
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (const h of rule.headers ?? []) {
    const colon = h.indexOf(":");
    const name = (colon < 0 ? h : h.slice(0, colon)).trim().toLowerCase();
    if (!(name in headers)) return false;
    if (colon >= 0 && headers[name] !== h.slice(colon + 1).trim()) return false;
  }
  return true;
}

const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`).toLowerCase();
const DNS_CHARS = "[-a-zA-Z0-9_]";

/** The anchored regex of a DNS matchPattern, as Cilium 1.20's pkg/fqdn/matchpattern builds it. */
export function dnsPatternRegex(pattern: string): RegExp {
  const p = pattern.trim().toLowerCase();
  if (/^\*+\.?$/.test(p)) return new RegExp(`(^(${DNS_CHARS}+[.])+$)|(^[.]$)`);
  const f = fqdn(p);
  let out = "";
  let i = 0;
  const stars = /^\*+/.exec(f)?.[0].length ?? 0;
  if (stars >= 2 && f[stars] === ".") {
    out += `(${DNS_CHARS}+([.]${DNS_CHARS}+){0,})[.]`;
    i = stars + 1;
  }
  for (; i < f.length; i++) {
    const c = f[i];
    if (c === ".") out += "[.]";
    else if (c === "*") {
      while (f[i + 1] === "*") i++;
      out += `${DNS_CHARS}*`;
    } else if (/[-a-z0-9_]/.test(c)) out += c;
    else throw new Error(`matchPattern "${pattern}": "${c}" is not allowed (0-9, a-z, ., -, _ and *)`);
  }
  return new RegExp(`^${out}$`);
}

/** Whether a DNS rule admits a query for `name`. */
export function dnsRuleMatches(rule: CiliumDnsRule, name: string): boolean {
  if (rule.matchName !== undefined) return fqdn(rule.matchName) === fqdn(name);
  if (rule.matchPattern !== undefined) return dnsPatternRegex(rule.matchPattern).test(fqdn(name));
  return false;
}

/** Whether a Cilium policy isolates its endpoints for a direction (its own rules, or enableDefaultDeny). */
function ciliumIsolates(p: CiliumNetworkPolicy, dir: "Ingress" | "Egress"): boolean {
  const rules = dir === "Egress" ? p.spec.egress : p.spec.ingress;
  const explicit = dir === "Egress" ? p.spec.enableDefaultDeny?.egress : p.spec.enableDefaultDeny?.ingress;
  return explicit ?? (rules !== undefined && rules.length > 0);
}

/** One rule that admits the flow's peer and port, with the L7 rules that then apply. */
interface Admission {
  policy: string;
  l7?: { http: CiliumHttpRule[] } | { dns: CiliumDnsRule[] };
}

function ciliumAdmissions(p: CiliumNetworkPolicy, flow: Flow, dir: "Ingress" | "Egress", other: PodEndpoint | ExternalEndpoint, known: NamespaceLabels): Admission[] {
  const rules =
    dir === "Egress"
      ? (p.spec.egress ?? []).map((r) => ({ endpoints: r.toEndpoints, entities: r.toEntities, cidr: r.toCIDR, cidrSet: r.toCIDRSet, toPorts: r.toPorts }))
      : (p.spec.ingress ?? []).map((r) => ({ endpoints: r.fromEndpoints, entities: r.fromEntities, cidr: r.fromCIDR, cidrSet: r.fromCIDRSet, toPorts: r.toPorts }));
  const out: Admission[] = [];
  for (const r of rules) {
    if (!ciliumPeerMatches(r, p.metadata.namespace, other, known)) continue;
    if (r.toPorts === undefined) {
      out.push({ policy: policyName(p) });
      continue;
    }
    for (const pr of r.toPorts) {
      const ports = pr.ports ?? [];
      if (ports.length > 0 && !ports.some((pp) => ciliumPortMatches(pp, flow))) continue;
      out.push({ policy: policyName(p), l7: l7Of(pr) });
    }
  }
  return out;
}

function direction(policies: readonly AnyNetworkPolicy[], flow: Flow, dir: "Ingress" | "Egress", known: NamespaceLabels): Verdict {
  const self = dir === "Egress" ? flow.from : flow.to;
  const other = dir === "Egress" ? flow.to : flow.from;
  if (!isPod(self)) return { allowed: true, reason: "unisolated", allowedBy: [] };
  const local = policies.filter((p) => p.metadata.namespace === self.namespace);
  const plain = local.filter((p): p is NetworkPolicy => !isCilium(p) && types(p).includes(dir) && selectorMatches(p.spec.podSelector, self.labels));
  const cilium = local.filter((p): p is CiliumNetworkPolicy => isCilium(p) && endpointSelects(p.spec.endpointSelector, p.metadata.namespace, self, known));
  if (plain.length === 0 && !cilium.some((p) => ciliumIsolates(p, dir))) return { allowed: true, reason: "unisolated", allowedBy: [] };

  const admissions: Admission[] = [];
  for (const p of plain) {
    const rules = dir === "Egress" ? (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })) : (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
    const admits = rules.some(
      (r) =>
        (!r.peers || r.peers.length === 0 || r.peers.some((peer) => peerMatches(peer, p.metadata.namespace, other, known))) &&
        (!r.ports || r.ports.length === 0 || r.ports.some((port) => portMatches(port, flow))),
    );
    if (admits) admissions.push({ policy: p.metadata.name });
  }
  for (const p of cilium) admissions.push(...ciliumAdmissions(p, flow, dir, other, known));

  const names = (xs: Admission[]) => [...new Set(xs.map((a) => a.policy))];
  if (admissions.length === 0) return { allowed: false, reason: "denied", allowedBy: [] };
  const l4 = admissions.filter((a) => a.l7 === undefined);
  if (l4.length > 0) return { allowed: true, reason: "allowed", allowedBy: names(l4) };
  // Every admitting rule carries L7 rules: the request must match one of them.
  const http = admissions.filter((a) => a.l7 && "http" in a.l7);
  const protocol: "http" | "dns" = http.length > 0 ? "http" : "dns";
  const passing = admissions.filter((a) => {
    if (!a.l7) return false;
    if ("http" in a.l7) return flow.http !== undefined && a.l7.http.some((h) => httpRuleMatches(h, flow.http!));
    return flow.dns !== undefined && a.l7.dns.some((d) => dnsRuleMatches(d, flow.dns!));
  });
  return { allowed: passing.length > 0, reason: passing.length > 0 ? "allowed" : "denied", allowedBy: names(passing), l7: protocol };
}

/**
 * Decides one flow against the policies (NetworkPolicies and CiliumNetworkPolicies
 * together, as Cilium enforces them). `namespaces` gives namespace labels beyond the
 * automatic `kubernetes.io/metadata.name`.
 */
export function evaluateFlow(policies: readonly AnyNetworkPolicy[], flow: Flow, namespaces: NamespaceLabels = {}): Decision {
  policies.filter(isCilium).forEach(checkCiliumPolicy);
  const egress = direction(policies, flow, "Egress", namespaces);
  const ingress = direction(policies, flow, "Ingress", namespaces);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}
