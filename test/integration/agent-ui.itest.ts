import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { buildGateway, canvasInstalled, chromiumPath, CHROMIUM_FLAGS, gatewayRequests, loadPlaywright, startGateway } from "./helpers/agent-ui";
import { deleteNamespace, ensureNamespace, freePort } from "./helpers/operator";
import { buildService, deleteStandInVolumes, httpJson, openhandsInstall, PodStandIn, removeStandInWorkspace, standInWorkspaceFree, type Proc, startApp, startService, until } from "./helpers/sandbox-runtime";
import { startFakeLlm, type FakeLlm } from "./helpers/sandbox-runtime-llm";

/*
 * Agent Canvas (the pinned @openhands/agent-canvas build) served by our agent gateway, in
 * headless Chromium, against the real OpenHands sandbox server (openhands-ai 1.11.0,
 * RUNTIME=remote), our sandbox runtime service on the local control plane, and the agent
 * server played by a local process per sandbox pod (helpers/sandbox-runtime.ts). The LLM is
 * the scripted fake: a terminal call, then `finish` with "The file is created.".
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
  const sockets: Array<{ url: string; received: number; sent: number; closed: boolean; error?: string }> = [];
  const consoleLines: string[] = [];
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
    buildService();
    buildGateway();
    await deleteNamespace(NS, 120_000);
    await deleteStandInVolumes(NS);
    await ensureNamespace(NS);
    llm = await startFakeLlm(COMMAND);
    standIn = new PodStandIn(NS, venv, dir);
    await standIn.start();
    const servicePort = await freePort();
    service = await startService({
      port: servicePort,
      config: { namespace: NS, domain: "sandbox.test", urlTemplate: `http://127.0.0.1:${standIn.proxyPort}/{runtimeId}`, workspace: { size: "1Gi" }, idle: { pauseAfterSeconds: 0 }, loopSeconds: 2, leaderElection: { enabled: false }, logLevel: "debug" },
      apiKey: API_KEY,
      dir,
      identity: "agent-ui",
    });
    ({ proc: app, url: appUrl } = await startApp({ venv, dir, runtimeUrl: `http://127.0.0.1:${servicePort}`, apiKey: API_KEY }));
    // The LLM is per-user settings on the app; Canvas would store the same through its
    // settings page (POST /api/v1/settings), which is not what this test is about.
    const settings = await appApi("POST", "/settings", { agent_settings_diff: { llm: { model: "openai/itest-model", base_url: `http://127.0.0.1:${llm.port}/v1`, api_key: "sk-itest" } } });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    gateway = await startGateway({ dir, appUrl, token: TOKEN, env: { GATEWAY_SANDBOX_DOMAIN: `127.0.0.1:${standIn.proxyPort}` } });
    const pw = playwright as { chromium: any };
    // A fresh profile per run (playwright takes --user-data-dir as this argument).
    browser = await pw.chromium.launchPersistentContext(fs.mkdtempSync(path.join(dir, "chromium-")), { executablePath: chromium, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1440, height: 900 } });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("console", (m: any) => consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on("pageerror", (e: Error) => consoleLines.push(`pageerror: ${e.message}`));
    page.on("requestfailed", (r: any) => consoleLines.push(`requestfailed: ${r.method()} ${r.url().replace(/session_api_key=[^&]+/, "session_api_key=***")} ${r.failure()?.errorText}`));
    page.on("websocket", (ws: any) => {
      const s: (typeof sockets)[number] = { url: String(ws.url()).replace(/session_api_key=[^&]+/, "session_api_key=***"), received: 0, sent: 0, closed: false };
      sockets.push(s);
      ws.on("framereceived", () => s.received++);
      ws.on("framesent", () => s.sent++);
      ws.on("close", () => (s.closed = true));
      ws.on("socketerror", (e: string) => (s.error = e));
    });
  });

  after(async () => {
    fs.writeFileSync(path.join(dir, "browser-console.log"), consoleLines.join("\n"));
    fs.writeFileSync(path.join(dir, "websockets.json"), JSON.stringify(sockets, null, 2));
    await browser?.close().catch(() => undefined);
    await gateway?.proc.kill();
    if (conversationId) await appApi("GET", `/app-conversations?ids=${conversationId}`).catch(() => undefined);
    await app?.kill();
    await service?.kill();
    await standIn?.stop();
    await llm?.close();
    removeStandInWorkspace();
    await deleteNamespace(NS, 120_000).catch(() => undefined);
    await deleteStandInVolumes(NS).catch(() => undefined);
    process.stderr.write(`[agent-ui.itest] logs kept in ${dir} (gateway.log, app.log, browser-console.log, websockets.json)\n`);
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

  it("streams the conversation over the browser's WebSocket to the sandbox", async (t) => {
    if (!needs(t, "start")) return;
    await step("websocket", async () => {
      const ws = await until("a WebSocket to /sockets/events/ that received frames", 60_000, async () => sockets.find((s) => s.url.includes("/sockets/events/") && s.received > 0));
      assert.ok(ws.url.startsWith(`ws://127.0.0.1:${standIn.proxyPort}/`), `the socket goes to the sandbox URL (${ws.url})`);
    });
  });

  it("relays runtime REST calls through /api/cloud-proxy to the sandbox", async (t) => {
    if (!needs(t, "start")) return;
    await step("cloud-proxy", async () => {
      const byCanvas = requests().filter((r) => r.path === "/api/cloud-proxy");
      assert.deepEqual(
        byCanvas.filter((c) => c.status >= 400),
        [],
        `every cloud-proxy call Canvas made succeeded: ${JSON.stringify(byCanvas)}`,
      );
      // Canvas sends events/count and confirmations through the proxy only in flows this run
      // does not reach (reconnects, confirmation mode), so the page sends the same envelope
      // its cloud client builds (typescript-client CloudClient.requestThroughProxy).
      const conv = (await appApi("GET", `/app-conversations?ids=${conversationId}`)).body[0];
      const host = conv.conversation_url.split("/api/conversations")[0];
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
      const outside = await page.evaluate(async () => (await fetch("/api/cloud-proxy", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ host: "http://169.254.169.254", method: "GET", path: "/api/x" }) })).status);
      assert.equal(outside, 403, "a host outside the sandbox domain is refused");
      process.stderr.write(`[agent-ui.itest] cloud-proxy calls made by Canvas itself: ${byCanvas.length}\n`);
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
