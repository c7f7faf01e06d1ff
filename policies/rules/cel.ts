import type { NamedExpression, ResourceRef } from "./types";

/** A CEL string literal (single-quoted, escaped). */
export function celString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A CEL map literal of strings, keys sorted so the rendered policy is stable. */
export function celStringMap(m: Readonly<Record<string, string>>): string {
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${celString(k)}: ${celString(m[k])}`);
  return `{${entries.join(", ")}}`;
}

/** Pods. A rule that matches only this gets Kyverno's autogen for the pod controllers. */
export const PODS: ResourceRef = { group: "", version: "v1", resource: "pods" };

const list = (field: string) => `(has(object.spec.${field}) ? object.spec.${field} : [])`;

/**
 * The `containers` variable of pod rules. It reads `object.spec`, which Kyverno's autogen
 * rewrites to the pod template (`object.spec.template.spec`, or the CronJob's
 * `object.spec.jobTemplate.spec.template.spec`), so one expression serves every kind.
 * Ephemeral containers cannot set resources, so rules about resources leave them out.
 */
export function containersVariable(opts: { ephemeral: boolean }): NamedExpression {
  const parts = [list("initContainers"), list("containers")];
  if (opts.ephemeral) parts.push(list("ephemeralContainers"));
  return { name: "containers", expression: parts.join(" + ") };
}

/** `'a', 'b'`-style list of names for messages: `names.map(...).join(', ')`. */
export function joinNames(listExpr: string, item: string): string {
  return `${listExpr}.map(c, ${item}).join(', ')`;
}
