/*
 * API errors as the operator reasons about them: an HTTP status code, the Status reason and
 * message. Transient ones (conflicts, throttling, server errors) are retried with backoff;
 * the rest are either a fleet problem (reported in its status) or a bug (logged).
 */

/** An error from the Kubernetes API. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason = "",
    /** Seconds the server asked to wait (Retry-After), if it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The HTTP status of an error, when it is an API error (ours or the client's). */
export function statusCode(e: unknown): number | undefined {
  if (e instanceof ApiError) return e.code;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** True for errors worth retrying: 409 Conflict, 429 Too Many Requests, 5xx, and network failures. */
export function isTransient(e: unknown): boolean {
  const code = statusCode(e);
  if (code === undefined) return e instanceof Error && /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|UND_ERR/i.test(`${e.message} ${(e as { cause?: Error }).cause?.message ?? ""}`);
  return code === 409 || code === 429 || code >= 500;
}

/** True for 404 Not Found (the object, or its kind, does not exist). */
export function isNotFound(e: unknown): boolean {
  return statusCode(e) === 404;
}

/**
 * Runs `fn`, retrying transient errors with exponential backoff and jitter. Once `signal`
 * aborts, no attempt is started and a pause between attempts ends: it rejects with what
 * failed last, or the signal's reason.
 */
export async function withRetry<T>(fn: () => Promise<T>, opts: { attempts?: number; baseMs?: number; maxMs?: number; sleep?: (ms: number) => Promise<void>; signal?: AbortSignal } = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const base = opts.baseMs ?? 200;
  const max = opts.maxMs ?? 10_000;
  const signal = opts.signal;
  const sleep = opts.sleep ?? ((ms: number) => abortableSleep(ms, signal));
  for (let i = 1; ; i++) {
    signal?.throwIfAborted();
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !isTransient(e) || signal?.aborted) throw e;
      const retryAfter = e instanceof ApiError && e.retryAfterSeconds ? e.retryAfterSeconds * 1000 : 0;
      const backoff = Math.min(max, base * 2 ** (i - 1));
      await sleep(Math.max(retryAfter, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
