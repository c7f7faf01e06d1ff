import type { CoreV1Event, KubernetesObject, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import type { EventReason, OllamaFleet, OllamaFleetStatus, Reason } from "./api/v1alpha1";

/** The Kubernetes types the port speaks, for its implementations (and tests). */
export type { CoreV1Event, KubernetesObject, V1Pod, V1StatefulSet };

/*
 * What the reconciler needs from the cluster, as a port: kube.ts implements it with the
 * operator's API client (client/) and the informers' caches; tests implement it in memory.
 * Errors are ApiError (errors.ts).
 */

/** A child's identity: enough to get or delete it. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** An Event to record about a fleet. */
export interface FleetEvent {
  type: "Normal" | "Warning";
  /** A condition reason (a Warning on becoming Degraded, PullFailed) or an Event-only one. */
  reason: Reason | EventReason;
  message: string;
}

/** The cluster, as the reconciler sees it. */
export interface FleetApi {
  /** The fleet, or undefined when it no longer exists. */
  getFleet(namespace: string, name: string): Promise<OllamaFleet | undefined>;
  /** Server-side apply (field manager `ollama-fleet-operator`, force): the object as stored, when known. */
  apply(object: KubernetesObject): Promise<KubernetesObject | void>;
  /** The object, or undefined (also when its kind is not served). */
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /** Deletes the object (background propagation); absent is fine. */
  delete(ref: ObjectRef): Promise<void>;
  /** The fleet's StatefulSet, if it exists. */
  getStatefulSet(namespace: string, name: string): Promise<V1StatefulSet | undefined>;
  /** Pods matching the label selector in the namespace. */
  listPods(namespace: string, selector: Record<string, string>): Promise<V1Pod[]>;
  /** Events about the object with this uid. */
  listEvents(namespace: string, uid: string): Promise<CoreV1Event[]>;
  /** Writes the status subresource (server-side apply). */
  applyStatus(fleet: OllamaFleet, status: OllamaFleetStatus): Promise<void>;
  /** Records an Event on the fleet. */
  recordEvent(fleet: OllamaFleet, event: FleetEvent): Promise<void>;
}
