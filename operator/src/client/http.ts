import * as http from "node:http";
import * as https from "node:https";
import { StringDecoder } from "node:string_decoder";
import { ApiError } from "../errors";
import type { Connection } from "./connection";

/*
 * Requests to the API server over one keep-alive connection pool (node:http/https, no
 * third-party HTTP stack): JSON in and out, an ApiError (HTTP status, Status reason and
 * message, Retry-After) for every answer of 400 and above, and watch streams read line by
 * line. Authentication runs per request (a rotated token is picked up); the pool is made
 * once, and again only if an exec credential plugin hands out a different client certificate.
 * A request is bounded as a whole (authentication, headers and body), by REQUEST_TIMEOUT_MS
 * or the caller's `timeoutMs`, and ends at once when the caller's `signal` aborts: a call
 * the API server accepts and never answers (or answers a byte at a time) cannot hang its
 * caller. Watches run until the server ends them or their `signal` aborts.
 */

/** Query parameters; undefined ones are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** One request. */
export interface RequestOptions {
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Defaults to application/json. */
  readonly contentType?: string;
  /** Ends the request: it rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** How long the whole request may take. Defaults to REQUEST_TIMEOUT_MS. */
  readonly timeoutMs?: number;
}

/** How long a request (not a watch) may take, all of it: authentication, headers, body. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The error of a request that took too long (isTransient retries it: ETIMEDOUT). */
export function timeoutError(what: string, ms: number): Error {
  return Object.assign(new Error(`ETIMEDOUT: ${what} took over ${ms} ms`), { code: "ETIMEDOUT" });
}

/** `p`, or the signal's reason once it aborts first. */
function unlessAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** One line of a watch stream. */
export interface WatchEvent<T = Record<string, unknown>> {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: T;
}

function withQuery(p: string, query: Query | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === "" ? p : `${p}${p.includes("?") ? "&" : "?"}${s}`;
}

/** The ApiError for a response of 400 and above, from its Status body when it has one. */
export function apiErrorOf(status: number, text: string, retryAfterHeader: string | string[] | undefined): ApiError {
  let body: { message?: string; reason?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not a Status: keep the text.
  }
  const retryAfter = Number(Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader);
  return new ApiError(status, body.message ?? (text || `HTTP ${status}`), body.reason ?? "", Number.isFinite(retryAfter) && retryAfterHeader !== undefined ? retryAfter : undefined);
}

/** A client of one API server. */
export class KubeClient {
  private agent?: http.Agent;
  private agentFor = "";
  private readonly base: URL;

  constructor(
    readonly connection: Connection,
    /** Sockets kept open at most (watches hold one each). Defaults to 32. */
    private readonly maxSockets = 32,
  ) {
    this.base = new URL(connection.server);
  }

  private agentOf(cert: string | undefined, key: string | undefined): http.Agent {
    const id = `${cert ?? ""}\n${key ?? ""}`;
    if (this.agent && this.agentFor === id) return this.agent;
    this.agent?.destroy();
    const c = this.connection;
    const common = { keepAlive: true, maxSockets: this.maxSockets, maxFreeSockets: 8, scheduling: "lifo" as const };
    this.agent =
      this.base.protocol === "http:"
        ? new http.Agent(common)
        : new https.Agent({ ...common, ca: c.ca, cert: cert ?? c.cert, key: key ?? c.key, rejectUnauthorized: !c.skipTLSVerify, servername: c.tlsServerName });
    this.agentFor = id;
    return this.agent;
  }

  /** Sends a request; resolves with the response once its headers arrived. `signal` ends it, body included. */
  private async send(method: string, p: string, o: RequestOptions, signal: AbortSignal): Promise<http.IncomingMessage> {
    // An exec credential plugin may hang too.
    const auth = await unlessAborted(this.connection.authorize(), signal);
    const data = o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    const headers: http.OutgoingHttpHeaders = { accept: "application/json" };
    if (auth.authorization) headers.authorization = auth.authorization;
    if (data !== undefined) {
      headers["content-type"] = o.contentType ?? "application/json";
      headers["content-length"] = Buffer.byteLength(data);
    }
    const url = new URL(withQuery(p, o.query), this.base);
    const request = this.base.protocol === "http:" ? http.request : https.request;
    return new Promise((resolve, reject) => {
      // On abort, node:http destroys the socket: the request, or the response being read.
      const req = request(url, { method, headers, agent: this.agentOf(auth.cert, auth.key), signal }, resolve);
      req.on("error", reject);
      req.end(data);
    });
  }

  /**
   * One request: the parsed JSON body; ApiError for an answer of 400 and above. Rejects
   * with timeoutError after `o.timeoutMs` (default REQUEST_TIMEOUT_MS) for all of it, and
   * with `o.signal`'s reason once that aborts; either way the connection is closed.
   */
  async request<T = Record<string, unknown>>(method: string, p: string, o: RequestOptions = {}): Promise<T> {
    const timeoutMs = o.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const bound = new AbortController();
    const timer = setTimeout(() => bound.abort(timeoutError(`${method} ${p}`, timeoutMs)), timeoutMs);
    const onAbort = () => bound.abort(o.signal?.reason);
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await this.send(method, p, o, bound.signal);
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      const status = res.statusCode ?? 0;
      if (status >= 400) throw apiErrorOf(status, text, res.headers["retry-after"]);
      return (text === "" ? {} : JSON.parse(text)) as T;
    } catch (e) {
      // node:http's AbortError says only "aborted": the reason says why.
      if (bound.signal.aborted) throw bound.signal.reason;
      throw e;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * A watch (`?watch=true` added): calls `onEvent` per line until the server ends the stream
   * (resolves) or it fails (rejects; ApiError when the server refused it). `signal` ends it.
   */
  async watch<T>(p: string, query: Query, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const res = await this.send("GET", withQuery(p, { ...query, watch: true }), {}, signal);
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      throw apiErrorOf(status, Buffer.concat(chunks).toString("utf8"), res.headers["retry-after"]);
    }
    const decoder = new StringDecoder("utf8");
    let rest = "";
    try {
      for await (const chunk of res) {
        const lines = (rest + decoder.write(chunk as Buffer)).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) if (line.trim() !== "") onEvent(JSON.parse(line) as WatchEvent<T>);
      }
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
  }

  /** Closes the pool's idle connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
