import type { PolicySettings, SettingKey } from "./settings";

/** A Kubernetes resource a rule matches, as an admission rule names it. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  /** Plural resource name (`pods`, `persistentvolumeclaims`), or `resource/subresource` (`pods/ephemeralcontainers`). */
  readonly resource: string;
}

/** A named CEL expression (a match condition or a variable). */
export interface NamedExpression {
  readonly name: string;
  readonly expression: string;
}

/** One check: the CEL must be true; otherwise the message (or messageExpression) is reported. */
export interface Validation {
  readonly expression: string;
  /** Static message, used when `messageExpression` is absent or fails. */
  readonly message: string;
  /** CEL string expression giving a message that names the offending values. */
  readonly messageExpression?: string;
}

/**
 * The single definition of a rule. Kyverno gets it rendered as a `ValidatingPolicy`
 * (policies/engine/kyverno.ts); the CrossGuard pack evaluates that same rendered object.
 * Expressions read `object` and `variables` only (the pack has no admission request).
 */
export interface RuleDefinition {
  /** Policy name: the Kyverno object's name and the CrossGuard policy name. */
  readonly name: string;
  readonly description: string;
  readonly match: {
    /** Every resource the rule applies to (pod rules: every kind of rules/kinds.ts' POD_KINDS). */
    readonly resources: readonly ResourceRef[];
    /** Namespaces by name: only these (`include`) or all but these (`exclude`). */
    readonly namespaces?: { readonly include?: readonly string[]; readonly exclude?: readonly string[] };
    /** CEL conditions that must all hold for the rule to apply (e.g. the model-pod labels). */
    readonly conditions?: readonly NamedExpression[];
  };
  readonly variables?: readonly NamedExpression[];
  readonly validations: readonly Validation[];
}

/** A rule module: its name, the settings it reads, and how it is built from them. */
export interface RuleModule {
  readonly name: string;
  /** Settings this rule reads; they form its pack config. */
  readonly settings: readonly SettingKey[];
  /**
   * Whether the pack evaluates Pulumi's `*Patch` resources (`DeploymentPatch`, `PodPatch`,
   * `CustomResourcePatch`...) with this rule. A patch names only the fields it sets; server-side
   * apply merges it into the live object, which only Kyverno sees. True for rules that a field
   * being present violates (a `:latest` image, `privileged: true`, a large storage request):
   * the merged object has the field too. False for rules that a field being absent violates
   * (no GPU limit, no requests): the live object may well have it.
   */
  readonly checksPatches: boolean;
  /**
   * `Deny` whatever the stack's `policy.enforcement`: a rule that holds a trust boundary (as
   * the sandbox namespace's Pod Security `restricted` is enforced in every profile) denies
   * where the others only audit. Defaults to the stack's enforcement.
   */
  readonly enforcement?: "Deny";
  build(settings: PolicySettings): RuleDefinition;
}
