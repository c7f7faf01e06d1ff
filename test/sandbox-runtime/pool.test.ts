import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSpec } from "../../sandbox-runtime/src/config";
import { adopt, maintainPools, poolFor, warmRuntimeConfigs } from "../../sandbox-runtime/src/pool";
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
