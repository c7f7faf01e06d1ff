/*
 * Pure parts of `npm run charts:verify` around helm: telling its errors apart, reading its
 * multi-document output, holding rendered pods to the policy pack, and the console and
 * Markdown output.
 */
import { parseAllDocuments } from "yaml";
import { evaluatePolicy } from "../../policies/engine/evaluate";
import { kindOf, toKubernetesObject } from "../../policies/engine/resources";
import { packPolicyObject } from "../../policies/pack";
import { RULES } from "../../policies/rules";
import { formatPath, type ValuePath } from "./charts-verify";

/** What `helm template` refused, told apart: a values.schema.json violation or anything else. */
export type HelmFailure = { kind: "schema"; violations: string[] } | { kind: "render"; message: string };

/**
 * Classifies helm's stderr. Helm validates values.schema.json before rendering and reports
 * `values don't meet the specifications of the schema(s) in the following chart(s):`, then
 * per chart its name and one `- at '/path': reason` line per violation.
 */
export function classifyHelmError(stderr: string): HelmFailure {
  const text = stderr.replace(/\r/g, "").trim();
  const marker = /values don't meet the specifications of the schema\(s\) in the following chart\(s\):\n/.exec(text);
  if (marker) {
    const violations: string[] = [];
    let chart = "";
    for (const raw of text.slice(marker.index + marker[0].length).split("\n")) {
      const line = raw.trim();
      if (line === "" || line.startsWith("Use --debug")) continue;
      const v = /^- (.*)$/.exec(line);
      if (v) violations.push(chart ? `${chart}: ${v[1]}` : v[1]);
      else if (line.endsWith(":")) chart = line.slice(0, -1);
      else violations.push(chart ? `${chart}: ${line}` : line);
    }
    return { kind: "schema", violations: violations.length > 0 ? violations : [text] };
  }
  const message = text
    .split("\n")
    .filter((l) => !l.startsWith("Use --debug flag"))
    .join("\n")
    .replace(/^Error: /, "")
    .trim();
  return { kind: "render", message: message || "helm template failed without a message" };
}

/** One object of a render, with the template it came from. */
export interface Manifest {
  /** `# Source:` of the document (`loki/templates/gateway.yaml`). */
  source: string;
  object: Record<string, unknown>;
}

/** The objects of `helm template` output; empty documents (templates rendering nothing) are dropped. */
export function parseManifests(output: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(output)) {
    if (doc.errors.length > 0) throw new Error(`helm output is not YAML: ${doc.errors[0].message}`);
    const object = doc.toJS() as unknown;
    if (object === null || typeof object !== "object" || Array.isArray(object)) continue;
    const source = /Source: (\S+)/.exec(`${doc.commentBefore ?? ""}\n${doc.contents?.commentBefore ?? ""}`)?.[1] ?? "";
    out.push({ source, object: object as Record<string, unknown> });
  }
  return out;
}

/** A stack's pack config (`policies/config/<stack>.json`): per rule its level and settings. */
export type PackConfig = Record<string, { enforcementLevel?: string } & Record<string, unknown>>;

/** A rule's verdict on a rendered object that is not a pass. */
export interface PolicyFinding {
  rule: string;
  level: "mandatory" | "advisory";
  /** `Deployment monitoring/loki-gateway`. */
  object: string;
  source: string;
  messages: string[];
}

/**
 * Evaluates every rendered object the pack evaluates (pods, their controllers, PVCs) with
 * every rule of the stack's pack config, as CrossGuard would if it saw inside the release.
 * An object that names no namespace goes into the release's, as Helm installs it. A deny
 * or an error (the pack fails closed) is a finding; rules at `disabled` are skipped.
 */
export function evaluateManifests(manifests: readonly Manifest[], releaseNamespace: string, config: PackConfig): PolicyFinding[] {
  const policies = RULES.flatMap((rule) => {
    const c = config[rule.name];
    const level = c?.enforcementLevel ?? "mandatory";
    if (level === "disabled") return [];
    return [{ rule, level: (level === "advisory" ? "advisory" : "mandatory") as PolicyFinding["level"], policy: packPolicyObject(rule, c ?? {}) }];
  });
  const findings: PolicyFinding[] = [];
  for (const m of manifests) {
    const info = kindOf(m.object);
    if (!info) continue;
    const md = (m.object.metadata ?? {}) as { name?: string; namespace?: string };
    const namespace = md.namespace || releaseNamespace;
    const object = toKubernetesObject(info.pulumiType, { ...m.object, metadata: { ...md, namespace } })!;
    for (const p of policies) {
      const v = evaluatePolicy(p.policy, object);
      if (v.outcome === "deny" || v.outcome === "error") {
        findings.push({ rule: p.rule.name, level: p.level, object: `${info.kind} ${namespace}/${md.name ?? "?"}`, source: m.source, messages: v.messages });
      }
    }
  }
  return findings;
}

/** A values key nothing reads, and how that was established. */
export interface UnreadKey {
  path: ValuePath;
  /** `probe`: not in the defaults and perturbing it leaves the render unchanged; `disabled`: under a subchart Helm skips. */
  why: { kind: "probe" } | { kind: "disabled"; subchart: ValuePath; condition: ValuePath };
}

/** Everything found for one release. */
export interface ReleaseResult {
  stack: string;
  release: string;
  chart: string;
  version: string;
  /** Chart source problems and render errors (helm messages). */
  renderErrors: string[];
  schemaViolations: string[];
  unread: UnreadKey[];
  /** Keys not in the defaults whose probe could not be trusted (a render that changes by itself). */
  unverified: ValuePath[];
  policy: PolicyFinding[];
  /** The chart version rendered instead of the pinned one (`--nearest`): a warning. */
  substitute?: string;
  /** Objects rendered and leaf keys checked, for the record. */
  objects: number;
  keys: number;
  /** Extra renders the unread-key check took. */
  probes: number;
}

/** Failures count against the exit code; advisory findings and unverified keys are warnings. */
export function failures(r: ReleaseResult): number {
  return r.renderErrors.length + r.schemaViolations.length + r.unread.length + r.policy.filter((p) => p.level === "mandatory").length;
}

export function warnings(r: ReleaseResult): number {
  return r.unverified.length + r.policy.filter((p) => p.level === "advisory").length + (r.substitute ? 1 : 0);
}

export function status(r: ReleaseResult): "ok" | "warn" | "FAIL" {
  return failures(r) > 0 ? "FAIL" : warnings(r) > 0 ? "warn" : "ok";
}

function counts(r: ReleaseResult): string {
  const mandatory = r.policy.filter((p) => p.level === "mandatory").length;
  const advisory = r.policy.length - mandatory;
  return `render ${r.renderErrors.length}, schema ${r.schemaViolations.length}, unread ${r.unread.length}, policy ${mandatory}${advisory ? ` (+${advisory} advisory)` : ""}${r.unverified.length ? `, unverified ${r.unverified.length}` : ""}`;
}

/** `prod  loki  loki@18.11.0  FAIL  render 0, schema 0, unread 1, policy 0`, padded to columns. */
export function formatReleaseLine(r: ReleaseResult): string {
  return `${r.stack.padEnd(20)} ${r.release.padEnd(24)} ${chartLabel(r).padEnd(36)} ${status(r).padEnd(4)}  ${counts(r)}`;
}

/** `loki@18.11.0`, or `cilium@1.20.2 as 1.20.0` when another version was rendered. */
function chartLabel(r: ReleaseResult): string {
  return `${r.chart}@${r.version}${r.substitute ? ` as ${r.substitute}` : ""}`;
}

function substituteText(r: ReleaseResult): string {
  return `the pinned ${r.chart} ${r.version} had no chart source; rendered ${r.substitute}, the closest older version (--nearest)`;
}

function unreadText(u: UnreadKey): string {
  return u.why.kind === "disabled"
    ? `${formatPath(u.path)}: subchart ${formatPath(u.why.subchart)} is disabled (${formatPath(u.why.condition)} is false), so Helm never renders it`
    : `${formatPath(u.path)}: not in the chart's defaults, and changing it leaves the render byte-identical`;
}

function policyText(p: PolicyFinding): string {
  return `${p.rule} [${p.level}] ${p.object}${p.source ? ` (${p.source})` : ""}: ${p.messages.join("; ")}`;
}

/** Each problem of a release on its own line, indented under the release line. */
export function formatDetails(r: ReleaseResult): string[] {
  return [
    ...(r.substitute ? [`    substituted   ${substituteText(r)}`] : []),
    ...r.renderErrors.map((e) => `    render error  ${e.replace(/\n/g, "\n                  ")}`),
    ...r.schemaViolations.map((v) => `    schema        ${v}`),
    ...r.unread.map((u) => `    unread        ${unreadText(u)}`),
    ...r.unverified.map((p) => `    unverified    ${formatPath(p)}: not in the chart's defaults, and the chart renders differently every time, so no probe can tell`),
    ...r.policy.map((p) => `    ${p.level === "mandatory" ? "policy      " : "advisory    "}  ${policyText(p)}`),
  ];
}

/** Totals over some results. */
export function totals(rs: readonly ReleaseResult[]) {
  const sum = (f: (r: ReleaseResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  return {
    releases: rs.length,
    renderErrors: sum((r) => r.renderErrors.length),
    schemaViolations: sum((r) => r.schemaViolations.length),
    unread: sum((r) => r.unread.length),
    unverified: sum((r) => r.unverified.length),
    mandatory: sum((r) => r.policy.filter((p) => p.level === "mandatory").length),
    advisory: sum((r) => r.policy.filter((p) => p.level === "advisory").length),
    failed: rs.filter((r) => failures(r) > 0).length,
  };
}

/** `prod: 24 releases, 1 failed: 0 render errors, ...`. */
export function formatSummary(stack: string, rs: readonly ReleaseResult[]): string {
  const t = totals(rs);
  return `${stack}: ${t.releases} releases, ${t.failed} failed: ${t.renderErrors} render errors, ${t.schemaViolations} schema violations, ${t.unread} unread keys, ${t.mandatory} policy violations (${t.advisory} advisory)${t.unverified ? `, ${t.unverified} keys unverified` : ""}`;
}

/** What the Markdown report says about the run itself. */
export interface RunInfo {
  /** ISO time, UTC. */
  date: string;
  machine: string;
  node: string;
  helm: string;
  kubeVersion: string;
  /** `directory /root/.cache/platform-charts` or `pulled from the chart repositories`. */
  source: string;
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The Markdown report: the run, then per stack a table of releases and the problems found. */
export function renderReport(info: RunInfo, stacks: readonly { stack: string; results: readonly ReleaseResult[] }[]): string {
  const lines = [
    "# charts:verify",
    "",
    `- Date (UTC): ${info.date}`,
    `- Machine: ${info.machine}`,
    `- Node: ${info.node}; Helm: ${info.helm}; Kubernetes version rendered for: ${info.kubeVersion}`,
    `- Chart sources: ${info.source}`,
    "",
  ];
  for (const s of stacks) {
    lines.push(`## ${s.stack}`, "", formatSummary(s.stack, s.results), "");
    lines.push("| release | chart | status | render errors | schema violations | unread keys | policy (mandatory) | policy (advisory) | objects | keys |");
    lines.push("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of s.results) {
      const mandatory = r.policy.filter((p) => p.level === "mandatory").length;
      lines.push(
        `| ${r.release} | ${chartLabel(r)} | ${status(r)} | ${r.renderErrors.length} | ${r.schemaViolations.length} | ${r.unread.length} | ${mandatory} | ${r.policy.length - mandatory} | ${r.objects} | ${r.keys} |`,
      );
    }
    const problems = s.results.flatMap((r) => [
      ...(r.substitute ? [`- ${r.release}: ${substituteText(r)}`] : []),
      ...r.renderErrors.map((e) => `- ${r.release}: render error: ${cell(e)}`),
      ...r.schemaViolations.map((v) => `- ${r.release}: schema: ${cell(v)}`),
      ...r.unread.map((u) => `- ${r.release}: unread \`${formatPath(u.path)}\`: ${unreadText(u).slice(formatPath(u.path).length + 2)}`),
      ...r.unverified.map((p) => `- ${r.release}: unverified \`${formatPath(p)}\``),
      ...r.policy.map((p) => `- ${r.release}: ${cell(policyText(p))}`),
    ]);
    if (problems.length > 0) lines.push("", ...problems);
    lines.push("");
  }
  return lines.join("\n");
}
