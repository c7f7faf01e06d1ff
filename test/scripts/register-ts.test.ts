import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse } from "yaml";

const ROOT = path.resolve(__dirname, "..", "..");
const LOADER = path.join(ROOT, "scripts", "register-ts.cjs");

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "register-ts-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs `main` (a .ts file) under the loader with its caches in `cache` ("off" for none). */
function run(main: string, cache: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--require", LOADER, main], { encoding: "utf8", env: { ...process.env, PLATFORM_TS_CACHE: cache } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe("scripts/register-ts.cjs", () => {
  it("loads TypeScript with extensionless and directory imports, types erased", () => {
    const dir = project("imports", {
      "main.ts": 'import { greet } from "./lib";\nimport { twice } from "./lib/math";\nconst n: number = twice(21);\nconsole.log(greet(`n=${n}`));\n',
      "lib/index.ts": "export interface Named { name: string }\nexport function greet(s: string): string {\n  return `hello ${s}`;\n}\n",
      "lib/math.ts": "export const twice = (x: number): number => x * 2;\n",
    });
    const r = run(path.join(dir, "main.ts"), path.join(tmp, "cache-imports"));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "hello n=42");
  });

  it("recompiles a file whose source changed, so a run never uses stale JavaScript", () => {
    const dir = project("stale", { "main.ts": 'const v: string = "first";\nconsole.log(v);\n' });
    const cache = path.join(tmp, "cache-stale");
    assert.equal(run(path.join(dir, "main.ts"), cache).stdout, "first");
    assert.equal(run(path.join(dir, "main.ts"), cache).stdout, "first");
    // The same length: only the content differs.
    fs.writeFileSync(path.join(dir, "main.ts"), 'const v: string = "secnd";\nconsole.log(v);\n');
    assert.equal(run(path.join(dir, "main.ts"), cache).stdout, "secnd");
    assert.equal(fs.readdirSync(path.join(cache, "register-ts")).length, 1, "one cache entry per source file, replaced on change");
  });

  it("writes no cache with PLATFORM_TS_CACHE=off", () => {
    const dir = project("off", { "main.ts": "console.log(1 as number);\n" });
    const r = run(path.join(dir, "main.ts"), "off");
    assert.equal(r.stdout, "1");
    assert.deepEqual(fs.readdirSync(dir), ["main.ts"]);
  });

  it("names the .ts file in stack traces", () => {
    const dir = project("stack", { "main.ts": 'export function boom(): never {\n  throw new Error("boom");\n}\nboom();\n' });
    const r = run(path.join(dir, "main.ts"), "off");
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`at boom \\(${path.join(dir, "main.ts").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+:\\d+\\)`));
  });

  for (const project of ["Pulumi.yaml", "test/integration/stack/Pulumi.yaml"]) {
    it(`is what ${project} loads the program with`, () => {
      const file = path.join(ROOT, project);
      const doc = parse(fs.readFileSync(file, "utf8")) as { runtime: { options: { typescript: boolean; nodeargs: string } } };
      assert.equal(doc.runtime.options.typescript, false);
      const args = doc.runtime.options.nodeargs.split(/\s+/);
      assert.equal(args[0], "--require");
      // The language host runs node in the project's directory.
      assert.equal(path.resolve(path.dirname(file), args[1]), LOADER);
    });
  }
});
