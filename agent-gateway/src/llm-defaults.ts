import type { LlmDefaults } from "./config";
import type { Logger } from "./log";

/*
 * The platform's LLM for a fresh app. openhands-ai 1.11.0 reads no LLM from its environment:
 * the agent's LLM is the stored settings, else the SDK default
 * (`live_status_app_conversation_service.py`). OSS is single-tenant, one settings.json for
 * everyone. So, once after start, in the background (`settings_router.py`):
 *   GET  <app>/api/v1/settings   404 {"error":"Settings not found"}: none stored yet, so
 *   POST <app>/api/v1/settings   {"agent_settings_diff":{"llm":{model, base_url[, api_key]}}}
 *                                200 {"message":"Settings stored"} (deep-merged);
 *   GET  ... 200: someone saved settings already; they are left as they are.
 * Anything else (the app not up yet, a 5xx, a refused connection) is retried with backoff
 * until one of the two outcomes, or until stop(). `X-Session-API-Key` goes along when the app
 * has one. Each attempt logs one line; the key is never logged, nor the app's answer to the
 * POST (a validation error could quote it).
 */

/** How seeding ended. */
export type SeedOutcome = "seeded" | "kept" | "stopped";

/** Options of `seedLlmDefaults`. */
export interface SeedOptions {
  appUrl: URL;
  /** The app's own key (`SESSION_API_KEY`), sent as `X-Session-API-Key`. */
  sessionApiKey?: string;
  llm: LlmDefaults;
  log: Logger;
  /** Wait before retry `n` (1, 2, ...). Defaults to 1 s doubling, at most 30 s. */
  backoffMs?: (n: number) => number;
  /** Per request. Defaults to 10 s. */
  timeoutMs?: number;
}

/** A seeding run. */
export interface Seeding {
  /** Resolves once the defaults are stored, found unnecessary, or the run is stopped. */
  done: Promise<SeedOutcome>;
  /** Ends the run (at shutdown): no further request is made. */
  stop(): void;
}

/** The POST body (exported for tests). */
export function seedBody(llm: LlmDefaults): { agent_settings_diff: { llm: Record<string, string> } } {
  return { agent_settings_diff: { llm: { model: llm.model, base_url: llm.baseUrl, ...(llm.apiKey !== undefined ? { api_key: llm.apiKey } : {}) } } };
}

const defaultBackoff = (n: number) => Math.min(30_000, 1000 * 2 ** (n - 1));

class Retry extends Error {
  constructor(
    message: string,
    readonly fields: Record<string, unknown>,
    readonly level: "warn" | "error" = "warn",
  ) {
    super(message);
  }
}

/** The app's `{"error": "..."}` text, if that is what `text` is (GET answers only). */
function appError(text: string): string | undefined {
  try {
    const j = JSON.parse(text) as { error?: unknown; detail?: unknown };
    const e = j.error ?? j.detail;
    return typeof e === "string" ? e.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

/** Starts seeding in the background. */
export function seedLlmDefaults(opts: SeedOptions): Seeding {
  const stopper = new AbortController();
  const backoff = opts.backoffMs ?? defaultBackoff;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const url = new URL(`${opts.appUrl.pathname.replace(/\/+$/, "")}/api/v1/settings`, opts.appUrl.origin);
  const headers: Record<string, string> = { accept: "application/json", ...(opts.sessionApiKey ? { "x-session-api-key": opts.sessionApiKey } : {}) };
  const about = { model: opts.llm.model, baseUrl: opts.llm.baseUrl, credential: opts.llm.apiKey !== undefined };
  const signal = () => AbortSignal.any([stopper.signal, AbortSignal.timeout(timeoutMs)]);

  const attempt = async (n: number): Promise<"seeded" | "kept"> => {
    let r: Response;
    try {
      r = await fetch(url, { headers, signal: signal() });
    } catch (e) {
      throw new Retry("llm defaults: the app did not answer GET /api/v1/settings", { error: errorText(e) });
    }
    const text = await r.text().catch(() => "");
    if (r.status === 200) {
      opts.log.info("llm defaults not seeded: the app has settings already, left as they are", { ...about, attempt: n });
      return "kept";
    }
    if (r.status !== 404) {
      const auth = r.status === 401 || r.status === 403;
      throw new Retry(`llm defaults: GET /api/v1/settings answered ${r.status}`, { status: r.status, appError: appError(text), ...(auth ? { hint: "check OPENHANDS_APP_SESSION_API_KEY against the app's SESSION_API_KEY" } : {}) }, auth ? "error" : "warn");
    }
    let p: Response;
    try {
      p = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(seedBody(opts.llm)), signal: signal() });
    } catch (e) {
      throw new Retry("llm defaults: the app did not answer POST /api/v1/settings", { error: errorText(e) });
    }
    await p.body?.cancel().catch(() => undefined);
    if (p.status !== 200) throw new Retry(`llm defaults: POST /api/v1/settings answered ${p.status}`, { status: p.status }, p.status >= 500 ? "warn" : "error");
    opts.log.info("llm defaults seeded: the app had no settings", { ...about, attempt: n });
    return "seeded";
  };

  const run = async (): Promise<SeedOutcome> => {
    for (let n = 1; ; n++) {
      if (stopper.signal.aborted) return "stopped";
      try {
        return await attempt(n);
      } catch (e) {
        if (stopper.signal.aborted) return "stopped";
        const wait = backoff(n);
        const r = e instanceof Retry ? e : new Retry(`llm defaults: ${errorText(e)}`, {});
        opts.log[r.level](`${r.message}; retrying`, { ...about, attempt: n, ...r.fields, retryInMs: wait });
        if (!(await sleep(wait, stopper.signal))) return "stopped";
      }
    }
  };

  return { done: run(), stop: () => stopper.abort() };
}

function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return "timed out";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

/** Waits `ms`; false when `signal` aborted first. The timer does not hold the process open. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    t.unref();
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
