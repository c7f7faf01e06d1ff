import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { evaluateCel } from "../../../policies/cel/env";
import { objectMeta, type Validator } from "./meta";

/*
 * openhands.ai/v1alpha1 OllamaFleet, validated as the API server would against our own CRD
 * (operator/chart/crds/ollamafleets.openhands.ai.yaml): its openAPIV3Schema (compiled with
 * ajv, Kubernetes extensions mapped to JSON Schema), then its x-kubernetes-validations CEL
 * rules, evaluated with the pack's CEL environment (which has the Kubernetes quantity
 * library). Integers reach CEL as int, as in Kubernetes.
 */

type Schema = Record<string, any>;

export const CRD_PATH = join(__dirname, "../../../operator/chart/crds/ollamafleets.openhands.ai.yaml");

/** The CRD document. */
export function loadCrd(): Schema {
  return parse(readFileSync(CRD_PATH, "utf8"));
}

/** The served version's openAPIV3Schema. */
export function crdSchema(): Schema {
  return loadCrd().spec.versions[0].schema.openAPIV3Schema;
}

/** The structural schema as JSON Schema: int-or-string as anyOf, Kubernetes keys dropped. */
export function toJsonSchema(s: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith("x-kubernetes-") || k === "format") continue;
    if (k === "properties") out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, toJsonSchema(ps as Schema)]));
    else if (k === "items" || (k === "additionalProperties" && typeof v === "object")) out[k] = toJsonSchema(v as Schema);
    else out[k] = v;
  }
  if (s["x-kubernetes-int-or-string"]) out.anyOf = [{ type: "integer" }, { type: "string" }];
  // Structural schemas prune unknown fields; a manifest with one is a mistake worth failing.
  if (s.type === "object" && s.properties && !s["x-kubernetes-preserve-unknown-fields"]) out.additionalProperties ??= false;
  return out;
}

/** A value as CEL sees it under the schema (integers as int). */
function toCel(value: unknown, s: Schema | undefined): unknown {
  if (value === null || value === undefined || !s) return value;
  if (typeof value === "number" && (s.type === "integer" || s["x-kubernetes-int-or-string"]) && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map((v) => toCel(v, s.items));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined))]));
  }
  return value;
}

/** Messages of the CEL rules the value breaks (and rules that failed to evaluate). */
export function celProblems(value: unknown, s: Schema = crdSchema(), path = ""): string[] {
  if (value === undefined || value === null) return [];
  const out: string[] = [];
  for (const rule of (s["x-kubernetes-validations"] ?? []) as { rule: string; message: string }[]) {
    const r = evaluateCel(rule.rule, { self: toCel(value, s) });
    if (!r.ok) out.push(`${path || "<root>"}: rule ${rule.rule} failed: ${r.error}`);
    else if (r.value !== true) out.push(rule.message);
  }
  if (Array.isArray(value) && s.items) value.forEach((v, i) => out.push(...celProblems(v, s.items, `${path}[${i}]`)));
  else if (typeof value === "object" && s.properties) {
    for (const [k, ps] of Object.entries(s.properties as Schema)) out.push(...celProblems((value as Schema)[k], ps as Schema, `${path}.${k}`));
  }
  return out;
}

let compiled: { check: ValidateFunction; withDefaults: ValidateFunction } | undefined;
function validators() {
  if (!compiled) {
    const schema = toJsonSchema(crdSchema());
    compiled = {
      check: new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema),
      withDefaults: new Ajv({ allErrors: true, strict: false, validateFormats: false, useDefaults: true }).compile(schema),
    };
  }
  return compiled;
}

/** The object with the CRD's defaults applied, as the API server stores it. */
export function withCrdDefaults<T>(object: T): T {
  const copy = structuredClone(object);
  validators().withDefaults(copy);
  return copy;
}

/** Problems with an OllamaFleet: schema errors as `data<path> <message>`, then CEL messages. */
export const validateOllamaFleet: Validator = (object) => {
  const { check } = validators();
  const problems: string[] = [];
  if (!check(object)) for (const e of check.errors ?? []) problems.push(`data${e.instancePath} ${e.message}`);
  const meta = objectMeta.safeParse(object.metadata ?? {});
  if (!meta.success) for (const i of meta.error.issues) problems.push(`data/metadata/${i.path.join("/")} ${i.message}`);
  if (problems.length > 0) return problems;
  return celProblems(withCrdDefaults(object));
};

/** Validators by `<apiVersion>/<kind>`, for `EXTRA_SCHEMAS`. */
export const OLLAMAFLEET_VALIDATORS: [string, Validator][] = [["openhands.ai/v1alpha1/OllamaFleet", validateOllamaFleet]];

/** A valid fleet using every field: a GPU fleet on a pool, scaled on requests. */
export const VALID_FLEET = {
  apiVersion: "openhands.ai/v1alpha1",
  kind: "OllamaFleet",
  metadata: { name: "qwen2-5-coder-32b-1a2b3c", namespace: "ollama", labels: { "app.kubernetes.io/part-of": "agent-platform" } },
  spec: {
    model: "qwen2.5-coder:32b",
    replicas: 1,
    resources: { gpu: 1, gpuType: "NVIDIA-L4", memory: "24Gi", cpu: "4" },
    storage: { size: "60Gi", class: "longhorn", retainPolicy: "Delete" },
    scaling: { minReplicas: 0, maxReplicas: 4, cooldownSeconds: 600, metrics: [{ type: "requestsPerSecond", target: "2" }, { type: "prometheus", target: "10", query: "sum(queue_depth)" }] },
    contextLength: 16384,
    keepAlive: "1h",
    image: "ollama/ollama:0.32.15",
    placement: { gpuPool: "l4", nodeSelector: { "topology.kubernetes.io/zone": "a" }, tolerations: [{ key: "spot", operator: "Exists", effect: "NoSchedule" }] },
  },
};
