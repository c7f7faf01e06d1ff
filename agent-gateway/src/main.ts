import { ConfigError, parseConfig } from "./config";
import { seedLlmDefaults } from "./llm-defaults";
import { jsonLogger } from "./log";
import { startGateway } from "./server";

/*
 * The process: config (every problem reported at once, exit 2), the server, and a graceful
 * stop on SIGTERM/SIGINT (readyz turns 503, in-flight requests get shutdownSeconds, open
 * WebSocket tunnels are closed). With GATEWAY_LLM_*, the LLM defaults are seeded into the app
 * in the background (llm-defaults.ts): readiness does not wait for it, and stopping ends it.
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
    sandboxNamespace: config.sandboxNamespace ?? "(none: sandbox URLs are passed on as the app gives them)",
    llmDefaults: config.llmDefaults
      ? { model: config.llmDefaults.model, baseUrl: config.llmDefaults.baseUrl, credential: config.llmDefaults.apiKey !== undefined, seeding: "started: stored only if the app has no settings" }
      : "(none: nothing is seeded)",
    canvasDir: config.canvasDir,
    publicUrl: config.publicUrl ?? "(the page's origin)",
  });
  const seeding = config.llmDefaults ? seedLlmDefaults({ appUrl: config.appUrl, ...(config.appSessionApiKey ? { sessionApiKey: config.appSessionApiKey } : {}), llm: config.llmDefaults, log }) : undefined;
  if (config.auth.mode === "none") log.warn("GATEWAY_AUTH_MODE=none: every request is let through; use it for local development only");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    seeding?.stop();
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
