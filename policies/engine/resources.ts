import { apiVersionOf, OLLAMA_FLEETS, POD_KINDS, PVCS, type OtherKind } from "../rules/kinds";

/** A Kubernetes kind the rules can match: its API coordinates and its Pulumi resource type. */
export interface KindInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  /** `kubernetes:apps/v1:Deployment`; a custom resource's is `kubernetes:<apiVersion>:<kind>`. */
  readonly pulumiType: string;
}

/** The Pulumi type of a kind, as @pulumi/kubernetes (and its CustomResource) registers it. */
export const pulumiTypeOf = (k: OtherKind) => `kubernetes:${k.group ? k.group : "core"}/${k.version}:${k.kind}`;

/** Kinds the pack evaluates: the pod kinds of rules/kinds.ts, PersistentVolumeClaims and OllamaFleets. */
export const KINDS: readonly KindInfo[] = [...POD_KINDS, PVCS, OLLAMA_FLEETS].map((k) => ({
  group: k.group,
  version: k.version,
  resource: k.resource,
  kind: k.kind,
  pulumiType: pulumiTypeOf(k),
}));

/** Suffix of the Pulumi types that patch an existing object (`DeploymentPatch`, `CustomResourcePatch`'s `ServicePatch`). */
const PATCH = "Patch";

/** The kind a Pulumi type creates or patches, and whether it is a patch; undefined for types the pack ignores. */
export function kindOfPulumiType(pulumiType: string): { info: KindInfo; patch: boolean } | undefined {
  const info = KINDS.find((k) => k.pulumiType === pulumiType);
  if (info) return { info, patch: false };
  const patched = pulumiType.endsWith(PATCH) ? KINDS.find((k) => `${k.pulumiType}${PATCH}` === pulumiType) : undefined;
  return patched && { info: patched, patch: true };
}

/** Whether a Pulumi type is a `*Patch` of a kind the pack evaluates. */
export const isPatchType = (pulumiType: string) => kindOfPulumiType(pulumiType)?.patch === true;

/** The kind of a Kubernetes object (`apiVersion` + `kind`), if the pack evaluates it. */
export function kindOf(object: { apiVersion?: unknown; kind?: unknown }): KindInfo | undefined {
  return KINDS.find((k) => apiVersionOf(k) === object.apiVersion && k.kind === object.kind);
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
 * apiVersion and kind from the resource type (a `*Patch` type: the kind it patches, with
 * only the fields the patch sets), the provider's default namespace filled in, and numeric
 * quantities under `resources.requests`/`limits` as strings. Returns undefined for types
 * the pack does not evaluate. Reading an unknown preview value throws the pack's
 * UnknownValueError, which CrossGuard reports as "can't run".
 */
export function toKubernetesObject(pulumiType: string, props: Record<string, unknown>): Record<string, Json> | undefined {
  const info = kindOfPulumiType(pulumiType)?.info;
  if (!info) return undefined;
  const object = (copy(props) ?? {}) as Record<string, Json>;
  object.apiVersion = apiVersionOf(info);
  object.kind = info.kind;
  const metadata = (object.metadata && typeof object.metadata === "object" && !Array.isArray(object.metadata) ? object.metadata : {}) as Record<string, Json>;
  if (typeof metadata.namespace !== "string" || metadata.namespace === "") metadata.namespace = DEFAULT_NAMESPACE;
  object.metadata = metadata;
  walk(object.spec, (o) => quantitiesAsStrings(o.resources));
  return object;
}
