import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import type { Connection } from "../../operator/src/client/connection";
import { KubeClient } from "../../operator/src/client/http";
import { Controller } from "../../operator/src/controller";
import { kubeLeaseApi } from "../../operator/src/kube";
import { LeaderElector } from "../../operator/src/leader";
import { silentLogger } from "../../operator/src/log";
import { fleet } from "./fixtures";

/*
 * Leader election against an API server that accepts a lease call and never answers it
 * (a real HTTP server; each candidate authenticates with its identity as bearer token):
 * the leader must stop its workers within the renew deadline of its last successful
 * renewal, abort the hung call, and never lead past the lease duration; a standby that takes
 * the lease over once it expired must never lead at the same time as the hung leader; and a
 * leader's in-flight reconcile writes are cut off when it stops leading.
 */

const LEASE_DURATION_MS = 2_000;
const RENEW_DEADLINE_MS = 1_000;
const RETRY_PERIOD_MS = 200;
/** Timer and event-loop slack allowed past the renew deadline. */
const MARGIN_MS = 300;
const NS = "ollama-system";
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`;

type Lease = { metadata: { name: string; namespace: string; resourceVersion?: string }; spec: Record<string, unknown> };
type Hung = { method: string; path: string; who: string; at: number; closedAt?: number };

const now = () => performance.now();
const json = (res: ServerResponse, status: number, body: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
const status = (res: ServerResponse, code: number, reason: string) => json(res, code, { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message: reason });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ms: number, cond: () => boolean): Promise<void> {
  const until = now() + ms;
  while (!cond()) {
    if (now() > until) assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(5);
  }
}

/**
 * A fake API server holding one Lease (resourceVersion checked, as the API server does),
 * plus whatever `extra` answers. A request `hang` matches is accepted and never answered;
 * the server records when the client gave up on it (closed the connection).
 */
async function fakeApi(extra?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean) {
  let lease: Lease | undefined;
  let version = 0;
  const state = {
    hang: (_method: string, _path: string, _who: string) => false,
    hung: [] as Hung[],
    /** Arrival times of lease writes answered 200/201, by candidate. */
    renewals: [] as { who: string; at: number }[],
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    const who = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    const at = now();
    if (state.hang(req.method!, url.pathname, who)) {
      const h: Hung = { method: req.method!, path: url.pathname, who, at };
      state.hung.push(h);
      res.on("close", () => (h.closedAt = now()));
      req.resume();
      return;
    }
    if (!url.pathname.startsWith(LEASE_PATH)) {
      if (extra?.(req, res, url)) return;
      return status(res, 404, "NotFound");
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Lease) : undefined;
      if (req.method === "GET") return lease ? json(res, 200, lease) : status(res, 404, "NotFound");
      if (req.method === "POST") {
        if (lease) return status(res, 409, "AlreadyExists");
        lease = { ...body!, metadata: { ...body!.metadata, resourceVersion: String(++version) } };
        state.renewals.push({ who, at });
        return json(res, 201, lease);
      }
      if (req.method === "PUT") {
        if (!lease) return status(res, 404, "NotFound");
        if (body!.metadata.resourceVersion !== lease.metadata.resourceVersion) return status(res, 409, "Conflict");
        lease = { ...body!, metadata: { ...body!.metadata, resourceVersion: String(++version) } };
        state.renewals.push({ who, at });
        return json(res, 200, lease);
      }
      return status(res, 405, "MethodNotAllowed");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: KubeClient[] = [];
  return {
    state,
    holder: () => lease?.spec.holderIdentity,
    /** A client authenticating as `who`. */
    client(who: string): KubeClient {
      const connection: Connection = { server: url, skipTLSVerify: false, authorize: async () => ({ authorization: `Bearer ${who}` }), describe: who };
      const c = new KubeClient(connection);
      clients.push(c);
      return c;
    },
    lastRenewal: (who: string) => state.renewals.filter((r) => r.who === who).at(-1)?.at ?? NaN,
    close: async () => {
      for (const c of clients) c.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A candidate that records when it started and stopped leading, and samples isLeader. */
function candidate(client: KubeClient, identity: string, hooks: { started?: () => void; stopped?: () => void } = {}) {
  const times: { started?: number; stopped?: number; lastSeenLeading?: number } = {};
  const elector = new LeaderElector({
    api: kubeLeaseApi(client),
    namespace: NS,
    name: "ollama-fleet-operator",
    identity,
    leaseDurationMs: LEASE_DURATION_MS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    retryPeriodMs: RETRY_PERIOD_MS,
    log: silentLogger,
    onStartedLeading: () => {
      times.started ??= now();
      hooks.started?.();
    },
    onStoppedLeading: () => {
      times.stopped ??= now();
      hooks.stopped?.();
    },
  });
  const sampler = setInterval(() => {
    if (elector.isLeader) times.lastSeenLeading = now();
  }, 2);
  return { elector, times, dispose: () => clearInterval(sampler) };
}

// The API server is closed before the candidates stop: a hung release cannot hold a test up.
describe("leader election with a hung API call", () => {
  const each = { timeout: 10_000 };
  for (const method of ["PUT", "GET"]) {
    it(`a leader whose renewal (${method}) the server accepts and never answers steps down within the renew deadline`, each, async () => {
      const api = await fakeApi();
      const a = candidate(api.client("a"), "a");
      try {
        a.elector.start();
        await waitFor("a leads", 2_000, () => a.elector.isLeader);
        await waitFor("a renewed twice", 2_000, () => api.state.renewals.length >= 3);
        api.state.hang = (m, p, who) => who === "a" && m === method && p.startsWith(LEASE_PATH);
        await waitFor("the renewal is hung", 2_000, () => api.state.hung.length > 0);
        const last = api.lastRenewal("a");
        await waitFor("a stops leading", LEASE_DURATION_MS + 1_000, () => a.times.stopped !== undefined);

        const stoppedAfter = a.times.stopped! - last;
        assert.ok(stoppedAfter <= RENEW_DEADLINE_MS + MARGIN_MS, `stopped ${Math.round(stoppedAfter)} ms after its last renewal (renew deadline ${RENEW_DEADLINE_MS} ms)`);
        assert.equal(a.elector.isLeader, false);
        const ledAfter = a.times.lastSeenLeading! - last;
        assert.ok(ledAfter < LEASE_DURATION_MS, `led ${Math.round(ledAfter)} ms after its last renewal (lease duration ${LEASE_DURATION_MS} ms)`);
        // The hung call itself was given up on, by the deadline.
        const hung = api.state.hung[0];
        await waitFor("the hung call is closed", MARGIN_MS, () => hung.closedAt !== undefined);
        assert.ok(hung.closedAt! - last <= RENEW_DEADLINE_MS + MARGIN_MS, `hung ${hung.method} closed ${Math.round(hung.closedAt! - last)} ms after the last renewal`);
        // It does not run for the lease again (the process restarts), so it cannot lead once more.
        const calls = api.state.hung.length + api.state.renewals.length;
        await sleep(3 * RETRY_PERIOD_MS);
        assert.equal(api.state.hung.length + api.state.renewals.length, calls, "no lease call after stepping down");
      } finally {
        a.dispose();
        await api.close();
        await a.elector.stop();
      }
    });
  }

  it("a standby takes over once the lease expired while the leader hangs, and the two never lead at once", each, async () => {
    const api = await fakeApi();
    const a = candidate(api.client("a"), "a");
    const b = candidate(api.client("b"), "b");
    let overlap = false;
    const watch = setInterval(() => {
      if (a.elector.isLeader && b.elector.isLeader) overlap = true;
    }, 1);
    try {
      a.elector.start();
      await waitFor("a leads", 2_000, () => a.elector.isLeader);
      b.elector.start();
      await sleep(3 * RETRY_PERIOD_MS);
      assert.equal(b.elector.isLeader, false, "b waits while a renews");
      // Every call of a's from now on is accepted and never answered.
      api.state.hang = (_m, _p, who) => who === "a";
      const hangFrom = now();
      await waitFor("b leads", LEASE_DURATION_MS + 2_000, () => b.elector.isLeader);
      const last = api.lastRenewal("a");

      assert.equal(api.holder(), "b");
      assert.ok(a.times.stopped !== undefined, `a still leads when b started leading ${Math.round(b.times.started! - hangFrom)} ms after a hung`);
      assert.ok(a.times.stopped! < b.times.started!, "a stopped before b started");
      assert.ok(a.times.lastSeenLeading! < b.times.started!, "a was never seen leading once b led");
      assert.ok(b.times.started! - last >= LEASE_DURATION_MS, `b took over ${Math.round(b.times.started! - last)} ms after a's last renewal, before the lease expired`);
      assert.ok(a.times.stopped! - last <= RENEW_DEADLINE_MS + MARGIN_MS, `a stopped ${Math.round(a.times.stopped! - last)} ms after its last renewal`);
      assert.equal(overlap, false, "both led at once");
      await waitFor("a's hung calls are closed", MARGIN_MS, () => api.state.hung.every((h) => h.closedAt !== undefined));
    } finally {
      clearInterval(watch);
      a.dispose();
      b.dispose();
      await api.close();
      await a.elector.stop();
      await b.elector.stop();
    }
  });

  it("the leader's workers stop at the renew deadline: its in-flight reconcile writes are aborted and nothing more is sent", each, async () => {
    const NSF = "ollama";
    // Two replicas: StatefulSet, Service and PodDisruptionBudget, three applies per pass.
    const f = fleet({ replicas: 2 }, { resourceVersion: "7" });
    const discovery: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
      "/apis/apps/v1": [{ name: "statefulsets", kind: "StatefulSet", namespaced: true }],
      "/api/v1": [{ name: "services", kind: "Service", namespaced: true }],
      "/apis/policy/v1": [{ name: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true }],
    };
    const lists: Record<string, unknown[]> = {
      [`/apis/openhands.ai/v1alpha1/namespaces/${NSF}/ollamafleets`]: [f],
      [`/apis/apps/v1/namespaces/${NSF}/statefulsets`]: [],
      [`/api/v1/namespaces/${NSF}/pods`]: [],
    };
    /** Requests of the workers (not lease, list or watch), with arrival time. */
    const work: { method: string; path: string; at: number }[] = [];
    const api = await fakeApi((req, res, url) => {
      if (url.searchParams.get("watch") === "true") {
        res.writeHead(200, { "content-type": "application/json" }); // stays open
        return true;
      }
      if (lists[url.pathname]) {
        json(res, 200, { metadata: { resourceVersion: "7" }, items: lists[url.pathname] });
        return true;
      }
      work.push({ method: req.method!, path: url.pathname, at: now() });
      if (discovery[url.pathname]) {
        json(res, 200, { resources: discovery[url.pathname] });
        return true;
      }
      return false;
    });
    // The children's applies are accepted and never answered: passes in flight.
    api.state.hang = (m) => m === "PATCH";
    const client = api.client("a");
    const controller = new Controller({ client, namespaces: [NSF], mesh: "istio", prometheusUrl: "http://prom:9090", concurrency: 2, identity: "a", log: silentLogger });
    const a = candidate(client, "a", { started: () => controller.startWorkers(), stopped: () => controller.stopWorkers() });
    try {
      await controller.startInformers();
      a.elector.start();
      await waitFor("the workers' applies are in flight", 3_000, () => api.state.hung.filter((h) => h.method === "PATCH").length === 3);
      assert.equal(controller.queue.active, 1);
      // Now the renewal hangs too.
      api.state.hang = (m, p) => m === "PATCH" || (m === "PUT" && p.startsWith(LEASE_PATH));
      const last = api.lastRenewal("a");
      await waitFor("a stops leading", LEASE_DURATION_MS + 1_000, () => a.times.stopped !== undefined);
      const stoppedAfter = a.times.stopped! - last;
      assert.ok(stoppedAfter <= RENEW_DEADLINE_MS + MARGIN_MS, `stopped ${Math.round(stoppedAfter)} ms after its last renewal`);
      assert.equal(controller.workersRunning, false);

      const applies = api.state.hung.filter((h) => h.method === "PATCH");
      await waitFor("the in-flight applies are aborted", MARGIN_MS, () => applies.every((h) => h.closedAt !== undefined));
      for (const h of applies) assert.ok(h.closedAt! - last <= RENEW_DEADLINE_MS + MARGIN_MS, `${h.path} closed ${Math.round(h.closedAt! - last)} ms after the last renewal`);
      await waitFor("no pass runs", MARGIN_MS, () => controller.queue.active === 0);
      // Nothing of the workers reaches the server after it stopped leading, even as keys keep coming.
      controller.queue.add(`${NSF}/other`);
      controller.queue.add(`${NSF}/${f.metadata.name}`);
      await sleep(LEASE_DURATION_MS - RENEW_DEADLINE_MS);
      const late = [...work.filter((w) => w.at > a.times.stopped!), ...api.state.hung.filter((h) => h.method === "PATCH" && h.at > a.times.stopped!)];
      assert.deepEqual(late, [], "worker requests after stepping down");
      assert.equal(controller.queue.active, 0);
    } finally {
      a.dispose();
      await api.close();
      await a.elector.stop();
      await controller.stop(100);
    }
  });
});
