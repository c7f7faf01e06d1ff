import type { ResourceRef } from "./types";

/*
 * The kinds the rules match, once for both enforcement points: the rules' match constraints
 * and CEL come from this table, and so does the pack's list of the Pulumi types it evaluates
 * (engine/resources.ts).
 */

/** A kind that carries a pod: the pod itself, or a template its controller makes pods from. */
export interface PodKind extends ResourceRef {
  readonly kind: string;
  /**
   * Path from the object to its pod template (an object with `metadata` and `spec`, the pod
   * spec); "" when the object is the pod (its own metadata and spec).
   */
  readonly template: string;
}

// prettier-ignore
/**
 * Every kind whose objects carry a pod spec that the cluster runs: Pods, the built-in
 * controllers, and the custom resources of the platform's charts that template pods:
 * Knative Serving's Service and Configuration (templates of the Revisions they create) and
 * Revision (its spec is the pod spec), and KEDA's ScaledJob (`jobTargetRef` is a JobSpec).
 * The rules check the template at admission of the object that carries it, before the
 * controller's pods, which Kyverno checks again, are ever created.
 */
export const POD_KINDS: readonly PodKind[] = [
  { group: "", version: "v1", resource: "pods", kind: "Pod", template: "" },
  { group: "", version: "v1", resource: "replicationcontrollers", kind: "ReplicationController", template: "spec.template" },
  { group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", template: "spec.template" },
  { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", template: "spec.template" },
  { group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", template: "spec.template" },
  { group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet", template: "spec.template" },
  { group: "batch", version: "v1", resource: "jobs", kind: "Job", template: "spec.template" },
  { group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob", template: "spec.jobTemplate.spec.template" },
  { group: "serving.knative.dev", version: "v1", resource: "services", kind: "Service", template: "spec.template" },
  { group: "serving.knative.dev", version: "v1", resource: "configurations", kind: "Configuration", template: "spec.template" },
  { group: "serving.knative.dev", version: "v1", resource: "revisions", kind: "Revision", template: "" },
  { group: "keda.sh", version: "v1alpha1", resource: "scaledjobs", kind: "ScaledJob", template: "spec.jobTargetRef.template" },
];

/**
 * The subresource `kubectl debug` writes ephemeral containers through: an UPDATE of
 * `pods/ephemeralcontainers` whose object is the whole Pod. A rule on `pods` alone never sees
 * it (admission rules name subresources explicitly), so rules about what containers run
 * match it too.
 */
export const EPHEMERAL_CONTAINERS: ResourceRef = { group: "", version: "v1", resource: "pods/ephemeralcontainers" };

/** A kind the rules match that carries no pod template. */
export interface OtherKind extends ResourceRef {
  readonly kind: string;
}

/** PersistentVolumeClaims. */
export const PVCS: OtherKind = { group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim" };

/**
 * The platform's own OllamaFleet (operator/chart/crds): no pod template, but an image
 * (`spec.image`) and a volume size (`spec.storage.size`, one PVC per replica) that the
 * operator copies into the fleet's StatefulSet.
 */
export const OLLAMA_FLEETS: OtherKind = { group: "openhands.ai", version: "v1alpha1", resource: "ollamafleets", kind: "OllamaFleet" };

/** `apiVersion` of a kind (`v1`, `apps/v1`). */
export const apiVersionOf = (k: { readonly group: string; readonly version: string }) => (k.group ? `${k.group}/${k.version}` : k.version);
