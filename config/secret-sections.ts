import * as pulumi from "@pulumi/pulumi";

/*
 * Config sections stored with `pulumi config set --secret` that are not one of the known
 * secret keys (a `platform:observability` whose Loki values carry a password, say). Their
 * values stay secret: every resource input that carries one of their strings is registered
 * as a Pulumi secret (so Helm values and the state encrypt them), and no error message or
 * warning prints them.
 */

/** Shortest string leaf treated as a secret's (shorter ones, `true`, `dev`, match too much). */
const MIN_LEAF = 4;

/** The string leaves of `value` (numbers too, as text), at least {@link MIN_LEAF} long, longest first. */
export function secretLeaves(value: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === "string" || typeof v === "number") {
      const s = String(v);
      if (s.length >= MIN_LEAF) out.add(s);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every secret leaf replaced by `(secret)`. */
export function redact(text: string, leaves: readonly string[]): string {
  let out = text;
  for (const l of leaves) out = out.split(l).join("(secret)");
  return out;
}

/** Whether a plain value (Outputs and Resources are not looked into) carries a secret leaf. */
export function carriesSecret(v: unknown, leaves: readonly string[], seen = new Set<unknown>()): boolean {
  if (leaves.length === 0) return false;
  if (typeof v === "string") return leaves.some((l) => v.includes(l));
  if (typeof v === "number") return leaves.includes(String(v));
  if (v === null || typeof v !== "object" || seen.has(v) || pulumi.Output.isInstance(v) || pulumi.Resource.isInstance(v)) return false;
  seen.add(v);
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => carriesSecret(x, leaves, seen));
}

/**
 * `props` with every input that carries a secret leaf wrapped in `pulumi.secret`; Output
 * inputs are checked once resolved. Inputs that carry none are returned as they are.
 */
export function markSecretInputs(props: Record<string, unknown>, leaves: readonly string[]): Record<string, unknown> {
  if (leaves.length === 0) return props;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (pulumi.Output.isInstance(v)) out[k] = (v as pulumi.Output<unknown>).apply((x) => (carriesSecret(x, leaves) ? pulumi.secret(x) : x));
    else out[k] = carriesSecret(v, leaves) ? pulumi.secret(v) : v;
  }
  return out;
}

/** Registers the stack transformation that applies {@link markSecretInputs} to every resource. */
export function keepSectionsSecret(leaves: readonly string[]): void {
  if (leaves.length === 0) return;
  pulumi.runtime.registerStackTransformation((args) => ({ props: markSecretInputs(args.props as Record<string, unknown>, leaves), opts: args.opts }));
}
