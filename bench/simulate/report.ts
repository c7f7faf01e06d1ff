import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** Runs one simulated deploy in a fresh process (Pulumi's runtime is process-global). */
function simulateInChild(stack: string): { wall: number; serial: number; criticalPath: number; path: string[]; resources: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "simulate", "index.ts"), stack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`simulating ${stack} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

/** Prints the simulated deploy section of `npm run bench`. */
export function printSimulation(): void {
  console.log("\nSimulated deploy (readiness times: bench/simulate/readiness.ts; simulated seconds)");
  console.log("stack  resources  wall   serial  critical path  wall/critical  serial/wall");
  for (const stack of ["dev", "prod"]) {
    const s = simulateInChild(stack);
    console.log(
      `${stack.padEnd(6)} ${String(s.resources).padStart(9)}  ${s.wall.toFixed(0).padStart(4)}  ${s.serial.toFixed(0).padStart(6)}  ${s.criticalPath.toFixed(0).padStart(13)}  ${(s.wall / s.criticalPath).toFixed(3).padStart(13)}  ${(s.serial / s.wall).toFixed(2).padStart(10)}x`,
    );
    console.log(`       critical path: ${s.path.map((k) => k.split("::")[1]).join(" -> ")}`);
  }
  console.log("Targets: wall within 5% of the critical path; at least 3.5x faster than serial in prod, 4x in dev.");
}
