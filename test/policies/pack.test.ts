import * as k8s from "@pulumi/kubernetes";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as path from "node:path";
import { parse } from "yaml";
import { CHARTS } from "../../components/catalog";
import { renderValidatingPolicies } from "../../components/policy";
import { ConfigError } from "../../config/load";
import { checkCel } from "../../policies/cel/env";
import { packPolicies, renderPackConfig } from "../../policies/pack";
import { buildRules, DEFAULT_POLICY_SETTINGS, RULES } from "../../policies/rules";
import { fakeProvider } from "../helpers/layers";
import { recordResources, ROOT } from "../helpers/program";
import { manifestViolations } from "./helpers";
import { packConfig, refusalsOf, stackConfig, unaccountedPrivilegedNamespaces } from "./self-consistency";

const POLICIES = path.join(ROOT, "policies");
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));

describe("the policy pack's package", () => {
  it("pins its dependencies exactly, on the root's Pulumi and TypeScript", () => {
    const pkg = readJson(path.join(POLICIES, "package.json"));
    const root = readJson(path.join(ROOT, "package.json"));
    const deps = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;
    for (const [name, v] of Object.entries(deps)) assert.match(v, /^\d+\.\d+\.\d+$/, `${name}@${v}`);
    assert.equal(deps["@pulumi/policy"], "1.21.0");
    assert.equal(deps["@bufbuild/cel"], "0.6.1");
    assert.equal(deps["@pulumi/pulumi"], root.dependencies["@pulumi/pulumi"]);
    assert.equal(deps.typescript, root.devDependencies.typescript);
    assert.ok(fs.existsSync(path.join(POLICIES, "package-lock.json")));
  });

  it("is a Node.js policy pack", () => {
    assert.equal(parse(fs.readFileSync(path.join(POLICIES, "PulumiPolicy.yaml"), "utf8")).runtime, "nodejs");
  });

  it("has one policy per rule module, one file per rule, each configurable by exactly its settings", () => {
    const policies = packPolicies();
    assert.deepEqual(policies.map((p) => p.name), RULES.map((r) => r.name));
    assert.equal(new Set(RULES.map((r) => r.name)).size, RULES.length);
    for (const r of RULES) {
      assert.ok(fs.existsSync(path.join(POLICIES, "rules", `${r.name}.ts`)), r.name);
      assert.deepEqual(Object.keys(policies.find((p) => p.name === r.name)!.configSchema!.properties), [...r.settings]);
    }
  });

  it("writes rules in CEL the pack compiles, reading only object and variables", () => {
    for (const rule of buildRules({ ...DEFAULT_POLICY_SETTINGS, pvcQuotaExceptions: { a: "1Ti" } })) {
      const exprs = [...(rule.match.conditions ?? []), ...(rule.variables ?? []), ...rule.validations].flatMap((e) => [
        e.expression,
        ...("messageExpression" in e && e.messageExpression ? [e.messageExpression] : []),
      ]);
      for (const e of exprs) {
        assert.equal(checkCel(e), undefined, e);
        const code = e.replace(/'(?:[^'\\]|\\.)*'/g, "''");
        assert.doesNotMatch(code, /\b(request|oldObject|namespaceObject|authorizer|params)\b/, e);
      }
    }
  });
});

describe("per-stack pack config", () => {
  for (const [stack, level] of [
    ["dev", "advisory"],
    ["prod", "mandatory"],
  ] as const) {
    it(`policies/config/${stack}.json carries the ${stack} stack's policy settings, ${level}`, () => {
      const c = stackConfig(stack).policy;
      const expected = renderPackConfig(c, c.enforcement);
      assert.deepEqual(packConfig(stack), expected, `policies/config/${stack}.json is stale: run npm run policy:config`);
      for (const r of RULES) assert.equal((packConfig(stack)[r.name] as { enforcementLevel: string }).enforcementLevel, r.enforcement === "Deny" ? "mandatory" : level, r.name);
    });
  }

  it("makes require-runtime-class mandatory and Deny even where the stack audits, and only that rule", () => {
    assert.deepEqual(RULES.filter((r) => r.enforcement === "Deny").map((r) => r.name), ["require-runtime-class"]);
    const audit = { ...DEFAULT_POLICY_SETTINGS, runtimeClasses: { "openhands-sandboxes": "gvisor" } };
    const levels = renderPackConfig(audit, "Audit") as Record<string, { enforcementLevel: string }>;
    assert.equal(levels["require-runtime-class"].enforcementLevel, "mandatory");
    assert.equal(levels["disallow-privileged"].enforcementLevel, "advisory");
    const policies = new Map(renderValidatingPolicies({ ...audit, enforcement: "Audit" }).map((p) => [p.metadata.name, p.spec]));
    assert.deepEqual([policies.get("require-runtime-class")!.validationActions, policies.get("require-runtime-class")!.failurePolicy], [["Deny"], "Fail"]);
    assert.deepEqual([policies.get("disallow-privileged")!.validationActions, policies.get("disallow-privileged")!.failurePolicy], [["Audit"], "Ignore"]);
  });
});

describe("self-consistency checker", () => {
  it("reports a registered resource that its stack's policies refuse", async () => {
    const run = await recordResources(async () => {
      const provider = fakeProvider();
      new k8s.core.v1.Pod("bad", { metadata: { namespace: "apps" }, spec: { containers: [{ name: "app", image: "nginx" }] } }, { provider });
      return {};
    });
    const { evaluated, refusals } = refusalsOf(run.resources, packConfig("prod"));
    assert.deepEqual(evaluated, ["kubernetes:core/v1:Pod::bad"]);
    assert.deepEqual(refusals, [
      { resource: "kubernetes:core/v1:Pod::bad", rule: "disallow-latest-tag", messages: ["unpinned image: app uses nginx; pin a version tag other than latest, or a digest"] },
    ]);
  });
});

describe("privileged namespaces and disallow-privileged", () => {
  it("reports a privileged namespace that is neither a system namespace nor one with named host access", async () => {
    const run = await recordResources(async () => {
      const provider = fakeProvider();
      for (const [name, level] of [["monitoring-node-exporter", "privileged"], ["rook-ceph", "privileged"], ["agents", "privileged"], ["apps", "baseline"]]) {
        new k8s.core.v1.Namespace(name, { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level } } }, { provider });
      }
      return {};
    });
    assert.deepEqual(unaccountedPrivilegedNamespaces(run.resources, packConfig("prod")), ["agents"]);
  });
});

describe("the pack on Pulumi's patch and custom resource types", () => {
  it("refuses what @pulumi/kubernetes registers as DeploymentPatch, PodPatch, a Knative Service and its CustomResourcePatch", async () => {
    const run = await recordResources(async () => {
      const provider = fakeProvider();
      new k8s.apps.v1.DeploymentPatch("latest", { metadata: { name: "web", namespace: "apps" }, spec: { template: { spec: { containers: [{ name: "web", image: "nginx:latest" }] } } } }, { provider });
      new k8s.core.v1.PodPatch("host", { metadata: { name: "debug", namespace: "apps" }, spec: { hostPID: true } }, { provider });
      const svc = { metadata: { name: "hello", namespace: "apps" }, spec: { template: { spec: { containers: [{ image: "ghcr.io/knative/helloworld-go:latest" }] } } } };
      new k8s.apiextensions.CustomResource("ksvc", { apiVersion: "serving.knative.dev/v1", kind: "Service", ...svc }, { provider });
      new k8s.apiextensions.CustomResourcePatch("ksvc-patch", { apiVersion: "serving.knative.dev/v1", kind: "Service", ...svc }, { provider });
      // Fine: a replica count, and requests the live object may have.
      new k8s.apps.v1.DeploymentPatch("scale", { metadata: { name: "openhands", namespace: "openhands" }, spec: { replicas: 2 } }, { provider });
      return {};
    });
    const { evaluated, refusals } = refusalsOf(run.resources, packConfig("prod"));
    assert.deepEqual(evaluated.sort(), [
      "kubernetes:apps/v1:DeploymentPatch::latest",
      "kubernetes:apps/v1:DeploymentPatch::scale",
      "kubernetes:core/v1:PodPatch::host",
      "kubernetes:serving.knative.dev/v1:Service::ksvc",
      "kubernetes:serving.knative.dev/v1:ServicePatch::ksvc-patch",
    ]);
    const latest = (who: string) => `unpinned image: ${who}; pin a version tag other than latest, or a digest`;
    assert.deepEqual(refusals, [
      { resource: "kubernetes:apps/v1:DeploymentPatch::latest", rule: "disallow-latest-tag", messages: [latest("web uses nginx:latest")] },
      {
        resource: "kubernetes:core/v1:PodPatch::host",
        rule: "disallow-privileged",
        messages: ["Pod Security baseline forbids hostPID=true in namespace apps; only the system namespaces (platform:policy.systemNamespaces) are exempt"],
      },
      { resource: "kubernetes:serving.knative.dev/v1:Service::ksvc", rule: "disallow-latest-tag", messages: [latest("(unnamed) uses ghcr.io/knative/helloworld-go:latest")] },
      { resource: "kubernetes:serving.knative.dev/v1:ServicePatch::ksvc-patch", rule: "disallow-latest-tag", messages: [latest("(unnamed) uses ghcr.io/knative/helloworld-go:latest")] },
    ]);
  });
});

describe("MinIO volumes and the PVC quota: a sized pool, not an exception", () => {
  const volume = (size: string) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data0-minio-pool-0-0", namespace: CHARTS.minioTenant.namespace },
    spec: { resources: { requests: { storage: size } } },
  });

  for (const [stack, extra] of [
    // MinIO is opt-in in both profiles: enabled, each profile's pool must fit its quota.
    ["dev", { objectStorage: { minio: { enabled: true } } }],
    ["prod", { objectStorage: { minio: { enabled: true }, cephRgw: { enabled: false } } }],
  ] as const) {
    it(`sizes the ${stack} profile's MinIO volumes within its own quota`, () => {
      const c = stackConfig(stack, extra);
      assert.equal(c.objectStorage.minio.enabled, true);
      assert.deepEqual(c.policy.pvcQuotaExceptions, {});
      const cfg = renderPackConfig(c.policy, c.policy.enforcement)["pvc-storage-quota"] as Record<string, unknown>;
      assert.deepEqual(manifestViolations("pvc-storage-quota", volume(c.objectStorage.minio.volumeSize), cfg), []);
    });
  }

  it("refuses the original design's 1Ti volumes: in config, and in the policy", () => {
    assert.throws(
      () => stackConfig("prod", { objectStorage: { minio: { enabled: true, volumeSize: "1Ti" }, cephRgw: { enabled: false } } }),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith(`platform:objectStorage.minio.volumeSize: "1Ti" exceeds the PVC quota of namespace minio-tenant (100Gi`)),
    );
    assert.deepEqual(manifestViolations("pvc-storage-quota", volume("1Ti")), [
      "storage request 1Ti exceeds the quota of 100Gi in namespace minio-tenant; request less, or add an exception for the namespace (platform:policy.pvcQuotaExceptions)",
    ]);
  });

  it("accepts 1Ti volumes once the tenant namespace has an exception", () => {
    const c = stackConfig("prod", {
      objectStorage: { minio: { enabled: true, volumeSize: "1Ti" }, cephRgw: { enabled: false } },
      policy: { enforcement: "Deny", pvcQuotaExceptions: { "minio-tenant": "1Ti" } },
    });
    const cfg = renderPackConfig(c.policy, "Deny")["pvc-storage-quota"] as Record<string, unknown>;
    assert.deepEqual(manifestViolations("pvc-storage-quota", volume("1Ti"), cfg), []);
  });
});
