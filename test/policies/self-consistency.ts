import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateResource } from "../../policies/pack";
import { RULES } from "../../policies/rules";
import { HOST_ACCESS_EXCEPTIONS } from "../../policies/rules/disallow-privileged";
import { PROD_SECRETS, ROOT, runProgram, type Recorded } from "../helpers/program";

export { stackConfig } from "../../tools/stack-config";

/** A resource that one of its stack's policies refuses. */
export interface Refusal {
  resource: string;
  rule: string;
  messages: string[];
}

/** The pack config of a stack (policies/config/<stack>.json). */
export function packConfig(stack: "dev" | "prod"): Record<string, Record<string, unknown>> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "config", `${stack}.json`), "utf8")) as Record<string, Record<string, unknown>>;
}

/** Every refusal the pack would report for these resources, and which resources it evaluated. */
export function refusalsOf(resources: readonly Recorded[], config: Record<string, Record<string, unknown>>): { evaluated: string[]; refusals: Refusal[] } {
  const evaluated = new Set<string>();
  const refusals: Refusal[] = [];
  for (const r of resources) {
    for (const rule of RULES) {
      const verdict = evaluateResource(rule, config[rule.name] ?? {}, r.type, r.inputs);
      if (!verdict) continue;
      evaluated.add(`${r.type}::${r.name}`);
      if (verdict.outcome === "deny" || verdict.outcome === "error") refusals.push({ resource: `${r.type}::${r.name}`, rule: rule.name, messages: verdict.messages });
    }
  }
  return { evaluated: [...evaluated], refusals };
}

/**
 * The namespaces the program creates at Pod Security `privileged` that disallow-privileged
 * does not account for: neither a system namespace of the stack's pack config nor one with
 * a named host access exception. Such a namespace would run its charts' host access
 * unchecked by Pod Security and refused by Kyverno: a chart the policy was not told about.
 */
export function unaccountedPrivilegedNamespaces(resources: readonly Recorded[], config: Record<string, Record<string, unknown>>): string[] {
  const system = (config["disallow-privileged"]?.systemNamespaces ?? []) as string[];
  const excepted = HOST_ACCESS_EXCEPTIONS.map((e) => e.namespace);
  return resources
    .filter((r) => r.type === "kubernetes:core/v1:Namespace" && r.inputs.metadata?.labels?.["pod-security.kubernetes.io/enforce"] === "privileged")
    .map((r) => String(r.inputs.metadata.name))
    .filter((n) => !system.includes(n) && !excepted.includes(n))
    .sort();
}

/**
 * Runs the whole program for a stack under mocks and evaluates every Kubernetes resource
 * it registers against the stack's own pack config. Workloads inside Helm releases are
 * invisible here, as they are to CrossGuard; the namespaces they go into are not.
 */
export async function checkStack(stack: "dev" | "prod"): Promise<{ registered: number; evaluated: string[]; refusals: Refusal[]; unaccounted: string[] }> {
  const run = await runProgram({ stack, secrets: stack === "prod" ? PROD_SECRETS : undefined });
  const config = packConfig(stack);
  return { registered: run.resources.length, ...refusalsOf(run.resources, config), unaccounted: unaccountedPrivilegedNamespaces(run.resources, config) };
}
