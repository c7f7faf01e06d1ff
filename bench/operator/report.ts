import { CONTROL_PLANE, type ControlPlaneCost } from "./control-plane";

/*
 * The operator benchmark's table and its targets (issue "the operator, measured fairly"),
 * formatted once so the console and results/bench-operator.md show the same thing.
 */

/** One N of `npm run bench:operator`. */
export interface OperatorBenchResult {
  n: number;
  /** No operator: the fleets' StatefulSets, Services and PDBs applied directly, until all Ready (mean of the runs before and after the operator). */
  baselineReadyS: number;
  /** The same, of the run before the operator and of the run after it. */
  baselineReadyRunsS: [number, number];
  /** No operator: until every fleet was created and its children applied (mean of both runs). */
  baselineAppliedS: number;
  /** Operator: until the N fleets were created (the bench's own creates, the same in the baseline). */
  createdS: number;
  /** Operator: until every fleet's status.observedGeneration equals its generation (children applied). */
  observedS: number;
  /** Operator: until every fleet is Ready for its current generation. */
  steadyS: number;
  /** VmHWM of the operator process. */
  peakMiB: number;
  /** Largest VmRSS sampled every 250 ms. */
  maxSampledMiB: number;
  passes: number;
  /** Mean duration of a pass (the operator's histogram sum / count). */
  meanPassMs: number;
  byResult: Record<string, number>;
  errors: number;
  /** No operator (the run before it): the control plane's CPU and writes from the first create until all Ready. */
  baselineCost: ControlPlaneCost;
  /** Operator: the same, from the first create until steady. */
  cost: ControlPlaneCost;
  /** Operator: CPU seconds of the operator process over the same span. */
  operatorCpuS: number;
}

/** What the issue asks of N = 500. */
export const TARGETS = { fleets: 500, ratio: 1.25, observedS: 20, rssMiB: 150 } as const;

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "—");
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");

/** steady / baseline Ready: 1.00 means the operator adds nothing to what the cluster needs. */
export const ratioOf = (r: OperatorBenchResult) => r.steadyS / r.baselineReadyS;

function markdownTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  return [line(header), `|${widths.map((w, i) => (i === widths.length - 1 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`, ...rows.map(line)];
}

/** What each phase cost the control plane: CPU seconds per process, requests and writes. */
export function formatControlPlaneCost(results: readonly OperatorBenchResult[]): string {
  const header = ["N", "phase", ...CONTROL_PLANE.map((c) => `${c} CPU s`), "operator CPU s", "requests", "writes", "writes per fleet", "most requests"];
  const row = (n: number, phase: string, c: ControlPlaneCost, operatorCpuS = NaN) => [
    String(n),
    phase,
    ...CONTROL_PLANE.map((p) => f1(c.cpuS[p])),
    f1(operatorCpuS),
    String(c.totalRequests),
    String(c.totalWrites),
    f1(c.totalWrites / n),
    c.requests
      .slice(0, 8)
      .map(([k, v]) => `${k}=${v}`)
      .join(", "),
  ];
  return markdownTable(
    header,
    results.flatMap((r) => [row(r.n, "baseline before", r.baselineCost), row(r.n, "operator", r.cost, r.operatorCpuS)]),
  ).join("\n");
}

/** The results as a Markdown table (one row per N), then one line per target. */
export function formatOperatorBench(results: readonly OperatorBenchResult[]): string {
  const header = ["N", "baseline Ready s", "baseline before / after s", "operator steady s", "ratio", "observed s", "peak RSS MiB", "mean pass ms", "max sampled MiB", "fleets created s", "baseline applied s", "passes", "errors", "passes by result"];
  const rows = results.map((r) => [
    String(r.n),
    f1(r.baselineReadyS),
    r.baselineReadyRunsS.map(f1).join(" / "),
    f1(r.steadyS),
    f2(ratioOf(r)),
    f1(r.observedS),
    f1(r.peakMiB),
    f1(r.meanPassMs),
    f1(r.maxSampledMiB),
    f1(r.createdS),
    f1(r.baselineAppliedS),
    String(r.passes),
    String(r.errors),
    Object.entries(r.byResult)
      .map(([k, v]) => `${k}=${v}`)
      .join(" "),
  ]);
  const out = markdownTable(header, rows);
  const big = results.find((r) => r.n === TARGETS.fleets);
  if (big) {
    const met = (ok: boolean) => (ok ? "met" : "MISSED");
    out.push(
      "",
      `targets at N=${TARGETS.fleets}:`,
      `- steady within ${TARGETS.ratio}x of the baseline: ${met(ratioOf(big) <= TARGETS.ratio)} (${f2(ratioOf(big))}x: ${f1(big.steadyS)} s against ${f1(big.baselineReadyS)} s)`,
      `- every fleet's children applied (observed) within ${TARGETS.observedS} s: ${met(big.observedS <= TARGETS.observedS)} (${f1(big.observedS)} s; the baseline's creates and direct applies of the same objects took ${f1(big.baselineAppliedS)} s)`,
      `- peak resident memory under ${TARGETS.rssMiB} MiB: ${met(big.peakMiB < TARGETS.rssMiB)} (${f1(big.peakMiB)} MiB)`,
    );
  }
  return out.join("\n");
}
