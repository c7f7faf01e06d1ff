import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { modelSlug } from "../../operator/src/names";
import { API_VERSION, DEFAULTS, GROUP, KIND, PLURAL, VERSION } from "../../operator/src/api/v1alpha1";
import { withDefaults } from "../../operator/src/types";
import { celProblems, crdSchema, loadCrd, VALID_FLEET, validateOllamaFleet, withCrdDefaults } from "../helpers/schemas/ollamafleet";

/** VALID_FLEET with one change. */
function mutate(change: (f: any) => void): Record<string, any> {
  const f = structuredClone(VALID_FLEET) as any;
  change(f);
  return f;
}

describe("the OllamaFleet CRD", () => {
  const crd = loadCrd();

  it("declares the contract's names, version, subresources and printer columns", () => {
    assert.equal(crd.metadata.name, "ollamafleets.openhands.ai");
    assert.deepEqual(crd.spec.names, { kind: "OllamaFleet", listKind: "OllamaFleetList", plural: "ollamafleets", singular: "ollamafleet", shortNames: ["of"], categories: ["all"] });
    assert.equal(crd.spec.scope, "Namespaced");
    const v = crd.spec.versions[0];
    assert.deepEqual([v.name, v.served, v.storage], ["v1alpha1", true, true]);
    assert.deepEqual(v.subresources, { status: {}, scale: { specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector" } });
    assert.deepEqual(
      v.additionalPrinterColumns.map((c: any) => [c.name, c.jsonPath, c.priority ?? 0]),
      [
        ["Model", ".spec.model", 0],
        ["Replicas", ".status.desiredReplicas", 0],
        ["Ready", ".status.readyReplicas", 0],
        ["Status", '.status.conditions[?(@.type=="Ready")].status', 0],
        ["Endpoint", ".status.endpoint", 1],
        ["Age", ".metadata.creationTimestamp", 0],
      ],
    );
  });

  it("serves the group, version, kind and plural the operator's API module names", () => {
    assert.deepEqual([crd.spec.group, crd.spec.versions.map((v: any) => v.name), crd.spec.names.kind, crd.spec.names.plural], [GROUP, [VERSION], KIND, PLURAL]);
    assert.equal(crd.metadata.name, `${PLURAL}.${GROUP}`);
    assert.equal(API_VERSION, "openhands.ai/v1alpha1");
  });

  it("defaults exactly as the operator does", () => {
    const stored = withCrdDefaults({ apiVersion: "openhands.ai/v1alpha1", kind: "OllamaFleet", metadata: { name: "f" }, spec: { model: "m", scaling: { minReplicas: 1, maxReplicas: 2 } } }) as any;
    assert.deepEqual(stored.spec, {
      model: "m",
      replicas: DEFAULTS.replicas,
      resources: { gpu: DEFAULTS.gpu, memory: DEFAULTS.memory, cpu: DEFAULTS.cpu },
      storage: { size: DEFAULTS.storageSize, retainPolicy: DEFAULTS.retainPolicy },
      scaling: { minReplicas: 1, maxReplicas: 2, metrics: DEFAULTS.metrics, cooldownSeconds: DEFAULTS.cooldownSeconds },
      contextLength: DEFAULTS.contextLength,
      keepAlive: DEFAULTS.keepAlive,
      image: DEFAULTS.image,
    });
    const resolved: Record<string, unknown> = { ...withDefaults({ model: "m", scaling: { minReplicas: 1, maxReplicas: 2 } }) };
    delete resolved.placement;
    assert.deepEqual(stored.spec, resolved);
  });

  it("accepts a fleet using every field, and a minimal one", () => {
    assert.deepEqual(validateOllamaFleet(VALID_FLEET), []);
    assert.deepEqual(validateOllamaFleet({ apiVersion: "openhands.ai/v1alpha1", kind: "OllamaFleet", metadata: { name: "coder", namespace: "ollama" }, spec: { model: "qwen2.5-coder:0.5b" } }), []);
  });

  it("accepts every name modelSlug makes", () => {
    for (const m of ["qwen2.5-coder:0.5b", "hf.co/bartowski/Qwen2.5-Coder-32B-Instruct-GGUF:Q4_K_M", "01-ai/yi:34b"]) {
      assert.deepEqual(validateOllamaFleet(mutate((f) => ((f.metadata.name = modelSlug(m)), (f.spec.model = m)))), [], m);
    }
  });

  const schemaCases: [string, (f: any) => void, RegExp][] = [
    ["a fleet without a model", (f) => delete f.spec.model, /data\/spec must have required property 'model'/],
    ["an empty model", (f) => (f.spec.model = ""), /data\/spec\/model must NOT have fewer than 1 characters/],
    ["zero replicas", (f) => (f.spec.replicas = 0), /data\/spec\/replicas must be >= 1/],
    ["a negative GPU count", (f) => (f.spec.resources.gpu = -1), /data\/spec\/resources\/gpu must be >= 0/],
    ["a context shorter than 2048", (f) => (f.spec.contextLength = 1024), /data\/spec\/contextLength must be >= 2048/],
    ["an unknown retain policy", (f) => (f.spec.storage.retainPolicy = "Keep"), /data\/spec\/storage\/retainPolicy must be equal to one of the allowed values/],
    ["an unknown metric type", (f) => (f.spec.scaling.metrics[0].type = "gpu"), /data\/spec\/scaling\/metrics\/0\/type must be equal to one of the allowed values/],
    ["a keep-alive that is not a duration", (f) => (f.spec.keepAlive = "forever"), /data\/spec\/keepAlive must match pattern/],
    ["an unknown field", (f) => (f.spec.gpus = 2), /data\/spec must NOT have additional properties/],
    ["a malformed toleration operator", (f) => (f.spec.placement.tolerations[0].operator = "In"), /tolerations\/0\/operator must be equal to one of the allowed values/],
  ];
  for (const [what, change, message] of schemaCases) {
    it(`rejects ${what} by schema`, () => {
      const problems = validateOllamaFleet(mutate(change));
      assert.ok(problems.some((p) => message.test(p)), problems.join("\n"));
    });
  }

  const celCases: [string, (f: any) => void, string][] = [
    ["minReplicas above maxReplicas", (f) => ((f.spec.scaling.minReplicas = 5), (f.spec.scaling.maxReplicas = 2)), "spec.scaling.minReplicas must be <= maxReplicas"],
    ["a prometheus metric without a query", (f) => delete f.spec.scaling.metrics[1].query, "query is required for type prometheus and not allowed for other types"],
    ["a query on a request metric", (f) => (f.spec.scaling.metrics[0].query = "up"), "query is required for type prometheus and not allowed for other types"],
    [
      "scale to zero on cpu only",
      (f) => (f.spec.scaling.metrics = [{ type: "cpu", target: "60" }]),
      "spec.scaling.minReplicas 0 needs a metric other than cpu or memory: with no pods there is no utilization to wake the fleet",
    ],
    ["a malformed memory quantity", (f) => (f.spec.resources.memory = "24GB"), "spec.resources.memory must be a positive quantity, e.g. 8Gi"],
    ["a zero memory", (f) => (f.spec.resources.memory = 0), "spec.resources.memory must be a positive quantity, e.g. 8Gi"],
    ["a malformed CPU quantity", (f) => (f.spec.resources.cpu = "four"), "spec.resources.cpu must be a positive quantity, e.g. 2 or 500m"],
    ["a malformed storage size", (f) => (f.spec.storage.size = "60 Gi"), "spec.storage.size must be a positive quantity, e.g. 50Gi"],
    ["a GPU type without GPUs", (f) => (f.spec.resources.gpu = 0), "spec.resources.gpuType needs spec.resources.gpu of at least 1"],
    ["an image on latest", (f) => (f.spec.image = "ollama/ollama:latest"), "spec.image must be pinned: a tag other than latest, or a digest"],
    ["an untagged image", (f) => (f.spec.image = "registry:5000/ollama/ollama"), "spec.image must be pinned: a tag other than latest, or a digest"],
    [
      "a name over 52 characters",
      (f) => (f.metadata.name = "a".repeat(53)),
      "metadata.name must be at most 52 characters: the StatefulSet's pods carry a controller-revision-hash label of <name>-<10 characters>, limited to 63",
    ],
    [
      "a name starting with a digit",
      (f) => (f.metadata.name = "7b-model"),
      "metadata.name must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter): it also names the fleet's Service",
    ],
  ];
  for (const [what, change, message] of celCases) {
    it(`rejects ${what} with its CEL rule's message`, () => {
      assert.deepEqual(validateOllamaFleet(mutate(change)), [message]);
    });
  }

  it("accepts images pinned by digest, and integer quantities", () => {
    assert.deepEqual(validateOllamaFleet(mutate((f) => (f.spec.image = `ollama/ollama@sha256:${"a".repeat(64)}`))), []);
    assert.deepEqual(validateOllamaFleet(mutate((f) => ((f.spec.resources.cpu = 4), (f.spec.resources.memory = 25769803776)))), []);
  });

  it("has CEL rules that all compile in the Kubernetes CEL environment", () => {
    const rules: string[] = [];
    const walk = (s: any) => {
      for (const r of s["x-kubernetes-validations"] ?? []) rules.push(r.rule);
      for (const p of Object.values(s.properties ?? {})) walk(p);
      if (s.items) walk(s.items);
    };
    walk(crdSchema());
    assert.ok(rules.length >= 10, `${rules.length} rules`);
    assert.deepEqual(celProblems(withCrdDefaults(VALID_FLEET)), []);
  });
});
