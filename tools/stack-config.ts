import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { loadPlatformConfig, NAMESPACE, type LoadedConfig } from "../config/load";
import type { PlatformConfig } from "../config/schema";

/*
 * A shipped stack's config as the program receives and loads it: the stack file, the prod
 * stack's test secrets (set with --secret), and overrides. A stack is a `Pulumi.<stack>.yaml`. Tests, bench and scripts load
 * stacks through here, so they see the config `index.ts` would.
 */

/** The repository's root. */
export const ROOT = path.resolve(__dirname, "..");

/** Secrets the prod stack needs, as a user sets them with `pulumi config set --secret`. */
export const PROD_SECRETS = { awsCredentials: "[default]\naws_access_key_id = AKIAFIXTURE\naws_secret_access_key = fixture\n", openhandsOidcClientSecret: "fixture-oidc-client-secret" };

/** The stack file's config as `pulumi.runtime.allConfig()` would return it. */
export function stackFileConfig(stack: string): Record<string, string> {
  const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k, encodeConfigValue(v)]));
}

/** A config value as Pulumi stores it: strings as they are, everything else JSON-encoded. */
export function encodeConfigValue(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The secrets a stack is run with, as raw config (`platform:<key>`): the prod stack's test secrets, none for others. */
export function stackSecretConfig(stack: string): Record<string, string> {
  if (stack !== "prod") return {};
  return Object.fromEntries(Object.entries(PROD_SECRETS).map(([k, v]) => [`${NAMESPACE}:${k}`, v]));
}

/**
 * The raw config a stack runs with and which keys are secret: the stack file, its secrets,
 * then `overrides` (keys without namespace, objects as objects).
 */
export function stackRawConfig(stack: string, overrides: Record<string, unknown> = {}): { raw: Record<string, string>; secretKeys: Set<string> } {
  const secrets = stackSecretConfig(stack);
  const raw = { ...stackFileConfig(stack), ...secrets };
  for (const [k, v] of Object.entries(overrides)) raw[`${NAMESPACE}:${k}`] = encodeConfigValue(v);
  return { raw, secretKeys: new Set(Object.keys(secrets)) };
}

/** A stack's config loaded as the program loads it (throws the loader's ConfigError). */
export function loadStack(stack: string, overrides: Record<string, unknown> = {}): LoadedConfig {
  const { raw, secretKeys } = stackRawConfig(stack, overrides);
  return loadPlatformConfig(raw, secretKeys);
}

/** A stack's validated config, as `index.ts` gets it; see {@link stackRawConfig} for `overrides`. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): PlatformConfig {
  return loadStack(stack, overrides).config;
}
