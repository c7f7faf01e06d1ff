import { API_VERSION, FLEET_LABEL, KIND, type OllamaFleet } from "./api/v1alpha1";
import type { V1OwnerReference } from "@kubernetes/client-node";

/** Label every object the operator makes carries (the informers select on it). */
export const MANAGED_BY = { key: "app.kubernetes.io/managed-by", value: "ollama-fleet-operator" } as const;
export { FLEET_LABEL };
/** Pod label saying whether the pod has a GPU (`nvidia` or `none`). */
export const ACCELERATOR_LABEL = "openhands.ai/accelerator";

/** Labels of a fleet's children (the contract's set), keys sorted. */
export function fleetLabels(name: string): Record<string, string> {
  return {
    "app.kubernetes.io/component": "model-server",
    "app.kubernetes.io/instance": name,
    [MANAGED_BY.key]: MANAGED_BY.value,
    "app.kubernetes.io/name": "ollama",
    [FLEET_LABEL]: name,
  };
}

/** The pod selector (immutable on a StatefulSet: only labels that never change). */
export function selectorLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": "ollama", [FLEET_LABEL]: name };
}

/** `selectorLabels` as the string the scale subresource reads (`status.selector`). */
export function selectorString(name: string): string {
  return Object.entries(selectorLabels(name))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

/** The fleet as the controlling owner of a child: deleting the fleet deletes the child. */
export function ownerReference(fleet: OllamaFleet): V1OwnerReference {
  return { apiVersion: API_VERSION, kind: KIND, name: fleet.metadata.name, uid: fleet.metadata.uid ?? "", controller: true, blockOwnerDeletion: true };
}

/** The fleet key of a child's controlling OllamaFleet owner, if any. */
export function owningFleet(meta: { namespace?: string; ownerReferences?: V1OwnerReference[] } | undefined): string | undefined {
  const ref = meta?.ownerReferences?.find((r) => r.controller && r.kind === KIND && r.apiVersion === API_VERSION);
  return ref && meta?.namespace ? `${meta.namespace}/${ref.name}` : undefined;
}
