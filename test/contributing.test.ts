import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const ROOT = path.resolve(__dirname, "..");
const TEXT = fs.readFileSync(path.join(ROOT, "CONTRIBUTING.md"), "utf8");
const CODE = [...TEXT.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe("CONTRIBUTING.md", () => {
  it("names only files and folders that exist", () => {
    const paths = CODE.filter((c) => /^[\w.-]+(\/[\w.*-]+)*\/?$/.test(c) && /\/|\.(ts|md|json|yaml)$/.test(c) && !c.includes("*"));
    assert.ok(paths.length >= 20, `only ${paths.length} paths found`);
    const missing = paths.filter((p) => !fs.existsSync(path.join(ROOT, p)));
    assert.deepEqual(missing, [], `CONTRIBUTING.md names files that do not exist: ${missing.join(", ")}`);
  });

  it("runs only npm scripts that package.json defines", () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const used = [...TEXT.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
    assert.ok(used.includes("policy:config") && used.includes("charts:verify"));
    assert.deepEqual(used.filter((s) => !(s in scripts)), []);
  });

  it("is linked from the README", () => {
    assert.match(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"), /\(CONTRIBUTING\.md\)/);
  });
});
