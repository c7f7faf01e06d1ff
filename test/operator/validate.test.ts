import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { OllamaFleetSpec } from "../../operator/src/api/v1alpha1";
import { validateFleet } from "../../operator/src/validate";
import { fleet } from "./fixtures";

const problems = (spec: Partial<OllamaFleetSpec>, mesh: "istio" | "linkerd" | "none" = "istio", name = "coder") => validateFleet(fleet(spec, { name }), { mesh });

describe("fleet validation", () => {
  it("accepts a minimal fleet and the contract's model references", () => {
    for (const model of ["qwen2.5-coder:0.5b", "library/llama3:70b", "hf.co/bartowski/Qwen2.5-Coder-32B-Instruct-GGUF:Q4_K_M", "registry.local:5000/team/model:v1", "llama3"]) {
      assert.deepEqual(problems({ model }), [], model);
    }
  });

  const table: [string, Partial<OllamaFleetSpec>, string, RegExp, ("istio" | "none")?][] = [
    ["a model reference with spaces", { model: "llama 3" }, "InvalidModel", /spec\.model "llama 3" is not an Ollama model reference/],
    ["a model reference with a shell metacharacter", { model: "llama3;reboot" }, "InvalidModel", /spec\.model/],
    ["a malformed memory quantity", { resources: { memory: "8GB" } }, "InvalidQuantity", /spec\.resources\.memory "8GB" must be a positive Kubernetes quantity/],
    ["a zero CPU", { resources: { cpu: "0" } }, "InvalidQuantity", /spec\.resources\.cpu "0"/],
    ["a negative storage size", { storage: { size: "-5Gi" } }, "InvalidQuantity", /spec\.storage\.size "-5Gi"/],
    ["a GPU type without GPUs", { resources: { gpuType: "NVIDIA-L4" } }, "InvalidResources", /gpuType "NVIDIA-L4" needs spec\.resources\.gpu of at least 1/],
    ["an image on latest", { image: "ollama/ollama:latest" }, "InvalidImage", /must be pinned/],
    ["an untagged image", { image: "ollama/ollama" }, "InvalidImage", /must be pinned/],
    ["a keep-alive that is not a duration", { keepAlive: "forever" }, "InvalidKeepAlive", /spec\.keepAlive "forever"/],
    ["minReplicas above maxReplicas", { scaling: { minReplicas: 5, maxReplicas: 2 } }, "InvalidScaling", /spec\.scaling\.minReplicas \(5\) must be <= maxReplicas \(2\)/],
    ["a prometheus metric without a query", { scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "prometheus", target: "1" }] } }, "InvalidScaling", /metrics\[0\]\.query is required for type prometheus/],
    ["a query on a cpu metric", { scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "cpu", target: "50", query: "up" }] } }, "InvalidScaling", /metrics\[0\]\.query is only allowed for type prometheus/],
    ["a target that is not a number", { scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "cpu", target: "lots" }] } }, "InvalidScaling", /target "lots" must be a positive number/],
    ["scale to zero on cpu only", { scaling: { minReplicas: 0, maxReplicas: 2, metrics: [{ type: "cpu", target: "50" }] } }, "InvalidScaling", /minReplicas 0 needs a metric other than cpu or memory/],
    [
      "an HTTP add-on metric combined with another without a mesh",
      { scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "requestsPerSecond", target: "5" }, { type: "cpu", target: "50" }] } },
      "InvalidScaling",
      /takes exactly one metric/,
      "none",
    ],
    ["a fractional request target without a mesh", { scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "concurrentRequests", target: "1.5" }] } }, "InvalidScaling", /must be a whole number/, "none"],
  ];
  for (const [what, spec, reason, message, mesh] of table) {
    it(`reports ${what} as ${reason}`, () => {
      const p = problems(spec, mesh);
      assert.equal(p.length, 1, JSON.stringify(p));
      assert.deepEqual([p[0].kind, p[0].reason], ["spec", reason]);
      assert.match(p[0].message, message);
    });
  }

  it("accepts the same combination behind a mesh, where both are Prometheus triggers", () => {
    assert.deepEqual(problems({ scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "requestsPerSecond", target: "5" }, { type: "cpu", target: "50" }] } }, "istio"), []);
  });

  it("rejects fleet names its StatefulSet or Service could not carry", () => {
    assert.equal(problems({}, "istio", "a".repeat(53))[0].reason, "InvalidName");
    assert.equal(problems({}, "istio", "9lives")[0].reason, "InvalidName");
  });

  it("reports every problem, in field order", () => {
    assert.deepEqual(
      problems({ model: "bad model", resources: { memory: "lots" } }).map((p) => p.reason),
      ["InvalidModel", "InvalidQuantity"],
    );
  });
});
