/** Plain JSON-like object. */
export type Values = { [key: string]: unknown };

function isPlainObject(v: unknown): v is Values {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * Deep-merges `overrides` into a deep clone of `base` and returns the result with keys sorted
 * at every level, so the same inputs always register the same values. Objects merge
 * key by key; arrays and scalars in `overrides` replace what `base` had; `undefined` in
 * `overrides` leaves the base value. Neither argument is modified.
 */
export function mergeValues(base: Values, ...overrides: (Values | undefined)[]): Values {
  let out = clone(base) as Values;
  for (const o of overrides) {
    if (o) out = mergeInto(out, o);
  }
  return sortKeys(out) as Values;
}

function mergeInto(target: Values, src: Values): Values {
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    const cur = target[k];
    target[k] = isPlainObject(cur) && isPlainObject(v) ? mergeInto(cur, v) : clone(v);
  }
  return target;
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

/** Returns a deep copy of `v` whose plain objects have their keys in sorted order. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isPlainObject(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, sortKeys(v[k])]),
    );
  }
  return v;
}

/** Deep-merges config layers (profile defaults, then stack values) for validation. */
export function mergeConfig(base: Values, override: Values): Values {
  return mergeInto(clone(base) as Values, override);
}
