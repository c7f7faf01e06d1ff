/*
 * The "Dev footprint" section of `npm run bench`: the summed CPU and memory requests of
 * everything the dev profile installs, per release, against the laptop target.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { bytes, byRelease, footprint, millicores, type Footprint, type FootprintRow, type Installed } from "./footprint";
import type { StackInstalls } from "./installs";

/** The dev profile's budget: what a laptop kind cluster can give. */
export const DEV_TARGET = { cpu: 4000, memory: 8 * 1024 ** 3 } as const;

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * kind's own pods, which the profile does not install but the node still carries: kubeadm's
 * static pods (kube-apiserver 250m, kube-controller-manager 200m, kube-scheduler 100m,
 * etcd 100m/100Mi; kubernetes/kubernetes cmd/kubeadm/app/phases/{controlplane,etcd}) and
 * two CoreDNS replicas at 100m/70Mi (kubeadm's CoreDNS manifest). kindnet and kube-proxy
 * do not run: Cilium replaces both.
 */
export const KIND_BASE = { cpu: 850, memory: (100 + 2 * 70) * 1024 ** 2 } as const;

/** Millicores as `1250m`. */
export function formatCpu(m: number): string {
  return `${Math.round(m)}m`;
}

/** Bytes as `512Mi` or `1.50Gi`. */
export function formatMemory(b: number): string {
  const mi = b / 1024 ** 2;
  return mi >= 1024 ? `${(mi / 1024).toFixed(2)}Gi` : `${Math.round(mi)}Mi`;
}

/** The stack's installs, from a child process (Pulumi's runtime is process-global). */
export function readInstalls(stack: string): StackInstalls {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "bench", "footprint", "installs.ts"), stack], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`collecting ${stack}'s releases failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as StackInstalls;
}

/**
 * The footprint of a stack's installs; selected charts with no release yet count at chart
 * defaults; the program's own workloads (and one idle sandbox) at the requests it sets.
 */
export function stackFootprint(s: StackInstalls): Footprint {
  const pending: Installed[] = s.unregistered.map((k) => ({ release: `${k} (selected, no release yet: chart defaults)`, chart: k, values: {} }));
  const f = footprint([...s.releases, ...pending], s.extras, s.nodes);
  const rows: FootprintRow[] = (s.workloads ?? []).flatMap((w) =>
    w.containers.map((c): FootprintRow => {
      if (c.cpu === undefined || c.memory === undefined) f.unset.push(`${w.name} ${c.name}`);
      return {
        release: w.name,
        workload: c.name,
        kind: "Deployment",
        replicas: w.replicas,
        cpu: c.cpu === undefined ? 0 : w.replicas * millicores(c.cpu),
        memory: c.memory === undefined ? 0 : w.replicas * bytes(c.memory),
        source: c.cpu === undefined && c.memory === undefined ? "none set" : "ours",
      };
    }),
  );
  const total = rows.reduce((t, r) => ({ cpu: t.cpu + r.cpu, memory: t.memory + r.memory }), f.total);
  return { ...f, rows: [...f.rows, ...rows], total };
}

/** Prints the section. */
export function printDevFootprint(): void {
  const s = readInstalls("dev");
  const f = stackFootprint(s);
  console.log("");
  console.log(`Dev footprint (requests of everything the dev profile installs, ${s.nodes} kind node${s.nodes === 1 ? "" : "s"})`);
  console.log(
    "How it counts: per container, our values at the chart's resources path, else the chart's default at the pinned version, else 0 (listed below); x replicas, DaemonSets x nodes; Jobs and init containers excluded; kind's own control plane and CoreDNS not included.",
  );
  console.log("release                                   cpu      memory  containers  none set");
  for (const r of byRelease(f)) {
    const unset = f.rows.filter((x) => x.release === r.release && x.source === "none set").length;
    console.log(
      `${r.release.padEnd(40)} ${formatCpu(r.cpu).padStart(6)}  ${formatMemory(r.memory).padStart(9)}  ${String(r.containers).padStart(10)}  ${String(unset).padStart(8)}`,
    );
  }
  const ok = f.total.cpu <= DEV_TARGET.cpu && f.total.memory <= DEV_TARGET.memory;
  console.log(
    `${"total".padEnd(40)} ${formatCpu(f.total.cpu).padStart(6)}  ${formatMemory(f.total.memory).padStart(9)}   target <= ${formatCpu(DEV_TARGET.cpu)} / ${formatMemory(DEV_TARGET.memory)}: ${ok ? "fits" : "OVER"}`,
  );
  console.log(
    `with kind's own pods (${formatCpu(KIND_BASE.cpu)} / ${formatMemory(KIND_BASE.memory)}, not in the total): ${formatCpu(f.total.cpu + KIND_BASE.cpu)} / ${formatMemory(f.total.memory + KIND_BASE.memory)}`,
  );
  const sources = { ours: 0, "chart default": 0, "none set": 0 };
  for (const r of f.rows) sources[r.source] += 1;
  console.log(`containers: ${f.rows.length} (${sources.ours} ours, ${sources["chart default"]} chart default, ${sources["none set"]} none set)`);
  if (f.unset.length > 0) console.log(`requests set nowhere (counted as 0): ${f.unset.join("; ")}`);
  if (f.unknown.length > 0) console.log(`not in the inventory (not counted): ${f.unknown.join("; ")}`);
  if (f.stale.length > 0) console.log(`estimates, chart defaults not re-read at the pinned version (bench/footprint/inventory.ts): ${f.stale.join("; ")}`);
}
