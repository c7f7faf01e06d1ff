import * as http from "node:http";
import * as https from "node:https";
import type { Duplex } from "node:stream";
import { stripUpstreamCors } from "./cors";

/*
 * Forwarding to the sandbox server: HTTP (streamed both ways) and WebSocket upgrades. The
 * caller's credentials (Authorization, cookies) never go upstream: the gateway is where
 * authentication ends, and the sandbox server is reached with its own key if it has one.
 *
 * With `rewrite`, JSON answers (application/json, any +json) are buffered (up to `maxBytes`),
 * passed through `apply` as text, and sent with their new length; the upstream is asked for
 * `accept-encoding: identity` so that the body is plain. Anything else streams as it is.
 */

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host"]);
const NEVER_UPSTREAM = new Set(["authorization", "cookie"]);

/** Rewriting of JSON answers and the `Location` header on the way back. */
export interface ResponseRewrite {
  /** Applied to the JSON body as text and to `Location`. */
  apply: (text: string) => string;
  /** When set, a body without this string is sent as it is, without decoding it. */
  needle?: string;
  /** Largest body buffered for rewriting; a larger one passes through unchanged. */
  maxBytes: number;
  /** Told when a JSON body passes through unchanged (too large, encoded, not UTF-8). */
  onSkip?: (reason: string, fields: Record<string, unknown>) => void;
}

/** Default `ResponseRewrite.maxBytes`: 20 MiB. */
export const MAX_REWRITE_BYTES = 20 * 1024 * 1024;

/** Options for one forwarded request. */
export interface ForwardOptions {
  /** The upstream base (scheme, host, port and optional path prefix). */
  base: URL;
  /** Path and query to request under `base`. */
  path: string;
  /** Headers to set on the upstream request (win over the client's). */
  setHeaders?: Record<string, string>;
  /** Client header names (lower-case) not to pass upstream, besides the defaults. */
  dropHeaders?: readonly string[];
  /** Headers to add to the response (CORS). */
  responseHeaders?: http.OutgoingHttpHeaders;
  /** Rewrites JSON answers (HTTP only; never applied to upgrades). */
  rewrite?: ResponseRewrite;
  timeoutMs: number;
}

/** The upstream URL for `path` under `base` (keeps the base's path prefix). */
export function upstreamUrl(base: URL, path: string): URL {
  const prefix = base.pathname.replace(/\/+$/, "");
  return new URL(`${prefix}${path.startsWith("/") ? path : `/${path}`}`, base.origin);
}

/** Request headers for upstream: hop-by-hop, credentials and `drop` removed, forwarding info added. */
export function upstreamHeaders(req: http.IncomingMessage, target: URL, opts: Pick<ForwardOptions, "setHeaders" | "dropHeaders">): http.OutgoingHttpHeaders {
  const drop = new Set([...(opts.dropHeaders ?? []).map((h) => h.toLowerCase())]);
  const connectionListed = String(req.headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || NEVER_UPSTREAM.has(k) || drop.has(k) || connectionListed.includes(k)) continue;
    out[k] = v;
  }
  out.host = target.host;
  const prior = req.headers["x-forwarded-for"];
  const remote = req.socket.remoteAddress ?? "";
  out["x-forwarded-for"] = prior ? `${String(prior)}, ${remote}` : remote;
  out["x-forwarded-proto"] = String(req.headers["x-forwarded-proto"] ?? ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http"));
  if (req.headers.host) out["x-forwarded-host"] = String(req.headers["x-forwarded-host"] ?? req.headers.host);
  for (const [k, v] of Object.entries(opts.setHeaders ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** Response headers from upstream: hop-by-hop and upstream CORS removed. */
export function downstreamHeaders(headers: http.IncomingHttpHeaders, extra: http.OutgoingHttpHeaders = {}): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return { ...stripUpstreamCors(out), ...extra };
}

/** Whether a content type is JSON: `application/json` or any `+json` type. */
export function isJsonType(contentType: string | undefined): boolean {
  const media = String(contentType ?? "").split(";")[0].trim().toLowerCase();
  return media === "application/json" || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(media);
}

/** Why a JSON answer cannot be rewritten, or undefined when it can. */
function unrewritable(headers: http.IncomingHttpHeaders, maxBytes: number): string | undefined {
  const encoding = String(headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") return `the body is encoded (${encoding})`;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(String(headers["content-type"] ?? ""))?.[1]?.toLowerCase();
  if (charset && charset !== "utf-8" && charset !== "utf8") return `the body is not UTF-8 (${charset})`;
  const length = Number(headers["content-length"] ?? NaN);
  if (Number.isFinite(length) && length > maxBytes) return `the body is larger than ${maxBytes} bytes (${length})`;
  return undefined;
}

/** Buffers `r` (up to `rw.maxBytes`), rewrites it and answers; past the cap, streams it unchanged. */
function sendRewritten(r: http.IncomingMessage, res: http.ServerResponse, status: number, out: http.OutgoingHttpHeaders, rw: ResponseRewrite, path: string): Promise<void> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= rw.maxBytes) {
        chunks.push(c);
        return;
      }
      // Too large after all (no content-length): what was read goes first, the rest streams.
      r.off("data", onData);
      r.off("end", onEnd);
      rw.onSkip?.(`the body is larger than ${rw.maxBytes} bytes`, { path, status });
      res.writeHead(status, out);
      for (const b of chunks) res.write(b);
      res.write(c);
      r.pipe(res);
      r.once("end", () => resolve());
    };
    const onEnd = () => {
      const body = Buffer.concat(chunks);
      let buf = body;
      if (rw.needle === undefined || body.includes(rw.needle)) {
        const text = body.toString("utf8");
        const rewritten = rw.apply(text);
        if (rewritten !== text) buf = Buffer.from(rewritten, "utf8");
      }
      res.writeHead(status, { ...out, "content-length": String(buf.length) }).end(buf);
      resolve();
    };
    r.on("data", onData);
    r.on("end", onEnd);
  });
}

function client(url: URL): typeof http | typeof https {
  return url.protocol === "https:" ? https : http;
}

function sendError(res: http.ServerResponse, status: number, detail: string, extra: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...extra }).end(JSON.stringify({ detail }));
}

/** Forwards one HTTP request and streams the answer back. Resolves with the status sent. */
export function forwardHttp(req: http.IncomingMessage, res: http.ServerResponse, opts: ForwardOptions): Promise<number> {
  return new Promise((resolve) => {
    const target = upstreamUrl(opts.base, opts.path);
    const headers = upstreamHeaders(req, target, opts);
    const rw = opts.rewrite;
    if (rw) headers["accept-encoding"] = "identity";
    const up = client(target).request(target, { method: req.method, headers, timeout: opts.timeoutMs }, (r) => {
      const status = r.statusCode ?? 502;
      const out = downstreamHeaders(r.headers, opts.responseHeaders);
      r.on("error", () => {
        if (!res.headersSent) sendError(res, 502, "the sandbox server's answer broke off", opts.responseHeaders);
        else res.destroy();
        resolve(status);
      });
      const hasBody = req.method !== "HEAD" && status !== 204 && status !== 304 && status >= 200;
      if (rw && typeof out.location === "string") out.location = rw.apply(out.location);
      if (rw && hasBody && isJsonType(r.headers["content-type"])) {
        const why = unrewritable(r.headers, rw.maxBytes);
        if (!why) {
          void sendRewritten(r, res, status, out, rw, target.pathname).then(() => resolve(status));
          return;
        }
        rw.onSkip?.(why, { path: target.pathname, status });
      }
      res.writeHead(status, out);
      r.pipe(res);
      r.on("end", () => resolve(status));
    });
    up.on("timeout", () => up.destroy(Object.assign(new Error("upstream timeout"), { code: "ETIMEDOUT" })));
    up.on("error", (e: NodeJS.ErrnoException) => {
      const status = e.code === "ETIMEDOUT" ? 504 : 502;
      sendError(res, status, e.code === "ETIMEDOUT" ? "the sandbox server did not answer in time" : "the sandbox server is unreachable", opts.responseHeaders);
      resolve(status);
    });
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
}

/** Tunnels a WebSocket upgrade to upstream. Resolves with the upstream status (101 on success). */
export function forwardUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, opts: ForwardOptions): Promise<number> {
  return new Promise((resolve) => {
    const target = upstreamUrl(opts.base, opts.path);
    const headers = upstreamHeaders(req, target, opts);
    headers.connection = "Upgrade";
    headers.upgrade = String(req.headers.upgrade ?? "websocket");
    const up = client(target).request(target, { method: req.method, headers, timeout: opts.timeoutMs });
    up.on("upgrade", (r, upSocket, upHead) => {
      const lines = [`HTTP/1.1 ${r.statusCode ?? 101} ${r.statusMessage ?? "Switching Protocols"}`];
      for (let i = 0; i < r.rawHeaders.length; i += 2) if (!r.rawHeaders[i].toLowerCase().startsWith("access-control-")) lines.push(`${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      upSocket.setTimeout(0);
      upSocket.pipe(socket).pipe(upSocket);
      upSocket.on("error", () => socket.destroy());
      socket.on("error", () => upSocket.destroy());
      socket.on("close", () => upSocket.destroy());
      upSocket.on("close", () => socket.destroy());
      resolve(r.statusCode ?? 101);
    });
    up.on("response", (r) => {
      const status = r.statusCode ?? 502;
      const lines = [`HTTP/1.1 ${status} ${r.statusMessage ?? ""}`, "connection: close"];
      for (const [k, v] of Object.entries(downstreamHeaders(r.headers))) lines.push(`${k}: ${Array.isArray(v) ? v.join(", ") : String(v)}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      r.pipe(socket);
      resolve(status);
    });
    up.on("timeout", () => up.destroy(new Error("upstream timeout")));
    up.on("error", () => {
      socket.end("HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      resolve(502);
    });
    up.end();
  });
}
