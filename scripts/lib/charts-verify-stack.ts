/*
 * Child process of `npm run charts:verify`: one stack (charts-verify.ts STACKS) run under
 * Pulumi's mocks (the runtime is process-global, so each stack gets its own process),
 * writing every Helm release it registers, secrets unwrapped, as JSON to a file.
 *
 * Usage: node --import tsx scripts/lib/charts-verify-stack.ts <stack> <out.json>
 */
import * as fs from "node:fs";
import { runProgram, unwrapSecrets } from "../../tools/program";
import { PROD_SECRETS } from "../../tools/stack-config";
import { TYPES } from "../../tools/types";
import { STACKS, type StackRelease } from "./charts-verify";


async function main(stack: string, out: string): Promise<void> {
  const s = STACKS[stack];
  if (!s) throw new Error(`unknown stack "${stack}"; known: ${Object.keys(STACKS).join(", ")}`);
  const run = await runProgram({ stack: s.stackFile, config: s.config, secrets: s.prodSecrets ? PROD_SECRETS : undefined });
  const releases: StackRelease[] = run.ofType(TYPES.release).map((r) => {
    const i = unwrapSecrets(r.inputs) as { name?: string; namespace?: string; chart?: string; version?: string; repositoryOpts?: { repo?: string }; values?: Record<string, unknown> };
    return {
      resource: r.name,
      name: String(i.name ?? r.name),
      namespace: String(i.namespace ?? "default"),
      chart: String(i.chart),
      version: String(i.version ?? ""),
      repo: String(i.repositoryOpts?.repo ?? ""),
      values: i.values ?? {},
    };
  });
  fs.writeFileSync(out, `${JSON.stringify(releases, null, 2)}\n`);
}

if (require.main === module) {
  process.on("unhandledRejection", (e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
  main(process.argv[2] ?? "", process.argv[3] ?? "").catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
