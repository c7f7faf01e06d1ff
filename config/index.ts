import * as pulumi from "@pulumi/pulumi";
import { loadPlatformConfig, NAMESPACE } from "./load";
import { keepSectionsSecret } from "./secret-sections";
import type { SecretKey } from "./rules";
import type { PlatformConfig } from "./schema";

export { ConfigError, loadPlatformConfig, NAMESPACE } from "./load";
export { PROFILE_DEFAULTS } from "./profiles";
export { SECRET_KEYS, type SecretKey } from "./rules";
export type { PlatformConfig } from "./schema";

/** Secret config values, each a Pulumi secret. */
// Pulumi marks this @internal, but it is the runtime's own record of which keys were set with
// --secret (the same check behind Config.get's "value is a secret" warning).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** Secret config values, each a Pulumi secret. */
export type PlatformSecrets = Partial<Record<SecretKey, pulumi.Output<string>>>;

/**
 * Reads and validates the stack's config. The only place in the program that reads Pulumi
 * config: components get the typed result. Problems stop the program before any resource
 * is registered; warnings are logged.
 */
export function readPlatformConfig(): { config: PlatformConfig; secrets: PlatformSecrets } {
  const raw = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(raw).filter((k) => k.startsWith(`${NAMESPACE}:`) && isConfigSecret(k)));
  const loaded = loadPlatformConfig(raw, secretKeys);
  for (const w of loaded.warnings) pulumi.log.warn(w);
  // Sections stored with --secret (beyond the secret keys) stay secret in every resource's inputs.
  keepSectionsSecret(loaded.secretLeaves);
  const secrets: PlatformSecrets = {};
  for (const [k, v] of Object.entries(loaded.secrets) as [SecretKey, string][]) {
    secrets[k] = pulumi.secret(v);
  }
  return { config: loaded.config, secrets };
}
