import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ConditionType, type OllamaFleetStatus, RefusalReason, SpecReason } from "../../operator/src/api/v1alpha1";
import type { V1Pod } from "../../operator/src/port";
import type { Problem } from "../../operator/src/problem";
import { computeStatus, type Observed, SCHEDULING_GRACE_MS } from "../../operator/src/status";
import { fleet, pod, statefulSet } from "./fixtures";

const NOW = new Date("2026-05-01T12:00:00.000Z");
const cond = (s: OllamaFleetStatus, t: ConditionType) => s.conditions.find((c) => c.type === t)!;
const brief = (s: OllamaFleetStatus, t: ConditionType) => `${cond(s, t).status}/${cond(s, t).reason}`;

const running: V1Pod["status"] = {
  phase: "Running",
  initContainerStatuses: [{ name: "pull", image: "", imageID: "", ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: "Completed" } } }],
  containerStatuses: [{ name: "ollama", image: "", imageID: "", ready: true, restartCount: 0, state: { running: {} } }],
};
const pulling: V1Pod["status"] = {
  phase: "Pending",
  initContainerStatuses: [{ name: "pull", image: "", imageID: "", ready: false, restartCount: 0, state: { running: {} } }],
};
const pullFailed: V1Pod["status"] = {
  phase: "Pending",
  initContainerStatuses: [
    {
      name: "pull",
      image: "",
      imageID: "",
      ready: false,
      restartCount: 3,
      state: { waiting: { reason: "CrashLoopBackOff" } },
      lastState: { terminated: { exitCode: 1, message: "ollama pull qwen9:1b failed: pull model manifest: file does not exist" } },
    },
  ],
};
const noGpu: V1Pod["status"] = {
  phase: "Pending",
  conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu." }],
};

const ready = statefulSet({ replicas: 1, readyReplicas: 1, updatedReplicas: 1, observedGeneration: 1 });
const status = (observed: Observed, spec = {}, problem?: Problem, previous?: Partial<OllamaFleetStatus>) => computeStatus(fleet(spec, {}, previous), observed, NOW, problem);

describe("fleet status", () => {
  it("is Ready, not Degraded, not Progressing, with the model pulled when every replica is ready", () => {
    const s = status({ statefulSet: ready, pods: [pod("coder-0", running)] });
    assert.deepEqual(
      ["ModelPulled", "Progressing", "Degraded", "Ready"].map((t) => brief(s, t as ConditionType)),
      ["True/Pulled", "False/Stable", "False/AsExpected", "True/ReplicasReady"],
    );
    assert.deepEqual(
      { ...s, conditions: undefined },
      {
        observedGeneration: 3,
        replicas: 1,
        readyReplicas: 1,
        desiredReplicas: 1,
        selector: "app.kubernetes.io/name=ollama,openhands.ai/fleet=coder",
        endpoint: "http://coder.ollama.svc.cluster.local:11434/v1",
        model: "qwen2.5-coder:0.5b",
        conditions: undefined,
      },
    );
    for (const c of s.conditions) assert.equal(c.observedGeneration, 3);
  });

  it("is Progressing (Creating) before the StatefulSet exists, with the model not yet known to be pulled", () => {
    const s = status({ pods: [] });
    assert.equal(brief(s, "Progressing"), "True/Creating");
    assert.equal(brief(s, "ModelPulled"), "Unknown/NoPods");
    assert.equal(brief(s, "Ready"), "False/ReplicasNotReady");
  });

  it("reports Pulling while the init container runs", () => {
    const s = status({ statefulSet: statefulSet({ replicas: 1, readyReplicas: 0, updatedReplicas: 1, observedGeneration: 1 }), pods: [pod("coder-0", pulling)] });
    assert.equal(brief(s, "ModelPulled"), "False/Pulling");
    assert.equal(brief(s, "Progressing"), "True/ScalingUp");
  });

  it("reports PullFailed with the init container's message, and Degraded", () => {
    const s = status({ statefulSet: statefulSet({ replicas: 1, readyReplicas: 0, updatedReplicas: 1, observedGeneration: 1 }), pods: [pod("coder-0", pullFailed)] });
    assert.equal(brief(s, "ModelPulled"), "False/PullFailed");
    assert.match(cond(s, "ModelPulled").message, /pull model manifest: file does not exist/);
    assert.equal(brief(s, "Degraded"), "True/PullFailed");
    assert.equal(brief(s, "Ready"), "False/PullFailed");
  });

  it("reports GPUUnavailable when pods are pending for want of nvidia.com/gpu", () => {
    const s = status({ statefulSet: statefulSet({ replicas: 1, readyReplicas: 0, observedGeneration: 1 }), pods: [pod("coder-0", noGpu)] }, { resources: { gpu: 1 } });
    assert.equal(brief(s, "Degraded"), "True/GPUUnavailable");
    assert.match(cond(s, "Degraded").message, /Insufficient nvidia\.com\/gpu/);
  });

  it("reports other scheduling failures as Unschedulable", () => {
    const p = pod("coder-0", { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector." }] });
    assert.equal(brief(status({ statefulSet: statefulSet({ replicas: 1, observedGeneration: 1 }), pods: [p] }), "Degraded"), "True/Unschedulable");
  });

  it("counts a pod that has waited less than the grace period to be scheduled as progressing, not degraded", () => {
    const since = (ms: number) => new Date(NOW.getTime() - ms);
    const waiting = (ms: number) =>
      pod("coder-0", { phase: "Pending", conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", lastTransitionTime: since(ms), message: "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims." }] });
    const early = status({ statefulSet: statefulSet({ replicas: 1, observedGeneration: 1 }), pods: [waiting(SCHEDULING_GRACE_MS - 1000)] });
    assert.equal(brief(early, "Degraded"), "False/AsExpected");
    assert.match(brief(early, "Progressing"), /^True\//);
    const late = status({ statefulSet: statefulSet({ replicas: 1, observedGeneration: 1 }), pods: [waiting(SCHEDULING_GRACE_MS + 1000)] });
    assert.equal(brief(late, "Degraded"), "True/Unschedulable");
  });

  it("reports pods the cluster refused to create, from the StatefulSet's FailedCreate events", () => {
    const s = status({
      statefulSet: statefulSet({ replicas: 0, observedGeneration: 1 }, 1),
      pods: [],
      events: [{ metadata: {}, involvedObject: {}, type: "Warning", reason: "FailedCreate", message: 'create Pod coder-0 failed: admission webhook "validate.kyverno.svc-fail" denied the request', lastTimestamp: new Date(NOW) }],
    });
    assert.equal(brief(s, "Degraded"), "True/PodCreationFailed");
    assert.match(cond(s, "Degraded").message, /kyverno/);
  });

  it("reports a crash-looping server as CrashLoop", () => {
    const p = pod("coder-0", { ...running, containerStatuses: [{ name: "ollama", image: "", imageID: "", ready: false, restartCount: 5, state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 5m0s" } } }] });
    assert.equal(brief(status({ statefulSet: statefulSet({ replicas: 1, observedGeneration: 1 }), pods: [p] }), "Degraded"), "True/CrashLoop");
  });

  it("is Degraded with the validation reason and not Progressing for an invalid spec", () => {
    const s = status({ pods: [] }, {}, { kind: "spec", reason: "InvalidModel", message: 'spec.model "x y" is not an Ollama model reference' });
    assert.equal(brief(s, "Degraded"), "True/InvalidModel");
    assert.equal(brief(s, "Progressing"), "False/InvalidSpec");
    assert.equal(brief(s, "Ready"), "False/InvalidModel");
  });

  it("stops Progressing (InvalidSpec) for every spec problem, and for no refusal of a child", () => {
    for (const reason of Object.values(SpecReason)) {
      const s = status({ statefulSet: ready, pods: [pod("coder-0", running)] }, {}, { kind: "spec", reason, message: "bad" });
      assert.deepEqual(["Progressing", "Degraded", "Ready"].map((t) => brief(s, t as ConditionType)), ["False/InvalidSpec", `True/${reason}`, `False/${reason}`], reason);
    }
    for (const reason of Object.values(RefusalReason)) {
      const s = status({ statefulSet: ready, pods: [pod("coder-0", running)] }, {}, { kind: "refusal", reason, message: "refused" });
      assert.deepEqual(["Progressing", "Degraded", "Ready"].map((t) => brief(s, t as ConditionType)), ["False/Stable", `True/${reason}`, `False/${reason}`], reason);
    }
  });

  it("is Progressing while a rollout updates replicas, and while the StatefulSet has not seen its generation", () => {
    assert.equal(brief(status({ statefulSet: statefulSet({ replicas: 2, readyReplicas: 2, updatedReplicas: 1, observedGeneration: 1 }, 2), pods: [] }, { replicas: 2 }), "Progressing"), "True/RollingOut");
    assert.equal(brief(status({ statefulSet: statefulSet({ replicas: 1, readyReplicas: 1, updatedReplicas: 1, observedGeneration: 1 }, 1, 2), pods: [] }), "Progressing"), "True/RollingOut");
  });

  it("takes the desired count from the StatefulSet while KEDA scales, and is not Ready at zero", () => {
    const s = status({ statefulSet: statefulSet({ replicas: 0, readyReplicas: 0, observedGeneration: 1 }, 0), pods: [] }, { scaling: { minReplicas: 0, maxReplicas: 3 } });
    assert.equal(s.desiredReplicas, 0);
    assert.equal(brief(s, "Ready"), "False/ScaledToZero");
    const up = status({ statefulSet: statefulSet({ replicas: 2, readyReplicas: 2, updatedReplicas: 2, observedGeneration: 1 }, 2), pods: [pod("coder-0", running)] }, { scaling: { minReplicas: 0, maxReplicas: 3 } });
    assert.equal(up.desiredReplicas, 2);
    assert.equal(brief(up, "Ready"), "True/ReplicasReady");
  });

  it("keeps lastTransitionTime of a condition whose status did not change, and sets it on a change", () => {
    const before = status({ statefulSet: ready, pods: [pod("coder-0", running)] });
    const old = { ...before, conditions: before.conditions.map((c) => ({ ...c, lastTransitionTime: "2026-04-01T00:00:00Z" })) };
    const again = status({ statefulSet: ready, pods: [pod("coder-0", running)] }, {}, undefined, old);
    assert.ok(again.conditions.every((c) => c.lastTransitionTime === "2026-04-01T00:00:00Z"));
    const broken = status({ statefulSet: ready, pods: [pod("coder-0", running)] }, {}, { kind: "refusal", reason: "ApplyRejected", message: "no" }, old);
    assert.equal(cond(broken, "Degraded").lastTransitionTime, "2026-05-01T12:00:00Z");
    assert.equal(cond(broken, "ModelPulled").lastTransitionTime, "2026-04-01T00:00:00Z");
  });

  it("rebuilds status from the world, not from the previous status", () => {
    const stale = { replicas: 9, readyReplicas: 9, desiredReplicas: 9, model: "other", conditions: [] };
    const s = status({ statefulSet: ready, pods: [pod("coder-0", running)] }, {}, undefined, stale);
    assert.deepEqual([s.replicas, s.readyReplicas, s.desiredReplicas, s.model], [1, 1, 1, "qwen2.5-coder:0.5b"]);
  });
});
