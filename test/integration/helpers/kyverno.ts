import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import type { ValidatingPolicy } from "../../../policies/engine/kyverno";
import { RULES } from "../../../policies/rules";

/*
 * Item 4: the policy corpus (test/policies/corpus) through the real Kyverno CLI
 * (`kyverno apply`, built by `build-tools.sh kyverno`) with the ValidatingPolicies the Policy
 * component renders, for comparison with the CrossGuard pack's verdicts.
 */

/** One corpus document. */
export interface CorpusCase {
  file: string;
  manifest: Record<string, any>;
  /** Expected verdicts by rule (`# expect:` header). */
  expect: Record<string, string>;
}

/** The corpus, as test/policies/corpus.test.ts reads it. */
export function loadCorpus(dir: string): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    for (const chunk of fs.readFileSync(path.join(dir, file), "utf8").split(/^---$/m)) {
      const line = /^# expect: (.*)$/m.exec(chunk);
      if (!line) continue;
      const expect = Object.fromEntries(line[1].trim().split(/\s+/).map((kv) => kv.split("=") as [string, string]));
      cases.push({ file, manifest: parse(chunk) as Record<string, any>, expect });
    }
  }
  return cases;
}

/** `Kind namespace/name` of a manifest (the key of Kyverno's report results). */
export function caseKey(m: Record<string, any>): string {
  return `${m.kind} ${m.metadata?.namespace ?? "default"}/${m.metadata?.name}`;
}

/** Verdicts as both engines are compared: Kyverno's `fail` is the pack's `deny`; no result is a skip. */
export type Outcome = "pass" | "skip" | "deny" | "error";

/** Kyverno's verdict per `caseKey` and rule, with its message. */
export type KyvernoVerdicts = Map<string, Map<string, { outcome: Outcome; message?: string }>>;

const exec = promisify(execFile);

/** Whether the kyverno binary is on PATH (env.sh puts it there once built). */
export async function kyvernoVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await exec("kyverno", ["version"]);
    return stdout.trim().split("\n")[0];
  } catch {
    return undefined;
  }
}

/**
 * `kyverno apply` of `policies` to every case; returns the outcome per `caseKey` and rule.
 * Namespaces get their `kubernetes.io/metadata.name` label through a values file, as the
 * API server sets it, so namespace selectors work offline.
 */
export async function kyvernoVerdicts(policies: ValidatingPolicy[], manifests: Record<string, any>[]): Promise<KyvernoVerdicts> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-kyverno-"));
  try {
    const policyFile = path.join(dir, "policies.yaml");
    const resourceFile = path.join(dir, "resources.yaml");
    const valuesFile = path.join(dir, "values.yaml");
    fs.writeFileSync(policyFile, policies.map((p) => stringify(p)).join("---\n"));
    fs.writeFileSync(resourceFile, manifests.map((m) => stringify(m)).join("---\n"));
    const namespaces = [...new Set(manifests.map((m) => (m.metadata?.namespace as string | undefined) ?? "default"))].sort();
    fs.writeFileSync(
      valuesFile,
      stringify({
        apiVersion: "cli.kyverno.io/v1alpha1",
        kind: "Value",
        metadata: { name: "values" },
        namespaceSelector: namespaces.map((name) => ({ name, labels: { "kubernetes.io/metadata.name": name } })),
      }),
    );
    let stdout: string;
    try {
      ({ stdout } = await exec(
        "kyverno",
        ["apply", policyFile, "--resource", resourceFile, "--values-file", valuesFile, "--policy-report", "--output-format", "json", "--remove-color", "--continue-on-fail"],
        { maxBuffer: 64 * 1024 * 1024 },
      ));
    } catch (e) {
      // kyverno exits 1 when any resource fails a policy: the report is still on stdout.
      const err = e as { stdout?: string; stderr?: string; message: string };
      if (!err.stdout?.includes("{")) throw new Error(`kyverno apply: ${err.stderr || err.message}`, { cause: e });
      stdout = err.stdout;
    }
    const report = JSON.parse(stdout.slice(stdout.indexOf("{"))) as Record<string, any>;
    const verdicts: KyvernoVerdicts = new Map(manifests.map((m) => [caseKey(m), new Map(RULES.map((r) => [r.name, { outcome: "skip" as Outcome }]))]));
    const reports = report.kind?.endsWith("List") ? (report.items as Record<string, any>[]) : [report];
    for (const rep of reports) {
      for (const r of (rep.results ?? []) as Record<string, any>[]) {
        const outcome: Outcome = r.result === "fail" ? "deny" : r.result === "warn" ? "deny" : (r.result as Outcome);
        for (const res of (r.resources ?? []) as Record<string, any>[]) {
          verdicts.get(`${res.kind} ${res.namespace ?? "default"}/${res.name}`)?.set(r.policy as string, { outcome, message: r.message as string | undefined });
        }
      }
    }
    return verdicts;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
