import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppliedChildren, REAPPLY_MS } from "../../operator/src/applied";
import { sameButStatus } from "../../operator/src/controller";
import { ApiError } from "../../operator/src/errors";
import { silentLogger } from "../../operator/src/log";
import { reconcile, type ReconcileDeps } from "../../operator/src/reconcile";
import type { OllamaFleetSpec } from "../../operator/src/api/v1alpha1";
import { FakeApi, fleet, OPTS } from "./fixtures";

const NOW = new Date("2026-05-01T12:00:00Z");
const noSleep = { attempts: 4, baseMs: 1, sleep: async () => {} };

function setup(spec: Partial<OllamaFleetSpec> = {}) {
  const api = new FakeApi();
  api.fleets.set("ollama/coder", fleet(spec));
  const deps: ReconcileDeps = { api, options: OPTS, log: silentLogger, now: () => NOW, retry: noSleep };
  return { api, deps };
}
const kinds = (api: FakeApi) => [...api.objects.values()].map((o) => o.kind).sort();

describe("reconcile", () => {
  it("applies the StatefulSet, Service and PodDisruptionBudget, then writes status once", async () => {
    const { api, deps } = setup({ replicas: 2 });
    const r = await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "Service", "StatefulSet"]);
    assert.equal(api.statuses.length, 1);
    assert.equal(r.outcome, "progressing");
    assert.ok(r.requeueAfterMs! > 0);
  });

  it("gives a fleet that never runs more than one replica no PodDisruptionBudget, and deletes its own when scaled down to one", async () => {
    const { api, deps } = setup();
    await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["Service", "StatefulSet"]);
    api.fleets.get("ollama/coder")!.spec.replicas = 3;
    await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "Service", "StatefulSet"]);
    api.fleets.get("ollama/coder")!.spec.replicas = 1;
    await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["Service", "StatefulSet"]);
    assert.ok(api.calls.includes("delete PodDisruptionBudget"));
  });

  it("leaves a PodDisruptionBudget it does not control alone", async () => {
    const { api, deps } = setup();
    api.objects.set("policy/v1/PodDisruptionBudget/ollama/coder", { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "coder", namespace: "ollama" } });
    await reconcile("ollama/coder", deps);
    assert.equal(api.calls.includes("delete PodDisruptionBudget"), false);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "Service", "StatefulSet"]);
  });

  it("does not write an unchanged status on the next pass", async () => {
    const { api, deps } = setup();
    await reconcile("ollama/coder", deps);
    await reconcile("ollama/coder", deps);
    assert.equal(api.statuses.length, 1);
  });

  it("adds a ScaledObject with scaling and deletes it when scaling is removed", async () => {
    const { api, deps } = setup({ scaling: { minReplicas: 1, maxReplicas: 3 } });
    await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "ScaledObject", "Service", "StatefulSet"]);
    delete api.fleets.get("ollama/coder")!.spec.scaling;
    await reconcile("ollama/coder", deps);
    // One replica without scaling: the budget goes with the scaler.
    assert.deepEqual(kinds(api), ["Service", "StatefulSet"]);
    assert.ok(api.calls.includes("delete ScaledObject"));
    assert.ok(api.calls.includes("delete PodDisruptionBudget"));
  });

  it("swaps the ScaledObject for an HTTPScaledObject when the mesh goes away", async () => {
    const { api, deps } = setup({ scaling: { minReplicas: 0, maxReplicas: 3, metrics: [{ type: "requestsPerSecond", target: "5" }] } });
    await reconcile("ollama/coder", deps);
    await reconcile("ollama/coder", { ...deps, options: { ...OPTS, mesh: "none" } });
    assert.deepEqual(kinds(api), ["HTTPScaledObject", "PodDisruptionBudget", "Service", "StatefulSet"]);
  });

  it("leaves a scaler it does not control alone", async () => {
    const { api, deps } = setup();
    api.objects.set("keda.sh/v1alpha1/ScaledObject/ollama/coder", { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "coder", namespace: "ollama" } });
    await reconcile("ollama/coder", deps);
    assert.equal(api.calls.includes("delete ScaledObject"), false);
  });

  it("marks an invalid spec Degraded without applying anything or asking to be retried", async () => {
    const { api, deps } = setup({ model: "not a model" });
    const r = await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), []);
    assert.deepEqual(r, { outcome: "invalid" });
    const degraded = api.statuses[0].conditions.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.reason, "InvalidModel");
    assert.deepEqual(api.events, [{ type: "Warning", reason: "InvalidModel", message: degraded.message }]);
  });

  it("reports ScalingUnavailable when KEDA is not installed, and still applies the rest", async () => {
    const { api, deps } = setup({ scaling: { minReplicas: 1, maxReplicas: 3 } });
    api.unserved.add("keda.sh/v1alpha1/ScaledObject");
    const r = await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "Service", "StatefulSet"]);
    assert.equal(r.outcome, "degraded");
    assert.equal(api.statuses[0].conditions.find((c) => c.type === "Degraded")!.reason, "ScalingUnavailable");
  });

  it("reports a child the API server rejects (422) as ApplyRejected", async () => {
    const { api, deps } = setup();
    api.failures.apply = [new ApiError(422, "StatefulSet.apps \"coder\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas' ... are forbidden", "Invalid")];
    await reconcile("ollama/coder", deps);
    const d = api.statuses[0].conditions.find((c) => c.type === "Degraded")!;
    assert.equal(d.reason, "ApplyRejected");
    assert.match(d.message, /StatefulSet coder was rejected: .*Forbidden/);
  });

  it("retries conflicts, throttling and server errors within the pass", async () => {
    const { api, deps } = setup({ replicas: 2 });
    api.failures.apply = [new ApiError(409, "conflict"), new ApiError(429, "slow down"), new ApiError(503, "unavailable")];
    await reconcile("ollama/coder", deps);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "Service", "StatefulSet"]);
    // The children are applied at once, so each takes one of the failures and is retried once.
    assert.equal(api.calls.filter((c) => c.startsWith("apply ")).length, 6);
  });

  it("applies the children concurrently: a pass waits for one round trip, not one per child", async () => {
    const { api, deps } = setup({ replicas: 2 });
    let inFlight = 0;
    let most = 0;
    const apply = api.apply.bind(api);
    api.apply = async (o) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return apply(o);
    };
    await reconcile("ollama/coder", deps);
    assert.equal(most, 3);
    assert.deepEqual(kinds(api), ["PodDisruptionBudget", "Service", "StatefulSet"]);
  });

  it("reports the first refused child in child order when several are refused at once", async () => {
    const { api, deps } = setup({ scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "cpu", target: "80" }] } });
    api.unserved.add("keda.sh/v1alpha1/ScaledObject");
    api.failures.apply = [undefined, new ApiError(422, "Service is invalid")];
    const r = await reconcile("ollama/coder", deps);
    assert.equal(r.outcome, "degraded");
    const degraded = api.statuses.at(-1)!.conditions.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.reason, "ApplyRejected");
    assert.match(degraded.message, /Service coder was rejected/);
  });

  it("throws for the queue to back off when the API keeps failing", async () => {
    const { api, deps } = setup();
    api.failures.applyStatus = [1, 2, 3, 4].map(() => new ApiError(500, "etcd timeout"));
    await assert.rejects(reconcile("ollama/coder", deps), /etcd timeout/);
  });

  it("does nothing for a fleet that is gone or being deleted", async () => {
    const { api, deps } = setup();
    assert.deepEqual(await reconcile("ollama/other", deps), { outcome: "absent" });
    api.fleets.get("ollama/coder")!.metadata.deletionTimestamp = NOW;
    assert.deepEqual(await reconcile("ollama/coder", deps), { outcome: "absent" });
    assert.deepEqual(kinds(api), []);
  });

  it("records Ready once when the fleet becomes ready", async () => {
    const { api, deps } = setup();
    await reconcile("ollama/coder", deps);
    const sts = api.objects.get("apps/v1/StatefulSet/ollama/coder")!;
    (sts as any).status = { replicas: 1, readyReplicas: 1, updatedReplicas: 1, observedGeneration: 0 };
    api.pods = [{ metadata: { name: "coder-0" }, status: { initContainerStatuses: [{ name: "pull", image: "", imageID: "", ready: true, restartCount: 0, state: { terminated: { exitCode: 0 } } }] } }];
    assert.deepEqual(await reconcile("ollama/coder", deps), { outcome: "ready" });
    await reconcile("ollama/coder", deps);
    assert.deepEqual(api.events.map((e) => e.reason), ["ModelPulled", "Ready"]);
  });
});

describe("reconcile with the applied-children memo", () => {
  function memoSetup() {
    let now = 1_000_000;
    const applied = new AppliedChildren(() => now);
    // Two replicas: three children (the budget too), so each pass that applies makes three applies.
    const { api, deps } = setup({ replicas: 2 });
    const applies = () => api.calls.filter((c) => c.startsWith("apply ")).length;
    return { api, deps: { ...deps, applied }, applied, applies, advance: (ms: number) => (now += ms) };
  }

  it("does not apply unchanged children again while the StatefulSet is what it left", async () => {
    const { deps, applies } = memoSetup();
    await reconcile("ollama/coder", deps);
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 3);
  });

  it("applies again when the spec changes", async () => {
    const { api, deps, applies } = memoSetup();
    await reconcile("ollama/coder", deps);
    api.fleets.get("ollama/coder")!.spec.replicas = 3;
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 6);
  });

  it("applies again when someone else changed the StatefulSet's spec (its generation moved)", async () => {
    const { api, deps, applies } = memoSetup();
    await reconcile("ollama/coder", deps);
    const sts = api.objects.get("apps/v1/StatefulSet/ollama/coder")!;
    sts.metadata = { ...sts.metadata, generation: 7 };
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 6);
  });

  it("applies again when the StatefulSet is gone", async () => {
    const { api, deps, applies } = memoSetup();
    await reconcile("ollama/coder", deps);
    api.objects.delete("apps/v1/StatefulSet/ollama/coder");
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 6);
  });

  it(`applies again after ${REAPPLY_MS / 60_000} minutes, so a hand-edited Service does not stay drifted`, async () => {
    const { deps, applies, advance } = memoSetup();
    await reconcile("ollama/coder", deps);
    advance(REAPPLY_MS - 1);
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 3);
    advance(1);
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 6);
  });

  it("forgets a fleet that is deleted, and one whose child was refused", async () => {
    const { api, deps, applied, applies } = memoSetup();
    await reconcile("ollama/coder", deps);
    api.failures.apply = [new ApiError(422, "spec.x: Invalid value")];
    api.objects.delete("apps/v1/StatefulSet/ollama/coder");
    await reconcile("ollama/coder", deps);
    assert.equal(applied.size, 0);
    await reconcile("ollama/coder", deps);
    assert.equal(applies(), 9, "the refused pass and the one after both apply");
    api.fleets.delete("ollama/coder");
    await reconcile("ollama/coder", deps);
    assert.equal(applied.size, 0);
  });
});

describe("reconcile: events", () => {
  it("lists the StatefulSet's events only once its controller acted on the spec and still lacks pods", async () => {
    const { api, deps } = setup();
    await reconcile("ollama/coder", deps);
    const key = "apps/v1/StatefulSet/ollama/coder";
    const withStatus = (status: object, generation = 1) => api.objects.set(key, { ...api.objects.get(key)!, metadata: { ...api.objects.get(key)!.metadata, uid: "sts-uid", generation }, status } as never);
    const lists = () => api.calls.filter((c) => c === "listEvents").length;
    withStatus({ replicas: 0 });
    await reconcile("ollama/coder", deps);
    assert.equal(lists(), 0, "not yet seen by the StatefulSet controller: no FailedCreate to look for");
    withStatus({ observedGeneration: 1, replicas: 1 });
    await reconcile("ollama/coder", deps);
    assert.equal(lists(), 0, "all pods created");
    withStatus({ observedGeneration: 1, replicas: 0 });
    await reconcile("ollama/coder", deps);
    assert.equal(lists(), 1, "acted on and short of pods: the events say why");
  });
});

describe("sameButStatus (fleet updates the controller ignores)", () => {
  it("ignores a status-only change, not a spec or metadata change", () => {
    const a = fleet({}, { resourceVersion: "1" }, { observedGeneration: 3 });
    assert.equal(sameButStatus({ ...a, metadata: { ...a.metadata, resourceVersion: "2" }, status: { observedGeneration: 4 } }, a), true);
    assert.equal(sameButStatus({ ...a, spec: { ...a.spec, replicas: 2 } }, a), false);
    assert.equal(sameButStatus({ ...a, metadata: { ...a.metadata, annotations: { nudge: "1" } } }, a), false);
  });
});
