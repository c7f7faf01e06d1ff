import type { KubernetesObject } from "@kubernetes/client-node";
import { ApiError, statusCode, withRetry } from "../errors";
import type { KubeClient } from "./http";

/*
 * List, then watch from the list's resourceVersion, keeping a cache of the objects and
 * telling handlers what was added, updated or deleted, as client-go's reflector does: a watch
 * the server ends (its timeoutSeconds) is resumed from the last resourceVersion seen (kept
 * current by bookmarks); a watch answered 410 Gone (the version was compacted) lists again
 * and reports the difference. A list answered with a transient error (a CRD's storage still
 * initializing answers 429) is retried with backoff. Anything else stops the informer with an
 * `error` for its owner to restart it. Cached objects lose `metadata.managedFields`, which the operator never
 * reads and which is most of a pod's size.
 */

/** Reads of an informer's cache. */
export interface ObjectCache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): T[];
}

type Events<T> = { add: (o: T) => void; update: (o: T, old: T) => void; delete: (o: T) => void; error: (e: unknown) => void };
type List<T> = { metadata?: { resourceVersion?: string }; items?: T[] };

/** Server-side watch timeouts are spread over 5 to 10 minutes, as client-go does. */
const watchTimeoutSeconds = () => 300 + Math.floor(Math.random() * 300);

/** About 20 s of retries of a list before the informer gives up. */
const LIST_RETRY = { attempts: 8, baseMs: 250, maxMs: 5_000 };

const keyOf = (o: KubernetesObject) => (o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? ""));

function slim<T extends KubernetesObject>(o: T): T {
  if (o.metadata?.managedFields) delete o.metadata.managedFields;
  return o;
}

/** An informer on one collection path (e.g. /apis/apps/v1/namespaces/x/statefulsets). */
export class Informer<T extends KubernetesObject> implements ObjectCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly handlers: { [K in keyof Events<T>]: Events<T>[K][] } = { add: [], update: [], delete: [], error: [] };
  private resourceVersion = "";
  private abort?: AbortController;

  constructor(
    private readonly client: KubeClient,
    readonly path: string,
    private readonly labelSelector?: string,
  ) {}

  on<K extends keyof Events<T>>(event: K, fn: Events<T>[K]): void {
    this.handlers[event].push(fn);
  }

  private emit<K extends keyof Events<T>>(event: K, ...args: Parameters<Events<T>[K]>): void {
    for (const fn of this.handlers[event]) (fn as (...a: typeof args) => void)(...args);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** Lists (resolves once the cache holds the list), then watches until `stop` or an error. */
  async start(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    try {
      await withRetry(() => this.relist(), LIST_RETRY);
    } catch (e) {
      if (!abort.signal.aborted) this.emit("error", e);
      throw e;
    }
    void this.watchLoop(abort.signal);
  }

  /** Ends the watch; the cache keeps what it had. */
  async stop(): Promise<void> {
    this.abort?.abort();
  }

  private async relist(): Promise<void> {
    const list = await this.client.request<List<T>>("GET", this.path, { query: { labelSelector: this.labelSelector } });
    const seen = new Set<string>();
    for (const o of list.items ?? []) {
      const key = keyOf(o);
      seen.add(key);
      const had = this.objects.get(key);
      if (had?.metadata?.resourceVersion === o.metadata?.resourceVersion) continue;
      this.objects.set(key, slim(o));
      if (had) this.emit("update", o, had);
      else this.emit("add", o);
    }
    for (const [key, o] of this.objects) {
      if (seen.has(key)) continue;
      this.objects.delete(key);
      this.emit("delete", o);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? "";
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const query = { labelSelector: this.labelSelector, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds() };
        await this.client.watch<T>(this.path, query, (e) => this.apply(e.type, e.object), signal);
      } catch (e) {
        if (signal.aborted) return;
        if (statusCode(e) === 410) {
          try {
            await withRetry(() => this.relist(), LIST_RETRY);
            continue;
          } catch (relist) {
            if (signal.aborted) return;
            this.emit("error", relist);
            return;
          }
        }
        this.emit("error", e);
        return;
      }
    }
  }

  private apply(type: string, o: T): void {
    if (type === "ERROR") {
      const status = o as unknown as { code?: number; message?: string; reason?: string };
      throw new ApiError(status.code ?? 500, status.message ?? "watch error", status.reason ?? "");
    }
    if (o.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
    if (type === "BOOKMARK") return;
    const key = keyOf(o);
    if (type === "DELETED") {
      this.objects.delete(key);
      this.emit("delete", o);
      return;
    }
    const had = this.objects.get(key);
    this.objects.set(key, slim(o));
    if (had) this.emit("update", o, had);
    else this.emit("add", o);
  }
}
