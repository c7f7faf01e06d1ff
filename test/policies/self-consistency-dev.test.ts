import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkStack } from "./self-consistency";

// One stack per file: Pulumi's runtime is process-global.
describe("the dev stack against its own policies", () => {
  it("registers no Pod, controller, custom resource with pods or PVC that its policies refuse", async () => {
    const { registered, refusals, unaccounted } = await checkStack("dev");
    assert.ok(registered > 0, "the program registered nothing");
    assert.deepEqual(refusals, []);
    // Every privileged namespace is a system namespace or has its charts' host access named.
    assert.deepEqual(unaccounted, []);
  });
});
