import type { CoreV1Event, V1ContainerStatus, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { type Condition, type ConditionStatus, type ConditionType, CONDITION_TYPES, type OllamaFleet, type OllamaFleetStatus, PULL_CONTAINER, Reason } from "./api/v1alpha1";
import { selectorString } from "./labels";
import { childNames } from "./names";
import type { Problem } from "./problem";
import { withDefaults } from "./types";

/*
 * Status is rebuilt from the world on every pass: the StatefulSet, its pods, recent events
 * and the problems this pass found. The previous status is read for one thing only: a
 * condition whose status did not change keeps its lastTransitionTime.
 */

/** What a reconcile pass saw. */
export interface Observed {
  statefulSet?: V1StatefulSet;
  pods: V1Pod[];
  /** Recent events about the StatefulSet (e.g. FailedCreate when admission denies pods). */
  events?: CoreV1Event[];
}

type Verdict = { status: ConditionStatus; reason: Reason; message: string };

/** Reasons Kubernetes writes (pod conditions, container states, Events), which status reads: not the operator's own `Reason`s. */
const KUBE = {
  Unschedulable: "Unschedulable",
  CrashLoopBackOff: "CrashLoopBackOff",
  ImagePullBackOff: "ImagePullBackOff",
  ErrImagePull: "ErrImagePull",
  FailedCreate: "FailedCreate",
} as const;

const cut = (s: string, n = 1024) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function podName(p: V1Pod): string {
  return p.metadata?.name ?? "?";
}

/** The pull container's failure on a pod, if it failed (now or on its last attempt). */
function pullFailure(pod: V1Pod): string | undefined {
  const s = pod.status?.initContainerStatuses?.find((c) => c.name === PULL_CONTAINER);
  const failed = (c: V1ContainerStatus) => {
    const t = c.state?.terminated ?? c.lastState?.terminated;
    return t && t.exitCode !== 0 ? (t.message?.trim() || `exit code ${t.exitCode}${t.reason ? ` (${t.reason})` : ""}`) : undefined;
  };
  return s ? failed(s) : undefined;
}

function pulled(pod: V1Pod): boolean {
  const s = pod.status?.initContainerStatuses?.find((c) => c.name === PULL_CONTAINER);
  return s?.state?.terminated?.exitCode === 0 || (s?.state?.running === undefined && (pod.status?.containerStatuses ?? []).some((c) => c.state?.running || c.state?.terminated));
}

function pulling(pod: V1Pod): boolean {
  return pod.status?.initContainerStatuses?.some((c) => c.name === PULL_CONTAINER && c.state?.running !== undefined) ?? false;
}

/** Why pods cannot be scheduled, when they cannot. */
/**
 * How long a pod may wait to be scheduled before its fleet counts as Degraded. A first
 * scheduling attempt often fails for a moment during a normal start (its claim not bound
 * yet, a node still joining); marking each such fleet Degraded and then Recovered cost an
 * Event and a status write per fleet for nothing. A pass on a progressing fleet comes at
 * least every PROGRESS_RESYNC_MS (reconcile.ts), so a lasting failure shows within that
 * plus this.
 */
export const SCHEDULING_GRACE_MS = 30_000;

function unschedulable(pods: V1Pod[], now: Date): Verdict | undefined {
  for (const p of pods) {
    const c = p.status?.conditions?.find((x) => x.type === "PodScheduled" && x.status === "False" && x.reason === KUBE.Unschedulable);
    if (!c) continue;
    // Without a transition time (it cannot be told how long), the failure counts at once.
    const since = c.lastTransitionTime ? new Date(c.lastTransitionTime).getTime() : Number.NEGATIVE_INFINITY;
    if (now.getTime() - since < SCHEDULING_GRACE_MS) continue;
    const msg = c.message ?? "";
    if (/nvidia\.com\/gpu/.test(msg)) return { status: "True", reason: Reason.GPUUnavailable, message: cut(`pod ${podName(p)} cannot be scheduled: ${msg}`) };
    return { status: "True", reason: Reason.Unschedulable, message: cut(`pod ${podName(p)} cannot be scheduled: ${msg}`) };
  }
  return undefined;
}

const imagePull = (reason: string | undefined) => reason === KUBE.ImagePullBackOff || reason === KUBE.ErrImagePull;

function crashing(pods: V1Pod[]): Verdict | undefined {
  for (const p of pods) {
    const c = (p.status?.containerStatuses ?? []).find((s) => s.state?.waiting?.reason === KUBE.CrashLoopBackOff || imagePull(s.state?.waiting?.reason));
    if (c) return { status: "True", reason: c.state!.waiting!.reason === KUBE.CrashLoopBackOff ? Reason.CrashLoop : Reason.ImagePullFailed, message: cut(`pod ${podName(p)} container ${c.name}: ${c.state!.waiting!.message ?? c.state!.waiting!.reason}`) };
    const i = (p.status?.initContainerStatuses ?? []).find((s) => imagePull(s.state?.waiting?.reason));
    if (i) return { status: "True", reason: Reason.ImagePullFailed, message: cut(`pod ${podName(p)} container ${i.name}: ${i.state!.waiting!.message ?? i.state!.waiting!.reason}`) };
  }
  return undefined;
}

/** The newest FailedCreate event about the StatefulSet (pods the cluster refused). */
function failedCreate(events: CoreV1Event[]): Verdict | undefined {
  const time = (e: CoreV1Event) => new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? 0).getTime();
  const e = events.filter((x) => x.reason === KUBE.FailedCreate && x.type === "Warning").sort((a, b) => time(b) - time(a))[0];
  return e ? { status: "True", reason: Reason.PodCreationFailed, message: cut(e.message ?? "the StatefulSet controller could not create a pod") } : undefined;
}

/** Pods of the StatefulSet's current revision (all pods while it has none). */
function currentPods(sts: V1StatefulSet | undefined, pods: V1Pod[]): V1Pod[] {
  const rev = sts?.status?.updateRevision;
  if (!rev) return pods;
  const current = pods.filter((p) => p.metadata?.labels?.["controller-revision-hash"] === rev);
  return current.length > 0 ? current : pods;
}

/** RFC 3339 at second precision, as metav1.Time serializes. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The fleet's status from what this pass observed. `problem` is what stopped the pass
 * (an invalid spec or a child the API server refused); it makes the fleet Degraded.
 */
export function computeStatus(fleet: OllamaFleet, observed: Observed, now: Date, problem?: Problem): OllamaFleetStatus {
  const spec = withDefaults(fleet.spec);
  const { name, namespace } = fleet.metadata;
  const generation = fleet.metadata.generation ?? 0;
  const sts = observed.statefulSet;
  const pods = currentPods(sts, observed.pods);
  const replicas = sts?.status?.replicas ?? 0;
  const readyReplicas = sts?.status?.readyReplicas ?? 0;
  const updatedReplicas = sts?.status?.updatedReplicas ?? 0;
  const desiredReplicas = spec.scaling ? (sts?.spec?.replicas ?? spec.scaling.minReplicas) : spec.replicas;

  const invalidSpec = problem?.kind === "spec";
  const degraded: Verdict =
    (problem && { status: "True", reason: problem.reason, message: cut(problem.message) }) ??
    unschedulable(pods, now) ??
    pods.map(pullFailure).flatMap((m, i) => (m ? [{ status: "True" as const, reason: Reason.PullFailed, message: cut(`pod ${podName(pods[i])}: ${m}`) }] : []))[0] ??
    crashing(pods) ??
    (replicas < desiredReplicas ? failedCreate(observed.events ?? []) : undefined) ?? { status: "False", reason: Reason.AsExpected, message: "" };

  const failures = pods.map(pullFailure).filter((m): m is string => m !== undefined);
  const modelPulled: Verdict = pods.some(pulled)
    ? { status: "True", reason: Reason.Pulled, message: `${spec.model} is in the model cache` }
    : failures.length > 0
      ? { status: "False", reason: Reason.PullFailed, message: cut(failures[0]) }
      : pods.some(pulling)
        ? { status: "False", reason: Reason.Pulling, message: `pulling ${spec.model}` }
        : { status: "Unknown", reason: Reason.NoPods, message: "no pod has started yet" };

  const stsCurrent = sts !== undefined && (sts.status?.observedGeneration ?? 0) >= (sts.metadata?.generation ?? 0);
  const progressing: Verdict = invalidSpec
    ? { status: "False", reason: Reason.InvalidSpec, message: "the spec must be fixed before the fleet can progress" }
    : !sts
      ? { status: "True", reason: Reason.Creating, message: "creating the StatefulSet" }
      : !stsCurrent || updatedReplicas < replicas
        ? { status: "True", reason: Reason.RollingOut, message: `${updatedReplicas} of ${replicas} replicas updated` }
        : readyReplicas < desiredReplicas
          ? { status: "True", reason: Reason.ScalingUp, message: `${readyReplicas} of ${desiredReplicas} replicas ready` }
          : replicas > desiredReplicas
            ? { status: "True", reason: Reason.ScalingDown, message: `${replicas} replicas, ${desiredReplicas} wanted` }
            : { status: "False", reason: Reason.Stable, message: `${readyReplicas} of ${desiredReplicas} replicas ready` };

  const want = Math.max(desiredReplicas, 1);
  const ready: Verdict =
    degraded.status === "True"
      ? { status: "False", reason: degraded.reason, message: degraded.message }
      : readyReplicas >= want
        ? { status: "True", reason: Reason.ReplicasReady, message: `${readyReplicas} of ${desiredReplicas} replicas ready` }
        : desiredReplicas === 0
          ? { status: "False", reason: Reason.ScaledToZero, message: "scaled to zero; load scales it up" }
          : { status: "False", reason: Reason.ReplicasNotReady, message: `${readyReplicas} of ${desiredReplicas} replicas ready` };

  const verdicts: Record<ConditionType, Verdict> = { ModelPulled: modelPulled, Progressing: progressing, Degraded: degraded, Ready: ready };
  const previous = fleet.status?.conditions ?? [];
  const conditions: Condition[] = CONDITION_TYPES.map((type) => {
    const v = verdicts[type];
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status: v.status,
      reason: v.reason,
      message: v.message,
      observedGeneration: generation,
      lastTransitionTime: before && before.status === v.status && before.lastTransitionTime ? before.lastTransitionTime : rfc3339(now),
    };
  });

  const names = childNames(name, namespace);
  return { observedGeneration: generation, replicas, readyReplicas, desiredReplicas, selector: selectorString(name), endpoint: names.endpoint, model: spec.model, conditions };
}

/** The status as JSON with sorted keys, to compare two statuses. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value));
}

/** The condition of `type`, if present. */
export function conditionOf(status: Partial<OllamaFleetStatus> | undefined, type: ConditionType): Condition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
