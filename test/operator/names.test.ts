import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { childNames, isValidFleetName, MAX_FLEET_NAME, modelSlug } from "../../operator/src/names";

const hash6 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 6);

describe("modelSlug", () => {
  it("turns the contract's examples into readable names with a hash suffix", () => {
    assert.equal(modelSlug("qwen2.5-coder:0.5b"), `qwen2-5-coder-0-5b-${hash6("qwen2.5-coder:0.5b")}`);
    assert.equal(modelSlug("library/llama3:70b"), `library-llama3-70b-${hash6("library/llama3:70b")}`);
  });

  it("gives near-identical models different names", () => {
    const models = ["qwen2.5-coder:0.5b", "qwen2.5-coder:0-5b", "qwen2-5-coder:0.5b", "Qwen2.5-coder:0.5b", "qwen2.5-coder/0.5b", "qwen2.5-coder:0.5b "];
    const slugs = models.map(modelSlug);
    assert.equal(new Set(slugs).size, models.length, slugs.join(" "));
  });

  it("keeps long references within 52 characters, a valid fleet name", () => {
    for (const m of ["hf.co/bartowski/Qwen2.5-Coder-32B-Instruct-GGUF:Q4_K_M", "a".repeat(300), `${"x-".repeat(40)}y`, "01-ai/yi:34b", "::", "0"]) {
      const s = modelSlug(m);
      assert.ok(s.length <= MAX_FLEET_NAME, `${m} → ${s}`);
      assert.ok(isValidFleetName(s), `${m} → ${s}`);
      assert.ok(s.endsWith(`-${hash6(m)}`), s);
    }
  });

  it("starts names with a letter, as Service names must", () => {
    assert.equal(modelSlug("01-ai/yi:34b"), `m-01-ai-yi-34b-${hash6("01-ai/yi:34b")}`);
  });

  it("is stable: the same model always gets the same name", () => {
    assert.equal(modelSlug("llama3.1:8b"), modelSlug("llama3.1:8b"));
    assert.equal(modelSlug("llama3.1:8b"), `llama3-1-8b-${hash6("llama3.1:8b")}`);
  });
});

describe("fleet names", () => {
  it("accepts DNS-1035 labels up to 52 characters only", () => {
    assert.equal(isValidFleetName("coder"), true);
    assert.equal(isValidFleetName("a".repeat(52)), true);
    assert.equal(isValidFleetName("a".repeat(53)), false);
    assert.equal(isValidFleetName("1coder"), false);
    assert.equal(isValidFleetName("Coder"), false);
    assert.equal(isValidFleetName("coder-"), false);
  });

  it("names the children after the fleet and the endpoint after its Service", () => {
    const n = childNames("coder", "ollama");
    assert.deepEqual([n.statefulSet, n.service, n.podDisruptionBudget, n.scaledObject], ["coder", "coder", "coder", "coder"]);
    assert.equal(n.endpoint, "http://coder.ollama.svc.cluster.local:11434/v1");
  });
});
