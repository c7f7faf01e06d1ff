import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudProxyRefusal, hostAllowed, parseEnvelope } from "../../agent-gateway/src/cloud-proxy";
import type { Gateway } from "../../agent-gateway/src/server";
import { fakeCanvasDir, fakeUpstream, gatewayWith, TOKEN } from "./fixtures";

const domains = [{ host: "sandboxes.example.com" }, { host: "127.0.0.1", port: 8443 }];
const refusal = (raw: unknown): { status: number; message: string } => {
  try {
    parseEnvelope(domains, raw);
  } catch (e) {
    assert.ok(e instanceof CloudProxyRefusal, String(e));
    return { status: e.status, message: e.message };
  }
  assert.fail("the envelope was accepted");
};
const ok = { host: "https://abc.sandboxes.example.com", method: "GET", path: "/api/conversations/1/events/count", headers: { "X-Session-API-Key": "sk" }, body: null };

describe("cloud-proxy host restrictions", () => {
  it("allows the domain itself, its subdomains, and a pinned port only", () => {
    assert.equal(hostAllowed(domains, new URL("https://sandboxes.example.com/x")), true);
    assert.equal(hostAllowed(domains, new URL("https://a.b.sandboxes.example.com")), true);
    assert.equal(hostAllowed(domains, new URL("http://127.0.0.1:8443")), true);
    assert.equal(hostAllowed(domains, new URL("http://127.0.0.1:8444")), false);
    assert.equal(hostAllowed(domains, new URL("https://evilsandboxes.example.com")), false);
    assert.equal(hostAllowed(domains, new URL("https://sandboxes.example.com.evil.net")), false);
  });

  it("builds the target under the host's path prefix and keeps only sandbox headers", () => {
    const call = parseEnvelope(domains, { ...ok, host: "http://127.0.0.1:8443/openhands-runtime-abc", method: "post", body: { accept: true }, headers: { "X-Session-API-Key": "sk", Authorization: "Bearer gw", Cookie: "c=1", "X-Forwarded-For": "1.2.3.4" }, timeout_seconds: 9000 });
    assert.equal(call.target.href, "http://127.0.0.1:8443/openhands-runtime-abc/api/conversations/1/events/count");
    assert.equal(call.method, "POST");
    assert.deepEqual(call.headers, { "x-session-api-key": "sk", "content-type": "application/json" });
    assert.equal(call.body?.toString(), '{"accept":true}');
    assert.equal(call.timeoutMs, 300_000, "the timeout is capped");
  });

  it("refuses hosts outside the sandbox domain with 403", () => {
    assert.deepEqual(refusal({ ...ok, host: "http://169.254.169.254" }), { status: 403, message: "host: 169.254.169.254 is not under the sandbox domain (sandboxes.example.com, 127.0.0.1:8443)" });
    assert.equal(refusal({ ...ok, host: "http://openhands-app:3000" }).status, 403);
  });

  it("refuses other schemes, credentials in the host, and non-URLs", () => {
    assert.deepEqual(refusal({ ...ok, host: "file:///etc/passwd" }), { status: 400, message: "host: the scheme file: is not allowed; use http or https" });
    assert.deepEqual(refusal({ ...ok, host: "https://u:p@abc.sandboxes.example.com" }), { status: 400, message: "host: credentials, query and fragment are not allowed" });
    assert.deepEqual(refusal({ ...ok, host: "abc" }), { status: 400, message: 'host: "abc" is not a URL' });
  });

  it("refuses paths that are not agent-server API paths or climb out of it", () => {
    assert.deepEqual(refusal({ ...ok, path: "/vscode/" }), { status: 400, message: 'path: "/vscode/" is not allowed; only agent-server API paths (/api/...)' });
    for (const path of ["/api/../admin", "/api/%2e%2e/admin", "/api//x", "/api/a\\b"]) assert.equal(refusal({ ...ok, path }).status, 400, path);
  });

  it("refuses unknown methods and malformed envelopes", () => {
    assert.equal(refusal({ ...ok, method: "CONNECT" }).status, 400);
    assert.equal(refusal([]).status, 400);
    assert.equal(refusal({ ...ok, headers: ["x"] }).status, 400);
  });

  it("is disabled without a sandbox domain", () => {
    assert.throws(() => parseEnvelope([], ok), (e: unknown) => e instanceof CloudProxyRefusal && e.status === 404);
  });
});

describe("cloud-proxy through the gateway", () => {
  let sandbox: Awaited<ReturnType<typeof fakeUpstream>>;
  let gw: Gateway;
  let url = "";
  const post = (envelope: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => fetch(`${url}/api/cloud-proxy`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(envelope) });

  before(async () => {
    sandbox = await fakeUpstream((req, res) => {
      if (req.url?.endsWith("/events/count")) {
        res.writeHead(200, { "content-type": "application/json" }).end("7");
        return true;
      }
      if (req.url?.endsWith("/missing")) {
        res.writeHead(404, { "content-type": "application/json" }).end('{"detail":"nope"}');
        return true;
      }
      return false;
    });
    ({ gateway: gw, url } = await gatewayWith(fakeCanvasDir(), { GATEWAY_SANDBOX_DOMAIN: `127.0.0.1:${sandbox.port}` }));
  });
  after(async () => {
    await gw.shutdown(100);
    await sandbox.close();
  });

  it("relays the call with the sandbox key and returns the sandbox's answer as it is", async () => {
    const r = await post({ host: `${sandbox.url}/openhands-runtime-abc`, method: "GET", path: "/api/conversations/c1/events/count", headers: { "X-Session-API-Key": "sandbox-key", Authorization: `Bearer ${TOKEN}` }, body: null });
    assert.equal(r.status, 200);
    assert.equal(await r.text(), "7");
    const seen = sandbox.seen.at(-1);
    assert.equal(seen?.url, "/openhands-runtime-abc/api/conversations/c1/events/count");
    assert.equal(seen?.headers["x-session-api-key"], "sandbox-key");
    assert.equal(seen?.headers.authorization, undefined, "the gateway token never reaches the sandbox");
  });

  it("passes the sandbox's error status through", async () => {
    const r = await post({ host: sandbox.url, method: "GET", path: "/api/missing" });
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(), { detail: "nope" });
  });

  it("needs the caller to be authenticated", async () => {
    const before = sandbox.seen.length;
    const r = await post({ host: sandbox.url, method: "GET", path: "/api/x" }, {});
    assert.equal(r.status, 401);
    assert.equal(sandbox.seen.length, before);
  });

  it("refuses a host outside the sandbox domain without contacting it", async () => {
    const r = await post({ host: "http://127.0.0.1:1", method: "GET", path: "/api/x" });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { detail: string }).detail, /not under the sandbox domain/);
  });

  it("answers 400 to a body that is not JSON and 405 to a GET", async () => {
    const r = await fetch(`${url}/api/cloud-proxy`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: "{" });
    assert.equal(r.status, 400);
    assert.equal((await fetch(`${url}/api/cloud-proxy`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
  });
});
