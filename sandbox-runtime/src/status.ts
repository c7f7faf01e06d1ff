import type { KubeObject } from "./kube";
import { A } from "./labels";

/*
 * Status words from the world: the anchor's state annotation and the pod. The app
 * understands starting, running, paused, error and stopped (anything else reads as MISSING),
 * so there is no `pending`: a pod that is scheduled, pulling or not Ready yet is `starting`.
 * `running` additionally needs the agent server's /ready to answer through the sandbox URL;
 * that check is the caller's (it does I/O), this only says whether it is worth making.
 */

export type StatusWord = "starting" | "running" | "paused" | "error" | "stopped";
/** pod_status as the SDK client reads it. */
export type PodStatus = "ready" | "pending" | "running" | "not found" | "failed" | "unknown" | "crashloopbackoff";

/** What the pod says, before the route check. */
export interface Observed {
  status: StatusWord;
  podStatus: PodStatus;
  restartCount: number;
  restartReasons: string[];
  /** The pod is Ready: `running` once the route answers /ready, else `starting`. */
  needsRouteCheck: boolean;
  /** Why it is `error`. */
  reason?: string;
}

const FATAL_WAITING = ["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"];

interface ContainerStatus {
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: { reason?: string } };
}

/** Restarts, the reasons of the last terminations, and a fatal waiting reason if any. */
function containerFacts(pod: KubeObject) {
  const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
  let restartCount = 0;
  const restartReasons: string[] = [];
  let fatal: string | undefined;
  for (const s of statuses) {
    restartCount += s.restartCount ?? 0;
    const last = s.lastState?.terminated;
    if (last?.reason) restartReasons.push(String(last.reason));
    const waiting = s.state?.waiting?.reason;
    if (waiting && FATAL_WAITING.includes(waiting)) fatal = waiting;
  }
  return { restartCount, restartReasons, fatal };
}

/** True when the pod's Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
}

/**
 * The status of a sandbox from its anchor and pod (undefined when absent). `generation` is
 * the anchor's: a pod started with an older key generation is stale and counts as starting
 * (the caller replaces it).
 */
export function observe(anchor: KubeObject, pod: KubeObject | undefined, maxRestarts: number): Observed {
  const state = anchor.metadata.annotations?.[A.state] ?? "running";
  const facts = pod ? containerFacts(pod) : { restartCount: 0, restartReasons: [], fatal: undefined };
  const base = { restartCount: facts.restartCount, restartReasons: facts.restartReasons, needsRouteCheck: false };
  if (state === "paused") return { ...base, status: "paused", podStatus: pod ? "running" : "not found" };
  if (state === "error") return { ...base, status: "error", podStatus: pod ? podStatusOf(pod, facts.fatal) : "not found", reason: anchor.metadata.annotations?.[A.errorReason] ?? "error" };
  if (!pod || pod.metadata.deletionTimestamp) return { ...base, status: "starting", podStatus: pod ? "pending" : "not found" };
  const stale = pod.metadata.annotations?.[A.generation] !== (anchor.metadata.annotations?.[A.generation] ?? "1");
  if (stale) return { ...base, status: "starting", podStatus: "pending" };
  const phase = pod.status?.phase ?? "Pending";
  if (phase === "Failed" || phase === "Succeeded") return { ...base, status: "error", podStatus: "failed", reason: `pod ${phase}${pod.status?.reason ? `: ${pod.status.reason}` : ""}` };
  if (phase === "Unknown") return { ...base, status: "error", podStatus: "unknown", reason: "pod phase Unknown (node lost)" };
  if (facts.fatal) return { ...base, status: "error", podStatus: facts.fatal === "CrashLoopBackOff" ? "crashloopbackoff" : "failed", reason: facts.fatal };
  if (facts.restartCount >= maxRestarts) return { ...base, status: "error", podStatus: "crashloopbackoff", reason: `${facts.restartCount} restarts (limit ${maxRestarts})` };
  if (phase === "Pending") return { ...base, status: "starting", podStatus: "pending" };
  if (!isPodReady(pod)) return { ...base, status: "starting", podStatus: "running" };
  return { ...base, status: "starting", podStatus: "running", needsRouteCheck: true };
}

function podStatusOf(pod: KubeObject, fatal: string | undefined): PodStatus {
  if (fatal === "CrashLoopBackOff") return "crashloopbackoff";
  const phase = pod.status?.phase;
  if (phase === "Failed") return "failed";
  if (phase === "Unknown") return "unknown";
  return fatal ? "failed" : "running";
}

/** True when the pod is stale for the anchor (started with an older key generation). */
export function isStale(anchor: KubeObject, pod: KubeObject): boolean {
  return pod.metadata.annotations?.[A.generation] !== (anchor.metadata.annotations?.[A.generation] ?? "1");
}
