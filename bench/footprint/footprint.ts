/*
 * The requested CPU and memory of what a stack installs. Pure: the inputs are the values
 * each release is registered with (and the specs of operator-managed resources), and the
 * inventory of what each chart runs.
 *
 * How it counts: per container, the request from our values at the inventory's paths
 * (first set path wins), else the chart's default, else nothing ("none set", counted as 0
 * and reported); times replicas (our value or the chart's), DaemonSets times nodes.
 * Workloads a toggle turns off, Jobs and init containers are not counted. An entry read for
 * another version than the catalog pins is counted all the same, and listed (`stale`).
 */
import type { Values } from "../../lib/merge";
import { parseQuantity } from "../../lib/quantity";
import { CHARTS, type ChartKey } from "../../components/catalog";
import { CHART_INVENTORY, RESOURCE_INVENTORY, RESOURCE_OPERATORS, type ContainerEntry, type InventoryEntry, type WorkloadEntry } from "./inventory";

/** Something installed: a chart release (by catalog key) or an operator-managed resource (by kind). */
export interface Installed {
  /** Release or resource name, for the report. */
  release: string;
  /** Catalog key (`cilium`) for releases, resource kind (`KnativeServing`) for extras. */
  chart: string;
  /** The release's values, or the resource's spec. */
  values: Values;
}

/** Where a container's requests came from. */
export type RequestSource = "ours" | "chart default" | "none set";

/** One container of one workload, all replicas summed. */
export interface FootprintRow {
  release: string;
  /** `workload/container`. */
  workload: string;
  kind: WorkloadEntry["kind"];
  replicas: number;
  /** Millicores, all replicas. */
  cpu: number;
  /** Bytes, all replicas. */
  memory: number;
  /** "ours" when our values set either request, "chart default" when only defaults do. */
  source: RequestSource;
}

/** The whole footprint. */
export interface Footprint {
  rows: FootprintRow[];
  /** Millicores and bytes. */
  total: { cpu: number; memory: number };
  /** `release workload/container (cpu, memory)` for every container with a request set nowhere. */
  unset: string[];
  /** Installed things the inventory does not describe (counted as nothing). */
  unknown: string[];
  /**
   * `release (chart): inventory read for X, catalog pins Y` for every installed thing whose
   * entry was read for another version than the one pinned now (counted as read).
   */
  stale: string[];
}

/** An inventory: what each chart key or resource kind runs. */
export type Inventory = Record<string, InventoryEntry | undefined>;

/** The platform's inventory: every chart plus the operator-managed resources. */
export const INVENTORY: Inventory = { ...CHART_INVENTORY, ...RESOURCE_INVENTORY };

/** The version pinned now for each inventory key: a chart's catalog pin; for a resource kind, its operator's. */
export const PINNED_VERSIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(CHARTS).map(([k, p]) => [k, p.version])),
  ...Object.fromEntries(Object.entries(RESOURCE_OPERATORS).map(([kind, chart]) => [kind, CHARTS[chart as ChartKey].version])),
};

const SEGMENT = /^([^[\]]+)((?:\[[^\]]+\])*)$/;

/**
 * The value at a dotted path: `a.b`, `pools[0].size`, `containers[name=grafana].resources`.
 * Undefined when any step is missing.
 */
export function lookup(values: unknown, path: string): unknown {
  let cur: unknown = values;
  for (const part of path.split(".")) {
    const m = SEGMENT.exec(part);
    if (!m) throw new Error(`bad values path segment "${part}" in "${path}"`);
    cur = isObject(cur) ? cur[m[1]] : undefined;
    for (const sel of m[2].match(/\[[^\]]+\]/g) ?? []) {
      const inner = sel.slice(1, -1);
      if (!Array.isArray(cur)) return undefined;
      const eq = inner.indexOf("=");
      cur = eq < 0 ? cur[Number(inner)] : cur.find((x) => isObject(x) && String(x[inner.slice(0, eq)]) === inner.slice(eq + 1));
    }
    if (cur === undefined || cur === null) return undefined;
  }
  return cur;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A set value: not undefined, null, "" or an empty object. */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === "") return false;
  return !(isObject(v) && Object.keys(v).length === 0);
}

/** Millicores of a CPU quantity, rounded up as the API server does. */
export function millicores(q: string | number): number {
  const x = parseQuantity(String(q));
  return Number((x.num * 1000n + x.den - 1n) / x.den);
}

/** Bytes of a memory quantity, rounded up. */
export function bytes(q: string | number): number {
  const x = parseQuantity(String(q));
  return Number((x.num + x.den - 1n) / x.den);
}

function resolve(values: Values, container: ContainerEntry, resource: "cpu" | "memory"): { value?: string | number; source: RequestSource } {
  for (const p of container[resource]) {
    const v = lookup(values, p);
    if (isSet(v)) return { value: v as string | number, source: "ours" };
  }
  const presetReplaced = container.presetUnless !== undefined && isSet(lookup(values, container.presetUnless));
  const d = container.defaults[resource];
  return d !== undefined && !presetReplaced ? { value: d, source: "chart default" } : { source: "none set" };
}

function enabled(values: Values, w: WorkloadEntry): boolean {
  return (w.when ?? []).every((t) => {
    const v = lookup(values, t.path);
    return v === undefined ? t.default : Boolean(v);
  });
}

function replicas(values: Values, w: WorkloadEntry, nodes: number): number {
  if (w.kind === "DaemonSet") return nodes;
  const v = w.replicas.path ? lookup(values, w.replicas.path) : undefined;
  return typeof v === "number" ? v : w.replicas.default;
}

/**
 * The requested CPU and memory of `releases` and `extras` (operator-managed resources) on
 * a cluster of `nodes` nodes; see the module comment for how it counts.
 */
export function footprint(
  releases: readonly Installed[],
  extras: readonly Installed[],
  nodes: number,
  inventory: Inventory = INVENTORY,
  pins: Readonly<Record<string, string>> = PINNED_VERSIONS,
): Footprint {
  const rows: FootprintRow[] = [];
  const unset: string[] = [];
  const unknown: string[] = [];
  const stale: string[] = [];
  for (const item of [...releases, ...extras]) {
    const entry = inventory[item.chart];
    if (!entry) {
      unknown.push(`${item.release} (${item.chart})`);
      continue;
    }
    const pin = pins[item.chart];
    if (pin !== undefined && pin !== entry.version) stale.push(`${item.release} (${item.chart}): inventory read for ${entry.version}, catalog pins ${pin}`);
    for (const w of entry.workloads) {
      if (!enabled(item.values, w)) continue;
      const n = replicas(item.values, w, nodes);
      for (const ctr of w.containers) {
        const cpu = resolve(item.values, ctr, "cpu");
        const mem = resolve(item.values, ctr, "memory");
        const label = `${w.name}/${ctr.name}`;
        const missing = [cpu.source === "none set" ? "cpu" : "", mem.source === "none set" ? "memory" : ""].filter(Boolean);
        if (missing.length > 0) unset.push(`${item.release} ${label} (${missing.join(", ")})`);
        const source: RequestSource =
          cpu.source === "ours" || mem.source === "ours" ? "ours" : cpu.source === "chart default" || mem.source === "chart default" ? "chart default" : "none set";
        rows.push({
          release: item.release,
          workload: label,
          kind: w.kind,
          replicas: n,
          cpu: cpu.value === undefined ? 0 : n * millicores(cpu.value),
          memory: mem.value === undefined ? 0 : n * bytes(mem.value),
          source,
        });
      }
    }
  }
  const total = rows.reduce((t, r) => ({ cpu: t.cpu + r.cpu, memory: t.memory + r.memory }), { cpu: 0, memory: 0 });
  return { rows, total, unset, unknown, stale };
}

/** Per-release sums, largest CPU first. */
export function byRelease(f: Footprint): { release: string; cpu: number; memory: number; containers: number; unset: number }[] {
  const m = new Map<string, { release: string; cpu: number; memory: number; containers: number; unset: number }>();
  for (const r of f.rows) {
    const s = m.get(r.release) ?? { release: r.release, cpu: 0, memory: 0, containers: 0, unset: 0 };
    s.cpu += r.cpu;
    s.memory += r.memory;
    s.containers += 1;
    if (r.source === "none set") s.unset += 1;
    m.set(r.release, s);
  }
  return [...m.values()].sort((a, b) => b.cpu - a.cpu || b.memory - a.memory);
}
