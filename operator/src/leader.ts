import { isNotFound, statusCode } from "./errors";
import type { Logger } from "./log";

/*
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does:
 * the leader renews the lease every `retryPeriod`; a candidate takes it over once it has
 * seen the same record, unchanged, for `leaseDuration` by its own clock (so clock skew
 * between nodes does not matter, unlike comparing `renewTime`); a leader that cannot renew within
 * `renewDeadline` stops leading; a leader shutting down releases the lease (empty holder,
 * 1 s duration) so a standby takes over at once. Writes carry the resourceVersion read, so
 * two candidates racing for an expired lease cannot both win (one gets 409).
 */

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

/** The Lease API (kube.ts implements it with CoordinationV1Api). */
export interface LeaseApi {
  /** The lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<LeaseRecord | undefined>;
  create(namespace: string, name: string, record: LeaseRecord): Promise<void>;
  /** Replaces the lease; 409 when `record.resourceVersion` is stale. */
  update(namespace: string, name: string, record: LeaseRecord): Promise<void>;
}

export interface LeaderElectorOptions {
  readonly api: LeaseApi;
  readonly namespace: string;
  readonly name: string;
  /** This candidate (the pod name). */
  readonly identity: string;
  /** Defaults to 15 s. */
  readonly leaseDurationMs?: number;
  /** Defaults to 10 s. */
  readonly renewDeadlineMs?: number;
  /** Defaults to 2 s. */
  readonly retryPeriodMs?: number;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  /** The last lease record seen and when (by our clock) it was first seen. */
  private observed?: { record: string; at: number };
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => Date;

  constructor(private readonly o: LeaderElectorOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    this.now = o.now ?? (() => new Date());
  }

  /** Whether this candidate holds the lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * One attempt: creates the lease, renews it if held, or takes it over if expired.
   * True when this candidate holds the lease afterwards. Never throws.
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity } = this.o;
    const now = this.now();
    const seconds = Math.ceil(this.leaseDurationMs / 1000);
    try {
      const current = await api.get(namespace, name);
      if (!current) {
        await api.create(namespace, name, { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: now, renewTime: now, leaseTransitions: 0 });
        return true;
      }
      const record = JSON.stringify([current.holderIdentity, current.renewTime.getTime(), current.leaseTransitions, current.leaseDurationSeconds]);
      if (this.observed?.record !== record) this.observed = { record, at: now.getTime() };
      const held = current.holderIdentity !== "";
      const expired = this.observed.at + current.leaseDurationSeconds * 1000 <= now.getTime();
      if (current.holderIdentity === identity) {
        await api.update(namespace, name, { ...current, leaseDurationSeconds: seconds, renewTime: now });
        return true;
      }
      if (held && !expired) return false;
      await api.update(namespace, name, {
        ...current,
        holderIdentity: identity,
        leaseDurationSeconds: seconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: current.leaseTransitions + 1,
      });
      return true;
    } catch (e) {
      // 409: another candidate wrote first; 404: deleted under us. Either way, not ours now.
      if (statusCode(e) !== 409 && !isNotFound(e)) this.o.log.warn("lease attempt failed", { lease: `${namespace}/${name}`, error: (e as Error).message });
      return false;
    }
  }

  /** One tick of the loop: acquire or renew, and start or stop leading accordingly. */
  async tick(): Promise<void> {
    const ok = await this.tryAcquireOrRenew();
    const t = this.now().getTime();
    if (ok) {
      this.lastRenew = t;
      if (!this.leading) {
        this.leading = true;
        this.o.log.info("started leading", { lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity });
        this.o.onStartedLeading();
      }
    } else if (this.leading && t - this.lastRenew >= this.renewDeadlineMs) {
      this.leading = false;
      this.o.log.warn("stopped leading: lease not renewed within the renew deadline", { lease: `${this.o.namespace}/${this.o.name}` });
      this.o.onStoppedLeading();
    }
  }

  /** Runs `tick` every retry period until `stop`. */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.retryPeriodMs);
    };
    void loop();
  }

  /** Stops the loop and, when leading, releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    const { api, namespace, name, identity } = this.o;
    try {
      const current = await api.get(namespace, name);
      if (current?.holderIdentity === identity) {
        await api.update(namespace, name, { ...current, holderIdentity: "", leaseDurationSeconds: 1, renewTime: this.now() });
      }
      this.o.log.info("released lease", { lease: `${namespace}/${name}` });
    } catch (e) {
      this.o.log.warn("could not release lease", { lease: `${namespace}/${name}`, error: (e as Error).message });
    }
  }
}
