import { parse } from "yaml";
import type { ChartPin } from "../../components/catalog";

/** What a repository index says about one pinned chart. */
export interface ChartStatus {
  chart: string;
  pinned: string;
  /** Newest stable version in the index (pre-releases ignored). */
  latest?: string;
  state: "current" | "outdated" | "missing-version" | "missing-chart";
}

/** Parses `1.2.3`, `v1.2.3`, `2026.8.3`; pre-releases (`-rc.1`) and build metadata count as not stable. */
export function parseVersion(v: string): { parts: number[]; pre: boolean } | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(v);
  if (!m) return undefined;
  return { parts: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] !== undefined };
}

/** Orders versions numerically (`v1.10.0` > `v1.9.9`). */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a.localeCompare(b);
  for (let i = 0; i < 3; i++) if (x.parts[i] !== y.parts[i]) return x.parts[i] - y.parts[i];
  return Number(y.pre) - Number(x.pre);
}

/** Compares a pin with the versions a repository publishes for its chart. */
export function statusFromVersions(pin: Pick<ChartPin, "chart" | "version">, versions: string[] | undefined): ChartStatus {
  const chart = pin.chart.replace(/^oci:\/\/.*\//, "");
  if (!versions || versions.length === 0) return { chart, pinned: pin.version, state: "missing-chart" };
  const stable = versions.filter((v) => parseVersion(v) && !parseVersion(v)!.pre).sort(compareVersions);
  const latest = stable.at(-1);
  if (!versions.includes(pin.version)) return { chart, pinned: pin.version, latest, state: "missing-version" };
  return { chart, pinned: pin.version, latest, state: latest && compareVersions(latest, pin.version) > 0 ? "outdated" : "current" };
}

/** Compares a pin with a Helm repository `index.yaml`. */
export function statusFromIndex(pin: Pick<ChartPin, "chart" | "version">, indexYaml: string): ChartStatus {
  const index = parse(indexYaml) as { entries?: Record<string, { version: string }[]> };
  return statusFromVersions(pin, index.entries?.[pin.chart]?.map((e) => e.version));
}

/** One report line. */
export function formatStatus(s: ChartStatus): string {
  switch (s.state) {
    case "current":
      return `ok        ${s.chart} ${s.pinned}`;
    case "outdated":
      return `newer     ${s.chart} ${s.pinned} -> ${s.latest}`;
    case "missing-version":
      return `MISSING   ${s.chart} ${s.pinned} is not published (newest: ${s.latest ?? "none"})`;
    case "missing-chart":
      return `MISSING   ${s.chart}: the repository has no such chart`;
  }
}
