import * as fs from "node:fs";
import * as path from "node:path";
import { api, STATE_DIR } from "../../test/integration/helpers/kube";

/*
 * What a phase of the operator benchmark cost the control plane: the CPU time of each
 * local control-plane process (cluster.sh's pid files, /proc/<pid>/stat) and the API server's
 * own request counter (apiserver_request_total on its /metrics), read before and after.
 * Every client of the phase is in the counts (the controller-manager, scheduler and kwok as
 * well as the operator or the baseline's client), which is the point: the same work minus
 * the operator is the baseline's phase.
 */

export const CONTROL_PLANE = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kwok"] as const;
const WRITE_VERBS = new Set(["POST", "PUT", "PATCH", "APPLY", "DELETE", "DELETECOLLECTION"]);
const TICKS_PER_S = 100; // USER_HZ on Linux

/** CPU seconds and API requests at one moment. */
export interface ControlPlaneSample {
  /** CPU seconds (user + system) per control-plane process. */
  cpuS: Record<string, number>;
  /** Requests served, keyed `VERB resource[/subresource]` (watches not counted). */
  requests: Map<string, number>;
}

/** CPU seconds (user + system) a process has used; NaN when it is gone. */
export function processCpuSeconds(pid: number | string): number {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

function cpuSeconds(component: string): number {
  try {
    return processCpuSeconds(fs.readFileSync(path.join(STATE_DIR, `${component}.pid`), "utf8").trim());
  } catch {
    return NaN;
  }
}

/** Parses apiserver_request_total into requests by verb and resource (watches left out: one stays open). */
export function parseRequestTotals(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.verb === "WATCH" || labels.dry_run) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

/** The control plane's CPU and request counters now. */
export async function sampleControlPlane(): Promise<ControlPlaneSample> {
  const r = await api("GET", "/metrics");
  const text = typeof r.body.message === "string" ? r.body.message : "";
  return { cpuS: Object.fromEntries(CONTROL_PLANE.map((c) => [c, cpuSeconds(c)])), requests: parseRequestTotals(text) };
}

/** What happened between two samples. */
export interface ControlPlaneCost {
  /** CPU seconds per control-plane process. */
  cpuS: Record<string, number>;
  /** Requests by `VERB resource`, most first. */
  requests: [string, number][];
  /** All requests, and the mutating ones among them. */
  totalRequests: number;
  totalWrites: number;
}

export function costBetween(a: ControlPlaneSample, b: ControlPlaneSample): ControlPlaneCost {
  const cpuS = Object.fromEntries(CONTROL_PLANE.map((c) => [c, b.cpuS[c] - a.cpuS[c]]));
  const requests = [...b.requests].map(([k, v]) => [k, v - (a.requests.get(k) ?? 0)] as [string, number]).filter(([, v]) => v > 0);
  requests.sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
  const sum = (rs: [string, number][]) => rs.reduce((s, [, v]) => s + v, 0);
  return { cpuS, requests, totalRequests: sum(requests), totalWrites: sum(requests.filter(([k]) => WRITE_VERBS.has(k.split(" ")[0]))) };
}
