import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { cleanUp, dryRunAll, formatReport, stackObjects, type Created, type DryRunResult } from "./dry-run";

/**
 * The server-side dry-run suite for one stack. Each stack gets its own test file (Pulumi's
 * runtime is process-global, and the runner gives each file a process) calling this.
 */
export function dryRunSuite(stack: "dev" | "prod"): void {
  describe(`the ${stack} stack's objects on a real API server`, () => {
    let results: DryRunResult[] = [];
    let created: Created | undefined;
    before(async () => {
      ({ results, created } = await dryRunAll(await stackObjects(stack)));
      console.log(formatReport(stack, results));
    });
    after(async () => {
      if (created) await cleanUp(created);
    });

    it("are all accepted by server-side apply (dry run, strict field validation)", () => {
      const rejected = results.filter((r) => r.outcome === "rejected").map((r) => `${r.object}: ${r.detail}`);
      assert.deepEqual(rejected, []);
    });

    it("include objects of every core kind the program emits, checked for real", () => {
      assert.ok(results.some((r) => r.outcome === "accepted"), "no object reached the server");
      assert.ok(results.some((r) => r.object.includes(" Namespace ") && r.outcome === "created"), "no namespace was created");
    });

    it("name the chart of every kind whose CRD is not installed here", () => {
      for (const r of results.filter((x) => x.outcome === "skipped")) assert.match(r.detail, /^CRD comes from .+, not installed here$/);
    });
  });
}
