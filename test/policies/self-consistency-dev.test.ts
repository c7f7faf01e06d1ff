import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkStack } from "./self-consistency";

// One stack per file: Pulumi's runtime is process-global.
describe("the dev stack against its own policies", () => {
  it("registers no Pod, controller or PVC that its policies refuse", async () => {
    const { registered, refusals } = await checkStack("dev");
    assert.ok(registered > 0, "the program registered nothing");
    assert.deepEqual(refusals, []);
  });
});
