import assert from "node:assert/strict";
import * as path from "node:path";
import { describe, it } from "node:test";
import { fleetPodSpec, fleetPods, fleetQuota, LINKERD_FLEET_PROXY, Ollama, podAmounts, type FleetSettings, type ProxyResources } from "../../components/ollama";
import { compareQuantities, parseQuantity, quantityToNumber } from "../../lib/quantity";
import { desiredStatefulSet } from "../../operator/src/desired";
import { modelSlug } from "../../operator/src/names";
import type { OllamaFleet } from "../../operator/src/types";
import { renderFleet } from "../../components/ollama/fleet";
import { componentMarker, fakeCluster, fakeGpu, fakeMesh, fakeNetwork, fakeObservability, fakeStorage } from "../helpers/layers";
import { recordResources, ROOT } from "../helpers/program";
import { stackConfig } from "../policies/self-consistency";

/*
 * The fleet namespace's ResourceQuota against the pods the operator renders: it admits every
 * configured fleet at its most replicas plus the update headroom, exactly, and refuses one
 * pod more. Usage is counted as the quota controller counts it, from the rendered specs.
 */

type Usage = Record<string, number>;
const n = (q: string) => quantityToNumber(parseQuantity(q));

/** What `pods` pods of each fleet use of the quota's resources: the rendered pod with its proxy, and its StatefulSet's claim. */
function usage(fleets: readonly FleetSettings[], namespace: string, proxy: ProxyResources | undefined, pods: (f: FleetSettings) => number): Usage {
  const u: Usage = { pods: 0, persistentvolumeclaims: 0, "requests.cpu": 0, "requests.memory": 0, "limits.memory": 0, "requests.nvidia.com/gpu": 0, "requests.storage": 0 };
  for (const f of fleets) {
    const k = pods(f);
    const spec = fleetPodSpec(f, namespace, proxy);
    const req = podAmounts(spec, "requests");
    const lim = podAmounts(spec, "limits");
    const claim = desiredStatefulSet(renderFleet(f, namespace) as unknown as OllamaFleet, { mesh: "none", prometheusUrl: "" }).spec!.volumeClaimTemplates![0];
    u.pods += k;
    u.persistentvolumeclaims += k;
    u["requests.cpu"] += k * req.cpu;
    u["requests.memory"] += k * req.memory;
    u["limits.memory"] += k * lim.memory;
    u["requests.nvidia.com/gpu"] += k * (req["nvidia.com/gpu"] ?? 0);
    u["requests.storage"] += k * n(String(claim.spec!.resources!.requests!.storage));
  }
  return u;
}

/** The resources whose use exceeds the quota. */
const exceeded = (hard: Record<string, string>, u: Usage) => Object.keys(hard).filter((k) => u[k] - n(hard[k]) > 1e-9);

const STACKS = [
  ["dev", (c: ReturnType<typeof stackConfig>) => (c.mesh.linkerd.enabled ? LINKERD_FLEET_PROXY : c.mesh.istio.enabled ? c.mesh.istio.proxy : undefined)],
  ["prod", (c: ReturnType<typeof stackConfig>) => (c.mesh.linkerd.enabled ? LINKERD_FLEET_PROXY : c.mesh.istio.enabled ? c.mesh.istio.proxy : undefined)],
] as const;

describe("the fleet namespace's ResourceQuota", () => {
  for (const [stack, proxyOf] of STACKS) {
    it(`admits the ${stack} stack's fleets at their most replicas plus one each for an update, exactly, and refuses one more pod of any fleet`, () => {
      const c = stackConfig(stack);
      const proxy = proxyOf(c);
      assert.ok(proxy, `${stack} has a mesh`);
      const hard = fleetQuota({ fleets: c.ollama.fleets, namespace: c.ollama.namespace, proxy });
      const most = (f: FleetSettings) => (f.scaling ? f.scaling.maxReplicas : f.replicas) + 1;
      assert.deepEqual(c.ollama.fleets.map(fleetPods), c.ollama.fleets.map(most));
      const atMost = usage(c.ollama.fleets, c.ollama.namespace, proxy, most);
      assert.deepEqual(exceeded(hard, atMost), []);
      // Tight: every figure is used up at that scale, none is a guess.
      for (const k of Object.keys(hard)) assert.ok(Math.abs(atMost[k] - n(hard[k])) < 1e-9, `${k}: quota ${hard[k]}, used ${atMost[k]}`);
      for (const extra of c.ollama.fleets) {
        const over = usage(c.ollama.fleets, c.ollama.namespace, proxy, (f) => most(f) + (f === extra ? 1 : 0));
        const refused = exceeded(hard, over);
        for (const k of ["pods", "persistentvolumeclaims", "requests.cpu", "requests.memory", "limits.memory", "requests.storage"]) assert.ok(refused.includes(k), `${k} admits one more pod of ${extra.model}`);
        if (extra.resources.gpu > 0) assert.ok(refused.includes("requests.nvidia.com/gpu"));
      }
    });
  }

  it("counts the mesh proxy of every pod, and the model pull where it asks more than the server", () => {
    const fleet: FleetSettings = { model: "qwen2.5-coder:0.5b", replicas: 2, resources: { gpu: 0, cpu: "100m", memory: "256Mi" }, storage: { size: "10Gi", retainPolicy: "Delete" }, contextLength: 32768, keepAlive: "24h" };
    const bare = fleetQuota({ fleets: [fleet], namespace: "ollama" });
    const meshed = fleetQuota({ fleets: [fleet], namespace: "ollama", proxy: LINKERD_FLEET_PROXY });
    // The pull (250m, 512Mi, limit 1Gi) outweighs this server: 3 pods of the pull alone without a mesh.
    assert.deepEqual([bare["requests.cpu"], bare["requests.memory"], bare["limits.memory"]], ["750m", "1536Mi", "3Gi"]);
    // With the proxy beside the pull (native sidecar): 3 x (250m + 100m), 3 x (512Mi + 64Mi), 3 x (1Gi + 256Mi).
    assert.deepEqual([meshed["requests.cpu"], meshed["requests.memory"], meshed["limits.memory"]], ["1050m", "1728Mi", "3840Mi"]);
    assert.deepEqual([bare.pods, bare.persistentvolumeclaims, bare["requests.storage"], bare["requests.nvidia.com/gpu"]], ["3", "3", "30Gi", "0"]);
  });

  it("sets no limits.cpu, and every container of a fleet pod sets what the quota counts (no LimitRange in the namespace supplies it)", () => {
    const c = stackConfig("prod");
    assert.equal(fleetQuota({ fleets: c.ollama.fleets, namespace: "ollama", proxy: c.mesh.istio.proxy })["limits.cpu"], undefined);
    for (const f of c.ollama.fleets) {
      const spec = fleetPodSpec(f, "ollama", c.mesh.istio.proxy);
      for (const k of [...(spec.initContainers ?? []), ...spec.containers]) {
        assert.ok(k.resources?.requests?.cpu && k.resources.requests.memory && k.resources.limits?.memory, `${f.model}: ${k.name}`);
      }
    }
  });

  it("is created in the fleet namespace before the fleets, with Linkerd's proxy resources on the namespace", async () => {
    const fleets: FleetSettings[] = [{ model: "qwen2.5-coder:0.5b", replicas: 1, resources: { gpu: 0, cpu: "500m", memory: "1536Mi" }, storage: { size: "10Gi", retainPolicy: "Retain" }, contextLength: 32768, keepAlive: "24h" }];
    const run = await recordResources(async () => {
      const c = (t: string, name: string) => componentMarker(t)(name);
      new Ollama("ollama", {
        cluster: fakeCluster(),
        network: fakeNetwork([c("test:network:Cni", "cni")]),
        mesh: fakeMesh("linkerd", { injector: [c("test:mesh:Mesh", "mesh")], ready: [c("test:mesh:Mesh", "mesh")] }),
        storage: fakeStorage(),
        observability: fakeObservability(),
        autoscaling: undefined,
        gpu: fakeGpu(),
        settings: { operator: { image: "r.example.com/op:0.1.0", replicas: 1, values: {} }, namespace: "ollama", fleets },
        operatorDir: path.join(ROOT, "operator"),
        devBuild: undefined,
      });
      return {};
    });
    const quota = run.get("kubernetes:core/v1:ResourceQuota", "ollama-fleets-quota").inputs;
    assert.equal(quota.metadata.namespace, "ollama");
    assert.deepEqual(quota.spec.hard, fleetQuota({ fleets, namespace: "ollama", proxy: LINKERD_FLEET_PROXY }));
    assert.ok(run.dependsOn(`kubernetes:openhands.ai/v1alpha1:OllamaFleet::ollama-fleet-${modelSlug(fleets[0].model)}`, "kubernetes:core/v1:ResourceQuota::ollama-fleets-quota"));
    const annotations = run.get("kubernetes:core/v1:Namespace", "ollama-fleets-ns").inputs.metadata.annotations;
    assert.deepEqual(
      [annotations["config.linkerd.io/proxy-cpu-request"], annotations["config.linkerd.io/proxy-memory-request"], annotations["config.linkerd.io/proxy-memory-limit"]],
      [LINKERD_FLEET_PROXY.requests.cpu, LINKERD_FLEET_PROXY.requests.memory, LINKERD_FLEET_PROXY.limits.memory],
    );
    assert.equal(compareQuantities(quota.spec.hard["requests.cpu"], "1200m"), 0);
  });
});
