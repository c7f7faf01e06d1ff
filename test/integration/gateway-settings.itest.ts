import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { buildGateway, startGateway } from "./helpers/agent-ui";
import { freePort } from "./helpers/operator";
import { httpJson, openhandsInstall, type Proc, startApp, until } from "./helpers/sandbox-runtime";

/*
 * The agent gateway seeding the platform's LLM defaults (GATEWAY_LLM_*) into the real
 * OpenHands sandbox server (openhands-ai from the cached install, RUNTIME=remote), and
 * leaving them alone once the app has settings. No cluster and no sandbox: the app's
 * runtime API points at a closed port, which it only calls when a sandbox is asked for.
 * The gateway is agent-gateway/dist/main.js, as the image runs it; Canvas is a stand-in page
 * (the test does not open it).
 */

const TOKEN = "itest-gateway-token-0123456789abcdef";
const API_KEY = "itest-sandbox-api-key-0123456789";
const LLM_KEY = "sk-itest-seeded-key";
const FIRST = { model: "openai/qwen2.5-coder:0.5b", baseUrl: "http://qwen.ollama.svc.cluster.local:11434/v1" };
const SECOND = { model: "openai/some-other-model", baseUrl: "http://other.ollama.svc.cluster.local:11434/v1" };

const install = openhandsInstall();
const skip = "missing" in install ? install.missing : false;
if (skip) process.stderr.write(`[gateway-settings.itest] skipped: ${skip}\n`);

/** JSON log lines of a gateway. */
function logLines(file: string): Array<Record<string, any>> {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, any>];
      } catch {
        return [];
      }
    });
}

describe("the agent gateway seeding LLM defaults into the OpenHands sandbox server", { timeout: 300_000, skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-settings-"));
  const canvas = path.join(dir, "canvas");
  let app: Proc | undefined;
  let appUrl = "";
  let gateway: { proc: Proc; url: string } | undefined;
  const venv = "venv" in install ? install.venv : "";
  const viaGateway = (p: string) => httpJson("GET", `${gateway?.url}/api/v1${p}`, undefined, { authorization: `Bearer ${TOKEN}` });
  const start = async (name: string, llm: { model: string; baseUrl: string }) => {
    const gwDir = path.join(dir, name);
    fs.mkdirSync(gwDir);
    const keyFile = path.join(gwDir, "llm-key");
    fs.writeFileSync(keyFile, `${LLM_KEY}\n`, { mode: 0o600 });
    return startGateway({ dir: gwDir, appUrl, token: TOKEN, env: { GATEWAY_CANVAS_DIR: canvas, GATEWAY_LLM_MODEL: llm.model, GATEWAY_LLM_BASE_URL: llm.baseUrl, GATEWAY_LLM_API_KEY_FILE: keyFile } });
  };
  const waitForLog = (file: string, msg: string) => until(`the gateway to log "${msg}"`, 60_000, async () => logLines(file).find((l) => String(l.msg).startsWith(msg)), 200);

  before(async () => {
    fs.mkdirSync(canvas);
    fs.writeFileSync(path.join(canvas, "index.html"), "<!doctype html><html><head></head><body></body></html>");
    buildGateway();
    // Nothing listens there: the app starts without its runtime API.
    const runtimePort = await freePort();
    ({ proc: app, url: appUrl } = await startApp({ venv, dir, runtimeUrl: `http://127.0.0.1:${runtimePort}`, apiKey: API_KEY }));
  });

  after(async () => {
    await gateway?.proc.kill();
    await app?.kill();
    process.stderr.write(`[gateway-settings.itest] logs kept in ${dir}\n`);
  });

  it("starts the app without settings: GET /api/v1/settings answers 404", async () => {
    const r = await httpJson("GET", `${appUrl}/api/v1/settings`);
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.deepEqual(r.body, { error: "Settings not found" });
  });

  it("seeds the gateway's LLM defaults into the fresh app", async () => {
    gateway = await start("gateway-1", FIRST);
    assert.equal((await fetch(`${gateway.url}/readyz`)).status, 200, "ready (the app answers /alive)");
    const llm = await until("the seeded settings through the gateway", 60_000, async () => {
      const r = await viaGateway("/settings");
      return r.status === 200 ? r.body : undefined;
    });
    assert.equal(llm.agent_settings.llm.model, FIRST.model);
    assert.equal(llm.agent_settings.llm.base_url, FIRST.baseUrl);
    assert.equal(llm.agent_settings.llm.api_key, null, "the app never returns the key");
    assert.equal(llm.llm_api_key_set, true, "the key was stored");
    const lines = logLines(gateway.proc.logFile);
    const listening = lines.find((l) => l.msg === "agent-gateway listening");
    assert.deepEqual(listening?.llmDefaults, { ...FIRST, credential: true, seeding: "started: stored only if the app has no settings" });
    const seeded = await waitForLog(gateway.proc.logFile, "llm defaults seeded");
    assert.equal(seeded.model, FIRST.model);
    assert.ok(!fs.readFileSync(gateway.proc.logFile, "utf8").includes(LLM_KEY), "the key is not in the gateway's log");
  });

  it("does not overwrite stored settings when restarted with other defaults", async () => {
    assert.equal(await gateway?.proc.kill(), 0, "the first gateway stops cleanly");
    gateway = await start("gateway-2", SECOND);
    const kept = await waitForLog(gateway.proc.logFile, "llm defaults not seeded");
    assert.equal(kept.model, SECOND.model);
    const r = await viaGateway("/settings");
    assert.equal(r.status, 200);
    assert.equal(r.body.agent_settings.llm.model, FIRST.model);
    assert.equal(r.body.agent_settings.llm.base_url, FIRST.baseUrl);
    assert.ok(!logLines(gateway.proc.logFile).some((l) => String(l.msg).startsWith("llm defaults seeded")), "no POST was made");
  });
});
