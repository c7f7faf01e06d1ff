import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { silentLogger } from "../../sandbox-runtime/src/log";
import { httpProbe } from "../../sandbox-runtime/src/probe";
import { Sandboxes } from "../../sandbox-runtime/src/sandboxes";
import { serveApi } from "../../sandbox-runtime/src/server";
import { API_KEY, appStartBody, harness, NS, READY } from "./fixtures";

/*
 * The runtime API over real HTTP (127.0.0.1:0) against the in-memory cluster, with the route
 * check going through a real HTTP "agent server" that the sandbox URL template points at.
 */

const SID = "AbCdEfGhIjKlMnOpQrStUv";
const BASE = "openhands-runtime-abcdefghijklmnopqrstuv";

let agentReady = false;
const agentHits: string[] = [];
const agent: Server = createServer((req, res) => {
  agentHits.push(req.url as string);
  res.writeHead(agentReady ? 200 : 503).end();
});
let agentPort = 0;

function setup(file: Record<string, unknown> = {}) {
  const h = harness({ urlTemplate: `http://127.0.0.1:${agentPort}/{runtimeId}`, ingress: { className: "contour" }, ...file }, httpProbe(1000, false));
  let server: Server | undefined;
  const api = async (method: string, path: string, body?: unknown, key: string | null = API_KEY) => {
    if (!server) server = await serveApi({ sandboxes: h.sandboxes, apiKeys: [API_KEY], metrics: h.metrics, log: silentLogger, ready: () => true }, "127.0.0.1", 0);
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
      method,
      headers: { ...(key !== null ? { "x-api-key": key } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text };
  };
  const close = () => {
    server?.closeAllConnections();
    server?.close();
  };
  return { ...h, api, close };
}

describe("the runtime API", () => {
  let t: ReturnType<typeof setup>;
  before(async () => {
    await new Promise<void>((r) => agent.listen(0, "127.0.0.1", r));
    agentPort = (agent.address() as AddressInfo).port;
  });
  after(() => {
    t?.close();
    agent.closeAllConnections();
    agent.close();
  });
  beforeEach(() => {
    t?.close();
    agentReady = false;
    agentHits.length = 0;
    t = setup();
  });

  it("refuses calls without the right X-API-Key but serves health and metrics without it", async () => {
    assert.equal((await t.api("GET", "/list", undefined, null)).status, 401);
    assert.equal((await t.api("GET", "/list", undefined, "wrong-key-wrong-key")).status, 401);
    assert.equal((await t.api("GET", "/list", undefined, `${API_KEY}x`)).status, 401);
    assert.equal((await t.api("GET", "/healthz", undefined, null)).status, 200);
    assert.equal((await t.api("GET", "/readyz", undefined, null)).status, 200);
    const m = await t.api("GET", "/metrics", undefined, null);
    assert.match(m.body, /sandbox_runtime_requests_total\{code="401",route="list"\} 3/);
  });

  it("answers /start at once with starting and the full runtime object, and creates the design's objects", async () => {
    const r = await t.api("POST", "/start", appStartBody(SID));
    assert.equal(r.status, 201);
    assert.deepEqual(Object.keys(r.body).sort(), ["pod_status", "restart_count", "restart_reasons", "runtime_id", "session_api_key", "session_id", "status", "url", "vscode_url", "work_hosts"]);
    assert.equal(r.body.status, "starting");
    assert.equal(r.body.session_id, SID);
    assert.equal(r.body.runtime_id, BASE);
    assert.equal(r.body.session_api_key, "key-1");
    assert.equal(r.body.url, `http://127.0.0.1:${agentPort}/${BASE}`);
    assert.equal(r.body.vscode_url, `http://127.0.0.1:${agentPort}/${BASE}/vscode/?tkn=key-1&folder=%2Fworkspace%2Fproject`, "path mode, as the app derives it");
    assert.deepEqual(t.kube.names("pods"), [BASE]);
    assert.deepEqual(t.kube.names("services"), [`${BASE}-svc`, `${BASE}-svc-code`]);
    assert.deepEqual(t.kube.names("ingresses"), [`${BASE}-ingress-code`]);
    assert.deepEqual(t.kube.names("persistentvolumeclaims"), [`${BASE}-pvc`]);
    assert.deepEqual(t.kube.names("secrets"), [`${BASE}-key`]);
    assert.ok(t.kube.all("events").some((e) => e.reason === "Created" && e.involvedObject.name === `${BASE}-key`));
  });

  it("says running only once the pod is Ready and /ready answers through the sandbox URL", async () => {
    await t.api("POST", "/start", appStartBody(SID));
    assert.equal((await t.api("GET", `/sessions/${SID}`)).body.status, "starting");
    assert.deepEqual(agentHits, [], "no route check before the pod is Ready");
    t.kube.setPodStatus(NS, BASE, READY);
    const notYet = await t.api("GET", `/sessions/${SID}`);
    assert.equal(notYet.body.status, "starting");
    assert.equal(notYet.body.pod_status, "running");
    assert.deepEqual(agentHits, [`/${BASE}/ready`]);
    agentReady = true;
    t.clock.advance(3);
    const ready = await t.api("GET", `/sessions/${SID}`);
    assert.equal(ready.body.status, "running");
    assert.equal(ready.body.pod_status, "ready");
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.metrics.startSeconds.count, 1);
    assert.match(t.metrics.startSeconds.render(), /sandbox_runtime_start_seconds_sum 3/);
    await t.api("GET", `/sessions/${SID}`);
    assert.equal(agentHits.length, 2, "a route that answered is not probed again for the same pod");
  });

  it("returns the same sandbox and key for a repeated /start", async () => {
    const a = await t.api("POST", "/start", appStartBody(SID));
    const b = await t.api("POST", "/start", appStartBody(SID));
    assert.equal(b.body.runtime_id, a.body.runtime_id);
    assert.equal(b.body.session_api_key, a.body.session_api_key);
    assert.equal(t.kube.names("pods").length, 1);
  });

  it("accepts the SDK client's string command and runs it with bash -c", async () => {
    await t.api("POST", "/start", appStartBody(SID, { command: "/usr/local/bin/openhands-agent-server --port 60000", working_dir: "/", run_as_group: undefined, image_pull_policy: "Always" }));
    const c = t.kube.all("pods")[0].spec.containers[0];
    assert.deepEqual(c.command, ["bash", "-c", "/usr/local/bin/openhands-agent-server --port 60000"]);
    assert.equal(c.args, undefined);
    assert.equal(c.imagePullPolicy, "Always");
  });

  it("rejects a bad /start body with 400 naming the fields", async () => {
    const r = await t.api("POST", "/start", { image: "", command: 3, session_id: "" });
    assert.equal(r.status, 400);
    assert.match(r.body.detail, /body\.image: required/);
    assert.match(r.body.detail, /body\.command: 3 is not allowed; use a list of strings or one string/);
    assert.match(r.body.detail, /body\.session_id: required/);
    assert.equal((await t.api("POST", "/start", appStartBody(SID, { resource_factor: 100 }))).status, 400);
    assert.deepEqual(t.kube.names("secrets"), []);
  });

  it("refuses a session id that differs from an existing one only in case", async () => {
    await t.api("POST", "/start", appStartBody(SID));
    const r = await t.api("POST", "/start", appStartBody(SID.toLowerCase()));
    assert.equal(r.status, 409);
    assert.match(r.body.detail, /lowercased/);
  });

  it("answers 404 for an unknown session and leaves unknown ids out of a batch", async () => {
    await t.api("POST", "/start", appStartBody(SID));
    await t.api("POST", "/start", appStartBody("ZzYyXxWwVvUuTtSsRrQqPp"));
    assert.equal((await t.api("GET", "/sessions/NoSuchSessionAtAll123")).status, 404);
    const b = await t.api("GET", `/sessions/batch?ids=ZzYyXxWwVvUuTtSsRrQqPp&ids=NoSuchSessionAtAll123&ids=${SID}`);
    assert.equal(b.status, 200);
    assert.ok(Array.isArray(b.body));
    assert.deepEqual(
      b.body.map((r: { session_id: string }) => r.session_id),
      ["ZzYyXxWwVvUuTtSsRrQqPp", SID],
    );
  });

  it("pauses by deleting the pod only, lists live sandboxes only, and resumes with a new key and the same spec", async () => {
    const started = await t.api("POST", "/start", appStartBody(SID));
    await t.api("POST", "/start", appStartBody("ZzYyXxWwVvUuTtSsRrQqPp"));
    const podBefore = t.kube.all("pods").find((p) => p.metadata.name === BASE);
    const p = await t.api("POST", "/pause", { runtime_id: BASE });
    assert.equal(p.status, 200);
    assert.equal(p.body.status, "paused");
    assert.ok(!t.kube.names("pods").includes(BASE));
    assert.deepEqual(t.kube.names("persistentvolumeclaims").filter((n) => n.startsWith(BASE)), [`${BASE}-pvc`]);
    assert.ok(t.kube.names("ingresses").includes(`${BASE}-ingress-code`));
    assert.equal((await t.api("GET", `/sessions/${SID}`)).body.status, "paused");
    const list = await t.api("GET", "/list");
    assert.deepEqual(
      list.body.runtimes.map((r: { session_id: string }) => r.session_id),
      ["ZzYyXxWwVvUuTtSsRrQqPp"],
      "paused sandboxes would count against the app's cap",
    );

    const r = await t.api("POST", "/resume", { runtime_id: BASE });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, "starting");
    assert.notEqual(r.body.session_api_key, started.body.session_api_key);
    const podAfter = t.kube.all("pods").find((x) => x.metadata.name === BASE);
    assert.ok(podAfter);
    assert.equal(podAfter.metadata.annotations?.["openhands.ai/generation"], "2");
    assert.deepEqual(podAfter.spec.containers[0].env, podBefore?.spec.containers[0].env, "the same env, secrets by reference");
    assert.deepEqual(podAfter.spec.containers[0].args, podBefore?.spec.containers[0].args);
    const secret = t.kube.all("secrets").find((s) => s.metadata.name === `${BASE}-key`);
    assert.equal(Buffer.from(secret?.data["session-api-key"], "base64").toString(), r.body.session_api_key);
    assert.equal(Buffer.from(secret?.data["env.LLM_API_KEY"], "base64").toString(), "sk-test-llm");
  });

  it("stops by deleting everything, and says 404 for what it does not know", async () => {
    await t.api("POST", "/start", appStartBody(SID));
    assert.equal((await t.api("POST", "/stop", { runtime_id: BASE })).status, 200);
    for (const kind of ["pods", "services", "ingresses", "persistentvolumeclaims", "secrets"] as const) assert.deepEqual(t.kube.names(kind), [], kind);
    assert.equal((await t.api("GET", `/sessions/${SID}`)).status, 404);
    for (const op of ["/stop", "/pause", "/resume"]) assert.equal((await t.api("POST", op, { runtime_id: BASE })).status, 404, op);
    assert.equal((await t.api("POST", "/pause", { runtime_id: "kube-system" })).status, 404);
    assert.equal((await t.api("POST", "/pause", {})).status, 400);
  });

  it("loses nothing when the service restarts: a new process answers from the cluster", async () => {
    const a = await t.api("POST", "/start", appStartBody(SID));
    const fresh = new Sandboxes({ kube: t.kube, config: t.config, log: silentLogger, metrics: t.metrics, probe: async () => true });
    const got = await fresh.get(SID);
    assert.equal(got?.session_api_key, a.body.session_api_key);
    assert.equal(got?.runtime_id, BASE);
    assert.equal((await fresh.pause(BASE))?.status, "paused");
    assert.equal((await t.api("GET", `/sessions/${SID}`)).body.status, "paused");
  });

  it("makes one sandbox when two replicas get the same /start at once", async () => {
    const other = new Sandboxes({ kube: t.kube, config: t.config, log: silentLogger, metrics: t.metrics, probe: async () => true, newKey: () => "other-key" });
    const [a, b] = await Promise.all([t.sandboxes.start(appStartBody(SID)), other.start(appStartBody(SID))]);
    assert.equal(a.session_api_key, b.session_api_key);
    assert.equal(t.kube.names("secrets").length, 1);
    assert.equal(t.kube.names("pods").length, 1);
  });

  it("recreates a running sandbox's pod that disappeared", async () => {
    await t.api("POST", "/start", appStartBody(SID));
    await t.kube.delete("pods", NS, BASE);
    const r = await t.api("GET", `/sessions/${SID}`);
    assert.equal(r.body.status, "starting");
    assert.deepEqual(t.kube.names("pods"), [BASE]);
  });

  it("resumes a sandbox in error on a new /start", async () => {
    await t.api("POST", "/start", appStartBody(SID));
    const s = t.kube.all("secrets")[0];
    await t.kube.patch("secrets", NS, s.metadata.name, { metadata: { annotations: { "openhands.ai/state": "error" } } });
    await t.kube.delete("pods", NS, BASE);
    const r = await t.api("POST", "/start", appStartBody(SID));
    assert.equal(r.body.status, "starting");
    assert.equal(r.body.session_api_key, "key-2");
    assert.deepEqual(t.kube.names("pods"), [BASE]);
  });
});
