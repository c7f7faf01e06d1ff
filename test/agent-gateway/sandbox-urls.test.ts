import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import * as net from "node:net";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { CloudProxyRefusal, parseEnvelope } from "../../agent-gateway/src/cloud-proxy";
import { isJsonType } from "../../agent-gateway/src/proxy";
import { inClusterPattern, publicSandboxUrls, sandboxOfHost, sandboxServiceUrl } from "../../agent-gateway/src/sandbox-urls";
import type { Gateway } from "../../agent-gateway/src/server";
import { captureLogger, fakeCanvasDir, fakeUpstream, gatewayWith, TOKEN } from "./fixtures";

/*
 * Sandbox URLs: the in-cluster form the app hands out becomes the public one in its JSON
 * answers (and nowhere else), and /api/cloud-proxy maps public agent-server hosts back to
 * their Service.
 */

const NS = "openhands-sandboxes";
const D = "sandboxes.example.com";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const CANVAS = fakeCanvasDir();
const inCluster = (s: string, prefix = "", tail = ".svc.cluster.local:60000") => `http://${prefix}openhands-runtime-${s}-svc.${NS}${tail}`;
const rewrite = publicSandboxUrls(NS, { host: D });

describe("rewriting in-cluster sandbox URLs", () => {
  it("turns the agent-server URL and conversation_url into the public host", () => {
    assert.equal(rewrite(inCluster("abc123")), `https://abc123.${D}`);
    assert.equal(rewrite(`${inCluster("abc123")}/api/conversations/0f3a9c`), `https://abc123.${D}/api/conversations/0f3a9c`);
  });

  it("keeps the vscode-, work-1- and work-2- prefixes the app derives in subdomain mode", () => {
    assert.equal(rewrite(`${inCluster("abc123", "vscode-")}/?tkn=k1&folder=%2Fworkspace%2Fproject`), `https://vscode-abc123.${D}/?tkn=k1&folder=%2Fworkspace%2Fproject`);
    assert.equal(rewrite(`${inCluster("abc123", "work-1-")}/`), `https://work-1-abc123.${D}/`);
    assert.equal(rewrite(inCluster("abc123", "work-2-")), `https://work-2-abc123.${D}`);
  });

  it("tolerates .svc without .cluster.local, and no port", () => {
    assert.equal(rewrite(inCluster("s-1", "", ".svc:60000")), `https://s-1.${D}`);
    assert.equal(rewrite(`${inCluster("s-1", "", ".svc")}/alive`), `https://s-1.${D}/alive`);
    assert.equal(rewrite(inCluster("warm-0a1b2c3d4e", "", ".svc.cluster.local")), `https://warm-0a1b2c3d4e.${D}`);
  });

  it("keeps the sandbox domain's port when it has one", () => {
    assert.equal(publicSandboxUrls(NS, { host: D, port: 8443 })(`${inCluster("abc")}/x`), `https://abc.${D}:8443/x`);
  });

  it("leaves look-alikes alone", () => {
    for (const s of [
      `http://openhands-runtime-abc-svc.other-ns.svc.cluster.local:60000`,
      `http://openhands-runtime-abc-svc.${NS}-2.svc.cluster.local:60000`,
      `https://openhands-runtime-abc-svc.${NS}.svc.cluster.local:60000`,
      `${inCluster("abc", "", ".svc.cluster.local")}.evil.example.com/`,
      `${inCluster("abc", "", ".svc.cluster.localhost")}`,
      `${inCluster("abc", "", ".svc.cluster.local:600001")}`,
      inCluster("abc", "x-"),
      inCluster("abc", "vscode2-"),
      inCluster("ABC"),
      inCluster("abc-"),
      `xhttp://openhands-runtime-abc-svc.${NS}.svc`,
      "http://openhands-app:3000/api/v1/settings",
    ])
      assert.equal(rewrite(s), s, s);
  });

  it("rewrites every occurrence in a real answer, and nothing else", () => {
    const answer = {
      items: [
        {
          id: "openhands-runtime-abc123",
          status: "RUNNING",
          session_api_key: "sess-1",
          exposed_urls: [
            { name: "AGENT_SERVER", url: inCluster("abc123"), port: 60000 },
            { name: "VSCODE", url: `${inCluster("abc123", "vscode-")}/?tkn=sess-1&folder=%2Fworkspace%2Fproject`, port: 60001 },
            { name: "WORKER_1", url: `${inCluster("abc123", "work-1-")}/`, port: 12000 },
            { name: "WORKER_2", url: `${inCluster("abc123", "work-2-")}/`, port: 12001 },
          ],
        },
      ],
      note: "openhands-runtime-abc123 has no URL here",
    };
    const out = JSON.parse(rewrite(JSON.stringify(answer)));
    assert.deepEqual(
      out.items[0].exposed_urls.map((u: { url: string }) => u.url),
      [`https://abc123.${D}`, `https://vscode-abc123.${D}/?tkn=sess-1&folder=%2Fworkspace%2Fproject`, `https://work-1-abc123.${D}/`, `https://work-2-abc123.${D}/`],
    );
    assert.equal(out.items[0].id, "openhands-runtime-abc123");
    assert.equal(out.note, answer.note);
    assert.equal(inClusterPattern(NS).flags, "g");
  });

  it("knows JSON content types", () => {
    for (const t of ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/problem+json", "application/vnd.openhands.v1+json;charset=utf-8"]) assert.equal(isJsonType(t), true, t);
    for (const t of ["text/plain", "text/html; charset=utf-8", "application/x-ndjson", "text/event-stream", "application/jsonp", undefined]) assert.equal(isJsonType(t), false, String(t));
  });
});

describe("public sandbox hosts back to their Service (cloud-proxy)", () => {
  const domains = [{ host: D }, { host: "alt.example.com", port: 8443 }];
  const service = sandboxServiceUrl(NS);
  const ok = { host: `https://abc123.${D}`, method: "GET", path: "/api/conversations/c1/events/count", headers: { "X-Session-API-Key": "sk" } };
  const refusal = (raw: unknown): { status: number; message: string } => {
    try {
      parseEnvelope(domains, raw, { sandboxService: service });
    } catch (e) {
      assert.ok(e instanceof CloudProxyRefusal, String(e));
      return { status: e.status, message: e.message };
    }
    assert.fail("the envelope was accepted");
  };

  it("names the Service of the sandbox on the agent server's port", () => {
    assert.equal(service("abc123").href, `http://openhands-runtime-abc123-svc.${NS}.svc.cluster.local:60000/`);
  });

  it("finds the sandbox of a host one label under a sandbox domain", () => {
    assert.deepEqual(sandboxOfHost(domains, new URL(`https://abc123.${D}`)), { ok: true, session: "abc123", domain: { host: D } });
    assert.deepEqual(sandboxOfHost(domains, new URL("https://s-1.alt.example.com:8443/")), { ok: true, session: "s-1", domain: { host: "alt.example.com", port: 8443 } });
    assert.equal(sandboxOfHost(domains, new URL("https://s-1.alt.example.com/")).ok, false, "the pinned port still applies");
  });

  it("sends the call to the Service, keeping path, query and the sandbox key", () => {
    const call = parseEnvelope(domains, { ...ok, path: "/api/conversations/c1/events/search?limit=5" }, { sandboxService: service });
    assert.equal(call.target.href, `http://openhands-runtime-abc123-svc.${NS}.svc.cluster.local:60000/api/conversations/c1/events/search?limit=5`);
    assert.equal(call.publicHost, `abc123.${D}`);
    assert.deepEqual(call.headers, { "x-session-api-key": "sk" });
    assert.equal(parseEnvelope(domains, { ...ok, host: `http://abc123.${D}` }, { sandboxService: service }).target.host, `openhands-runtime-abc123-svc.${NS}.svc.cluster.local:60000`);
  });

  it("refuses VS Code and worker hosts with 403, saying why", () => {
    assert.deepEqual(refusal({ ...ok, host: `https://vscode-abc123.${D}` }), { status: 403, message: `host: vscode-abc123.${D} is a sandbox's VS Code host; the cloud proxy only reaches agent servers (<sandbox>.${D})` });
    assert.deepEqual(refusal({ ...ok, host: `https://work-1-abc123.${D}` }), { status: 403, message: `host: work-1-abc123.${D} is a sandbox's worker host; the cloud proxy only reaches agent servers (<sandbox>.${D})` });
    assert.equal(refusal({ ...ok, host: `https://work-2-abc123.${D}` }).status, 403);
  });

  it("refuses the domain itself and deeper names with 403", () => {
    const expected = (host: string) => ({ status: 403, message: `host: ${host} is not a sandbox host; use <sandbox>.<domain>, one label under the sandbox domain (${D}, alt.example.com:8443)` });
    assert.deepEqual(refusal({ ...ok, host: `https://${D}` }), expected(D));
    assert.deepEqual(refusal({ ...ok, host: `https://a.b.${D}` }), expected(`a.b.${D}`));
  });

  it("keeps the other checks", () => {
    assert.match(refusal({ ...ok, host: "http://169.254.169.254" }).message, /is not under the sandbox domain/);
    assert.equal(refusal({ ...ok, host: `https://u:p@abc.${D}` }).status, 400);
    assert.equal(refusal({ ...ok, path: "/api/../admin" }).status, 400);
    assert.equal(refusal({ ...ok, path: "/vscode/" }).status, 400);
    assert.throws(() => parseEnvelope([], ok, { sandboxService: service }), (e: unknown) => e instanceof CloudProxyRefusal && e.status === 404);
  });

  it("leaves hosts alone without a namespace, as before", () => {
    assert.equal(parseEnvelope(domains, { ...ok, host: `https://vscode-abc.${D}` }).target.href, `https://vscode-abc.${D}/api/conversations/c1/events/count`);
    assert.equal(parseEnvelope(domains, { ...ok, host: `https://a.b.${D}` }).target.host, `a.b.${D}`);
  });
});

describe("the gateway rewriting the app's answers", () => {
  const CAP = 4096;
  const json = (o: unknown) => JSON.stringify(o);
  const sandbox = { conversation_url: `${inCluster("abc123")}/api/conversations/0f3a`, session_api_key: "sess-1", exposed_urls: [{ name: "AGENT_SERVER", url: inCluster("abc123") }] };
  const big = json({ url: inCluster("abc123"), pad: "x".repeat(CAP) });
  const gz = gzipSync(json(sandbox));
  let app: Awaited<ReturnType<typeof fakeUpstream>>;
  let gw: Gateway;
  let url = "";
  const log = captureLogger();
  const upgraded = new Set<Duplex>();
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${url}${p}`, { headers: { ...AUTH, ...headers }, redirect: "manual" });

  before(async () => {
    app = await fakeUpstream((req, res) => {
      const send = (type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
        const buf = Buffer.from(body);
        res.writeHead(200, { "content-type": type, "content-length": String(buf.length), ...extra }).end(buf);
        return true;
      };
      switch (req.url) {
        case "/api/v1/app-conversations/search":
          return send("application/json", json({ items: [sandbox], next_page_id: null }));
        case "/api/vnd":
          return send("application/vnd.openhands+json; charset=utf-8", json(sandbox));
        case "/api/chunked":
          res.writeHead(200, { "content-type": "application/json" });
          res.write(`{"a":"${inCluster("abc123")}",`);
          res.end(`"b":"${inCluster("def", "vscode-")}/"}`);
          return true;
        case "/api/text":
          return send("text/plain", inCluster("abc123"));
        case "/api/html":
          return send("text/html; charset=utf-8", `<a href="${inCluster("abc123")}">x</a>`);
        case "/api/big":
          return send("application/json", big);
        case "/api/big-chunked":
          res.writeHead(200, { "content-type": "application/json" });
          res.write(big.slice(0, 3000));
          res.end(big.slice(3000));
          return true;
        case "/api/gzip":
          return send("application/json", gz, { "content-encoding": "gzip" });
        case "/api/latin1":
          return send("application/json; charset=iso-8859-1", json(sandbox));
        case "/api/redirect":
          res.writeHead(307, { location: `${inCluster("abc123")}/api/conversations/0f3a`, "content-type": "application/json", "content-length": "2" }).end("{}");
          return true;
        default:
          return false;
      }
    });
    app.server.on("upgrade", (req: IncomingMessage, socket: Duplex) => {
      upgraded.add(socket);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Url: ${inCluster("abc123")}${req.url}\r\n\r\n`);
      socket.on("data", (d: Buffer) => socket.write(d));
    });
    ({ gateway: gw, url } = await gatewayWith(CANVAS, { OPENHANDS_APP_URL: app.url, GATEWAY_SANDBOX_DOMAIN: D, GATEWAY_SANDBOX_NAMESPACE: NS }, { rewriteMaxBytes: CAP, log }));
  });
  after(async () => {
    await gw.shutdown(100);
    for (const s of upgraded) s.destroy();
    await app.close();
  });

  it("rewrites JSON answers and sends their new length", async () => {
    const r = await get("/api/v1/app-conversations/search");
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.equal(r.headers.get("content-length"), String(Buffer.byteLength(text)));
    const body = JSON.parse(text);
    assert.equal(body.items[0].conversation_url, `https://abc123.${D}/api/conversations/0f3a`);
    assert.equal(body.items[0].exposed_urls[0].url, `https://abc123.${D}`);
    assert.equal(body.items[0].session_api_key, "sess-1");
  });

  it("asks the app for an unencoded body", async () => {
    await get("/api/v1/app-conversations/search", { "accept-encoding": "gzip, br" });
    assert.equal(app.seen.at(-1)?.headers["accept-encoding"], "identity");
  });

  it("rewrites +json types and chunked answers too", async () => {
    const vnd = await get("/api/vnd");
    assert.equal(((await vnd.json()) as { conversation_url: string }).conversation_url, `https://abc123.${D}/api/conversations/0f3a`);
    const chunked = await get("/api/chunked");
    const text = await chunked.text();
    assert.deepEqual(JSON.parse(text), { a: `https://abc123.${D}`, b: `https://vscode-def.${D}/` });
    assert.equal(chunked.headers.get("content-length"), String(Buffer.byteLength(text)));
  });

  it("rewrites the Location header", async () => {
    const r = await get("/api/redirect");
    assert.equal(r.status, 307);
    assert.equal(r.headers.get("location"), `https://abc123.${D}/api/conversations/0f3a`);
  });

  it("never touches answers that are not JSON", async () => {
    assert.equal(await (await get("/api/text")).text(), inCluster("abc123"));
    assert.equal(await (await get("/api/html")).text(), `<a href="${inCluster("abc123")}">x</a>`);
  });

  it("passes bodies over the cap through unchanged, with a warning", async () => {
    const before = log.lines.length;
    const r = await get("/api/big");
    assert.equal(await r.text(), big);
    assert.equal(r.headers.get("content-length"), String(big.length));
    const chunked = await get("/api/big-chunked");
    assert.equal(await chunked.text(), big);
    const warns = log.lines.slice(before).filter((l) => l.msg === "sandbox URLs not rewritten");
    assert.deepEqual(
      warns.map((w) => [w.level, w.fields.path, w.fields.reason]),
      [
        ["warn", "/api/big", `the body is larger than ${CAP} bytes (${big.length})`],
        ["warn", "/api/big-chunked", `the body is larger than ${CAP} bytes`],
      ],
    );
  });

  it("passes an encoded or non-UTF-8 body through unchanged, with a warning", async () => {
    const before = log.lines.length;
    assert.deepEqual(await (await get("/api/gzip")).json(), sandbox, "the app's gzip is passed on as it is");
    assert.deepEqual(await (await get("/api/latin1")).json(), sandbox);
    assert.deepEqual(
      log.lines.slice(before).filter((l) => l.msg === "sandbox URLs not rewritten").map((l) => l.fields.reason),
      ["the body is encoded (gzip)", "the body is not UTF-8 (iso-8859-1)"],
    );
  });

  it("does not rewrite WebSocket traffic", async () => {
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect(gw.port, "127.0.0.1", () => s.write(`GET /api/socket HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`));
      let out = "";
      s.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("\r\n\r\n") && !out.includes("payload:")) s.write(`payload:${inCluster("abc123")}`);
        if (out.includes(`payload:${inCluster("abc123")}`)) s.destroy();
      });
      s.on("close", () => resolve(out));
      s.setTimeout(3000, () => s.destroy());
    });
    assert.match(answer, /^HTTP\/1\.1 101 /);
    assert.ok(answer.includes(`X-Url: ${inCluster("abc123")}/api/socket`), answer);
    assert.ok(answer.includes(`payload:${inCluster("abc123")}`), answer);
  });

  it("rewrites nothing without GATEWAY_SANDBOX_NAMESPACE", async () => {
    const plain = await gatewayWith(CANVAS, { OPENHANDS_APP_URL: app.url, GATEWAY_SANDBOX_DOMAIN: D });
    const r = await fetch(`${plain.url}/api/v1/app-conversations/search`, { headers: { ...AUTH, "accept-encoding": "gzip" } });
    assert.equal(((await r.json()) as { items: Array<{ conversation_url: string }> }).items[0].conversation_url, sandbox.conversation_url);
    assert.equal(app.seen.at(-1)?.headers["accept-encoding"], "gzip", "the client's accept-encoding goes on as before");
    await plain.gateway.shutdown(100);
  });
});

describe("cloud-proxy to the sandbox's Service through the gateway", () => {
  let sandbox: Awaited<ReturnType<typeof fakeUpstream>>;
  let gw: Gateway;
  let url = "";
  const asked: string[] = [];
  const post = (envelope: unknown) => fetch(`${url}/api/cloud-proxy`, { method: "POST", headers: { "content-type": "application/json", ...AUTH }, body: JSON.stringify(envelope) });

  before(async () => {
    sandbox = await fakeUpstream();
    ({ gateway: gw, url } = await gatewayWith(
      CANVAS,
      { GATEWAY_SANDBOX_DOMAIN: D, GATEWAY_SANDBOX_NAMESPACE: NS },
      {
        sandboxService: (s) => {
          asked.push(s);
          return new URL(sandbox.url);
        },
      },
    ));
  });
  after(async () => {
    await gw.shutdown(100);
    await sandbox.close();
  });

  it("sends https://<s>.<domain> calls to the Service of <s>", async () => {
    const r = await post({ host: `https://abc123.${D}`, method: "GET", path: "/api/conversations/c1/events/count", headers: { "X-Session-API-Key": "sk" } });
    assert.equal(r.status, 200);
    assert.deepEqual(asked, ["abc123"]);
    assert.equal(sandbox.seen.at(-1)?.url, "/api/conversations/c1/events/count");
    assert.equal(sandbox.seen.at(-1)?.headers["x-session-api-key"], "sk");
  });

  it("refuses a VS Code host with 403 and a reason, without contacting anything", async () => {
    const before = sandbox.seen.length;
    const r = await post({ host: `https://vscode-abc123.${D}`, method: "GET", path: "/api/x" });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as { detail: string }).detail, /VS Code host; the cloud proxy only reaches agent servers/);
    assert.equal(sandbox.seen.length, before);
    assert.deepEqual(asked, ["abc123"]);
  });
});
