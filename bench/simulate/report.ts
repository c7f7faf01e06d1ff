import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { DEFAULT_RELEASE_SECONDS } from "./readiness";

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs one simulated deploy in a fresh process (Pulumi's runtime is process-global). */
function simulateInChild(stack: string): { wall: number; serial: number; criticalPath: number; path: string[]; resources: number; atDefault: string[] } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "simulate", "index.ts"), stack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`simulating ${stack} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/**
 * The line under the table naming the charts simulated at the default readiness time, by
 * stack; undefined when every chart has its own figure.
 */
export function defaultedLine(atDefault: Readonly<Record<string, readonly string[]>>): string | undefined {
  const parts = Object.entries(atDefault)
    .filter(([, charts]) => charts.length > 0)
    .map(([stack, charts]) => `${stack}: ${charts.join(", ")}`);
  if (parts.length === 0) return undefined;
  return `Estimated at the default ${DEFAULT_RELEASE_SECONDS} s (no figure in bench/simulate/readiness.ts RELEASE_SECONDS): ${parts.join("; ")}`;
}

/** Prints the simulated deploy section of `npm run bench`. */
export function printSimulation(): void {
  console.log("\nSimulated deploy (readiness times: bench/simulate/readiness.ts; simulated seconds)");
  console.log("stack  resources  wall   serial  critical path  wall/critical  serial/wall");
  const atDefault: Record<string, string[]> = {};
  for (const stack of ["dev", "prod"]) {
    const s = simulateInChild(stack);
    atDefault[stack] = s.atDefault;
    console.log(
      `${stack.padEnd(6)} ${String(s.resources).padStart(9)}  ${s.wall.toFixed(0).padStart(4)}  ${s.serial.toFixed(0).padStart(6)}  ${s.criticalPath.toFixed(0).padStart(13)}  ${(s.wall / s.criticalPath).toFixed(3).padStart(13)}  ${(s.serial / s.wall).toFixed(2).padStart(10)}x`,
    );
    console.log(`       critical path: ${s.path.map((k) => k.split("::")[1]).join(" -> ")}`);
  }
  console.log("Targets: wall within 5% of the critical path; at least 3.5x faster than serial in prod, 4x in dev.");
  const defaulted = defaultedLine(atDefault);
  if (defaulted) console.log(defaulted);
}
