/** A Kubernetes kind the rules can match: its API coordinates and its Pulumi resource type. */
export interface KindInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly pulumiType: string;
}

// prettier-ignore
/** Kinds the pack evaluates: pods, their controllers, and PersistentVolumeClaims. */
export const KINDS: readonly KindInfo[] = [
  { group: "", version: "v1", resource: "pods", kind: "Pod", pulumiType: "kubernetes:core/v1:Pod" },
  { group: "", version: "v1", resource: "persistentvolumeclaims", kind: "PersistentVolumeClaim", pulumiType: "kubernetes:core/v1:PersistentVolumeClaim" },
  { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", pulumiType: "kubernetes:apps/v1:Deployment" },
  { group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet", pulumiType: "kubernetes:apps/v1:StatefulSet" },
  { group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", pulumiType: "kubernetes:apps/v1:DaemonSet" },
  { group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", pulumiType: "kubernetes:apps/v1:ReplicaSet" },
  { group: "batch", version: "v1", resource: "jobs", kind: "Job", pulumiType: "kubernetes:batch/v1:Job" },
  { group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob", pulumiType: "kubernetes:batch/v1:CronJob" },
];

/** The kind of a Kubernetes object (`apiVersion` + `kind`), if the pack evaluates it. */
export function kindOf(object: { apiVersion?: unknown; kind?: unknown }): KindInfo | undefined {
  return KINDS.find((k) => (k.group ? `${k.group}/${k.version}` : k.version) === object.apiVersion && k.kind === object.kind);
}

/** The namespace Pulumi's Kubernetes provider uses for an object that names none. */
export const DEFAULT_NAMESPACE = "default";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function copy(v: unknown): Json | undefined {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x) => copy(x) ?? null);
  if (typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v as object)) {
      const x = copy((v as Record<string, unknown>)[k]);
      if (x !== undefined) out[k] = x;
    }
    return out;
  }
  return undefined;
}

/** Quantities the API server would have serialized as strings (`requests: { storage: 10 }`). */
function quantitiesAsStrings(resources: Json | undefined): void {
  if (!resources || typeof resources !== "object" || Array.isArray(resources)) return;
  for (const k of ["requests", "limits"]) {
    const m = resources[k];
    if (m && typeof m === "object" && !Array.isArray(m)) {
      for (const [name, q] of Object.entries(m)) if (typeof q === "number") m[name] = String(q);
    }
  }
}

function walk(v: Json | undefined, visit: (o: { [k: string]: Json }) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (v && typeof v === "object") {
    visit(v);
    Object.values(v).forEach((x) => walk(x, visit));
  }
}

/**
 * The Kubernetes object a Pulumi resource's inputs describe, as admission would see it:
 * apiVersion and kind from the resource type, the provider's default namespace filled
 * in, and numeric quantities under `resources.requests`/`limits` as strings. Returns
 * undefined for types the pack does not evaluate. Reading an unknown preview value
 * throws the pack's UnknownValueError, which CrossGuard reports as "can't run".
 */
export function toKubernetesObject(pulumiType: string, props: Record<string, unknown>): Record<string, Json> | undefined {
  const info = KINDS.find((k) => k.pulumiType === pulumiType);
  if (!info) return undefined;
  const object = (copy(props) ?? {}) as Record<string, Json>;
  object.apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  object.kind = info.kind;
  const metadata = (object.metadata && typeof object.metadata === "object" && !Array.isArray(object.metadata) ? object.metadata : {}) as Record<string, Json>;
  if (typeof metadata.namespace !== "string" || metadata.namespace === "") metadata.namespace = DEFAULT_NAMESPACE;
  object.metadata = metadata;
  walk(object.spec, (o) => quantitiesAsStrings(o.resources));
  return object;
}
