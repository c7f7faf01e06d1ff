import { KubeError, type KubeClient, type KubeObject } from "./kube";
import type { Logger } from "./log";

/*
 * A coordination.k8s.io Lease for the background loops (idle pause, crash cleanup, warm
 * pools), so two replicas do not both fill a pool. API requests are served by every replica
 * and need no leader: their writes are conflict-safe on their own. Takeover happens when the
 * holder has not renewed for leaseSeconds (by this replica's clock: keep nodes on NTP);
 * every write carries the read resourceVersion, so of two replicas taking over one wins.
 */

export class LeaseElector {
  private leadingUntil = 0;

  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
    private readonly identity: string,
    private readonly leaseSeconds: number,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** True while this replica renewed within the lease duration. */
  get leading(): boolean {
    return this.now().getTime() < this.leadingUntil;
  }

  /** One acquire-or-renew attempt. */
  async tick(): Promise<boolean> {
    const now = this.now();
    const wasLeading = this.leading;
    try {
      const lease = await this.kube.get("leases", this.namespace, this.name);
      const spec = lease?.spec ?? {};
      const renewed = Date.parse(spec.renewTime ?? "");
      const expired = !Number.isFinite(renewed) || now.getTime() - renewed > (spec.leaseDurationSeconds ?? this.leaseSeconds) * 1000;
      const mine = spec.holderIdentity === this.identity;
      if (lease && !mine && !expired && spec.holderIdentity) {
        this.leadingUntil = 0;
        return false;
      }
      const body: KubeObject = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { ...(lease?.metadata ?? {}), name: this.name, namespace: this.namespace },
        spec: {
          holderIdentity: this.identity,
          leaseDurationSeconds: this.leaseSeconds,
          renewTime: now.toISOString().replace("Z", "000Z"),
          acquireTime: mine ? spec.acquireTime : now.toISOString().replace("Z", "000Z"),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (mine || !lease ? 0 : 1),
        },
      };
      if (lease) await this.kube.replace("leases", this.namespace, body);
      else await this.kube.create("leases", this.namespace, body);
      this.leadingUntil = now.getTime() + this.leaseSeconds * 1000;
      if (!wasLeading) this.log.info("leading the background loops", { lease: this.name, identity: this.identity });
      return true;
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 409)) this.log.warn("lease not renewed", { lease: this.name, error: (e as Error).message });
      this.leadingUntil = 0;
      return false;
    }
  }

  /** Gives the lease up (graceful shutdown), so a standby takes over at once. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.leadingUntil = 0;
    try {
      const lease = await this.kube.get("leases", this.namespace, this.name);
      if (lease?.spec?.holderIdentity !== this.identity) return;
      await this.kube.replace("leases", this.namespace, { ...lease, spec: { ...lease.spec, holderIdentity: "", renewTime: new Date(0).toISOString().replace("Z", "000Z") } });
    } catch (e) {
      this.log.warn("lease not released", { error: (e as Error).message });
    }
  }
}
