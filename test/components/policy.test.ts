import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import { Policy, renderKyvernoValues, renderValidatingPolicies, type PolicyConfig } from "../../components/policy";
import { packPolicyObject } from "../../policies/pack";
import { DEFAULT_POLICY_SETTINGS, RULES } from "../../policies/rules";
import { TYPES } from "../../tools/types";
import { configMapMarker, fakeCluster, fakeNetwork } from "../helpers/layers";
import { recordResources } from "../helpers/program";
import { packConfig, stackConfig } from "../policies/self-consistency";


const settings = (enforcement: "Audit" | "Deny"): PolicyConfig => ({ ...DEFAULT_POLICY_SETTINGS, enforcement });

async function build(config: PolicyConfig) {
  return recordResources(async () => {
    const cluster = fakeCluster();
    const cni = configMapMarker(cluster.provider)("cni");
    const policy = new Policy("policy", { cluster, network: fakeNetwork([cni]), settings: config });
    return { names: policy.policyNames };
  });
}

describe("Kyverno values", () => {
  it("runs three admission controllers where violations are denied, one where they are audited", () => {
    assert.equal((renderKyvernoValues({ highAvailability: true }) as any).admissionController.replicas, 3);
    assert.equal((renderKyvernoValues({ highAvailability: false }) as any).admissionController.replicas, 1);
  });

  it("keeps the pre-delete hook that removes Kyverno's webhooks", () => {
    assert.deepEqual((renderKyvernoValues({ highAvailability: false }) as any).webhooksCleanup, { enabled: true });
  });
});

describe("ValidatingPolicy rendering", () => {
  it("uses the CEL policy type, not the deprecated ClusterPolicy", () => {
    for (const p of renderValidatingPolicies(settings("Deny"))) {
      assert.equal(p.apiVersion, "policies.kyverno.io/v1");
      assert.equal(p.kind, "ValidatingPolicy");
      assert.equal("validationFailureAction" in p.spec, false);
    }
  });

  it("denies in prod and audits in dev, except require-runtime-class, which denies in both", () => {
    for (const p of renderValidatingPolicies(settings("Deny"))) assert.deepEqual([p.spec.validationActions, p.spec.failurePolicy], [["Deny"], "Fail"]);
    for (const p of renderValidatingPolicies(settings("Audit"))) {
      const own = p.metadata.name === "require-runtime-class";
      assert.deepEqual([p.spec.validationActions, p.spec.failurePolicy], own ? [["Deny"], "Fail"] : [["Audit"], "Ignore"], p.metadata.name);
    }
  });

  it("scopes the GPU rule to model pods by a match condition on the pod's labels, and privileged/resources rules by namespace", () => {
    const [gpu, , , privileged, resources] = renderValidatingPolicies(settings("Deny"));
    const [condition] = gpu.spec.matchConditions!;
    assert.equal(condition.name, "model-serving-pod");
    assert.match(condition.expression, /\.all\(labels, 'app\.kubernetes\.io\/component' in labels && labels\['app\.kubernetes\.io\/component'\] == 'model-server'\)$/);
    // The labels of the pod itself, or of the template each kind carries its pods in.
    for (const path of ["object.metadata.labels", "object.spec.template.metadata.labels", "object.spec.jobTemplate.spec.template.metadata.labels", "object.spec.jobTargetRef.template.metadata.labels"]) {
      assert.ok(condition.expression.includes(`? ${path} :`), path);
    }
    assert.deepEqual(privileged.spec.matchConstraints.namespaceSelector, {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...DEFAULT_POLICY_SETTINGS.systemNamespaces].sort() }],
    });
    assert.deepEqual(resources.spec.matchConstraints.namespaceSelector, {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["ollama", "openhands", "openhands-sandboxes"] }],
    });
  });

  it("exempts only the namespaces whose node agents need privileged containers", () => {
    assert.deepEqual([...DEFAULT_POLICY_SETTINGS.systemNamespaces].sort(), ["gpu-operator", "kube-system", "longhorn-system", "rook-ceph"]);
  });

  it("matches each pod kind, custom resources with pod templates and the ephemeral-containers subresource explicitly", () => {
    const privileged = renderValidatingPolicies(settings("Deny")).find((p) => p.metadata.name === "disallow-privileged")!;
    assert.deepEqual(
      privileged.spec.matchConstraints.resourceRules.map((r) => [r.apiGroups[0], r.apiVersions[0], r.resources]),
      [
        ["", "v1", ["pods", "pods/ephemeralcontainers", "replicationcontrollers"]],
        ["apps", "v1", ["daemonsets", "deployments", "replicasets", "statefulsets"]],
        ["batch", "v1", ["cronjobs", "jobs"]],
        ["serving.knative.dev", "v1", ["configurations", "revisions", "services"]],
        ["keda.sh", "v1alpha1", ["scaledjobs"]],
      ],
    );
    assert.equal(privileged.spec.autogen, undefined);
  });
});

describe("Policy component", () => {
  it("installs the pinned Kyverno chart into a baseline namespace after the CNI", async () => {
    const run = await build(settings("Deny"));
    const release = run.get(TYPES.release, "policy-kyverno");
    assert.equal(release.inputs.chart, CHARTS.kyverno.chart);
    assert.equal(release.inputs.version, CHARTS.kyverno.version);
    assert.equal(release.inputs.namespace, "kyverno");
    assert.equal(release.inputs.values.admissionController.replicas, 3);
    const ns = run.get(TYPES.namespace, "policy-namespace");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.ok(run.dependsOn(`${TYPES.release}::policy-kyverno`, "kubernetes:core/v1:ConfigMap::cni"));
  });

  it("creates one ValidatingPolicy per rule, each after the Kyverno release", async () => {
    const run = await build(settings("Deny"));
    const vpols = run.ofType(TYPES.validatingPolicy);
    assert.deepEqual(vpols.map((v) => v.inputs.metadata.name), RULES.map((r) => r.name));
    for (const v of vpols) {
      assert.ok(run.dependsOn(`${TYPES.validatingPolicy}::${v.name}`, `${TYPES.release}::policy-kyverno`), v.name);
      assert.ok(v.provider?.includes("fake"), `${v.name} has the cluster's provider`);
    }
  });

  for (const stack of ["dev", "prod"] as const) {
    it(`deploys exactly the match constraints and expressions the ${stack} pack evaluates`, async () => {
      const cfg = packConfig(stack);
      const pack = Object.fromEntries(RULES.map((r) => [r.name, packPolicyObject(r, cfg[r.name])]));
      const run = await build(stackConfig(stack).policy);
      for (const v of run.ofType(TYPES.validatingPolicy)) {
        const evaluated = pack[v.inputs.metadata.name].spec;
        const deployed = v.inputs.spec;
        for (const field of ["matchConstraints", "matchConditions", "autogen", "variables", "validations"] as const) {
          assert.deepEqual(deployed[field], evaluated[field] as unknown, `${v.name}.spec.${field}`);
        }
        assert.deepEqual(deployed.validationActions, [stack === "prod" || v.inputs.metadata.name === "require-runtime-class" ? "Deny" : "Audit"]);
      }
    });
  }
});
