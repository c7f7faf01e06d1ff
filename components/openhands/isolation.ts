import { CILIUM_NAMESPACE_LABEL, kubeDnsEgress, namespaceSelector as nsSelector, NON_PUBLIC_CIDRS, tcpPort as tcp, type CiliumDnsRule, type CiliumNetworkPolicy, type NetworkPolicy, type PolicyPeer, type PolicyPort } from "../../lib/netpol";
import { parseQuantity, quantityToNumber } from "../../lib/quantity";
import { FLEET_LABEL } from "../../operator/src/api/v1alpha1";
import { FLEET_POD_LABELS, OLLAMA_INFERENCE_HTTP } from "../ollama/netpol";
import { PORTS, type ResolvedSandbox } from "./settings";

/*
 * What keeps agent sandboxes (untrusted code) in their box, as plain objects: RBAC for the
 * runtime, NetworkPolicies (and, with Cilium, CiliumNetworkPolicies restricting DNS and the
 * LLM at L7), ResourceQuota, LimitRange, RuntimeClass and the namespace's Pod Security
 * level. Pure, for tests; index.ts creates them. The `openhands` namespace's policies are in
 * netpol-platform.ts, the fleet namespace's in ../ollama/netpol.ts.
 */

/** A PolicyRule as plain data. */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * Pod Security of the sandbox namespace: `restricted` enforced. Our runtime's pods meet it
 * (numeric non-root user, seccomp RuntimeDefault, no privilege escalation, all capabilities
 * dropped, no host namespaces or hostPath); test/integration/sandbox-runtime.itest.ts runs the
 * real sandbox server's sessions in a namespace enforcing it. `privileged: true` lifts
 * enforcement (and needs the namespace in policy.systemNamespaces).
 */
export function sandboxPodSecurity(privileged: boolean): { enforce: "restricted" | "privileged"; labels: Record<string, string> } {
  if (privileged) return { enforce: "privileged", labels: {} };
  return {
    enforce: "restricted",
    labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted" },
  };
}

/** Where sandbox traffic may go and come from, besides DNS. */
export interface SandboxNetwork {
  sandbox: ResolvedSandbox;
  /** Namespace of OpenHands (the app and its sandbox runtime). */
  openhandsNamespace: string;
  /** Namespace of the default ingress controller. */
  ingressNamespace: string;
  /** The fleet the LLM routes to: its namespace and name; none without an LLM. */
  fleet?: { namespace: string; name: string };
  /** `openhands.sandbox.egress`. */
  egress: { internet: boolean; cidrs: { cidr: string; except: string[]; ports: number[] }[] };
  /**
   * Cilium enforces the policies (`networking.cilium.enabled`): DNS and the LLM are then
   * allowed by {@link sandboxCiliumNetworkPolicies} with L7 rules, and the plain policies
   * leave both out (a plain L4 allow of the same peer and port would void the L7 rules).
   * Defaults to false: plain L4 policies only.
   */
  cilium?: boolean;
}

/** Address ranges the internet option leaves out: private, shared, link-local (cloud metadata), loopback. */
export { NON_PUBLIC_CIDRS };

/** The cluster's DNS domain (kind's and EKS's default). */
export const CLUSTER_DOMAIN = "cluster.local";

/**
 * The names sandboxes may resolve through the cluster DNS with Cilium: cluster names only
 * when internet egress is off (CoreDNS answers `cluster.local` itself and forwards nothing,
 * so no query leaves the cluster; the search list's `<name>.<ns>.svc.cluster.local` tries
 * pass too), every name when it is on (the sandbox reaches any public address on 80/443
 * then, a wider channel than DNS, and package managers need names). The sandbox domain is
 * not allowed: the agent calls the app and the LLM by their cluster names and never its own
 * public host (browsers do).
 */
export function sandboxDnsRules(internet: boolean): CiliumDnsRule[] {
  return internet ? [{ matchPattern: "*" }] : [{ matchPattern: `**.${CLUSTER_DOMAIN}` }];
}

const appPods = (name: string) => ({ matchLabels: { "app.kubernetes.io/name": name } });

/** The `openhands` workloads sandboxes talk to (their `app.kubernetes.io/name`). */
export const SANDBOX_CALLERS = { server: "openhands-app", gateway: "openhands-gateway", runtime: "openhands-sandbox-runtime" } as const;
/** A sandbox's ports: the agent server, VS Code, the two workers. */
export const SANDBOX_PORTS = [60000, 60001, 12000, 12001] as const;
/** The agent server's port: the only one the platform's own workloads call. */
export const AGENT_SERVER_PORT = SANDBOX_PORTS[0];

/**
 * The sandbox namespace's NetworkPolicies: deny everything, then allow egress to DNS, to
 * the LLM (the fleet's pods on 11434: the agent server calls the model from the sandbox),
 * to the app for the agent's webhooks, and to what config adds; and ingress only from the
 * ingress controller (every sandbox port) and OpenHands: the app, the gateway's cloud-proxy
 * and the runtime's readiness check (`probe.via: service`), to the agent server's port.
 * With `cilium`, DNS and the LLM are left to {@link sandboxCiliumNetworkPolicies}.
 */
export function sandboxNetworkPolicies(n: SandboxNetwork): NetworkPolicy[] {
  const ns = n.sandbox.namespace;
  const all = {};
  const policy = (name: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({ metadata: { name, namespace: ns }, spec });
  const llmPeers: { to: PolicyPeer[]; ports: PolicyPort[] }[] = [];
  if (n.fleet) {
    llmPeers.push({
      to: [{ namespaceSelector: nsSelector(n.fleet.namespace), podSelector: { matchLabels: { [FLEET_LABEL]: n.fleet.name } } }],
      ports: [tcp(PORTS.ollama)],
    });
  }
  const extra: { to: PolicyPeer[]; ports?: PolicyPort[] }[] = [];
  if (n.egress.internet) extra.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS] } }], ports: [tcp(80), tcp(443)] });
  for (const c of n.egress.cidrs) {
    const peer: PolicyPeer = { ipBlock: c.except.length ? { cidr: c.cidr, except: [...c.except] } : { cidr: c.cidr } };
    extra.push(c.ports.length ? { to: [peer], ports: c.ports.map(tcp) } : { to: [peer] });
  }
  const l7 = n.cilium === true;
  const policies = [
    policy("default-deny", { podSelector: all, policyTypes: ["Ingress", "Egress"] }),
    policy("allow-dns", {
      podSelector: all,
      policyTypes: ["Egress"],
      egress: [kubeDnsEgress()],
    }),
    policy("allow-llm", { podSelector: all, policyTypes: ["Egress"], egress: llmPeers }),
    // Webhooks to the sandbox server only: no other pod of `openhands` (the dev workspace,
    // the gateway, the runtime) is reachable from a sandbox.
    policy("allow-openhands-callbacks", {
      podSelector: all,
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: nsSelector(n.openhandsNamespace), podSelector: appPods(SANDBOX_CALLERS.server) }], ports: [tcp(PORTS.app)] }],
    }),
    // In: the ingress controller (browsers: the agent server, VS Code and the two workers'
    // hosts), and to the agent server's port only the sandbox server (it drives the agent
    // server), the gateway (its cloud-proxy) and the runtime (its readiness check of the
    // sandbox's Service, runtimeConfig's `probe.via: service`).
    policy("allow-ingress", {
      podSelector: all,
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ namespaceSelector: nsSelector(n.ingressNamespace) }], ports: SANDBOX_PORTS.map(tcp) },
        {
          from: [SANDBOX_CALLERS.server, SANDBOX_CALLERS.gateway, SANDBOX_CALLERS.runtime].map((c) => ({ namespaceSelector: nsSelector(n.openhandsNamespace), podSelector: appPods(c) })),
          ports: [tcp(AGENT_SERVER_PORT)],
        },
      ],
    }),
  ];
  if (extra.length) policies.push(policy("allow-egress-extra", { podSelector: all, policyTypes: ["Egress"], egress: extra }));
  // With Cilium the L7 policies allow DNS and the LLM: no L4 allow of the same peers and ports.
  return l7 ? policies.filter((p) => p.metadata.name !== "allow-dns" && p.metadata.name !== "allow-llm") : policies;
}

/**
 * The sandbox namespace's CiliumNetworkPolicies (none without `cilium`): DNS to kube-dns with
 * the names {@link sandboxDnsRules} allows, and the LLM fleet's pods on 11434 with only its
 * OpenAI-compatible inference requests ({@link OLLAMA_INFERENCE_HTTP}). Both add to the plain
 * default deny, which already isolates every sandbox both ways.
 */
export function sandboxCiliumNetworkPolicies(n: SandboxNetwork): CiliumNetworkPolicy[] {
  if (n.cilium !== true) return [];
  const ns = n.sandbox.namespace;
  const cnp = (name: string, description: string, egress: NonNullable<CiliumNetworkPolicy["spec"]["egress"]>): CiliumNetworkPolicy => ({
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name, namespace: ns },
    spec: { description, endpointSelector: {}, egress },
  });
  const policies = [
    cnp(
      "allow-dns-l7",
      n.egress.internet ? "DNS through kube-dns, every name (internet egress is on)." : `DNS through kube-dns, ${CLUSTER_DOMAIN} names only.`,
      [
        {
          toEndpoints: [{ matchLabels: { [CILIUM_NAMESPACE_LABEL]: "kube-system", "k8s:k8s-app": "kube-dns" } }],
          toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: sandboxDnsRules(n.egress.internet) } }],
        },
      ],
    ),
  ];
  if (n.fleet) {
    policies.push(
      cnp("allow-llm-l7", "The LLM fleet's OpenAI-compatible inference requests only.", [
        {
          toEndpoints: [{ matchLabels: { [CILIUM_NAMESPACE_LABEL]: n.fleet.namespace, ...prefixed(FLEET_POD_LABELS), [`k8s:${FLEET_LABEL}`]: n.fleet.name } }],
          toPorts: [{ ports: [{ port: String(PORTS.ollama), protocol: "TCP" }], rules: { http: OLLAMA_INFERENCE_HTTP.map((r) => ({ ...r })) } }],
        },
      ]),
    );
  }
  return policies;
}

const prefixed = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).map(([k, v]) => [`k8s:${k}`, v]));

/** `n` times a quantity, in the quantity's own binary or decimal unit when it divides. */
export function scaleQuantity(q: string, n: number): string {
  const value = quantityToNumber(parseQuantity(q)) * n;
  const units: [string, number][] = [
    ["Ti", 2 ** 40],
    ["Gi", 2 ** 30],
    ["Mi", 2 ** 20],
    ["Ki", 2 ** 10],
  ];
  if (/[KMGTPE]i$/.test(q)) {
    for (const [u, f] of units) if (value % f === 0) return `${value / f}${u}`;
  }
  if (Number.isInteger(value)) return String(value);
  return `${Math.round(value * 1000)}m`;
}

/** The namespace's ResourceQuota: `maxSandboxes` times one sandbox. */
export function sandboxQuota(s: ResolvedSandbox, maxSandboxes: number): Record<string, string> {
  const hard: Record<string, string> = {
    // No Service may expose a sandbox outside the cluster (the runtime creates ClusterIPs only).
    "services.loadbalancers": "0",
    "services.nodeports": "0",
    pods: String(maxSandboxes),
    persistentvolumeclaims: String(maxSandboxes),
    "requests.cpu": scaleQuantity(s.requests.cpu, maxSandboxes),
    "requests.memory": scaleQuantity(s.requests.memory, maxSandboxes),
    "limits.memory": scaleQuantity(s.limits.memory, maxSandboxes),
    "requests.storage": scaleQuantity(s.pvcSize, maxSandboxes),
  };
  if (s.limits.cpu !== undefined) hard["limits.cpu"] = scaleQuantity(s.limits.cpu, maxSandboxes);
  return hard;
}

/**
 * The namespace's LimitRange: containers default to the contract's requests and limits and
 * may not exceed the limits; a PVC may not exceed the contract's size (the runtime API
 * reads PERSISTENT_STORAGE_SIZE, this makes it a ceiling whatever asks).
 */
export function sandboxLimitRange(s: ResolvedSandbox): { type: string; default?: Record<string, string>; defaultRequest?: Record<string, string>; max: Record<string, string> }[] {
  const limits: Record<string, string> = s.limits.cpu === undefined ? { memory: s.limits.memory } : { cpu: s.limits.cpu, memory: s.limits.memory };
  return [
    { type: "Container", default: { ...limits }, defaultRequest: { ...s.requests }, max: { ...limits } },
    { type: "PersistentVolumeClaim", max: { storage: s.pvcSize } },
  ];
}

/** Handlers of the RuntimeClasses the platform creates; other names must exist already. */
export const RUNTIME_CLASS_HANDLERS: Readonly<Record<string, string>> = { gvisor: "runsc", kata: "kata" };

/**
 * The Contour TLSCertificateDelegation (projectcontour.io/v1, Contour 1.33) that lets the
 * sandbox namespace's Ingresses, and only them, use the wildcard certificate's Secret kept
 * in {@link ResolvedSandbox.tlsSecretNamespace}. Contour reads a delegated Secret for an
 * Ingress v1 whose `projectcontour.io/tls-cert-namespace` annotation names that namespace.
 */
export function sandboxTlsDelegation(s: ResolvedSandbox): { delegations: { secretName: string; targetNamespaces: string[] }[] } {
  return { delegations: [{ secretName: s.tlsSecret, targetNamespaces: [s.namespace] }] };
}
