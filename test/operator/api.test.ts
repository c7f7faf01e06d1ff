import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as api from "../../operator/src/api/v1alpha1";
import { desiredService, desiredStatefulSet } from "../../operator/src/desired";
import { childNames } from "../../operator/src/names";
import { fleet, OPTS } from "./fixtures";

/*
 * The API module is what the Pulumi program imports: its values are written out here, and
 * the operator's objects are checked to use them, so neither can drift from the other.
 */

describe("the OllamaFleet API module", () => {
  it("names the API, the port, the pull container, the GPU-pool label, the GPU resource and the fleet label", () => {
    assert.deepEqual(
      [api.GROUP, api.VERSION, api.API_VERSION, api.KIND, api.PLURAL, api.OLLAMA_PORT, api.PULL_CONTAINER, api.GPU_POOL_LABEL, api.GPU_RESOURCE, api.FLEET_LABEL],
      ["openhands.ai", "v1alpha1", "openhands.ai/v1alpha1", "OllamaFleet", "ollamafleets", 11434, "pull", "platform.openhands.ai/gpu-pool", "nvidia.com/gpu", "openhands.ai/fleet"],
    );
  });

  it("builds a fleet's in-cluster host and OpenAI-compatible endpoint", () => {
    assert.equal(api.fleetHost("coder", "ollama"), "coder.ollama.svc.cluster.local");
    assert.equal(api.fleetEndpoint("coder", "ollama"), "http://coder.ollama.svc.cluster.local:11434/v1");
    assert.deepEqual([childNames("coder", "ollama").host, childNames("coder", "ollama").endpoint], [api.fleetHost("coder", "ollama"), api.fleetEndpoint("coder", "ollama")]);
  });

  it("is what the operator's objects carry: Service and container port, pull container, pool selector", () => {
    const f = fleet({ placement: { gpuPool: "l4" }, resources: { gpu: 1 } });
    const pod = desiredStatefulSet(f, OPTS).spec!.template.spec!;
    assert.deepEqual(pod.initContainers!.map((c) => c.name), [api.PULL_CONTAINER]);
    assert.deepEqual(pod.initContainers![0].env!.find((e) => e.name === "OLLAMA_HOST"), { name: "OLLAMA_HOST", value: `127.0.0.1:${api.OLLAMA_PORT}` });
    assert.equal(pod.containers[0].ports![0].containerPort, api.OLLAMA_PORT);
    assert.equal(pod.nodeSelector![api.GPU_POOL_LABEL], "l4");
    assert.equal(pod.containers[0].resources!.limits![api.GPU_RESOURCE], "1");
    assert.ok(pod.tolerations!.some((t) => t.key === api.GPU_RESOURCE && t.operator === "Exists"));
    assert.equal(desiredStatefulSet(f, OPTS).spec!.template.metadata!.labels![api.FLEET_LABEL], f.metadata.name);
    assert.equal(desiredService(f, OPTS).spec!.ports![0].port, api.OLLAMA_PORT);
  });
});
