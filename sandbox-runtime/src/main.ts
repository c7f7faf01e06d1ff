import { hostname } from "node:os";
import { ConfigError, loadConfig } from "./config";
import { defaultConnection, HttpKubeClient } from "./kube";
import { LeaseElector } from "./lease";
import { jsonLogger } from "./log";
import { RuntimeMetrics } from "./metrics";
import { httpProbe } from "./probe";
import { Sandboxes } from "./sandboxes";
import { portOf, serveApi } from "./server";
import { sweep } from "./sweep";

/*
 * The process: config, Kubernetes client, API server, the background loop behind a Lease,
 * and a graceful stop on SIGTERM/SIGINT (readyz goes 503, the loop and the lease stop, the
 * server finishes in-flight requests within shutdownSeconds).
 */

async function main(): Promise<void> {
  const config = loadConfig(process.env, hostname());
  const log = jsonLogger(config.logLevel);
  const conn = defaultConnection();
  const kube = new HttpKubeClient(conn);
  const metrics = new RuntimeMetrics();
  const sandboxes = new Sandboxes({ kube, config, log, metrics, probe: httpProbe(config.probe.timeoutMs, config.probe.insecureSkipTlsVerify) });
  const elector = config.leaderElection.enabled ? new LeaseElector(kube, config.namespace, config.leaderElection.leaseName, config.identity, config.leaderElection.leaseSeconds, log) : undefined;

  let ready = false;
  let stopping = false;
  const server = await serveApi({ sandboxes, apiKeys: config.apiKeys, metrics, log, ready: () => ready && !stopping }, config.listen.host, config.listen.port);
  const shown: Partial<typeof config> = { ...config };
  delete shown.apiKeys;
  delete shown.warmPools;
  const warmPools = config.warmPools;
  log.info("listening", { ...shown, port: portOf(server), warmPools: warmPools.map((p) => ({ name: p.name, size: p.size, image: p.template.image })), cluster: conn.server.origin });

  let loopRunning: Promise<void> = Promise.resolve();
  const pass = async () => {
    try {
      const leader = elector ? elector.leading : true;
      await sweep(sandboxes, leader);
      ready = true;
    } catch (e) {
      metrics.errors.inc({ op: "sweep" });
      log.error("sweep failed", { error: (e as Error).message });
    }
  };
  if (elector) await elector.tick();
  loopRunning = pass();
  const loop = setInterval(() => {
    loopRunning = loopRunning.then(pass);
  }, config.loopSeconds * 1000);
  const renew = elector ? setInterval(() => void elector.tick(), config.leaderElection.renewSeconds * 1000) : undefined;

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { reason: why, deadlineSeconds: config.shutdownSeconds });
    clearInterval(loop);
    if (renew) clearInterval(renew);
    const deadline = setTimeout(() => {
      log.warn("shutdown deadline reached; exiting with requests in flight");
      process.exit(0);
    }, config.shutdownSeconds * 1000);
    deadline.unref();
    await loopRunning;
    await elector?.release();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    kube.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((e: unknown) => {
  const msg = e instanceof ConfigError ? e.message : ((e as Error).message ?? String(e));
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: msg })}\n`);
  process.exit(1);
});
