import { KINDS, type KindInfo } from "./resources";
import { POD_CONTROLLERS, type ValidatingPolicySpec } from "./kyverno";

/*
 * Kyverno's autogen for ValidatingPolicy, as Kyverno 1.19 does it (pkg/cel/autogen,
 * pkg/cel/policies/vpol/autogen): a policy on Pods only, without objectSelector, exclude
 * rules or resource names, is copied once per group of controllers with its match
 * constraints replaced by the controllers' resources, and every `object.spec` /
 * `object.metadata` in the copied spec rewritten to the pod template's, except
 * `object.metadata.namespace`, which stays on the controller. Without `spec.autogen` it does
 * so for all six controllers (pkg/cel/policies/vpol/autogen/autogen.go). The platform's
 * rules match every pod kind explicitly and so get no autogen (the tests check it); the pack
 * still emulates it, so a policy that did get it would be evaluated as Kyverno evaluates it.
 */

interface Replacement {
  readonly from: string;
  readonly to: string;
}

// prettier-ignore
const REPLACEMENTS: Record<"defaults" | "cronjobs", readonly Replacement[]> = {
  defaults: [{ from: "spec", to: "spec.template.spec" }, { from: "metadata", to: "spec.template.metadata" }],
  cronjobs: [{ from: "spec", to: "spec.jobTemplate.spec.template.spec" }, { from: "metadata", to: "spec.jobTemplate.spec.template.metadata" }],
};

/** Kyverno's controller names and the rewrite each uses. */
const CONTROLLERS: Record<string, { resource: string; group: string; replacements: "defaults" | "cronjobs" }> = {
  daemonsets: { group: "apps", resource: "daemonsets", replacements: "defaults" },
  deployments: { group: "apps", resource: "deployments", replacements: "defaults" },
  replicasets: { group: "apps", resource: "replicasets", replacements: "defaults" },
  statefulsets: { group: "apps", resource: "statefulsets", replacements: "defaults" },
  jobs: { group: "batch", resource: "jobs", replacements: "defaults" },
  cronjobs: { group: "batch", resource: "cronjobs", replacements: "cronjobs" },
};

const PROTECTED_SUFFIXES = [".namespace"];
const isIdentifierChar = (c: string) => /[A-Za-z0-9_]/.test(c);

function replaceUnprotected(text: string, from: string, to: string): string {
  let out = "";
  let rest = text;
  let i = rest.indexOf(from);
  while (i >= 0) {
    out += rest.slice(0, i);
    const after = rest.slice(i + from.length);
    const isProtected = PROTECTED_SUFFIXES.some((s) => after.startsWith(s) && (after.length === s.length || !isIdentifierChar(after[s.length])));
    out += isProtected ? from : to;
    rest = after;
    i = rest.indexOf(from);
  }
  return out + rest;
}

/** Rewrites `object.<from>` and `oldObject.<from>` as Kyverno's autogen does. */
export function rewriteForController(text: string, controller: "defaults" | "cronjobs"): string {
  let out = text;
  for (const r of REPLACEMENTS[controller]) {
    out = replaceUnprotected(out, `object.${r.from}`, `object.${r.to}`);
    out = replaceUnprotected(out, `oldObject.${r.from}`, `oldObject.${r.to}`);
  }
  return out;
}

/** Whether Kyverno generates controller rules for these match constraints. */
export function canAutogen(spec: ValidatingPolicySpec): boolean {
  const rules = spec.matchConstraints.resourceRules;
  if (rules.length !== 1) return false;
  const [r] = rules;
  return r.apiGroups.length === 1 && r.apiGroups[0] === "" && r.apiVersions.length === 1 && r.apiVersions[0] === "v1" && r.resources.length === 1 && r.resources[0] === "pods";
}

/** A policy spec generated for some pod controllers. */
export interface AutogenSpec {
  readonly targets: readonly KindInfo[];
  readonly spec: ValidatingPolicySpec;
}

/** The specs Kyverno generates for the pod controllers a policy lists (none when it cannot). */
export function autogenSpecs(spec: ValidatingPolicySpec): AutogenSpec[] {
  if (!canAutogen(spec)) return [];
  const groups = new Map<"defaults" | "cronjobs", KindInfo[]>();
  for (const name of spec.autogen?.podControllers.controllers ?? POD_CONTROLLERS) {
    const c = CONTROLLERS[name];
    if (!c) continue;
    const kind = KINDS.find((k) => k.group === c.group && k.resource === c.resource) as KindInfo;
    groups.set(c.replacements, [...(groups.get(c.replacements) ?? []), kind]);
  }
  const out: AutogenSpec[] = [];
  for (const group of [...groups.keys()].sort()) {
    const targets = groups.get(group) as KindInfo[];
    const operations = spec.matchConstraints.resourceRules[0].operations;
    const byGroup = new Map<string, string[]>();
    for (const t of targets) byGroup.set(`${t.group}/${t.version}`, [...(byGroup.get(`${t.group}/${t.version}`) ?? []), t.resource]);
    const copy: ValidatingPolicySpec = {
      ...spec,
      matchConstraints: {
        resourceRules: [...byGroup.keys()].sort().map((gv) => {
          const [g, v] = gv.split("/");
          return { apiGroups: [g], apiVersions: [v], operations: [...operations], resources: [...(byGroup.get(gv) as string[])].sort() };
        }),
        ...(spec.matchConstraints.namespaceSelector ? { namespaceSelector: spec.matchConstraints.namespaceSelector } : {}),
      },
    };
    out.push({ targets, spec: JSON.parse(rewriteForController(JSON.stringify(copy), group)) as ValidatingPolicySpec });
  }
  return out;
}
