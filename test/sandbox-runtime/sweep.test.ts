import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaseElector } from "../../sandbox-runtime/src/lease";
import { silentLogger } from "../../sandbox-runtime/src/log";
import { sweep } from "../../sandbox-runtime/src/sweep";
import { FakeKube } from "./fake-kube";
import { appStartBody, harness, NS, READY } from "./fixtures";

const SID = "AbCdEfGhIjKlMnOpQrStUv";
const BASE = "openhands-runtime-abcdefghijklmnopqrstuv";
const anchor = (h: ReturnType<typeof harness>) => h.kube.all("secrets").find((s) => s.metadata.name === `${BASE}-key`);
const crashing = { phase: "Running", containerStatuses: [{ restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { reason: "Error" } } }] };

describe("idle pause", () => {
  it("pauses a sandbox after idle.pauseAfterSeconds without app activity, keeping its workspace", async () => {
    const h = harness({ idle: { pauseAfterSeconds: 600, activityWriteSeconds: 30 } });
    await h.sandboxes.start(appStartBody(SID));
    h.clock.advance(599);
    await sweep(h.sandboxes, true);
    assert.deepEqual(h.kube.names("pods"), [BASE]);
    h.clock.advance(2);
    await sweep(h.sandboxes, true);
    assert.deepEqual(h.kube.names("pods"), []);
    assert.equal(anchor(h)?.metadata.annotations?.["openhands.ai/state"], "paused");
    assert.deepEqual(h.kube.names("persistentvolumeclaims"), [`${BASE}-pvc`]);
    assert.ok(h.kube.all("events").some((e) => e.reason === "IdlePaused"));
  });

  it("counts /sessions calls as activity", async () => {
    const h = harness({ idle: { pauseAfterSeconds: 600, activityWriteSeconds: 30 } });
    await h.sandboxes.start(appStartBody(SID));
    h.clock.advance(500);
    await h.sandboxes.get(SID);
    h.clock.advance(500);
    await sweep(h.sandboxes, true);
    assert.deepEqual(h.kube.names("pods"), [BASE]);
  });

  it("does nothing on a replica that does not hold the lease", async () => {
    const h = harness({ idle: { pauseAfterSeconds: 60 } });
    await h.sandboxes.start(appStartBody(SID));
    h.clock.advance(3600);
    await sweep(h.sandboxes, false);
    assert.deepEqual(h.kube.names("pods"), [BASE]);
  });

  it("is off with pauseAfterSeconds 0", async () => {
    const h = harness({ idle: { pauseAfterSeconds: 0 } });
    await h.sandboxes.start(appStartBody(SID));
    h.clock.advance(86400 * 30);
    await sweep(h.sandboxes, true);
    assert.deepEqual(h.kube.names("pods"), [BASE]);
  });
});

describe("crash handling", () => {
  it("reports a crash-looping pod as error, then deletes its pod after the grace period and keeps the workspace", async () => {
    const h = harness({ crash: { maxRestarts: 5, cleanupAfterSeconds: 300 }, idle: { pauseAfterSeconds: 0 } });
    await h.sandboxes.start(appStartBody(SID));
    h.kube.setPodStatus(NS, BASE, crashing);
    const r = await h.sandboxes.get(SID);
    assert.equal(r?.status, "error");
    assert.equal(r?.pod_status, "crashloopbackoff");
    assert.deepEqual(r?.restart_reasons, ["Error"]);
    await sweep(h.sandboxes, true);
    assert.ok(anchor(h)?.metadata.annotations?.["openhands.ai/error-since"]);
    assert.ok(h.kube.all("events").some((e) => e.reason === "CrashDetected" && e.type === "Warning"));
    h.clock.advance(299);
    await sweep(h.sandboxes, true);
    assert.deepEqual(h.kube.names("pods"), [BASE], "still within the grace period");
    h.clock.advance(2);
    await sweep(h.sandboxes, true);
    assert.deepEqual(h.kube.names("pods"), []);
    assert.equal(anchor(h)?.metadata.annotations?.["openhands.ai/state"], "error");
    assert.deepEqual(h.kube.names("persistentvolumeclaims"), [`${BASE}-pvc`]);
    const after = await h.sandboxes.get(SID);
    assert.equal(after?.status, "error", "stays error for the app (not recreated)");
    assert.equal(h.kube.names("pods").length, 0);
    assert.ok(h.kube.all("events").some((e) => e.reason === "CrashCleanedUp"));
  });

  it("treats restarts at crash.maxRestarts as a crash", async () => {
    const h = harness({ crash: { maxRestarts: 2, cleanupAfterSeconds: 0 } });
    await h.sandboxes.start(appStartBody(SID));
    h.kube.setPodStatus(NS, BASE, { ...READY, containerStatuses: [{ restartCount: 2, state: { running: {} } }] });
    await sweep(h.sandboxes, true);
    await sweep(h.sandboxes, true);
    assert.equal(anchor(h)?.metadata.annotations?.["openhands.ai/state"], "error");
  });

  it("forgets a crash that healed within the grace period", async () => {
    const h = harness({ crash: { maxRestarts: 5, cleanupAfterSeconds: 300 } });
    await h.sandboxes.start(appStartBody(SID));
    h.kube.setPodStatus(NS, BASE, crashing);
    await sweep(h.sandboxes, true);
    h.kube.setPodStatus(NS, BASE, { ...READY, containerStatuses: [{ restartCount: 3, state: { running: {} } }] });
    await sweep(h.sandboxes, true);
    assert.equal(anchor(h)?.metadata.annotations?.["openhands.ai/error-since"], undefined);
    assert.ok(h.kube.all("events").some((e) => e.reason === "Recovered"));
  });
});

describe("the sweep", () => {
  it("sets the sandboxes-by-state gauge", async () => {
    const h = harness({ warmPools: [{ name: "default", size: 1, template: { image: "img" } }] });
    await h.sandboxes.start(appStartBody(SID));
    await h.sandboxes.start(appStartBody("ZzYyXxWwVvUuTtSsRrQqPp"));
    await h.sandboxes.pause("openhands-runtime-zzyyxxwwvvuuttssrrqqpp");
    await sweep(h.sandboxes, true);
    await sweep(h.sandboxes, true);
    const text = h.metrics.sandboxes.render();
    assert.match(text, /sandbox_runtime_sandboxes\{state="starting"\} 1/);
    assert.match(text, /sandbox_runtime_sandboxes\{state="paused"\} 1/);
    assert.match(text, /sandbox_runtime_sandboxes\{state="warm"\} 1/);
  });
});

describe("the background-loop lease", () => {
  it("is held by one replica at a time and taken over once it expires", async () => {
    const kube = new FakeKube();
    let t = 0;
    const now = () => new Date(1_800_000_000_000 + t);
    const a = new LeaseElector(kube, NS, "sandbox-runtime", "a", 15, silentLogger, now);
    const b = new LeaseElector(kube, NS, "sandbox-runtime", "b", 15, silentLogger, now);
    assert.equal(await a.tick(), true);
    assert.equal(await b.tick(), false);
    t += 10_000;
    assert.equal(await a.tick(), true, "renewed");
    t += 14_000;
    assert.equal(await b.tick(), false);
    t += 2_000;
    assert.equal(await b.tick(), true, "a stopped renewing 16 s ago");
    assert.equal(a.leading, false);
    assert.equal(await a.tick(), false);
    await b.release();
    assert.equal(await a.tick(), true, "a released lease is taken at once");
  });
});
