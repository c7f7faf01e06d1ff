import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import type { Connection } from "../../operator/src/client/connection";
import { KubeClient } from "../../operator/src/client/http";
import { CHILD_EVENT_COALESCE_MS, Controller } from "../../operator/src/controller";
import { fleetLabels } from "../../operator/src/labels";
import { silentLogger } from "../../operator/src/log";
import type { OllamaFleet } from "../../operator/src/types";
import { fleet } from "./fixtures";

/*
 * The controller's event wiring against a real HTTP server speaking the list/watch protocol:
 * a burst of child events (a pod starting: created, bound, initialised, ready) becomes one
 * pass after CHILD_EVENT_COALESCE_MS, while a fleet's spec change is reconciled at once.
 */

const NS = "ollama";
const PATHS = {
  fleets: `/apis/openhands.ai/v1alpha1/namespaces/${NS}/ollamafleets`,
  statefulSets: `/apis/apps/v1/namespaces/${NS}/statefulsets`,
  pods: `/api/v1/namespaces/${NS}/pods`,
} as const;
const DISCOVERY: Record<string, { name: string; kind: string; namespaced: boolean }[]> = {
  "/apis/apps/v1": [{ name: "statefulsets", kind: "StatefulSet", namespaced: true }],
  "/api/v1": [{ name: "services", kind: "Service", namespaced: true }],
  "/apis/policy/v1": [{ name: "poddisruptionbudgets", kind: "PodDisruptionBudget", namespaced: true }],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = (res: ServerResponse, status: number, body: unknown) => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

async function waitFor(what: string, ms: number, cond: () => boolean): Promise<void> {
  const until = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > until) assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(5);
  }
}

/** A fake API server: lists, watch streams the test writes events to, and writes answered with their body. */
async function fakeApi(initial: OllamaFleet) {
  const watches = new Map<string, ServerResponse>();
  let version = 10;
  const server = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    if (req.method === "GET" && url.searchParams.get("watch") === "true") {
      res.writeHead(200, { "content-type": "application/json" });
      watches.set(url.pathname, res);
      return;
    }
    if (req.method === "GET" && url.pathname === PATHS.fleets) return json(res, 200, { metadata: { resourceVersion: "10" }, items: [initial] });
    if (req.method === "GET" && (url.pathname === PATHS.statefulSets || url.pathname === PATHS.pods)) return json(res, 200, { metadata: { resourceVersion: "10" }, items: [] });
    if (req.method === "GET" && DISCOVERY[url.pathname]) return json(res, 200, { resources: DISCOVERY[url.pathname] });
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, any>) : {};
      if (req.method === "PATCH" || req.method === "POST") return json(res, req.method === "POST" ? 201 : 200, { ...body, metadata: { ...body.metadata, resourceVersion: String(++version) } });
      json(res, 404, { kind: "Status", code: 404, reason: "NotFound", message: "not found" });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const connection: Connection = { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: false, authorize: async () => ({}), describe: "test" };
  const client = new KubeClient(connection);
  return {
    client,
    /** Sends a watch event on the stream of `path` (once the informer watches it). */
    async send(path: string, type: "ADDED" | "MODIFIED", object: Record<string, any>) {
      await waitFor(`a watch on ${path}`, 2_000, () => watches.has(path));
      watches.get(path)!.write(`${JSON.stringify({ type, object: { ...object, metadata: { ...object.metadata, resourceVersion: String(++version) } } })}\n`);
    },
    close: async () => {
      client.close();
      for (const w of watches.values()) w.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Passes the controller finished (every result). */
const passes = (c: Controller) => ["ready", "progressing", "degraded", "invalid", "absent", "error"].reduce((n, result) => n + c.metrics.reconcileTotal.get({ result }), 0);

/** A pod of fleet `name` as the StatefulSet controller labels it, at a given phase. */
function pod(name: string, phase: string, ready: boolean): Record<string, any> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${name}-0`, namespace: NS, labels: fleetLabels(name) },
    status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

describe("controller event wiring", () => {
  it("coalesces a burst of a fleet's child events into one pass, and does not delay a fleet's spec change", { timeout: 20_000 }, async () => {
    const f = fleet({}, { namespace: NS, generation: 1, resourceVersion: "10" });
    const api = await fakeApi(f);
    const controller = new Controller({ client: api.client, namespaces: [NS], mesh: "istio", prometheusUrl: "http://prom:9090", concurrency: 2, identity: "a", log: silentLogger });
    try {
      await controller.startInformers();
      controller.startWorkers();
      await waitFor("the first pass", 3_000, () => passes(controller) === 1);

      // A pod starting: four events within a few milliseconds.
      const burst = performance.now();
      for (const [phase, ready] of [["Pending", false], ["Pending", false], ["Running", false], ["Running", true]] as const) await api.send(PATHS.pods, phase === "Pending" && !ready ? "ADDED" : "MODIFIED", pod(f.metadata.name, phase, ready));
      await sleep(CHILD_EVENT_COALESCE_MS / 2);
      assert.equal(passes(controller), 1, "no pass before the coalescing delay is over");
      await waitFor("the pass after the burst", CHILD_EVENT_COALESCE_MS * 3, () => passes(controller) === 2);
      assert.ok(performance.now() - burst >= CHILD_EVENT_COALESCE_MS, "the pass ran after the delay");
      await sleep(CHILD_EVENT_COALESCE_MS * 1.5);
      assert.equal(passes(controller), 2, "one pass for the whole burst");

      // A spec change: reconciled without the delay.
      const changed = performance.now();
      await api.send(PATHS.fleets, "MODIFIED", { ...f, metadata: { ...f.metadata, generation: 2 }, spec: { ...f.spec, replicas: 2 } });
      await waitFor("the pass for the spec change", CHILD_EVENT_COALESCE_MS, () => passes(controller) === 3);
      assert.ok(performance.now() - changed < CHILD_EVENT_COALESCE_MS / 2, `spec change waited ${Math.round(performance.now() - changed)} ms`);
    } finally {
      await api.close();
      await controller.stop(100);
    }
  });
});
