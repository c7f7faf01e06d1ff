import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, parseConfig } from "../../agent-gateway/src/config";
import { baseEnv, fakeCanvasDir, TOKEN } from "./fixtures";

const canvas = fakeCanvasDir();
const problems = (env: NodeJS.ProcessEnv): string[] => {
  try {
    parseConfig(env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  return [];
};

describe("gateway config", () => {
  it("takes defaults for everything but the app URL and the token", () => {
    const c = parseConfig({ OPENHANDS_APP_URL: "http://openhands-app:3000/", GATEWAY_TOKEN: TOKEN, GATEWAY_CANVAS_DIR: canvas });
    assert.equal(c.appUrl.href, "http://openhands-app:3000/");
    assert.equal(c.port, 8080);
    assert.equal(c.host, "0.0.0.0");
    assert.deepEqual(c.auth, { mode: "bearer", tokens: [TOKEN], identityHeader: "x-auth-request-email", cookieSecure: true, sessionSeconds: 43_200 });
    assert.deepEqual(c.corsOrigins, []);
    assert.deepEqual(c.sandboxDomains, []);
    assert.equal(c.canvasTelemetry, false);
    assert.equal(c.publicUrl, undefined);
    assert.equal(c.shutdownSeconds, 20);
  });

  it("reads one token a line from the token file (rotation)", () => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gw-token-")), "token");
    fs.writeFileSync(f, `${TOKEN}\n${TOKEN}-next\n\n`);
    assert.deepEqual(parseConfig({ ...baseEnv(canvas), GATEWAY_TOKEN: undefined, GATEWAY_TOKEN_FILE: f }).auth.tokens, [TOKEN, `${TOKEN}-next`]);
  });

  it("reports every problem at once, each naming the key", () => {
    const p = problems({ GATEWAY_AUTH_MODE: "basic", GATEWAY_PORT: "70000", LOG_LEVEL: "loud", GATEWAY_CANVAS_DIR: "/nonexistent" });
    assert.deepEqual(p, [
      "OPENHANDS_APP_URL: required; the sandbox server's URL, e.g. http://openhands-app:3000",
      'GATEWAY_AUTH_MODE: "basic" is not allowed; use one of bearer, oidc-header, none',
      "GATEWAY_CANVAS_DIR: /nonexistent has no index.html; point it at @openhands/agent-canvas's build/",
      'LOG_LEVEL: "loud" is not allowed; use one of debug, info, warn, error',
      'GATEWAY_PORT: "70000" is not allowed; use an integer from 0 to 65535',
    ]);
  });

  it("requires a token in bearer mode", () => {
    assert.deepEqual(problems({ ...baseEnv(canvas), GATEWAY_TOKEN: undefined }), ["GATEWAY_TOKEN_FILE: required in bearer mode (or GATEWAY_TOKEN); the file holds one token a line"]);
  });

  it("rejects a short token without echoing it", () => {
    const p = problems(baseEnv(canvas, { GATEWAY_TOKEN: "short-secret" }));
    assert.deepEqual(p, ["GATEWAY_TOKEN_FILE: a token of 12 characters is not allowed; use at least 16"]);
    assert.ok(!p.join("").includes("short-secret"));
  });

  it("names an unreadable token file", () => {
    assert.deepEqual(problems({ ...baseEnv(canvas), GATEWAY_TOKEN: undefined, GATEWAY_TOKEN_FILE: "/nonexistent/token" }), ["GATEWAY_TOKEN_FILE: cannot read /nonexistent/token: ENOENT", "GATEWAY_TOKEN_FILE: required in bearer mode (or GATEWAY_TOKEN); the file holds one token a line"]);
  });

  it("refuses a token when the mode does not check it", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_AUTH_MODE: "oidc-header" })), ['GATEWAY_TOKEN: set, but GATEWAY_AUTH_MODE is "oidc-header"; tokens are only checked in bearer mode']);
  });

  it("takes the OIDC identity header in oidc-header mode", () => {
    const c = parseConfig({ ...baseEnv(canvas), GATEWAY_TOKEN: undefined, GATEWAY_AUTH_MODE: "oidc-header", GATEWAY_IDENTITY_HEADER: "X-Forwarded-Email" });
    assert.equal(c.auth.mode, "oidc-header");
    assert.equal(c.auth.identityHeader, "x-forwarded-email");
  });

  it("rejects an app URL that is not http(s) or carries a query", () => {
    assert.deepEqual(problems(baseEnv(canvas, { OPENHANDS_APP_URL: "ftp://app" })), ['OPENHANDS_APP_URL: "ftp://app" is not allowed; use an http:// or https:// URL']);
    assert.deepEqual(problems(baseEnv(canvas, { OPENHANDS_APP_URL: "http://app/?x=1" })), ['OPENHANDS_APP_URL: "http://app/?x=1" is not allowed; use a URL without query or fragment']);
    assert.deepEqual(problems(baseEnv(canvas, { OPENHANDS_APP_URL: "not a url" })), ['OPENHANDS_APP_URL: "not a url" is not a URL; use e.g. http://openhands-app:3000']);
  });

  it("accepts CORS origins only as scheme://host[:port]", () => {
    assert.deepEqual(parseConfig(baseEnv(canvas, { GATEWAY_CORS_ORIGINS: "https://canvas.example.com, http://localhost:3001" })).corsOrigins, ["https://canvas.example.com", "http://localhost:3001"]);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_CORS_ORIGINS: "https://canvas.example.com/app,*" })), [
      'GATEWAY_CORS_ORIGINS: "https://canvas.example.com/app" is not an origin; use scheme://host[:port], e.g. https://canvas.example.com',
      'GATEWAY_CORS_ORIGINS: "*" is not an origin; use scheme://host[:port], e.g. https://canvas.example.com',
    ]);
  });

  it("parses sandbox domains with an optional port", () => {
    assert.deepEqual(parseConfig(baseEnv(canvas, { GATEWAY_SANDBOX_DOMAIN: "Sandboxes.Example.com,127.0.0.1:8443" })).sandboxDomains, [{ host: "sandboxes.example.com" }, { host: "127.0.0.1", port: 8443 }]);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_SANDBOX_DOMAIN: "https://sandboxes.example.com" })), ['GATEWAY_SANDBOX_DOMAIN: "https://sandboxes.example.com" is not allowed; use a domain such as sandboxes.example.com (optionally :port)']);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_SANDBOX_DOMAIN: ".example.com" })), ['GATEWAY_SANDBOX_DOMAIN: ".example.com" is not allowed; use a domain such as sandboxes.example.com (optionally :port)']);
  });

  it("reduces the public URL to its origin and rejects non-URLs", () => {
    assert.equal(parseConfig(baseEnv(canvas, { GATEWAY_PUBLIC_URL: "https://agents.example.com/" })).publicUrl, "https://agents.example.com");
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_PUBLIC_URL: "agents.example.com" })), ['GATEWAY_PUBLIC_URL: "agents.example.com" is not allowed; use the origin browsers open, e.g. https://agents.example.com']);
  });

  it("rejects a boolean that is not true or false", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_COOKIE_SECURE: "maybe" })), ['GATEWAY_COOKIE_SECURE: "maybe" is not allowed; use true or false']);
  });
});
