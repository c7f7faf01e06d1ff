/*
 * Pure logic of `npm run charts:verify`: the values a release sets as leaf paths, which of
 * them the chart reads (its merged defaults, free-form maps, disabled subcharts), the
 * perturbation that confirms a key nothing reads, and comparing renders that contain
 * generated secrets. Helm and the file system are in charts-verify-helm.ts; parsing helm's
 * output, the policy pack and formatting in charts-verify-output.ts.
 */

/** A plain JSON-like map, as Helm values are. */
export type Values = Record<string, unknown>;

/** A path into values: one segment per map key (lists are leaves, as Helm replaces them whole). */
export type ValuePath = readonly string[];

/** One Helm release as the program registers it under mocks (secrets unwrapped). */
export interface StackRelease {
  /** Pulumi resource name (`observability-loki`). */
  resource: string;
  /** Helm release name. */
  name: string;
  namespace: string;
  /** Chart name, `oci://` reference, or a path relative to the project root. */
  chart: string;
  /** Exact chart version; empty for a chart in this repository. */
  version: string;
  /** Repository URL; empty for OCI and local charts. */
  repo: string;
  values: Values;
}

/** A stack to verify: how the program runs for it and which pack config holds its pods. */
export interface VerifiedStack {
  /** `Pulumi.<stackFile>.yaml`. */
  stackFile: string;
  /** Config set over the stack file's, keys without namespace. Defaults to none. */
  config?: Record<string, unknown>;
  /** Whether the run gets the secrets the prod stack needs (tools/stack-config.ts PROD_SECRETS). */
  prodSecrets: boolean;
  /** `policies/config/<pack>.json`. */
  pack: string;
}

/** Every stack checked by default, in order. */
export const STACKS: Readonly<Record<string, VerifiedStack>> = {
  dev: { stackFile: "dev", prodSecrets: false, pack: "dev" },
  prod: { stackFile: "prod", prodSecrets: true, pack: "prod" },
};

/** A chart as loaded from its directory: its own defaults and its vendored subcharts. */
export interface ChartTree {
  name: string;
  version: string;
  /** The chart's values.yaml. */
  values: Values;
  deps: ChartDep[];
}

/** A subchart as the parent declares it. */
export interface ChartDep {
  /** Key of its values in the parent's: the alias, else the chart name. */
  key: string;
  /** Chart.yaml `condition` (comma-separated paths), if any. */
  condition?: string;
  chart: ChartTree;
}

const isMap = (v: unknown): v is Values => v !== null && typeof v === "object" && !Array.isArray(v);

/** `a.b["prometheus.io/port"]`: dots join segments, segments with dots are quoted. */
export function formatPath(path: ValuePath): string {
  return path.map((s, i) => (/^[A-Za-z0-9_-]+$/.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`)).join("");
}

/**
 * Every leaf of a values tree: scalars, nulls, lists and empty maps. Non-empty maps are
 * descended into, because Helm merges maps key by key but replaces everything else whole.
 */
export function leafPaths(values: Values, prefix: ValuePath = []): { path: ValuePath; value: unknown }[] {
  const out: { path: ValuePath; value: unknown }[] = [];
  for (const [k, v] of Object.entries(values)) {
    const p = [...prefix, k];
    if (isMap(v) && Object.keys(v).length > 0) out.push(...leafPaths(v, p));
    else out.push({ path: p, value: v });
  }
  return out;
}

/** The value at `path`, or `found: false`. */
export function getAt(values: unknown, path: ValuePath): { found: boolean; value?: unknown } {
  let cur: unknown = values;
  for (const s of path) {
    if (!isMap(cur) || !Object.hasOwn(cur, s)) return { found: false };
    cur = cur[s];
  }
  return { found: true, value: cur };
}

/** A deep copy of `values` with `path` set to `value` (maps created on the way). */
export function setAt(values: Values, path: ValuePath, value: unknown): Values {
  const out = structuredClone(values);
  let cur: Values = out;
  for (const s of path.slice(0, -1)) {
    if (!isMap(cur[s])) cur[s] = {};
    cur = cur[s] as Values;
  }
  cur[path[path.length - 1]] = value;
  return out;
}

/**
 * Helm's coalescing for defaults: `over` wins, maps merge key by key, a null in `over`
 * deletes the key (as `--set key=null` does).
 */
export function coalesce(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? structuredClone(base) : structuredClone(over);
  const out: Values = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = Object.hasOwn(out, k) ? coalesce(out[k], v) : structuredClone(v);
  }
  return out;
}

/**
 * The defaults a chart renders with: its values.yaml, each subchart's (recursively) under
 * the subchart's key with the parent's settings winning, and every subchart's `global`
 * merged into the top-level `global`.
 */
export function mergedDefaults(tree: ChartTree): Values {
  let out: Values = structuredClone(tree.values);
  for (const dep of tree.deps) {
    const sub = mergedDefaults(dep.chart);
    const { global, ...own } = sub;
    out[dep.key] = coalesce(own, isMap(out[dep.key]) ? out[dep.key] : {});
    if (isMap(global)) out = { ...out, global: coalesce(global, isMap(out.global) ? out.global : {}) };
  }
  return out;
}

/** A subchart that the coalesced values switch off through its Chart.yaml condition. */
export interface DisabledSubchart {
  /** Where its values live (`worker`, `kube-state-metrics`). */
  prefix: ValuePath;
  /** The condition path that is false, from the top (`grafana.enabled`). */
  condition: ValuePath;
}

/**
 * Subcharts Helm will not render for these values. Helm reads the first path of a condition
 * that exists with a boolean value, relative to the parent's values; no such path, no effect.
 * Tags are not evaluated (none of the pinned charts gate on them).
 */
export function disabledSubcharts(tree: ChartTree, values: Values, prefix: ValuePath = []): DisabledSubchart[] {
  const scope = coalesce(mergedDefaults(tree), values) as Values;
  const out: DisabledSubchart[] = [];
  for (const dep of tree.deps) {
    const at = [...prefix, dep.key];
    let off: ValuePath | undefined;
    for (const c of (dep.condition ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
      const p = c.split(".");
      const v = getAt(scope, p);
      if (v.found && typeof v.value === "boolean") {
        if (!v.value) off = [...prefix, ...p];
        break;
      }
    }
    if (off) out.push({ prefix: at, condition: off });
    else {
      const sub = isMap(scope[dep.key]) ? (scope[dep.key] as Values) : {};
      out.push(...disabledSubcharts(dep.chart, { ...sub, global: scope.global ?? {} }, at));
    }
  }
  return out;
}

/**
 * Whether `path`, under the subchart at `prefix`, is the parent chart's own key: declared in
 * the parent's values.yaml and not in the subchart's (cloudnative-pg reads
 * `monitoring.podMonitorEnabled` itself, beside its dashboards subchart aliased `monitoring`).
 */
function parentsOwn(tree: ChartTree, prefix: ValuePath, path: ValuePath): boolean {
  if (prefix.length !== 1 || !getAt(tree.values, path).found) return false;
  const dep = tree.deps.find((x) => x.key === prefix[0]);
  return dep !== undefined && !getAt(dep.chart.values, path.slice(1)).found;
}

/** Why a values key counts as read, or that it needs a perturbation render to tell. */
export type KeyVerdict =
  | { path: ValuePath; verdict: "default" }
  | { path: ValuePath; verdict: "free-form"; under: ValuePath }
  | { path: ValuePath; verdict: "disabled"; subchart: ValuePath; condition: ValuePath }
  | { path: ValuePath; verdict: "probe" };

const startsWith = (path: ValuePath, prefix: ValuePath) => prefix.length <= path.length && prefix.every((s, i) => path[i] === s);

/**
 * Decides what the defaults alone can say about each leaf of `values`:
 * - under a disabled subchart (other than its condition key): not read, Helm skips it;
 * - present in the merged defaults: read;
 * - the longest prefix present is a free-form default (`{}`, a list, null): read, since
 *   charts pass those through whole (`podAnnotations: {}`, `extraEnv: []`);
 * - otherwise only a render can tell: `probe`.
 */
export function classifyKeys(tree: ChartTree, values: Values): KeyVerdict[] {
  const defaults = mergedDefaults(tree);
  const disabled = disabledSubcharts(tree, values);
  return leafPaths(values).map(({ path }): KeyVerdict => {
    const d = disabled.find((x) => startsWith(path, x.prefix) && formatPath(path) !== formatPath(x.condition) && !parentsOwn(tree, x.prefix, path));
    if (d) return { path, verdict: "disabled", subchart: d.prefix, condition: d.condition };
    if (getAt(defaults, path).found) return { path, verdict: "default" };
    for (let n = path.length - 1; n > 0; n--) {
      const at = getAt(defaults, path.slice(0, n));
      if (!at.found) continue;
      const v = at.value;
      if (v === null || Array.isArray(v) || (isMap(v) && Object.keys(v).length === 0)) return { path, verdict: "free-form", under: path.slice(0, n) };
      break;
    }
    return { path, verdict: "probe" };
  });
}

/** Marker the perturbation writes, so a changed render is easy to trace to the tool. */
export const PERTURBED = "charts-verify-perturbed";

/**
 * A different value of the same shape, which a template that reads the key would render
 * differently: booleans flip, numbers change, strings grow a suffix, lists and empty maps
 * gain or lose an element, null becomes a string.
 */
export function perturb(value: unknown): unknown {
  if (typeof value === "boolean") return !value;
  if (typeof value === "number") return Number.isInteger(value) ? value + 1 : value * 2 + 1;
  if (typeof value === "string") return value === "" ? PERTURBED : `${value}-${PERTURBED}`;
  if (Array.isArray(value)) return value.length > 0 ? [] : [PERTURBED];
  if (isMap(value)) return { [PERTURBED]: PERTURBED };
  return PERTURBED;
}

/** `values` with every one of `paths` perturbed. */
export function perturbValues(values: Values, paths: readonly ValuePath[]): Values {
  let out = values;
  for (const p of paths) out = setAt(out, p, perturb(getAt(values, p).value));
  return out;
}

/**
 * How to compare renders of a chart that may generate random content (certificates,
 * tokens): two renders with the same values give the lines that change by themselves.
 * `unstable` when even the line count changes, so no comparison can be trusted.
 */
export type RenderBaseline = { lines: string[]; noisy: ReadonlySet<number> } | "unstable";

/** The baseline from two renders of the same values. */
export function renderBaseline(first: string, second: string): RenderBaseline {
  const a = first.split("\n");
  const b = second.split("\n");
  if (a.length !== b.length) return "unstable";
  const noisy = new Set<number>();
  a.forEach((line, i) => {
    if (line !== b[i]) noisy.add(i);
  });
  return { lines: a, noisy };
}

/** Whether `output` is the baseline's render, ignoring the lines that change by themselves. */
export function sameAsBaseline(baseline: Exclude<RenderBaseline, "unstable">, output: string): boolean {
  const lines = output.split("\n");
  return lines.length === baseline.lines.length && lines.every((l, i) => baseline.noisy.has(i) || l === baseline.lines[i]);
}

/** What perturbing keys did to the render. */
export type ProbeOutcome = "same" | "different";

/**
 * The keys among `candidates` whose perturbation leaves the render unchanged. Perturbs a
 * group at once and splits only groups that change the render, so a release whose keys are
 * all read or all unread costs one render, and n keys at most 2n - 1.
 */
export async function findUnread(candidates: readonly ValuePath[], probe: (paths: readonly ValuePath[]) => Promise<ProbeOutcome>): Promise<ValuePath[]> {
  if (candidates.length === 0) return [];
  if ((await probe(candidates)) === "same") return [...candidates];
  if (candidates.length === 1) return [];
  const mid = Math.ceil(candidates.length / 2);
  return [...(await findUnread(candidates.slice(0, mid), probe)), ...(await findUnread(candidates.slice(mid), probe))];
}
