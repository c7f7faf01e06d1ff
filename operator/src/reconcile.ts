import type { KubernetesObject } from "@kubernetes/client-node";
import { type Condition, EventReason, type OllamaFleetStatus, Reason, RefusalReason } from "./api/v1alpha1";
import { type AppliedChildren, digestOf } from "./applied";
import { desiredPdb, desiredService, desiredStatefulSet, type DesiredOptions } from "./desired";
import { isNotFound, statusCode, withRetry } from "./errors";
import { selectorLabels } from "./labels";
import type { Logger } from "./log";
import { desiredScaling, SCALING_KINDS } from "./scaling";
import { canonical, computeStatus, conditionOf, type Observed } from "./status";
import type { FleetApi, FleetEvent } from "./port";
import type { Problem, RefusalProblem } from "./problem";
import { parseFleetKey } from "./types";
import { validateFleet } from "./validate";

/*
 * One reconcile pass for one fleet, in numbered steps:
 *   1. load the fleet (gone or being deleted: nothing to do, owner references clean up);
 *   2. validate the spec (a problem skips step 3 and 4 and makes the fleet Degraded);
 *   3. apply the children with server-side apply (concurrently);
 *   4. delete children no longer wanted (the scaler of the other kind, or of removed scaling,
 *      and the PodDisruptionBudget of a fleet that no longer runs more than one replica);
 *      3 and 4 are skipped when this process applied the very same children lately and the
 *      StatefulSet is still what that left (applied.ts);
 *   5. observe the StatefulSet, its pods and, while its controller cannot create pods, its events;
 *   6. write the status rebuilt from 5, through the status subresource, only when it changed;
 *   7. record Events for conditions that changed.
 * API calls retry transient errors (409, 429, 5xx) with backoff; what still fails is thrown
 * for the work queue to retry the key later with per-key backoff. Once `signal` aborts (this
 * replica stopped leading), the pass ends at the next call or step with the signal's reason.
 */

/** The kind of desiredPdb's budget, deleted when a fleet no longer wants one. */
const PDB_KIND = { apiVersion: "policy/v1", kind: "PodDisruptionBudget" } as const;

/** What a pass concluded, for the work queue and the metrics. */
export interface ReconcileResult {
  /** `ready`, `progressing`, `degraded`, `invalid` (spec problem) or `absent`. */
  readonly outcome: "ready" | "progressing" | "degraded" | "invalid" | "absent";
  /** Look again after this long even without a watch event (undefined: only on events). */
  readonly requeueAfterMs?: number;
}

/** What a pass needs. */
export interface ReconcileDeps {
  readonly api: FleetApi;
  readonly options: DesiredOptions;
  readonly log: Logger;
  readonly now?: () => Date;
  /** What this process applied lately; without it every pass applies. Defaults to none. */
  readonly applied?: AppliedChildren;
  /** Backoff of in-pass retries. Defaults to 5 attempts from 200 ms. */
  readonly retry?: { attempts?: number; baseMs?: number; sleep?: (ms: number) => Promise<void> };
  /** Ends the pass (the workers stopped). Defaults to none. */
  readonly signal?: AbortSignal;
}

/** While something is in motion, look again this often (events we do not watch, e.g. FailedCreate). */
export const PROGRESS_RESYNC_MS = 60_000;
/** After a refusal that may clear without a spec change (admission policy, KEDA installed later). */
export const REFUSAL_RESYNC_MS = 300_000;

/** A refusal of a child by the API server as a fleet problem; undefined when it is not one. */
export function refusal(o: KubernetesObject, e: unknown): RefusalProblem | undefined {
  const code = statusCode(e);
  const what = `${o.kind} ${o.metadata?.name}`;
  const message = (e as Error).message;
  if (code === 404 && SCALING_KINDS.some((k) => k.kind === o.kind)) {
    return { kind: "refusal", reason: RefusalReason.ScalingUnavailable, message: `${o.apiVersion} ${o.kind} is not served: install KEDA${o.kind === "HTTPScaledObject" ? " and its HTTP add-on" : ""}, or remove spec.scaling` };
  }
  if (code === 422) return { kind: "refusal", reason: RefusalReason.ApplyRejected, message: `${what} was rejected: ${message}` };
  if (code === 400 || code === 403) return { kind: "refusal", reason: RefusalReason.AdmissionDenied, message: `${what} was refused: ${message}` };
  return undefined;
}

function eventsFor(before: Condition[] | undefined, after: OllamaFleetStatus): FleetEvent[] {
  const was = (t: Condition["type"]) => before?.find((c) => c.type === t);
  const out: FleetEvent[] = [];
  const pulled = conditionOf(after, "ModelPulled")!;
  if (pulled.status !== was("ModelPulled")?.status || pulled.reason !== was("ModelPulled")?.reason) {
    if (pulled.status === "True") out.push({ type: "Normal", reason: EventReason.ModelPulled, message: pulled.message });
    if (pulled.reason === Reason.PullFailed) out.push({ type: "Warning", reason: Reason.PullFailed, message: pulled.message });
  }
  const degraded = conditionOf(after, "Degraded")!;
  if (degraded.status === "True" && (was("Degraded")?.status !== "True" || was("Degraded")?.reason !== degraded.reason)) {
    out.push({ type: "Warning", reason: degraded.reason, message: degraded.message });
  }
  if (degraded.status === "False" && was("Degraded")?.status === "True") out.push({ type: "Normal", reason: EventReason.Recovered, message: "no longer degraded" });
  const ready = conditionOf(after, "Ready")!;
  if (ready.status === "True" && was("Ready")?.status !== "True") out.push({ type: "Normal", reason: EventReason.Ready, message: ready.message });
  return out;
}

/** Reconciles the fleet `<namespace>/<name>`. Throws what should be retried later. */
export async function reconcile(key: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { api, options, log } = deps;
  const retry = <T>(fn: () => Promise<T>) => withRetry(fn, { ...deps.retry, signal: deps.signal });
  const checkpoint = () => deps.signal?.throwIfAborted();
  const { namespace, name } = parseFleetKey(key);

  // 1. Load the fleet.
  const fleet = await retry(() => api.getFleet(namespace, name));
  if (!fleet || fleet.metadata.deletionTimestamp) {
    deps.applied?.forget(key);
    return { outcome: "absent" };
  }
  const before = structuredClone(fleet.status);

  // 2. Validate.
  const problems = validateFleet(fleet, { mesh: options.mesh });
  let problem: Problem | undefined = problems.length > 0 ? { kind: "spec", reason: problems[0].reason, message: problems.map((p) => p.message).join("; ") } : undefined;

  if (problem) deps.applied?.forget(key);
  else {
    // 3. Apply the children.
    const scaling = desiredScaling(fleet, options);
    const pdb = desiredPdb(fleet, options);
    const children: KubernetesObject[] = [desiredStatefulSet(fleet, options), desiredService(fleet, options), ...(pdb ? [pdb] : []), ...(scaling ? [scaling] : [])];
    const digest = deps.applied ? digestOf(children) : "";
    if (!deps.applied?.isCurrent(key, digest, await retry(() => api.getStatefulSet(namespace, name)))) {
      // At once: they do not depend on each other, and a pass costs one round trip, not four.
      const applied = await Promise.allSettled(children.map((child) => retry(() => api.apply(child))));
      for (const [i, r] of applied.entries()) {
        if (r.status === "fulfilled") continue;
        const p = refusal(children[i], r.reason);
        if (!p) {
          deps.applied?.forget(key);
          throw r.reason;
        }
        log.warn("child refused", { fleet: key, kind: children[i].kind, reason: p.reason, error: p.message });
        problem ??= p;
      }

      // 4. Delete the children no longer wanted (only those this fleet controls).
      const unwanted = [...SCALING_KINDS.filter((k) => scaling?.kind !== k.kind), ...(pdb ? [] : [PDB_KIND])];
      await Promise.all(
        unwanted.map(async (k) => {
          const ref = { ...k, namespace, name };
          const existing = await retry(() => api.get(ref));
          const owned = existing?.metadata?.ownerReferences?.some((r) => r.controller && r.uid === fleet.metadata.uid);
          if (!owned) return;
          try {
            await retry(() => api.delete(ref));
            log.info("deleted child no longer wanted", { fleet: key, kind: k.kind });
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }),
      );
      const statefulSet = applied[0];
      if (problem) deps.applied?.forget(key);
      else deps.applied?.record(key, digest, statefulSet.status === "fulfilled" ? statefulSet.value : undefined);
    }
  }

  // 5. Observe.
  checkpoint();
  const statefulSet = await retry(() => api.getStatefulSet(namespace, name));
  const pods = statefulSet ? await retry(() => api.listPods(namespace, selectorLabels(name))) : [];
  const observed: Observed = { statefulSet, pods };
  // Only once the StatefulSet controller has acted on the current spec and still has fewer
  // pods than wanted (FailedCreate): events are not indexed by object, so every list scans
  // the namespace's events, and asking on every pass of every starting fleet made 500
  // fleets cost the API server quadratic work.
  const stuck = (statefulSet?.status?.observedGeneration ?? 0) >= (statefulSet?.metadata?.generation ?? 1) && (statefulSet?.status?.replicas ?? 0) < (statefulSet?.spec?.replicas ?? 0);
  if (statefulSet?.metadata?.uid && stuck) {
    observed.events = await retry(() => api.listEvents(namespace, statefulSet.metadata!.uid!));
  }

  // 6. Write the status when it changed.
  checkpoint();
  const status = computeStatus(fleet, observed, (deps.now ?? (() => new Date()))(), problem);
  if (canonical(status) !== canonical(before ?? {})) {
    await retry(() => api.applyStatus(fleet, status));
  }

  // 7. Record Events for what changed (best effort: an Event is not worth a retry of the pass).
  for (const event of eventsFor(before?.conditions, status)) {
    checkpoint();
    try {
      await api.recordEvent(fleet, event);
    } catch (e) {
      log.warn("could not record event", { fleet: key, reason: event.reason, error: (e as Error).message });
    }
  }

  const cond = (t: Condition["type"]) => conditionOf(status, t)!;
  if (problems.length > 0) return { outcome: "invalid" };
  if (problem) return { outcome: "degraded", requeueAfterMs: REFUSAL_RESYNC_MS };
  if (cond("Degraded").status === "True") return { outcome: "degraded", requeueAfterMs: PROGRESS_RESYNC_MS };
  if (cond("Ready").status === "True" && cond("Progressing").status === "False") return { outcome: "ready" };
  return { outcome: "progressing", requeueAfterMs: PROGRESS_RESYNC_MS };
}
