import { hostname } from "node:os";
import { loadConfig } from "./config";
import { Controller } from "./controller";
import { defaultConnection } from "./client/connection";
import { KubeClient } from "./client/http";
import { kubeLeaseApi } from "./kube";
import { LeaderElector } from "./leader";
import { jsonLogger } from "./log";
import { serveHealth, serveMetrics } from "./server";

/*
 * The operator process: settings, informers, leader election, workers, servers, and a
 * graceful stop on SIGTERM/SIGINT (release the lease, stop the informers, drain the queue
 * within the deadline). Runs in a pod (in-cluster credentials) or as a plain process with
 * a kubeconfig (KUBECONFIG, or ~/.kube/config), e.g. against a local control plane.
 */

async function main(): Promise<void> {
  const config = loadConfig(process.argv.slice(2), process.env, hostname());
  const log = jsonLogger(config.logLevel);
  const connection = defaultConnection();
  const client = new KubeClient(connection);
  log.info("starting", { ...config, cluster: connection.describe });

  const controller = new Controller({ client, namespaces: config.watchNamespaces, mesh: config.mesh, prometheusUrl: config.prometheusUrl, concurrency: config.concurrency, identity: config.identity, log });
  const health = await serveHealth(config.healthPort, "0.0.0.0", () => controller.ready);
  const metrics = await serveMetrics(config.metricsPort, "0.0.0.0", () => controller.metrics.render());

  const elector = config.leaderElection
    ? new LeaderElector({
        api: kubeLeaseApi(client),
        namespace: config.leaseNamespace,
        name: config.leaseName,
        identity: config.identity,
        log,
        onStartedLeading: () => controller.startWorkers(),
        // Like client-go: a replica that lost the lease restarts rather than risk two leaders.
        onStoppedLeading: () => void stop(1, "lost the leader lease"),
      })
    : undefined;
  let stopping = false;
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { reason: why, deadlineSeconds: config.shutdownSeconds });
    await elector?.stop();
    const drained = await controller.stop(config.shutdownSeconds * 1000);
    log.info("stopped", { drained });
    health.close();
    metrics.close();
    process.exit(code);
  };
  process.on("SIGTERM", () => void stop(0, "SIGTERM"));
  process.on("SIGINT", () => void stop(0, "SIGINT"));

  await controller.startInformers();
  if (elector) elector.start();
  else controller.startWorkers();
}

main().catch((e: unknown) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: "error", msg: "fatal", error: (e as Error).message ?? String(e) })}\n`);
  process.exit(1);
});
