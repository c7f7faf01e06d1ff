import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { autogenSpecs, canAutogen, rewriteForController } from "../../policies/engine/autogen";
import { POD_CONTROLLERS, renderValidatingPolicy, type ValidatingPolicySpec } from "../../policies/engine/kyverno";
import { buildRules, DEFAULT_POLICY_SETTINGS } from "../../policies/rules";

/* Kyverno 1.19's autogen rewrite (pkg/cel/autogen/replacement.go), as the pack applies it. */

describe("autogen rewrite of pod expressions for controllers", () => {
  it("moves object.spec and object.metadata to the pod template", () => {
    assert.equal(rewriteForController("object.spec.containers.all(c, has(object.metadata.labels))", "defaults"), "object.spec.template.spec.containers.all(c, has(object.spec.template.metadata.labels))");
  });

  it("moves them under the job template for CronJobs", () => {
    assert.equal(rewriteForController("object.spec.containers", "cronjobs"), "object.spec.jobTemplate.spec.template.spec.containers");
    assert.equal(rewriteForController("object.metadata.labels", "cronjobs"), "object.spec.jobTemplate.spec.template.metadata.labels");
  });

  it("keeps object.metadata.namespace on the controller, but not a longer field name", () => {
    assert.equal(rewriteForController("object.metadata.namespace == 'x'", "defaults"), "object.metadata.namespace == 'x'");
    assert.equal(rewriteForController("object.metadata.namespaceFoo", "defaults"), "object.spec.template.metadata.namespaceFoo");
  });

  it("rewrites oldObject too", () => {
    assert.equal(rewriteForController("oldObject.spec.x", "defaults"), "oldObject.spec.template.spec.x");
  });
});

describe("which policies autogen applies to", () => {
  const [gpu, pvc] = buildRules(DEFAULT_POLICY_SETTINGS).map((r) => renderValidatingPolicy(r, "Deny"));
  // A policy on Pods alone, as Kyverno would autogen it (the platform's rules match every pod kind instead).
  const podsOnly = (autogen?: ValidatingPolicySpec["autogen"]): ValidatingPolicySpec => ({
    ...gpu.spec,
    matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }] },
    ...(autogen ? { autogen } : {}),
  });

  it("applies to a policy on pods only, listing all six controllers", () => {
    const spec = podsOnly({ podControllers: { controllers: [...POD_CONTROLLERS] } });
    assert.equal(canAutogen(spec), true);
    const specs = autogenSpecs(spec);
    assert.deepEqual(specs.map((s) => s.targets.map((t) => t.kind).sort()), [["CronJob"], ["DaemonSet", "Deployment", "Job", "ReplicaSet", "StatefulSet"]]);
    assert.deepEqual(specs[1].spec.matchConstraints.resourceRules.map((r) => [r.apiGroups[0], r.resources]), [
      ["apps", ["daemonsets", "deployments", "replicasets", "statefulsets"]],
      ["batch", ["jobs"]],
    ]);
  });

  it("applies to all six controllers when the policy lists none, as Kyverno's default does", () => {
    assert.deepEqual(autogenSpecs(podsOnly()).flatMap((s) => s.targets.map((t) => t.kind)).sort(), ["CronJob", "DaemonSet", "Deployment", "Job", "ReplicaSet", "StatefulSet"]);
    assert.deepEqual(autogenSpecs(podsOnly({ podControllers: { controllers: ["jobs"] } })).flatMap((s) => s.targets.map((t) => t.kind)), ["Job"]);
  });

  it("does not apply to the platform's policies, which match more than pods", () => {
    for (const p of [gpu, pvc]) {
      assert.equal(canAutogen(p.spec), false);
      assert.equal(p.spec.autogen, undefined);
      assert.deepEqual(autogenSpecs(p.spec), []);
    }
    const withSubresource = podsOnly();
    withSubresource.matchConstraints.resourceRules[0].resources.push("pods/ephemeralcontainers");
    assert.equal(canAutogen(withSubresource), false, "pods/ephemeralcontainers turns Kyverno's autogen off too");
  });
});
