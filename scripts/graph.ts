/*
 * npm run graph [-- dev|prod] [--releases] — prints, as Mermaid, the dependency graph the
 * program actually builds for a stack (run under mocks): layers by default, Helm releases
 * with --releases. Edges are real dependencies only: explicit dependsOn, outputs used as
 * inputs, and the provider.
 */
import { runProgram } from "../tools/program";
import { PROD_SECRETS } from "../tools/stack-config";
import { TYPES } from "../tools/types";
import { layerEdges, layers, releaseEdges, toMermaid } from "./lib/graph";

const args = process.argv.slice(2);
const stack = args.find((a) => !a.startsWith("--")) ?? "prod";
if (stack !== "dev" && stack !== "prod") {
  console.error(`graph: unknown stack "${stack}"; use dev or prod`);
  process.exit(2);
}

runProgram({ stack, secrets: stack === "prod" ? PROD_SECRETS : undefined }).then((run) => {
  if (args.includes("--releases")) {
    const edges = releaseEdges(run);
    const nodes = run.resources.filter((r) => r.type === TYPES.release).map((r) => `${r.type}::${r.name}`);
    console.log(toMermaid(nodes, edges, `${stack}: Helm releases (arrow: installs before)`));
  } else {
    console.log(toMermaid(layers(run), layerEdges(run), `${stack}: layers (arrow: installs before)`));
  }
});
