import { apiVersionOf, POD_KINDS, type PodKind } from "./kinds";
import type { NamedExpression } from "./types";

/** A CEL string literal (single-quoted, escaped). */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A CEL list literal of strings, in the given order. */
export function celStringList(items: readonly string[]): string {
  return `[${items.map(celString).join(", ")}]`;
}

/** A CEL map literal of strings, keys sorted so the rendered policy is stable. */
export function celStringMap(m: Readonly<Record<string, string>>): string {
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${celString(k)}: ${celString(m[k])}`);
  return `{${entries.join(", ")}}`;
}

/** CEL: whether `object` is of one of the kinds (by apiVersion and kind), parenthesized. */
export function isKind(kinds: readonly { group: string; version: string; kind: string }[]): string {
  const byApiVersion = new Map<string, string[]>();
  for (const k of kinds) byApiVersion.set(apiVersionOf(k), [...(byApiVersion.get(apiVersionOf(k)) ?? []), k.kind]);
  const terms = [...byApiVersion].map(
    ([v, ks]) => `object.apiVersion == ${celString(v)} && ${ks.length === 1 ? `object.kind == ${celString(ks[0])}` : `object.kind in ${celStringList([...ks].sort())}`}`,
  );
  return terms.length === 1 ? `(${terms[0]})` : `(${terms.map((t) => `(${t})`).join(" || ")})`;
}

/** `has(object.a) && has(object.a.b) && ...` down to `path`. */
function guard(path: string): string {
  const parts = path.split(".");
  return parts.map((_, i) => `has(object.${parts.slice(0, i + 1).join(".")})`).join(" && ");
}

/**
 * CEL for a field of the pod an object carries (`spec`, `metadata`, `metadata.labels`): the
 * object's own for a Pod, its template's for a controller or a custom resource with a pod
 * template (kinds.ts), `{}` where the object has no such field (a patch naming only some
 * fields, an unrelated kind). Kyverno evaluates the same expression: its autogen, which
 * rewrites `object.spec` for the built-in controllers, cannot cover custom resources and the
 * ephemeral-containers subresource, so the rules do not depend on it.
 */
export function podField(field: string, kinds: readonly PodKind[] = POD_KINDS): string {
  const byTemplate = new Map<string, PodKind[]>();
  for (const k of kinds) byTemplate.set(k.template, [...(byTemplate.get(k.template) ?? []), k]);
  let out = "{}";
  for (const [template, ks] of [...byTemplate].reverse()) {
    const path = template ? `${template}.${field}` : field;
    out = `${isKind(ks)} ? (${guard(path)} ? object.${path} : {}) : ${out}`;
  }
  return out;
}

/** The `podSpec` and `podMetadata` variables every pod rule reads (`{}` where absent). */
export const POD_VARIABLES: readonly NamedExpression[] = [
  { name: "podSpec", expression: podField("spec") },
  { name: "podMetadata", expression: podField("metadata") },
];

/** CEL: whether the object is a Pod itself (not a template a controller has yet to turn into pods). */
export const IS_POD = "(object.apiVersion == 'v1' && object.kind == 'Pod')";

const list = (field: string) => `(has(variables.podSpec.${field}) ? variables.podSpec.${field} : [])`;

/**
 * The `containers` variable of pod rules, read from `variables.podSpec` (POD_VARIABLES), so
 * one expression serves every pod kind. Ephemeral containers cannot set resources, so rules
 * about resources leave them out.
 */
export function containersVariable(opts: { ephemeral: boolean }): NamedExpression {
  const parts = [list("initContainers"), list("containers")];
  if (opts.ephemeral) parts.push(list("ephemeralContainers"));
  return { name: "containers", expression: parts.join(" + ") };
}

/** CEL: a container's (or volume's) name for messages; a Knative container may have none before Knative defaults it. */
export const nameOf = (v: string) => `(has(${v}.name) ? ${v}.name : '(unnamed)')`;

/** `'a', 'b'`-style list of names for messages: `names.map(...).join(', ')`. */
export function joinNames(listExpr: string, item: string): string {
  return `${listExpr}.map(c, ${item}).join(', ')`;
}
