/*
 * npm run bench — prints, per stack, the number of resources the program registers and the
 * program's evaluation time under mocks (median of RUNS fresh processes, loaded as Pulumi.yaml
 * loads it: module loading, config validation, every component's constructor and every
 * registration); the time to the first registered resource per TypeScript loader
 * (bench/loaders.ts); the simulated deploy (bench/simulate); and the dev footprint
 * (bench/footprint: requested CPU and memory against the laptop target). Everything it prints
 * is also written to results/bench.md with the date and machine (bench/results.ts), which
 * the README quotes.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { printDevFootprint } from "./footprint/report";
import { median, printLoaderTimings } from "./loaders";
import { machineInfo, recordConsole, writeResults } from "./results";
import { printSimulation } from "./simulate/report";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROOT = path.resolve(__dirname, "..");
// The program's loader, as Pulumi.yaml's nodeargs name it.
const LOADER = ["--require", "./scripts/register-ts.cjs"];

function evaluate(stack: string): { resources: number; ms: number } {
  const r = spawnSync(process.execPath, [...LOADER, path.join(ROOT, "bench", "eval-once.ts"), stack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`evaluating ${stack} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

const machine = machineInfo();
const blocks: string[] = [];
function section(print: () => void): void {
  const recorder = recordConsole();
  try {
    print();
  } finally {
    blocks.push(recorder.stop());
  }
}

section(() => {
  console.log(`Program evaluation under mocks (ms; median of ${RUNS} fresh processes after one that fills the loader's cache, stacks interleaved; Node ${process.versions.node})`);
  console.log("stack  resources  eval ms (median)  min    max");
  const stacks = ["dev", "prod"];
  for (const stack of stacks) evaluate(stack);
  const runs = stacks.map(() => [] as { resources: number; ms: number }[]);
  for (let i = 0; i < RUNS; i++) stacks.forEach((stack, j) => runs[j].push(evaluate(stack)));
  stacks.forEach((stack, j) => {
    const ms = runs[j].map((x) => x.ms);
    console.log(
      `${stack.padEnd(6)} ${String(runs[j][0].resources).padStart(9)}  ${median(ms).toFixed(0).padStart(16)}  ${Math.min(...ms).toFixed(0).padStart(5)}  ${Math.max(...ms).toFixed(0).padStart(5)}`,
    );
  });
});
section(() => printLoaderTimings(RUNS));
section(printSimulation);
section(printDevFootprint);

console.log(`\nwrote ${path.relative(ROOT, writeResults("bench.md", "npm run bench", machine, blocks))}`);
