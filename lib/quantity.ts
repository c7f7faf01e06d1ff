/**
 * Kubernetes resource quantities (`resource.Quantity`): parsing and comparison by value,
 * so `100Gi`, `107374182400`, `0.1Ti` and `102400Mi` compare equal-or-ordered as the API
 * server would. Values are exact rationals kept as bigint numerator/denominator.
 */

const BINARY: Record<string, bigint> = {
  Ki: 1024n, Mi: 1024n ** 2n, Gi: 1024n ** 3n, Ti: 1024n ** 4n, Pi: 1024n ** 5n, Ei: 1024n ** 6n,
};
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** An exact quantity: `num / den`, with `den > 0`. */
export interface Quantity {
  readonly num: bigint;
  readonly den: bigint;
}

/** True when `s` is a well-formed Kubernetes quantity string. */
export function isQuantity(s: string): boolean {
  return QUANTITY.test(s);
}

/** Parses a quantity string; throws an Error naming the input when it is malformed. */
export function parseQuantity(s: string): Quantity {
  const m = QUANTITY.exec(s);
  if (!m) {
    throw new Error(`"${s}" is not a Kubernetes quantity (examples: 100Gi, 500m, 1.5, 2e3)`);
  }
  const [, sign, digits, suffix = ""] = m;
  const [intPart, fracPart = ""] = digits.split(".");
  let num = BigInt((intPart || "0") + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  if (suffix in BINARY) {
    num *= BINARY[suffix];
  } else {
    const exp = suffix in DECIMAL ? DECIMAL[suffix] : Number(suffix.slice(1));
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  if (sign === "-") num = -num;
  return { num, den };
}

/** Compares two quantities by value: negative, zero or positive like `Array.prototype.sort`. */
export function compareQuantities(a: string | Quantity, b: string | Quantity): number {
  const x = typeof a === "string" ? parseQuantity(a) : a;
  const y = typeof b === "string" ? parseQuantity(b) : b;
  const lhs = x.num * y.den;
  const rhs = y.num * x.den;
  return lhs < rhs ? -1 : lhs > rhs ? 1 : 0;
}

/** The quantity as a (possibly fractional) JavaScript number, for sums in reports. */
export function quantityToNumber(q: string | Quantity): number {
  const x = typeof q === "string" ? parseQuantity(q) : q;
  return Number(x.num) / Number(x.den);
}
