import type { Values } from "../../lib/merge";

/** What the Kyverno chart's values depend on. */
export interface KyvernoValuesSettings {
  /** Run every controller with more than one replica (3 admission controllers). */
  highAvailability: boolean;
}

/** Replicas per Kyverno controller, single and highly available. */
const REPLICAS = {
  single: { admissionController: 1, backgroundController: 1, cleanupController: 1, reportsController: 1 },
  // Kyverno's HA guide: 3 admission controllers (the webhook), 2 of each other controller.
  // The chart enables a PodDisruptionBudget whenever replicas > 1.
  ha: { admissionController: 3, backgroundController: 2, cleanupController: 2, reportsController: 2 },
} as const;

/**
 * Kyverno chart values. A stack that denies needs a highly available admission controller:
 * its webhook fails closed, so with one replica every restart blocks matching requests.
 * The chart's defaults are kept otherwise: CRDs installed (`crds.install`), the pre-delete
 * hook that removes Kyverno's webhooks (`webhooksCleanup.enabled`), so uninstalling Kyverno
 * leaves no webhook pointing at nothing.
 */
export function renderKyvernoValues(s: KyvernoValuesSettings): Values {
  const r = s.highAvailability ? REPLICAS.ha : REPLICAS.single;
  return {
    admissionController: { replicas: r.admissionController },
    backgroundController: { replicas: r.backgroundController },
    cleanupController: { replicas: r.cleanupController },
    crds: { install: true },
    reportsController: { replicas: r.reportsController },
    webhooksCleanup: { enabled: true },
  };
}
