/*
 * What a stack installs, as the footprint needs it: every Helm release the program
 * registers under mocks (by catalog key, with its merged values), the specs of the custom
 * resources whose pods an operator creates, the charts the config selects that no release
 * installs yet, and the node count. Run as a script it prints that as JSON (Pulumi's
 * runtime is process-global, so the bench runs it in a child process).
 */
import { CHARTS, type ChartKey } from "../../components/catalog";
import { selectedCharts } from "../../components/selection";
import type { Values } from "../../lib/merge";
import { runProgram, type Recorded } from "../../tools/program";
import { stackConfig } from "../../tools/stack-config";
import { TYPES } from "../../tools/types";
import type { Installed } from "./footprint";

/** A workload the program creates itself (no chart): its pod's requests, summed over containers. */
export interface DirectWorkload {
  /** `Deployment/<name>`, or `sandbox (one idle)` for a session's pod. */
  name: string;
  replicas: number;
  containers: { name: string; cpu?: string; memory?: string }[];
}

/** A stack's installs and its node count. */
export interface StackInstalls {
  stack: string;
  nodes: number;
  releases: Installed[];
  extras: Installed[];
  /** The program's own Deployments, and one idle agent sandbox where the agent platform runs. */
  workloads: DirectWorkload[];
  /** Selected charts no registered release installs (counted at chart defaults by the report). */
  unregistered: ChartKey[];
}

const EXTRA_KINDS: Record<string, string> = {
  [TYPES.knativeServing]: "KnativeServing",
  "kubernetes:grafana.integreatly.org/v1beta1:Grafana": "Grafana",
};

/** The catalog key of a registered Release, from its chart and version. */
export function chartKeyOf(inputs: Record<string, unknown>): ChartKey | undefined {
  // A chart in this repository is installed from its path, without a version.
  const local = (k: ChartKey) => !CHARTS[k].repo && !CHARTS[k].chart.startsWith("oci://") && inputs.version === undefined;
  return (Object.keys(CHARTS) as ChartKey[]).find((k) => CHARTS[k].chart === inputs.chart && (CHARTS[k].version === inputs.version || local(k)));
}

/** Pure: the program's own Deployments and, from the runtime's config, one idle sandbox. */
export function workloadsOf(resources: readonly Recorded[]): DirectWorkload[] {
  const out: DirectWorkload[] = [];
  type Ctr = { name: string; resources?: { requests?: { cpu?: string; memory?: string } } };
  for (const r of resources) {
    if (r.type === TYPES.deployment) {
      const spec = r.inputs.spec as { replicas?: number; template: { spec: { containers: Ctr[] } } };
      out.push({
        name: `Deployment/${String((r.inputs.metadata as { name?: string }).name ?? r.name)}`,
        replicas: spec.replicas ?? 1,
        containers: spec.template.spec.containers.map((c) => ({ name: c.name, cpu: c.resources?.requests?.cpu, memory: c.resources?.requests?.memory })),
      });
    }
    const md = r.inputs.metadata as { name?: string } | undefined;
    if (r.type === TYPES.configMap && md?.name === "openhands-sandbox-runtime") {
      const config = JSON.parse(String((r.inputs.data as Record<string, string>)["config.json"])) as { resources: { requests: { cpu: string; memory: string } } };
      out.push({ name: "sandbox (one idle session)", replicas: 1, containers: [{ name: "agent-server", ...config.resources.requests }] });
    }
  }
  return out;
}

/** Pure: the installs in a recorded run. */
export function installsOf(resources: readonly Recorded[]): { releases: Installed[]; extras: Installed[] } {
  const releases: Installed[] = [];
  const extras: Installed[] = [];
  for (const r of resources) {
    if (r.type === TYPES.release) {
      const key = chartKeyOf(r.inputs);
      releases.push({ release: String(r.inputs.name ?? r.name), chart: key ?? String(r.inputs.chart), values: (r.inputs.values ?? {}) as Values });
    } else if (EXTRA_KINDS[r.type]) {
      extras.push({ release: r.name, chart: EXTRA_KINDS[r.type], values: (r.inputs.spec ?? {}) as Values });
    }
  }
  return { releases, extras };
}

/** Runs the program for `stack` under mocks and collects its installs. */
export async function stackInstalls(stack: string): Promise<StackInstalls> {
  const config = stackConfig(stack);
  if (config.cluster.mode !== "kind") throw new Error(`the footprint counts kind stacks only (node count known); ${stack} is "${config.cluster.mode}"`);
  const nodes = 1 + config.cluster.kind.workers.reduce((n, w) => n + w.count, 0);
  const run = await runProgram({ stack });
  const { releases, extras } = installsOf(run.resources);
  const registered = new Set(releases.map((r) => r.chart));
  const unregistered = selectedCharts(config).filter((k) => !registered.has(k));
  return { stack, nodes, releases, extras, workloads: workloadsOf(run.resources), unregistered };
}

if (require.main === module) {
  stackInstalls(process.argv[2] ?? "dev").then(
    (s) => process.stdout.write(JSON.stringify(s) + "\n"),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
