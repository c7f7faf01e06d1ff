import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { ROOT } from "../../helpers/program";

/*
 * Drives the Pulumi CLI (built by test/integration/tools/build-tools.sh) on the integration
 * stack in test/integration/stack: a file backend and passphrase in a temporary directory,
 * and a temporary copy of Pulumi.itest.yaml (`--config-file`) with the test's settings, so
 * nothing in the repository changes. The committed file carries the passphrase's salt
 * (passphrase "itest"), which keeps `pulumi stack init` from rewriting it.
 */

/** The integration stack's project directory. */
export const STACK_DIR = path.join(ROOT, "test", "integration", "stack");
const STACK = "itest";
const PASSPHRASE = "itest";

/** Result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** A throw-away backend with the integration stack in it. */
export class TestStack {
  readonly dir: string;
  private readonly configFile: string;

  constructor(settings: Record<string, string | boolean>) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-itest-"));
    fs.mkdirSync(path.join(this.dir, "state"));
    this.configFile = path.join(this.dir, `Pulumi.${STACK}.yaml`);
    this.configure(settings);
  }

  /** Rewrites the temporary stack config with `settings` (keys without namespace) over the committed defaults. */
  configure(settings: Record<string, string | boolean>): void {
    const doc = parse(fs.readFileSync(path.join(STACK_DIR, `Pulumi.${STACK}.yaml`), "utf8")) as { config: Record<string, unknown> };
    for (const [k, v] of Object.entries(settings)) doc.config[`platform-itest:${k}`] = String(v);
    fs.writeFileSync(this.configFile, stringify(doc));
  }

  /** `pulumi <args>` in the stack's project directory; never throws on a non-zero exit. */
  run(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
    const withStack = args[0] === "stack" && args[1] === "init" ? args : [...args, "--stack", STACK, "--config-file", this.configFile];
    const env = {
      ...process.env,
      // The language host runs the `node` on PATH: the project's Node 24 first.
      PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", [...withStack, "--non-interactive", "--color", "never"], { cwd: STACK_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGTERM"), opts.timeoutMs ?? 600_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr, seconds: (Date.now() - t0) / 1000 });
      });
    });
  }

  /** Creates the stack (passphrase secrets). */
  async init(): Promise<void> {
    const r = await this.run(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
    if (r.code !== 0) throw new Error(`pulumi stack init: ${r.stderr || r.stdout}`);
  }

  /** Removes the temporary backend. */
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The CLI's output for an assertion message (the tail: where Pulumi puts its diagnostics). */
export function tail(r: CliResult, lines = 60): string {
  return `exit ${r.code} after ${r.seconds.toFixed(1)}s\n${`${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-lines).join("\n")}`;
}
