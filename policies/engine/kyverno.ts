import { PODS } from "../rules/cel";
import type { NamedExpression, RuleDefinition, Validation } from "../rules/types";

/** What Kyverno does with a failed validation: `Deny` rejects the request, `Audit` reports it. */
export type Enforcement = "Audit" | "Deny";

/** Label every namespace carries with its own name (set by the API server since 1.22). */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Pod controllers Kyverno's autogen covers, by its names (pkg/cel/autogen/data.go). */
export const POD_CONTROLLERS = ["cronjobs", "daemonsets", "deployments", "jobs", "replicasets", "statefulsets"] as const;

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

const isPods = (r: RuleDefinition) =>
  r.match.resources.length === 1 && (["group", "version", "resource"] as const).every((k) => r.match.resources[0][k] === PODS[k]);

function namespaceSelector(ns: RuleDefinition["match"]["namespaces"]): LabelSelector | undefined {
  const expressions: NonNullable<LabelSelector["matchExpressions"]> = [];
  if (ns?.include) expressions.push({ key: NAMESPACE_NAME_LABEL, operator: "In", values: [...ns.include] });
  // An empty NotIn is invalid in a selector; excluding nothing is no selector at all.
  if (ns?.exclude && ns.exclude.length > 0) expressions.push({ key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: [...ns.exclude] });
  return expressions.length > 0 ? { matchExpressions: expressions } : undefined;
}

/**
 * Renders a rule as a Kyverno `ValidatingPolicy` (`policies.kyverno.io/v1`, the CEL policy
 * type; `kyverno.io/v1` ClusterPolicy is deprecated upstream). Pod rules list every pod
 * controller under `autogen`, so Kyverno checks Deployments, StatefulSets, DaemonSets,
 * ReplicaSets, Jobs and CronJobs at admission (not only the Pods they later create).
 * Audit stacks use failurePolicy Ignore, so a Kyverno outage never blocks a dev cluster.
 * Pure: the Policy component deploys this object and the CrossGuard pack evaluates it.
 */
export function renderValidatingPolicy(rule: RuleDefinition, enforcement: Enforcement): ValidatingPolicy {
  const spec: ValidatingPolicySpec = {
    validationActions: [enforcement],
    failurePolicy: enforcement === "Deny" ? "Fail" : "Ignore",
    matchConstraints: {
      resourceRules: rule.match.resources.map((r) => ({
        apiGroups: [r.group],
        apiVersions: [r.version],
        operations: ["CREATE", "UPDATE"],
        resources: [r.resource],
      })),
    },
    validations: rule.validations.map((v) => ({ ...v })),
  };
  const selector = namespaceSelector(rule.match.namespaces);
  if (selector) spec.matchConstraints.namespaceSelector = selector;
  if (rule.match.conditions?.length) spec.matchConditions = rule.match.conditions.map((c) => ({ ...c }));
  if (isPods(rule)) spec.autogen = { podControllers: { controllers: [...POD_CONTROLLERS] } };
  if (rule.variables?.length) spec.variables = rule.variables.map((v) => ({ ...v }));
  return {
    apiVersion: "policies.kyverno.io/v1",
    kind: "ValidatingPolicy",
    metadata: { name: rule.name, annotations: { "policies.kyverno.io/description": rule.description } },
    spec,
  };
}
