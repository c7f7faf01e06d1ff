/*
 * Kubernetes resource quantities (`resource.Quantity`), enough to validate fleet specs:
 * the grammar of k8s.io/apimachinery/pkg/api/resource and the sign of a value. The operator
 * is built from its own folder (its image has no access to the repository's lib/).
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** True when `value` is a well-formed quantity (a non-negative integer counts too). */
export function isQuantity(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  return typeof value === "string" && QUANTITY.test(value);
}

/** True when `value` is a well-formed quantity greater than zero. */
export function isPositiveQuantity(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value) && value > 0;
  if (typeof value !== "string") return false;
  const m = QUANTITY.exec(value);
  return m !== null && m[1] !== "-" && /[1-9]/.test(m[2]);
}
