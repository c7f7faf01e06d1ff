import type { CiliumNetworkPolicy, LabelSelector, NetworkPolicy, PolicyPeer } from "../../lib/netpol";
import { kubeDnsEgress, namespaceSelector as nsSelector, NON_PUBLIC_CIDRS, tcpPort as tcp } from "../../lib/netpol";
import { acmeSolverFlow, flowPolicy } from "../namespace-ingress";
import { AGENT_SERVER_PORT } from "./isolation";
import { SERVICES } from "./workloads";

/*
 * The `openhands` namespace's network policies, as plain objects (pure; the OpenHands layer
 * creates them). Default deny both ways, then each workload's own flows:
 *
 * | workload                    | in                                              | out                                                     |
 * |-----------------------------|-------------------------------------------------|---------------------------------------------------------|
 * | openhands-gateway :8080     | the ingress controller (or the OIDC proxy)      | app :3000, sandboxes :60000 (cloud-proxy), DNS          |
 * | openhands-app :3000         | gateway, sandboxes (webhooks)                   | runtime :8080, sandboxes :60000, Postgres :5432, DNS    |
 * | openhands-sandbox-runtime   | app :8080                                       | API server, sandboxes :60000 (readiness check), DNS     |
 * | openhands-db (CloudNativePG)| its instances :5432/:8000, app :5432, operator :8000 | its instances :5432/:8000, API server, DNS        |
 * | ubuntu-dev (dev workspace)  | none (kubectl port-forward enters the pod's network namespace through the kubelet, which NetworkPolicy does not see) | DNS |
 * | oauth2-proxy (optional)     | the ingress controller                          | gateway :8080, the OIDC issuer (public internet :443)   |
 * | ACME HTTP-01 solvers        | the ingress controller :8089                    | DNS                                                     |
 *
 * Nothing scrapes these pods (no ServiceMonitor or PodMonitor selects them; the runtime's
 * /metrics is unscraped), so Prometheus is not let in. The API server: the Cilium
 * `kube-apiserver` entity (CiliumNetworkPolicy) on the API server's ports; without Cilium an
 * ipBlock of its addresses when given (the ClusterLayer's address is a host name:
 * `<kind>-control-plane`, or the kubeconfig's server, an EKS DNS name), else its ports at
 * any address.
 */

/** The CloudNativePG cluster of the sandbox server's database (platform.ts `serverDatabase`). */
export const OPENHANDS_DB_CLUSTER = "openhands-db";
/** CloudNativePG's ports: PostgreSQL and the instance manager's status endpoint. */
export const CNPG_PORTS = { postgres: 5432, status: 8000 } as const;
/** Ports API servers' endpoints listen on: managed clusters (EKS, GKE, AKS) 443, kubeadm, kind and k3s 6443. */
export const API_SERVER_PORTS = [443, 6443] as const;

/** Where the API server may be when its addresses are not given (no Cilium: see {@link PlatformNetwork.apiServer}). */
export const ANY_ADDRESS = "0.0.0.0/0";

/** What the `openhands` namespace's policies depend on. */
export interface PlatformNetwork {
  /** The OpenHands namespace. */
  namespace: string;
  /** Namespace of the default ingress controller (the gateway's only way in, unless `oidcProxy`). */
  ingressNamespace: string;
  /** Namespace of the agent sandboxes. */
  sandboxNamespace: string;
  /**
   * The API server, for the runtime and Postgres: the ports its endpoints listen on
   * ({@link API_SERVER_PORTS} unless known) and, without Cilium, its addresses (CIDRs: the
   * endpoints of `default/kubernetes`). Without Cilium and without addresses the runtime and
   * Postgres may reach those ports at any address: the program knows the API server by host
   * name only.
   */
  apiServer: { ports: readonly number[]; cidrs?: readonly string[] };
  /** Cilium enforces policies: the API server is its `kube-apiserver` entity. */
  cilium: boolean;
  /** The CloudNativePG cluster in this namespace and the operator's namespace; none with SQLite. */
  postgres?: { cluster: string; operatorNamespace: string };
  /** An OIDC proxy in front of the gateway (its pods and container port): then the gateway admits only it. */
  oidcProxy?: { podLabels: Record<string, string>; port: number };
}

/** The `openhands` namespace's NetworkPolicies and (with Cilium) CiliumNetworkPolicies. */
export interface PlatformPolicies {
  networkPolicies: NetworkPolicy[];
  ciliumNetworkPolicies: CiliumNetworkPolicy[];
}

const named = (name: string): LabelSelector => ({ matchLabels: { "app.kubernetes.io/name": name } });

/** The `openhands` namespace's policies; see the module comment. */
export function platformNetworkPolicies(n: PlatformNetwork): PlatformPolicies {
  const ns = n.namespace;
  const np = (name: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({ metadata: { name, namespace: ns }, spec });
  const pod = (name: string): PolicyPeer => ({ podSelector: named(name) });
  const sandboxes: PolicyPeer = { namespaceSelector: nsSelector(n.sandboxNamespace) };
  const pg = n.postgres ? { matchLabels: { "cnpg.io/cluster": n.postgres.cluster } } : undefined;
  // Without Cilium: an ipBlock of the API server's addresses, or, when they are not known (the
  // program knows a host name only), its ports at any address.
  const apiServerCidrs = (n.apiServer.cidrs ?? []).length > 0 ? [...n.apiServer.cidrs!] : [ANY_ADDRESS];
  const apiServerRule = n.cilium ? [] : [{ to: apiServerCidrs.map((cidr): PolicyPeer => ({ ipBlock: { cidr } })), ports: n.apiServer.ports.map(tcp) }];
  const { server, runtime, gateway } = SERVICES;

  const networkPolicies: NetworkPolicy[] = [
    np("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    // Every pod resolves cluster names (the dev workspace: nothing else).
    np("allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [kubeDnsEgress()],
    }),
    np("allow-gateway", {
      podSelector: named(gateway.name),
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        n.oidcProxy
          ? { from: [{ podSelector: { matchLabels: { ...n.oidcProxy.podLabels } } }], ports: [tcp(gateway.port)] }
          : { from: [{ namespaceSelector: nsSelector(n.ingressNamespace) }], ports: [tcp(gateway.port)] },
      ],
      egress: [
        { to: [pod(server.name)], ports: [tcp(server.port)] },
        { to: [sandboxes], ports: [tcp(AGENT_SERVER_PORT)] },
      ],
    }),
    np("allow-app", {
      podSelector: named(server.name),
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [pod(gateway.name), sandboxes], ports: [tcp(server.port)] }],
      egress: [
        { to: [pod(runtime.name)], ports: [tcp(runtime.port)] },
        { to: [sandboxes], ports: [tcp(AGENT_SERVER_PORT)] },
        ...(pg ? [{ to: [{ podSelector: pg }], ports: [tcp(CNPG_PORTS.postgres)] }] : []),
      ],
    }),
    np("allow-runtime", {
      podSelector: named(runtime.name),
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [pod(server.name)], ports: [tcp(runtime.port)] }],
      egress: [{ to: [sandboxes], ports: [tcp(AGENT_SERVER_PORT)] }, ...apiServerRule],
    }),
    // cert-manager starts them here while it issues an ACME certificate for this namespace's Ingresses.
    flowPolicy(ns, acmeSolverFlow(n.ingressNamespace)),
  ];
  if (pg && n.postgres) {
    networkPolicies.push(
      np("allow-postgres", {
        podSelector: pg,
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          { from: [{ podSelector: pg }], ports: [tcp(CNPG_PORTS.postgres), tcp(CNPG_PORTS.status)] },
          { from: [pod(server.name)], ports: [tcp(CNPG_PORTS.postgres)] },
          { from: [{ namespaceSelector: nsSelector(n.postgres.operatorNamespace) }], ports: [tcp(CNPG_PORTS.status)] },
        ],
        egress: [{ to: [{ podSelector: pg }], ports: [tcp(CNPG_PORTS.postgres), tcp(CNPG_PORTS.status)] }, ...apiServerRule],
      }),
    );
  }
  if (n.oidcProxy) {
    networkPolicies.push(
      np("allow-oidc-proxy", {
        podSelector: { matchLabels: { ...n.oidcProxy.podLabels } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ namespaceSelector: nsSelector(n.ingressNamespace) }], ports: [tcp(n.oidcProxy.port)] }],
        egress: [
          { to: [pod(gateway.name)], ports: [tcp(gateway.port)] },
          { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS] } }], ports: [tcp(443)] },
        ],
      }),
    );
  }

  const ciliumNetworkPolicies: CiliumNetworkPolicy[] = [];
  if (n.cilium) {
    const toApiServer = (name: string, endpointSelector: LabelSelector, description: string): CiliumNetworkPolicy => ({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name, namespace: ns },
      spec: {
        description,
        endpointSelector,
        egress: [{ toEntities: ["kube-apiserver"], toPorts: [{ ports: n.apiServer.ports.map((p) => ({ port: String(p), protocol: "TCP" as const })) }] }],
      },
    });
    ciliumNetworkPolicies.push(toApiServer("runtime-apiserver", named(runtime.name), "The sandbox runtime manages sandboxes through the Kubernetes API."));
    if (pg) ciliumNetworkPolicies.push(toApiServer("postgres-apiserver", pg, "CloudNativePG's instance manager reads and updates its Cluster through the Kubernetes API."));
  }
  return { networkPolicies, ciliumNetworkPolicies };
}
