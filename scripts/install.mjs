#!/usr/bin/env node
/*
 * One install for the whole repository: the root package, then every package folder beside
 * it (a direct subfolder with its own package-lock.json: policies/, operator/, and any added
 * later). Runs on the machine's own Node (>= 20): it is what `npm test` and `npm run dev:up`
 * call before anything else, and what the root package's postinstall calls.
 *
 *   node scripts/install.mjs            install whatever is missing or stale
 *   node scripts/install.mjs --packages only the package folders (the root's postinstall)
 *   node scripts/install.mjs --check    install nothing; list what is stale (exit 1 if any)
 *
 * A folder counts as installed when its node_modules records the same package-lock.json it
 * was installed from (a hash written after a successful `npm ci`). Flags after `--` go to
 * every `npm ci` (e.g. `-- --ignore-scripts`).
 *
 * Why not npm workspaces: a workspace install hoists every package into the root
 * node_modules and keeps one lockfile, so `docker build operator/` (whose context is only that
 * folder) would have no lockfile to `npm ci` from, and the policy pack would resolve
 * @pulumi/pulumi from the program's tree instead of its own. Separate lockfiles keep each
 * folder installable and buildable on its own.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STAMP = ".platform-install";

/** Direct subfolders of the root that are packages of their own (sorted, stable). */
export function packageFolders(root = ROOT) {
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "node_modules" && !d.name.startsWith("."))
    .filter((d) => fs.existsSync(path.join(root, d.name, "package-lock.json")) && fs.existsSync(path.join(root, d.name, "package.json")))
    .map((d) => d.name)
    .sort();
}

function lockHash(dir) {
  return createHash("sha256").update(fs.readFileSync(path.join(dir, "package-lock.json"))).digest("hex");
}

/** Whether `dir`'s node_modules was installed from its current package-lock.json. */
export function isInstalled(dir) {
  try {
    return fs.readFileSync(path.join(dir, "node_modules", STAMP), "utf8").trim() === lockHash(dir);
  } catch {
    return false;
  }
}

function markInstalled(dir) {
  fs.writeFileSync(path.join(dir, "node_modules", STAMP), `${lockHash(dir)}\n`);
}

function npmCi(dir, extra, label) {
  process.stderr.write(`install: npm ci in ${label}\n`);
  const npm = process.env.npm_execpath
    ? [process.execPath, [process.env.npm_execpath]]
    : [process.platform === "win32" ? "npm.cmd" : "npm", []];
  const r = spawnSync(npm[0], [...npm[1], "ci", "--no-audit", "--no-fund", ...extra], { cwd: dir, stdio: "inherit" });
  if (r.error) throw new Error(`install: cannot run npm in ${label}: ${r.error.message} (npm must be on PATH; it comes with Node.js)`);
  if (r.status !== 0) throw new Error(`install: npm ci failed in ${label} (exit ${r.status}); see the output above`);
  markInstalled(dir);
}

function main(argv) {
  const sep = argv.indexOf("--");
  const own = sep < 0 ? argv : argv.slice(0, sep);
  const extra = sep < 0 ? [] : argv.slice(sep + 1);
  const unknown = own.filter((a) => a !== "--packages" && a !== "--check");
  if (unknown.length) throw new Error(`install: unknown option ${unknown[0]}; use --packages or --check, or pass npm flags after --`);
  if (own.includes("--check")) {
    const stale = [ROOT, ...packageFolders().map((n) => path.join(ROOT, n))].filter((d) => !isInstalled(d)).map((d) => path.relative(ROOT, d) || ".");
    if (stale.length) throw new Error(`install: not installed from the current lockfile: ${stale.join(", ")} (run node scripts/install.mjs)`);
    return;
  }
  const [major] = process.versions.node.split(".").map(Number);
  if (major < 20) throw new Error(`install: Node.js ${process.versions.node} is too old; install Node.js 20 or newer (README.md, Prerequisites)`);
  // The root's `npm ci` runs its postinstall, which installs the package folders.
  if (!own.includes("--packages") && !isInstalled(ROOT)) {
    npmCi(ROOT, extra, "the repository root");
    return;
  }
  if (own.includes("--packages") && fs.existsSync(path.join(ROOT, "node_modules"))) markInstalled(ROOT);
  for (const name of packageFolders()) {
    const dir = path.join(ROOT, name);
    if (!isInstalled(dir)) npmCi(dir, extra, `${name}/`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
