import { TYPES } from "../../tools/types";
import { unwrapSecrets, type Recorded } from "./program";
import { SCHEMAS } from "./schemas";

export { unwrapSecrets };

/*
 * Validates every Kubernetes object the program registers against its published schema:
 * kubernetes-models for built-in kinds, the @kubernetes-models CRD packages for the
 * custom resources they cover, and the schemas in `EXTRA_SCHEMAS` for CRDs we own or
 * that no package covers. A kind with no schema at all is itself a failure.
 */

/** Pulumi types that are not Kubernetes objects (or are validated elsewhere). */
const NOT_OBJECTS = new Set([
  "pulumi:providers:kubernetes",
  TYPES.release,
  TYPES.configFile,
  "kubernetes:yaml/v2:ConfigGroup",
  "kubernetes:kustomize/v2:Directory",
]);

/** Where model classes live, tried in order, for an API group. */
const MODEL_PACKAGES = [
  "kubernetes-models",
  "@kubernetes-models/cert-manager",
  "@kubernetes-models/prometheus-operator",
  "@kubernetes-models/keda",
  "@kubernetes-models/knative",
  "@kubernetes-models/istio",
  "@kubernetes-models/gateway-api",
];

/** Validators for kinds no package covers: return problems, each with its field path. */
export type ExtraValidator = (object: Record<string, any>) => string[];
export const EXTRA_SCHEMAS = new Map<string, ExtraValidator>(SCHEMAS);

/** `kubernetes:apps/v1:Deployment` → `{ apiVersion: "apps/v1", kind: "Deployment" }`. */
export function apiOf(type: string): { apiVersion: string; kind: string } | undefined {
  const m = /^kubernetes:([^:]+):([A-Za-z0-9]+)$/.exec(type);
  if (!m || NOT_OBJECTS.has(type)) return undefined;
  const apiVersion = m[1].startsWith("core/") ? m[1].slice("core/".length) : m[1];
  return { apiVersion, kind: m[2] };
}

async function modelClass(apiVersion: string, kind: string): Promise<(new (data: unknown) => { validate(): void }) | undefined> {
  for (const pkg of MODEL_PACKAGES) {
    try {
      const mod = (await import(`${pkg}/${apiVersion}`)) as Record<string, any>;
      if (mod[kind]) return mod[kind];
    } catch {
      // Not in this package: try the next.
    }
  }
  return undefined;
}

/** The object a resource's inputs describe, as the API server would receive it (secrets unwrapped). */
export function toObject(r: Recorded): Record<string, any> | undefined {
  const api = apiOf(r.type);
  if (!api) return undefined;
  return { ...(unwrapSecrets(r.inputs) as Record<string, any>), apiVersion: api.apiVersion, kind: api.kind };
}

/** Problems with one object (empty when valid). */
export async function validateObject(type: string, object: Record<string, any>): Promise<string[]> {
  const api = apiOf(type);
  if (!api) return [];
  const key = `${api.apiVersion}/${api.kind}`;
  const extra = EXTRA_SCHEMAS.get(key);
  if (extra) return extra(object);
  const Model = await modelClass(api.apiVersion, api.kind);
  if (!Model) return [`${key}: no schema available; add one to EXTRA_SCHEMAS in test/helpers/validate.ts`];
  try {
    new Model(object).validate();
    return [];
  } catch (e) {
    return [`${key} ${object.metadata?.name ?? "?"}: ${(e as Error).message}`];
  }
}

/** Problems with every Kubernetes object in a run, prefixed by resource name. */
export async function validateAll(resources: Recorded[]): Promise<string[]> {
  const problems: string[] = [];
  for (const r of resources) {
    const obj = toObject(r);
    if (!obj) continue;
    for (const p of await validateObject(r.type, obj)) problems.push(`${r.name}: ${p}`);
  }
  return problems;
}
