/*
 * A rate-limited work queue in client-go's shape: a key is queued at most once, a key is
 * never processed by two workers at once (an add while it is processed queues it again
 * after), failures are retried with per-key exponential backoff, success forgets the
 * failures, and at most `concurrency` keys are processed at a time. `pause` stops taking
 * keys (a replica that stopped leading); a shutdown of a paused queue drops the keys waiting.
 */

/** What a handler concluded about a key. */
export interface HandlerResult {
  /** Process the key again after this long. */
  readonly requeueAfterMs?: number;
}

/** Processes one key; throwing retries it with backoff. */
export type Handler = (key: string) => Promise<HandlerResult | void>;

export interface WorkQueueOptions {
  /** Keys processed at once. Defaults to 2. */
  readonly concurrency?: number;
  /** First retry delay after a failure. Defaults to 500 ms. */
  readonly baseDelayMs?: number;
  /** Longest retry delay. Defaults to 5 minutes. */
  readonly maxDelayMs?: number;
  /** Called after each key with its outcome and duration (metrics, logs). */
  readonly onDone?: (key: string, outcome: { error?: unknown; durationMs: number; result?: HandlerResult | void }) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly urgent: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private shuttingDown = false;
  private started = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly handler: Handler,
    private readonly opts: WorkQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 300_000;
  }

  /** Keys waiting (not counting those being processed or delayed). */
  get depth(): number {
    return this.queue.length + this.urgent.length;
  }

  /** Keys being processed now. */
  get active(): number {
    return this.processing.size;
  }

  /** Starts processing (adds before this only queue). */
  start(): void {
    this.started = true;
    this.pump();
  }

  /** Stops taking keys (those being processed finish); adds only queue, as before `start`. */
  pause(): void {
    this.started = false;
  }

  /** Queues `key` unless it is already waiting; `urgent` keys go before all others. */
  add(key: string, urgent = false): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) {
      // Waiting behind others: move it up.
      const i = urgent && !this.processing.has(key) ? this.queue.indexOf(key) : -1;
      if (i >= 0) {
        this.queue.splice(i, 1);
        this.urgent.push(key);
      }
      return;
    }
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    (urgent ? this.urgent : this.queue).push(key);
    this.pump();
  }

  /** Queues `key` after `ms` (an earlier pending delay for the key wins). */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, at });
  }

  /** Queues `key` after its backoff: base * 2^(failures-1), capped. */
  addRateLimited(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (n - 1));
    this.addAfter(key, delay);
    return delay;
  }

  /** Forgets the key's failures (its next failure starts from the base delay). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Failures recorded for the key since it last succeeded. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /**
   * Stops taking keys, drops delayed ones, and waits for the queued and in-flight keys to
   * finish, at most `deadlineMs`; a queue not started or paused drops its queued keys (no
   * worker would take them) and waits for the in-flight ones only. True when everything
   * finished in time.
   */
  async shutdown(deadlineMs: number): Promise<boolean> {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    if (!this.started) this.dropQueued();
    if (this.isIdle()) return true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const drained = await Promise.race([idle, deadline]);
    clearTimeout(timer);
    return drained;
  }

  private isIdle(): boolean {
    return this.depth === 0 && this.processing.size === 0;
  }

  private dropQueued(): void {
    this.queue.length = 0;
    this.urgent.length = 0;
    this.dirty.clear();
  }

  private pump(): void {
    if (this.shuttingDown && !this.started) this.dropQueued();
    while (this.started && this.processing.size < this.concurrency && this.depth > 0) {
      const key = (this.urgent.length > 0 ? this.urgent : this.queue).shift()!;
      this.dirty.delete(key);
      this.processing.add(key);
      void this.run(key);
    }
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    const started = performance.now();
    let result: HandlerResult | void = undefined;
    let error: unknown;
    try {
      result = await this.handler(key);
    } catch (e) {
      error = e;
    }
    this.processing.delete(key);
    if (error !== undefined) {
      this.addRateLimited(key);
    } else {
      this.forget(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    }
    // Added again while it was processed: queue it now.
    if (this.dirty.has(key)) this.queue.push(key);
    this.opts.onDone?.(key, { error, durationMs: performance.now() - started, result });
    this.pump();
  }
}
