import { createHash } from "node:crypto";
import type { SandboxSpec } from "./config";

/*
 * What of a sandbox spec is secret, how it is stored, and its identity (hash) for warm-pool
 * matching.
 */

/** True when an environment name looks like it holds a secret (matched case-insensitively). */
export function isSecretEnv(name: string, patterns: string[]): boolean {
  const upper = name.toUpperCase();
  return patterns.some((p) => upper.includes(p.toUpperCase()));
}

/** Env names the service sets itself; a request cannot override them. */
export const RESERVED_ENV = ["OH_SESSION_API_KEYS_0", "SESSION_API_KEY"];

/** Key in the session Secret holding env var `name`. */
export const secretEnvKey = (name: string) => `env.${name}`;
/** Key in the session Secret holding the session API key. */
export const SESSION_KEY = "session-api-key";
/** Prefix of the session Secret's keys holding secret-looking config `environment` overrides. */
export const OVERRIDE_PREFIX = "override.";
/** Key in the session Secret holding the config override of env var `name`. */
export const secretOverrideKey = (name: string) => `${OVERRIDE_PREFIX}${name}`;

/** The request as stored in the annotation: env values of secret names replaced by the names' list. */
export interface StoredRequest extends Omit<SandboxSpec, "environment"> {
  environment: Record<string, string>;
  secret_env: string[];
}

/** Splits a spec into what goes in the annotation and the secret env values. */
export function splitSpec(spec: SandboxSpec, patterns: string[]): { stored: StoredRequest; secretEnv: Record<string, string> } {
  const environment: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  for (const k of Object.keys(spec.environment).sort()) {
    if (RESERVED_ENV.includes(k)) continue;
    if (isSecretEnv(k, patterns)) secretEnv[k] = spec.environment[k];
    else environment[k] = spec.environment[k];
  }
  return { stored: { ...spec, environment, secret_env: Object.keys(secretEnv) }, secretEnv };
}

/**
 * The config `environment` overrides a sandbox's pod is built with, as recorded on its anchor:
 * plain values, and the names whose values are in the Secret (`override.<NAME>`).
 */
export interface StoredOverrides {
  environment: Record<string, string>;
  secret_env: string[];
}

/** Splits the config overrides into what goes in the annotation and the secret values. */
export function splitOverrides(overrides: Record<string, string>, patterns: string[]): { stored: StoredOverrides; secretEnv: Record<string, string> } {
  const environment: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  for (const k of Object.keys(overrides).sort()) {
    if (RESERVED_ENV.includes(k)) continue;
    if (isSecretEnv(k, patterns)) secretEnv[k] = overrides[k];
    else environment[k] = overrides[k];
  }
  return { stored: { environment, secret_env: Object.keys(secretEnv) }, secretEnv };
}

/** The spec back from the annotation and the Secret's data (base64). */
export function joinSpec(stored: StoredRequest, secretData: Record<string, string> | undefined): SandboxSpec {
  const environment = { ...stored.environment };
  for (const k of stored.secret_env ?? []) {
    const v = secretData?.[secretEnvKey(k)];
    if (v !== undefined) environment[k] = Buffer.from(v, "base64").toString("utf8");
  }
  const rest: Partial<StoredRequest> = { ...stored };
  delete rest.secret_env;
  return { ...(rest as Omit<StoredRequest, "secret_env">), environment };
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if ((v as Record<string, unknown>)[k] !== undefined) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/**
 * The spec's identity: sha256 over every field that shapes the pod (image, command, all env
 * including secret values, working_dir, resource_factor, run_as_*, runtime class, pull policy),
 * first 16 hex. Two specs with the same hash give the same pod, so a warm pod started with one
 * can serve the other.
 */
export function specHash(spec: SandboxSpec): string {
  const env: Record<string, string> = {};
  for (const k of Object.keys(spec.environment)) if (!RESERVED_ENV.includes(k)) env[k] = spec.environment[k];
  return createHash("sha256")
    .update(JSON.stringify(canonical({ ...spec, environment: env })))
    .digest("hex")
    .slice(0, 16);
}

/**
 * The `openhands.ai/spec-hash` label: what a sandbox's pod environment was built from, i.e.
 * the request's specHash plus the config `environment` overrides (values included). Without
 * overrides it is the request's specHash itself, so a config without `environment` labels
 * exactly as before. Warm sandboxes are adopted, and kept, only while their label equals the
 * pool template's podSpecHash under the current overrides, so a change of `environment`
 * replaces them; matching a request to a pool (poolFor) still compares specHash only.
 */
export function podSpecHash(spec: SandboxSpec, overrides: Record<string, string>): string {
  const own: Record<string, string> = {};
  for (const k of Object.keys(overrides)) if (!RESERVED_ENV.includes(k)) own[k] = overrides[k];
  const h = specHash(spec);
  if (Object.keys(own).length === 0) return h;
  return createHash("sha256")
    .update(JSON.stringify({ spec: h, overrides: canonical(own) }))
    .digest("hex")
    .slice(0, 16);
}
