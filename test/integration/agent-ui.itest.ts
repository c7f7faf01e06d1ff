import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { INGRESS_CLASS } from "../../components/ingress/values";
import { resolveSandbox } from "../../components/openhands/settings";
import { gatewayContainer, runtimeConfig } from "../../components/openhands/workloads";
import { LOCAL_PATH_CLASS } from "../../components/storage/values";
import { platformSchema } from "../../config/schema";
import { buildGateway, canvasInstalled, chromiumPath, CHROMIUM_FLAGS, gatewayRequests, loadPlaywright, sandboxDomainFlags, startGateway } from "./helpers/agent-ui";
import { deleteNamespace, ensureNamespace, freePort } from "./helpers/operator";
import { buildService, deleteStandInVolumes, httpJson, openhandsInstall, PodStandIn, removeStandInWorkspace, standInWorkspaceFree, type Proc, startApp, startService, until } from "./helpers/sandbox-runtime";
import { startFakeLlm, type FakeLlm } from "./helpers/sandbox-runtime-llm";
import { ForwardProxy, IngressStandIn, type NetRecord, opensslAvailable, proxyEnv, selfSignedCert, serviceResolver } from "./helpers/sandbox-network";

/*
 * Agent Canvas (the pinned @openhands/agent-canvas build) served by our agent gateway, in
 * headless Chromium, against the real OpenHands sandbox server (openhands-ai 1.11.0,
 * RUNTIME=remote), our sandbox runtime service on the local control plane, and the agent
 * server played by a local process per sandbox pod (helpers/sandbox-runtime.ts). The LLM is
 * the scripted fake: a terminal call, then `finish` with "The file is created.".
 *
 * The sandbox URLs are the platform's (agent-gateway/README.md, "Sandbox URLs"): the runtime
 * runs with the config.json `runtimeConfig()` renders (components/openhands/workloads.ts), so
 * it reports each sandbox at `http://openhands-runtime-<s>-svc.<ns>.svc.cluster.local:60000`;
 * the gateway runs with the GATEWAY_SANDBOX_* env `gatewayContainer()` renders, so browsers
 * get `https://<s>.sandboxes.test`. The cluster network is played on loopback
 * (helpers/sandbox-network.ts): the app, the runtime (its /ready probe) and the gateway (its
 * cloud-proxy) dial the in-cluster names through their own HTTP_PROXY, a forward proxy that
 * resolves the Service to the pod's stand-in process; Chromium maps `*.sandboxes.test` to a
 * TLS Ingress stand-in that routes by Host through the Ingress the runtime created.
 *
 * Each step is its own test so the report says which one fails; a step whose precondition
 * failed is skipped naming that step. The screenshot lands in
 * $TMPDIR/agent-ui-artifacts/ (outside the repo) and its path is printed.
 */

const NS = "agent-ui-e2e";
const API_KEY = "itest-sandbox-api-key-0123456789";
const TOKEN = "itest-gateway-token-0123456789abcdef";
const FILE = "agent-ui-itest.txt";
const COMMAND = `echo agent-ui-itest > /workspace/project/${FILE}`;
const REPLY = "The file is created.";
const ARTIFACTS = path.join(process.env.TMPDIR ?? os.tmpdir(), "agent-ui-artifacts");
/** The test's sandbox domain (`platform:openhands.sandbox.domain`) and platform domain. */
const SANDBOX_DOMAIN = "sandboxes.test";
const PLATFORM_DOMAIN = "agent-ui.test";
const IN_CLUSTER = "svc.cluster.local";
const IN_CLUSTER_HOST = /[a-z0-9.-]*\.svc\.cluster\.local(?::\d+)?/g;

/** The platform's dev defaults for OpenHands, with the test's sandbox namespace and domain. */
const settings = platformSchema.shape.openhands.parse({ enabled: true });
const sandbox = resolveSandbox({ ...settings.sandbox, namespace: NS, domain: SANDBOX_DOMAIN }, { domain: PLATFORM_DOMAIN, ingressClass: INGRESS_CLASS.contour, defaultStorageClass: LOCAL_PATH_CLASS });

/**
 * The runtime's config.json as the platform renders it (platform.ts), `webUrl` being the
 * gateway's origin (the page's), with only what a local run needs changed: a fast loop, no
 * lease, no idle pause, debug logs, and the sandboxes' webhook at the local app.
 */
function testRuntimeConfig(webUrl: string, appUrl: string): { config: Record<string, unknown>; rendered: Record<string, unknown> } {
  const rendered = runtimeConfig({ sandbox, runtime: settings.runtime, webUrl, ingressAnnotations: sandbox.ingressClass === INGRESS_CLASS.contour ? { "projectcontour.io/websocket-routes": "/" } : {} });
  const config = {
    ...rendered,
    loopSeconds: 2,
    leaderElection: { enabled: false },
    idle: { pauseAfterSeconds: 0 },
    logLevel: "debug",
    environment: { ...(rendered.environment as Record<string, string>), OH_WEBHOOKS_0_BASE_URL: `${appUrl}/api/v1/webhooks` },
  };
  return { config, rendered };
}

/** The gateway's sandbox env as `gatewayContainer()` renders it. */
function gatewaySandboxEnv(): Record<string, string> {
  const c = gatewayContainer({ image: "agent-gateway:itest", domain: PLATFORM_DOMAIN, sandbox, gateway: settings.gateway, llm: { model: "itest-model", endpoint: "http://127.0.0.1:1/v1" } });
  const env = Object.fromEntries((c.env as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value ?? ""]));
  return { GATEWAY_SANDBOX_DOMAIN: env.GATEWAY_SANDBOX_DOMAIN, GATEWAY_SANDBOX_NAMESPACE: env.GATEWAY_SANDBOX_NAMESPACE };
}

const showRecords = (rs: NetRecord[]) => rs.map((r) => `${r.kind} ${r.method} ${r.host}:${r.port}${r.path} -> ${r.status}${r.refused ? ` (${r.refused})` : ""}`).join("\n    ");

const install = openhandsInstall();
const playwright = loadPlaywright();
const chromium = chromiumPath();
const workspaceFree = standInWorkspaceFree();
const skip =
  "missing" in install
    ? install.missing
    : "missing" in playwright
      ? playwright.missing
      : !canvasInstalled()
        ? "the Canvas build is not installed (npm ci --prefix agent-gateway)"
        : !chromium
          ? "no Chromium at /usr/bin/chromium (test/integration/tools/chromium.sh)"
          : !workspaceFree
            ? "/workspace exists as a real directory: the pod stand-in needs to mount sandbox volumes there"
            : !opensslAvailable()
              ? "no openssl: the Ingress stand-in needs a self-signed *.sandboxes.test certificate"
              : false;

describe("Agent Canvas through the agent gateway with the OpenHands sandbox server", { timeout: 900_000, skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-ui-e2e-"));
  let llm: FakeLlm;
  let standIn: PodStandIn;
  let service: Proc;
  let app: Proc;
  let gateway: { proc: Proc; url: string };
  let appUrl = "";
  let browser: any;
  let page: any;
  const venv = "venv" in install ? install.venv : "";
  const sockets: Array<{ url: string; received: number; sent: number; closed: boolean; error?: string; inCluster: string[] }> = [];
  const consoleLines: string[] = [];
  /** Every JSON answer the browser received: its URL, and what it said about sandbox hosts. */
  const answers: Array<{ url: string; status: number; inCluster: string[]; sandboxHosts: string[] }> = [];
  const reading: Array<Promise<void>> = [];
  /** JSON answers whose body could not be read (reported; a gateway /api answer among them fails the check). */
  const unread: Array<{ url: string; status: number; error: string }> = [];
  let servicePort = 0;
  let appProxy: ForwardProxy;
  let serviceProxy: ForwardProxy;
  let gatewayProxy: ForwardProxy;
  let ingress: IngressStandIn;
  let tls: { key: Buffer; cert: Buffer };
  /** The session part `<s>` of the conversation's sandbox, and its names. */
  let part = "";
  const runtimeId = () => `openhands-runtime-${part}`;
  const inClusterHost = () => `${runtimeId()}-svc.${NS}.svc.cluster.local`;
  const publicHost = () => `${part}.${SANDBOX_DOMAIN}`;
  const failed = new Map<string, string>();
  let taskId = "";
  let conversationId = "";

  const appApi = (method: string, p: string, body?: unknown) => httpJson(method, `${appUrl}/api/v1${p}`, body);
  /** Skips `t` when a step it needs did not pass. */
  const needs = (t: TestContext, ...steps: string[]): boolean => {
    const f = steps.find((s) => failed.has(s));
    if (f) t.skip(`step "${f}" did not pass: ${failed.get(f)}`);
    return !f;
  };
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (e) {
      failed.set(name, (e as Error).message.split("\n")[0]);
      await shoot(`failed-${name.replace(/\W+/g, "-")}`);
      throw e;
    }
  };
  const shoot = async (name: string): Promise<string | undefined> => {
    if (!page) return undefined;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `${name}-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    process.stderr.write(`[agent-ui.itest] screenshot: ${file}\n`);
    return file;
  };
  const requests = () => gatewayRequests(gateway.proc.logFile);

  before(async () => {
    const t0 = Date.now();
    buildService();
    buildGateway();
    await deleteNamespace(NS, 120_000);
    await deleteStandInVolumes(NS);
    await ensureNamespace(NS);
    llm = await startFakeLlm(COMMAND);
    standIn = new PodStandIn(NS, venv, dir);
    await standIn.start();
    // The cluster network: one forward proxy per client process (so each record says who
    // dialled), and the Ingress for browsers.
    const resolve = serviceResolver(NS, (pod) => standIn.portOf(pod));
    appProxy = new ForwardProxy("app", resolve, path.join(dir, "proxy-app.log"));
    serviceProxy = new ForwardProxy("runtime", resolve, path.join(dir, "proxy-runtime.log"));
    gatewayProxy = new ForwardProxy("gateway", resolve, path.join(dir, "proxy-gateway.log"));
    tls = selfSignedCert(path.join(dir, "tls"), SANDBOX_DOMAIN);
    ingress = new IngressStandIn(NS, resolve, tls, path.join(dir, "ingress.log"));
    await Promise.all([appProxy.start(), serviceProxy.start(), gatewayProxy.start(), ingress.start()]);
    // Ports chosen ahead: the runtime config names the app (webhooks) and the gateway (the
    // origin sandboxes allow), the app names the runtime.
    servicePort = await freePort();
    const appPort = await freePort();
    const gatewayPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    const { config, rendered } = testRuntimeConfig(`http://127.0.0.1:${gatewayPort}`, appUrl);
    assert.equal(rendered.urlTemplate, "http://{runtimeId}-svc.{namespace}.svc.cluster.local:60000", "the platform reports sandboxes at their in-cluster Service");
    assert.deepEqual(rendered.probe, { via: "service" });
    const changed = Object.keys(config).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(rendered[k]));
    process.stderr.write(`[agent-ui.itest] runtime config: runtimeConfig() with ${changed.map((k) => `${k}=${JSON.stringify(config[k])}`).join(", ")}\n`);
    service = await startService({ port: servicePort, config, apiKey: API_KEY, dir, identity: "agent-ui", env: proxyEnv(serviceProxy.url, { node: true }) });
    ({ proc: app } = await startApp({ venv, dir, runtimeUrl: `http://127.0.0.1:${servicePort}`, apiKey: API_KEY, port: appPort, env: proxyEnv(appProxy.url) }));
    // The LLM is per-user settings on the app; Canvas would store the same through its
    // settings page (POST /api/v1/settings), which is not what this test is about.
    const stored = await appApi("POST", "/settings", { agent_settings_diff: { llm: { model: "openai/itest-model", base_url: `http://127.0.0.1:${llm.port}/v1`, api_key: "sk-itest" } } });
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    const gatewayEnv = gatewaySandboxEnv();
    assert.deepEqual(gatewayEnv, { GATEWAY_SANDBOX_DOMAIN: SANDBOX_DOMAIN, GATEWAY_SANDBOX_NAMESPACE: NS });
    gateway = await startGateway({ dir, appUrl, token: TOKEN, port: gatewayPort, env: { ...gatewayEnv, ...proxyEnv(gatewayProxy.url, { node: true }) } });
    const pw = playwright as { chromium: any };
    // A fresh profile per run (playwright takes --user-data-dir as this argument).
    browser = await pw.chromium.launchPersistentContext(fs.mkdtempSync(path.join(dir, "chromium-")), {
      executablePath: chromium,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...sandboxDomainFlags(SANDBOX_DOMAIN, ingress.port)],
      ignoreHTTPSErrors: true,
      viewport: { width: 1440, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("console", (m: any) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e: Error) => consoleLines.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r: any) => consoleLines.push(`requestfailed: ${r.method()} ${r.url().replace(/session_api_key=[^&]+/, "session_api_key=***")} ${r.failure()?.errorText}`));
    page.on("response", (r: any) => {
      if (!/json/i.test(r.headers()["content-type"] ?? "")) return;
      const url = r.url().replace(/session_api_key=[^&]+/, "session_api_key=***");
      // A body Chromium never hands over (an evicted or unfinished one) must not stall the run.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no body within 15 s")), 15_000)));
      reading.push(
        Promise.race([r.text() as Promise<string>, late])
          .then(
            (body) => void answers.push({ url, status: r.status(), inCluster: [...new Set(body.match(IN_CLUSTER_HOST) ?? [])], sandboxHosts: [...new Set(body.match(/https:\/\/[a-z0-9-]+\.sandboxes\.test/g) ?? [])] }),
            (e: Error) => void unread.push({ url, status: r.status(), error: e.message.split("\n")[0] }),
          )
          .finally(() => clearTimeout(timer)),
      );
    });
    page.on("websocket", (ws: any) => {
      const s: (typeof sockets)[number] = { url: String(ws.url()).replace(/session_api_key=[^&]+/, "session_api_key=***"), received: 0, sent: 0, closed: false, inCluster: [] };
      sockets.push(s);
      ws.on("framereceived", (f: { payload: string | Buffer }) => {
        s.received++;
        for (const h of String(f.payload).match(IN_CLUSTER_HOST) ?? []) if (!s.inCluster.includes(h)) s.inCluster.push(h);
      });
      ws.on("framesent", () => s.sent++);
      ws.on("close", () => (s.closed = true));
      ws.on("socketerror", (e: string) => (s.error = e));
    });
    process.stderr.write(`[agent-ui.itest] set up in ${Date.now() - t0} ms: app ${appUrl}, runtime :${servicePort}, gateway ${gateway.url}, ingress 127.0.0.1:${ingress.port}, proxies app :${appProxy.port} runtime :${serviceProxy.port} gateway :${gatewayProxy.port}\n`);
  });

  after(async () => {
    fs.writeFileSync(path.join(dir, "browser-console.log"), consoleLines.join("\n"));
    fs.writeFileSync(path.join(dir, "websockets.json"), JSON.stringify(sockets, null, 2));
    fs.writeFileSync(path.join(dir, "browser-json.json"), JSON.stringify({ answers, unread }, null, 2));
    await browser?.close().catch(() => undefined);
    await gateway?.proc.kill();
    if (conversationId) await appApi("GET", `/app-conversations?ids=${conversationId}`).catch(() => undefined);
    await app?.kill();
    await service?.kill();
    await standIn?.stop();
    await Promise.all([appProxy?.close(), serviceProxy?.close(), gatewayProxy?.close(), ingress?.close()]);
    await llm?.close();
    removeStandInWorkspace();
    await deleteNamespace(NS, 120_000).catch(() => undefined);
    await deleteStandInVolumes(NS).catch(() => undefined);
    process.stderr.write(`[agent-ui.itest] logs kept in ${dir} (gateway.log, app.log, proxy-*.log, ingress.log, browser-console.log, browser-json.json, websockets.json)\n`);
  });

  it("sends a browser without a session to the login page, and the token logs it in", async () => {
    await step("login", async () => {
      await page.goto(`${gateway.url}/`, { waitUntil: "domcontentloaded" });
      assert.match(page.url(), /\/auth\/login\?next=%2F$/);
      await page.fill("#token", "not-the-token-0123456789");
      await page.click("button[type=submit]");
      await page.waitForSelector("text=That token is not valid.");
      await page.fill("#token", TOKEN);
      await Promise.all([page.waitForURL(`${gateway.url}/`), page.click("button[type=submit]")]);
      const cookies = await page.context().cookies();
      const session = cookies.find((c: any) => c.name === "agent_gateway_session");
      assert.ok(session?.httpOnly, "an HttpOnly session cookie");
    });
  });

  it("serves Canvas with the gateway pre-registered as its only backend (cloud kind, cookie auth)", async (t) => {
    if (!needs(t, "login")) return;
    await step("backend", async () => {
      await page.waitForSelector('[data-testid="chat-input"]', { timeout: 60_000 });
      const backends = JSON.parse((await page.evaluate(() => localStorage.getItem("openhands-backends"))) ?? "null");
      assert.deepEqual(backends, [{ id: "locked-cloud", name: "OpenHands Cloud", host: gateway.url, apiKey: "", kind: "cloud", authMode: "cookie" }]);
      await until("Canvas's backend probe (GET /api/organizations) to pass", 30_000, async () => (requests().some((r) => r.path === "/api/organizations" && r.status === 200) ? true : undefined));
      const refused = requests().filter((r) => r.path.startsWith("/api/") && r.status === 401);
      assert.deepEqual(refused, [], "no API call was refused after login");
    });
  });

  it("starts a conversation from the chat box, and the sandbox server brings it to READY", async (t) => {
    if (!needs(t, "login", "backend")) return;
    await step("start", async () => {
      const input = page.locator('[data-testid="chat-input"]');
      await input.click();
      await page.keyboard.type(`Run: ${COMMAND}`);
      const response = page.waitForResponse((r: any) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/v1/app-conversations", { timeout: 30_000 });
      await page.keyboard.press("Enter");
      const started = await response;
      assert.equal(started.status(), 200, `the sandbox server accepted the start request: ${await started.text()}`);
      taskId = (await started.json()).id;
      assert.ok(taskId, "a start task id");
      const ready = await until("the start task to reach READY", 240_000, async () => {
        const r = await appApi("GET", `/app-conversations/start-tasks?ids=${taskId}`);
        const task = Array.isArray(r.body) ? r.body[0] : undefined;
        if (task?.status === "ERROR") throw new Error(`start task ERROR: ${task.detail}`);
        return task?.status === "READY" ? task : undefined;
      });
      conversationId = ready.app_conversation_id;
      await until("the agent to finish", 180_000, async () => {
        const r = await appApi("GET", `/app-conversations?ids=${conversationId}`);
        return (Array.isArray(r.body) ? r.body[0] : undefined)?.execution_status === "finished" ? true : undefined;
      });
    });
  });

  it("opens the conversation view and shows the agent's reply", async (t) => {
    if (!needs(t, "start")) return;
    await step("reply", async () => {
      await page.waitForURL(/\/conversations\//, { timeout: 60_000 });
      await page.waitForSelector(`text=${REPLY}`, { timeout: 120_000 });
      const file = await shoot("agent-ui-reply");
      assert.ok(file && fs.existsSync(file));
    });
  });

  it("reports the sandbox at its in-cluster Service, which the app and the runtime reach through the cluster network", async (t) => {
    if (!needs(t, "start")) return;
    await step("in-cluster", async () => {
      const conv = (await appApi("GET", `/app-conversations?ids=${conversationId}`)).body[0];
      const runtime = await httpJson("GET", `http://127.0.0.1:${servicePort}/sessions/${encodeURIComponent(conv.sandbox_id)}`, undefined, { "X-API-Key": API_KEY });
      assert.equal(runtime.status, 200, JSON.stringify(runtime.body));
      part = String(runtime.body.runtime_id).replace(/^openhands-runtime-/, "");
      assert.equal(part, String(conv.sandbox_id).toLowerCase(), "the runtime id is openhands-runtime-<session id, lowercased>");
      const url = `http://${inClusterHost()}:60000`;
      assert.equal(runtime.body.url, url, "the runtime reports the sandbox at its in-cluster Service");
      assert.ok(String(conv.conversation_url).startsWith(`${url}/api/conversations/`), `the app's conversation_url is on that Service (${conv.conversation_url})`);
      // The app (httpx, trust_env) dialled that host name through its HTTP_PROXY.
      const byApp = appProxy.records.filter((r) => r.host === inClusterHost());
      assert.ok(
        byApp.some((r) => r.kind === "http" && r.method === "POST" && r.port === 60000 && r.path === "/api/conversations" && r.status >= 200 && r.status < 300),
        `the app started the conversation on ${inClusterHost()}:60000 through the proxy:\n    ${showRecords(appProxy.records)}`,
      );
      assert.deepEqual(byApp.filter((r) => r.refused), [], "no call of the app to the sandbox was refused");
      assert.ok(byApp.every((r) => /python-httpx/.test(r.userAgent ?? "")), "the app's calls were made by httpx");
      const otherHosts = [...new Set(appProxy.records.filter((r) => r.host !== inClusterHost()).map((r) => `${r.host}:${r.port}`))];
      // The runtime (probe.via "service") checked /ready on the Service's short name.
      const probes = serviceProxy.records.filter((r) => r.host === `${runtimeId()}-svc.${NS}.svc` && r.path === "/ready");
      assert.ok(probes.some((r) => r.status === 200), `the runtime's /ready check reached the sandbox:\n    ${showRecords(serviceProxy.records)}`);
      process.stderr.write(
        `[agent-ui.itest] runtime url: ${runtime.body.url}\n[agent-ui.itest] app conversation_url: ${String(conv.conversation_url).replace(/[0-9a-f]{32}/, "{hex}")}\n` +
          `[agent-ui.itest] app -> proxy: ${byApp.length} calls to ${inClusterHost()}:60000 (${[...new Set(byApp.map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{32}/, "{hex}").replace(/\?.*/, "")}`))].join(", ")})${otherHosts.length ? `; other hosts: ${otherHosts.join(", ")}` : ""}\n` +
          `[agent-ui.itest] runtime -> proxy: ${probes.length} /ready checks on ${runtimeId()}-svc.${NS}.svc:60000 (${probes.map((r) => r.status).join(" ")})\n`,
      );
    });
  });

  it("streams the conversation over the browser's WebSocket to the sandbox's public host, through its Ingress", async (t) => {
    if (!needs(t, "start", "in-cluster")) return;
    await step("websocket", async () => {
      const ws = await until("a WebSocket to /sockets/events/ that received frames", 60_000, async () => sockets.find((s) => s.url.includes("/sockets/events/") && s.received > 0));
      assert.ok(ws.url.startsWith(`wss://${publicHost()}/sockets/events/`), `the socket goes to the sandbox's public URL (${ws.url})`);
      assert.ok(!ws.url.includes(IN_CLUSTER));
      const upgrades = ingress.records.filter((r) => r.kind === "upgrade" && r.host === publicHost() && r.path.startsWith("/sockets/events/"));
      const up = upgrades.find((r) => r.status === 101);
      assert.ok(up, `the Ingress stand-in switched the socket to the sandbox:\n    ${showRecords(ingress.records)}`);
      assert.equal(up.via, `Ingress ${runtimeId()}-ingress-code -> Service ${runtimeId()}-svc -> pod ${runtimeId()}`, "routed by the Ingress the runtime created");
      // The certificate the Ingress serves names the host (as the wildcard Secret would).
      const alive = await new Promise<number>((resolve, reject) => {
        const req = https.get({ host: "127.0.0.1", port: ingress.port, path: "/alive", servername: publicHost(), headers: { host: publicHost() }, ca: tls.cert, timeout: 10_000 }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on("error", reject);
      });
      assert.equal(alive, 200, `GET https://${publicHost()}/alive through the Ingress stand-in`);
      const byBrowser = [...new Set(ingress.records.filter((r) => r.userAgent?.includes("Chrome")).map((r) => `${r.kind === "upgrade" ? "WS" : r.method} ${r.path.replace(/[0-9a-f]{32}/, "{hex}").replace(/\?.*/, "")} -> ${r.status}`))];
      process.stderr.write(`[agent-ui.itest] browser WebSocket: ${ws.url} (${ws.received} frames in, ${ws.sent} out) via ${up.via}\n[agent-ui.itest] browser -> https://${publicHost()}: ${byBrowser.join(", ")}\n`);
    });
  });

  it("relays runtime REST calls through /api/cloud-proxy to the sandbox's in-cluster Service", async (t) => {
    if (!needs(t, "start", "in-cluster")) return;
    await step("cloud-proxy", async () => {
      const byCanvas = requests().filter((r) => r.path === "/api/cloud-proxy");
      assert.deepEqual(
        byCanvas.filter((c) => c.status >= 400),
        [],
        `every cloud-proxy call Canvas made succeeded: ${JSON.stringify(byCanvas)}`,
      );
      // Canvas sends events/count and confirmations through the proxy only in flows this run
      // does not reach (reconnects, confirmation mode), so the page sends the same envelope
      // its cloud client builds (typescript-client CloudClient.requestThroughProxy), with the
      // host it got from the gateway.
      const conv = (await page.evaluate(async (id: string) => (await fetch(`/api/v1/app-conversations?ids=${id}`)).json(), conversationId))[0];
      const host = String(conv.conversation_url).split("/api/conversations")[0];
      assert.equal(host, `https://${publicHost()}`, "the gateway hands the browser the sandbox's public URL");
      const hex = conversationId.replace(/-/g, "");
      const answer = await page.evaluate(
        async ([h, p, key]: string[]) => {
          const r = await fetch("/api/cloud-proxy", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ host: h, method: "GET", path: p, headers: { "X-Session-API-Key": key }, body: null }) });
          return { status: r.status, body: await r.text() };
        },
        [host, `/api/conversations/${hex}/events/count`, conv.session_api_key],
      );
      assert.equal(answer.status, 200, answer.body);
      assert.ok(Number(answer.body) >= 4, `the sandbox counted the conversation's events (${answer.body})`);
      // The gateway (Node, NODE_USE_ENV_PROXY=1) dialled the in-cluster Service for it.
      const relayed = gatewayProxy.records.filter((r) => r.host === inClusterHost() && r.port === 60000 && r.path === `/api/conversations/${hex}/events/count`);
      assert.ok(
        relayed.some((r) => r.status === 200),
        `the gateway relayed https://${publicHost()} to http://${inClusterHost()}:60000 through its proxy:\n    ${showRecords(gatewayProxy.records)}`,
      );
      // (The page reads the refusal too: Chromium never finishes a body the page leaves unread.)
      const outside = await page.evaluate(async () => {
        const r = await fetch("/api/cloud-proxy", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ host: "http://169.254.169.254", method: "GET", path: "/api/x" }) });
        return { status: r.status, body: await r.text() };
      });
      assert.equal(outside.status, 403, `a host outside the sandbox domain is refused: ${outside.body}`);
      process.stderr.write(
        `[agent-ui.itest] cloud-proxy: ${host} -> ${relayed.map((r) => `${r.kind} ${r.method} http://${r.host}:${r.port}${r.path.replace(hex, "{hex}")} -> ${r.status}`).join(", ")}; calls made by Canvas itself: ${byCanvas.length}\n`,
      );
    });
  });

  it("never shows the browser an in-cluster host: every JSON answer names sandboxes by their public URL", async (t) => {
    if (!needs(t, "start", "in-cluster")) return;
    await step("public-urls", async () => {
      await Promise.all(reading);
      const leaks = answers.filter((a) => a.inCluster.length > 0);
      assert.deepEqual(leaks, [], `JSON answers with ${IN_CLUSTER} hosts`);
      const unchecked = unread.filter((u) => u.url.startsWith(`${gateway.url}/api/`) && u.status !== 204);
      assert.deepEqual(unchecked, [], "every JSON answer of the gateway's API could be read");
      const naming = answers.filter((a) => a.sandboxHosts.includes(`https://${publicHost()}`));
      assert.ok(naming.length > 0, "some answer named the sandbox at its public URL");
      const strays = [...new Set(answers.flatMap((a) => a.sandboxHosts))].filter((h) => !h.endsWith(publicHost()));
      // The event stream goes browser -> sandbox directly, and the gateway rewrites none of it.
      // In it, the agent's context (the app's system prompt: "The user has access to the
      // following hosts ...", live_status_app_conversation_service.py) lists the worker URLs
      // the app derived from the in-cluster sandbox URL, `http://work-N-<runtime>-svc.<ns>.svc.cluster.local:60000`.
      // That is a known gap of the platform (neither the browser nor the user can open them),
      // reported here; any other in-cluster host in a frame fails.
      const inFrames = [...new Set(sockets.flatMap((s) => s.inCluster))];
      const workerHosts = new RegExp(`^work-[12]-${runtimeId()}-svc\\.${NS}\\.svc\\.cluster\\.local:60000$`);
      assert.deepEqual(
        inFrames.filter((h) => !workerHosts.test(h)),
        [],
        `WebSocket frames name no in-cluster host but the agent's worker hosts`,
      );
      if (inFrames.length > 0) process.stderr.write(`[agent-ui.itest] NOTE: the event stream (WebSocket, not rewritten) names in-cluster worker hosts from the agent's context: ${inFrames.join(", ")}\n`);
      process.stderr.write(
        `[agent-ui.itest] browser JSON: ${answers.length} answers read${unread.length ? ` (${unread.length} unread: ${unread.map((u) => `${u.url.replace(/[?].*/, "")} ${u.status} ${u.error}`).join("; ")})` : ""}, none naming ${IN_CLUSTER}; ${naming.length} name https://${publicHost()} (${[...new Set(naming.map((a) => new URL(a.url).pathname.replace(/[0-9a-f]{32}|[0-9a-f-]{36}/g, "{id}")))].join(", ")})${strays.length ? `; other sandbox hosts: ${strays.join(", ")}` : ""}\n`,
      );
    });
  });

  it("lists what Canvas called on the gateway; the only 404s are routes the open-source server lacks", async (t) => {
    if (!needs(t, "login")) return;
    const seen = new Set<string>();
    for (const r of requests()) if (r.path.startsWith("/api/")) seen.add(`${r.method} ${r.path.replace(/[0-9a-f]{32}|[0-9a-f-]{36}/g, "{id}")} -> ${r.status} (${r.route})`);
    process.stderr.write(`[agent-ui.itest] Canvas called:\n  ${[...seen].sort().join("\n  ")}\n`);
    // Enterprise-only routes Canvas 1.20.0 calls on a cloud backend (the Files tab, profile
    // switching): openhands-ai 1.11.0 has no such route, and Canvas shows an empty tab.
    const ossGaps = /^\/api\/v1\/app-conversations\/[0-9a-f]+\/(files|switch_profile|switch_acp_model)$/;
    const gaps = requests().filter((r) => r.route === "app" && r.status === 404 && ossGaps.test(r.path));
    if (gaps.length > 0) process.stderr.write(`[agent-ui.itest] not on the open-source server (404): ${[...new Set(gaps.map((g) => `${g.method} ${g.path.replace(/[0-9a-f]{32}/, "{id}")}`))].join(", ")}\n`);
    const unknown = requests().filter((r) => r.path.startsWith("/api/") && r.status === 404 && r.route === "app" && !ossGaps.test(r.path));
    assert.deepEqual(unknown, [], "every other /api call Canvas made exists on the sandbox server or is stubbed");
  });
});
