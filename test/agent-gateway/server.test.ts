import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { Gateway } from "../../agent-gateway/src/server";
import { fakeCanvasDir, fakeUpstream, gatewayWith, TOKEN } from "./fixtures";

/*
 * The gateway over real HTTP against a fake sandbox server: forwarding, stubs, CORS, the SPA
 * and login, WebSocket tunnelling, health and shutdown.
 */

const AUTH = { authorization: `Bearer ${TOKEN}` };
const CANVAS = fakeCanvasDir();

describe("the gateway in bearer mode", () => {
  let app: Awaited<ReturnType<typeof fakeUpstream>>;
  let gw: Gateway;
  let url = "";
  const upgraded = new Set<Duplex>();

  before(async () => {
    app = await fakeUpstream();
    app.server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
      upgraded.add(socket);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${req.url}\r\nX-User: ${req.headers["x-forwarded-user"]}\r\n\r\n`);
      socket.on("data", (d: Buffer) => socket.write(Buffer.concat([Buffer.from("echo:"), d])));
    });
    ({ gateway: gw, url } = await gatewayWith(CANVAS, {
      OPENHANDS_APP_URL: `${app.url}/prefix`,
      OPENHANDS_APP_SESSION_API_KEY: "app-session-key",
      GATEWAY_CORS_ORIGINS: "https://canvas.example.com",
      GATEWAY_COOKIE_SECURE: "false",
    }));
  });
  after(async () => {
    await gw.shutdown(100);
    for (const s of upgraded) s.destroy();
    await app.close();
  });

  it("refuses /api without credentials and never contacts the app", async () => {
    const before = app.seen.length;
    const r = await fetch(`${url}/api/v1/settings`);
    assert.equal(r.status, 401);
    assert.equal(r.headers.get("www-authenticate"), 'Bearer realm="openhands"');
    assert.equal(app.seen.length, before);
  });

  it("forwards /api with method, path, query and body, under the app URL's path", async () => {
    const r = await fetch(`${url}/api/v1/settings?x=1`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: '{"agent_settings_diff":{}}' });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ok: true, path: "/prefix/api/v1/settings?x=1" });
    const seen = app.seen.at(-1);
    assert.equal(seen?.method, "POST");
    assert.equal(seen?.body, '{"agent_settings_diff":{}}');
  });

  it("sends the app its own key and the user, never the caller's token, cookies or a forged identity", async () => {
    await fetch(`${url}/api/v1/settings`, { headers: { ...AUTH, cookie: "agent_gateway_session=x; other=1", "x-auth-request-email": "forged@example.com", "x-session-api-key": "forged" } });
    const h = app.seen.at(-1)?.headers ?? {};
    assert.equal(h.authorization, undefined);
    assert.equal(h.cookie, undefined);
    assert.equal(h["x-auth-request-email"], undefined);
    assert.equal(h["x-session-api-key"], "app-session-key");
    assert.equal(h["x-forwarded-user"], "token#0");
    assert.equal(h.host, `127.0.0.1:${app.port}`);
  });

  it("answers the account endpoints itself with the shapes Canvas reads", async () => {
    const before = app.seen.length;
    const get = async (p: string) => {
      const r = await fetch(`${url}${p}`, { headers: AUTH });
      return { status: r.status, body: (await r.json()) as any };
    };
    assert.deepEqual(await get("/api/keys/current"), { status: 200, body: { org_id: null } });
    assert.deepEqual(await get("/api/organizations"), { status: 200, body: { items: [], current_org_id: null } });
    assert.deepEqual(await get("/api/agent-profiles"), { status: 200, body: { profiles: [], active_agent_profile_id: null } });
    assert.equal((await get("/api/automation/health")).body.status, "error");
    assert.equal((await get("/api/automation/sdk-version")).status, 404);
    assert.equal((await get("/api/organizations/o1/me")).status, 404);
    assert.equal(app.seen.length, before, "none of them reached the app");
  });

  it("answers CORS for a configured origin only, replacing the app's permissive headers", async () => {
    const allowed = await fetch(`${url}/api/v1/settings`, { headers: { ...AUTH, origin: "https://canvas.example.com" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://canvas.example.com");
    assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
    const other = await fetch(`${url}/api/v1/settings`, { headers: { ...AUTH, origin: "https://evil.example.com" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null, "the app's * is not passed on");
    const denied = await fetch(`${url}/api/v1/settings`, { headers: { origin: "https://canvas.example.com" } });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get("access-control-allow-origin"), "https://canvas.example.com", "the 401 is readable by the allowed origin");
  });

  it("answers preflights without credentials: 204 for the allowed origin, 403 otherwise", async () => {
    const ok = await fetch(`${url}/api/v1/app-conversations`, { method: "OPTIONS", headers: { origin: "https://canvas.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-org-id" } });
    assert.equal(ok.status, 204);
    assert.match(ok.headers.get("access-control-allow-headers") ?? "", /authorization/);
    const evil = await fetch(`${url}/api/v1/app-conversations`, { method: "OPTIONS", headers: { origin: "https://evil.example.com", "access-control-request-method": "POST" } });
    assert.equal(evil.status, 403);
    const odd = await fetch(`${url}/api/v1/app-conversations`, { method: "OPTIONS", headers: { origin: "https://canvas.example.com", "access-control-request-method": "POST", "access-control-request-headers": "x-unknown" } });
    assert.equal(odd.status, 403);
  });

  it("sends an HTML navigation without a session to the login page", async () => {
    const r = await fetch(`${url}/conversations/abc?x=1`, { headers: { accept: "text/html" }, redirect: "manual" });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get("location"), "/auth/login?next=%2Fconversations%2Fabc%3Fx%3D1");
  });

  it("logs in with the token, and the cookie then opens the UI and the API", async () => {
    const bad = await fetch(`${url}/auth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=wrong&next=%2F", redirect: "manual" });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get("set-cookie"), null);
    const good = await fetch(`${url}/auth/login`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `token=${TOKEN}&next=%2F%2Fevil.example.com`, redirect: "manual" });
    assert.equal(good.status, 303);
    assert.equal(good.headers.get("location"), "/", "an absolute next is not followed");
    const cookie = (good.headers.get("set-cookie") ?? "").split(";")[0];
    assert.match(cookie, /^agent_gateway_session=/);
    const page = await fetch(`${url}/`, { headers: { accept: "text/html", cookie } });
    assert.equal(page.status, 200);
    assert.equal((await fetch(`${url}/api/v1/settings`, { headers: { cookie } })).status, 200);
    const crossSite = await fetch(`${url}/api/v1/app-conversations`, { method: "POST", headers: { cookie, origin: "https://evil.example.com" }, body: "{}" });
    assert.equal(crossSite.status, 403, "a cookie write from another origin is refused");
    const sameSite = await fetch(`${url}/api/v1/app-conversations`, { method: "POST", headers: { cookie, origin: url }, body: "{}" });
    assert.equal(sameSite.status, 200);
  });

  it("serves index.html locked to the page's own origin with telemetry off", async () => {
    const html = await (await fetch(`${url}/`, { headers: AUTH })).text();
    assert.match(html, /<script>\(function\(\)\{window\.__AGENT_CANVAS_LOCK_TO_CLOUD__=window\.location\.origin;window\.__AGENT_CANVAS_DO_NOT_TRACK__=true;\}\(\)\);<\/script>\n<\/head>/);
  });

  it("serves assets without a session, caches /assets for good, and 404s a missing asset", async () => {
    const js = await fetch(`${url}/assets/app.js`);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-type"), "application/javascript; charset=utf-8");
    assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal((await fetch(`${url}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${url}/..%2f..%2fetc%2fpasswd.txt`)).status, 404);
  });

  it("tunnels a WebSocket upgrade on /api to the app after the bearer check", async () => {
    const answer = await rawUpgrade(gw.port, "/api/v1/events/socket?x=1", `Authorization: Bearer ${TOKEN}\r\n`, "ping");
    assert.match(answer, /^HTTP\/1\.1 101 /);
    assert.match(answer, /X-Path: \/prefix\/api\/v1\/events\/socket\?x=1/);
    assert.match(answer, /X-User: token#0/);
    assert.match(answer, /echo:ping/);
    assert.match(await rawUpgrade(gw.port, "/api/v1/events/socket", "", "ping"), /^HTTP\/1\.1 401 /);
    assert.match(await rawUpgrade(gw.port, "/elsewhere", `Authorization: Bearer ${TOKEN}\r\n`, ""), /^HTTP\/1\.1 404 /);
  });

  it("answers 502 with a reason when the app is unreachable", async () => {
    const dead = await gatewayWith(CANVAS, { OPENHANDS_APP_URL: "http://127.0.0.1:1" });
    const r = await fetch(`${dead.url}/api/v1/settings`, { headers: AUTH });
    assert.equal(r.status, 502);
    assert.deepEqual(await r.json(), { detail: "the sandbox server is unreachable" });
    await dead.gateway.shutdown(100);
  });
});

describe("the gateway behind an OIDC proxy", () => {
  let app: Awaited<ReturnType<typeof fakeUpstream>>;
  let gw: Gateway;
  let url = "";
  before(async () => {
    app = await fakeUpstream();
    ({ gateway: gw, url } = await gatewayWith(CANVAS, { OPENHANDS_APP_URL: app.url, GATEWAY_TOKEN: "", GATEWAY_AUTH_MODE: "oidc-header", GATEWAY_IDENTITY_HEADER: "X-Forwarded-Email" }));
  });
  after(async () => {
    await gw.shutdown(100);
    await app.close();
  });

  it("forwards requests carrying the identity header, with the user", async () => {
    const r = await fetch(`${url}/api/v1/settings`, { headers: { "x-forwarded-email": "dev@example.com" } });
    assert.equal(r.status, 200);
    assert.equal(app.seen.at(-1)?.headers["x-forwarded-user"], "dev@example.com");
    assert.equal(app.seen.at(-1)?.headers["x-forwarded-email"], undefined);
  });

  it("refuses requests without it, bearer or not, and has no login page", async () => {
    assert.equal((await fetch(`${url}/api/v1/settings`, { headers: AUTH })).status, 401);
    assert.equal((await fetch(`${url}/`, { headers: { accept: "text/html" } })).status, 401);
    assert.equal((await fetch(`${url}/auth/login`)).status, 404);
  });
});

describe("health and shutdown", () => {
  it("reports live and ready, and on shutdown finishes in-flight requests before closing the port", async () => {
    let release: () => void = () => {};
    const app = await fakeUpstream((req, res) => {
      if (req.url !== "/api/slow") return false;
      release = () => res.writeHead(200, { "content-type": "application/json" }).end('{"slow":true}');
      return true;
    });
    const { gateway, url } = await gatewayWith(CANVAS, { OPENHANDS_APP_URL: app.url });
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const slow = fetch(`${url}/api/slow`, { headers: AUTH });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = gateway.shutdown(5000);
    release();
    const r = await slow;
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { slow: true });
    await stopped;
    await assert.rejects(fetch(`${url}/healthz`), "the port is closed");
    await app.close();
  });
});

function rawUpgrade(port: number, path: string, extraHeaders: string, send: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extraHeaders}\r\n`);
    });
    let out = "";
    s.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\r\n\r\n") && send && !out.includes("echo:") && out.startsWith("HTTP/1.1 101")) s.write(send);
      if (!out.startsWith("HTTP/1.1 101") || out.includes(`echo:${send}`)) s.destroy();
    });
    s.on("close", () => resolve(out));
    s.setTimeout(3000, () => s.destroy());
  });
}
