/*
 * Kubernetes quantities, only as far as this service needs them: validation and scaling a
 * request or limit by the session's resource_factor while keeping the unit ("2Gi" x 2 = "4Gi",
 * "500m" x 3 = "1500m").
 */

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** True when `q` is a quantity in the forms we accept (decimal number plus an optional suffix). */
export function isQuantity(q: string): boolean {
  return QUANTITY.test(q);
}

/** `q` multiplied by `factor`, in the same unit, with at most three decimals. */
export function scaleQuantity(q: string, factor: number): string {
  const m = QUANTITY.exec(q);
  if (!m) throw new Error(`not a quantity: ${JSON.stringify(q)}`);
  const value = Math.round(Number(m[1]) * factor * 1000) / 1000;
  return `${value}${m[2] ?? ""}`;
}
