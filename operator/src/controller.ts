import type { KubernetesObject, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { AppliedChildren } from "./applied";
import type { KubeClient } from "./client/http";
import { Informer, type ObjectCache } from "./client/informer";
import { collectionPath, kubeFleetApi } from "./kube";
import { FLEET_LABEL, MANAGED_BY, owningFleet } from "./labels";
import type { Logger } from "./log";
import { OperatorMetrics } from "./metrics";
import { reconcile, type ReconcileResult } from "./reconcile";
import { GROUP, type OllamaFleet, PLURAL, VERSION } from "./api/v1alpha1";
import { fleetKey, type Mesh } from "./types";
import { WorkQueue } from "./workqueue";

/*
 * Watches, never polls: informers on OllamaFleets and on the StatefulSets and pods the
 * operator made (selected by the managed-by label, so the caches hold only those) feed
 * fleet keys into the work queue. A StatefulSet maps to its controlling fleet, a pod to the
 * fleet named by its `openhands.ai/fleet` label; their events queue the fleet a moment later
 * (CHILD_EVENT_COALESCE_MS), so a burst becomes one pass. Workers run only while this replica leads;
 * standbys keep their caches warm. An informer that fails restarts after a pause.
 * `stopWorkers` (the lease lost) stops them at once: no key is taken any more, and the API
 * calls of passes in flight are aborted (the workers' AbortSignal), so no write of this
 * replica lands after a successor may lead.
 */

export interface ControllerOptions {
  readonly client: KubeClient;
  /** Namespaces to watch; empty watches all. */
  readonly namespaces: readonly string[];
  readonly mesh: Mesh;
  readonly prometheusUrl: string;
  readonly concurrency: number;
  readonly identity: string;
  readonly log: Logger;
}

const INFORMER_RESTART_MS = 5_000;

/**
 * How long a fleet's key waits after an event of one of its children (StatefulSet, pod)
 * before its pass. A pod's start is a burst of events (created, bound, initialised, ready)
 * and the StatefulSet's status follows each; one pass after the burst writes one status
 * instead of one per event, and the first event's delay is the longest wait (later events
 * of the same burst do not push the pass back). Fleet events are not delayed.
 */
export const CHILD_EVENT_COALESCE_MS = 1_000;

/** How an informer's events become work queue keys. */
interface WatchOptions<T> {
  readonly labelSelector?: string;
  /** Keys of objects for which this holds go before all others. */
  readonly urgent?: (o: T) => boolean;
  /** Updates for which this holds queue nothing. */
  readonly ignoreUpdate?: (o: T, old: T) => boolean;
  /** Queue the key this long after the event (see CHILD_EVENT_COALESCE_MS); 0: at once. */
  readonly coalesceMs?: number;
}
/** After the drain deadline, how long passes whose calls were aborted get to settle. */
const ABORT_SETTLE_MS = 1_000;

/** True when two versions of a fleet differ in status only (metadata, bar its version, and spec equal). */
export function sameButStatus(a: OllamaFleet, b: OllamaFleet): boolean {
  const rest = (f: OllamaFleet) => JSON.stringify([{ ...f.metadata, resourceVersion: undefined, managedFields: undefined }, f.spec]);
  return rest(a) === rest(b);
}
const MANAGED = `${MANAGED_BY.key}=${MANAGED_BY.value}`;

export class Controller {
  readonly queue: WorkQueue;
  readonly metrics: OperatorMetrics;
  private readonly informers: Informer<KubernetesObject>[] = [];
  private readonly fleetCaches: ObjectCache<OllamaFleet>[] = [];
  private synced = false;
  private stopping = false;
  private leading = false;
  /** Aborted when the workers stop: every FleetApi request carries its signal. */
  private workers = new AbortController();

  constructor(private readonly o: ControllerOptions) {
    this.metrics = new OperatorMetrics({
      fleets: () => this.fleetCaches.reduce((n, c) => n + c.list().length, 0),
      queueDepth: () => this.queue.depth,
      leader: () => this.leading,
    });
    const scopes = o.namespaces.length > 0 ? [...o.namespaces] : [undefined];
    const fleets = scopes.map((ns) =>
      this.watch<OllamaFleet>(collectionPath(`${GROUP}/${VERSION}`, PLURAL, ns), (f) => (f.metadata?.name && f.metadata.namespace ? fleetKey(f.metadata.namespace, f.metadata.name) : undefined), {
        // A spec no pass has acted on yet goes before status refreshes of fleets already applied.
        urgent: (f) => f.status?.observedGeneration !== f.metadata?.generation,
        // The operator's own status writes: the pass that wrote it already saw this fleet.
        ignoreUpdate: (f, old) => sameButStatus(f, old),
      }),
    );
    const children = { labelSelector: MANAGED, coalesceMs: CHILD_EVENT_COALESCE_MS };
    const statefulSets = scopes.map((ns) => this.watch<V1StatefulSet>(collectionPath("apps/v1", "statefulsets", ns), (s) => owningFleet(s.metadata), children));
    const pods = scopes.map((ns) =>
      this.watch<V1Pod>(collectionPath("v1", "pods", ns), (p) => (p.metadata?.namespace && p.metadata.labels?.[FLEET_LABEL] ? fleetKey(p.metadata.namespace, p.metadata.labels[FLEET_LABEL]) : undefined), children),
    );
    this.fleetCaches.push(...fleets);
    const byNamespace = <T extends KubernetesObject>(caches: ObjectCache<T>[]): ObjectCache<T> => ({
      get: (name, namespace) => caches.map((c) => c.get(name, namespace)).find((x) => x !== undefined),
      list: (namespace) => caches.flatMap((c) => c.list(namespace)),
    });
    const applied = new AppliedChildren();
    const api = kubeFleetApi(o.client, { fleets: byNamespace(fleets), statefulSets: byNamespace(statefulSets), pods: byNamespace(pods) }, o.identity, () => this.workers.signal);
    this.queue = new WorkQueue(
      async (key) => {
        const signal = this.workers.signal;
        signal.throwIfAborted();
        const result: ReconcileResult = await reconcile(key, { api, options: { mesh: o.mesh, prometheusUrl: o.prometheusUrl }, log: o.log, applied, signal });
        this.metrics.reconcileTotal.inc({ result: result.outcome });
        return result;
      },
      {
        concurrency: o.concurrency,
        onDone: (key, { error, durationMs }) => {
          this.metrics.reconcileDuration.observe(durationMs / 1000);
          if (error !== undefined) {
            this.metrics.reconcileTotal.inc({ result: "error" });
            this.metrics.errorsTotal.inc();
            o.log.error("reconcile failed; retrying with backoff", { fleet: key, failures: this.queue.failuresOf(key), error: (error as Error).message ?? String(error) });
          } else {
            o.log.debug("reconciled", { fleet: key, durationMs: Math.round(durationMs) });
          }
        },
      },
    );
  }

  private watch<T extends KubernetesObject>(path: string, keyOf: (o: T) => string | undefined, how: WatchOptions<T> = {}) {
    const { labelSelector, urgent = () => false, ignoreUpdate = () => false, coalesceMs = 0 } = how;
    const informer = new Informer<T>(this.o.client, path, labelSelector);
    const enqueue = (obj: T) => {
      const key = keyOf(obj);
      if (!key) return;
      if (coalesceMs > 0) this.queue.addAfter(key, coalesceMs);
      else this.queue.add(key, urgent(obj));
    };
    informer.on("add", enqueue);
    informer.on("update", (obj, old) => {
      if (!ignoreUpdate(obj, old)) enqueue(obj);
    });
    informer.on("delete", enqueue);
    informer.on("error", (err) => {
      if (this.stopping) return;
      this.o.log.warn("watch failed; restarting", { path, error: (err as Error)?.message ?? String(err) });
      setTimeout(() => {
        if (!this.stopping) informer.start().catch(() => undefined);
      }, INFORMER_RESTART_MS);
    });
    this.informers.push(informer as unknown as Informer<KubernetesObject>);
    return informer;
  }

  /** True once every informer has listed. */
  get ready(): boolean {
    return this.synced;
  }

  /** Starts the informers (all replicas: standbys keep warm caches). */
  async startInformers(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.synced = true;
    this.o.log.info("informers synced", { informers: this.informers.length, namespaces: this.o.namespaces.length > 0 ? this.o.namespaces : "all" });
  }

  /** Whether the workers run. */
  get workersRunning(): boolean {
    return this.leading;
  }

  /** Starts the workers (on becoming leader): every known fleet is reconciled once. */
  startWorkers(): void {
    if (this.stopping || this.leading) return;
    if (this.workers.signal.aborted) this.workers = new AbortController();
    this.leading = true;
    for (const c of this.fleetCaches) for (const f of c.list()) if (f.metadata?.namespace) this.queue.add(fleetKey(f.metadata.namespace, f.metadata.name));
    this.queue.start();
  }

  /**
   * Stops the workers at once (on losing the lease): no key is taken any more, and the
   * passes in flight have their API calls aborted (they fail without writing). Synchronous:
   * nothing of this replica's is sent after it returns.
   */
  stopWorkers(why = "stopped leading"): void {
    this.leading = false;
    this.queue.pause();
    if (!this.workers.signal.aborted) this.workers.abort(new Error(`workers stopped: ${why}`));
  }

  /**
   * Stops the informers and drains the queue within `deadlineMs`, then stops the workers
   * (aborting what is still in flight), so the lease can be released. True when drained.
   */
  async stop(deadlineMs: number): Promise<boolean> {
    this.stopping = true;
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
    const drained = await this.queue.shutdown(deadlineMs);
    this.stopWorkers("stopping");
    if (!drained) await this.queue.shutdown(ABORT_SETTLE_MS);
    return drained;
  }
}
