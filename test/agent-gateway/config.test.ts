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
    assert.equal(c.sandboxNamespace, undefined);
    assert.equal(c.llmDefaults, undefined);
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

describe("gateway config: sandbox namespace", () => {
  it("takes the namespace with a sandbox domain", () => {
    assert.equal(parseConfig(baseEnv(canvas, { GATEWAY_SANDBOX_DOMAIN: "sandboxes.example.com", GATEWAY_SANDBOX_NAMESPACE: "openhands-sandboxes" })).sandboxNamespace, "openhands-sandboxes");
  });

  it("needs GATEWAY_SANDBOX_DOMAIN, naming both keys", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_SANDBOX_NAMESPACE: "openhands-sandboxes" })), [
      "GATEWAY_SANDBOX_NAMESPACE: set, but GATEWAY_SANDBOX_DOMAIN is not; set GATEWAY_SANDBOX_DOMAIN to the sandboxes' public domain (their URLs are rewritten to it)",
    ]);
  });

  it("rejects a name that is not a namespace, and an IP as the first domain", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_SANDBOX_DOMAIN: "sandboxes.example.com", GATEWAY_SANDBOX_NAMESPACE: "Sandboxes.NS" })), [
      `GATEWAY_SANDBOX_NAMESPACE: "Sandboxes.NS" is not allowed; use a namespace name (lower-case letters, digits and '-', at most 63), e.g. openhands-sandboxes`,
    ]);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_SANDBOX_DOMAIN: "127.0.0.1:8443,sandboxes.example.com", GATEWAY_SANDBOX_NAMESPACE: "openhands-sandboxes" })), [
      'GATEWAY_SANDBOX_NAMESPACE: set, but the first GATEWAY_SANDBOX_DOMAIN entry "127.0.0.1" is an IP address; sandbox URLs are rewritten to <sandbox>.<domain>, so put a domain first',
    ]);
  });
});

describe("gateway config: LLM defaults", () => {
  const MODEL = "openai/qwen2.5-coder:0.5b";
  const BASE = "http://qwen.ollama.svc.cluster.local:11434/v1";

  it("takes model and base URL, the key from the environment or a file", () => {
    assert.deepEqual(parseConfig(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: BASE })).llmDefaults, { model: MODEL, baseUrl: BASE });
    assert.deepEqual(parseConfig(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: BASE, GATEWAY_LLM_API_KEY: "sk-env" })).llmDefaults, { model: MODEL, baseUrl: BASE, apiKey: "sk-env" });
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gw-llm-")), "key");
    fs.writeFileSync(f, "sk-file\n");
    assert.deepEqual(parseConfig(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: BASE, GATEWAY_LLM_API_KEY_FILE: f })).llmDefaults, { model: MODEL, baseUrl: BASE, apiKey: "sk-file" });
  });

  it("wants model and base URL together, naming the missing key", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL })), ["GATEWAY_LLM_BASE_URL: required when GATEWAY_LLM_MODEL is set; use the LLM's http(s) endpoint, e.g. http://qwen.ollama.svc.cluster.local:11434/v1"]);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_BASE_URL: BASE })), ["GATEWAY_LLM_MODEL: required when GATEWAY_LLM_BASE_URL is set; use a LiteLLM model name, e.g. openai/qwen2.5-coder:0.5b"]);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_API_KEY: "sk-x" })), ["GATEWAY_LLM_API_KEY: set, but GATEWAY_LLM_MODEL and GATEWAY_LLM_BASE_URL are not; the key is only seeded with them"]);
  });

  it("wants an http(s) base URL without credentials", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: "ftp://llm/v1" })), ['GATEWAY_LLM_BASE_URL: "ftp://llm/v1" is not allowed; use an http:// or https:// URL, e.g. http://qwen.ollama.svc.cluster.local:11434/v1']);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: "qwen:11434" })), ['GATEWAY_LLM_BASE_URL: "qwen:11434" is not allowed; use an http:// or https:// URL, e.g. http://qwen.ollama.svc.cluster.local:11434/v1']);
    const p = problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: "https://u:sk-secret@llm.example.com/v1" }));
    assert.deepEqual(p, ["GATEWAY_LLM_BASE_URL: credentials in the URL are not allowed; put the key in GATEWAY_LLM_API_KEY_FILE"]);
    assert.ok(!p.join("").includes("sk-secret"));
  });

  it("names a bad model, an unreadable or empty key file, and both key sources", () => {
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: "my model", GATEWAY_LLM_BASE_URL: BASE })), ['GATEWAY_LLM_MODEL: "my model" is not allowed; use a LiteLLM model name without spaces, e.g. openai/qwen2.5-coder:0.5b']);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: BASE, GATEWAY_LLM_API_KEY_FILE: "/nonexistent/key" })), ["GATEWAY_LLM_API_KEY_FILE: cannot read /nonexistent/key: ENOENT"]);
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gw-llm-")), "key");
    fs.writeFileSync(empty, "\n");
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: BASE, GATEWAY_LLM_API_KEY_FILE: empty })), [`GATEWAY_LLM_API_KEY_FILE: ${empty} is empty`]);
    assert.deepEqual(problems(baseEnv(canvas, { GATEWAY_LLM_MODEL: MODEL, GATEWAY_LLM_BASE_URL: BASE, GATEWAY_LLM_API_KEY: "sk-a", GATEWAY_LLM_API_KEY_FILE: empty })), ["GATEWAY_LLM_API_KEY and GATEWAY_LLM_API_KEY_FILE: both set; use one"]);
  });
});
