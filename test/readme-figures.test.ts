import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { machineInfo, readmeFigureProblems, readResults, renderResults } from "../bench/results";

const ROOT = path.resolve(__dirname, "..");

const RESULTS = new Map([["results/bench.md", "# npm run bench\n\n```text\ndev           94               615    585    653\nprod          93               660    523    684\n```\n"]]);

const readme = (...lines: string[]) => ["# Project", "", "## Runtime", "", ...lines, "", "## Other", "", "It took 3 s to write."].join("\n");

describe("README benchmark figures", () => {
  it("quotes only lines the results files contain, and types none by hand", () => {
    const problems = readmeFigureProblems(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), readResults());
    assert.deepEqual(problems, []);
  });

  it("accepts a block quoting lines of its results file", () => {
    assert.deepEqual(readmeFigureProblems(readme("Measured by `npm run bench`:", "", "```text results/bench.md", "dev           94               615    585    653", "```"), RESULTS), []);
  });

  it("rejects a quoted line the results file does not contain", () => {
    assert.deepEqual(readmeFigureProblems(readme("```text results/bench.md", "dev           94               600    585    653", "```"), RESULTS), [
      "README.md:6: not a line of results/bench.md: dev           94               600    585    653",
    ]);
  });

  it("rejects a quote of a results file that does not exist", () => {
    assert.deepEqual(readmeFigureProblems(readme("```text results/bench-operator.md", "anything", "```"), RESULTS), ["README.md:5: quotes results/bench-operator.md, which does not exist"]);
  });

  it("rejects a figure typed by hand in a measured section, and only there", () => {
    assert.deepEqual(readmeFigureProblems(readme("The dev stack evaluates in about 0.9 s, 3.1× faster, using 4.4 GiB."), RESULTS), [
      'README.md:5: figure "0.9 s" in "Runtime" typed by hand; quote it from results/ instead',
      'README.md:5: figure "3.1×" in "Runtime" typed by hand; quote it from results/ instead',
      'README.md:5: figure "4.4 GiB" in "Runtime" typed by hand; quote it from results/ instead',
    ]);
  });

  it("writes the date, the machine and each block into a results file", () => {
    const text = renderResults("npm run bench", { date: "2026-12-01T22:00:00Z", cpus: "2 × Example CPU", memory: "7.8 GiB", node: "v24.21.0", load: "1.00, 2.00, 3.00" }, ["\ntable one\n", "table two"]);
    assert.equal(
      text,
      [
        "# npm run bench",
        "",
        "Written by `npm run bench`; do not edit (the README quotes lines of it, test/readme-figures.test.ts checks them).",
        "",
        "- Date (UTC): 2026-12-01T22:00:00Z",
        "- CPUs: 2 × Example CPU",
        "- Memory: 7.8 GiB",
        "- Node: v24.21.0",
        "- Load average at start (1, 5, 15 min): 1.00, 2.00, 3.00",
        "",
        "```text",
        "table one",
        "```",
        "",
        "```text",
        "table two",
        "```",
        "",
      ].join("\n"),
    );
  });

  it("describes this machine in the same form", () => {
    const m = machineInfo();
    assert.match(m.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(m.cpus, /^\d+ × .+/);
    assert.match(m.memory, /^\d+\.\d GiB$/);
    assert.equal(m.node, process.version);
    assert.match(m.load, /^\d+\.\d\d, \d+\.\d\d, \d+\.\d\d$/);
  });
});
