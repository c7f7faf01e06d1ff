/*
 * npm run bench:operator [-- N...] — the OllamaFleet operator against the local control plane
 * (test/integration/tools/cluster.sh; started when none runs). For each N (default 100 and
 * 500): a fresh namespace, N pre-bound fake volumes, enough kwok nodes, the operator started
 * from operator/dist, then N small CPU fleets created at once. Prints, per N:
 *  - observed s: until every fleet's status.observedGeneration equals its generation (the
 *    operator has applied every fleet's children and written a status once);
 *  - steady s: until every fleet is Ready=True with observedGeneration == generation (kwok
 *    runs the pods: init container Completed, server container Ready), fleets/s from it;
 *  - peak RSS (VmHWM of the operator process) and the largest VmRSS sampled every 250 ms;
 *  - reconcile passes, passes by result and errors from the operator's /metrics.
 * Targets (issue "The Ollama fleet"): 500 fleets steady within 60 s, under 150 MiB resident.
 * Env: BENCH_OPERATOR_FLAGS (extra operator flags, e.g. "--concurrency=8"),
 * BENCH_OPERATOR_NODE_OPTIONS (NODE_OPTIONS of the operator process instead of the image's,
 * operator/Dockerfile),
 * BENCH_OPERATOR_TIMEOUT (seconds per N, 300).
 */
import { api, waitUntil } from "../../test/integration/helpers/kube";
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
import { addNodes, ensureCluster, PODS_PER_NODE, removeNodes } from "./cluster";

const MiB = 1024 * 1024;
const TARGET = { fleets: 500, seconds: 60, rssMiB: 150 };
const TIMEOUT_S = Number(process.env.BENCH_OPERATOR_TIMEOUT ?? 300);
const EXTRA_FLAGS = (process.env.BENCH_OPERATOR_FLAGS ?? "").split(/\s+/).filter((f) => f !== "");
const NODE_OPTIONS = process.env.BENCH_OPERATOR_NODE_OPTIONS;
const LEASE_NS = "bench-operator-system";

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

interface Result {
  n: number;
  observedS: number;
  steadyS: number;
  peakMiB: number;
  maxSampledMiB: number;
  passes: number;
  /** Mean duration of a pass (the operator's histogram sum / count). */
  meanPassMs: number;
  byResult: Record<string, number>;
  errors: number;
}

async function run(n: number): Promise<Result> {
  const ns = `bench-operator-${n}`;
  const names = Array.from({ length: n }, (_, i) => `fleet-${String(i).padStart(4, "0")}`);
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
    const t0 = performance.now();
    await pool(names, 16, async (f) => void (await createFleet(ns, f, SMALL_SPEC)));
    let observedS = NaN;
    let steadyS = NaN;
    let last = "";
    try {
      await waitUntil(`${n} fleets steady`, TIMEOUT_S * 1000, async () => {
        const items = ((await api("GET", fleetPath(ns))).body.items ?? []) as Record<string, any>[];
        const observed = items.filter((f) => f.status?.observedGeneration === f.metadata.generation).length;
        const steady = items.filter(isSteady).length;
        last = `${observed} observed, ${steady} steady of ${n}`;
        if (observed === n && Number.isNaN(observedS)) observedS = (performance.now() - t0) / 1000;
        if (steady === n) steadyS = (performance.now() - t0) / 1000;
        return steady === n;
      });
    } catch (e) {
      console.error(`  N=${n}: ${(e as Error).message} (${last})`);
    }
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
      observedS,
      steadyS,
      peakMiB: (mem?.hwm ?? NaN) / MiB,
      maxSampledMiB: Math.max(...samples) / MiB,
      passes,
      meanPassMs: (1000 * (metrics.get("ollama_fleet_reconcile_duration_seconds_sum") ?? NaN)) / (metrics.get("ollama_fleet_reconcile_duration_seconds_count") ?? NaN),
      byResult,
      errors: metrics.get("ollama_fleet_reconcile_errors_total") ?? 0,
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
  const sizes = process.argv.slice(2).map(Number);
  const ns = sizes.length > 0 ? sizes : [100, 500];
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 2000)) throw new Error(`N must be whole numbers from 1 to 2000, got ${process.argv.slice(2).join(" ")}`);
  const undoCluster = ensureCluster();
  const results: Result[] = [];
  try {
    await installFleetCrd();
    await ensureNamespace(LEASE_NS);
    await addNodes(Math.ceil(Math.max(...ns) / (PODS_PER_NODE - 10)));
    for (const n of ns) {
      console.error(`bench:operator: N=${n} ...`);
      results.push(await run(n));
    }
  } finally {
    await removeNodes().catch(() => undefined);
    await deleteNamespace(LEASE_NS).catch(() => undefined);
    undoCluster();
  }
  const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "—");
  console.log(`OllamaFleet operator against the local control plane (Node ${process.versions.node}; flags: ${EXTRA_FLAGS.join(" ") || "defaults"}; NODE_OPTIONS: ${NODE_OPTIONS ?? (imageNodeOptions() || "none")})`);
  console.log("N     observed s  steady s  fleets/s  peak RSS MiB  max sampled MiB  passes  mean pass ms  errors  passes by result");
  for (const r of results) {
    const by = Object.entries(r.byResult)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    console.log(
      `${String(r.n).padEnd(5)} ${f1(r.observedS).padStart(10)}  ${f1(r.steadyS).padStart(8)}  ${f1(r.n / r.steadyS).padStart(8)}  ${f1(r.peakMiB).padStart(12)}  ${f1(r.maxSampledMiB).padStart(15)}  ${String(r.passes).padStart(6)}  ${f1(r.meanPassMs).padStart(12)}  ${String(r.errors).padStart(6)}  ${by}`,
    );
  }
  const big = results.find((r) => r.n === TARGET.fleets);
  if (big) {
    const time = big.steadyS <= TARGET.seconds ? "met" : "MISSED";
    const mem = big.peakMiB < TARGET.rssMiB ? "met" : "MISSED";
    console.log(`targets: ${TARGET.fleets} fleets steady within ${TARGET.seconds} s: ${time} (${f1(big.steadyS)} s); peak RSS under ${TARGET.rssMiB} MiB: ${mem} (${f1(big.peakMiB)} MiB)`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:operator: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});
