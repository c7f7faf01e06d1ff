/*
 * What a `pulumi preview` pays before the program registers its first resource, per
 * TypeScript loader, measured the way Pulumi's Node.js host loads the program:
 *   tsnode-check      Pulumi.yaml `typescript: true` (ts-node, type-checking; the default)
 *   tsnode-transpile  the same with PULUMI_NODEJS_TRANSPILE_ONLY=true
 *   tsx               `typescript: false` with `nodeargs: --import tsx`
 *   register          `typescript: false` with `nodeargs: --require ./scripts/register-ts.cjs`
 *                     (Pulumi.yaml)
 *   sdk               no program: the time to `require("@pulumi/pulumi")`, the floor
 * The node arguments are the caller's (bench/loaders.ts). Each loader keeps a cache: ts-node
 * in the temp directory (on by default, as Pulumi leaves it), tsx too, register-ts in
 * node_modules/.cache; TS_NODE_CACHE=false, TSX_DISABLE_CACHE=1 and PLATFORM_TS_CACHE=off
 * make every run cold, as on a fresh CI machine.
 * Plain JavaScript on purpose: the driver itself must not need a loader.
 * Prints JSON: { mode, firstMs, totalMs } in milliseconds since process start.
 */
const path = require("node:path");
const { performance } = require("node:perf_hooks");

const ROOT = path.resolve(__dirname, "..");
const mode = process.argv[2];
if (mode === "tsnode-check" || mode === "tsnode-transpile") {
  // The same registration Pulumi's run.js performs (vendored ts-node, the project's TypeScript).
  const tsn = require(path.join(ROOT, "node_modules/@pulumi/pulumi/vendor/ts-node@7.0.1"));
  tsn.register({
    compiler: "typescript",
    transpileOnly: mode === "tsnode-transpile",
    cache: process.env.TS_NODE_CACHE !== "false",
    project: path.join(ROOT, "tsconfig.json"),
    compilerOptions: { target: "ES2020", module: "commonjs", moduleResolution: "node", sourceMap: "true" },
  });
} else if (mode !== "tsx" && mode !== "register" && mode !== "sdk") {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

const pulumi = require("@pulumi/pulumi");
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings");
if (mode === "sdk") {
  const ms = performance.now();
  process.stdout.write(JSON.stringify({ mode, firstMs: ms, totalMs: ms }) + "\n");
  process.exit(0);
}
let first;
pulumi.runtime.setAllConfig({ "platform:profile": "dev" }, []);
pulumi.runtime
  .setMocks(
    {
      newResource(a) {
        if (first === undefined) first = performance.now();
        return { id: `${a.name}-id`, state: { ...a.inputs, stdout: "" } };
      },
      call(a) {
        return a.inputs;
      },
    },
    "platform",
    "dev",
    true,
  )
  .then(() => pulumi.runtime.runInPulumiStack(async () => require(path.join(ROOT, "index.ts"))))
  .then(() => waitForRPCs())
  .then(() => {
    process.stdout.write(JSON.stringify({ mode, firstMs: first, totalMs: performance.now() }) + "\n");
  });
