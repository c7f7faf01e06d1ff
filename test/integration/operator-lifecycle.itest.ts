import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, waitUntil } from "./helpers/kube";
import {
  createFleet,
  deleteNamespace,
  deleteScratchVolumes,
  ensureNamespace,
  fleetPath,
  installFleetCrd,
  isSteady,
  type OperatorProcess,
  provisionVolumes,
  SMALL_SPEC,
  startOperator,
} from "./helpers/operator";

/*
 * The operator's process lifecycle against the local control plane: a crash (SIGKILL) in the
 * middle of reconciling many fleets, a successor that takes the Lease over only once it has
 * expired and converges without duplicates; and a graceful stop (SIGTERM) that exits 0 within
 * the deadline and releases the Lease so a successor leads at once.
 */

const NS = "op-e2e-life";
const LEASE_NS = "op-e2e-life-system";
const FLEETS = 30;
/** The operator's default lease duration (leader.ts). */
const LEASE_SECONDS = 15;
const names = Array.from({ length: FLEETS }, (_, i) => `crash-${String(i).padStart(2, "0")}`);

const lease = async (name: string) => (await api("GET", `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases/${name}`)).body;
const items = async (p: string) => (await api("GET", p)).body.items as Record<string, any>[];
const passes = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith("ollama_fleet_reconcile_total{")).reduce((n, [, v]) => n + v, 0);

describe("the OllamaFleet operator's process lifecycle", { timeout: 600_000 }, () => {
  const procs: OperatorProcess[] = [];
  const start = async (leaseName: string, identity: string) => {
    const p = await startOperator({ watchNamespaces: [NS], leaseNamespace: LEASE_NS, leaseName, identity });
    procs.push(p);
    return p;
  };

  before(async () => {
    await installFleetCrd();
    for (const ns of [NS, LEASE_NS]) await deleteNamespace(ns, 120_000);
    await deleteScratchVolumes(NS);
    for (const ns of [NS, LEASE_NS]) await ensureNamespace(ns);
  });

  after(async () => {
    for (const p of procs) await p.stop();
    await deleteNamespace(NS, 120_000).catch((e: Error) => console.error(e.message));
    await deleteNamespace(LEASE_NS).catch((e: Error) => console.error(e.message));
    await deleteScratchVolumes(NS);
  });

  it("killed (SIGKILL) mid-reconcile of 30 fleets: the successor takes the Lease after it expires and converges without duplicates", async () => {
    for (const f of names) await provisionVolumes(NS, f, 1);
    for (const f of names) await createFleet(NS, f, SMALL_SPEC);
    const first = await start("crash", "crash-first");
    await first.waitForLog("started leading", (l) => l.msg === "started leading", 30_000);
    await waitUntil("a few passes", 30_000, async () => passes(await first.metrics()) >= 3);
    assert.equal(await first.kill(), "SIGKILL");
    const killedAt = Date.now();
    const steadyAtKill = (await items(fleetPath(NS))).filter(isSteady).length;
    assert.ok(steadyAtKill < FLEETS, `killed mid-reconcile (${steadyAtKill} of ${FLEETS} steady)`);
    const held = await lease("crash");
    assert.equal(held.spec.holderIdentity, "crash-first", "a crash releases nothing");

    const second = await start("crash", "crash-second");
    const led = await second.waitForLog("started leading", (l) => l.msg === "started leading", (LEASE_SECONDS + 15) * 1000);
    // It waited out the lease: not before LEASE_SECONDS after its first look (which is after the kill).
    assert.ok(Date.parse(led.time) - killedAt >= (LEASE_SECONDS - 1) * 1000, `took over ${Date.parse(led.time) - killedAt} ms after the kill`);
    const taken = await lease("crash");
    assert.equal(taken.spec.holderIdentity, "crash-second");
    assert.equal(taken.spec.leaseTransitions, held.spec.leaseTransitions + 1);

    await waitUntil(`all ${FLEETS} fleets steady`, 180_000, async () => (await items(fleetPath(NS))).filter(isSteady).length === FLEETS);
    const byFleet = (objs: Record<string, any>[]) => objs.map((o) => o.metadata.labels?.["openhands.ai/fleet"]).sort();
    const sel = `?labelSelector=${encodeURIComponent("app.kubernetes.io/managed-by=ollama-fleet-operator")}`;
    assert.deepEqual(byFleet(await items(`/apis/apps/v1/namespaces/${NS}/statefulsets${sel}`)), names);
    assert.deepEqual(byFleet(await items(`/api/v1/namespaces/${NS}/services${sel}`)), names);
    assert.deepEqual(byFleet(await items(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets${sel}`)), [], "one replica each: no budgets");
    const pods = await items(`/api/v1/namespaces/${NS}/pods`);
    assert.equal(pods.length, FLEETS, "one pod per fleet");
    const m = await second.metrics();
    assert.equal(m.get("ollama_fleet_reconcile_errors_total") ?? 0, 0);
    assert.equal(m.get("ollama_fleet_fleets"), FLEETS);
  });

  it("SIGTERM: exits 0 within the shutdown deadline and releases the Lease; a successor leads at once", async () => {
    // The survivor of the previous scenario stops first so this pair has the namespace to itself.
    for (const p of procs) await p.stop();
    const op = await start("graceful", "graceful-first");
    await op.waitForLog("started leading", (l) => l.msg === "started leading", 30_000);
    await waitUntil("it reconciled the fleets", 60_000, async () => passes(await op.metrics()) >= FLEETS);
    const t0 = Date.now();
    op.child.kill("SIGTERM");
    const { code, signal } = await op.exited;
    const took = Date.now() - t0;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    assert.ok(took < 20_000, `exited after ${took} ms (deadline 20 s)`);
    const msgs = op.logLines().map((l) => l.msg);
    assert.ok(msgs.includes("stopping") && msgs.includes("released lease") && msgs.includes("stopped"), msgs.join(", "));
    assert.equal(op.logLines().find((l) => l.msg === "stopped")!.drained, true);
    const released = await lease("graceful");
    assert.equal(released.spec.holderIdentity, "", "released: no holder");

    const next = await start("graceful", "graceful-second");
    const t1 = Date.now();
    await next.waitForLog("started leading", (l) => l.msg === "started leading", 10_000);
    assert.ok(Date.now() - t1 < 5_000, "a released lease is taken at once, not after it expires");
    assert.equal((await lease("graceful")).spec.holderIdentity, "graceful-second");
  });
});
