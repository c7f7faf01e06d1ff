import { stringify } from "yaml";

/** What the kind cluster is made of. */
export interface KindClusterSpec {
  /** Cluster name; the control-plane container is `<name>-control-plane`. */
  name: string;
  /** Pinned kindest/node image. */
  nodeImage: string;
  /** Host ports bound to the control plane's ports 80 and 443 (the ingress controller's). */
  hostPorts: { http: number; https: number };
  /** Labelled worker groups. */
  workers: { labels: Record<string, string>; count: number }[];
  /** True when Cilium replaces kind's CNI and kube-proxy. */
  cilium: boolean;
}

/**
 * Renders the kind cluster config: the control plane labelled `ingress-ready=true` with
 * host ports 80/443 mapped (so `*.localhost` reaches the ingress controller), kind's default
 * CNI and kube-proxy disabled when Cilium takes over, and the labelled workers. Pure and
 * deterministic: its text is the trigger that replaces the cluster when it changes.
 */
export function renderKindConfig(spec: KindClusterSpec): string {
  const nodes: Record<string, unknown>[] = [
    {
      role: "control-plane",
      image: spec.nodeImage,
      labels: { "ingress-ready": "true" },
      extraPortMappings: [
        // Loopback only: the dev platform (its UIs, the agent sandboxes' hosts) is the laptop
        // user's, not the network's (kind's default listens on every interface).
        { containerPort: 80, hostPort: spec.hostPorts.http, listenAddress: "127.0.0.1", protocol: "TCP" },
        { containerPort: 443, hostPort: spec.hostPorts.https, listenAddress: "127.0.0.1", protocol: "TCP" },
      ],
    },
  ];
  for (const w of spec.workers) {
    for (let i = 0; i < w.count; i++) {
      nodes.push({ role: "worker", image: spec.nodeImage, labels: { ...w.labels } });
    }
  }
  const config: Record<string, unknown> = {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    name: spec.name,
    ...(spec.cilium ? { networking: { disableDefaultCNI: true, kubeProxyMode: "none" } } : {}),
    nodes,
  };
  return stringify(config);
}

/** Kubernetes version of a kindest/node image reference (`kindest/node:v1.35.1@sha256:…` → `v1.35.1`). */
export function kindNodeVersion(nodeImage: string): string {
  const m = /^kindest\/node:(v\d+\.\d+\.\d+)/.exec(nodeImage);
  if (!m) throw new Error(`"${nodeImage}" is not a kindest/node:vX.Y.Z image`);
  return m[1];
}

/** The in-cluster address of the kind API server, as Cilium's kube-proxy replacement needs it. */
export function kindApiServer(name: string): { host: string; port: number } {
  return { host: `${name}-control-plane`, port: 6443 };
}
