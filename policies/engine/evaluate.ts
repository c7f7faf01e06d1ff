import { evaluateCel } from "../cel/env";
import { autogenSpecs } from "./autogen";
import { NAMESPACE_NAME_LABEL, type LabelSelector, type ValidatingPolicy, type ValidatingPolicySpec } from "./kyverno";
import { DEFAULT_NAMESPACE, kindOf, type KindInfo } from "./resources";

/** What a policy says about one object. */
export type Verdict =
  | { readonly outcome: "skip"; readonly reason: string }
  | { readonly outcome: "pass" }
  | { readonly outcome: "deny"; readonly messages: string[] }
  | { readonly outcome: "error"; readonly messages: string[] };

/** What admission request the object arrives in; the pack's resources are CREATEs of the resource itself. */
export interface AdmissionRequest {
  readonly operation: "CREATE" | "UPDATE";
  /** A subresource (`ephemeralcontainers` of a Pod): admission rules must name it to see it. */
  readonly subresource?: string;
}

const CREATE: AdmissionRequest = { operation: "CREATE" };

const matchesRule = (spec: ValidatingPolicySpec, k: KindInfo, request: AdmissionRequest) =>
  spec.matchConstraints.resourceRules.some(
    (r) =>
      r.apiGroups.includes(k.group) &&
      r.apiVersions.includes(k.version) &&
      r.resources.includes(request.subresource ? `${k.resource}/${request.subresource}` : k.resource) &&
      r.operations.includes(request.operation),
  );

/**
 * Namespace selectors select by the namespace's name label: the only namespace label known
 * at preview time. A selector on any other label cannot be evaluated and throws, so a rule
 * that the pack cannot evaluate faithfully fails its tests instead of drifting.
 */
export function selectsNamespace(selector: LabelSelector | undefined, namespace: string): boolean {
  if (!selector) return true;
  const labels: Record<string, string> = { [NAMESPACE_NAME_LABEL]: namespace };
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (k !== NAMESPACE_NAME_LABEL) throw new Error(`namespaceSelector on label ${k}: the pack only knows ${NAMESPACE_NAME_LABEL}`);
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    if (e.key !== NAMESPACE_NAME_LABEL) throw new Error(`namespaceSelector on label ${e.key}: the pack only knows ${NAMESPACE_NAME_LABEL}`);
    const has = e.key in labels;
    const ok =
      e.operator === "In" ? has && (e.values ?? []).includes(labels[e.key])
      : e.operator === "NotIn" ? !has || !(e.values ?? []).includes(labels[e.key])
      : e.operator === "Exists" ? has
      : !has;
    if (!ok) return false;
  }
  return true;
}

/** The spec that applies to this kind: the policy's own, or the one autogen made for it. */
export function specFor(policy: ValidatingPolicy, kind: KindInfo, request: AdmissionRequest = CREATE): ValidatingPolicySpec | undefined {
  if (matchesRule(policy.spec, kind, request)) return policy.spec;
  return autogenSpecs(policy.spec).find((g) => matchesRule(g.spec, kind, request))?.spec;
}

/**
 * Evaluates a Kyverno ValidatingPolicy against an object as Kyverno does at admission
 * (by default a CREATE of the resource itself; `request` names another operation or a
 * subresource): resource rules (and autogen), namespace selector, match conditions (any false
 * skips; otherwise an error is an error), variables in order, then every validation, whose
 * failure reports its messageExpression (or its message when that fails). Errors are
 * reported, never skipped: the pack fails closed like failurePolicy Fail.
 */
export function evaluatePolicy(policy: ValidatingPolicy, object: Record<string, unknown>, request: AdmissionRequest = CREATE): Verdict {
  const kind = kindOf(object);
  if (!kind) return { outcome: "skip", reason: `kind ${String(object.apiVersion)}/${String(object.kind)} is not evaluated` };
  const spec = specFor(policy, kind, request);
  if (!spec) return { outcome: "skip", reason: `${policy.metadata.name} does not match ${kind.kind}${request.subresource ? `/${request.subresource}` : ""}` };
  const metadata = (object.metadata ?? {}) as { namespace?: string };
  const namespace = metadata.namespace ?? DEFAULT_NAMESPACE;
  if (!selectsNamespace(spec.matchConstraints.namespaceSelector, namespace)) {
    return { outcome: "skip", reason: `namespace ${namespace} is not selected` };
  }
  const name = policy.metadata.name;

  const conditionErrors: string[] = [];
  for (const c of spec.matchConditions ?? []) {
    const r = evaluateCel(c.expression, { object });
    if (r.ok && r.value === false) return { outcome: "skip", reason: `match condition ${c.name} is false` };
    if (!r.ok) conditionErrors.push(`${name}: match condition ${c.name} failed: ${r.error}`);
    else if (r.value !== true) conditionErrors.push(`${name}: match condition ${c.name} is not a bool`);
  }
  if (conditionErrors.length > 0) return { outcome: "error", messages: conditionErrors };

  const variables: Record<string, unknown> = {};
  for (const v of spec.variables ?? []) {
    const r = evaluateCel(v.expression, { object, variables });
    if (!r.ok) return { outcome: "error", messages: [`${name}: variable ${v.name} failed: ${r.error}`] };
    variables[v.name] = r.value;
  }

  const denials: string[] = [];
  const errors: string[] = [];
  for (const v of spec.validations) {
    const r = evaluateCel(v.expression, { object, variables });
    if (!r.ok) errors.push(`${name}: expression '${v.expression}' failed: ${r.error}`);
    else if (typeof r.value !== "boolean") errors.push(`${name}: expression '${v.expression}' is not a bool`);
    else if (!r.value) {
      const m = v.messageExpression ? evaluateCel(v.messageExpression, { object, variables }) : undefined;
      denials.push(m?.ok && typeof m.value === "string" && m.value.trim() !== "" ? m.value : v.message);
    }
  }
  if (errors.length > 0) return { outcome: "error", messages: [...errors, ...denials] };
  return denials.length > 0 ? { outcome: "deny", messages: denials } : { outcome: "pass" };
}
