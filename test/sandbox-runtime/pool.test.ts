import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSpec } from "../../sandbox-runtime/src/config";
import type { KubeObject } from "../../sandbox-runtime/src/kube";
import { adopt, maintainPools, poolFor, warmRuntimeConfigs } from "../../sandbox-runtime/src/pool";
import { podSpecHash, specHash } from "../../sandbox-runtime/src/spec";
import { appStartBody, harness, NS, READY } from "./fixtures";

const template = () => {
  const b = appStartBody();
  delete b.session_id;
  return b;
};
const spec = (over: Record<string, unknown> = {}) => readSpec(appStartBody("AbCdEfGhIjKlMnOpQrStUv", over), "body", [], 10001, 4);
const pools = (size = 2) => ({ warmPools: [{ name: "default", size, template: template() }] });
const warmAnchors = (h: ReturnType<typeof harness>) => h.kube.all("secrets").filter((s) => s.metadata.labels?.["openhands.ai/role"] === "warm");

describe("warm pools", () => {
  it("starts the configured number of warm sandboxes, without Ingress or session", async () => {
    const h = harness(pools(2));
    await maintainPools(h.sandboxes);
    assert.equal(warmAnchors(h).length, 2);
    assert.equal(h.kube.all("pods").length, 2);
    assert.equal(h.kube.all("persistentvolumeclaims").length, 2);
    assert.equal(h.kube.all("ingresses").length, 0);
    for (const p of h.kube.all("pods")) {
      assert.match(p.metadata.name, /^openhands-runtime-warm-[0-9a-f]{10}$/);
      assert.equal(p.metadata.labels?.["openhands.ai/session-id"], undefined);
    }
    await maintainPools(h.sandboxes);
    assert.equal(warmAnchors(h).length, 2, "a second pass changes nothing");
  });

  it("adopts only for a spec equal to the template: image, command, every env value", () => {
    const c = harness(pools()).config;
    assert.equal(poolFor(c.warmPools, spec())?.name, "default");
    assert.equal(poolFor(c.warmPools, spec({ image: "ghcr.io/openhands/agent-server:1.35.0-python" })), undefined);
    assert.equal(poolFor(c.warmPools, spec({ command: ["/usr/local/bin/openhands-agent-server", "--port", "60001"] })), undefined);
    assert.equal(poolFor(c.warmPools, spec({ environment: { ...(appStartBody().environment as object), LLM_API_KEY: "another-key" } })), undefined, "a warm pod cannot take new env");
    assert.equal(poolFor(c.warmPools, spec({ resource_factor: 2 })), undefined);
    assert.equal(poolFor(harness(pools(0)).config.warmPools, spec()), undefined, "a pool of size 0 adopts nothing");
  });

  it("hands a ready warm sandbox to a /start: relabelled, its key returned, an Ingress for the session", async () => {
    const h = harness(pools(2));
    await maintainPools(h.sandboxes);
    const [first, second] = h.kube.all("pods");
    h.kube.setPodStatus(NS, second.metadata.name, READY);
    const r = await h.sandboxes.start(appStartBody("AbCdEfGhIjKlMnOpQrStUv"), (s, sid) => adopt(h.sandboxes, s, sid));
    assert.equal(r.runtime_id, second.metadata.name, "the Ready one is preferred");
    assert.equal(r.status, "running", "a ready warm pod is running as soon as its route answers");
    const anchor = h.kube.all("secrets").find((s) => s.metadata.name === `${second.metadata.name}-key`);
    assert.equal(Buffer.from(anchor?.data["session-api-key"], "base64").toString(), r.session_api_key);
    assert.equal(anchor?.metadata.labels?.["openhands.ai/role"], "session");
    assert.equal(anchor?.metadata.labels?.["openhands.ai/session-id"], "abcdefghijklmnopqrstuv");
    assert.equal(h.kube.all("pods").find((p) => p.metadata.name === second.metadata.name)?.metadata.labels?.["openhands.ai/session-id"], "abcdefghijklmnopqrstuv");
    assert.deepEqual(h.kube.names("ingresses"), ["openhands-runtime-abcdefghijklmnopqrstuv-ingress-code"]);
    assert.equal(h.kube.all("ingresses")[0].spec.rules[0].http.paths[0].backend.service.name, `${second.metadata.name}-svc`);
    const warmPart = second.metadata.name.replace(/^openhands-runtime-/, "");
    assert.deepEqual(
      h.kube.all("ingresses")[0].spec.rules.map((x: { host: string }) => x.host),
      ["abcdefghijklmnopqrstuv", "vscode-abcdefghijklmnopqrstuv", "work-1-abcdefghijklmnopqrstuv", "work-2-abcdefghijklmnopqrstuv", warmPart, `vscode-${warmPart}`, `work-1-${warmPart}`, `work-2-${warmPart}`].map((x) => `${x}.sandbox.example.com`),
      "the session's hosts and the runtime id's",
    );
    assert.equal(h.metrics.adoptions.get({ pool: "default" }), 1);
    assert.equal((await h.sandboxes.get("AbCdEfGhIjKlMnOpQrStUv"))?.runtime_id, second.metadata.name, "found by session label afterwards");
    await maintainPools(h.sandboxes);
    assert.equal(warmAnchors(h).length, 2, "the pool is refilled");
    assert.ok(warmAnchors(h).some((a) => a.metadata.name === `${first.metadata.name}-key`));
  });

  it("creates fresh when the spec differs or the pool is empty", async () => {
    const h = harness(pools(1));
    await maintainPools(h.sandboxes);
    const adoptFn = (s: Parameters<typeof adopt>[1], sid: string) => adopt(h.sandboxes, s, sid);
    const other = await h.sandboxes.start(appStartBody("ZzYyXxWwVvUuTtSsRrQqPp", { environment: { LLM_MODEL: "other" } }), adoptFn);
    assert.equal(other.runtime_id, "openhands-runtime-zzyyxxwwvvuuttssrrqqpp");
    const a = await h.sandboxes.start(appStartBody("AbCdEfGhIjKlMnOpQrStUv"), adoptFn);
    assert.match(a.runtime_id, /warm/);
    const b = await h.sandboxes.start(appStartBody("QqQqQqQqQqQqQqQqQqQqQq"), adoptFn);
    assert.equal(b.runtime_id, "openhands-runtime-qqqqqqqqqqqqqqqqqqqqqq");
  });

  it("gives one warm sandbox to one session when two replicas adopt at once", async () => {
    const h = harness(pools(1));
    await maintainPools(h.sandboxes);
    const adoptFn = (s: Parameters<typeof adopt>[1], sid: string) => adopt(h.sandboxes, s, sid);
    const [a, b] = await Promise.all([h.sandboxes.start(appStartBody("AbCdEfGhIjKlMnOpQrStUv"), adoptFn), h.sandboxes.start(appStartBody("QqQqQqQqQqQqQqQqQqQqQq"), adoptFn)]);
    const warm = [a, b].filter((r) => r.runtime_id.includes("warm"));
    assert.equal(warm.length, 1, `${a.runtime_id} ${b.runtime_id}`);
    assert.notEqual(a.session_api_key, b.session_api_key);
  });

  it("replaces warm sandboxes of an old template and removes those of a removed pool", async () => {
    const h = harness(pools(1));
    await maintainPools(h.sandboxes);
    const old = warmAnchors(h)[0].metadata.name;
    h.config.warmPools[0].template = { ...h.config.warmPools[0].template, image: "ghcr.io/openhands/agent-server:1.35.0-python" };
    await maintainPools(h.sandboxes);
    assert.equal(warmAnchors(h).length, 1);
    assert.notEqual(warmAnchors(h)[0].metadata.name, old);
    assert.equal(h.kube.all("pods")[0].spec.containers[0].image, "ghcr.io/openhands/agent-server:1.35.0-python");
    h.config.warmPools.length = 0;
    await maintainPools(h.sandboxes);
    assert.equal(h.kube.all("secrets").length + h.kube.all("pods").length + h.kube.all("persistentvolumeclaims").length, 0);
  });

  it("lists the templates for the app's dynamic spec service", () => {
    const c = harness(pools(1)).config;
    const out = warmRuntimeConfigs(c.warmPools);
    assert.equal(out.configs[0].name, "default");
    assert.deepEqual(out.configs[0].command, ["/usr/local/bin/openhands-agent-server", "--port", "60000"]);
    assert.equal(out.configs[0].working_dir, "/workspace");
  });
});

describe("config environment overrides and warm sandboxes", () => {
  const PUBLIC_HOOK = "https://openhands.example.com/api/v1/webhooks";
  const hook = (v: string) => `http://openhands-server-${v}.openhands.svc.cluster.local:3000/api/v1/webhooks`;
  /** The app's body with its (public) webhook URL, as openhands-ai 1.11.0 sends it for a non-localhost web URL. */
  const appBody = (sid = "AbCdEfGhIjKlMnOpQrStUv") => appStartBody(sid, { environment: { ...(appStartBody().environment as object), OH_WEBHOOKS_0_BASE_URL: PUBLIC_HOOK } });
  const appTemplate = () => {
    const b = appBody();
    delete b.session_id;
    return b;
  };
  const withEnv = (environment: Record<string, string>, size = 1) => ({ environment, warmPools: [{ name: "default", size, template: appTemplate() }] });
  const envOf = (p: KubeObject | undefined) => Object.fromEntries((p?.spec.containers[0].env as Array<{ name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }>).map((e) => [e.name, e.value ?? `<secret ${e.valueFrom?.secretKeyRef.key}>`]));
  const podNamed = (h: ReturnType<typeof harness>, name: string) => h.kube.all("pods").find((p) => p.metadata.name === name);
  const adoptWith = (h: ReturnType<typeof harness>) => (s: Parameters<typeof adopt>[1], sid: string) => adopt(h.sandboxes, s, sid);

  it("starts warm pods with the overrides and still adopts for the app's request, whose value the override replaces", async () => {
    const h = harness(withEnv({ OH_WEBHOOKS_0_BASE_URL: hook("v1"), GITHUB_TOKEN: "ghp-platform" }));
    await maintainPools(h.sandboxes);
    const [warm] = warmAnchors(h);
    assert.equal(warm.metadata.labels?.["openhands.ai/spec-hash"], podSpecHash(h.config.warmPools[0].template, h.config.environment));
    assert.notEqual(warm.metadata.labels?.["openhands.ai/spec-hash"], specHash(h.config.warmPools[0].template), "the label folds the overrides in");
    const r = await h.sandboxes.start(appBody(), adoptWith(h));
    assert.match(r.runtime_id, /^openhands-runtime-warm-/, "the match is on the request only");
    const env = envOf(podNamed(h, r.runtime_id));
    assert.equal(env.OH_WEBHOOKS_0_BASE_URL, hook("v1"));
    assert.equal(env.GITHUB_TOKEN, "<secret override.GITHUB_TOKEN>");
    assert.ok(!JSON.stringify(h.kube.all("pods")).includes("ghp-platform"));
  });

  it("adopts no warm sandbox of older overrides, and the next sweep replaces them with the new ones", async () => {
    const h = harness(withEnv({ OH_WEBHOOKS_0_BASE_URL: hook("v1") }));
    await maintainPools(h.sandboxes);
    const old = warmAnchors(h)[0].metadata.name;
    h.config.environment = { OH_WEBHOOKS_0_BASE_URL: hook("v2") };
    const r = await h.sandboxes.start(appBody(), adoptWith(h));
    assert.equal(r.runtime_id, "openhands-runtime-abcdefghijklmnopqrstuv", "a fresh sandbox, not the warm one of v1");
    assert.equal(envOf(podNamed(h, r.runtime_id)).OH_WEBHOOKS_0_BASE_URL, hook("v2"));
    await maintainPools(h.sandboxes);
    assert.equal(warmAnchors(h).length, 1);
    assert.notEqual(warmAnchors(h)[0].metadata.name, old);
    assert.equal(envOf(podNamed(h, warmAnchors(h)[0].metadata.name.replace(/-key$/, ""))).OH_WEBHOOKS_0_BASE_URL, hook("v2"));
    h.config.environment = {};
    await maintainPools(h.sandboxes);
    assert.equal(warmAnchors(h)[0].metadata.labels?.["openhands.ai/spec-hash"], specHash(h.config.warmPools[0].template), "without overrides the label is the request's hash, as before");
    assert.equal(envOf(podNamed(h, warmAnchors(h)[0].metadata.name.replace(/-key$/, ""))).OH_WEBHOOKS_0_BASE_URL, PUBLIC_HOOK);
  });

  it("keeps a session pod's environment until it is resumed, even when the pod is recreated", async () => {
    const h = harness({ environment: { OH_WEBHOOKS_0_BASE_URL: hook("v1"), GITHUB_TOKEN: "ghp-v1" } });
    const BASE = "openhands-runtime-abcdefghijklmnopqrstuv";
    await h.sandboxes.start(appBody());
    h.config.environment = { OH_WEBHOOKS_0_BASE_URL: hook("v2"), OH_ALLOW_CORS_ORIGINS_0: "https://openhands.example.com" };
    await h.kube.delete("pods", NS, BASE);
    await h.sandboxes.get("AbCdEfGhIjKlMnOpQrStUv");
    const healed = envOf(podNamed(h, BASE));
    assert.equal(healed.OH_WEBHOOKS_0_BASE_URL, hook("v1"), "a recreated pod gets the overrides recorded on the anchor");
    assert.equal(healed.GITHUB_TOKEN, "<secret override.GITHUB_TOKEN>");
    assert.equal(healed.OH_ALLOW_CORS_ORIGINS_0, undefined);
    await h.sandboxes.pause(BASE);
    await h.sandboxes.resume(BASE);
    const resumed = envOf(podNamed(h, BASE));
    assert.equal(resumed.OH_WEBHOOKS_0_BASE_URL, hook("v2"));
    assert.equal(resumed.OH_ALLOW_CORS_ORIGINS_0, "https://openhands.example.com");
    assert.equal(resumed.GITHUB_TOKEN, undefined, "an override no longer configured is gone");
    assert.equal(resumed.LLM_API_KEY, "<secret env.LLM_API_KEY>", "the request's own variables stay");
    const anchor = h.kube.all("secrets").find((x) => x.metadata.name === `${BASE}-key`) as KubeObject;
    assert.deepEqual(Object.keys(anchor.data).sort(), ["env.LLM_API_KEY", "session-api-key"]);
    const hash = podSpecHash(spec({ environment: { ...(appStartBody().environment as object), OH_WEBHOOKS_0_BASE_URL: PUBLIC_HOOK } }), h.config.environment);
    assert.equal(anchor.metadata.labels?.["openhands.ai/spec-hash"], hash);
    assert.equal(podNamed(h, BASE)?.metadata.labels?.["openhands.ai/spec-hash"], hash);
  });

  it("gives an adopted sandbox's older Ingress the runtime id's hosts on resume", async () => {
    const h = harness(pools(1));
    await maintainPools(h.sandboxes);
    const r = await h.sandboxes.start(appStartBody(), adoptWith(h));
    const [ing] = h.kube.all("ingresses");
    await h.kube.replace("ingresses", NS, { ...ing, spec: { ...ing.spec, rules: ing.spec.rules.slice(0, 4), tls: [{ ...ing.spec.tls[0], hosts: ing.spec.tls[0].hosts.slice(0, 4) }] } });
    await h.sandboxes.pause(r.runtime_id);
    await h.sandboxes.resume(r.runtime_id);
    const hosts = h.kube.all("ingresses")[0].spec.rules.map((x: { host: string }) => x.host);
    assert.equal(hosts.length, 8);
    assert.ok(hosts.includes(`${r.runtime_id.replace(/^openhands-runtime-/, "")}.sandbox.example.com`));
    assert.equal(h.kube.all("ingresses")[0].spec.tls[0].hosts.length, 8);
  });
});
