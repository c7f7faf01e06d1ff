import { randomBytes } from "node:crypto";
import type { KubeClient, KubeObject } from "./kube";
import type { Logger } from "./log";

/*
 * Kubernetes Events on a sandbox's anchor Secret (`kubectl describe secret <pod>-key`, or
 * `kubectl get events --field-selector involvedObject.name=<pod>-key`). Best effort: a failed
 * event write is logged and never fails the operation it reports.
 */

export type EventReason = "Created" | "Adopted" | "WarmStarted" | "Paused" | "IdlePaused" | "Resumed" | "Stopped" | "CrashDetected" | "CrashCleanedUp" | "Recovered" | "RuntimeClassIgnored";

/** Writes one Event about `anchor`. */
export async function recordEvent(kube: KubeClient, log: Logger, identity: string, anchor: KubeObject, type: "Normal" | "Warning", reason: EventReason, message: string, now = new Date()): Promise<void> {
  const ns = anchor.metadata.namespace as string;
  const at = now.toISOString();
  try {
    await kube.create("events", ns, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${anchor.metadata.name}.${now.getTime().toString(16)}${randomBytes(3).toString("hex")}`, namespace: ns },
      involvedObject: { apiVersion: "v1", kind: "Secret", name: anchor.metadata.name, namespace: ns, uid: anchor.metadata.uid },
      reason,
      message,
      type,
      source: { component: "sandbox-runtime" },
      reportingComponent: "sandbox-runtime",
      reportingInstance: identity,
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    });
  } catch (e) {
    log.warn("event not recorded", { reason, anchor: anchor.metadata.name, error: (e as Error).message });
  }
}
