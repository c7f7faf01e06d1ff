import { disallowLatestTag } from "./disallow-latest-tag";
import { disallowPrivileged } from "./disallow-privileged";
import { pvcStorageQuota } from "./pvc-storage-quota";
import { requireGpuLimits } from "./require-gpu-limits";
import { requireRequestsLimits } from "./require-requests-limits";
import { requireRuntimeClass } from "./require-runtime-class";
import type { PolicySettings } from "./settings";
import type { RuleDefinition, RuleModule } from "./types";

export { DEFAULT_POLICY_SETTINGS, SETTING_SCHEMAS, type PolicySettings, type SettingKey } from "./settings";
export type { NamedExpression, ResourceRef, RuleDefinition, RuleModule, Validation } from "./types";

/** Every rule, in a stable order: the registry both enforcement points read. */
export const RULES: readonly RuleModule[] = [requireGpuLimits, pvcStorageQuota, disallowLatestTag, disallowPrivileged, requireRequestsLimits, requireRuntimeClass];

/** What a rule's violations do: the rule's own enforcement (RuleModule.enforcement), else the stack's. */
export function ruleEnforcement(rule: RuleModule, stack: "Audit" | "Deny"): "Audit" | "Deny" {
  return rule.enforcement ?? stack;
}

/** Every rule built for the given settings. */
export function buildRules(settings: PolicySettings): RuleDefinition[] {
  return RULES.map((r) => r.build(settings));
}
