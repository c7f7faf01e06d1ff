import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

/*
 * The sandbox server image (sandbox-server/): what it installs is exactly the hash-pinned lock,
 * on an exact base image, as a non-root user, with the version the release reads from
 * package.json. The checks are functions of the files' text, so each is also run against a
 * broken copy to show it fails.
 */

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, "sandbox-server");
const read = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");

/** PEP 503 name normalization. */
const norm = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");

const REQ = /^(?<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?:\[[^\]]*\])?==(?<version>[A-Za-z0-9.+!_-]+)(?:\s*;[^-]*?)?(?<hashes>(?:\s+--hash=sha256:[0-9a-f]{64})+)\s*$/;

/** The lock's requirements (normalized name → version) and every line that is not a pinned, hashed one. */
function parseLock(text: string): { pins: Map<string, string>; problems: string[] } {
  const pins = new Map<string, string>();
  const problems: string[] = [];
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) continue;
    const m = REQ.exec(line);
    if (!m) {
      problems.push(`not ==-pinned with --hash=sha256: ${line.slice(0, 120)}`);
      continue;
    }
    const name = norm(m.groups!.name);
    if (pins.has(name) && pins.get(name) !== m.groups!.version) problems.push(`${name} is pinned twice`);
    pins.set(name, m.groups!.version);
  }
  if (pins.size === 0) problems.push("the lock pins nothing");
  return { pins, problems };
}

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions, comments dropped and continuation lines joined, grouped by stage. */
function parseDockerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const lines = text
    .split(/\r?\n/)
    .filter((l) => !/^\s*#/.test(l))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n");
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ins = { op: m[1].toUpperCase(), args: m[2].trim() };
    if (ins.op === "FROM") stages.push([]);
    if (stages.length === 0) continue;
    stages[stages.length - 1].push(ins);
  }
  return stages;
}

/** ENV instructions as a map (the `KEY=VALUE ...` form). */
function envOf(stage: Instruction[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of stage.filter((i) => i.op === "ENV")) {
    for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S*)/g)) env.set(m[1], m[2].replace(/^"|"$/g, ""));
  }
  return env;
}

/** What is wrong with the Dockerfile: base images, user, and how the lock is installed. */
function dockerfileProblems(text: string, lockFile = "requirements.lock"): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length === 0) return ["no FROM"];
  const stageNames = new Set<string>();
  for (const stage of stages) {
    const [image, as, name] = stage[0].args.split(/\s+/);
    if (stageNames.has(image)) continue;
    const m = /^(?<repo>[a-z0-9./_-]+):(?<tag>[A-Za-z0-9._-]+)(?:@sha256:[0-9a-f]{64})?$/.exec(image);
    if (!m) problems.push(`FROM ${image} has no tag`);
    else if (!/^\d+\.\d+\.\d+(?:-[a-z0-9.-]+)?$/.test(m.groups!.tag)) problems.push(`FROM ${image}: the tag is not an exact x.y.z version`);
    if (as?.toUpperCase() === "AS" && name) stageNames.add(name);
  }
  const final = stages[stages.length - 1];
  const users = final.filter((i) => i.op === "USER");
  const user = users[users.length - 1]?.args;
  if (!user) problems.push("the final stage sets no USER (it would run as root)");
  else if (!/^\d+:\d+$/.test(user)) problems.push(`USER ${user} is not a numeric uid:gid`);
  else if (user.split(":").some((id) => Number(id) === 0)) problems.push(`USER ${user} is root`);
  const runs = stages.flat().filter((i) => i.op === "RUN").map((i) => i.args);
  const installsLock = runs.some(
    (r) => new RegExp(`pip\\b[^&;|]*\\binstall\\b[^&;|]*--require-hashes[^&;|]*-r\\s+${lockFile}\\b`).test(r) || new RegExp(`uv pip sync\\b[^&;|]*\\b${lockFile}\\b`).test(r),
  );
  if (!installsLock) problems.push(`no RUN installs ${lockFile} with --require-hashes (or uv pip sync)`);
  for (const r of runs) {
    for (const cmd of r.split(/&&|;|\|\|/)) {
      if (/\bpip\b.*\binstall\b/.test(cmd) && !/--require-hashes/.test(cmd)) problems.push(`an install without --require-hashes: ${cmd.trim()}`);
    }
  }
  return problems;
}

const lockText = read("requirements.lock");
const lock = parseLock(lockText);
const dockerfile = read("Dockerfile");
const stages = parseDockerfile(dockerfile);
const final = stages[stages.length - 1];
const pkg = JSON.parse(read("package.json"));
const appVersion = lock.pins.get("openhands-ai");

describe("sandbox-server: requirements.lock", () => {
  it("pins openhands-ai 1.11.0 with hashes, the version requirements.in asks for", () => {
    assert.equal(appVersion, "1.11.0");
    assert.match(lockText, /^openhands-ai==1\.11\.0 \\\n(\s+--hash=sha256:[0-9a-f]{64} \\\n)*\s+--hash=sha256:[0-9a-f]{64}\n/m);
    const wanted = read("requirements.in")
      .split("\n")
      .map((l) => l.replace(/#.*$/, "").trim())
      .filter(Boolean);
    assert.deepEqual(wanted, [`openhands-ai==${appVersion}`]);
  });

  it("pins every requirement with == and at least one sha256 hash", () => {
    assert.deepEqual(lock.problems, []);
    assert.ok(lock.pins.size > 100, `${lock.pins.size} packages: openhands-ai pulls about 320`);
    for (const dep of ["openhands-agent-server", "openhands-sdk", "uvicorn", "asyncpg", "pg8000", "aiosqlite"]) assert.ok(lock.pins.has(dep), `${dep} is not in the lock`);
  });

  it("names the command that regenerates it, for Linux on Python 3.12", () => {
    const header = lockText.split("\n").slice(0, 2).join("\n");
    assert.match(header, /^# This file was autogenerated by uv via the following command:\n#\s+uv pip compile requirements\.in .*--output-file requirements\.lock$/);
    assert.match(header, /--python-version 3\.12\b/);
    assert.match(header, /--python-platform (x86_64|aarch64)-manylinux_2_\d+\b/);
    assert.match(header, /--generate-hashes\b/);
  });

  it("rejects a lock line that is not ==-pinned or has no hash", () => {
    const h = `--hash=sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseLock(`a==1.0 \\\n    ${h}\n    # via b\n`).problems, []);
    const ok = `a==1.0 \\\n    ${h}\n`;
    const rejected = (line: string) => parseLock(ok + line).problems.filter((p) => p.startsWith("not ==-pinned")).length;
    assert.equal(rejected(`b==1.0\n`), 1, "no hash");
    assert.equal(rejected(`b>=1.0 \\\n    ${h}\n`), 1, "a range");
    assert.equal(rejected(`b==1.* \\\n    ${h}\n`), 1, "a wildcard");
    assert.equal(rejected(`b==1.0 \\\n    --hash=md5:${"a".repeat(32)}\n`), 1, "not sha256");
    assert.equal(rejected(`-e ./local\n`), 1, "an editable install");
    assert.equal(rejected(`b @ https://example.com/b-1.0.tar.gz\n`), 1, "a URL");
    assert.deepEqual(parseLock(`${ok}a==2.0 \\\n    ${h}\n`).problems, ["a is pinned twice"]);
    assert.deepEqual(parseLock("# only comments\n").problems, ["the lock pins nothing"]);
  });
});

describe("sandbox-server: Dockerfile", () => {
  it("builds from an exact patch tag, runs as uid:gid 10001:10001 and installs only the hash-checked lock", () => {
    assert.deepEqual(dockerfileProblems(dockerfile), []);
    assert.ok(stages.length >= 2, "a build stage and a run stage");
    for (const s of stages) assert.match(s[0].args, /^python:3\.12\.\d+-slim-bookworm\b/);
    assert.equal(final.filter((i) => i.op === "USER").pop()?.args, "10001:10001");
  });

  it("copies only the virtualenv from the build stage, and only the lock into it", () => {
    const copies = final.filter((i) => i.op === "COPY").map((i) => i.args);
    assert.deepEqual(copies, ["--from=build /opt/openhands /opt/openhands"]);
    assert.deepEqual(stages[0].filter((i) => i.op === "COPY").map((i) => i.args), ["requirements.lock ./"]);
    // --no-build-isolation builds the sdist-only packages with the lock's setuptools, so it must be there.
    if (/--no-build-isolation/.test(dockerfile)) assert.ok(lock.pins.has("setuptools"), "the lock has no setuptools to build with");
  });

  it("runs uvicorn on port 3000 with the remote runtime, no frontend and its state in /data", () => {
    const env = envOf(final);
    for (const [k, v] of Object.entries({ RUNTIME: "remote", SERVE_FRONTEND: "false", OH_PERSISTENCE_DIR: "/data", HOME: "/tmp/home", PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1" })) {
      assert.equal(env.get(k), v, k);
    }
    const entry = JSON.parse(final.find((i) => i.op === "ENTRYPOINT")!.args) as string[];
    assert.deepEqual(entry, ["/opt/openhands/bin/uvicorn", "openhands.app_server.app:app", "--host", "0.0.0.0", "--port", "3000"]);
    assert.equal(final.find((i) => i.op === "EXPOSE")?.args, "3000");
    assert.match(dockerfile, /chown 10001:10001 \/data \/tmp\/home/);
  });

  it("rejects a floating tag, a root or named user, and an install that skips the hashes", () => {
    const ok = "FROM python:3.12.13-slim-bookworm AS build\nRUN pip install --require-hashes -r requirements.lock\nFROM python:3.12.13-slim-bookworm\nUSER 10001:10001\n";
    assert.deepEqual(dockerfileProblems(ok), []);
    assert.deepEqual(dockerfileProblems("FROM build AS x\n"), ["FROM build has no tag", "the final stage sets no USER (it would run as root)", "no RUN installs requirements.lock with --require-hashes (or uv pip sync)"]);
    assert.equal(dockerfileProblems(ok.replace(/3\.12\.13-slim-bookworm$/m, "latest")).length, 1, "latest");
    assert.equal(dockerfileProblems(ok.replace(/3\.12\.13-slim-bookworm$/m, "3.12-slim-bookworm")).length, 1, "a minor tag");
    assert.equal(dockerfileProblems(ok.replace("USER 10001:10001", "USER 0:0")).length, 1, "root");
    assert.equal(dockerfileProblems(ok.replace("USER 10001:10001", "USER app")).length, 1, "a named user");
    assert.equal(dockerfileProblems(ok.replace("USER 10001:10001\n", "")).length, 1, "no user");
    assert.equal(dockerfileProblems(ok.replace(" --require-hashes", "")).length, 2, "no hashes");
    assert.equal(dockerfileProblems(`${ok}RUN pip install requests\n`).length, 1, "an extra unhashed install");
    assert.deepEqual(dockerfileProblems(ok.replace("pip install --require-hashes -r requirements.lock", "uv pip sync requirements.lock")), []);
  });
});

describe("sandbox-server: package.json and the test install", () => {
  it("versions the image <openhands-ai version>-<build number> and is no npm package", () => {
    assert.equal(pkg.name, "openhands-sandbox-server");
    assert.equal(pkg.private, true);
    assert.match(pkg.version, new RegExp(`^${appVersion!.replace(/\./g, "\\.")}-[1-9]\\d*$`));
    for (const k of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "scripts", "workspaces"]) assert.equal(pkg[k], undefined, k);
    // Without a package-lock.json, scripts/install.mjs does not take the folder for an npm package.
    assert.equal(fs.existsSync(path.join(DIR, "package-lock.json")), false);
  });

  it("keeps the build context to the lock", () => {
    const ignore = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    assert.deepEqual(ignore, ["*", "!requirements.lock"]);
  });

  it("has the integration tests' virtualenv installed from the same lock, the version read from it", () => {
    const sh = fs.readFileSync(path.join(ROOT, "test", "integration", "tools", "openhands.sh"), "utf8");
    assert.match(sh, /sandbox-server\/requirements\.lock/);
    assert.match(sh, /--require-hashes/);
    assert.doesNotMatch(sh, /OPENHANDS_AI_VERSION=["']?\d/, "a second hard-coded openhands-ai version");
    assert.doesNotMatch(sh, /openhands-ai==\$/, "an install by name instead of from the lock");
  });
});
