import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { WorkQueue } from "../../operator/src/workqueue";

describe("work queue", () => {
  it("processes a key added many times while waiting once", async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k));
    for (let i = 0; i < 5; i++) q.add("a");
    q.add("b");
    assert.equal(q.depth, 2);
    q.start();
    await q.shutdown(1000);
    assert.deepEqual(seen, ["a", "b"]);
  });

  it("takes urgent keys before the others, in the order they came, and moves up a waiting key made urgent", async () => {
    const seen: string[] = [];
    const q = new WorkQueue(async (k) => void seen.push(k), { concurrency: 1 });
    q.add("refresh-1");
    q.add("new-1", true);
    q.add("refresh-2");
    q.add("new-2", true);
    q.add("refresh-2", true);
    assert.equal(q.depth, 4);
    q.start();
    await q.shutdown(1000);
    assert.deepEqual(seen, ["new-1", "new-2", "refresh-2", "refresh-1"]);
  });

  it("never processes one key twice at once, and processes it again when added meanwhile", async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      await sleep(20);
      running--;
    }, { concurrency: 4 });
    q.start();
    q.add("a");
    await sleep(5);
    q.add("a");
    q.add("a");
    await sleep(80);
    assert.equal(maxRunning, 1);
    assert.equal(runs, 2);
  });

  it("runs at most `concurrency` keys at once", async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue(async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(10);
      running--;
    }, { concurrency: 3 });
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    q.start();
    assert.equal(await q.shutdown(2000), true);
    assert.equal(maxRunning, 3);
  });

  it("retries a failing key with exponential backoff and forgets failures on success", async () => {
    const times: number[] = [];
    let fail = 3;
    const q = new WorkQueue(
      async () => {
        times.push(performance.now());
        if (fail-- > 0) throw new Error("boom");
      },
      { baseDelayMs: 10, maxDelayMs: 1000 },
    );
    q.start();
    q.add("a");
    await sleep(200);
    assert.equal(times.length, 4);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    assert.ok(gaps[0] >= 9 && gaps[1] >= 19 && gaps[2] >= 39, gaps.join(","));
    assert.equal(q.failuresOf("a"), 0);
  });

  it("caps the backoff", () => {
    const q = new WorkQueue(async () => {}, { baseDelayMs: 100, maxDelayMs: 500 });
    const delays = [1, 2, 3, 4, 5].map(() => q.addRateLimited("a"));
    assert.deepEqual(delays, [100, 200, 400, 500, 500]);
    void q.shutdown(0);
  });

  it("requeues after the delay a handler asks for, an earlier request winning", async () => {
    let runs = 0;
    const q = new WorkQueue(async () => {
      runs++;
      return runs === 1 ? { requeueAfterMs: 30 } : undefined;
    });
    q.start();
    q.add("a");
    q.addAfter("b", 10_000);
    q.addAfter("b", 1);
    await sleep(60);
    assert.equal(runs, 3);
  });

  it("drains on shutdown within the deadline and ignores later adds", async () => {
    const done: string[] = [];
    const q = new WorkQueue(async (k) => {
      await sleep(10);
      done.push(k);
    }, { concurrency: 1 });
    q.add("a");
    q.add("b");
    q.start();
    assert.equal(await q.shutdown(1000), true);
    q.add("c");
    await sleep(20);
    assert.deepEqual(done, ["a", "b"]);
  });

  it("gives up waiting at the deadline", async () => {
    const q = new WorkQueue(() => sleep(500).then(() => undefined));
    q.add("slow");
    q.start();
    const t = performance.now();
    assert.equal(await q.shutdown(30), false);
    assert.ok(performance.now() - t < 200);
  });

  it("pause takes no more keys; a shutdown then drops the waiting ones and waits for those in flight only", async () => {
    const seen: string[] = [];
    let release!: () => void;
    const q = new WorkQueue(
      async (k) => {
        seen.push(k);
        if (k === "a") await new Promise<void>((r) => (release = r));
      },
      { concurrency: 1 },
    );
    q.add("a");
    q.add("b");
    q.start();
    await sleep(5);
    q.pause();
    q.add("c");
    await sleep(5);
    assert.deepEqual(seen, ["a"]);
    const done = q.shutdown(5_000);
    release();
    assert.equal(await done, true);
    assert.deepEqual(seen, ["a"], "b and c were dropped");
    assert.equal(q.depth, 0);
  });

  it("a queue never started shuts down at once, dropping what was queued", async () => {
    const q = new WorkQueue(async () => {});
    q.add("a");
    const t0 = performance.now();
    assert.equal(await q.shutdown(5_000), true);
    assert.ok(performance.now() - t0 < 100);
  });
});

