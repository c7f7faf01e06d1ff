import { createHash } from "node:crypto";
import type { KubernetesObject, V1StatefulSet } from "@kubernetes/client-node";

/*
 * What this process last applied for each fleet, so that a pass whose children would be
 * byte-identical to what it applied moments ago does not apply them again: while a fleet's
 * pods start, every pod and StatefulSet status change triggers a pass, and each re-applied
 * three unchanged objects (three server-side applies the API server must merge, for nothing).
 * A pass still applies when the children differ (a spec edit, new operator settings), when
 * the StatefulSet is not the one it left (deleted, or its spec edited by someone else: its
 * uid or generation changed), and at least every REAPPLY_MS, which bounds how long a
 * hand-edited Service or PodDisruptionBudget (not watched) stays drifted.
 */

/** The longest a fleet's children go without being applied again. */
export const REAPPLY_MS = 10 * 60_000;

interface Entry {
  digest: string;
  at: number;
  statefulSet?: { uid?: string; generation?: number };
}

/** A digest of the children a pass wants (they are built with a fixed key order). */
export function digestOf(children: readonly KubernetesObject[]): string {
  return createHash("sha256").update(JSON.stringify(children)).digest("base64");
}

/** Per fleet key, the children last applied and what the StatefulSet looked like after. */
export class AppliedChildren {
  private readonly byFleet = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    readonly maxAgeMs = REAPPLY_MS,
  ) {}

  /** True when `digest` was applied for `key` within maxAgeMs and `statefulSet` (the cache's) is still what that apply left. */
  isCurrent(key: string, digest: string, statefulSet: V1StatefulSet | undefined): boolean {
    const e = this.byFleet.get(key);
    if (!e || e.digest !== digest || this.now() - e.at >= this.maxAgeMs || !statefulSet) return false;
    return statefulSet.metadata?.uid === e.statefulSet?.uid && statefulSet.metadata?.generation === e.statefulSet?.generation;
  }

  /** Records a successful apply of every child; `statefulSet` is the server's answer to its apply. */
  record(key: string, digest: string, statefulSet: KubernetesObject | void): void {
    const meta = statefulSet ? (statefulSet.metadata as { uid?: string; generation?: number } | undefined) : undefined;
    this.byFleet.set(key, { digest, at: this.now(), statefulSet: { uid: meta?.uid, generation: meta?.generation } });
  }

  /** Forgets a fleet (deleted, invalid, or a child refused: apply again next time). */
  forget(key: string): void {
    this.byFleet.delete(key);
  }

  /** Fleets remembered. */
  get size(): number {
    return this.byFleet.size;
  }
}
