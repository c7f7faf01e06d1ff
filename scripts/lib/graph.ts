import type { ProgramRun, Recorded } from "../../tools/program";
import { TYPES } from "../../tools/types";

/** A resource key, `type::name`. */
export type Key = string;

const keyOf = (r: Recorded): Key => `${r.type}::${r.name}`;

/** The top-level component (direct child of the stack) a resource belongs to. */
export function layerOf(run: ProgramRun, k: Key): Key {
  const byKey = new Map(run.resources.map((r) => [keyOf(r), r]));
  let cur = k;
  for (let p = byKey.get(cur)?.parent; p; p = byKey.get(cur)?.parent) cur = p;
  return cur;
}

/** Direct edges between layers: A → B when something in A waits for something in B. */
export function layerEdges(run: ProgramRun): [Key, Key][] {
  const edges = new Set<string>();
  for (const r of run.resources) {
    const from = layerOf(run, keyOf(r));
    for (const d of run.directWaits(keyOf(r))) {
      const to = layerOf(run, d);
      if (to !== from) edges.add(`${from}\n${to}`);
    }
  }
  return [...edges].sort().map((e) => e.split("\n") as [Key, Key]);
}

/** Layers in the order they appear. */
export function layers(run: ProgramRun): Key[] {
  return run.resources.filter((r) => !r.parent).map(keyOf);
}

/** Short display name of a resource key (`platform:mesh:Mesh::mesh` → `mesh`). */
export function shortName(k: Key): string {
  return k.split("::")[1];
}

/**
 * Edges between Helm releases: R → S when R waits for S (through anything) and for no
 * other release that itself waits for S (a transitive reduction, so the graph stays legible).
 */
export function releaseEdges(run: ProgramRun): [Key, Key][] {
  const releases = run.resources.filter((r) => r.type === TYPES.release).map(keyOf);
  const waits = new Map(releases.map((r) => [r, releases.filter((s) => s !== r && run.waitsFor(r, s))]));
  const edges: [Key, Key][] = [];
  for (const [r, ss] of waits) {
    for (const s of ss) {
      if (!ss.some((m) => m !== s && (waits.get(m) ?? []).includes(s))) edges.push([r, s]);
    }
  }
  return edges.sort();
}

/** Mermaid flowchart of edges (arrows point from prerequisite to dependent, as things install). */
export function toMermaid(nodes: Key[], edges: [Key, Key][], title: string): string {
  const id = (k: Key) => shortName(k).replace(/[^A-Za-z0-9]/g, "_");
  const lines = [`%% ${title}`, "flowchart LR"];
  for (const n of nodes) lines.push(`  ${id(n)}["${shortName(n)}"]`);
  for (const [from, to] of edges) lines.push(`  ${id(to)} --> ${id(from)}`);
  return lines.join("\n");
}
