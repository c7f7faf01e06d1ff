import { CILIUM_NAMESPACE_LABEL, kubeDnsEgress, namespaceSelector as nsSelector, NON_PUBLIC_CIDRS, tcpPort as tcp, type CiliumHttpRule, type CiliumNetworkPolicy, type NetworkPolicy } from "../../lib/netpol";
import { ISTIO_NAMESPACES, OTEL_COLLECTOR } from "../mesh/istio";
import { LINKERD } from "../mesh/linkerd";
import { FLEET_LABEL, OLLAMA_PORT } from "../../operator/src/api/v1alpha1";

/*
 * The fleet namespace's network policies, as plain objects (pure; the Ollama layer creates
 * them). Default deny both ways, then only what a model server needs:
 *
 * - in: the agent sandboxes, to the OpenHands fleet only and, with Cilium, only the
 *   OpenAI-compatible inference requests ({@link OLLAMA_INFERENCE_HTTP}: no `/api/pull`,
 *   `/api/delete`, `/api/create`, `/api/push`, ...); the KEDA HTTP add-on's interceptor when
 *   fleets scale through it; Prometheus only when something scrapes the fleets (nothing does:
 *   Ollama exports no metrics and the platform defines no monitor for the sidecars). The
 *   fleet operator (`ollama-system`) is not let in: it reads pods from the API server and
 *   never connects to a model server (operator/src: its only client is the Kubernetes API;
 *   Prometheus is queried by KEDA's operator, from the triggers the fleet operator writes).
 * - out: DNS; the model registry over HTTPS for the init container's pull (the public
 *   internet on 443: registry.ollama.ai redirects blobs to a CDN, and `hf.co/...` models come
 *   from Hugging Face; never private ranges or cloud metadata); and the mesh's control plane
 *   when the namespace is meshed.
 */

/**
 * The requests sandboxes may send a fleet: Ollama's OpenAI-compatible inference API. Anchored
 * explicitly, so they mean the whole method and path whether the proxy matches whole values
 * or searches them (a query string is part of the path: none is allowed).
 */
export const OLLAMA_INFERENCE_HTTP: readonly CiliumHttpRule[] = [
  { method: "^POST$", path: "^/v1/chat/completions$" },
  { method: "^POST$", path: "^/v1/completions$" },
  { method: "^POST$", path: "^/v1/embeddings$" },
  { method: "^GET$", path: "^/v1/models$" },
  // One path segment (Ollama routes /v1/models/:model), never `.` or `..`, no percent-escapes.
  { method: "^GET$", path: "^/v1/models/[A-Za-z0-9_:-][A-Za-z0-9._:-]*$" },
];

/** Labels every fleet pod carries (operator/src/labels.ts `selectorLabels`). */
export const FLEET_POD_LABELS = { "app.kubernetes.io/name": "ollama" } as const;

/**
 * What a meshed fleet pod's proxy must reach: Linkerd's identity (8080), destination (8086)
 * and policy (8090) controllers; istiod's xDS and CA (15012) and, for the mesh-wide tracing
 * Telemetry, the OpenTelemetry collector's OTLP/gRPC port.
 */
export const MESH_CONTROL_PLANE = {
  linkerd: [{ namespace: LINKERD.namespace, pods: undefined, ports: [8080, 8086, 8090] }],
  istio: [
    { namespace: ISTIO_NAMESPACES.system, pods: { app: "istiod" }, ports: [15012] },
    { namespace: OTEL_COLLECTOR.namespace, pods: undefined, ports: [OTEL_COLLECTOR.grpcPort] },
  ],
} as const;

/** What the fleet namespace's policies depend on. */
export interface FleetNetwork {
  /** The fleet namespace (`ollama.namespace`). */
  namespace: string;
  /** The mesh the namespace joins. */
  mesh: "istio" | "linkerd" | "none";
  /** Cilium enforces policies: the sandboxes' access is restricted to inference requests (L7). */
  cilium: boolean;
  /** The agent sandboxes' namespace and the fleet they use; none without OpenHands. */
  sandboxes?: { namespace: string; fleet: string };
  /** Namespace of the KEDA HTTP add-on's interceptor, when fleets scale through it (no mesh). */
  interceptor?: { namespace: string };
  /** Prometheus' namespace and the ports it scrapes, when something scrapes the fleets. */
  metrics?: { namespace: string; ports: number[] };
}

/** The fleet namespace's NetworkPolicies and (with Cilium) CiliumNetworkPolicies. */
export interface FleetPolicies {
  networkPolicies: NetworkPolicy[];
  ciliumNetworkPolicies: CiliumNetworkPolicy[];
}


/** The fleet namespace's policies; see the module comment. */
export function fleetNetworkPolicies(n: FleetNetwork): FleetPolicies {
  const ns = n.namespace;
  const np = (name: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({ metadata: { name, namespace: ns }, spec });
  const fleetPods = { matchLabels: { ...FLEET_POD_LABELS } };
  const networkPolicies: NetworkPolicy[] = [
    np("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
    np("allow-dns", { podSelector: {}, policyTypes: ["Egress"], egress: [kubeDnsEgress()] }),
    np("allow-model-pulls", {
      podSelector: fleetPods,
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...NON_PUBLIC_CIDRS] } }], ports: [tcp(443)] }],
    }),
  ];
  if (n.mesh !== "none") {
    networkPolicies.push(
      np("allow-mesh-control-plane", {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: MESH_CONTROL_PLANE[n.mesh].map((c) => ({
          to: [c.pods ? { namespaceSelector: nsSelector(c.namespace), podSelector: { matchLabels: { ...c.pods } } } : { namespaceSelector: nsSelector(c.namespace) }],
          ports: c.ports.map(tcp),
        })),
      }),
    );
  }
  const ciliumNetworkPolicies: CiliumNetworkPolicy[] = [];
  if (n.sandboxes) {
    const fleet = { matchLabels: { ...FLEET_POD_LABELS, [FLEET_LABEL]: n.sandboxes.fleet } };
    if (n.cilium) {
      // L7 on the fleet's side too: whoever can change the sandbox namespace's policies still
      // gets inference requests only. No plain policy admits sandboxes to 11434, so these HTTP
      // rules are the only rules admitting them (a plain L4 allow for the same peer and port
      // would void them: layer7.rst).
      ciliumNetworkPolicies.push({
        apiVersion: "cilium.io/v2",
        kind: "CiliumNetworkPolicy",
        metadata: { name: "allow-sandbox-inference", namespace: ns },
        spec: {
          description: "Agent sandboxes may send the OpenHands fleet OpenAI-compatible inference requests only.",
          endpointSelector: fleet,
          ingress: [
            {
              fromEndpoints: [{ matchLabels: { [CILIUM_NAMESPACE_LABEL]: n.sandboxes.namespace } }],
              toPorts: [{ ports: [{ port: String(OLLAMA_PORT), protocol: "TCP" }], rules: { http: OLLAMA_INFERENCE_HTTP.map((r) => ({ ...r })) } }],
            },
          ],
        },
      });
    } else {
      networkPolicies.push(
        np("allow-sandboxes", { podSelector: fleet, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: nsSelector(n.sandboxes.namespace) }], ports: [tcp(OLLAMA_PORT)] }] }),
      );
    }
  }
  if (n.interceptor) {
    networkPolicies.push(
      np("allow-http-interceptor", { podSelector: fleetPods, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: nsSelector(n.interceptor.namespace) }], ports: [tcp(OLLAMA_PORT)] }] }),
    );
  }
  if (n.metrics) {
    networkPolicies.push(
      np("allow-metrics", { podSelector: fleetPods, policyTypes: ["Ingress"], ingress: [{ from: [{ namespaceSelector: nsSelector(n.metrics.namespace) }], ports: n.metrics.ports.map(tcp) }] }),
    );
  }
  return { networkPolicies, ciliumNetworkPolicies };
}
