import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseConfig, type GatewayConfig } from "../../agent-gateway/src/config";
import { silentLogger, type Logger } from "../../agent-gateway/src/log";
import { startGateway, type Gateway, type GatewayDeps } from "../../agent-gateway/src/server";

/*
 * A fake Canvas build (index.html with a </head>, one asset) and a fake upstream that records
 * what it was sent, so the gateway runs over real HTTP on 127.0.0.1:0 without the network.
 */

export const TOKEN = "unit-test-token-0123456789abcdef";

/** A build directory with index.html and /assets/app.js. */
export function fakeCanvasDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-gateway-canvas-"));
  fs.mkdirSync(path.join(dir, "assets"));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><html><head><title>Canvas</title></head><body><div id=root></div></body></html>");
  fs.writeFileSync(path.join(dir, "assets", "app.js"), "console.log('canvas');");
  fs.writeFileSync(path.join(dir, "favicon.svg"), "<svg/>");
  return dir;
}

/** A minimal valid environment. */
export function baseEnv(canvasDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { OPENHANDS_APP_URL: "http://127.0.0.1:9", GATEWAY_TOKEN: TOKEN, GATEWAY_CANVAS_DIR: canvasDir, GATEWAY_PORT: "0", GATEWAY_HOST: "127.0.0.1", ...extra };
}

/** What the fake upstream saw. */
export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An HTTP server that answers JSON `{ok, path}` (with permissive CORS, like the sandbox server) and records requests. */
export async function fakeUpstream(answer?: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => boolean): Promise<{ url: string; port: number; seen: Seen[]; server: http.Server; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      if (answer?.(req, res, body)) return;
      res.writeHead(200, { "content-type": "application/json", "access-control-allow-origin": "*" }).end(JSON.stringify({ ok: true, path: req.url }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One captured log line. */
export interface LogLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps every line (all levels) in `lines`. */
export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A gateway on a free port with `env` on top of the base environment (and `deps` over the defaults). */
export async function gatewayWith(canvasDir: string, env: Record<string, string>, deps: Partial<Omit<GatewayDeps, "config">> = {}): Promise<{ gateway: Gateway; url: string; config: GatewayConfig }> {
  const config = parseConfig(baseEnv(canvasDir, env));
  const gateway = await startGateway({ config, log: silentLogger, upstreamAlive: async () => true, ...deps });
  return { gateway, url: `http://127.0.0.1:${gateway.port}`, config };
}
