import { randomUUID } from "node:crypto";
import { KubeError, matchesSelector, type Kind, type KubeClient, type KubeObject, type LabelSelector } from "../../sandbox-runtime/src/kube";

/*
 * An in-memory KubeClient with the API server behaviours the service relies on: 409 on a
 * taken name and on a stale resourceVersion, uid/resourceVersion/creationTimestamp assigned
 * on create, JSON merge patch, and background garbage collection of dependents (by owner
 * uid) when an owner is deleted. `calls` records every write for assertions; `failNext`
 * injects one error.
 */

const key = (kind: Kind, ns: string, name: string) => `${kind}/${ns}/${name}`;

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out = target && typeof target === "object" && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class FakeKube implements KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly calls: string[] = [];
  private rv = 1;
  private failures: Array<{ op: string; kind: Kind; error: Error }> = [];
  /** Clock for creationTimestamp (tests move it). */
  now = () => new Date("2026-12-01T10:00:00Z");

  failNext(op: "create" | "replace" | "patch" | "delete" | "get" | "list", kind: Kind, error: Error = new KubeError(500, "injected")): void {
    this.failures.push({ op, kind, error });
  }

  private maybeFail(op: string, kind: Kind): void {
    const i = this.failures.findIndex((f) => f.op === op && f.kind === kind);
    if (i >= 0) throw this.failures.splice(i, 1)[0].error;
  }

  /** Objects of a kind (tests). */
  all(kind: Kind): KubeObject[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${kind}/`)).map(([, v]) => v);
  }

  names(kind: Kind): string[] {
    return this.all(kind)
      .map((o) => o.metadata.name)
      .sort();
  }

  /** Sets a pod's status, as the kubelet would. */
  setPodStatus(ns: string, name: string, status: Record<string, unknown>): void {
    const o = this.objects.get(key("pods", ns, name));
    if (!o) throw new Error(`no pod ${name}`);
    o.status = status;
    o.metadata.resourceVersion = String(++this.rv);
  }

  async get(kind: Kind, ns: string, name: string): Promise<KubeObject | undefined> {
    this.maybeFail("get", kind);
    const o = this.objects.get(key(kind, ns, name));
    return o ? structuredClone(o) : undefined;
  }

  async list(kind: Kind, ns: string, selector: LabelSelector): Promise<KubeObject[]> {
    this.maybeFail("list", kind);
    return this.all(kind)
      .filter((o) => o.metadata.namespace === ns && matchesSelector(o.metadata.labels, selector))
      .map((o) => structuredClone(o));
  }

  async create(kind: Kind, ns: string, obj: KubeObject): Promise<KubeObject> {
    this.calls.push(`create ${kind} ${obj.metadata.name}`);
    this.maybeFail("create", kind);
    const k = key(kind, ns, obj.metadata.name);
    if (this.objects.has(k)) throw new KubeError(409, `${kind} "${obj.metadata.name}" already exists`, "AlreadyExists");
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, namespace: ns, uid: randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: this.now().toISOString() };
    this.objects.set(k, stored);
    return structuredClone(stored);
  }

  async replace(kind: Kind, ns: string, obj: KubeObject): Promise<KubeObject> {
    this.calls.push(`replace ${kind} ${obj.metadata.name}`);
    this.maybeFail("replace", kind);
    const k = key(kind, ns, obj.metadata.name);
    const cur = this.objects.get(k);
    if (!cur) throw new KubeError(404, `${kind} "${obj.metadata.name}" not found`, "NotFound");
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw new KubeError(409, "the object has been modified", "Conflict");
    const stored = structuredClone(obj);
    stored.metadata = { ...stored.metadata, namespace: ns, uid: cur.metadata.uid, creationTimestamp: cur.metadata.creationTimestamp, resourceVersion: String(++this.rv) };
    this.objects.set(k, stored);
    return structuredClone(stored);
  }

  async patch(kind: Kind, ns: string, name: string, patch: unknown): Promise<KubeObject> {
    this.calls.push(`patch ${kind} ${name}`);
    this.maybeFail("patch", kind);
    const k = key(kind, ns, name);
    const cur = this.objects.get(k);
    if (!cur) throw new KubeError(404, `${kind} "${name}" not found`, "NotFound");
    const next = mergePatch(cur, patch) as KubeObject;
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(k, next);
    return structuredClone(next);
  }

  async delete(kind: Kind, ns: string, name: string): Promise<boolean> {
    this.calls.push(`delete ${kind} ${name}`);
    this.maybeFail("delete", kind);
    const k = key(kind, ns, name);
    const cur = this.objects.get(k);
    if (!cur) return false;
    this.objects.delete(k);
    this.collect(cur.metadata.uid as string);
    return true;
  }

  private collect(ownerUid: string): void {
    for (const [k, o] of [...this.objects.entries()]) {
      if (o.metadata.ownerReferences?.some((r) => r.uid === ownerUid)) {
        this.objects.delete(k);
        this.collect(o.metadata.uid as string);
      }
    }
  }
}
