import { celString, celStringMap } from "./cel";
import type { RuleModule } from "./types";

/**
 * PersistentVolumeClaims may request at most the stack's quota, or their namespace's
 * exception. Quantities compare by value (`100Gi` = `107374182400` = `102400Mi`), through
 * the Kubernetes CEL `quantity` library. StatefulSets are checked too: their
 * volumeClaimTemplates become PVCs later, and failing the StatefulSet up front beats a
 * StatefulSet whose pods wait forever for claims the cluster refuses.
 */
export const pvcStorageQuota: RuleModule = {
  name: "pvc-storage-quota",
  settings: ["pvcQuota", "pvcQuotaExceptions"],
  build: (s) => ({
    name: "pvc-storage-quota",
    description: `PersistentVolumeClaims (and StatefulSet volumeClaimTemplates) may request at most ${s.pvcQuota} of storage, unless their namespace has an exception.`,
    match: {
      resources: [
        { group: "", version: "v1", resource: "persistentvolumeclaims" },
        { group: "apps", version: "v1", resource: "statefulsets" },
      ],
    },
    variables: [
      { name: "exceptions", expression: celStringMap(s.pvcQuotaExceptions) },
      {
        name: "quota",
        expression: `has(object.metadata.namespace) && object.metadata.namespace in variables.exceptions ? variables.exceptions[object.metadata.namespace] : ${celString(s.pvcQuota)}`,
      },
      {
        name: "claims",
        expression:
          "object.kind == 'StatefulSet' ? (has(object.spec.volumeClaimTemplates) ? object.spec.volumeClaimTemplates.filter(t, has(t.spec)).map(t, t.spec) : []) : (has(object.spec) ? [object.spec] : [])",
      },
      {
        name: "requests",
        expression: "variables.claims.filter(c, has(c.resources) && has(c.resources.requests) && 'storage' in c.resources.requests).map(c, c.resources.requests.storage)",
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
