import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { ROOT } from "../../helpers/program";
import { freePort } from "./operator";
import { type Proc, startProc, until } from "./sandbox-runtime";

/*
 * The agent gateway (agent-gateway/dist/main.js, as the image runs it) in front of the real
 * sandbox server, and headless Chromium through playwright-core (a devDependency of
 * agent-gateway, so the root install stays as it is). Chromium is Debian's
 * (test/integration/tools/chromium.sh).
 */

export const GATEWAY_DIR = path.join(ROOT, "agent-gateway");
export const GATEWAY_MAIN = path.join(GATEWAY_DIR, "dist", "main.js");
export const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/**
 * Flags that send Chromium's `*.<domain>` hosts to 127.0.0.1:<port> (a local Ingress
 * stand-in, helpers/sandbox-network.ts) and accept its self-signed certificate.
 */
export function sandboxDomainFlags(domain: string, port: number): string[] {
  return [`--host-resolver-rules=MAP *.${domain} 127.0.0.1:${port}`, "--ignore-certificate-errors"];
}

/** The Chromium binary, or undefined. */
export function chromiumPath(): string | undefined {
  return ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));
}

/** playwright-core from agent-gateway/node_modules, or why it is not there. */
export function loadPlaywright(): { chromium: any } | { missing: string } {
  try {
    return createRequire(path.join(GATEWAY_DIR, "package.json"))("playwright-core");
  } catch (e) {
    return { missing: `playwright-core is not installed in agent-gateway/ (npm ci --prefix agent-gateway): ${(e as Error).message}` };
  }
}

/** Whether the pinned Canvas build is installed. */
export function canvasInstalled(): boolean {
  return fs.existsSync(path.join(GATEWAY_DIR, "node_modules", "@openhands", "agent-canvas", "build", "index.html"));
}

/** `tsc -p agent-gateway` (writes agent-gateway/dist). */
export function buildGateway(): string {
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", GATEWAY_DIR], { cwd: ROOT, stdio: "pipe", timeout: 120_000 });
  return GATEWAY_MAIN;
}

/** The gateway as a process, logging JSON lines to `<dir>/gateway.log`. */
export async function startGateway(opts: { dir: string; appUrl: string; token: string; env?: Record<string, string>; port?: number }): Promise<{ proc: Proc; url: string; port: number }> {
  const port = opts.port ?? (await freePort());
  const tokenFile = path.join(opts.dir, "gateway-token");
  fs.writeFileSync(tokenFile, `${opts.token}\n`, { mode: 0o600 });
  const proc = startProc(
    process.execPath,
    [GATEWAY_MAIN],
    {
      PATH: process.env.PATH,
      OPENHANDS_APP_URL: opts.appUrl,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(port),
      GATEWAY_TOKEN_FILE: tokenFile,
      GATEWAY_COOKIE_SECURE: "false",
      LOG_LEVEL: "debug",
      ...opts.env,
    },
    path.join(opts.dir, "gateway.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  await until("the gateway to answer /healthz", 30_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`the gateway exited ${proc.child.exitCode}: ${fs.readFileSync(proc.logFile, "utf8").slice(-2000)}`);
    return (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200 ? true : undefined;
  });
  return { proc, url, port };
}

/** The gateway's access log: `METHOD path -> status (route)` lines. */
export function gatewayRequests(logFile: string): Array<{ method: string; path: string; status: number; route: string }> {
  const out: Array<{ method: string; path: string; status: number; route: string }> = [];
  for (const line of fs.readFileSync(logFile, "utf8").split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const j = JSON.parse(line);
      if (typeof j.status === "number" && typeof j.path === "string" && j.method) out.push({ method: j.method, path: j.path, status: j.status, route: j.route });
    } catch {
      // not a log line
    }
  }
  return out;
}
