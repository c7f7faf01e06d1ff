import { z } from "zod";
import { mergeConfig, type Values } from "../lib/merge";
import { PROFILE_DEFAULTS } from "./profiles";
import { checkRules, configWarnings, deriveSettings, SECRET_KEYS, type SecretKey, type SecretValues } from "./rules";
import { platformSchema, type PlatformConfig } from "./schema";
import { redact, secretLeaves } from "./secret-sections";

/** The config namespace: the Pulumi project name. */
export const NAMESPACE = "platform";

/** Raised with every problem found in the stack's config, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** Validated config: plain typed settings, plaintext secrets to be wrapped by the caller, warnings. */
export interface LoadedConfig {
  config: PlatformConfig;
  secrets: SecretValues;
  warnings: string[];
  /** String leaves of sections stored as secrets that are not secret keys: they stay secret (config/secret-sections.ts). */
  secretLeaves: string[];
}

const SCALAR_KEYS = new Set(["profile", "domain"]);
const OBJECT_KEYS = new Set(Object.keys(platformSchema.shape).filter((k) => !SCALAR_KEYS.has(k)));
const ALLOWED = [...SCALAR_KEYS, ...OBJECT_KEYS, ...SECRET_KEYS].sort();

/**
 * Validates a stack's raw config (the map `pulumi.runtime.allConfig()` returns: keys
 * `namespace:key`, values strings, objects JSON-encoded) into a typed config. Keys of other
 * namespaces (providers' own) are ignored. Throws {@link ConfigError} listing every problem.
 */
export function loadPlatformConfig(raw: Record<string, string>, secretKeys: ReadonlySet<string>): LoadedConfig {
  const problems: string[] = [];
  const input: Values = {};
  const secrets: SecretValues = {};
  // Other sections stored with --secret: their values never reach a message.
  const secretInputs: unknown[] = [];

  for (const [fullKey, value] of Object.entries(raw)) {
    const [ns, key] = splitKey(fullKey);
    if (ns !== NAMESPACE) continue;
    if ((SECRET_KEYS as readonly string[]).includes(key)) {
      if (!secretKeys.has(fullKey)) {
        problems.push(`${fullKey}: stored in plaintext; it must be a secret: pulumi config set --secret ${fullKey} (value not shown)`);
      } else {
        secrets[key as SecretKey] = value;
      }
      continue;
    }
    const secret = secretKeys.has(fullKey);
    if (SCALAR_KEYS.has(key)) {
      input[key] = value;
      if (secret) secretInputs.push(value);
    } else if (OBJECT_KEYS.has(key)) {
      try {
        input[key] = JSON.parse(value);
        if (secret) secretInputs.push(input[key]);
      } catch {
        problems.push(secret ? `${fullKey}: expected a JSON object (the secret value is not shown)` : `${fullKey}: expected object, got ${JSON.stringify(value)}`);
      }
    } else {
      problems.push(`${fullKey}: unknown key; allowed keys: ${ALLOWED.join(", ")}`);
    }
  }

  const profile = input.profile;
  if (profile !== "dev" && profile !== "prod") {
    problems.push(
      profile === undefined
        ? `${NAMESPACE}:profile: missing; set it to "dev" or "prod"`
        : `${NAMESPACE}:profile: ${JSON.stringify(profile)} is not allowed; allowed: "dev", "prod"`,
    );
    throw new ConfigError(problems);
  }

  const leaves = secretLeaves(secretInputs);
  const fail = () => new ConfigError(problems.map((p) => redact(p, leaves)));
  const merged = mergeConfig(PROFILE_DEFAULTS[profile] as Values, input);
  const parsed = platformSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map(formatIssue));
    throw fail();
  }
  problems.push(...checkRules(parsed.data, secrets));
  if (problems.length > 0) throw fail();
  const config = deriveSettings(parsed.data);
  return { config, secrets, warnings: configWarnings(config).map((w) => redact(w, leaves)), secretLeaves: leaves };
}

function splitKey(fullKey: string): [string, string] {
  const i = fullKey.indexOf(":");
  return i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
}

/** Renders a key path as users write it: `platform:mesh.istio.enabled`, `...workers[0].count`. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = NAMESPACE + ":";
  path.forEach((p, i) => {
    out += typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`;
  });
  return out;
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}

/** One zod issue as `key.path: what is wrong (got X)`. */
function formatIssue(issue: z.core.$ZodIssue): string {
  const at = keyPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "unrecognized_keys": {
      return issue.keys.map((k) => `${keyPath([...issue.path, k])}: unknown key`).join("; ");
    }
    case "invalid_type":
      return input === undefined ? `${at}: missing; expected ${issue.expected}` : `${at}: expected ${issue.expected}, got ${show(input)}`;
    case "invalid_value":
      return `${at}: ${show(input)} is not allowed; allowed: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
    case "too_big":
      return `${at}: ${show(input)} ${issue.message.replace(/^Too (small|big): expected \w+ to (have |be )?/, "must be ")}`;
    case "invalid_key":
      // A record key failed its own schema: report the key itself and the key's rule.
      return `${keyPath(issue.path)}: ${show(input)} ${issue.issues[0]?.message ?? issue.message}`;
    default:
      return `${at}: ${show(input)} ${issue.message}`;
  }
}
