import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, parseConfig } from "../../sandbox-runtime/src/config";
import { API_KEY, appStartBody } from "./fixtures";

const env = { SANDBOX_RUNTIME_API_KEY: API_KEY };
const problems = (file: unknown, e: Record<string, string> = env): string[] => {
  try {
    parseConfig(file, e, "host");
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return [];
};

describe("sandbox-runtime configuration", () => {
  it("has the documented defaults", () => {
    const c = parseConfig({ domain: "sandbox.example.com" }, env, "host");
    assert.equal(c.namespace, "openhands-sandboxes");
    assert.equal(c.urlTemplate, "https://{session}.{domain}");
    assert.deepEqual(c.resources, { requests: { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" }, limits: { cpu: "2", memory: "4Gi", "ephemeral-storage": "10Gi" } });
    assert.equal(c.workspace.size, "10Gi");
    assert.equal(c.ingress.tlsSecretName, "sandbox-tls");
    assert.deepEqual(c.warmPools, []);
    assert.equal(c.idle.pauseAfterSeconds, 3600);
    assert.equal(c.crash.maxRestarts, 5);
    assert.equal(c.identity, "host");
    assert.deepEqual(c.environment, {});
  });

  it("reads environment overrides as NAME -> string", () => {
    const environment = { OH_WEBHOOKS_0_BASE_URL: "http://openhands-server.openhands.svc.cluster.local:3000/api/v1/webhooks", OH_ALLOW_CORS_ORIGINS_0: "https://openhands.example.com", "my.var-1": "" };
    assert.deepEqual(parseConfig({ domain: "sandbox.example.com", environment }, env, "host").environment, environment);
  });

  it("lets the environment override namespace, domain, port and URL template", () => {
    const c = parseConfig({ domain: "a.example.com" }, { ...env, SANDBOX_RUNTIME_NAMESPACE: "sb", SANDBOX_RUNTIME_DOMAIN: "b.example.com", SANDBOX_RUNTIME_PORT: "9090", SANDBOX_RUNTIME_URL_TEMPLATE: "http://127.0.0.1:1/{runtimeId}", POD_NAME: "rt-0" }, "host");
    assert.deepEqual([c.namespace, c.domain, c.listen.port, c.urlTemplate, c.identity], ["sb", "b.example.com", 9090, "http://127.0.0.1:1/{runtimeId}", "rt-0"]);
  });

  const bad: Array<[string, unknown, Record<string, string>, string]> = [
    ["a missing API key", { domain: "d.example.com" }, {}, "SANDBOX_RUNTIME_API_KEY: required; set the key the app sends as X-API-Key (its SANDBOX_API_KEY); several may be given comma-separated in SANDBOX_RUNTIME_API_KEYS"],
    ["a short API key", { domain: "d.example.com" }, { SANDBOX_RUNTIME_API_KEY: "short" }, "SANDBOX_RUNTIME_API_KEY: a key is shorter than 16 characters; use a random key of at least 16"],
    ["a missing domain", {}, env, "domain (or SANDBOX_RUNTIME_DOMAIN): required; use the DNS domain of the sandbox hosts, e.g. sandbox.example.com"],
    ["an uppercase domain", { domain: "Sandbox.Example.com" }, env, 'domain (or SANDBOX_RUNTIME_DOMAIN): "Sandbox.Example.com" is not allowed; use a lowercase DNS name such as sandbox.example.com'],
    ["a bad quantity", { domain: "d.example.com", resources: { limits: { memory: "4 GB" } } }, env, 'resources.limits.memory: "4 GB" is not allowed; use a Kubernetes quantity such as "500m", "2", "4Gi"'],
    ["an unknown resource", { domain: "d.example.com", resources: { requests: { gpu: "1" } } }, env, "resources.requests.gpu: unknown key; allowed: cpu, memory, ephemeral-storage"],
    ["an unknown top-level key", { domain: "d.example.com", warmpool: [] }, env, "warmpool: unknown key; allowed: listen, namespace, domain, urlTemplate, probe, ingress, workspace, resources, maxResourceFactor, imagePullSecrets, imagePullPolicy, nodeSelector, tolerations, runtimeClass, serviceAccountName, defaultUser, secretEnvPatterns, environment, idle, crash, loopSeconds, leaderElection, warmPools, logLevel, shutdownSeconds"],
    ["an environment that is not an object", { domain: "d.example.com", environment: ["A=b"] }, env, 'environment: ["A=b"] is not an object'],
    ["an environment name that is not one", { domain: "d.example.com", environment: { "1FOO": "x" } }, env, "environment.1FOO: the name is not allowed; use a C identifier-like environment name"],
    ["an environment name with a space", { domain: "d.example.com", environment: { "MY VAR": "x" } }, env, "environment.MY VAR: the name is not allowed; use a C identifier-like environment name"],
    ["an environment value that is not a string", { domain: "d.example.com", environment: { OH_ENABLE_VNC: 0 } }, env, "environment.OH_ENABLE_VNC: 0 is not a string"],
    ["an environment override of the session key", { domain: "d.example.com", environment: { SESSION_API_KEY: "mine" } }, env, "environment.SESSION_API_KEY: the name is not allowed; the service sets OH_SESSION_API_KEYS_0 and SESSION_API_KEY to the session key itself"],
    ["a bad pull policy", { domain: "d.example.com", imagePullPolicy: "always" }, env, 'imagePullPolicy: "always" is not allowed; use one of "Always", "IfNotPresent", "Never"'],
    ["a URL template without the session", { domain: "d.example.com", urlTemplate: "https://x.example.com" }, env, 'urlTemplate (or SANDBOX_RUNTIME_URL_TEMPLATE): "https://x.example.com" is not allowed; use an http(s) URL containing {session} or {runtimeId}, e.g. "https://{session}.{domain}"'],
    ["a negative idle time", { domain: "d.example.com", idle: { pauseAfterSeconds: -1 } }, env, "idle.pauseAfterSeconds: -1 is not allowed; use an integer from 0 to 2592000"],
    ["a bad toleration operator", { domain: "d.example.com", tolerations: [{ key: "a", operator: "In" }] }, env, 'tolerations[0].operator: "In" is not allowed; use "Exists" or "Equal"'],
    ["renew not below the lease", { domain: "d.example.com", leaderElection: { leaseSeconds: 10, renewSeconds: 10 } }, env, "leaderElection.renewSeconds: 10 must be below leaderElection.leaseSeconds (10)"],
    ["a pool without an image", { domain: "d.example.com", warmPools: [{ name: "p", size: 1, template: {} }] }, env, 'warmPools[0].template.image: required; use an image reference such as "ghcr.io/openhands/agent-server:1.34.0-python"'],
    ["two pools with one name", { domain: "d.example.com", warmPools: [{ name: "p", size: 1, template: { image: "i" } }, { name: "p", size: 1, template: { image: "j" } }] }, env, 'warmPools[1].name: "p" is used by another pool; names must be unique'],
    ["a pool too large", { domain: "d.example.com", warmPools: [{ name: "p", size: 1000, template: { image: "i" } }] }, env, "warmPools[0].size: 1000 is not allowed; use an integer from 0 to 100"],
    [
      "another runtime class besides the default",
      { domain: "d.example.com", runtimeClass: { default: "gvisor", allowed: ["gvisor", "sysbox-runc"] } },
      env,
      'runtimeClass.allowed: ["sysbox-runc"] besides runtimeClass.default "gvisor"; with a default every sandbox runs with it, so list no other class (or unset default to let requests pick among allowed)',
    ],
    ["a resource factor over the maximum in a pool", { domain: "d.example.com", warmPools: [{ name: "p", size: 1, template: { image: "i", resource_factor: 9 } }] }, env, "warmPools[0].template.resource_factor: 9 is not allowed; use a number from 0.1 to 4"],
  ];
  for (const [what, file, e, message] of bad) {
    it(`rejects ${what}, naming the key and what is allowed`, () => {
      assert.ok(problems(file, e).includes(message), problems(file, e).join("\n"));
    });
  }

  it("reports every problem at once", () => {
    assert.equal(problems({ domain: "BAD", imagePullPolicy: "x", idle: { pauseAfterSeconds: "1h" } }, {}).length, 4);
  });

  it("reads the file named by SANDBOX_RUNTIME_CONFIG and says when it is not JSON", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "srt-config-"));
    const good = path.join(dir, "good.json");
    fs.writeFileSync(good, JSON.stringify({ domain: "sandbox.example.com", warmPools: [{ name: "default", size: 2, template: appStartBody() }] }));
    const c = loadConfig({ ...env, SANDBOX_RUNTIME_CONFIG: good }, "h");
    assert.equal(c.warmPools[0].size, 2);
    assert.equal(c.warmPools[0].template.environment.LLM_MODEL, "openai/gpt-test");
    const badFile = path.join(dir, "bad.json");
    fs.writeFileSync(badFile, "domain: x");
    assert.throws(() => loadConfig({ ...env, SANDBOX_RUNTIME_CONFIG: badFile }, "h"), /SANDBOX_RUNTIME_CONFIG: cannot read .*bad\.json as JSON/);
  });
});
