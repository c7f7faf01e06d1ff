import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** The ways Pulumi's Node.js host can load index.ts (see bench/first-resource.cjs). */
export const LOADERS = [
  { mode: "tsnode-check", label: "ts-node, type-checked (typescript: true)", args: [] as string[] },
  { mode: "tsnode-transpile", label: "ts-node, transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY)", args: [] as string[] },
  { mode: "tsx", label: "tsx (typescript: false, nodeargs: --import tsx)", args: ["--import", "tsx"] },
] as const;

function once(mode: string, args: readonly string[]): { firstMs: number; totalMs: number } {
  const r = spawnSync(process.execPath, [...args, path.join(ROOT, "bench", "first-resource.cjs"), mode], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`loader ${mode} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Prints, per loader, the median time from process start to the first registered resource. */
export function printLoaderTimings(runs: number): void {
  console.log(`\nTime to the first registered resource, dev stack under mocks (median of ${runs} fresh processes)`);
  for (const l of LOADERS) {
    const first = Array.from({ length: runs }, () => once(l.mode, l.args).firstMs);
    console.log(`  ${l.label.padEnd(58)} ${median(first).toFixed(0).padStart(6)} ms`);
  }
}
