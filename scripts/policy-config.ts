/*
 * `npm run policy:config`: writes each stack's policy pack config
 * (policies/config/<stack>.json, read by `pulumi preview --policy-pack-config`, the preview
 * and deploy workflows and charts:verify) from the stack's own config: `platform:policy`
 * over its profile's defaults, with the settings the loader derives (config/rules.ts
 * deriveSettings), rendered per rule by the pack's renderPackConfig. The files stay
 * committed because CI reads them; test/scripts/policy-config.test.ts fails when one
 * differs from what this writes. `--check` writes nothing and exits 1 naming the stale files.
 *
 * Usage: node --import tsx scripts/policy-config.ts [--check]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PlatformConfig } from "../config/schema";
import { renderPackConfig } from "../policies/pack";
import { ROOT, stackConfig } from "../tools/stack-config";
import { STACKS } from "./lib/charts-verify";

/** The command that rewrites the pack configs, for messages. */
export const POLICY_CONFIG_COMMAND = "npm run policy:config";

/**
 * The stacks with a pack config of their own: the stacks charts:verify checks whose pack is
 * their own name. Each is loaded as the program loads it (tools/stack-config.ts: the prod
 * stack with its test secrets, which only satisfy the config rules that require them; no
 * policy setting reads a secret).
 */
export const PACK_STACKS: readonly string[] = Object.entries(STACKS)
  .filter(([name, s]) => s.pack === name && s.stackFile === name && s.config === undefined)
  .map(([name]) => name);

/** Path of a stack's pack config, relative to the project root. */
export function packConfigPath(stack: string): string {
  return path.join("policies", "config", `${stack}.json`);
}

/** The text of the pack config of a validated config: its `policy` section, rule by rule. */
export function packConfigText(c: PlatformConfig): string {
  return `${JSON.stringify(renderPackConfig(c.policy, c.policy.enforcement), null, 2)}\n`;
}

/** Every pack config: its path and the text it should have, from the stack files. */
export function packConfigFiles(): { file: string; text: string }[] {
  return PACK_STACKS.map((stack) => ({ file: packConfigPath(stack), text: packConfigText(stackConfig(stack)) }));
}

function main(args: readonly string[]): number {
  const check = args.includes("--check");
  const unknown = args.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`policy:config: unknown argument ${unknown.join(" ")}; usage: ${POLICY_CONFIG_COMMAND} [-- --check]`);
    return 2;
  }
  const stale: string[] = [];
  for (const { file, text } of packConfigFiles()) {
    const abs = path.join(ROOT, file);
    const current = fs.existsSync(abs) ? fs.readFileSync(abs, "utf8") : undefined;
    if (current === text) continue;
    stale.push(file);
    if (!check) fs.writeFileSync(abs, text);
  }
  if (check && stale.length > 0) {
    console.error(`policy:config: stale: ${stale.join(", ")}; run ${POLICY_CONFIG_COMMAND}`);
    return 1;
  }
  console.log(stale.length === 0 ? "policy:config: every pack config is current" : `policy:config: wrote ${stale.join(", ")}`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
