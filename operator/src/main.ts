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
 * graceful stop on SIGTERM/SIGINT (stop the informers, drain the queue within the deadline
 * while still renewing the lease, abort what is left, then release the lease: a successor
 * never leads while passes of this replica run). A leader that cannot renew within the renew
 * deadline stops its workers at once (their in-flight API calls aborted) and exits.
 * Runs in a pod (in-cluster credentials) or as a plain process with
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
        leaseDurationMs: config.leaseDurationSeconds * 1000,
        renewDeadlineMs: config.renewDeadlineSeconds * 1000,
        retryPeriodMs: config.retryPeriodSeconds * 1000,
        log,
        onStartedLeading: () => controller.startWorkers(),
        // At the renew deadline, before a standby may lead: nothing of ours is sent after this.
        // Like client-go, a replica that lost the lease then restarts rather than risk two leaders.
        onStoppedLeading: () => {
          controller.stopWorkers("lost the leader lease");
          void stop(1, "lost the leader lease");
        },
      })
    : undefined;
  let stopping = false;
  const stop = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { reason: why, deadlineSeconds: config.shutdownSeconds });
    // A standby stops running for the lease; a leader keeps renewing it while it drains.
    if (!elector?.isLeader) await elector?.stop();
    const drained = await controller.stop(config.shutdownSeconds * 1000);
    // Only now that no pass of ours runs: a standby leads as soon as the lease is released.
    await elector?.stop();
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
