import assert from "node:assert/strict";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { renderValidatingPolicies, type PolicyConfig } from "../../components/policy";
import { toKubernetesObject } from "../../policies/engine/resources";
import { evaluateResource, renderPackConfig } from "../../policies/pack";
import { DEFAULT_POLICY_SETTINGS, RULES } from "../../policies/rules";
import { ROOT, stackConfig } from "../helpers/program";
import { pulumiType } from "../policies/helpers";
import { caseKey, kyvernoVerdicts, kyvernoVersion, loadCorpus, type Outcome } from "./helpers/kyverno";

/*
 * Item 4: the policy corpus through the Kyverno CLI and through the CrossGuard pack, with
 * the policies rendered for the corpus' settings and for the dev and prod profiles. Every
 * (manifest, rule) pair must get the same verdict from both; the table shows each case.
 * Skipped, with the reason, when the CLI was not built (`build-tools.sh kyverno`).
 */

const CORPUS = loadCorpus(path.join(ROOT, "test", "policies", "corpus"));
// test/policies/corpus.test.ts's settings: the defaults, plus a 500Gi exception for bulk-data
// and RuntimeClass gvisor required in openhands-sandboxes (corpus/runtime-class.yaml).
const CORPUS_SETTINGS: PolicyConfig = { ...DEFAULT_POLICY_SETTINGS, pvcQuotaExceptions: { "bulk-data": "500Gi" }, runtimeClasses: { "openhands-sandboxes": "gvisor" }, enforcement: "Deny" };
// The policy settings of the dev and prod stacks, as their stack files configure them.
const profile = (stack: "dev" | "prod"): PolicyConfig => stackConfig(stack).policy;
const SETTINGS: [string, PolicyConfig][] = [
  ["corpus", CORPUS_SETTINGS],
  ["dev", profile("dev")],
  ["prod", profile("prod")],
];

const short = (o: Outcome) => ({ pass: "pass", skip: "skip", deny: "DENY", error: "ERR" })[o];

describe("the policy corpus through the Kyverno CLI", () => {
  let version: string | undefined;
  before(async () => {
    version = await kyvernoVersion();
    if (!version) console.log("kyverno CLI not built: run `BUILD_KYVERNO=1 test/integration/tools/build-tools.sh` (or `build-tools.sh kyverno`) to compare it with the CrossGuard pack");
    else console.log(`kyverno CLI: ${version}`);
  });

  for (const [label, settings] of SETTINGS) {
    it(`agrees with the CrossGuard pack on every case (${label} settings)`, async (t) => {
      if (!version) return t.skip("kyverno CLI not built (build-tools.sh kyverno)");
      // Kyverno in a cluster sees objects as admission hands them over: numeric quantities
      // already strings. The pack evaluates the same view (policies/engine/resources.ts).
      const admitted = CORPUS.map((c) => toKubernetesObject(pulumiType(c.manifest), c.manifest)!);
      const policies = renderValidatingPolicies(settings);
      const kyverno = await kyvernoVerdicts(policies, admitted);
      const packConfig = renderPackConfig(settings, settings.enforcement) as Record<string, Record<string, unknown>>;
      const lines = [`${"case".padEnd(58)} ${RULES.map((r) => r.name.padEnd(24)).join("")}`];
      const disagreements: string[] = [];
      for (const c of CORPUS) {
        const key = caseKey(c.manifest);
        const cells = RULES.map((rule) => {
          const pack = evaluateResource(rule, packConfig[rule.name], pulumiType(c.manifest), c.manifest)?.outcome ?? "skip";
          const kyv = kyverno.get(key)?.get(rule.name) ?? { outcome: "skip" as Outcome };
          if (pack !== kyv.outcome) disagreements.push(`${c.file} ${key} ${rule.name}: pack ${pack}, kyverno ${kyv.outcome}${kyv.message ? ` (${kyv.message})` : ""}`);
          return (pack === kyv.outcome ? short(pack) : `${short(pack)}≠${short(kyv.outcome)}!`).padEnd(24);
        });
        lines.push(`${`${c.file} ${key}`.slice(0, 57).padEnd(58)} ${cells.join("")}`);
      }
      console.log(`kyverno apply vs CrossGuard, ${label} settings (pack≠kyverno! marks a disagreement):\n${lines.join("\n")}`);
      console.log(`${label}: ${CORPUS.length * RULES.length - disagreements.length}/${CORPUS.length * RULES.length} verdicts agree`);
      if (label === "corpus") {
        // What `kyverno apply` says of the manifests as written (numbers where quantities go),
        // for anyone running the CLI on raw YAML: information, not a verdict of the cluster.
        const raw = await kyvernoVerdicts(policies, CORPUS.map((c) => c.manifest));
        const differ = [...raw].flatMap(([key, rules]) =>
          [...rules].filter(([rule, v]) => v.outcome !== kyverno.get(key)?.get(rule)?.outcome).map(([rule, v]) => `  ${key} ${rule}: ${v.outcome}${v.message ? ` (${v.message})` : ""}`),
        );
        console.log(`kyverno apply on the raw YAML differs from the admitted objects in ${differ.length} verdict(s)${differ.length ? ":\n" + differ.join("\n") : ""}`);
      }
      assert.deepEqual(disagreements, []);
    });
  }
});
