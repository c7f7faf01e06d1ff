import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "./log";
import { METRICS_CONTENT_TYPE, type RuntimeMetrics } from "./metrics";
import { adopt, warmRuntimeConfigs } from "./pool";
import { HttpError, type Sandboxes } from "./sandboxes";

/*
 * The HTTP API (one port): the runtime-API routes behind X-API-Key, and /healthz, /readyz,
 * /metrics without it. The key is compared in constant time over sha256 digests, so neither
 * its content nor its length leaks through timing.
 */

const MAX_BODY = 1 << 20;

/** True when `given` equals one of `keys`, without early exit on a mismatch. */
export function keyMatches(given: string | undefined, keys: string[]): boolean {
  const g = createHash("sha256").update(given ?? "").digest();
  let ok = false;
  for (const k of keys) ok = timingSafeEqual(g, createHash("sha256").update(k).digest()) || ok;
  return ok && given !== undefined;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (d: Buffer) => {
      size += d.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, "request body over 1 MiB"));
        req.destroy();
      } else chunks.push(d);
    });
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, "the body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

/** What the API server needs. */
export interface ApiDeps {
  sandboxes: Sandboxes;
  apiKeys: string[];
  metrics: RuntimeMetrics;
  log: Logger;
  /** /readyz answers 200 while this is true. */
  ready: () => boolean;
}

type Handler = (req: IncomingMessage, url: URL, body: () => Promise<unknown>) => Promise<[number, unknown]>;

/** The routes: [method, path or prefix, handler, route label for metrics]. */
function routes(d: ApiDeps): Array<[string, RegExp, string, Handler]> {
  const s = d.sandboxes;
  const notFound = (what: string): [number, unknown] => [404, { detail: `${what} not found` }];
  const runtimeIdOf = async (body: () => Promise<unknown>) => ((await body()) as Record<string, unknown> | null)?.runtime_id;
  return [
    ["POST", /^\/start$/, "start", async (_r, _u, body) => [201, await s.start(await body(), (spec, sid) => adopt(s, spec, sid))]],
    ["GET", /^\/sessions\/batch$/, "batch", async (_r, u) => [200, await s.batch(u.searchParams.getAll("ids").flatMap((v) => v.split(",")).filter((v) => v !== ""))]],
    [
      "GET",
      /^\/sessions\/[^/]+$/,
      "session",
      async (_r, u) => {
        const id = decodeURIComponent(u.pathname.slice("/sessions/".length));
        const rt = await s.get(id);
        return rt ? [200, rt] : notFound(`session ${id}`);
      },
    ],
    ["GET", /^\/list$/, "list", async () => [200, { runtimes: await s.list() }]],
    [
      "POST",
      /^\/pause$/,
      "pause",
      async (_r, _u, body) => {
        const rt = await s.pause(await runtimeIdOf(body));
        return rt ? [200, rt] : notFound("runtime");
      },
    ],
    [
      "POST",
      /^\/resume$/,
      "resume",
      async (_r, _u, body) => {
        const rt = await s.resume(await runtimeIdOf(body));
        return rt ? [200, rt] : notFound("runtime");
      },
    ],
    [
      "POST",
      /^\/stop$/,
      "stop",
      async (_r, _u, body) => {
        const id = await runtimeIdOf(body);
        return (await s.stop(id)) ? [200, { runtime_id: id, status: "stopped" }] : notFound("runtime");
      },
    ],
    ["GET", /^\/api\/warm-runtime-configs$/, "warm-configs", async () => [200, warmRuntimeConfigs(s.config.warmPools)]],
  ];
}

/** Starts the API on host:port (port 0: any free port); resolves once listening. */
export function serveApi(d: ApiDeps, host: string, port: number): Promise<Server> {
  const table = routes(d);
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    if (!res.headersSent) res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/healthz") return send(res, 200, "text/plain", "ok\n");
    if (req.method === "GET" && url.pathname === "/readyz") return d.ready() ? send(res, 200, "text/plain", "ok\n") : send(res, 503, "text/plain", "not ready\n");
    if (req.method === "GET" && url.pathname === "/metrics") return send(res, 200, METRICS_CONTENT_TYPE, d.metrics.render());
    const hit = table.find(([m, re]) => m === req.method && re.test(url.pathname));
    const route = hit?.[2] ?? "unknown";
    const done = (status: number, body: unknown) => {
      d.metrics.requests.inc({ route, code: String(status) });
      send(res, status, "application/json", JSON.stringify(body));
    };
    const header = req.headers["x-api-key"];
    if (!keyMatches(Array.isArray(header) ? header[0] : header, d.apiKeys)) return done(401, { detail: "missing or wrong X-API-Key" });
    if (!hit) return done(404, { detail: `no route ${req.method} ${url.pathname}` });
    const t0 = Date.now();
    hit[3](req, url, () => readBody(req))
      .then(([status, body]) => {
        done(status, body);
        d.log.debug("request", { method: req.method, route, status, ms: Date.now() - t0 });
      })
      .catch((e: unknown) => {
        const status = e instanceof HttpError ? e.status : 500;
        if (status >= 500) {
          d.metrics.errors.inc({ op: route });
          d.log.error("request failed", { method: req.method, route, error: (e as Error).message });
        } else d.log.info("request rejected", { method: req.method, route, status, detail: (e as Error).message });
        done(status, { detail: status >= 500 ? `internal error: ${(e as Error).message}` : (e as Error).message });
      });
    return undefined;
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** The port a server listens on. */
export const portOf = (s: Server) => (s.address() as AddressInfo).port;
