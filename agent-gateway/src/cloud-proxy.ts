import * as http from "node:http";
import * as https from "node:https";
import type { SandboxDomain } from "./config";
import { sandboxOfHost } from "./sandbox-urls";

/*
 * `POST /api/cloud-proxy`: Canvas's cloud client sends the runtime REST calls it makes against
 * a conversation's sandbox (`hostOverride` = the agent server base from `conversation_url`)
 * to `<its own origin>/api/cloud-proxy` instead of calling the sandbox from the browser
 * (typescript-client 1.49.1 `CloudClient.requestThroughProxy`). The envelope is
 * `{host, method, path, headers, body, timeout_seconds?}`; the answer is the upstream's
 * status, content type and body as they are.
 *
 * The route is an open relay unless restricted, so: the host must be http(s), carry no
 * credentials, and be one of the sandbox domains (the domain itself or a subdomain, and the
 * port when one is configured); the path must be an agent-server API path (`/api/...`) with
 * no dot segments; only the sandbox's own auth (`X-Session-API-Key`) and content headers are
 * passed on, never the caller's gateway credentials.
 *
 * With GATEWAY_SANDBOX_NAMESPACE, the host must be a sandbox's agent-server host,
 * `<s>.<domain>` (one label; `vscode-`/`work-N-` hosts are refused), and the call goes to
 * that sandbox's Service in the cluster instead of the public name (`sandboxService`).
 */

/** The parsed, checked envelope. */
export interface CloudProxyCall {
  target: URL;
  /** The host the envelope named (differs from `target`'s when mapped to the Service). */
  publicHost: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const PASSED_HEADERS = new Set(["x-session-api-key", "content-type", "accept"]);
/** Largest envelope accepted (file writes go through it). */
export const MAX_ENVELOPE_BYTES = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT_S = 30;
const MAX_TIMEOUT_S = 300;

/** A rejected envelope: the status to answer and why. */
export class CloudProxyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `url`'s host (and port) falls under one of `domains`. */
export function hostAllowed(domains: readonly SandboxDomain[], url: URL): boolean {
  const host = url.hostname.toLowerCase();
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  return domains.some((d) => (host === d.host || host.endsWith(`.${d.host}`)) && (d.port === undefined || d.port === port));
}

/** How envelopes are checked besides the domains. */
export interface EnvelopeOptions {
  /** Maps a sandbox's session part to its in-cluster base URL (GATEWAY_SANDBOX_NAMESPACE set). */
  sandboxService?: (session: string) => URL;
}

/** Validates an envelope (already JSON-parsed) against the sandbox domains. */
export function parseEnvelope(domains: readonly SandboxDomain[], raw: unknown, opts: EnvelopeOptions = {}): CloudProxyCall {
  if (domains.length === 0) throw new CloudProxyRefusal(404, "the cloud proxy is disabled: GATEWAY_SANDBOX_DOMAIN is not set");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new CloudProxyRefusal(400, "the body must be a JSON object {host, method, path, headers, body}");
  const env = raw as Record<string, unknown>;
  if (typeof env.host !== "string") throw new CloudProxyRefusal(400, "host: required, the sandbox's base URL");
  let base: URL;
  try {
    base = new URL(env.host);
  } catch {
    throw new CloudProxyRefusal(400, `host: ${JSON.stringify(env.host)} is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new CloudProxyRefusal(400, `host: the scheme ${base.protocol} is not allowed; use http or https`);
  if (base.username || base.password || base.search || base.hash) throw new CloudProxyRefusal(400, "host: credentials, query and fragment are not allowed");
  if (!hostAllowed(domains, base)) throw new CloudProxyRefusal(403, `host: ${base.host} is not under the sandbox domain (${domains.map((d) => (d.port ? `${d.host}:${d.port}` : d.host)).join(", ")})`);
  let origin = base.origin;
  if (opts.sandboxService) {
    const s = sandboxOfHost(domains, base);
    if (!s.ok) throw new CloudProxyRefusal(403, s.reason);
    origin = opts.sandboxService(s.session).origin;
  }
  const method = typeof env.method === "string" ? env.method.toUpperCase() : "GET";
  if (!METHODS.has(method)) throw new CloudProxyRefusal(400, `method: ${JSON.stringify(env.method)} is not allowed; use ${[...METHODS].join(", ")}`);
  if (typeof env.path !== "string" || !env.path.startsWith("/api/")) throw new CloudProxyRefusal(400, `path: ${JSON.stringify(env.path)} is not allowed; only agent-server API paths (/api/...)`);
  const pathOnly = env.path.split("?")[0];
  if (/(^|\/)\.\.?(\/|$)/.test(decodeURIComponentSafe(pathOnly)) || pathOnly.includes("\\") || pathOnly.includes("//")) throw new CloudProxyRefusal(400, "path: dot segments, backslashes and empty segments are not allowed");
  const prefix = base.pathname.replace(/\/+$/, "");
  const target = new URL(`${prefix}${env.path}`, origin);
  if (target.origin !== origin || !target.pathname.startsWith(`${prefix}/api/`)) throw new CloudProxyRefusal(400, "path: leaves the sandbox's API");
  const headers: Record<string, string> = {};
  if (env.headers !== undefined && env.headers !== null) {
    if (typeof env.headers !== "object" || Array.isArray(env.headers)) throw new CloudProxyRefusal(400, "headers: must be an object of strings");
    for (const [k, v] of Object.entries(env.headers as Record<string, unknown>)) if (typeof v === "string" && PASSED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
  }
  let body: Buffer | undefined;
  if (env.body !== undefined && env.body !== null && method !== "GET" && method !== "DELETE") {
    body = Buffer.from(JSON.stringify(env.body), "utf8");
    headers["content-type"] ??= "application/json";
  }
  const t = env.timeout_seconds;
  const seconds = typeof t === "number" && Number.isFinite(t) && t > 0 ? Math.min(t, MAX_TIMEOUT_S) : DEFAULT_TIMEOUT_S;
  return { target, publicHost: base.host, method, headers, ...(body ? { body } : {}), timeoutMs: Math.round(seconds * 1000) };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Sends a checked call and streams the answer into `res`. Resolves with the status sent. */
export function sendCloudProxyCall(call: CloudProxyCall, res: http.ServerResponse, extra: http.OutgoingHttpHeaders = {}): Promise<number> {
  return new Promise((resolve) => {
    const headers: http.OutgoingHttpHeaders = { ...call.headers, ...(call.body ? { "content-length": String(call.body.length) } : {}) };
    const mod = call.target.protocol === "https:" ? https : http;
    const up = mod.request(call.target, { method: call.method, headers, timeout: call.timeoutMs }, (r) => {
      const status = r.statusCode ?? 502;
      const out: http.OutgoingHttpHeaders = { "cache-control": "no-store", ...extra };
      if (r.headers["content-type"]) out["content-type"] = r.headers["content-type"];
      if (r.headers["content-disposition"]) out["content-disposition"] = r.headers["content-disposition"];
      res.writeHead(status, out);
      r.pipe(res);
      r.on("end", () => resolve(status));
    });
    up.on("timeout", () => up.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    up.on("error", (e: NodeJS.ErrnoException) => {
      const status = e.code === "ETIMEDOUT" ? 504 : 502;
      if (!res.headersSent) res.writeHead(status, { "content-type": "application/json", ...extra }).end(JSON.stringify({ detail: status === 504 ? "the sandbox did not answer in time" : "the sandbox is unreachable" }));
      else res.destroy();
      resolve(status);
    });
    up.end(call.body);
  });
}
