import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadPlatformConfig } from "../../config/load";
import { carriesSecret, markSecretInputs, redact, secretLeaves } from "../../config/secret-sections";
import { stackFileConfig } from "../helpers/program";

const PASSWORD = "loki-admin-pw-7f3a9c";
const isSecret = async (v: unknown) => pulumi.isSecret(pulumi.output(v));

describe("config sections stored with --secret", () => {
  const dev = stackFileConfig("dev");
  const observability = (loki: Record<string, unknown>) => JSON.stringify({ loki: { enabled: true, ...loki } });

  it("never print their values in a problem", () => {
    const raw = { ...dev, "platform:observability": observability({ storageSize: PASSWORD }) };
    let error: unknown;
    try {
      loadPlatformConfig(raw, new Set(["platform:observability"]));
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(!error.message.includes(PASSWORD), error.message);
    assert.match(error.message, /platform:observability\.loki\.storageSize/);
    // The same mistake in a plain section names its value: the redaction is the secret's.
    let plain: unknown;
    try {
      loadPlatformConfig(raw, new Set());
    } catch (e) {
      plain = e;
    }
    assert.ok(plain instanceof ConfigError && plain.message.includes(PASSWORD), String(plain));
  });

  it("hide a malformed secret section's text", () => {
    assert.throws(() => loadPlatformConfig({ ...dev, "platform:observability": `{"loki": ${PASSWORD}` }, new Set(["platform:observability"])), (e: Error) => !e.message.includes(PASSWORD) && /the secret value is not shown/.test(e.message));
  });

  it("report their string leaves so resources carrying them are registered as secrets", () => {
    const raw = { ...dev, "platform:observability": observability({ values: { auth: { password: PASSWORD } } }) };
    assert.ok(loadPlatformConfig(raw, new Set(["platform:observability"])).secretLeaves.includes(PASSWORD));
    assert.deepEqual(loadPlatformConfig(raw, new Set()).secretLeaves, []);
  });
});

describe("markSecretInputs", () => {
  const leaves = secretLeaves({ values: { password: PASSWORD }, port: 3100 });

  it("wraps exactly the inputs that carry a secret leaf", async () => {
    const out = markSecretInputs({ values: { loki: { auth: { password: PASSWORD } } }, name: "loki", chart: "loki" }, leaves);
    assert.equal(await isSecret(out.values), true);
    assert.equal(await isSecret(out.name), false);
    assert.equal(out.chart, "loki");
  });

  it("looks into Outputs once they resolve", async () => {
    const out = markSecretInputs({ values: pulumi.output({ nested: [`x-${PASSWORD}-y`] }) }, leaves);
    assert.equal(await isSecret(out.values), true);
  });

  it("ignores short leaves and leaves everything alone without secrets", () => {
    assert.deepEqual(secretLeaves({ a: "dev", b: true, c: 1 }), []);
    const props = { values: { a: PASSWORD } };
    assert.equal(markSecretInputs(props, []), props);
    assert.equal(carriesSecret({ a: ["b", { c: "zzz" }] }, leaves), false);
  });

  it("redacts every occurrence, longest first", () => {
    assert.equal(redact(`got "${PASSWORD}" and ${PASSWORD}`, [PASSWORD, "loki"]), 'got "(secret)" and (secret)');
  });
});
