import type { EnforcementLevel, PolicyPackConfig, ResourceValidationPolicy } from "@pulumi/policy";

export type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { evaluatePolicy, type Verdict } from "./engine/evaluate";
import { renderValidatingPolicy, type Enforcement, type ValidatingPolicy } from "./engine/kyverno";
import { isPatchType, toKubernetesObject } from "./engine/resources";
import { DEFAULT_POLICY_SETTINGS, ruleEnforcement, RULES, SETTING_SCHEMAS, type PolicySettings, type RuleModule } from "./rules";

/** The pack's enforcement level for a Kyverno enforcement: Deny blocks, Audit warns. */
export function enforcementLevel(enforcement: Enforcement): EnforcementLevel {
  return enforcement === "Deny" ? "mandatory" : "advisory";
}

/** A rule's settings from its pack config; keys the config omits take the defaults. */
export function settingsFromPackConfig(rule: RuleModule, config: Record<string, unknown>): PolicySettings {
  const picked = Object.fromEntries(rule.settings.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]));
  return { ...DEFAULT_POLICY_SETTINGS, ...picked } as PolicySettings;
}

/**
 * The Kyverno object the pack evaluates for a rule's pack config: the same renderer the
 * cluster's Policy component uses. Enforcement does not change what is evaluated (the pack's
 * enforcementLevel decides what a violation does), so it is rendered as Deny.
 */
export function packPolicyObject(rule: RuleModule, config: Record<string, unknown>): ValidatingPolicy {
  return renderValidatingPolicy(rule.build(settingsFromPackConfig(rule, config)), "Deny");
}

/**
 * The pack config for a stack (policies/config/<stack>.json): settings and level per rule. A
 * rule with its own enforcement (RuleModule.enforcement) is mandatory whatever the stack's.
 */
export function renderPackConfig(settings: PolicySettings, enforcement: Enforcement): PolicyPackConfig {
  return Object.fromEntries(
    RULES.map((r) => [r.name, { enforcementLevel: enforcementLevel(ruleEnforcement(r, enforcement)), ...Object.fromEntries(r.settings.map((k) => [k, settings[k]])) }]),
  );
}

/**
 * Evaluates one Pulumi resource against a rule (undefined for types the pack ignores). A
 * `*Patch` resource is evaluated as the object it patches, with the fields it sets, by the
 * rules that a present field violates (RuleModule.checksPatches); the others skip it, and
 * Kyverno checks the merged object in the cluster.
 */
export function evaluateResource(rule: RuleModule, config: Record<string, unknown>, type: string, props: Record<string, unknown>): Verdict | undefined {
  const object = toKubernetesObject(type, props);
  if (!object) return undefined;
  if (isPatchType(type) && !rule.checksPatches) {
    return { outcome: "skip", reason: `${rule.name} needs the whole object, which a patch is not; Kyverno checks the patched object in the cluster` };
  }
  return evaluatePolicy(packPolicyObject(rule, config), object);
}

/** One CrossGuard policy per rule. Without pack config a policy is mandatory, with default settings. */
export function packPolicies(): ResourceValidationPolicy[] {
  return RULES.map((rule) => ({
    name: rule.name,
    description: rule.build(DEFAULT_POLICY_SETTINGS).description,
    enforcementLevel: "mandatory",
    configSchema: { properties: Object.fromEntries(rule.settings.map((k) => [k, SETTING_SCHEMAS[k]])) },
    validateResource: (args, reportViolation) => {
      const verdict = evaluateResource(rule, args.getConfig<Record<string, unknown>>(), args.type, args.props);
      if (verdict?.outcome === "deny" || verdict?.outcome === "error") verdict.messages.forEach((m) => reportViolation(m));
    },
  }));
}
