import { ConfigError, parseConfig } from "./config";
import { jsonLogger } from "./log";
import { startGateway } from "./server";

/*
 * The process: config (every problem reported at once, exit 2), the server, and a graceful
 * stop on SIGTERM/SIGINT (readyz turns 503, in-flight requests get shutdownSeconds, open
 * WebSocket tunnels are closed).
 */

async function main(): Promise<void> {
  const config = parseConfig(process.env);
  const log = jsonLogger(config.logLevel);
  const gateway = await startGateway({ config, log });
  log.info("agent-gateway listening", {
    host: config.host,
    port: gateway.port,
    app: config.appUrl.origin,
    authMode: config.auth.mode,
    tokens: config.auth.mode === "bearer" ? config.auth.tokens.length : undefined,
    identityHeader: config.auth.mode === "oidc-header" ? config.auth.identityHeader : undefined,
    corsOrigins: config.corsOrigins,
    sandboxDomains: config.sandboxDomains.map((d) => (d.port ? `${d.host}:${d.port}` : d.host)),
    canvasDir: config.canvasDir,
    publicUrl: config.publicUrl ?? "(the page's origin)",
  });
  if (config.auth.mode === "none") log.warn("GATEWAY_AUTH_MODE=none: every request is let through; use it for local development only");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, graceSeconds: config.shutdownSeconds });
    void gateway.shutdown(config.shutdownSeconds * 1000).then(() => {
      log.info("stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e: Error) => {
  if (e instanceof ConfigError) process.stderr.write(`${e.message}\n`);
  else process.stderr.write(`agent-gateway: ${e.stack ?? e.message}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
