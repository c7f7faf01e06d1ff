import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { describe, it } from "node:test";
import { seedBody, seedLlmDefaults } from "../../agent-gateway/src/llm-defaults";
import { captureLogger, fakeCanvasDir, fakeUpstream, TOKEN, type Seen } from "./fixtures";

/*
 * Seeding the platform's LLM into the app: only when GET /api/v1/settings says 404, with the
 * body openhands-ai 1.11.0 takes (settings_router.py store_settings), retried while the app
 * is not up, and never logging the key.
 */

const LLM = { model: "openai/qwen2.5-coder:0.5b", baseUrl: "http://qwen.ollama.svc.cluster.local:11434/v1", apiKey: "sk-seed-secret" };
const ROOT = path.resolve(__dirname, "..", "..");

/** An app whose settings answers are scripted, in order; the last one repeats. */
async function scriptedApp(gets: number[], posts: number[] = [200]) {
  let g = 0;
  let p = 0;
  return fakeUpstream((req, res) => {
    if (req.url?.endsWith("/api/v1/settings") && req.method === "GET") {
      const status = gets[Math.min(g++, gets.length - 1)];
      const body = status === 404 ? { error: "Settings not found" } : status === 200 ? { agent_settings: { llm: { model: "user/model", api_key: null } } } : { error: `scripted ${status}` };
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      return true;
    }
    if (req.url?.endsWith("/api/v1/settings") && req.method === "POST") {
      const status = posts[Math.min(p++, posts.length - 1)];
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(status === 200 ? { message: "Settings stored" } : { error: "Something went wrong storing settings" }));
      return true;
    }
    return false;
  });
}

const calls = (seen: Seen[]) => seen.map((s) => `${s.method} ${s.url}`);

describe("seeding the LLM defaults", () => {
  it("stores them with the exact body when the app has no settings (404)", async () => {
    const app = await scriptedApp([404]);
    const log = captureLogger();
    const s = seedLlmDefaults({ appUrl: new URL(`${app.url}/prefix`), sessionApiKey: "app-session-key", llm: LLM, log, backoffMs: () => 10 });
    assert.equal(await s.done, "seeded");
    assert.deepEqual(calls(app.seen), ["GET /prefix/api/v1/settings", "POST /prefix/api/v1/settings"]);
    assert.deepEqual(JSON.parse(app.seen[1].body), { agent_settings_diff: { llm: { model: LLM.model, base_url: LLM.baseUrl, api_key: LLM.apiKey } } });
    assert.equal(app.seen[1].headers["content-type"], "application/json");
    for (const seen of app.seen) assert.equal(seen.headers["x-session-api-key"], "app-session-key");
    assert.deepEqual(log.lines, [{ level: "info", msg: "llm defaults seeded: the app had no settings", fields: { model: LLM.model, baseUrl: LLM.baseUrl, credential: true, attempt: 1 } }]);
    await app.close();
  });

  it("sends no api_key, nor X-Session-API-Key, when none is configured", async () => {
    assert.deepEqual(seedBody({ model: LLM.model, baseUrl: LLM.baseUrl }), { agent_settings_diff: { llm: { model: LLM.model, base_url: LLM.baseUrl } } });
    const app = await scriptedApp([404]);
    const s = seedLlmDefaults({ appUrl: new URL(app.url), llm: { model: LLM.model, baseUrl: LLM.baseUrl }, log: captureLogger() });
    assert.equal(await s.done, "seeded");
    assert.deepEqual(JSON.parse(app.seen[1].body), { agent_settings_diff: { llm: { model: LLM.model, base_url: LLM.baseUrl } } });
    assert.equal(app.seen[1].headers["x-session-api-key"], undefined);
    await app.close();
  });

  it("leaves existing settings alone (200): no POST", async () => {
    const app = await scriptedApp([200]);
    const log = captureLogger();
    assert.equal(await seedLlmDefaults({ appUrl: new URL(app.url), llm: LLM, log }).done, "kept");
    assert.deepEqual(calls(app.seen), ["GET /api/v1/settings"]);
    assert.deepEqual(log.lines.map((l) => [l.level, l.msg]), [["info", "llm defaults not seeded: the app has settings already, left as they are"]]);
    await app.close();
  });

  it("retries with backoff while the app answers 503, then seeds", async () => {
    const app = await scriptedApp([503, 503, 404]);
    const log = captureLogger();
    const waits: number[] = [];
    const s = seedLlmDefaults({ appUrl: new URL(app.url), llm: LLM, log, backoffMs: (n) => (waits.push(n), 20 * n) });
    assert.equal(await s.done, "seeded");
    assert.deepEqual(waits, [1, 2]);
    assert.deepEqual(calls(app.seen), ["GET /api/v1/settings", "GET /api/v1/settings", "GET /api/v1/settings", "POST /api/v1/settings"]);
    assert.deepEqual(
      log.lines.map((l) => [l.level, l.msg, l.fields.attempt, l.fields.status, l.fields.appError, l.fields.retryInMs]),
      [
        ["warn", "llm defaults: GET /api/v1/settings answered 503; retrying", 1, 503, "scripted 503", 20],
        ["warn", "llm defaults: GET /api/v1/settings answered 503; retrying", 2, 503, "scripted 503", 40],
        ["info", "llm defaults seeded: the app had no settings", 3, undefined, undefined, undefined],
      ],
    );
    await app.close();
  });

  it("retries after a refused connection until the app is up", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    let app: http.Server | undefined;
    const posted: string[] = [];
    const startApp = () =>
      new Promise<void>((resolve) => {
        app = http.createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on("data", (c: Buffer) => chunks.push(c));
          req.on("end", () => {
            if (req.method === "POST") posted.push(Buffer.concat(chunks).toString());
            res.writeHead(req.method === "GET" ? 404 : 200, { "content-type": "application/json" }).end("{}");
          });
        });
        app.listen(port, "127.0.0.1", () => resolve());
      });
    const log = captureLogger();
    let up: Promise<void> | undefined;
    const s = seedLlmDefaults({ appUrl: new URL(`http://127.0.0.1:${port}`), llm: LLM, log, backoffMs: () => ((up ??= startApp()), 200) });
    assert.equal(await s.done, "seeded");
    assert.deepEqual(posted.map((b) => JSON.parse(b)), [seedBody(LLM)]);
    assert.deepEqual(log.lines[0].level, "warn");
    assert.equal(log.lines[0].msg, "llm defaults: the app did not answer GET /api/v1/settings; retrying");
    assert.equal(log.lines[0].fields.error, "ECONNREFUSED");
    app?.closeAllConnections();
    await new Promise<void>((r) => app?.close(() => r()));
  });

  it("retries when the POST fails, checking again first", async () => {
    const app = await scriptedApp([404], [500, 200]);
    const log = captureLogger();
    assert.equal(await seedLlmDefaults({ appUrl: new URL(app.url), llm: LLM, log, backoffMs: () => 10 }).done, "seeded");
    assert.deepEqual(calls(app.seen), ["GET /api/v1/settings", "POST /api/v1/settings", "GET /api/v1/settings", "POST /api/v1/settings"]);
    assert.equal(log.lines[0].msg, "llm defaults: POST /api/v1/settings answered 500; retrying");
    await app.close();
  });

  it("logs a refused app key as an error with a hint, and keeps trying until stopped", async () => {
    const app = await scriptedApp([401]);
    const log = captureLogger();
    const s = seedLlmDefaults({ appUrl: new URL(app.url), sessionApiKey: "wrong", llm: LLM, log, backoffMs: () => 60_000 });
    while (log.lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    s.stop();
    assert.equal(await s.done, "stopped");
    assert.equal(log.lines[0].level, "error");
    assert.equal(log.lines[0].fields.hint, "check OPENHANDS_APP_SESSION_API_KEY against the app's SESSION_API_KEY");
    assert.equal(app.seen.length, 1);
    await app.close();
  });

  it("never logs the key", async () => {
    const app = await scriptedApp([503, 404], [400, 200]);
    const log = captureLogger();
    await seedLlmDefaults({ appUrl: new URL(app.url), llm: LLM, log, backoffMs: () => 5 }).done;
    assert.ok(log.lines.length >= 3);
    assert.ok(!JSON.stringify(log.lines).includes(LLM.apiKey));
    await app.close();
  });
});

describe("the gateway process with GATEWAY_LLM_*", () => {
  it("logs the defaults at start, seeds them without waiting, and stops on SIGTERM", async () => {
    const app = await scriptedApp([503, 404]);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "agent-gateway", "src", "main.ts")], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        OPENHANDS_APP_URL: app.url,
        GATEWAY_TOKEN: TOKEN,
        GATEWAY_CANVAS_DIR: fakeCanvasDir(),
        GATEWAY_HOST: "127.0.0.1",
        GATEWAY_PORT: "0",
        GATEWAY_LLM_MODEL: LLM.model,
        GATEWAY_LLM_BASE_URL: LLM.baseUrl,
        GATEWAY_LLM_API_KEY: LLM.apiKey,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const deadline = Date.now() + 30_000;
    while (!stderr.includes("llm defaults seeded") && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGTERM");
    assert.equal(await exited, 0, stderr);
    const lines = stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, any>);
    const start = lines.find((l) => l.msg === "agent-gateway listening");
    assert.deepEqual(start?.llmDefaults, { model: LLM.model, baseUrl: LLM.baseUrl, credential: true, seeding: "started: stored only if the app has no settings" });
    assert.deepEqual(
      lines.filter((l) => String(l.msg).startsWith("llm defaults")).map((l) => [l.level, l.attempt]),
      [
        ["warn", 1],
        ["info", 2],
      ],
    );
    assert.ok(!stderr.includes(LLM.apiKey), "the key is not in the log");
    assert.deepEqual(JSON.parse(app.seen.find((s) => s.method === "POST")?.body ?? "{}"), seedBody(LLM));
    await app.close();
  });
});
