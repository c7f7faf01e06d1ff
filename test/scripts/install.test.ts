import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../helpers/program";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const install = require("../../scripts/install.mjs") as {
  packageFolders(root?: string): string[];
  isInstalled(dir: string): boolean;
};

describe("scripts/install.mjs", () => {
  it("finds every package folder with its own lockfile, the policy pack and the operator among them", () => {
    const folders = install.packageFolders(ROOT);
    assert.ok(folders.includes("policies") && folders.includes("operator"), folders.join(", "));
    for (const f of folders) assert.ok(fs.existsSync(path.join(ROOT, f, "package-lock.json")), f);
    assert.deepEqual(folders, [...folders].sort());
  });

  it("ignores folders without a lockfile, node_modules and hidden folders", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "install-test-"));
    try {
      for (const d of ["b", "a", "nolock", "node_modules", ".hidden"]) fs.mkdirSync(path.join(tmp, d));
      for (const d of ["a", "b", "node_modules", ".hidden"]) {
        fs.writeFileSync(path.join(tmp, d, "package.json"), "{}");
        fs.writeFileSync(path.join(tmp, d, "package-lock.json"), "{}");
      }
      fs.writeFileSync(path.join(tmp, "nolock", "package.json"), "{}");
      assert.deepEqual(install.packageFolders(tmp), ["a", "b"]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("counts a folder as installed only while its node_modules matches its current lockfile", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "install-test-"));
    try {
      fs.writeFileSync(path.join(tmp, "package-lock.json"), '{"lockfileVersion":3}');
      assert.equal(install.isInstalled(tmp), false, "no node_modules");
      fs.mkdirSync(path.join(tmp, "node_modules"));
      assert.equal(install.isInstalled(tmp), false, "node_modules without a stamp");
      const hash = spawnSync("sha256sum", [path.join(tmp, "package-lock.json")], { encoding: "utf8" }).stdout.split(" ")[0];
      fs.writeFileSync(path.join(tmp, "node_modules", ".platform-install"), `${hash}\n`);
      assert.equal(install.isInstalled(tmp), true);
      fs.writeFileSync(path.join(tmp, "package-lock.json"), '{"lockfileVersion":3,"changed":true}');
      assert.equal(install.isInstalled(tmp), false, "lockfile changed since the install");
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("refuses an unknown option, naming it", () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "install.mjs"), "--bogus"], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown option --bogus; use --packages or --check, or pass npm flags after --/);
  });

  it("finds the tree the test command installed complete: every folder from its current lockfile", () => {
    // --check installs nothing, so this never runs npm under the tests' feet.
    const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "install.mjs"), "--check"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /npm ci/);
  });

  it("names the folders a changed lockfile makes stale", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "install-test-"));
    try {
      fs.cpSync(path.join(ROOT, "scripts"), path.join(tmp, "scripts"), { recursive: true });
      for (const d of [".", "pkg"]) {
        fs.mkdirSync(path.join(tmp, d, "node_modules"), { recursive: true });
        fs.writeFileSync(path.join(tmp, d, "package.json"), "{}");
        fs.writeFileSync(path.join(tmp, d, "package-lock.json"), "{}");
      }
      const r = spawnSync(process.execPath, [path.join(tmp, "scripts", "install.mjs"), "--check"], { encoding: "utf8" });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /not installed from the current lockfile: \., pkg \(run node scripts\/install\.mjs\)/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("scripts/dev.sh", () => {
  const run = (args: string[], pathDirs: string[]) =>
    spawnSync("bash", [path.join(ROOT, "scripts", "dev.sh"), ...args], { encoding: "utf8", env: { PATH: pathDirs.join(":"), HOME: os.tmpdir() } });

  it("names every missing prerequisite and exits 3 before installing anything", () => {
    const r = run(["up"], ["/usr/bin", "/bin"].filter((d) => fs.existsSync(d)));
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /missing prerequisites/);
    assert.match(r.stderr, /- pulumi: install the Pulumi CLI/);
    assert.match(r.stderr, /- kind: install kind v0\.33\.0 or newer/);
    assert.match(r.stderr, /- docker: /);
    assert.doesNotMatch(r.stderr, /npm ci/);
  });

  it("says when the Docker client is there but no engine answers", () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "dev-sh-"));
    try {
      for (const [tool, body] of [["pulumi", "exit 0"], ["kind", "exit 0"], ["docker", 'echo "Cannot connect to the Docker daemon" >&2; exit 1']]) {
        fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      }
      const r = run(["up"], [bin, path.dirname(process.execPath), "/usr/bin", "/bin"]);
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /docker: the Docker client is installed but no Docker engine answers/);
      assert.doesNotMatch(r.stderr, /pulumi:|kind:/);
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  it("rejects an unknown action with the list of actions", () => {
    const r = run(["launch"], ["/usr/bin", "/bin"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown action 'launch'; use up, preview, destroy or outputs/);
  });
});
