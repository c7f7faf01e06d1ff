import { celString, celStringMap, isKind, POD_VARIABLES } from "./cel";
import { OLLAMA_FLEETS, POD_KINDS, PVCS } from "./kinds";
import type { RuleModule } from "./types";

const STATEFULSETS = POD_KINDS.filter((k) => k.kind === "StatefulSet");

/**
 * Storage requests may be at most the stack's quota, or their namespace's exception.
 * Quantities compare by value (`100Gi` = `107374182400` = `102400Mi`), through the
 * Kubernetes CEL `quantity` library. Besides PersistentVolumeClaims, every object that makes
 * the cluster create claims is checked up front, since failing it beats pods that wait
 * forever for claims the cluster refuses: StatefulSet volumeClaimTemplates, the generic
 * ephemeral volumes of any pod kind (`volumes[].ephemeral.volumeClaimTemplate`: the kubelet
 * creates a PVC per pod) and an OllamaFleet's `spec.storage.size` (one PVC per replica; an
 * int-or-string, so a number is read as bytes, as the CRD's own check does).
 */
export const pvcStorageQuota: RuleModule = {
  name: "pvc-storage-quota",
  settings: ["pvcQuota", "pvcQuotaExceptions"],
  checksPatches: true,
  build: (s) => ({
    name: "pvc-storage-quota",
    description: `PersistentVolumeClaims, and the claims StatefulSets, generic ephemeral volumes and OllamaFleets make, may request at most ${s.pvcQuota} of storage, unless their namespace has an exception.`,
    match: { resources: [PVCS, ...POD_KINDS, OLLAMA_FLEETS] },
    variables: [
      { name: "exceptions", expression: celStringMap(s.pvcQuotaExceptions) },
      {
        name: "quota",
        expression: `has(object.metadata.namespace) && object.metadata.namespace in variables.exceptions ? variables.exceptions[object.metadata.namespace] : ${celString(s.pvcQuota)}`,
      },
      ...POD_VARIABLES,
      {
        name: "claims",
        expression:
          `(${isKind([PVCS])} ? (has(object.spec) ? [object.spec] : []) : []) + ` +
          `(${isKind(STATEFULSETS)} && has(object.spec) && has(object.spec.volumeClaimTemplates) ? object.spec.volumeClaimTemplates.filter(t, has(t.spec)).map(t, t.spec) : []) + ` +
          "(has(variables.podSpec.volumes) ? variables.podSpec.volumes.filter(v, has(v.ephemeral) && has(v.ephemeral.volumeClaimTemplate) && has(v.ephemeral.volumeClaimTemplate.spec)).map(v, v.ephemeral.volumeClaimTemplate.spec) : [])",
      },
      {
        name: "fleetSizes",
        expression: `${isKind([OLLAMA_FLEETS])} && has(object.spec) && has(object.spec.storage) && has(object.spec.storage.size) ? [type(object.spec.storage.size) == string ? object.spec.storage.size : string(int(object.spec.storage.size))] : []`,
      },
      {
        name: "requests",
        expression:
          "variables.claims.filter(c, has(c.resources) && has(c.resources.requests) && 'storage' in c.resources.requests).map(c, c.resources.requests.storage) + variables.fleetSizes",
      },
      { name: "over", expression: "variables.requests.filter(r, quantity(r).isGreaterThan(quantity(variables.quota)))" },
    ],
    validations: [
      {
        expression: "size(variables.over) == 0",
        message: `storage requests must not exceed the quota of ${s.pvcQuota} (or the namespace's exception)`,
        messageExpression:
          "'storage request ' + variables.over.join(', ') + ' exceeds the quota of ' + variables.quota + ' in namespace ' + object.metadata.namespace + " +
          "'; request less, or add an exception for the namespace (platform:policy.pvcQuotaExceptions)'",
      },
    ],
  }),
};
