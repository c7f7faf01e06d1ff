import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as path from "node:path";
import { parse } from "yaml";
import { renderValidatingPolicies } from "../../components/policy";
import { evaluatePolicy } from "../../policies/engine/evaluate";
import { isPatchType, KINDS, toKubernetesObject } from "../../policies/engine/resources";
import { evaluateResource, packPolicyObject, renderPackConfig } from "../../policies/pack";
import { DEFAULT_POLICY_SETTINGS, RULES, type PolicySettings } from "../../policies/rules";
import { packViolations, pulumiType } from "./helpers";

/*
 * The corpus: manifests with the verdict each rule must give, in test/policies/corpus.
 * Each runs through the pack (its policies' validateResource and the verdict behind it)
 * and through the ValidatingPolicy objects the Policy component deploys; both must agree
 * with the expectation, and the two must be the same policy. A document may name the Pulumi
 * type the pack gets (`# pulumi-type:`, for `*Patch` resources); otherwise it is the
 * manifest's kind's.
 */

const SETTINGS: PolicySettings = { ...DEFAULT_POLICY_SETTINGS, pvcQuotaExceptions: { "bulk-data": "500Gi" }, runtimeClasses: { "openhands-sandboxes": "gvisor" } };
const PACK_CONFIG = renderPackConfig(SETTINGS, "Deny") as Record<string, Record<string, unknown>>;
const KYVERNO = new Map(renderValidatingPolicies({ ...SETTINGS, enforcement: "Deny" }).map((p) => [p.metadata.name, p]));
const VERDICTS = ["pass", "skip", "deny", "error"] as const;

interface Case {
  file: string;
  name: string;
  manifest: Record<string, any>;
  expect: Record<string, string>;
  /** The Pulumi type the pack evaluates the manifest as. */
  type: string;
}

function loadCorpus(): Case[] {
  const dir = path.join(__dirname, "corpus");
  const cases: Case[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
    for (const chunk of fs.readFileSync(path.join(dir, file), "utf8").split(/^---$/m)) {
      const line = /^# expect: (.*)$/m.exec(chunk);
      if (!line) throw new Error(`${file}: a document without an "# expect:" line:\n${chunk.slice(0, 200)}`);
      const expect = Object.fromEntries(line[1].trim().split(/\s+/).map((kv) => kv.split("=") as [string, string]));
      for (const [rule, v] of Object.entries(expect)) {
        if (!RULES.some((r) => r.name === rule)) throw new Error(`${file}: unknown rule ${rule}`);
        if (!(VERDICTS as readonly string[]).includes(v)) throw new Error(`${file}: unknown verdict ${v}`);
      }
      const manifest = parse(chunk) as Record<string, any>;
      const type = /^# pulumi-type: (\S+)$/m.exec(chunk)?.[1] ?? pulumiType(manifest);
      cases.push({ file, name: `${type.endsWith("Patch") ? `${manifest.kind}Patch` : manifest.kind}/${manifest.metadata.name}`, manifest, expect, type });
    }
  }
  return cases;
}

const CORPUS = loadCorpus();
/** The rules that see ephemeral containers added through `pods/ephemeralcontainers`. */
const EPHEMERAL_RULES = ["disallow-latest-tag", "disallow-privileged"];

describe("policy corpus", () => {
  it("holds at least 150 manifests covering every kind the pack evaluates, and their patches", () => {
    assert.ok(CORPUS.length >= 150, `only ${CORPUS.length} manifests`);
    const types = new Set(CORPUS.map((c) => c.type));
    for (const k of KINDS) assert.ok(types.has(k.pulumiType), k.pulumiType);
    for (const k of KINDS) assert.ok(types.has(`${k.pulumiType}Patch`), `${k.pulumiType}Patch`);
    for (const v of VERDICTS) assert.ok(CORPUS.some((c) => Object.values(c.expect).includes(v)), `no case expects ${v}`);
    assert.equal(new Set(CORPUS.map((c) => `${c.manifest.kind} ${c.manifest.metadata.namespace ?? "default"}/${c.manifest.metadata.name}`)).size, CORPUS.length, "the Kyverno CLI comparison keys cases by kind, namespace and name");
  });

  it("evaluates the same ValidatingPolicy specs the cluster gets", () => {
    for (const rule of RULES) {
      // Enforcement aside (the pack's enforcementLevel decides what a violation does there).
      const deployed: Record<string, unknown> = { ...KYVERNO.get(rule.name)!.spec };
      const evaluated: Record<string, unknown> = { ...packPolicyObject(rule, PACK_CONFIG[rule.name]).spec };
      for (const o of [deployed, evaluated]) {
        delete o.validationActions;
        delete o.failurePolicy;
      }
      assert.deepEqual(evaluated, deployed, rule.name);
    }
  });

  for (const c of CORPUS) {
    it(`${c.file}: ${c.name} gets ${JSON.stringify(c.expect)}`, () => {
      for (const rule of RULES) {
        const type = c.type;
        const verdict = evaluateResource(rule, PACK_CONFIG[rule.name], type, c.manifest)!;
        const object = toKubernetesObject(type, c.manifest)!;
        const inCluster = evaluatePolicy(KYVERNO.get(rule.name)!, object);
        if (isPatchType(type) && !rule.checksPatches) {
          // Kyverno evaluates the merged object, which the pack does not have.
          assert.equal(verdict.outcome, "skip", `${rule.name} must skip a patch: ${JSON.stringify(verdict)}`);
        } else {
          assert.deepEqual(inCluster, verdict, `${rule.name}: the Kyverno object and the pack disagree`);
        }
        if (object.kind === "Pod" && !isPatchType(type)) {
          // The same Pod as `kubectl debug` updates it: the container rules see it the same way.
          const debug = evaluatePolicy(KYVERNO.get(rule.name)!, object, { operation: "UPDATE", subresource: "ephemeralcontainers" });
          if (EPHEMERAL_RULES.includes(rule.name)) assert.deepEqual(debug, inCluster, `${rule.name} on pods/ephemeralcontainers`);
          else assert.equal(debug.outcome, "skip", `${rule.name} on pods/ephemeralcontainers`);
        }
        const expected = c.expect[rule.name];
        if (expected) assert.equal(verdict.outcome, expected, `${rule.name}: ${JSON.stringify(verdict)}`);
        else assert.ok(verdict.outcome === "pass" || verdict.outcome === "skip", `${rule.name} (not expected to object): ${JSON.stringify(verdict)}`);
        const violations = packViolations(rule.name, type, c.manifest, PACK_CONFIG[rule.name]);
        const reported = verdict.outcome === "deny" || verdict.outcome === "error" ? verdict.messages : [];
        assert.deepEqual(violations, reported, `${rule.name}: the pack's reported violations`);
      }
    });
  }
});
