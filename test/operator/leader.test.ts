import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaderElector, type LeaseApi } from "../../operator/src/leader";
import { silentLogger } from "../../operator/src/log";
import { FakeLeases } from "./fixtures";

function candidate(api: FakeLeases, identity: string, clock: { t: number }) {
  const log: string[] = [];
  const e = new LeaderElector({
    api,
    namespace: "ollama-system",
    name: "ollama-fleet-operator",
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    log: silentLogger,
    now: () => new Date(clock.t),
    onStartedLeading: () => log.push("start"),
    onStoppedLeading: () => log.push("stop"),
  });
  return { e, log };
}

describe("leader election", () => {
  it("the first candidate creates the lease and leads; the second waits", async () => {
    const api = new FakeLeases();
    const clock = { t: 1_000_000 };
    const a = candidate(api, "a", clock);
    const b = candidate(api, "b", clock);
    await a.e.tick();
    await b.e.tick();
    assert.equal(a.e.isLeader, true);
    assert.equal(b.e.isLeader, false);
    assert.equal(api.lease!.holderIdentity, "a");
    assert.equal(api.lease!.leaseDurationSeconds, 15);
    assert.deepEqual(a.log, ["start"]);
  });

  it("the leader renews, moving renewTime, and keeps the lease", async () => {
    const api = new FakeLeases();
    const clock = { t: 1_000_000 };
    const a = candidate(api, "a", clock);
    await a.e.tick();
    clock.t += 2_000;
    await a.e.tick();
    assert.equal(api.lease!.renewTime.getTime(), 1_002_000);
    assert.equal(api.lease!.leaseTransitions, 0);
    assert.deepEqual(a.log, ["start"]);
  });

  it("a standby takes over once the lease has not changed for its duration", async () => {
    const api = new FakeLeases();
    const clock = { t: 1_000_000 };
    const a = candidate(api, "a", clock);
    const b = candidate(api, "b", clock);
    await a.e.tick();
    await b.e.tick();
    clock.t += 14_000;
    await b.e.tick();
    assert.equal(b.e.isLeader, false, "not before the lease duration");
    clock.t += 1_000;
    await b.e.tick();
    assert.equal(b.e.isLeader, true);
    assert.equal(api.lease!.holderIdentity, "b");
    assert.equal(api.lease!.leaseTransitions, 1);
  });

  it("a leader that cannot renew within the renew deadline stops leading", async () => {
    const api = new FakeLeases();
    const clock = { t: 1_000_000 };
    const a = candidate(api, "a", clock);
    await a.e.tick();
    api.lease = { ...api.lease!, holderIdentity: "b", resourceVersion: "99" };
    clock.t += 4_000;
    await a.e.tick();
    assert.equal(a.e.isLeader, true, "still within the renew deadline");
    clock.t += 6_000;
    await a.e.tick();
    assert.equal(a.e.isLeader, false);
    assert.deepEqual(a.log, ["start", "stop"]);
  });

  it("of two candidates racing for an expired lease, exactly one wins", async () => {
    const api = new FakeLeases();
    const clock = { t: 1_000_000 };
    await api.create("", "", { holderIdentity: "gone", leaseDurationSeconds: 15, acquireTime: new Date(0), renewTime: new Date(0), leaseTransitions: 4 });
    const a = candidate(api, "a", clock);
    const b = candidate(api, "b", clock);
    await Promise.all([a.e.tryAcquireOrRenew(), b.e.tryAcquireOrRenew()]);
    clock.t += 16_000;
    const won = await Promise.all([a.e.tryAcquireOrRenew(), b.e.tryAcquireOrRenew()]);
    assert.equal(won.filter(Boolean).length, 1);
    assert.equal(api.lease!.leaseTransitions, 5);
  });

  it("releases the lease on stop so a standby takes over at once", async () => {
    const api = new FakeLeases();
    const clock = { t: 1_000_000 };
    const a = candidate(api, "a", clock);
    const b = candidate(api, "b", clock);
    await a.e.tick();
    await b.e.tick();
    await a.e.stop();
    assert.equal(api.lease!.holderIdentity, "");
    await b.e.tick();
    assert.equal(b.e.isLeader, true);
  });

  it("refuses timing that would allow two leaders, naming the options", () => {
    const make = (t: { leaseDurationMs?: number; renewDeadlineMs?: number; retryPeriodMs?: number }) => () =>
      new LeaderElector({ api: new FakeLeases(), namespace: "n", name: "l", identity: "a", log: silentLogger, onStartedLeading: () => {}, onStoppedLeading: () => {}, ...t });
    assert.throws(make({ leaseDurationMs: 10_000 }), /renewDeadlineMs \(10000\) must be less than leaseDurationMs \(10000\)/);
    assert.throws(make({ renewDeadlineMs: 20_000 }), /renewDeadlineMs \(20000\) must be less than leaseDurationMs \(15000\)/);
    assert.throws(make({ retryPeriodMs: 10_000 }), /retryPeriodMs \(10000\) must be less than renewDeadlineMs \(10000\)/);
    assert.throws(make({ retryPeriodMs: 0 }), /retryPeriodMs \(0\) must be greater than 0/);
    assert.doesNotThrow(make({}));
  });

  it("steps down at the renew deadline even when a lease call never settles and ignores its signal", { timeout: 5_000 }, async () => {
    const leases = new FakeLeases();
    let hang = false;
    const signals: AbortSignal[] = [];
    const api: LeaseApi = {
      get: (_ns, _n, signal) => (hang ? (signals.push(signal!), new Promise<never>(() => {})) : leases.get()),
      create: (ns, n, r) => leases.create(ns, n, r),
      update: (ns, n, r) => leases.update(ns, n, r),
    };
    const events: string[] = [];
    const e = new LeaderElector({
      api,
      namespace: "n",
      name: "l",
      identity: "a",
      leaseDurationMs: 1_000,
      renewDeadlineMs: 400,
      retryPeriodMs: 100,
      log: silentLogger,
      onStartedLeading: () => events.push("start"),
      onStoppedLeading: () => events.push("stop"),
    });
    const t0 = performance.now();
    await e.tick();
    assert.equal(e.isLeader, true);
    hang = true;
    void e.tick(); // never settles
    while (!events.includes("stop") && performance.now() - t0 < 2_000) await new Promise((r) => setTimeout(r, 5));
    const took = performance.now() - t0;
    assert.deepEqual(events, ["start", "stop"]);
    assert.ok(took >= 400 && took < 600, `stopped ${Math.round(took)} ms after the renewal (renew deadline 400 ms)`);
    assert.equal(signals[0].aborted, true, "the hung call was told to stop");
    await e.tick();
    assert.equal(e.isLeader, false, "a leader that lost the lease does not run for it again");
  });
});
