import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { api } from "./helpers/kube";
import { sandboxPodSecurity } from "../../components/openhands/isolation";
import { deleteNamespace, ensureNamespace, freePort } from "./helpers/operator";
import { buildService, deleteStandInVolumes, httpJson, openhandsInstall, PodStandIn, removeStandInWorkspace, standInWorkspaceFree, type Proc, startApp, startService, until } from "./helpers/sandbox-runtime";
import { startFakeLlm, type FakeLlm } from "./helpers/sandbox-runtime-llm";

/*
 * The sandbox runtime service end to end with the real OpenHands sandbox server (openhands-ai
 * 1.11.0, RUNTIME=remote) and the real agent-server it pins (1.34.0), against the local
 * control plane (kube-apiserver, controller-manager for garbage collection, kwok nodes).
 *
 * What is real: the app and its runtime-API client, our service (dist/main.js) and its
 * objects in the cluster, the agent server and its tools, the route check through the
 * sandbox URL. What is stood in (helpers/sandbox-runtime.ts): kwok runs no containers, so
 * each Running sandbox pod is played by a local agent-server process with the pod's env
 * (session key from the Secret) and its PVC as a host directory at /workspace, reached
 * through a proxy at the URL our service reports (http://127.0.0.1:<proxy>/<runtime_id>, the
 * app's path mode). The LLM is a scripted fake (helpers/sandbox-runtime-llm.ts). The pod
 * hardening (securityContext, seccomp, runtime class) is therefore checked as spec only.
 */

const NS = "srt-e2e";

/** The design's objects of one session, as [resource, name], for the runtime id `base`. */
const sessionObjects = (base: string): [string, string][] => [
  ["pods", base],
  ["services", `${base}-svc`],
  ["services", `${base}-svc-code`],
  ["ingresses", `${base}-ingress-code`],
  ["persistentvolumeclaims", `${base}-pvc`],
  ["secrets", `${base}-key`],
];
const API_KEY = "itest-sandbox-api-key-0123456789";
const FILE = "itest-file.txt";
const COMMAND = `echo sandbox-runtime-itest > /workspace/project/${FILE}`;

const install = openhandsInstall();
const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => fs.existsSync(p));
const workspaceFree = standInWorkspaceFree();
const skip =
  "missing" in install
    ? install.missing
    : !chromium
      ? "no Chromium on this machine: the app always enables the browser tool and the agent server answers POST /api/conversations with 500 without it (apt-get install chromium)"
      : !workspaceFree
        ? "/workspace exists as a real directory: the pod stand-in needs to mount sandbox volumes there (the app's spec uses absolute /workspace paths)"
        : false;

describe("the sandbox runtime service with the OpenHands sandbox server", { timeout: 900_000, skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "srt-e2e-"));
  let llm: FakeLlm;
  let standIn: PodStandIn;
  let service: Proc;
  let app: Proc;
  let servicePort = 0;
  let appUrl = "";
  let serviceConfig: Record<string, unknown>;
  let sandboxId = "";
  let conversationId = "";
  let base = "";
  let appSpec: Record<string, unknown> = {};
  const venv = "venv" in install ? install.venv : "";

  const runtime = (method: string, p: string, body?: unknown) => httpJson(method, `http://127.0.0.1:${servicePort}${p}`, body, { "x-api-key": API_KEY });
  const appApi = (method: string, p: string, body?: unknown) => httpJson(method, `${appUrl}/api/v1${p}`, body);
  const exists = async (kind: string, name: string) => (await api("GET", `${kind === "ingresses" ? "/apis/networking.k8s.io/v1" : "/api/v1"}/namespaces/${NS}/${kind}/${name}`)).status === 200;
  const sandboxStatus = async () => {
    const r = await appApi("GET", `/sandboxes?id=${sandboxId}`);
    return (Array.isArray(r.body) ? r.body[0] : undefined)?.status as string | undefined;
  };

  before(async () => {
    buildService();
    await deleteNamespace(NS, 120_000);
    await deleteStandInVolumes(NS);
    // Pod Security `restricted` enforced, as on the platform (components/openhands/isolation.ts):
    // the API server admits the pods our service builds from the app's real /start spec.
    await ensureNamespace(NS, sandboxPodSecurity(false).labels);
    llm = await startFakeLlm(COMMAND);
    standIn = new PodStandIn(NS, venv, dir);
    await standIn.start();
    servicePort = await freePort();
    serviceConfig = {
      namespace: NS,
      domain: "sandbox.test",
      urlTemplate: `http://127.0.0.1:${standIn.proxyPort}/{runtimeId}`,
      ingress: { className: "contour", tlsSecretName: "sandbox-tls" },
      workspace: { size: "1Gi" },
      idle: { pauseAfterSeconds: 0 },
      loopSeconds: 2,
      leaderElection: { leaseSeconds: 6, renewSeconds: 2 },
      logLevel: "debug",
    };
    service = await startService({ port: servicePort, config: serviceConfig, apiKey: API_KEY, dir, identity: "srt-a" });
    ({ proc: app, url: appUrl } = await startApp({ venv, dir, runtimeUrl: `http://127.0.0.1:${servicePort}`, apiKey: API_KEY }));
  });

  after(async () => {
    await app?.kill();
    await service?.kill();
    await standIn?.stop();
    await llm?.close();
    removeStandInWorkspace();
    await deleteNamespace(NS, 120_000).catch(() => undefined);
    await deleteStandInVolumes(NS).catch(() => undefined);
    process.stderr.write(`[sandbox-runtime.itest] logs kept in ${dir}\n`);
  });

  it("runs a conversation to READY and the agent's shell command writes the file in the workspace", async () => {
    const settings = await appApi("POST", "/settings", { agent_settings_diff: { llm: { model: "openai/itest-model", base_url: `http://127.0.0.1:${llm.port}/v1`, api_key: "sk-itest" } } });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const task = await appApi("POST", "/app-conversations", { initial_message: { content: [{ type: "text", text: `Run: ${COMMAND}` }], run: true } });
    assert.equal(task.status, 200, JSON.stringify(task.body));
    const ready = await until("the start task to reach READY", 240_000, async () => {
      const r = await appApi("GET", `/app-conversations/start-tasks?ids=${task.body.id}`);
      const t = Array.isArray(r.body) ? r.body[0] : undefined;
      if (t?.status === "ERROR") throw Object.assign(new Error(`start task ERROR: ${t.detail}`), { fatal: true });
      return t?.status === "READY" ? t : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}\n--- service log tail ---\n${fs.readFileSync(service.logFile, "utf8").slice(-3000)}\n--- app log tail ---\n${fs.readFileSync(app.logFile, "utf8").slice(-3000)}`);
    });
    sandboxId = ready.sandbox_id;
    conversationId = ready.app_conversation_id;
    const conv = await until("the conversation to finish", 180_000, async () => {
      const r = await appApi("GET", `/app-conversations?ids=${conversationId}`);
      const c = Array.isArray(r.body) ? r.body[0] : undefined;
      return c?.execution_status === "finished" ? c : undefined;
    });
    assert.equal(conv.sandbox_status, "RUNNING");
    const rt = await runtime("GET", `/sessions/${sandboxId}`);
    base = rt.body.runtime_id;
    assert.equal(base, `openhands-runtime-${sandboxId.toLowerCase()}`);
    assert.ok(conv.conversation_url.startsWith(rt.body.url), `${conv.conversation_url} is under ${rt.body.url}`);
    const file = path.join(standIn.volumeDir(`${base}-pvc`), "project", FILE);
    assert.equal(fs.readFileSync(file, "utf8"), "sandbox-runtime-itest\n");
    assert.ok(llm.requests.length >= 2, `the agent called the LLM for the tool call and the finish (${llm.requests.length} calls)`);
    process.stderr.write(`[sandbox-runtime.itest] LLM calls: ${llm.requests.map((r) => (r.stream ? "stream" : "plain")).join(", ")}\n`);
    assert.ok(llm.requests.some((r) => (r.tools ?? []).some((t: any) => t.function?.name === "terminal")), "the terminal tool was offered");
  });

  it("made the design's objects for the session, keyed and owned by the Secret", async () => {
    for (const [kind, name] of sessionObjects(base))
      assert.ok(await exists(kind, name), `${kind}/${name}`);
    const pod = (await api("GET", `/api/v1/namespaces/${NS}/pods/${base}`)).body;
    const secret = (await api("GET", `/api/v1/namespaces/${NS}/secrets/${base}-key`)).body;
    assert.equal(pod.metadata.ownerReferences[0].uid, secret.metadata.uid);
    // The app's /start spec as stored (secret env values from the Secret): the warm-pool test's template.
    const stored = JSON.parse(secret.metadata.annotations["openhands.ai/request"]);
    const environment = { ...stored.environment };
    for (const k of stored.secret_env) environment[k] = Buffer.from(secret.data[`env.${k}`], "base64").toString();
    delete stored.secret_env;
    appSpec = { ...stored, environment };
    assert.equal(pod.metadata.labels["openhands.ai/session-id"], sandboxId.toLowerCase());
    const env = pod.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: any }>;
    assert.deepEqual(env.find((e) => e.name === "OH_SESSION_API_KEYS_0")?.valueFrom, { secretKeyRef: { name: `${base}-key`, key: "session-api-key" } });
    assert.ok(!env.some((e) => e.value === Buffer.from(secret.data["session-api-key"], "base64").toString()), "no key in plain env");
    assert.deepEqual(pod.spec.containers[0].args, ["/usr/local/bin/openhands-agent-server", "--port", "60000"], "the app's list command kept the ENTRYPOINT");
    assert.equal(pod.spec.securityContext.runAsUser, 10001);
    const events = (await api("GET", `/api/v1/namespaces/${NS}/events`)).body.items ?? [];
    assert.ok(events.some((e: any) => e.reason === "Created" && e.involvedObject.name === `${base}-key`));
  });

  it("loses nothing when the service is killed mid-session", async () => {
    const before = await runtime("GET", `/sessions/${sandboxId}`);
    assert.equal(before.body.status, "running");
    assert.equal(await service.kill("SIGKILL"), null);
    service = await startService({ port: servicePort, config: serviceConfig, apiKey: API_KEY, dir, identity: "srt-b" });
    const afterKill = await runtime("GET", `/sessions/${sandboxId}`);
    assert.equal(afterKill.body.status, "running");
    assert.equal(afterKill.body.session_api_key, before.body.session_api_key);
    assert.equal(await sandboxStatus(), "RUNNING");
    const list = await runtime("GET", "/list");
    assert.deepEqual(
      list.body.runtimes.map((r: any) => r.session_id),
      [sandboxId],
    );
  });

  it("pauses through the app: the pod goes, the workspace stays", async () => {
    const r = await appApi("POST", `/sandboxes/${sandboxId}/pause`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await until("the pod to be deleted", 60_000, async () => ((await exists("pods", base)) ? undefined : true));
    assert.ok(await exists("persistentvolumeclaims", `${base}-pvc`));
    assert.ok(await exists("secrets", `${base}-key`));
    assert.equal(await sandboxStatus(), "PAUSED");
    assert.deepEqual((await runtime("GET", "/list")).body.runtimes, [], "paused sandboxes are not live");
    await until("the stand-in process to stop", 30_000, async () => (standIn.running.has(base) ? undefined : true));
  });

  it("resumes through the app with a new key, and the workspace comes back", async () => {
    const oldKey = (await runtime("GET", `/sessions/${sandboxId}`)).body.session_api_key;
    const r = await appApi("POST", `/sandboxes/${sandboxId}/resume`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await until("the sandbox to be RUNNING again", 120_000, async () => ((await sandboxStatus()) === "RUNNING" ? true : undefined));
    const rt = await runtime("GET", `/sessions/${sandboxId}`);
    assert.notEqual(rt.body.session_api_key, oldKey);
    const headers = { "x-session-api-key": rt.body.session_api_key };
    const file = await httpJson("GET", `${rt.body.url}/api/file/download?path=${encodeURIComponent(`/workspace/project/${FILE}`)}`, undefined, headers);
    assert.equal(file.status, 200, JSON.stringify(file.body));
    assert.equal(file.body, "sandbox-runtime-itest\n");
    const stale = await httpJson("GET", `${rt.body.url}/api/conversations/search`, undefined, { "x-session-api-key": oldKey });
    assert.equal(stale.status, 401, "the old key no longer opens the sandbox");
    const conv = await httpJson("GET", `${rt.body.url}/api/conversations/${conversationId.replace(/-/g, "")}`, undefined, headers);
    assert.equal(conv.status, 200, `the conversation came back from the workspace: ${JSON.stringify(conv.body).slice(0, 300)}`);
  });

  it("stops through the app: every object of the sandbox goes", async () => {
    const r = await appApi("DELETE", `/sandboxes/${sandboxId}?sandbox_id=${sandboxId}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await until("every sandbox object to be garbage-collected", 90_000, async () => {
      for (const [kind, name] of sessionObjects(base))
        if (await exists(kind, name)) return undefined;
      return true;
    });
    assert.equal((await runtime("GET", `/sessions/${sandboxId}`)).status, 404);
  });

  it("hands a warm sandbox started with the app's spec to the next conversation", async () => {
    await service.kill();
    service = await startService({ port: servicePort, config: { ...serviceConfig, warmPools: [{ name: "app", size: 1, template: appSpec }] }, apiKey: API_KEY, dir, identity: "srt-c" });
    const warmBase = await until("a warm sandbox whose agent server answers /ready", 120_000, async () => {
      const anchors = (await api("GET", `/api/v1/namespaces/${NS}/secrets?labelSelector=${encodeURIComponent("openhands.ai/role=warm")}`)).body.items ?? [];
      for (const a of anchors) {
        const b = a.metadata.name.replace(/-key$/, "");
        if ((await fetch(`http://127.0.0.1:${standIn.proxyPort}/${b}/ready`).catch(() => undefined))?.status === 200) return b;
      }
      return undefined;
    });
    const task = await appApi("POST", "/app-conversations", { initial_message: { content: [{ type: "text", text: `Run: ${COMMAND}` }], run: true } });
    const ready = await until("the second start task to reach READY", 240_000, async () => {
      const r = await appApi("GET", `/app-conversations/start-tasks?ids=${task.body.id}`);
      const t = Array.isArray(r.body) ? r.body[0] : undefined;
      if (t?.status === "ERROR") throw new Error(`start task ERROR: ${t.detail}`);
      return t?.status === "READY" ? t : undefined;
    });
    const rt = await runtime("GET", `/sessions/${ready.sandbox_id}`);
    assert.equal(rt.body.runtime_id, warmBase, "the app's /start was served by the warm sandbox");
    assert.ok(await exists("ingresses", `openhands-runtime-${ready.sandbox_id.toLowerCase()}-ingress-code`));
    await until("the second conversation to finish", 180_000, async () => {
      const r = await appApi("GET", `/app-conversations?ids=${ready.app_conversation_id}`);
      return (Array.isArray(r.body) ? r.body[0] : undefined)?.execution_status === "finished" ? true : undefined;
    });
    assert.equal(fs.readFileSync(path.join(standIn.volumeDir(`${warmBase}-pvc`), "project", FILE), "utf8"), "sandbox-runtime-itest\n");
    const m = await fetch(`http://127.0.0.1:${servicePort}/metrics`).then((r) => r.text());
    assert.match(m, /sandbox_runtime_warm_adoptions_total\{pool="app"\} 1/);
    await appApi("DELETE", `/sandboxes/${ready.sandbox_id}?sandbox_id=${ready.sandbox_id}`);
  });

  it("exports the start latency and state metrics", async () => {
    const m = await fetch(`http://127.0.0.1:${servicePort}/metrics`).then((r) => r.text());
    assert.match(m, /sandbox_runtime_start_seconds_count [1-9]/);
    assert.match(m, /sandbox_runtime_sandboxes\{state="running"\} \d/);
  });
});
