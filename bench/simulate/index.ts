/*
 * Simulated deploy: the real program runs under mocks whose engine takes each resource's
 * readiness time (bench/simulate/readiness.ts, scaled to SCALE_MS per simulated second) to
 * create it, so resources start exactly when Pulumi would start them. Prints the simulated
 * wall time, the serial sum and the critical path of the dependency graph, and the charts
 * simulated at the default readiness time.
 */
import { runProgram } from "../../tools/program";
import { PROD_SECRETS } from "../../tools/stack-config";
import { chartsAtDefault, simulatedSeconds } from "./readiness";
import { schedule } from "./schedule";

/** Real milliseconds per simulated second. */
export const SCALE_MS = 10;

/** One simulated deploy of a stack. */
export async function simulate(stack: "dev" | "prod") {
  const run = await runProgram({
    stack,
    secrets: stack === "prod" ? PROD_SECRETS : undefined,
    latency: (type, inputs) => simulatedSeconds(type, inputs) * SCALE_MS,
  });
  const timed = run.resources.filter((r) => r.startedMs !== undefined && r.endedMs !== undefined);
  const start = Math.min(...timed.map((r) => r.startedMs!));
  const end = Math.max(...timed.map((r) => r.endedMs!));
  const wall = (end - start) / SCALE_MS;
  const { serial, criticalPath, path } = schedule(run, simulatedSeconds);
  return { stack, resources: run.resources.length, wall, serial, criticalPath, atDefault: chartsAtDefault(run.resources), path: path.filter((k) => simulatedSeconds(k.split("::")[0], run.get(k.split("::")[0], k.split("::")[1]).inputs) > 0) };
}

if (require.main === module) {
  const stack = (process.argv[2] ?? "prod") as "dev" | "prod";
  simulate(stack).then((r) => process.stdout.write(JSON.stringify(r) + "\n"));
}
