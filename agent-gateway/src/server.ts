import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { authenticate, clearedSessionCookie, matchToken, sessionCookie, type AuthResult } from "./auth";
import { CloudProxyRefusal, MAX_ENVELOPE_BYTES, parseEnvelope, sendCloudProxyCall } from "./cloud-proxy";
import type { GatewayConfig } from "./config";
import { corsHeaders, preflight } from "./cors";
import type { Logger } from "./log";
import { forwardHttp, forwardUpgrade, MAX_REWRITE_BYTES, type ResponseRewrite } from "./proxy";
import { publicSandboxUrls, SANDBOX_URL_NEEDLE, sandboxServiceUrl } from "./sandbox-urls";
import { loginPage, safeNext, Spa } from "./spa";
import { isStubbed, stubAnswer } from "./stubs";

/*
 * One HTTP server, routed in this order:
 *   1. /healthz, /readyz (no auth);
 *   2. CORS preflights for /api/* from the configured extra origins (no auth: preflights
 *      carry no credentials);
 *   3. /auth/login, /auth/logout (bearer mode: token in, session cookie out);
 *   4. /api/* after authentication: /api/cloud-proxy, the account stubs, and everything else
 *      forwarded to the sandbox server (HTTP and WebSocket upgrades; with a sandbox namespace,
 *      in-cluster sandbox URLs in its JSON answers become public ones);
 *   5. the Canvas SPA. Its files are public (the MIT bundle); HTML navigations without a
 *      session go to the login page in bearer mode.
 * Cookie-authenticated writes must come from this origin or an allowed one (SameSite=Strict
 * already stops cross-site sends; the Origin check covers older browsers and same-site
 * subdomains).
 */

/** What the server needs besides its config. */
export interface GatewayDeps {
  config: GatewayConfig;
  log: Logger;
  /** Whether the sandbox server answers (for /readyz). Defaults to GET <app>/alive. */
  upstreamAlive?: () => Promise<boolean>;
  /** The in-cluster base URL of sandbox `<s>` for /api/cloud-proxy. Defaults to its Service in `sandboxNamespace`. */
  sandboxService?: (session: string) => URL;
  /** Largest app answer buffered to rewrite sandbox URLs. Defaults to 20 MiB. */
  rewriteMaxBytes?: number;
}

/** A running gateway. */
export interface Gateway {
  server: http.Server;
  port: number;
  /** Stops accepting, waits for in-flight requests up to `graceMs`, then cuts the rest. */
  shutdown(graceMs: number): Promise<void>;
}

const MAX_LOGIN_BYTES = 8 * 1024;

function json(res: http.ServerResponse, status: number, body: unknown, extra: http.OutgoingHttpHeaders = {}): number {
  const buf = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": buf.length, "cache-control": "no-store", ...extra }).end(buf);
  return status;
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new CloudProxyRefusal(413, `the body is larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function wantsHtml(req: http.IncomingMessage): boolean {
  return String(req.headers.accept ?? "").includes("text/html");
}

/** The origin of the request as the browser sees it (Host, or X-Forwarded-* behind an ingress). */
export function requestOrigin(req: http.IncomingMessage): string {
  const proto = String(req.headers["x-forwarded-proto"] ?? "http").split(",")[0].trim();
  const host = String(req.headers["x-forwarded-host"] ?? req.headers.host ?? "").split(",")[0].trim();
  return `${proto}://${host}`;
}

/** Whether a cookie-authenticated write may proceed (same origin, an allowed origin, or no Origin header). */
export function originAllowedForWrite(config: GatewayConfig, req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === "null") return origin === undefined;
  if (config.corsOrigins.includes(origin)) return true;
  if (config.publicUrl && origin === config.publicUrl) return true;
  try {
    return new URL(origin).host === String(req.headers["x-forwarded-host"] ?? req.headers.host ?? "").split(",")[0].trim();
  } catch {
    return false;
  }
}

function defaultAlive(config: GatewayConfig): () => Promise<boolean> {
  return async () => {
    const url = new URL(`${config.appUrl.pathname.replace(/\/+$/, "")}/alive`, config.appUrl.origin);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.body?.cancel();
      return r.ok;
    } catch {
      return false;
    }
  };
}

/** Builds the request handlers (exported for tests that drive them on their own server). */
export function createGateway(deps: GatewayDeps): { handle: http.RequestListener; upgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void; setStopping(): void } {
  const { config, log } = deps;
  const spa = new Spa(config.canvasDir, { ...(config.publicUrl ? { lockToCloud: config.publicUrl } : {}), telemetry: config.canvasTelemetry });
  const alive = deps.upstreamAlive ?? defaultAlive(config);
  const timeoutMs = config.upstreamTimeoutSeconds * 1000;
  const setHeaders: Record<string, string> = config.appSessionApiKey ? { "x-session-api-key": config.appSessionApiKey } : {};
  // The identity header is the OIDC proxy's to set; a client-sent one must not reach upstream
  // as if it were vouched for.
  const dropHeaders = [config.auth.identityHeader, "x-session-api-key", "x-forwarded-user"];
  let stopping = false;
  let lastAlive = { at: 0, ok: false };
  const ns = config.sandboxNamespace;
  const rewrite: ResponseRewrite | undefined =
    ns && config.sandboxDomains.length > 0
      ? { apply: publicSandboxUrls(ns, config.sandboxDomains[0]), needle: SANDBOX_URL_NEEDLE, maxBytes: deps.rewriteMaxBytes ?? MAX_REWRITE_BYTES, onSkip: (reason, fields) => log.warn("sandbox URLs not rewritten", { reason, ...fields }) }
      : undefined;
  const envelopeOptions = ns ? { sandboxService: deps.sandboxService ?? sandboxServiceUrl(ns) } : {};

  const withUser = (auth: AuthResult): Record<string, string> => (auth.ok ? { ...setHeaders, "x-forwarded-user": auth.user } : setHeaders);

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, cors: http.OutgoingHttpHeaders): Promise<{ status: number; route: string; user?: string }> => {
    const auth = authenticate(config, req.headers);
    if (!auth.ok) return { status: json(res, 401, { detail: "not authenticated" }, { ...cors, "www-authenticate": 'Bearer realm="openhands"' }), route: "api", user: `denied: ${auth.reason}` };
    if (auth.via === "cookie" && req.method !== "GET" && req.method !== "HEAD" && !originAllowedForWrite(config, req)) {
      return { status: json(res, 403, { detail: "cross-origin write refused" }, cors), route: "api", user: auth.user };
    }
    if (url.pathname === "/api/cloud-proxy") {
      if (req.method !== "POST") return { status: json(res, 405, { detail: "use POST" }, { ...cors, allow: "POST" }), route: "cloud-proxy", user: auth.user };
      try {
        const raw = await readBody(req, MAX_ENVELOPE_BYTES);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new CloudProxyRefusal(400, "the body is not JSON");
        }
        const call = parseEnvelope(config.sandboxDomains, parsed, envelopeOptions);
        const status = await sendCloudProxyCall(call, res, cors);
        const via = call.publicHost === call.target.host ? "" : ` via ${call.target.host}`;
        return { status, route: `cloud-proxy ${call.method} ${call.publicHost}${via}`, user: auth.user };
      } catch (e) {
        if (e instanceof CloudProxyRefusal) {
          log.warn("cloud-proxy refused", { status: e.status, reason: e.message, user: auth.user });
          return { status: json(res, e.status, { detail: e.message }, cors), route: "cloud-proxy", user: auth.user };
        }
        throw e;
      }
    }
    if (isStubbed(url.pathname)) {
      const a = stubAnswer(req.method ?? "GET", url.pathname);
      return { status: json(res, a.status, a.body, cors), route: "stub", user: auth.user };
    }
    const status = await forwardHttp(req, res, { base: config.appUrl, path: `${url.pathname}${url.search}`, setHeaders: withUser(auth), dropHeaders, responseHeaders: cors, ...(rewrite ? { rewrite } : {}), timeoutMs });
    return { status, route: "app", user: auth.user };
  };

  const handleLogin = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<number> => {
    const html = (status: number, body: string, extra: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "x-frame-options": "DENY", ...extra }).end(body);
      return status;
    };
    if (config.auth.mode !== "bearer") return json(res, 404, { detail: `no login here: GATEWAY_AUTH_MODE is ${config.auth.mode}` });
    if (url.pathname === "/auth/logout") {
      if (req.method !== "POST") return json(res, 405, { detail: "use POST" }, { allow: "POST" });
      res.writeHead(303, { location: "/auth/login", "set-cookie": clearedSessionCookie(config), "cache-control": "no-store" }).end();
      return 303;
    }
    if (req.method === "GET" || req.method === "HEAD") return html(200, loginPage(safeNext(url.searchParams.get("next"))));
    if (req.method !== "POST") return json(res, 405, { detail: "use GET or POST" }, { allow: "GET, POST" });
    if (!originAllowedForWrite(config, req)) return json(res, 403, { detail: "cross-origin login refused" });
    let form: URLSearchParams;
    try {
      form = new URLSearchParams((await readBody(req, MAX_LOGIN_BYTES)).toString("utf8"));
    } catch {
      return json(res, 413, { detail: "the form is too large" });
    }
    const token = form.get("token")?.trim() ?? "";
    const next = safeNext(form.get("next"));
    const i = token ? matchToken(config.auth.tokens, token) : -1;
    if (i < 0) {
      log.warn("login refused", { remote: req.socket.remoteAddress });
      return html(401, loginPage(next, "That token is not valid."));
    }
    log.info("login", { user: `token#${i}`, remote: req.socket.remoteAddress });
    res.writeHead(303, { location: next, "set-cookie": sessionCookie(config, config.auth.tokens[i], Math.floor(Date.now() / 1000)), "cache-control": "no-store" }).end();
    return 303;
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<{ status: number; route: string; user?: string }> => {
    const url = new URL(req.url ?? "/", "http://gateway.invalid");
    const p = url.pathname;
    if (p === "/healthz") return { status: json(res, 200, { status: "ok" }), route: "health" };
    if (p === "/readyz") {
      if (stopping) return { status: json(res, 503, { status: "stopping" }), route: "health" };
      if (Date.now() - lastAlive.at > 5000) lastAlive = { at: Date.now(), ok: await alive() };
      return { status: lastAlive.ok ? json(res, 200, { status: "ready" }) : json(res, 503, { status: "the sandbox server does not answer /alive" }), route: "health" };
    }
    const isApi = p === "/api" || p.startsWith("/api/");
    if (isApi && req.method === "OPTIONS" && req.headers.origin && req.headers["access-control-request-method"]) {
      const pf = preflight(config.corsOrigins, req);
      res.writeHead(pf.status, pf.headers).end();
      return { status: pf.status, route: "preflight" };
    }
    if (p === "/auth/login" || p === "/auth/logout") return { status: await handleLogin(req, res, url), route: "auth" };
    if (isApi) return handleApi(req, res, url, corsHeaders(config.corsOrigins, req.headers.origin) ?? {});
    if (req.method !== "GET" && req.method !== "HEAD") return { status: json(res, 405, { detail: "the UI is read-only" }, { allow: "GET, HEAD" }), route: "spa" };
    const asset = p !== "/" && spa.resolveFile(p) !== undefined;
    if (!asset && wantsHtml(req)) {
      const auth = authenticate(config, req.headers);
      if (!auth.ok) {
        if (config.auth.mode === "bearer") {
          res.writeHead(302, { location: `/auth/login?next=${encodeURIComponent(`${p}${url.search}`)}`, "cache-control": "no-store" }).end();
          return { status: 302, route: "spa", user: `denied: ${auth.reason}` };
        }
        return { status: json(res, 401, { detail: "not authenticated" }), route: "spa", user: `denied: ${auth.reason}` };
      }
    }
    return { status: spa.serve(req, res, p), route: asset ? "asset" : "spa" };
  };

  const handle: http.RequestListener = (req, res) => {
    const started = Date.now();
    route(req, res)
      .then((r) => {
        const fields = { method: req.method, path: new URL(req.url ?? "/", "http://x").pathname, status: r.status, ms: Date.now() - started, route: r.route, ...(r.user ? { user: r.user } : {}) };
        if (r.route === "asset" || r.route === "health") log.debug("request", fields);
        else if (r.status === 404 && r.route === "app") log.info("request (not on the sandbox server)", fields);
        else log.info("request", fields);
      })
      .catch((e: Error) => {
        log.error("request failed", { method: req.method, path: new URL(req.url ?? "/", "http://x").pathname, error: e.message });
        if (!res.headersSent) json(res, 500, { detail: "internal error" });
        else res.destroy();
      });
  };

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? "/", "http://gateway.invalid");
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      log.info("upgrade", { path: url.pathname, status });
    };
    if (!url.pathname.startsWith("/api/") || stopping) return refuse(404, "Not Found");
    const auth = authenticate(config, req.headers);
    if (!auth.ok) return refuse(401, "Unauthorized");
    if (req.headers.origin && !originAllowedForWrite(config, req)) return refuse(403, "Forbidden");
    void forwardUpgrade(req, socket, head, { base: config.appUrl, path: `${url.pathname}${url.search}`, setHeaders: withUser(auth), dropHeaders, timeoutMs }).then((status) => log.info("upgrade", { path: url.pathname, status, user: auth.user }));
  };

  return { handle, upgrade, setStopping: () => (stopping = true) };
}

/** Starts the gateway on `config.host:config.port`. */
export async function startGateway(deps: GatewayDeps): Promise<Gateway> {
  const g = createGateway(deps);
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 30_000 }, g.handle);
  const sockets = new Set<Duplex>();
  server.on("upgrade", (req, socket: Duplex, head) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    g.upgrade(req, socket, head);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(deps.config.port, deps.config.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    shutdown: async (graceMs: number) => {
      g.setStopping();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections turn idle as their last response ends; close them as they do.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      }, graceMs);
      // A WebSocket tunnel has no request boundary to wait for: it is cut at once.
      for (const s of sockets) s.destroy();
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
    },
  };
}
