import type { NamedExpression, ResourceRef, RuleDefinition, Validation } from "../rules/types";

/** What Kyverno does with a failed validation: `Deny` rejects the request, `Audit` reports it. */
export type Enforcement = "Audit" | "Deny";

/** Label every namespace carries with its own name (set by the API server since 1.22). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Pod controllers Kyverno's autogen covers, by its names (pkg/cel/autogen/data.go). */
export const POD_CONTROLLERS = ["cronjobs", "daemonsets", "deployments", "jobs", "replicasets", "statefulsets"] as const;

/** The operations every rule checks: creating an object, and changing it (server-side apply included). */
export const OPERATIONS = ["CREATE", "UPDATE"] as const;

/** A label selector as the Kubernetes API spells it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

/** An admission resource rule. */
export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

/** The part of `policies.kyverno.io/v1` ValidatingPolicy spec the platform uses. */
export interface ValidatingPolicySpec {
  validationActions: Enforcement[];
  failurePolicy: "Fail" | "Ignore";
  matchConstraints: { resourceRules: ResourceRule[]; namespaceSelector?: LabelSelector };
  matchConditions?: NamedExpression[];
  autogen?: { podControllers: { controllers: string[] } };
  variables?: NamedExpression[];
  validations: Validation[];
}

/** A rendered `ValidatingPolicy`. */
export interface ValidatingPolicy {
  apiVersion: "policies.kyverno.io/v1";
  kind: "ValidatingPolicy";
  metadata: { name: string; annotations: Record<string, string> };
  spec: ValidatingPolicySpec;
}

/** One resource rule per API group and version, resources sorted, in the order the groups first appear. */
function resourceRules(refs: readonly ResourceRef[]): ResourceRule[] {
  const byGroupVersion = new Map<string, { group: string; version: string; resources: Set<string> }>();
  for (const r of refs) {
    const key = `${r.group}/${r.version}`;
    const entry = byGroupVersion.get(key) ?? { group: r.group, version: r.version, resources: new Set<string>() };
    entry.resources.add(r.resource);
    byGroupVersion.set(key, entry);
  }
  return [...byGroupVersion.values()].map((e) => ({ apiGroups: [e.group], apiVersions: [e.version], operations: [...OPERATIONS], resources: [...e.resources].sort() }));
}

function namespaceSelector(ns: RuleDefinition["match"]["namespaces"]): LabelSelector | undefined {
  const expressions: NonNullable<LabelSelector["matchExpressions"]> = [];
  // An empty In is invalid too; including no namespace selects none (every namespace has the label).
  if (ns?.include) {
    expressions.push(ns.include.length > 0 ? { key: NAMESPACE_NAME_LABEL, operator: "In", values: [...ns.include] } : { key: NAMESPACE_NAME_LABEL, operator: "DoesNotExist" });
  }
  // An empty NotIn is invalid in a selector; excluding nothing is no selector at all.
  if (ns?.exclude && ns.exclude.length > 0) expressions.push({ key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: [...ns.exclude] });
  return expressions.length > 0 ? { matchExpressions: expressions } : undefined;
}

/**
 * Renders a rule as a Kyverno `ValidatingPolicy` (`policies.kyverno.io/v1`, the CEL policy
 * type; `kyverno.io/v1` ClusterPolicy is deprecated upstream). Pod rules match every pod
 * kind explicitly (rules/kinds.ts: Pods, the controllers, the custom resources with pod
 * templates, and `pods/ephemeralcontainers` where containers matter) and read the pod through
 * `variables.podSpec`, so Kyverno checks each of them at admission, not only the Pods they
 * later create. No rule relies on Kyverno's autogen: it covers only the six built-in
 * controllers, and a policy matching more than `pods` gets none (pkg/cel/autogen/support.go).
 * Audit stacks use failurePolicy Ignore, so a Kyverno outage never blocks a dev cluster.
 * Pure: the Policy component deploys this object and the CrossGuard pack evaluates it.
 */
export function renderValidatingPolicy(rule: RuleDefinition, enforcement: Enforcement): ValidatingPolicy {
  const spec: ValidatingPolicySpec = {
    validationActions: [enforcement],
    failurePolicy: enforcement === "Deny" ? "Fail" : "Ignore",
    matchConstraints: { resourceRules: resourceRules(rule.match.resources) },
    validations: rule.validations.map((v) => ({ ...v })),
  };
  const selector = namespaceSelector(rule.match.namespaces);
  if (selector) spec.matchConstraints.namespaceSelector = selector;
  if (rule.match.conditions?.length) spec.matchConditions = rule.match.conditions.map((c) => ({ ...c }));
  if (rule.variables?.length) spec.variables = rule.variables.map((v) => ({ ...v }));
  return {
    apiVersion: "policies.kyverno.io/v1",
    kind: "ValidatingPolicy",
    metadata: { name: rule.name, annotations: { "policies.kyverno.io/description": rule.description } },
    spec,
  };
}
