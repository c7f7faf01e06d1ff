import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig as parseGatewayConfig } from "../../agent-gateway/src/config";
import {
  appSandboxSpec,
  gatewayContainer,
  publicUrl,
  resolveSandbox,
  runtimeConfig,
  runtimeContainer,
  SECRETS,
  serverContainer,
  SERVICES,
  serviceUrl,
} from "../../components/openhands";
import { parseConfig as parseRuntimeConfig } from "../../sandbox-runtime/src/config";
import { platformSchema } from "../../config/schema";
import { appStartBody } from "../sandbox-runtime/fixtures";

/*
 * The agent platform's workloads as the program renders them, checked by the services' own
 * config parsers (sandbox-runtime/src/config.ts, agent-gateway/src/config.ts): what the
 * program writes is what the services accept.
 */

const s = platformSchema.shape.openhands.parse({ enabled: true });
const sandbox = resolveSandbox(s.sandbox, { domain: "localhost", ingressClass: "contour", defaultStorageClass: "standard" });
// (the default sandbox domain: sandboxes.localhost)
const env = (c: { env?: unknown }) => Object.fromEntries((c.env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [e.name, e.value ?? e.valueFrom]));
const llm = { model: "qwen2.5-coder:0.5b", endpoint: "http://qwen.ollama.svc.cluster.local:11434/v1" };

describe("the sandbox runtime's config", () => {
  const config = runtimeConfig({ sandbox, runtime: s.runtime, webUrl: publicUrl("localhost"), ingressAnnotations: { "projectcontour.io/websocket-routes": "/" } });

  it("is accepted by the runtime service's own parser, with the contract's values", () => {
    const c = parseRuntimeConfig(JSON.parse(JSON.stringify(config)), { SANDBOX_RUNTIME_API_KEY: "k".repeat(32) }, "pod-0");
    assert.equal(c.namespace, "openhands-sandboxes");
    assert.equal(c.domain, "sandboxes.localhost");
    assert.equal(c.ingress.tlsSecretName, "sandbox-wildcard-tls");
    assert.equal(c.ingress.className, "contour");
    assert.deepEqual(c.workspace, { size: "2Gi", storageClassName: "standard", mountPath: "/workspace" });
    assert.equal(c.resources.requests.cpu, "1");
    assert.equal(c.resources.limits.memory, "2Gi");
    assert.equal(c.idle.pauseAfterSeconds, 3600);
    assert.equal(c.probe.via, "service");
    assert.deepEqual(c.warmPools, []);
  });

  it("answers sandboxes at their in-cluster Service and calls the server back inside the cluster", () => {
    assert.equal(config.urlTemplate, "http://{runtimeId}-svc.{namespace}.svc.cluster.local:60000");
    assert.deepEqual(config.environment, {
      OH_WEBHOOKS_0_BASE_URL: "http://openhands-app.openhands.svc.cluster.local:3000/api/v1/webhooks",
      OH_ALLOW_CORS_ORIGINS_0: "https://openhands.localhost",
      LITELLM_LOCAL_MODEL_COST_MAP: "True",
    });
  });

  it("builds its warm template as the sandbox server's observed /start body (test/sandbox-runtime/fixtures.ts), minus the session and the test app's own LLM_* variables", () => {
    const observed = appStartBody();
    const { session_id: _session, ...rest } = observed;
    void _session;
    const env = { ...(rest.environment as Record<string, string>) };
    for (const k of Object.keys(env)) if (k.startsWith("LLM_")) delete env[k];
    assert.deepEqual(appSandboxSpec("https://openhands.localhost"), { ...rest, environment: env });
  });

  it("keeps a warm pool of the sandbox server's own /start spec when asked", () => {
    const warm = runtimeConfig({ sandbox, runtime: { ...s.runtime, warmSandboxes: 2 }, webUrl: "https://openhands.agents.example.com", ingressAnnotations: {} });
    const c = parseRuntimeConfig(JSON.parse(JSON.stringify(warm)), { SANDBOX_RUNTIME_API_KEY: "k".repeat(32) }, "pod-0");
    assert.equal(c.warmPools.length, 1);
    assert.equal(c.warmPools[0].size, 2);
    assert.equal(c.warmPools[0].template.image, "ghcr.io/openhands/agent-server:1.34.0-python");
    // A public web URL: the app adds its webhook and CORS variables to the spec.
    assert.equal((appSandboxSpec("https://openhands.agents.example.com").environment as Record<string, string>).OH_WEBHOOKS_0_BASE_URL, "https://openhands.agents.example.com/api/v1/webhooks");
    assert.equal((appSandboxSpec("https://openhands.localhost").environment as Record<string, string>).OH_WEBHOOKS_0_BASE_URL, undefined);
  });
});

describe("the gateway's environment", () => {
  const files: Record<string, string> = { "/var/run/secrets/gateway/tokens": "t".repeat(40), "/var/run/secrets/openhands-app/session-api-key": "s".repeat(48) };
  const parse = (e: Record<string, unknown>) => parseGatewayConfig(e as NodeJS.ProcessEnv, (p) => files[p] ?? assert.fail(`read ${p}`));

  it("is accepted by the gateway's own parser: Canvas locked to openhands.<domain>, the app behind it", () => {
    const c = parse(env(gatewayContainer({ image: "g:1", domain: "localhost", sandbox, gateway: s.gateway, llm })));
    assert.equal(c.appUrl.toString(), "http://openhands-app.openhands.svc.cluster.local:3000/");
    assert.equal(c.publicUrl, "https://openhands.localhost");
    assert.equal(c.auth.mode, "bearer");
    assert.deepEqual(c.auth.tokens, ["t".repeat(40)]);
    assert.equal(c.appSessionApiKey, "s".repeat(48));
    assert.equal(c.sandboxNamespace, "openhands-sandboxes");
    assert.equal(c.sandboxDomains[0].host, "sandboxes.localhost");
    assert.equal(c.llmDefaults?.model, "openai/qwen2.5-coder:0.5b");
    assert.equal(c.llmDefaults?.baseUrl, llm.endpoint);
  });

  it("takes the OIDC proxy's header in oidc-header mode, with no token file", () => {
    const e = env(gatewayContainer({ image: "g:1", domain: "localhost", sandbox, gateway: { ...s.gateway, auth: "oidc-header", identityHeader: "x-forwarded-email" }, llm }));
    assert.equal(e.GATEWAY_TOKEN_FILE, undefined);
    const c = parse(e);
    assert.equal(c.auth.mode, "oidc-header");
    assert.equal(c.auth.identityHeader, "x-forwarded-email");
  });
});

describe("the sandbox server's container", () => {
  it("runs RUNTIME=remote against our runtime, with its keys from Secrets and its state on the volume", () => {
    const e = env(serverContainer({ image: "s:1", domain: "localhost", database: { kind: "sqlite" }, resources: s.server.resources }));
    assert.equal(e.RUNTIME, "remote");
    assert.equal(e.SANDBOX_REMOTE_RUNTIME_API_URL, serviceUrl(SERVICES.runtime));
    assert.equal(e.OH_PERSISTENCE_DIR, "/data");
    assert.equal(e.OH_WEB_URL, "https://openhands.localhost");
    assert.equal(e.AGENT_SERVER_IMAGE_TAG, "1.34.0-python");
    assert.deepEqual(e.SANDBOX_API_KEY, { secretKeyRef: { name: SECRETS.runtimeApiKey.name, key: SECRETS.runtimeApiKey.key } });
    assert.deepEqual(e.SESSION_API_KEY, { secretKeyRef: { name: SECRETS.serverSessionKey.name, key: SECRETS.serverSessionKey.key } });
    assert.equal(e.DB_HOST, undefined);
  });
});

describe("secrets in the workloads", () => {
  const containers = [
    serverContainer({ image: "s:1", domain: "d", database: { kind: "postgres", host: "h", port: 5432, database: "openhands", user: "openhands", passwordSecret: { name: "p", key: "password" } }, resources: s.server.resources }),
    runtimeContainer({ image: "r:1", resources: s.runtime.resources }),
    gatewayContainer({ image: "g:1", domain: "d", sandbox, gateway: s.gateway, llm }),
  ];
  it("never puts a key, token or password in a plain env value (Ollama's ignored LLM key is the one named exception)", () => {
    for (const c of containers) {
      for (const e of c.env as { name: string; value?: string }[]) {
        if (!/KEY|TOKEN|PASS|SECRET/.test(e.name) || e.name.endsWith("_FILE")) continue;
        if (e.name === "GATEWAY_LLM_API_KEY") {
          assert.equal(e.value, "ollama");
          continue;
        }
        assert.equal(e.value, undefined, `${c.name} ${e.name} is a plain value`);
      }
    }
  });

  it("runs every container hardened: no privilege escalation, all capabilities dropped, read-only root", () => {
    for (const c of containers) {
      assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } }, String(c.name));
      assert.ok((c.resources as { requests: object }).requests, String(c.name));
    }
  });
});
