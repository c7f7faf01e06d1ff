import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../../sandbox-runtime/src/kube";
import { A } from "../../sandbox-runtime/src/labels";
import { observe } from "../../sandbox-runtime/src/status";
import { READY } from "./fixtures";

const anchor = (state = "running", generation = "1"): KubeObject => ({ metadata: { name: "openhands-runtime-x-key", annotations: { [A.state]: state, [A.generation]: generation } } });
const pod = (status: Record<string, unknown>, generation = "1", extra: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: "openhands-runtime-x", annotations: { [A.generation]: generation }, ...extra }, status });
const waiting = (reason: string, restartCount = 0) => ({ phase: "Running", containerStatuses: [{ restartCount, state: { waiting: { reason } }, lastState: { terminated: { reason: "Error" } } }] });

describe("status words from the pod", () => {
  const cases: Array<[string, KubeObject, KubeObject | undefined, string, string, boolean]> = [
    ["paused sandbox without a pod", anchor("paused"), undefined, "paused", "not found", false],
    ["no pod yet", anchor(), undefined, "starting", "not found", false],
    ["pod terminating (resume before the old pod is gone)", anchor(), pod(READY, "1", { deletionTimestamp: "2026-12-01T10:00:00Z" }), "starting", "pending", false],
    ["pod of an older key generation", anchor("running", "2"), pod(READY, "1"), "starting", "pending", false],
    ["pod Pending (scheduling, pulling)", anchor(), pod({ phase: "Pending" }), "starting", "pending", false],
    ["pod Running, not Ready", anchor(), pod({ phase: "Running", conditions: [{ type: "Ready", status: "False" }] }), "starting", "running", false],
    ["pod Ready: running once the route answers", anchor(), pod(READY), "starting", "running", true],
    ["pod Failed", anchor(), pod({ phase: "Failed", reason: "Evicted" }), "error", "failed", false],
    ["pod Succeeded (the server exited)", anchor(), pod({ phase: "Succeeded" }), "error", "failed", false],
    ["pod Unknown (node lost)", anchor(), pod({ phase: "Unknown" }), "error", "unknown", false],
    ["CrashLoopBackOff", anchor(), pod(waiting("CrashLoopBackOff", 2)), "error", "crashloopbackoff", false],
    ["image pull failing", anchor(), pod(waiting("ImagePullBackOff")), "error", "failed", false],
    ["restarts at the limit", anchor(), pod({ ...READY, containerStatuses: [{ restartCount: 5, state: { running: {} } }] }), "error", "crashloopbackoff", false],
    ["restarts below the limit", anchor(), pod({ ...READY, containerStatuses: [{ restartCount: 4, state: { running: {} } }] }), "starting", "running", true],
    ["error state kept after a crash cleanup", anchor("error"), undefined, "error", "not found", false],
  ];
  for (const [name, a, p, status, podStatus, check] of cases) {
    it(`${name} → ${status}${check ? " (route check)" : ""}`, () => {
      const o = observe(a, p, 5);
      assert.equal(o.status, status);
      assert.equal(o.podStatus, podStatus);
      assert.equal(o.needsRouteCheck, check);
    });
  }

  it("never answers a status word the app does not understand", () => {
    for (const [, a, p] of cases) assert.ok(["starting", "running", "paused", "error", "stopped"].includes(observe(a, p, 5).status));
  });

  it("reports restart counts and the reasons of past terminations", () => {
    const o = observe(anchor(), pod({ phase: "Running", containerStatuses: [{ restartCount: 3, state: { running: {} }, lastState: { terminated: { reason: "OOMKilled" } } }] }), 5);
    assert.equal(o.restartCount, 3);
    assert.deepEqual(o.restartReasons, ["OOMKilled"]);
  });
});
