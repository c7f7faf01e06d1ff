/*
 * npm run bench — prints, per stack, the number of resources the program registers and the
 * program's evaluation time under mocks (median of RUNS fresh processes: module loading,
 * config validation, every component's constructor and every registration); the time to
 * the first registered resource per TypeScript loader (bench/loaders.ts); the simulated
 * deploy (bench/simulate); and the dev footprint (bench/footprint: requested CPU and memory
 * against the laptop target).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { printDevFootprint } from "./footprint/report";
import { printLoaderTimings } from "./loaders";
import { printSimulation } from "./simulate/report";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = path.resolve(__dirname, "..");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function evaluate(stack: string): { resources: number; ms: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "eval-once.ts"), stack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`evaluating ${stack} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

console.log(`Program evaluation under mocks (median of ${RUNS} runs, Node ${process.versions.node})`);
console.log("stack  resources  eval ms (median)  min    max");
for (const stack of ["dev", "prod"]) {
  const runs = Array.from({ length: RUNS }, () => evaluate(stack));
  const ms = runs.map((x) => x.ms);
  console.log(
    `${stack.padEnd(6)} ${String(runs[0].resources).padStart(9)}  ${median(ms).toFixed(0).padStart(16)}  ${Math.min(...ms).toFixed(0).padStart(5)}  ${Math.max(...ms).toFixed(0).padStart(5)}`,
  );
}

printLoaderTimings(RUNS);
printSimulation();
printDevFootprint();
