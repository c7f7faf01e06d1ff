/* One evaluation of a stack under mocks, in a fresh process; prints JSON for bench/index.ts. */
import { performance } from "node:perf_hooks";
import { runProgram } from "../tools/program";
import { PROD_SECRETS } from "../tools/stack-config";

const stack = process.argv[2] ?? "dev";
const t0 = performance.now();
runProgram({ stack, secrets: stack === "prod" ? PROD_SECRETS : undefined }).then((run) => {
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ stack, resources: run.resources.length, ms }) + "\n");
});
