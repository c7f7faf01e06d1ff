/*
 * npm run bench:operator [-- N...] — the OllamaFleet operator against the local control plane
 * (test/integration/tools/cluster.sh; started when none runs), measured against what the
 * same cluster needs without it. For each N (default 100 and 500), in the same run and on
 * the same cluster settings:
 *  - baseline (baseline.ts): N fleets created and their StatefulSets, Services and PDBs
 *    (operator/src/desired.ts) applied directly, no operator: time until all are Ready; run
 *    before and after the operator, the mean of the two counts (a later phase is slower);
 *  - operator: a fresh namespace, N pre-bound fake volumes, enough kwok nodes, the operator
 *    started from operator/dist, then N small CPU fleets created at once:
 *    - observed s: until every fleet's status.observedGeneration equals its generation (the
 *      operator has applied every fleet's children and written a status once);
 *    - steady s: until every fleet is Ready=True with observedGeneration == generation (kwok
 *      runs the pods: init container Completed, server container Ready); ratio = steady s /
 *      baseline Ready s;
 *    - peak RSS (VmHWM of the operator process) and the largest VmRSS sampled every 250 ms;
 *    - reconcile passes, mean pass, passes by result and errors from the operator's /metrics;
 *  - for both phases, what the control plane spent (control-plane.ts): CPU seconds of each of
 *    its processes (and of the operator) and the API server's requests by verb and resource.
 * Both phases wait by one list and a watch (helpers/kube.ts watchUntil), not by polling: a
 * list of 500 fleets every 250 ms was load of its own on the API server they measure.
 * Targets (report.ts): at 500, steady within 1.25x of the baseline, observed within 20 s,
 * peak RSS under 150 MiB. `formatOperatorBench` (report.ts) makes the table, which also goes
 * to results/bench-operator.md (bench/results.ts).
 * Env: BENCH_OPERATOR_FLAGS (extra operator flags, e.g. "--concurrency=8"),
 * BENCH_OPERATOR_NODE_OPTIONS (NODE_OPTIONS of the operator process instead of the image's,
 * operator/Dockerfile),
 * BENCH_OPERATOR_TIMEOUT (seconds per N and phase, 300).
 */
import * as path from "node:path";
import { watchUntil } from "../../test/integration/helpers/kube";
import { costBetween, processCpuSeconds, sampleControlPlane } from "./control-plane";
import {
  createFleet,
  deleteNamespace,
  deleteScratchVolumes,
  ensureNamespace,
  fleetPath,
  imageNodeOptions,
  installFleetCrd,
  isSteady,
  processMemory,
  provisionVolumes,
  SMALL_SPEC,
  startOperator,
} from "../../test/integration/helpers/operator";
import { machineInfo, writeResults } from "../results";
import { runBaseline } from "./baseline";
import { addNodes, clusterLimits, ensureCluster, PODS_PER_NODE, removeNodes } from "./cluster";
import { pool } from "./pool";
import { formatControlPlaneCost, formatOperatorBench, type OperatorBenchResult } from "./report";

const MiB = 1024 * 1024;
const TIMEOUT_S = Number(process.env.BENCH_OPERATOR_TIMEOUT ?? 300);
const EXTRA_FLAGS = (process.env.BENCH_OPERATOR_FLAGS ?? "").split(/\s+/).filter((f) => f !== "");
const NODE_OPTIONS = process.env.BENCH_OPERATOR_NODE_OPTIONS;
const LEASE_NS = "bench-operator-system";

type OperatorRun = Omit<OperatorBenchResult, "baselineReadyS" | "baselineReadyRunsS" | "baselineAppliedS" | "baselineCost">;

async function runOperator(n: number, names: string[]): Promise<OperatorRun> {
  const ns = `bench-operator-${n}`;
  await ensureNamespace(ns);
  await pool(names, 16, (f) => provisionVolumes(ns, f, 1));
  const op = await startOperator({ watchNamespaces: [ns], leaseNamespace: LEASE_NS, leaseName: `bench-${n}`, flags: EXTRA_FLAGS, env: NODE_OPTIONS ? { NODE_OPTIONS } : {} });
  const samples: number[] = [];
  const sampler = setInterval(() => {
    const m = processMemory(op.pid);
    if (m) samples.push(m.rss);
  }, 250);
  try {
    await op.waitForLog("started leading", (l) => l.msg === "started leading", 30_000);
    const before = await sampleControlPlane();
    const cpu0 = processCpuSeconds(op.pid);
    const t0 = performance.now();
    await pool(names, 16, async (f) => void (await createFleet(ns, f, SMALL_SPEC)));
    const createdS = (performance.now() - t0) / 1000;
    let observedS = NaN;
    let steadyS = NaN;
    let last = "";
    try {
      await watchUntil(`${n} fleets steady`, fleetPath(ns), TIMEOUT_S * 1000, (fleets) => {
        let observed = 0;
        let steady = 0;
        for (const f of fleets.values()) {
          if (f.status?.observedGeneration === f.metadata.generation) observed++;
          if (isSteady(f)) steady++;
        }
        last = `${observed} observed, ${steady} steady of ${n}`;
        if (observed === n && Number.isNaN(observedS)) observedS = (performance.now() - t0) / 1000;
        if (steady === n) steadyS = (performance.now() - t0) / 1000;
        return steady === n;
      });
    } catch (e) {
      console.error(`  N=${n}: ${(e as Error).message} (${last})`);
    }
    const cost = costBetween(before, await sampleControlPlane());
    const operatorCpuS = processCpuSeconds(op.pid) - cpu0;
    const metrics = await op.metrics();
    const byResult: Record<string, number> = {};
    let passes = 0;
    for (const [k, v] of metrics) {
      const m = /^ollama_fleet_reconcile_total\{result="(\w+)"\}$/.exec(k);
      if (m && m[1] !== "error") {
        byResult[m[1]] = v;
        passes += v;
      }
    }
    const mem = processMemory(op.pid);
    return {
      n,
      createdS,
      observedS,
      steadyS,
      peakMiB: (mem?.hwm ?? NaN) / MiB,
      maxSampledMiB: Math.max(...samples) / MiB,
      passes,
      meanPassMs: (1000 * (metrics.get("ollama_fleet_reconcile_duration_seconds_sum") ?? NaN)) / (metrics.get("ollama_fleet_reconcile_duration_seconds_count") ?? NaN),
      byResult,
      errors: metrics.get("ollama_fleet_reconcile_errors_total") ?? 0,
      cost,
      operatorCpuS,
    };
  } finally {
    clearInterval(sampler);
    const code = await op.stop();
    if (code !== 0) console.error(`  operator exited with ${code}; last log lines:\n${op.log().split("\n").slice(-10).join("\n")}`);
    await deleteNamespace(ns, 180_000).catch((e: Error) => console.error(`  cleanup: ${e.message}`));
    await deleteScratchVolumes(ns);
  }
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const sizes = process.argv.slice(2).map(Number);
  const ns = sizes.length > 0 ? sizes : [100, 500];
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 2000)) throw new Error(`N must be whole numbers from 1 to 2000, got ${process.argv.slice(2).join(" ")}`);
  const undoCluster = ensureCluster();
  const limits = clusterLimits();
  const results: OperatorBenchResult[] = [];
  try {
    await installFleetCrd();
    await ensureNamespace(LEASE_NS);
    await addNodes(Math.ceil(Math.max(...ns) / (PODS_PER_NODE - 10)));
    for (const n of ns) {
      const names = Array.from({ length: n }, (_, i) => `fleet-${String(i).padStart(4, "0")}`);
      // The baseline runs before and after the operator, and their mean is what the operator
      // is held to: a phase run later on the same cluster is slower (etcd's history of the
      // phases before it grows), which favoured whichever phase ran first.
      console.error(`bench:operator: N=${n} baseline before (no operator) ...`);
      const before = await runBaseline(`bench-baseline-${n}`, names, TIMEOUT_S);
      console.error(`bench:operator: N=${n} operator ...`);
      const op = await runOperator(n, names);
      console.error(`bench:operator: N=${n} baseline after (no operator) ...`);
      const after = await runBaseline(`bench-baseline-${n}-after`, names, TIMEOUT_S);
      const mean = (a: number, b: number) => (a + b) / 2;
      results.push({
        ...op,
        baselineReadyS: mean(before.readyS, after.readyS),
        baselineReadyRunsS: [before.readyS, after.readyS],
        baselineAppliedS: mean(before.appliedS, after.appliedS),
        baselineCost: before.cost,
      });
    }
  } finally {
    await removeNodes().catch(() => undefined);
    await deleteNamespace(LEASE_NS).catch(() => undefined);
    undoCluster();
  }
  const title = `OllamaFleet operator against the local control plane (Node ${process.versions.node}; operator flags: ${EXTRA_FLAGS.join(" ") || "defaults"}; NODE_OPTIONS: ${NODE_OPTIONS ?? (imageNodeOptions() || "none")}; ${limits})`;
  const table = `${formatOperatorBench(results)}\n\ncontrol plane during each phase (first create until all Ready / steady; CPU of each process; the API server's requests from every client, watches not counted):\n\n${formatControlPlaneCost(results)}`;
  console.log(`${title}\n\n${table}`);
  console.log(`\nwrote ${path.relative(process.cwd(), writeResults("bench-operator.md", "npm run bench:operator", machine, [`${title}\n\n${table}`]))}`);
}

main().catch((e: unknown) => {
  console.error(`bench:operator: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
