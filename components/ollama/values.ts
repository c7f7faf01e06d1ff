import type { Values } from "../../lib/merge";

/** What the operator chart's values are rendered from. */
export interface OperatorValuesSettings {
  image: { repository: string; tag: string };
  replicas: number;
  mesh: "istio" | "linkerd" | "none";
  /** In-cluster Prometheus URL, when Prometheus runs. */
  prometheusUrl?: string;
  /** The namespace of the fleets: the only one the operator watches. */
  fleetNamespace: string;
}

/** Values of operator/chart (the fleet contract's values). */
export function renderOperatorValues(s: OperatorValuesSettings): Values {
  return {
    // IfNotPresent: dev's image exists only on the kind nodes (`kind load`), never in a registry.
    image: { repository: s.image.repository, tag: s.image.tag, pullPolicy: "IfNotPresent" },
    replicas: s.replicas,
    leaderElection: { enabled: true },
    // Where request metrics for scaling come from (mesh metrics in Prometheus, or the KEDA HTTP add-on).
    mesh: s.mesh,
    ...(s.prometheusUrl ? { prometheusUrl: s.prometheusUrl } : {}),
    watchNamespaces: [s.fleetNamespace],
    serviceMonitor: { enabled: s.prometheusUrl !== undefined },
  };
}
