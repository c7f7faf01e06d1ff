import { MANAGED_BY, MANAGER, ROLE, A } from "./labels";
import { maintainPools } from "./pool";
import { identityOf, type Sandboxes } from "./sandboxes";
import { observe, type StatusWord } from "./status";

/*
 * The background pass, every `loopSeconds`. On every replica: the sandboxes-by-state gauge
 * and the route-check cache. On the leader only (the Lease): crash handling, idle pause,
 * missing pods recreated, and warm pools. Leadership only avoids duplicate work; each action
 * is itself conflict-safe, so a pass that overlaps a leader change does no harm.
 *
 * Crash handling: a sandbox seen in `error` (CrashLoopBackOff, Failed, Unknown, restarts
 * over crash.maxRestarts, image errors) gets `error-since`; after crash.cleanupAfterSeconds
 * its pod is deleted and its state set to `error`, which keeps the workspace: the app shows
 * the error, and /resume (or a new /start) tries again with a new pod, /stop deletes it all.
 */

export async function sweep(s: Sandboxes, leader: boolean): Promise<void> {
  const rows = await s.all();
  const now = s.now();
  const counts: Record<StatusWord | "warm", number> = { starting: 0, running: 0, paused: 0, error: 0, stopped: 0, warm: 0 };
  const uids = new Set<string>();
  for (const { anchor, pod } of rows) {
    if (pod?.metadata.uid) uids.add(pod.metadata.uid);
    const o = observe(anchor, pod, s.config.crash.maxRestarts);
    counts[o.status === "starting" && o.needsRouteCheck ? "running" : o.status] += 1;
    if (!leader) continue;
    try {
      await act(s, anchor, pod, o.status, o.reason, now);
    } catch (e) {
      s.metrics.errors.inc({ op: "sweep" });
      s.log.warn("sweep action failed", { runtimeId: anchor.metadata.name, error: (e as Error).message });
    }
  }
  const warm = await s.kube.list("secrets", s.ns, { [MANAGED_BY]: MANAGER, [ROLE]: "warm" });
  counts.warm = warm.filter((a) => !a.metadata.deletionTimestamp).length;
  s.metrics.sandboxes.reset(Object.entries(counts).filter(([k]) => k !== "stopped").map(([state, n]) => [{ state }, n]));
  s.pruneRouteCache(uids);
  if (leader) await maintainPools(s);
}

async function act(s: Sandboxes, anchor: Parameters<typeof observe>[0], pod: Parameters<typeof observe>[1], status: StatusWord, reason: string | undefined, now: Date): Promise<void> {
  const ann = anchor.metadata.annotations ?? {};
  const state = ann[A.state] ?? "running";
  if (state !== "running") return;
  const base = identityOf(anchor).base;
  if (status === "error") {
    const since = Date.parse(ann[A.errorSince] ?? "");
    if (!Number.isFinite(since)) {
      const updated = await s.updateAnchor(anchor, (a) => {
        if (a.metadata.annotations?.[A.errorSince]) return undefined;
        a.metadata.annotations = { ...a.metadata.annotations, [A.errorSince]: now.toISOString(), [A.errorReason]: reason ?? "error" };
        return a;
      });
      await s.event(updated, "Warning", "CrashDetected", `sandbox failing: ${reason}; cleaned up after ${s.config.crash.cleanupAfterSeconds}s`);
      s.log.warn("sandbox failing", { runtimeId: base, reason });
    } else if (now.getTime() - since >= s.config.crash.cleanupAfterSeconds * 1000) {
      const updated = await s.updateAnchor(anchor, (a) => {
        if (a.metadata.annotations?.[A.state] !== "running") return undefined;
        a.metadata.annotations = { ...a.metadata.annotations, [A.state]: "error", [A.errorReason]: reason ?? a.metadata.annotations?.[A.errorReason] ?? "error" };
        return a;
      });
      await s.kube.delete("pods", s.ns, base);
      await s.event(updated, "Warning", "CrashCleanedUp", `pod deleted after failing for ${s.config.crash.cleanupAfterSeconds}s (${reason}); workspace kept`);
      s.log.warn("failing sandbox cleaned up", { runtimeId: base, reason });
    }
    return;
  }
  if (ann[A.errorSince]) {
    await s.updateAnchor(anchor, (a) => {
      if (!a.metadata.annotations?.[A.errorSince]) return undefined;
      const next = { ...a.metadata.annotations };
      delete next[A.errorSince];
      delete next[A.errorReason];
      a.metadata.annotations = next;
      return a;
    });
    await s.event(anchor, "Normal", "Recovered", "sandbox no longer failing");
  }
  const idle = s.config.idle.pauseAfterSeconds;
  const idleFor = (a: typeof anchor) => now.getTime() - Date.parse(a.metadata.annotations?.[A.lastActivity] ?? a.metadata.annotations?.[A.startedAt] ?? "");
  if (idle > 0 && idleFor(anchor) >= idle * 1000) {
    // Re-checked on the fresh anchor inside the conflict-safe write: activity that lands
    // between this read and the pause keeps the sandbox running.
    await s.pause(base, "IdlePaused", (a) => idleFor(a) >= idle * 1000);
    return;
  }
  if (!pod) await s.ensurePod(anchor);
}
