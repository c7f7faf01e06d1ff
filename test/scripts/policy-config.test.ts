import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { RULES } from "../../policies/rules";
import { PACK_STACKS, packConfigFiles, packConfigPath, POLICY_CONFIG_COMMAND, packConfigText } from "../../scripts/policy-config";
import { ROOT, stackConfig } from "../../tools/stack-config";

type PackConfig = Record<string, Record<string, unknown>>;
/** The dev stack's pack config with `overrides` over its stack file. */
const render = (overrides: Record<string, unknown>): PackConfig => JSON.parse(packConfigText(stackConfig("dev", overrides))) as PackConfig;

describe("policy pack config files (npm run policy:config)", () => {
  it("writes one for each stack the workflows preview, dev and prod, and policies/config/ holds no other", () => {
    assert.deepEqual(PACK_STACKS, ["dev", "prod"]);
    const committed = fs.readdirSync(path.join(ROOT, "policies", "config")).sort();
    assert.deepEqual(committed, PACK_STACKS.map((stack) => `${stack}.json`).sort(), `policies/config/ holds a file no stack writes, or misses one; run ${POLICY_CONFIG_COMMAND}`);
    assert.equal(packConfigPath("prod"), path.join("policies", "config", "prod.json"));
  });

  for (const { file, text } of packConfigFiles()) {
    it(`keeps ${file} exactly as the generator writes it`, () => {
      const committed = fs.readFileSync(path.join(ROOT, file), "utf8");
      assert.equal(committed, text, `${file} is stale: run ${POLICY_CONFIG_COMMAND} (it renders the stack's platform:policy over its profile) and commit the result`);
    });
  }

  it("renders every rule with its level and exactly its settings", () => {
    for (const stack of PACK_STACKS) {
      const config = JSON.parse(packConfigText(stackConfig(stack))) as PackConfig;
      assert.deepEqual(Object.keys(config), RULES.map((r) => r.name), stack);
      for (const r of RULES) assert.deepEqual(Object.keys(config[r.name]), ["enforcementLevel", ...r.settings], `${stack} ${r.name}`);
    }
  });

  it("takes a platform:policy setting of the stack file over the profile's", () => {
    const config = render({ policy: { pvcQuota: "200Gi", enforcement: "Deny" } });
    assert.deepEqual(config["pvc-storage-quota"], { enforcementLevel: "mandatory", pvcQuota: "200Gi", pvcQuotaExceptions: {} });
    assert.equal(config["disallow-latest-tag"].enforcementLevel, "mandatory");
  });

  it("carries the settings the loader derives: the sandbox namespace's RuntimeClass", () => {
    const config = render({ openhands: { sandbox: { runtimeClass: "gvisor" } } });
    assert.deepEqual(config["require-runtime-class"], { enforcementLevel: "mandatory", runtimeClasses: { "openhands-sandboxes": "gvisor" } });
  });

  it("refuses a stack config the program would refuse, with the loader's message", () => {
    assert.throws(() => render({ policy: { pvcQuota: 5 } }), /platform:policy\.pvcQuota/);
  });
});
