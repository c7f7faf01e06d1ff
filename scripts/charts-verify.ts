/*
 * npm run charts:verify [-- --stack NAME]... [--charts-dir DIR [--nearest]] [--helm PATH]
 *                          [--report FILE] [--releases FILE]
 *
 * For each stack (dev, prod; --stack restricts), runs the program
 * under mocks for the Helm releases it registers, gets every chart (this repository's,
 * DIR/<chart>-<version>/ with --charts-dir, else `helm pull`), renders it with the
 * program's values, and reports render errors, values.schema.json violations, values keys
 * the chart never reads, and policy pack findings on the objects it renders, with the
 * stack's pack config (policies/config/<stack>.json). --releases FILE verifies the releases
 * in FILE (the JSON scripts/lib/charts-verify-stack.ts writes) as the one --stack instead
 * of running the program. Exit code: 0 clean, 1 something failed, 2 the run could not be
 * done (no network to pull charts, bad arguments, missing dependencies).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { STACKS, type StackRelease } from "./lib/charts-verify";

const ROOT = path.resolve(__dirname, "..");
const STACK_NAMES = Object.keys(STACKS);
/** Releases verified at once: helm is single-threaded per render, CI machines have 2 cores. */
const PARALLEL = 2;

class Usage extends Error {}

interface Args {
  stacks: string[];
  chartsDir?: string;
  helm?: string;
  report?: string;
  releases?: string;
  /** Render the closest older chart version in --charts-dir where the pinned one is missing. */
  nearest?: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { stacks: [] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Usage(`${flag} needs a value`);
      return v;
    };
    if (flag === "--stack") a.stacks.push(value());
    else if (flag === "--charts-dir") a.chartsDir = path.resolve(value());
    else if (flag === "--helm") a.helm = path.resolve(value());
    else if (flag === "--report") a.report = path.resolve(value());
    else if (flag === "--releases") a.releases = path.resolve(value());
    else if (flag === "--nearest") a.nearest = true;
    else throw new Usage(`unknown argument ${flag}`);
  }
  for (const s of a.stacks) if (!STACK_NAMES.includes(s)) throw new Usage(`unknown stack "${s}"; known: ${STACK_NAMES.join(", ")}`);
  if (a.releases && a.stacks.length !== 1) throw new Usage("--releases needs exactly one --stack (whose pack config applies)");
  if (a.chartsDir && !fs.existsSync(a.chartsDir)) throw new Usage(`--charts-dir ${a.chartsDir} does not exist`);
  if (a.nearest && !a.chartsDir) throw new Usage("--nearest needs --charts-dir (it picks among the versions there)");
  if (a.stacks.length === 0) a.stacks = [...STACK_NAMES];
  return a;
}

/** The releases of a stack, from a child process running the program under mocks. */
async function stackReleases(stack: string, scratch: string): Promise<StackRelease[]> {
  const out = path.join(scratch, `releases-${stack}.json`);
  try {
    await promisify(execFile)(process.execPath, ["--import", "tsx", path.join(__dirname, "lib", "charts-verify-stack.ts"), stack, out], { cwd: ROOT, maxBuffer: 64 << 20 });
  } catch (e) {
    throw new Error(`the program failed for stack ${stack}: ${String((e as { stderr?: string }).stderr || (e as Error).message).trim()}`, { cause: e });
  }
  return JSON.parse(fs.readFileSync(out, "utf8")) as StackRelease[];
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!fs.existsSync(path.join(ROOT, "policies", "node_modules"))) {
    console.error("charts:verify: the policy pack's dependencies are missing: run npm ci --prefix policies");
    return 2;
  }
  // Loaded after the check above: the policy pack needs its own dependencies.
  const helmLib = await import("./lib/charts-verify-helm");
  const out = await import("./lib/charts-verify-output");

  const helm = await helmLib.locateHelm(args.helm);
  if (helm.note) console.log(`charts:verify: ${helm.note}`);
  const helmVersion = await helmLib.helmVersion(helm);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "charts-verify-"));
  try {
    const source = args.chartsDir ? { kind: "dir" as const, dir: args.chartsDir, nearest: args.nearest } : { kind: "pull" as const, into: scratch };
    const releasesOf = new Map<string, Promise<StackRelease[]>>(
      args.stacks.map((s) => [s, args.releases ? Promise.resolve(JSON.parse(fs.readFileSync(args.releases, "utf8")) as StackRelease[]) : stackReleases(s, scratch)]),
    );
    for (const p of releasesOf.values()) p.catch(() => undefined);

    // Stacks share releases: each distinct one is verified once.
    const done = new Map<string, Promise<Awaited<ReturnType<typeof helmLib.verifyRelease>>>>();
    const all: { stack: string; results: Awaited<ReturnType<typeof helmLib.verifyRelease>>[] }[] = [];
    console.log(`charts:verify: helm ${helmVersion}, Kubernetes ${helmLib.KUBE_VERSION}, charts from ${args.chartsDir ?? "their repositories (helm pull)"}`);
    for (const stack of args.stacks) {
      const releases = await releasesOf.get(stack)!;
      const pack = STACKS[stack].pack;
      const packConfig = JSON.parse(fs.readFileSync(path.join(ROOT, "policies", "config", `${pack}.json`), "utf8")) as import("./lib/charts-verify-output").PackConfig;
      const apiVersions = helmLib.apiVersionsFor(releases);
      const ctx = { stack, helm, source, apiVersions, packConfig, scratch };
      const verify = (r: StackRelease) => {
        const key = JSON.stringify([pack, apiVersions, r]);
        if (!done.has(key)) done.set(key, helmLib.verifyRelease(ctx, r));
        return done.get(key)!.then((res) => ({ ...res, stack }));
      };
      const pending: ReturnType<typeof verify>[] = [];
      const results: Awaited<ReturnType<typeof verify>>[] = [];
      for (let i = 0; i < releases.length; i++) {
        while (pending.length - results.length < PARALLEL && pending.length < releases.length) pending.push(verify(releases[pending.length]));
        const r = await pending[i];
        results.push(r);
        console.log(out.formatReleaseLine(r));
        for (const line of out.formatDetails(r)) console.log(line);
      }
      all.push({ stack, results });
    }

    console.log("");
    for (const s of all) console.log(out.formatSummary(s.stack, s.results));
    const failed = all.reduce((n, s) => n + out.totals(s.results).failed, 0);
    if (args.report) {
      const info = {
        date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        machine: os.machine(),
        node: process.version,
        helm: helmVersion,
        kubeVersion: helmLib.KUBE_VERSION,
        source: args.chartsDir ? `directory ${args.chartsDir}${args.nearest ? " (--nearest: a missing pin renders the closest older version there, marked below)" : ""}` : "pulled from the chart repositories",
      };
      fs.mkdirSync(path.dirname(args.report), { recursive: true });
      fs.writeFileSync(args.report, out.renderReport(info, all));
      console.log(`report: ${args.report}`);
    }
    return failed > 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof helmLib.NoNetwork) {
      console.error(`\ncharts:verify: cannot download charts, no network (${e.message}).\nPass --charts-dir DIR with the chart sources as DIR/<chart>-<version>/ (dependencies vendored under charts/).`);
      return 2;
    }
    throw e;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`charts:verify: ${e instanceof Usage ? "" : "error: "}${e.message}`);
    process.exit(2);
  },
);
