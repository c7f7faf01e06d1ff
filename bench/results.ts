/*
 * Benchmark results that cannot go stale: `npm run bench` and `npm run bench:operator` write
 * what they print to results/<name>.md (date, machine, every table), and the README quotes
 * those files instead of retyping figures. test/readme-figures.test.ts holds the README to it
 * with {@link readmeFigureProblems}.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The repository's results directory. */
export const RESULTS_DIR = path.resolve(__dirname, "..", "results");

/** Where and when a benchmark ran, taken when it starts (the load average is the start's). */
export interface MachineInfo {
  /** ISO 8601, UTC, to the second. */
  date: string;
  cpus: string;
  memory: string;
  node: string;
  load: string;
}

/** The machine as it is now. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model.trim()))].join(", ") || os.arch();
  return {
    date: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    cpus: `${cpus.length} × ${models}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(", "),
  };
}

/** The Markdown of a results file: a header naming the command and machine, then each block as text. */
export function renderResults(command: string, machine: MachineInfo, blocks: readonly string[]): string {
  const out = [
    `# ${command}`,
    "",
    `Written by \`${command}\`; do not edit (the README quotes lines of it, test/readme-figures.test.ts checks them).`,
    "",
    `- Date (UTC): ${machine.date}`,
    `- CPUs: ${machine.cpus}`,
    `- Memory: ${machine.memory}`,
    `- Node: ${machine.node}`,
    `- Load average at start (1, 5, 15 min): ${machine.load}`,
    "",
  ];
  for (const b of blocks) out.push("```text", b.replace(/^\n+|\n+$/g, ""), "```", "");
  return out.join("\n");
}

/** Writes results/<file>: see {@link renderResults}. Returns the path written. */
export function writeResults(file: string, command: string, machine: MachineInfo, blocks: readonly string[]): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const target = path.join(RESULTS_DIR, file);
  fs.writeFileSync(target, renderResults(command, machine, blocks));
  return target;
}

/**
 * Records every line `console.log` prints from now on (still printing it), so a benchmark's
 * tables reach its results file exactly as the terminal shows them. `stop()` restores
 * console.log and returns the text.
 */
export function recordConsole(): { stop(): string } {
  const original = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => {
    original(...args);
    lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  };
  return {
    stop() {
      console.log = original;
      return lines.join("\n");
    },
  };
}

/** Sections of the README whose figures all come from benchmarks. */
export const MEASURED_SECTIONS = ["Runtime", "Benchmarks"];

/**
 * A figure of a measurement: a number with a unit of time, memory, CPU or a ratio
 * (`2.4 s`, `1302 ms`, `4.4 GiB`, `2000m CPU`, `3.1×`, `1%`).
 */
const FIGURE = /\b\d[\d,]*(?:\.\d+)?\s?(?:ms|s|min|GiB|MiB|KiB|m CPU|CPU|×|x\b|%)(?![\w-])/g;

/**
 * What is wrong with the README's benchmark figures, one line per problem (empty when
 * none). The README quotes benchmark output in fenced blocks whose info string names the
 * results file (```` ```text results/bench.md ````): every non-empty line of such a block
 * must be a line of that file, verbatim. In {@link MEASURED_SECTIONS}, prose outside those
 * blocks quotes no figure at all: a number there would be typed by hand, and go stale.
 */
export function readmeFigureProblems(readme: string, results: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const lines = readme.split("\n");
  let section = "";
  let quoting: { file: string; lines: Set<string> | undefined } | undefined;
  let fenced = false;
  lines.forEach((line, i) => {
    const at = `README.md:${i + 1}`;
    const fence = /^\s*```(.*)$/.exec(line);
    if (fence) {
      if (fenced) {
        fenced = false;
        quoting = undefined;
        return;
      }
      fenced = true;
      const file = /\bresults\/[\w.-]+\.md\b/.exec(fence[1])?.[0];
      if (file) {
        const text = results.get(file);
        if (text === undefined) problems.push(`${at}: quotes ${file}, which does not exist`);
        quoting = { file, lines: text === undefined ? undefined : new Set(text.split("\n").map((l) => l.trimEnd())) };
      }
      return;
    }
    if (fenced) {
      if (quoting?.lines && line.trim() !== "" && !quoting.lines.has(line.trimEnd())) {
        problems.push(`${at}: not a line of ${quoting.file}: ${line.trim()}`);
      }
      return;
    }
    const heading = /^## (.+)$/.exec(line);
    if (heading) section = heading[1].trim();
    if (!MEASURED_SECTIONS.includes(section) || heading) return;
    for (const m of line.matchAll(FIGURE)) {
      problems.push(`${at}: figure "${m[0]}" in "${section}" typed by hand; quote it from results/ instead`);
    }
  });
  return problems;
}

/** Every results/*.md file, keyed `results/<name>.md`. */
export function readResults(dir = RESULTS_DIR): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (f.endsWith(".md")) out.set(`results/${f}`, fs.readFileSync(path.join(dir, f), "utf8"));
  }
  return out;
}
