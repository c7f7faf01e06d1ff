import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import { LINKERD_CNI } from "../../components/mesh/cni";
import { NODE_EXPORTER_NAMESPACE } from "../../components/observability/settings";
import { renderValidatingPolicies } from "../../components/policy";
import { autogenSpecs, canAutogen } from "../../policies/engine/autogen";
import { evaluatePolicy, selectsNamespace } from "../../policies/engine/evaluate";
import type { ValidatingPolicy } from "../../policies/engine/kyverno";
import { isPatchType, kindOfPulumiType, toKubernetesObject } from "../../policies/engine/resources";
import { evaluateResource } from "../../policies/pack";
import { BASELINE_CAPABILITIES, HOST_ACCESS_EXCEPTIONS } from "../../policies/rules/disallow-privileged";
import { EPHEMERAL_CONTAINERS, OLLAMA_FLEETS, POD_KINDS, PVCS } from "../../policies/rules/kinds";
import { DEFAULT_POLICY_SETTINGS, RULES } from "../../policies/rules";
import { manifestViolations } from "./helpers";

/*
 * What the rules match, in the cluster and at preview: every pod kind (custom resources with
 * pod templates included), the ephemeral-containers subresource, Pulumi's *Patch types; and
 * the host access exceptions, which must stay the platform's own namespaces.
 */

const POLICIES = new Map(renderValidatingPolicies({ ...DEFAULT_POLICY_SETTINGS, enforcement: "Deny" }).map((p) => [p.metadata.name, p]));
const policy = (name: string) => POLICIES.get(name)!;
const matched = (name: string) => policy(name).spec.matchConstraints.resourceRules.flatMap((r) => r.resources.map((res) => `${r.apiGroups[0]}/${r.apiVersions[0]}/${res}`));
const ref = (k: { group: string; version: string; resource: string }) => `${k.group}/${k.version}/${k.resource}`;
const selectedBy = (p: ValidatingPolicy, namespaces: string[]) => namespaces.filter((n) => selectsNamespace(p.spec.matchConstraints.namespaceSelector, n));

describe("what the Kyverno policies match", () => {
  it("matches every pod kind, Knative's and KEDA's custom resources included, in every pod rule", () => {
    for (const name of ["require-gpu-limits", "pvc-storage-quota", "disallow-latest-tag", "disallow-privileged", "require-requests-limits", "require-runtime-class"]) {
      for (const k of POD_KINDS) assert.ok(matched(name).includes(ref(k)), `${name} does not match ${k.kind} (${ref(k)})`);
    }
    assert.ok(matched("pvc-storage-quota").includes(ref(PVCS)));
    for (const name of ["pvc-storage-quota", "disallow-latest-tag"]) assert.ok(matched(name).includes(ref(OLLAMA_FLEETS)), name);
  });

  it("matches pods/ephemeralcontainers where containers are checked, and only there", () => {
    assert.deepEqual(
      RULES.map((r) => r.name).filter((n) => matched(n).includes(ref(EPHEMERAL_CONTAINERS))),
      ["disallow-latest-tag", "disallow-privileged"],
    );
    assert.deepEqual(policy("disallow-privileged").spec.matchConstraints.resourceRules[0], {
      apiGroups: [""],
      apiVersions: ["v1"],
      operations: ["CREATE", "UPDATE"],
      resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
    });
  });

  it("sends require-runtime-class only the namespaces that require a class, and none when none does", () => {
    assert.deepEqual(policy("require-runtime-class").spec.matchConstraints.namespaceSelector, { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "DoesNotExist" }] });
    const scoped = renderValidatingPolicies({ ...DEFAULT_POLICY_SETTINGS, runtimeClasses: { "openhands-sandboxes": "gvisor", agents: "kata" }, enforcement: "Audit" }).find((p) => p.metadata.name === "require-runtime-class")!;
    assert.deepEqual(scoped.spec.matchConstraints.namespaceSelector, { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["agents", "openhands-sandboxes"] }] });
    assert.deepEqual(selectedBy(policy("require-runtime-class"), ["default", "openhands-sandboxes"]), []);
    assert.deepEqual(selectedBy(scoped, ["default", "openhands-sandboxes"]), ["openhands-sandboxes"]);
  });

  it("gets no Kyverno autogen (it would cover only six controllers), so every kind is checked by the policy's own expressions", () => {
    for (const p of POLICIES.values()) {
      assert.equal(canAutogen(p.spec), false, p.metadata.name);
      assert.equal(p.spec.autogen, undefined, p.metadata.name);
      assert.deepEqual(autogenSpecs(p.spec), []);
    }
  });
});

describe("ephemeral containers added through pods/ephemeralcontainers", () => {
  const debugged = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "apps" },
    spec: {
      containers: [{ name: "web", image: "nginx:1.29.1" }],
      ephemeralContainers: [{ name: "debugger", image: "busybox:latest", securityContext: { privileged: true } }],
    },
  };
  const request = { operation: "UPDATE", subresource: "ephemeralcontainers" } as const;

  it("are refused by the Kyverno policies: privileged, and on :latest", () => {
    assert.deepEqual(evaluatePolicy(policy("disallow-privileged"), debugged, request), {
      outcome: "deny",
      messages: ["Pod Security baseline forbids container debugger: privileged in namespace apps; only the system namespaces (platform:policy.systemNamespaces) are exempt"],
    });
    assert.deepEqual(evaluatePolicy(policy("disallow-latest-tag"), debugged, request), {
      outcome: "deny",
      messages: ["unpinned image: debugger uses busybox:latest; pin a version tag other than latest, or a digest"],
    });
  });

  it("are not matched by a policy on pods alone (admission rules name subresources)", () => {
    const podsOnly = structuredClone(policy("disallow-privileged"));
    for (const r of podsOnly.spec.matchConstraints.resourceRules) r.resources = r.resources.filter((x) => x !== "pods/ephemeralcontainers");
    assert.equal(evaluatePolicy(podsOnly, debugged, request).outcome, "skip");
    assert.equal(evaluatePolicy(podsOnly, debugged).outcome, "deny");
  });

  it("leave the resource rules to their Pod (ephemeral containers set no resources)", () => {
    for (const name of ["require-gpu-limits", "pvc-storage-quota", "require-requests-limits"]) assert.equal(evaluatePolicy(policy(name), debugged, request).outcome, "skip", name);
  });
});

describe("the Pulumi types the pack evaluates", () => {
  it("maps custom resources and every *Patch type to the kind they create or patch", () => {
    assert.equal(kindOfPulumiType("kubernetes:serving.knative.dev/v1:Service")?.info.kind, "Service");
    assert.deepEqual(kindOfPulumiType("kubernetes:apps/v1:DeploymentPatch"), { info: kindOfPulumiType("kubernetes:apps/v1:Deployment")!.info, patch: true });
    for (const t of ["kubernetes:core/v1:PodPatch", "kubernetes:batch/v1:CronJobPatch", "kubernetes:core/v1:PersistentVolumeClaimPatch", "kubernetes:keda.sh/v1alpha1:ScaledJobPatch", "kubernetes:openhands.ai/v1alpha1:OllamaFleetPatch"]) {
      assert.equal(isPatchType(t), true, t);
    }
    assert.equal(kindOfPulumiType("kubernetes:core/v1:Service"), undefined, "a core Service carries no pod");
    assert.equal(kindOfPulumiType("kubernetes:core/v1:ConfigMapPatch"), undefined);
    assert.deepEqual(toKubernetesObject("kubernetes:apps/v1:DeploymentPatch", { metadata: { name: "x" } }), { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", namespace: "default" } });
  });

  it("skips patches only in the rules that an absent field violates", () => {
    assert.deepEqual(
      RULES.filter((r) => !r.checksPatches).map((r) => r.name),
      ["require-gpu-limits", "require-requests-limits", "require-runtime-class"],
    );
    const patch = { metadata: { name: "model", namespace: "ollama" }, spec: { template: { metadata: { labels: { "app.kubernetes.io/component": "model-server" } }, spec: { containers: [{ name: "server" }] } } } };
    for (const r of RULES.filter((x) => !x.checksPatches)) assert.equal(evaluateResource(r, {}, "kubernetes:apps/v1:DeploymentPatch", patch)?.outcome, "skip", r.name);
  });
});

describe("OllamaFleet", () => {
  const fleet = (spec: Record<string, unknown>) => ({ apiVersion: "openhands.ai/v1alpha1", kind: "OllamaFleet", metadata: { name: "coder", namespace: "ollama" }, spec: { model: "qwen2.5-coder:32b", ...spec } });
  it("must pin its image", () => {
    assert.deepEqual(manifestViolations("disallow-latest-tag", fleet({ image: "ollama/ollama:latest" })), ["unpinned image: coder uses ollama/ollama:latest; pin a version tag other than latest, or a digest"]);
    assert.deepEqual(manifestViolations("disallow-latest-tag", fleet({ image: "ollama/ollama:0.32.15" })), []);
  });
  it("must size its volumes within the quota", () => {
    assert.deepEqual(manifestViolations("pvc-storage-quota", fleet({ storage: { size: "50Ti" } })), [
      "storage request 50Ti exceeds the quota of 100Gi in namespace ollama; request less, or add an exception for the namespace (platform:policy.pvcQuotaExceptions)",
    ]);
    assert.deepEqual(manifestViolations("pvc-storage-quota", fleet({ storage: { size: 1024 } })), []);
  });
});

describe("host access exceptions", () => {
  it("are the platform's own namespaces for the charts that need them", () => {
    assert.deepEqual(
      HOST_ACCESS_EXCEPTIONS.map((e) => e.namespace),
      [NODE_EXPORTER_NAMESPACE, LINKERD_CNI.namespace, CHARTS.contour.namespace, CHARTS.ingressNginx.namespace, "local-path-storage"],
    );
    for (const e of HOST_ACCESS_EXCEPTIONS) {
      assert.ok(!DEFAULT_POLICY_SETTINGS.systemNamespaces.includes(e.namespace), `${e.namespace} is a system namespace already`);
      assert.ok(e.needs.length > 40, `${e.namespace}: say which chart needs what`);
      for (const c of e.capabilities ?? []) assert.ok(!(BASELINE_CAPABILITIES as readonly string[]).includes(c), `${e.namespace}: ${c} needs no exception`);
    }
  });

  it("grant nothing privileged: no exception allows hostIPC or added capabilities", () => {
    assert.ok(HOST_ACCESS_EXCEPTIONS.every((e) => !(e.hostNamespaces ?? []).includes("hostIPC") && (e.capabilities ?? []).length === 0));
  });
});
