import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { autogenSpecs, canAutogen, rewriteForController } from "../../policies/engine/autogen";
import { POD_CONTROLLERS, renderValidatingPolicy } from "../../policies/engine/kyverno";
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

  it("applies to a policy on pods only, listing all six controllers", () => {
    assert.equal(canAutogen(gpu.spec), true);
    assert.deepEqual(gpu.spec.autogen, { podControllers: { controllers: [...POD_CONTROLLERS] } });
    const specs = autogenSpecs(gpu.spec);
    assert.deepEqual(specs.map((s) => s.targets.map((t) => t.kind).sort()), [["CronJob"], ["DaemonSet", "Deployment", "Job", "ReplicaSet", "StatefulSet"]]);
    assert.deepEqual(specs[1].spec.matchConstraints.resourceRules.map((r) => [r.apiGroups[0], r.resources]), [
      ["apps", ["daemonsets", "deployments", "replicasets", "statefulsets"]],
      ["batch", ["jobs"]],
    ]);
  });

  it("does not apply to the PVC policy, which matches two resources", () => {
    assert.equal(canAutogen(pvc.spec), false);
    assert.equal(pvc.spec.autogen, undefined);
    assert.deepEqual(autogenSpecs(pvc.spec), []);
  });
});
