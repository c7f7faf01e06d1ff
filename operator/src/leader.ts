import { isNotFound, statusCode } from "./errors";
import type { Logger } from "./log";

/*
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
 * the leader renews the lease every `retryPeriod`; a candidate takes it over once it has
 * seen the same record, unchanged, for `leaseDuration` by its own clock (so clock skew
 * between nodes does not matter, unlike comparing `renewTime`); a leader shutting down
 * releases the lease (empty holder, 1 s duration) so a standby takes over at once. Writes
 * carry the resourceVersion read, so two candidates racing for an expired lease cannot both
 * win (one gets 409).
 *
 * No two leaders at once: a standby reads a renewal only after the leader sent it, so it
 * cannot take the lease over before `leaseDuration` after the start of the leader's last
 * successful attempt. The leader counts its renew deadline from that same instant and, on a
 * timer of its own (not after an API call returns: a call the server accepts and never
 * answers would never return), stops leading when `renewDeadline` has passed without another
 * successful renewal: it aborts its lease call and calls `onStoppedLeading` (which must stop
 * the workers at once), `leaseDuration - renewDeadline` before anyone else may lead. Every
 * lease call is bounded by the renew deadline (its AbortSignal). Like client-go, a leader
 * that lost the lease does not run for it again (the process restarts).
 */

/** client-go's defaults (and controller-runtime's). */
export const LEASE_DURATION_MS = 15_000;
export const RENEW_DEADLINE_MS = 10_000;
export const RETRY_PERIOD_MS = 2_000;

/**
 * Throws unless retryPeriod < renewDeadline < leaseDuration (all positive), naming the
 * settings by `names` (the options' keys by default; config.ts passes its flags).
 */
export function checkLeaderTiming(
  t: { leaseDuration: number; renewDeadline: number; retryPeriod: number },
  names: { leaseDuration: string; renewDeadline: string; retryPeriod: string } = { leaseDuration: "leaseDurationMs", renewDeadline: "renewDeadlineMs", retryPeriod: "retryPeriodMs" },
): void {
  for (const k of ["leaseDuration", "renewDeadline", "retryPeriod"] as const) {
    if (!Number.isFinite(t[k]) || t[k] <= 0) throw new Error(`leader election: ${names[k]} (${t[k]}) must be greater than 0`);
  }
  if (t.renewDeadline >= t.leaseDuration) {
    throw new Error(
      `leader election: ${names.renewDeadline} (${t.renewDeadline}) must be less than ${names.leaseDuration} (${t.leaseDuration}): a leader that cannot renew must stop before a standby may take the lease over`,
    );
  }
  if (t.retryPeriod >= t.renewDeadline) {
    throw new Error(`leader election: ${names.retryPeriod} (${t.retryPeriod}) must be less than ${names.renewDeadline} (${t.renewDeadline}): the leader must get to retry a renewal before its deadline`);
  }
}

/** The fields of a Lease that election reads and writes. */
export interface LeaseRecord {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date;
  renewTime: Date;
  leaseTransitions: number;
  /** Set on records read from the API server. */
  resourceVersion?: string;
}

/** The Lease API (kube.ts implements it over the operator's client). `signal` ends a call. */
export interface LeaseApi {
  /** The lease, or undefined when it does not exist. */
  get(namespace: string, name: string, signal?: AbortSignal): Promise<LeaseRecord | undefined>;
  create(namespace: string, name: string, record: LeaseRecord, signal?: AbortSignal): Promise<void>;
  /** Replaces the lease; 409 when `record.resourceVersion` is stale. */
  update(namespace: string, name: string, record: LeaseRecord, signal?: AbortSignal): Promise<void>;
}

export interface LeaderElectorOptions {
  readonly api: LeaseApi;
  readonly namespace: string;
  readonly name: string;
  /** This candidate (the pod name). */
  readonly identity: string;
  /** How long others wait for a renewal before taking over. Defaults to 15 s. */
  readonly leaseDurationMs?: number;
  /** How long the leader tries to renew before it stops leading; less than leaseDurationMs. Defaults to 10 s. */
  readonly renewDeadlineMs?: number;
  /** Pause between attempts; less than renewDeadlineMs. Defaults to 2 s. */
  readonly retryPeriodMs?: number;
  readonly log: Logger;
  /** The clock (tests). Defaults to the wall clock for the lease's times and a monotonic one for durations. */
  readonly now?: () => Date;
  readonly onStartedLeading: () => void;
  /** Called once, at the renew deadline at the latest: must stop the workers at once (synchronously abort their work). */
  readonly onStoppedLeading: () => void;
}

/** Why a lease call was aborted. */
const deadlineError = (lease: string, ms: number) => Object.assign(new Error(`lease ${lease}: no answer within the renew deadline (${ms} ms)`), { code: "ETIMEDOUT" });

export class LeaderElector {
  private leading = false;
  /** Start (by our clock) of the last successful acquire or renew attempt: the lease is ours until at least this + leaseDuration. */
  private renewedAt = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  /** Fires at renewedAt + renewDeadline while leading. */
  private deadlineTimer?: NodeJS.Timeout;
  /** The lease calls in flight. */
  private readonly attempts = new Set<AbortController>();
  /** The last lease record seen and when (by our clock) it was first seen. */
  private observed?: { record: string; at: number };
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => Date;
  /** Milliseconds for durations: monotonic unless `now` is given (a wall-clock step must not stretch a deadline). */
  private readonly ms: () => number;
  private readonly lease: string;

  constructor(private readonly o: LeaderElectorOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? LEASE_DURATION_MS;
    this.renewDeadlineMs = o.renewDeadlineMs ?? RENEW_DEADLINE_MS;
    this.retryPeriodMs = o.retryPeriodMs ?? RETRY_PERIOD_MS;
    checkLeaderTiming({ leaseDuration: this.leaseDurationMs, renewDeadline: this.renewDeadlineMs, retryPeriod: this.retryPeriodMs });
    this.now = o.now ?? (() => new Date());
    this.ms = o.now ? () => o.now!().getTime() : () => performance.timeOrigin + performance.now();
    this.lease = `${o.namespace}/${o.name}`;
  }

  /** Whether this candidate holds the lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** An AbortController for lease calls that aborts after `ms` (and on step-down or stop). */
  private bound(ms: number): { signal: AbortSignal; done: () => void } {
    const c = new AbortController();
    this.attempts.add(c);
    const timer = setTimeout(() => c.abort(deadlineError(this.lease, this.renewDeadlineMs)), Math.max(0, ms));
    return {
      signal: c.signal,
      done: () => {
        clearTimeout(timer);
        this.attempts.delete(c);
      },
    };
  }

  private abortAttempts(why: string): void {
    for (const c of this.attempts) c.abort(new Error(`lease ${this.lease}: ${why}`));
    this.attempts.clear();
  }

  /**
   * One attempt, started at `at` (ms of the duration clock): creates the lease, renews it if
   * held, or takes it over if expired. True when this candidate holds the lease afterwards.
   * Its calls are bounded by the renew deadline (of the last renewal, when leading). Never throws.
   */
  async tryAcquireOrRenew(at: number = this.ms()): Promise<boolean> {
    const { api, namespace, name, identity } = this.o;
    const now = this.now();
    const budget = this.leading ? this.renewedAt + this.renewDeadlineMs - at : this.renewDeadlineMs;
    if (budget <= 0) return false;
    const { signal, done } = this.bound(budget);
    const seconds = Math.ceil(this.leaseDurationMs / 1000);
    try {
      const current = await api.get(namespace, name, signal);
      if (!current) {
        await api.create(namespace, name, { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 }, signal);
        return true;
      }
      const record = JSON.stringify([current.holderIdentity, current.renewTime.getTime(), current.leaseTransitions, current.leaseDurationSeconds]);
      if (this.observed?.record !== record) this.observed = { record, at };
      const held = current.holderIdentity !== "";
      const expired = this.observed.at + current.leaseDurationSeconds * 1000 <= at;
      if (current.holderIdentity === identity) {
        await api.update(namespace, name, { ...current, leaseDurationSeconds: seconds, renewTime: now }, signal);
        return true;
      }
      if (held && !expired) return false;
      await api.update(
        namespace,
        name,
        {
          ...current,
          holderIdentity: identity,
          leaseDurationSeconds: seconds,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: current.leaseTransitions + 1,
        },
        signal,
      );
      return true;
    } catch (e) {
      // 409: another candidate wrote first; 404: deleted under us. Either way, not ours now.
      if (statusCode(e) !== 409 && !isNotFound(e)) this.o.log.warn("lease attempt failed", { lease: this.lease, error: (e as Error).message });
      return false;
    } finally {
      done();
    }
  }

  /** One tick of the loop: acquire or renew, and start or stop leading accordingly. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    const started = this.ms();
    const ok = await this.tryAcquireOrRenew(started);
    if (this.stopped) return;
    // An answer after the deadline renews nothing: we may have stopped leading meanwhile.
    if (ok && this.ms() - started < this.renewDeadlineMs) {
      this.renewedAt = started;
      if (!this.leading) {
        this.leading = true;
        this.o.log.info("started leading", { lease: this.lease, identity: this.o.identity });
        this.o.onStartedLeading();
      }
      this.armDeadline();
    } else {
      this.checkDeadline();
    }
  }

  /** (Re)sets the timer that ends leadership at the renew deadline. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.checkDeadline(), Math.max(0, this.renewedAt + this.renewDeadlineMs - this.ms()));
    this.deadlineTimer.unref();
  }

  /** Stops leading when the renew deadline has passed since the last renewal. */
  private checkDeadline(): void {
    if (!this.leading) return;
    const since = this.ms() - this.renewedAt;
    if (since < this.renewDeadlineMs) {
      this.armDeadline();
      return;
    }
    this.leading = false;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadlineTimer);
    this.abortAttempts("stopped leading");
    this.o.log.warn("stopped leading: lease not renewed within the renew deadline", { lease: this.lease, sinceRenewalMs: since, renewDeadlineMs: this.renewDeadlineMs, leaseDurationMs: this.leaseDurationMs });
    this.o.onStoppedLeading();
  }

  /** Runs `tick` every retry period until `stop` (or until it lost the lease). */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.retryPeriodMs);
    };
    void loop();
  }

  /**
   * Stops the loop and, when leading, releases the lease so a standby takes over at once
   * (within what is left of the renew deadline: past it, the lease may be another's).
   * Stop the workers first: a standby leads as soon as this resolves.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadlineTimer);
    this.abortAttempts("stopping");
    if (!this.leading) return;
    this.leading = false;
    const { api, namespace, name, identity } = this.o;
    const budget = this.renewedAt + this.renewDeadlineMs - this.ms();
    if (budget <= 0) {
      this.o.log.warn("not releasing the lease: renew deadline passed", { lease: this.lease });
      return;
    }
    const { signal, done } = this.bound(budget);
    try {
      const current = await api.get(namespace, name, signal);
      if (current?.holderIdentity === identity) {
        await api.update(namespace, name, { ...current, holderIdentity: "", leaseDurationSeconds: 1, renewTime: this.now() }, signal);
      }
      this.o.log.info("released lease", { lease: this.lease });
    } catch (e) {
      this.o.log.warn("could not release lease", { lease: this.lease, error: (e as Error).message });
    } finally {
      done();
    }
  }
}
