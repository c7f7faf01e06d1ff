import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../operator/src/config";
import { OperatorMetrics } from "../../operator/src/metrics";
import { serveHealth, serveMetrics } from "../../operator/src/server";

/** One sample line of the Prometheus text format: name, optional labels, value. */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/;

describe("operator metrics", () => {
  const metrics = () => {
    const m = new OperatorMetrics({ fleets: () => 3, queueDepth: () => 2, leader: () => true });
    m.reconcileTotal.inc({ result: "ready" });
    m.reconcileTotal.inc({ result: "ready" });
    m.reconcileTotal.inc({ result: "error" });
    m.errorsTotal.inc();
    m.reconcileDuration.observe(0.02);
    m.reconcileDuration.observe(3);
    return m.render();
  };

  it("renders valid Prometheus text: HELP and TYPE per metric, then samples", () => {
    const text = metrics();
    assert.ok(text.endsWith("\n"));
    for (const line of text.trimEnd().split("\n")) {
      assert.ok(line.startsWith("# HELP ") || line.startsWith("# TYPE ") || SAMPLE.test(line), line);
    }
  });

  it("counts reconciles by result and exposes fleets, queue depth and leadership", () => {
    const text = metrics();
    assert.match(text, /^ollama_fleet_reconcile_total\{result="ready"\} 2$/m);
    assert.match(text, /^ollama_fleet_reconcile_total\{result="error"\} 1$/m);
    assert.match(text, /^ollama_fleet_reconcile_errors_total 1$/m);
    assert.match(text, /^ollama_fleet_fleets 3$/m);
    assert.match(text, /^ollama_fleet_workqueue_depth 2$/m);
    assert.match(text, /^ollama_fleet_leader 1$/m);
    assert.match(text, /^# TYPE ollama_fleet_reconcile_duration_seconds histogram$/m);
  });

  it("keeps histogram buckets cumulative, ending in +Inf = count", () => {
    const text = metrics();
    assert.match(text, /^ollama_fleet_reconcile_duration_seconds_bucket\{le="0.01"\} 0$/m);
    assert.match(text, /^ollama_fleet_reconcile_duration_seconds_bucket\{le="0.05"\} 1$/m);
    assert.match(text, /^ollama_fleet_reconcile_duration_seconds_bucket\{le="5"\} 2$/m);
    assert.match(text, /^ollama_fleet_reconcile_duration_seconds_bucket\{le="\+Inf"\} 2$/m);
    assert.match(text, /^ollama_fleet_reconcile_duration_seconds_count 2$/m);
    assert.match(text, /^ollama_fleet_reconcile_duration_seconds_sum 3.02$/m);
  });
});

describe("operator HTTP servers", () => {
  it("serves /metrics on one port and /healthz, /readyz on another", async () => {
    let ready = false;
    const m = await serveMetrics(0, "127.0.0.1", () => "x 1\n");
    const h = await serveHealth(0, "127.0.0.1", () => ready);
    const port = (s: typeof m) => (s.address() as { port: number }).port;
    try {
      const metrics = await fetch(`http://127.0.0.1:${port(m)}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get("content-type")!, /text\/plain; version=0\.0\.4/);
      assert.equal(await metrics.text(), "x 1\n");
      assert.equal((await fetch(`http://127.0.0.1:${port(m)}/healthz`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port(h)}/healthz`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port(h)}/readyz`)).status, 503);
      ready = true;
      assert.equal((await fetch(`http://127.0.0.1:${port(h)}/readyz`)).status, 200);
    } finally {
      m.close();
      h.close();
    }
  });
});

describe("operator settings", () => {
  it("defaults to the chart's values", () => {
    const c = loadConfig([], {}, "host-1");
    assert.deepEqual(c, {
      mesh: "none",
      prometheusUrl: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
      watchNamespaces: [],
      concurrency: 16,
      metricsPort: 8080,
      healthPort: 8081,
      logLevel: "info",
      leaderElection: true,
      leaseNamespace: "default",
      leaseName: "ollama-fleet-operator",
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      identity: "host-1",
      shutdownSeconds: 20,
    });
  });

  it("reads the environment the chart sets, flags winning", () => {
    const c = loadConfig(["--mesh=linkerd", "--concurrency=4"], { MESH: "istio", WATCH_NAMESPACES: "ollama, dev", POD_NAME: "op-0", POD_NAMESPACE: "ops", LEADER_ELECTION: "false" }, "h");
    assert.equal(c.mesh, "linkerd");
    assert.equal(c.concurrency, 4);
    assert.deepEqual(c.watchNamespaces, ["dev", "ollama"]);
    assert.equal(c.identity, "op-0");
    assert.equal(c.leaseNamespace, "ops");
    assert.equal(c.leaderElection, false);
  });

  it("refuses bad settings, naming the setting and what is allowed", () => {
    assert.throws(() => loadConfig(["--mesh=cilium"], {}, "h"), /--mesh \(MESH\): "cilium" must be one of istio, linkerd, none/);
    assert.throws(() => loadConfig([], { CONCURRENCY: "0" }, "h"), /--concurrency \(CONCURRENCY\): "0" must be an integer from 1 to 64/);
    assert.throws(() => loadConfig(["--bogus"], {}, "h"), /unknown argument --bogus/);
  });

  it("takes the leader election timing, refusing a renew deadline not below the lease duration (two leaders) or a retry period not below the deadline", () => {
    const c = loadConfig(["--lease-duration-seconds=30"], { RENEW_DEADLINE_SECONDS: "20", RETRY_PERIOD_SECONDS: "5" }, "h");
    assert.deepEqual([c.leaseDurationSeconds, c.renewDeadlineSeconds, c.retryPeriodSeconds], [30, 20, 5]);
    assert.throws(
      () => loadConfig([], { LEASE_DURATION_SECONDS: "10" }, "h"),
      /--renew-deadline-seconds \(RENEW_DEADLINE_SECONDS\) \(10\) must be less than --lease-duration-seconds \(LEASE_DURATION_SECONDS\) \(10\)/,
    );
    assert.throws(() => loadConfig(["--renew-deadline-seconds=20"], {}, "h"), /--renew-deadline-seconds \(RENEW_DEADLINE_SECONDS\) \(20\) must be less than --lease-duration-seconds/);
    assert.throws(() => loadConfig(["--retry-period-seconds=10"], {}, "h"), /--retry-period-seconds \(RETRY_PERIOD_SECONDS\) \(10\) must be less than --renew-deadline-seconds \(RENEW_DEADLINE_SECONDS\) \(10\)/);
    assert.throws(() => loadConfig([], { LEASE_DURATION_SECONDS: "0" }, "h"), /--lease-duration-seconds \(LEASE_DURATION_SECONDS\): "0" must be an integer from 1 to 3600/);
  });
});
