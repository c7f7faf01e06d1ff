import * as http from "node:http";
import * as https from "node:https";
import type { Duplex } from "node:stream";
import { stripUpstreamCors } from "./cors";

/*
 * Forwarding to the sandbox server: HTTP (streamed both ways) and WebSocket upgrades. The
 * caller's credentials (Authorization, cookies) never go upstream: the gateway is where
 * authentication ends, and the sandbox server is reached with its own key if it has one.
 */

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host"]);
const NEVER_UPSTREAM = new Set(["authorization", "cookie"]);

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
    const up = client(target).request(target, { method: req.method, headers: upstreamHeaders(req, target, opts), timeout: opts.timeoutMs }, (r) => {
      const status = r.statusCode ?? 502;
      res.writeHead(status, downstreamHeaders(r.headers, opts.responseHeaders));
      r.pipe(res);
      r.on("end", () => resolve(status));
      r.on("error", () => {
        res.destroy();
        resolve(status);
      });
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
