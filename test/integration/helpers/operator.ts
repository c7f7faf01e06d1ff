import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../helpers/program";
import { KUBECONFIG } from "./kube";

/*
 * The OllamaFleet operator (operator/src) as a process on this machine, talking to the local
 * cluster through its kubeconfig, for the end-to-end scenarios (test/integration/operator.itest.ts).
 * Settings go in as flags (`--mesh=none`), as the chart's environment would set them.
 */

/** A running operator process and its log so far. */
export interface OperatorProcess {
  readonly child: ChildProcess;
  /** Everything it printed (stdout and stderr, interleaved). */
  log(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string | null>;
}

/** The operator's entry point, or undefined while operator/src/main.ts does not exist. */
export function operatorEntry(): string | undefined {
  const f = path.join(ROOT, "operator", "src", "main.ts");
  return fs.existsSync(f) ? f : undefined;
}

/** Starts the operator from source with tsx (no build step) against the local cluster. */
export function startOperator(flags: string[] = [], env: Record<string, string> = {}): OperatorProcess {
  const entry = operatorEntry();
  if (!entry) throw new Error("operator/src/main.ts does not exist yet");
  let output = "";
  const child = spawn(path.join(ROOT, "node_modules", ".bin", "node"), ["--import", "tsx", entry, ...flags], {
    cwd: path.join(ROOT, "operator"),
    env: { ...process.env, KUBECONFIG, POD_NAMESPACE: "ollama-system", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  return {
    child,
    log: () => output,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}
