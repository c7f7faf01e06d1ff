import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

/** A way Pulumi's Node.js host can load index.ts (see bench/first-resource.cjs). */
export interface Loader {
  mode: string;
  label: string;
  /** Node arguments (Pulumi.yaml `nodeargs`). */
  args: string[];
  /** Environment that turns the loader's caches off: a fresh machine's first run. */
  cold: Record<string, string>;
}

export const LOADERS: Loader[] = [
  { mode: "sdk", label: "none: require(\"@pulumi/pulumi\") alone, no program (the floor)", args: [], cold: {} },
  { mode: "tsnode-check", label: "ts-node, type-checked (typescript: true)", args: [], cold: { TS_NODE_CACHE: "false" } },
  { mode: "tsnode-transpile", label: "ts-node, transpile-only (PULUMI_NODEJS_TRANSPILE_ONLY)", args: [], cold: { TS_NODE_CACHE: "false" } },
  { mode: "tsx", label: "tsx (nodeargs: --import tsx)", args: ["--import", "tsx"], cold: { TSX_DISABLE_CACHE: "1" } },
  {
    mode: "register",
    label: "register-ts (nodeargs: --require ./scripts/register-ts.cjs)",
    args: ["--require", "./scripts/register-ts.cjs"],
    cold: { PLATFORM_TS_CACHE: "off" },
  },
];

function once(l: Loader, env: Record<string, string>): number {
  const r = spawnSync(process.execPath, [...l.args, path.join(ROOT, "bench", "first-resource.cjs"), l.mode], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`loader ${l.mode} failed:\n${r.stderr}`);
  return (JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { firstMs: number }).firstMs;
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Prints, per loader, the median time from process start to the first registered resource:
 * cold (the loader's caches off) and warm (after one run that fills them). Each round runs
 * every loader once, so that all of them share the machine's load of the moment.
 */
export function printLoaderTimings(runs: number): void {
  console.log(`\nTime to the first registered resource, dev stack under mocks (ms, median of ${runs} fresh processes, loaders interleaved)`);
  console.log(`${"loader".padEnd(62)} ${"cold".padStart(6)} ${"warm".padStart(6)}`);
  for (const l of LOADERS) once(l, {});
  const cold = LOADERS.map(() => [] as number[]);
  const warm = LOADERS.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    LOADERS.forEach((l, j) => {
      cold[j].push(once(l, l.cold));
      warm[j].push(once(l, {}));
    });
  }
  LOADERS.forEach((l, j) => console.log(`${l.label.padEnd(62)} ${median(cold[j]).toFixed(0).padStart(6)} ${median(warm[j]).toFixed(0).padStart(6)}`));
}
