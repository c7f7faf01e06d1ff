import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "./helpers/program";

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string }> };

describe("dependencies", () => {
  it("pins every dependency to an exact version", () => {
    for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }) as [string, string][]) {
      assert.match(range, /^\d+\.\d+\.\d+$/, `${name}@${range} is not pinned`);
    }
  });

  it("has exactly one @pulumi/kubernetes in the tree, kubernetesx included", () => {
    const copies = Object.entries(lock.packages).filter(([p]) => p.endsWith("node_modules/@pulumi/kubernetes"));
    assert.deepEqual(copies.map(([p, v]) => `${p}@${v.version}`), [`node_modules/@pulumi/kubernetes@${pkg.dependencies["@pulumi/kubernetes"]}`]);
    const fromKx = require.resolve("@pulumi/kubernetes/package.json", { paths: [path.join(ROOT, "node_modules", "@pulumi", "kubernetesx")] });
    assert.equal(fromKx, path.join(ROOT, "node_modules", "@pulumi", "kubernetes", "package.json"));
  });

  it("runs on Node 22 or newer and a TypeScript Pulumi can load", () => {
    assert.equal(pkg.engines.node, ">=22");
    assert.match(pkg.devDependencies.typescript, /^(5\.9|6)\./);
    assert.ok(Number(process.versions.node.split(".")[0]) >= 22, `tests run on Node ${process.versions.node}`);
  });
});
