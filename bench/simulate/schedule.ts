import type { ProgramRun } from "../../tools/program";

/** Serial sum and critical path of a recorded run, given each resource's duration. */
export function schedule(run: ProgramRun, seconds: (type: string, inputs: Record<string, any>) => number): { serial: number; criticalPath: number; path: string[] } {
  const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
  const byKey = new Map(run.resources.map((r) => [key(r), r]));
  const children = new Map<string, string[]>();
  for (const r of run.resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), key(r)]);
  const descendants = (k: string): string[] => (children.get(k) ?? []).flatMap((c) => [c, ...descendants(c)]);

  const finish = new Map<string, { t: number; via?: string }>();
  const visiting = new Set<string>();
  const finishOf = (k: string): { t: number; via?: string } => {
    const done = finish.get(k);
    if (done) return done;
    if (visiting.has(k)) throw new Error(`dependency cycle through ${k}`);
    visiting.add(k);
    const r = byKey.get(k)!;
    let start = 0;
    let via: string | undefined;
    // A resource starts after its direct dependencies (a component: all of its descendants)
    // and after its parent registered.
    const deps = run.directWaits(k).flatMap((d) => [d, ...descendants(d)]);
    if (r.parent) deps.push(r.parent);
    for (const d of deps) {
      const f = finishOf(d).t;
      if (f > start) {
        start = f;
        via = d;
      }
    }
    const out = { t: start + seconds(r.type, r.inputs), via };
    visiting.delete(k);
    finish.set(k, out);
    return out;
  };
  let end = 0;
  let last: string | undefined;
  for (const r of run.resources) {
    const f = finishOf(key(r));
    if (f.t > end) {
      end = f.t;
      last = key(r);
    }
  }
  const path: string[] = [];
  for (let k = last; k; k = finish.get(k)?.via) path.unshift(k);
  const serial = run.resources.reduce((sum, r) => sum + seconds(r.type, r.inputs), 0);
  return { serial, criticalPath: end, path };
}
