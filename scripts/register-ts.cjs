/*
 * Loads the program's TypeScript with nothing in between for JavaScript: Pulumi.yaml runs
 * `node --require ./scripts/register-ts.cjs`, which makes `.ts` files loadable and leaves
 * every `.js` file (the 1,100 modules of the Pulumi SDKs) to Node itself.
 *
 * Each `.ts` file is transpiled once (no type-check: `npm run typecheck` does that) and the
 * output kept in node_modules/.cache/register-ts/, keyed by the file's content, tsconfig.json,
 * the transpiler's version and this file: an edited source is recompiled on its next load, so
 * the program never runs stale JavaScript, and there is no build step to forget.
 * Node's compile cache (node_modules/.cache/v8-compile) keeps V8's bytecode of every module,
 * the SDKs' too, keyed by content as well. PLATFORM_TS_CACHE=<dir> keeps both caches in
 * <dir> instead; PLATFORM_TS_CACHE=off turns them off (a fresh machine's first run).
 *
 * Why not tsx: it routes every `.js` require through its own loader (reading the file and
 * scanning it for ESM syntax), and turns source maps on, which formats in JavaScript every
 * stack the Pulumi SDK captures (one per promise); together about half of the time to the
 * first registered resource (README, "Runtime"). Stack traces here name the `.ts` file and
 * the transpiled line; each file carries an inline source map, so
 * NODE_OPTIONS=--enable-source-maps gives TypeScript lines, at that cost. Plain JavaScript on
 * purpose: it is what makes TypeScript loadable.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const setting = process.env.PLATFORM_TS_CACHE ?? "";
const CACHING = setting !== "off";
const CACHE_ROOT = setting && CACHING ? path.resolve(setting) : path.join(ROOT, "node_modules", ".cache");
const CACHE = path.join(CACHE_ROOT, "register-ts");

if (CACHING) Module.enableCompileCache?.(path.join(CACHE_ROOT, "v8-compile"));
// esbuild, the transpiler tsx uses (resolved through tsx, the project's dependency): the
// program compiles exactly as it did under tsx, and a cold start costs no TypeScript compiler.
const ESBUILD = require.resolve("esbuild", { paths: [path.dirname(require.resolve("tsx/package.json"))] });
const TSCONFIG = fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8");
const SALT = [fs.readFileSync(__filename, "utf8"), TSCONFIG, require(path.join(path.dirname(ESBUILD), "..", "package.json")).version].join("\0");

function transpile(source, filename) {
  return require(ESBUILD).transformSync(source, {
    loader: "ts",
    format: "cjs",
    platform: "node",
    target: `node${process.versions.node.split(".")[0]}`,
    sourcefile: filename,
    sourcemap: "inline",
    tsconfigRaw: TSCONFIG,
  }).code;
}

function compiled(source, filename) {
  if (!CACHING) return transpile(source, filename);
  const key = crypto.createHash("sha256").update(SALT).update("\0").update(filename).update("\0").update(source).digest("hex");
  const file = path.join(CACHE, `${crypto.createHash("sha256").update(filename).digest("hex").slice(0, 32)}.js`);
  const header = `// ${key}\n`;
  try {
    const cached = fs.readFileSync(file, "utf8");
    if (cached.startsWith(header)) return cached.slice(header.length);
  } catch {
    // Not compiled yet.
  }
  const js = transpile(source, filename);
  // Written aside and renamed, so that concurrent runs never read half a file.
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, header + js);
  fs.renameSync(tmp, file);
  return js;
}

Module._extensions[".ts"] = function load(module, filename) {
  module._compile(compiled(fs.readFileSync(filename, "utf8"), filename), filename);
};
