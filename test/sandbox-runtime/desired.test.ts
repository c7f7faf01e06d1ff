import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSpec, type SandboxSpec } from "../../sandbox-runtime/src/config";
import { commandFor, desiredIngress, desiredPod, desiredPvc, desiredSecret, desiredServices, runtimeClassFor, type SandboxIdentity } from "../../sandbox-runtime/src/desired";
import type { KubeObject } from "../../sandbox-runtime/src/kube";
import { joinSpec, podSpecHash, specHash } from "../../sandbox-runtime/src/spec";
import { appStartBody, NS, testConfig } from "./fixtures";

const config = testConfig({ ingress: { className: "contour", tlsSecretName: "wildcard-sandbox-tls" } });
const spec = (over: Record<string, unknown> = {}): SandboxSpec => {
  const problems: string[] = [];
  const s = readSpec(appStartBody("AbCdEfGhIjKlMnOpQrStUv", over), "body", problems, 10001, 8);
  assert.deepEqual(problems, []);
  return s;
};
const id: SandboxIdentity = { base: "openhands-runtime-abcdefghijklmnopqrstuv", session: { id: "AbCdEfGhIjKlMnOpQrStUv", part: "abcdefghijklmnopqrstuv" }, specHash: specHash(spec()) };
const anchor: KubeObject = { ...desiredSecret(config, id, spec(), "the-key", new Date("2026-12-01T10:00:00Z")), metadata: { ...desiredSecret(config, id, spec(), "the-key", new Date()).metadata, uid: "uid-anchor" } };
const pod = (s = spec(), c = config) => desiredPod(c, id, s, anchor, 1);
const container = (p: KubeObject) => p.spec.containers[0];
const OWNER = [{ apiVersion: "v1", kind: "Secret", name: "openhands-runtime-abcdefghijklmnopqrstuv-key", uid: "uid-anchor", controller: true, blockOwnerDeletion: true }];

describe("desired objects of a session sandbox", () => {
  const objects: Array<[string, KubeObject]> = [
    ["Pod", pod()],
    ["Service", desiredServices(config, id, anchor)[0]],
    ["Service", desiredServices(config, id, anchor)[1]],
    ["Ingress", desiredIngress(config, id, anchor) as KubeObject],
    ["PersistentVolumeClaim", desiredPvc(config, id, anchor)],
  ];
  const names = ["openhands-runtime-abcdefghijklmnopqrstuv", "openhands-runtime-abcdefghijklmnopqrstuv-svc", "openhands-runtime-abcdefghijklmnopqrstuv-svc-code", "openhands-runtime-abcdefghijklmnopqrstuv-ingress-code", "openhands-runtime-abcdefghijklmnopqrstuv-pvc"];
  objects.forEach(([kind, o], i) => {
    it(`names the ${kind} ${names[i]}, owned by the key Secret, in the sandbox namespace`, () => {
      assert.equal(o.kind, kind);
      assert.equal(o.metadata.name, names[i]);
      assert.equal(o.metadata.namespace, NS);
      assert.deepEqual(o.metadata.ownerReferences, OWNER);
      assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "sandbox-runtime");
      assert.equal(o.metadata.labels?.["openhands.ai/session-id"], "abcdefghijklmnopqrstuv");
      assert.equal(o.metadata.labels?.["openhands.ai/runtime-id"], "openhands-runtime-abcdefghijklmnopqrstuv");
    });
  });

  it("makes the key Secret the anchor: key, secret env, request without secrets, state", () => {
    const s = desiredSecret(config, id, spec(), "the-key", new Date("2026-12-01T10:00:00Z"));
    assert.equal(s.metadata.name, "openhands-runtime-abcdefghijklmnopqrstuv-key");
    assert.equal(s.metadata.ownerReferences, undefined);
    assert.equal(Buffer.from(s.data["session-api-key"], "base64").toString(), "the-key");
    assert.equal(Buffer.from(s.data["env.LLM_API_KEY"], "base64").toString(), "sk-test-llm");
    const request = JSON.parse(s.metadata.annotations?.["openhands.ai/request"] as string);
    assert.deepEqual(request.secret_env, ["LLM_API_KEY"]);
    assert.equal(request.environment.LLM_API_KEY, undefined);
    assert.equal(request.environment.LLM_MODEL, "openai/gpt-test");
    assert.equal(request.image, "ghcr.io/openhands/agent-server:1.34.0-python");
    assert.deepEqual([request.working_dir, request.resource_factor, request.run_as_user, request.run_as_group, request.fs_group], ["/workspace", 1, 10001, 10001, 10001]);
    assert.ok(!JSON.stringify(s.metadata).includes("sk-test-llm"), "no secret value in labels or annotations");
    assert.equal(s.metadata.annotations?.["openhands.ai/session-id"], "AbCdEfGhIjKlMnOpQrStUv");
    assert.equal(s.metadata.annotations?.["openhands.ai/state"], "running");
  });

  it("takes the session key and secret-looking env from the Secret, never as plain values", () => {
    const env = container(pod()).env as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    const ref = (key: string) => ({ secretKeyRef: { name: "openhands-runtime-abcdefghijklmnopqrstuv-key", key } });
    assert.deepEqual(env.find((e) => e.name === "OH_SESSION_API_KEYS_0"), { name: "OH_SESSION_API_KEYS_0", valueFrom: ref("session-api-key") });
    assert.deepEqual(env.find((e) => e.name === "SESSION_API_KEY"), { name: "SESSION_API_KEY", valueFrom: ref("session-api-key") });
    assert.deepEqual(env.find((e) => e.name === "LLM_API_KEY"), { name: "LLM_API_KEY", valueFrom: ref("env.LLM_API_KEY") });
    assert.deepEqual(env.find((e) => e.name === "LLM_MODEL"), { name: "LLM_MODEL", value: "openai/gpt-test" });
    assert.ok(!JSON.stringify(pod()).includes("sk-test-llm"));
    assert.ok(!JSON.stringify(pod()).includes("the-key"));
  });

  it("does not let the request override the session key variables", () => {
    const env = container(pod(spec({ environment: { OH_SESSION_API_KEYS_0: "mine", SESSION_API_KEY: "mine" } }))).env as Array<{ name: string; value?: string }>;
    assert.equal(env.filter((e) => e.name === "OH_SESSION_API_KEYS_0").length, 1);
    assert.ok(!env.some((e) => e.value === "mine"));
  });

  describe("config environment overrides", () => {
    const PUBLIC_HOOK = "https://openhands.example.com/api/v1/webhooks";
    const CLUSTER_HOOK = "http://openhands-server.openhands.svc.cluster.local:3000/api/v1/webhooks";
    const ref = (key: string) => ({ secretKeyRef: { name: "openhands-runtime-abcdefghijklmnopqrstuv-key", key } });
    // [what, request env (over the app's), config environment, the pod's entry for the name, Secret data key -> value (undefined: absent)]
    const cases: Array<[string, Record<string, string>, Record<string, string>, Record<string, unknown>, Record<string, string | undefined>]> = [
      ["wins over the request's plain value", { OH_WEBHOOKS_0_BASE_URL: PUBLIC_HOOK }, { OH_WEBHOOKS_0_BASE_URL: CLUSTER_HOOK }, { name: "OH_WEBHOOKS_0_BASE_URL", value: CLUSTER_HOOK }, { "override.OH_WEBHOOKS_0_BASE_URL": undefined }],
      ["adds a variable the request lacks", {}, { OH_ALLOW_CORS_ORIGINS_0: "https://openhands.example.com" }, { name: "OH_ALLOW_CORS_ORIGINS_0", value: "https://openhands.example.com" }, {}],
      ["puts a secret-looking value in the Secret, over the request's secret", {}, { LLM_API_KEY: "sk-platform" }, { name: "LLM_API_KEY", valueFrom: ref("override.LLM_API_KEY") }, { "override.LLM_API_KEY": "sk-platform", "env.LLM_API_KEY": "sk-test-llm" }],
      ["puts a secret-looking value in the Secret, over the request's plain value", { GITHUB_TOKEN: "ghp-request" }, { GITHUB_TOKEN: "ghp-platform" }, { name: "GITHUB_TOKEN", valueFrom: ref("override.GITHUB_TOKEN") }, { "override.GITHUB_TOKEN": "ghp-platform", "env.GITHUB_TOKEN": "ghp-request" }],
      ["puts a secret-looking value the request lacks in the Secret", {}, { SENTRY_AUTH: "auth-platform" }, { name: "SENTRY_AUTH", valueFrom: ref("override.SENTRY_AUTH") }, { "override.SENTRY_AUTH": "auth-platform" }],
    ];
    for (const [what, requestEnv, environment, entry, data] of cases) {
      it(what, () => {
        const c = testConfig({ environment });
        const s = spec({ environment: { ...(appStartBody().environment as Record<string, string>), ...requestEnv } });
        const secret = desiredSecret(c, id, s, "the-key", new Date());
        const p = desiredPod(c, id, s, secret, 1);
        const env = container(p).env as Array<{ name: string }>;
        assert.deepEqual(env.filter((e) => e.name === entry.name), [entry], "one entry, the override's");
        for (const [k, v] of Object.entries(data)) assert.equal(secret.data[k] === undefined ? undefined : Buffer.from(secret.data[k], "base64").toString(), v, k);
        const value = environment[entry.name as string];
        if (entry.valueFrom) assert.ok(!JSON.stringify(p).includes(value) && !JSON.stringify(secret.metadata).includes(value), "a secret value is in neither the pod spec nor an annotation");
        const recorded = JSON.parse(secret.metadata.annotations?.["openhands.ai/overrides"] as string);
        assert.deepEqual(recorded, entry.valueFrom ? { environment: {}, secret_env: [entry.name] } : { environment, secret_env: [] });
        assert.deepEqual(joinSpec(JSON.parse(secret.metadata.annotations?.["openhands.ai/request"] as string), secret.data), s, "the request is stored as sent, not overridden");
      });
    }

    it("records nothing and changes no label for an empty environment", () => {
      const secret = desiredSecret(testConfig(), id, spec(), "the-key", new Date());
      assert.equal(secret.metadata.annotations?.["openhands.ai/overrides"], undefined);
      assert.deepEqual(Object.keys(secret.data).sort(), ["env.LLM_API_KEY", "session-api-key"]);
      assert.equal(podSpecHash(spec(), {}), specHash(spec()), "the spec-hash label of a config without environment is as before");
      assert.notEqual(podSpecHash(spec(), { A: "1" }), specHash(spec()));
      assert.notEqual(podSpecHash(spec(), { A: "1" }), podSpecHash(spec(), { A: "2" }));
      assert.equal(podSpecHash(spec(), { A: "1", B: "2" }), podSpecHash(spec(), { B: "2", A: "1" }), "order does not matter");
    });
  });

  it("hardens the pod", () => {
    const p = pod(spec({ run_as_user: 20002, run_as_group: 20003, fs_group: 20004 }));
    assert.deepEqual(p.spec.securityContext, { runAsNonRoot: true, runAsUser: 20002, runAsGroup: 20003, fsGroup: 20004, seccompProfile: { type: "RuntimeDefault" } });
    assert.deepEqual(container(p).securityContext, { runAsNonRoot: true, runAsUser: 20002, runAsGroup: 20003, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } });
    assert.equal(p.spec.automountServiceAccountToken, false);
    assert.equal(p.spec.enableServiceLinks, false);
    assert.equal(p.spec.restartPolicy, "Always");
    assert.deepEqual(container(p).readinessProbe.httpGet, { path: "/alive", port: 60000 });
    assert.deepEqual(container(p).volumeMounts, [{ name: "workspace", mountPath: "/workspace" }]);
    assert.deepEqual(p.spec.volumes, [{ name: "workspace", persistentVolumeClaim: { claimName: "openhands-runtime-abcdefghijklmnopqrstuv-pvc" } }]);
  });

  it("defaults run_as_* to 10001 when the request leaves them out (the SDK client sends no run_as_group)", () => {
    const s = spec({ run_as_group: undefined });
    assert.equal(s.run_as_group, 10001);
  });

  const factors: Array<[number, Record<string, string>, Record<string, string>]> = [
    [1, { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" }, { cpu: "2", memory: "4Gi", "ephemeral-storage": "10Gi" }],
    [2, { cpu: "2", memory: "4Gi", "ephemeral-storage": "2Gi" }, { cpu: "4", memory: "8Gi", "ephemeral-storage": "20Gi" }],
    [0.5, { cpu: "0.5", memory: "1Gi", "ephemeral-storage": "0.5Gi" }, { cpu: "1", memory: "2Gi", "ephemeral-storage": "5Gi" }],
  ];
  for (const [f, requests, limits] of factors) {
    it(`multiplies requests and limits, ephemeral storage included, by resource_factor ${f}`, () => {
      assert.deepEqual(container(pod(spec({ resource_factor: f }))).resources, { requests, limits });
    });
  }

  it("keeps the image ENTRYPOINT for a list command and runs a string command in bash", () => {
    assert.deepEqual(commandFor(spec()), { args: ["/usr/local/bin/openhands-agent-server", "--port", "60000"] });
    assert.equal(container(pod()).command, undefined);
    assert.deepEqual(commandFor(spec({ command: "/usr/local/bin/openhands-agent-server --port 60000" })), { command: ["bash", "-c", "/usr/local/bin/openhands-agent-server --port 60000"] });
    assert.deepEqual(commandFor(spec({ command: undefined })), {});
  });

  it("uses the requested runtime class only when the config allows it and sets no default", () => {
    const c = testConfig({ runtimeClass: { allowed: ["sysbox-runc"] } });
    assert.equal(runtimeClassFor(c, spec({ runtime_class: "sysbox-runc" })), "sysbox-runc");
    assert.equal(runtimeClassFor(c, spec({ runtime_class: "runc" })), undefined);
    assert.equal(runtimeClassFor(c, spec()), undefined);
    assert.equal(runtimeClassFor(testConfig(), spec({ runtime_class: "sysbox-runc" })), undefined);
    assert.equal(pod(spec({ runtime_class: "sysbox-runc" }), c).spec.runtimeClassName, "sysbox-runc");
  });

  it("gives every pod the configured default runtime class, whatever the request names and allowed lists", () => {
    assert.deepEqual(testConfig({ runtimeClass: { default: "gvisor" } }).runtimeClass, { default: "gvisor", allowed: ["gvisor"] });
    // A Config made in code, past parseConfig's check that allowed lists nothing else.
    const c = { ...testConfig(), runtimeClass: { default: "gvisor", allowed: ["gvisor", "sysbox-runc"] } };
    for (const asked of ["sysbox-runc", "runc", "gvisor", undefined]) {
      assert.equal(pod(spec(asked === undefined ? {} : { runtime_class: asked }), c).spec.runtimeClassName, "gvisor", String(asked));
    }
  });

  it("places the pod with the configured pull secrets, node selector and tolerations", () => {
    const c = testConfig({ imagePullSecrets: ["ghcr"], nodeSelector: { "node-role/sandbox": "true" }, tolerations: [{ key: "sandbox", operator: "Exists", effect: "NoSchedule" }] });
    const p = pod(spec(), c);
    assert.deepEqual(p.spec.imagePullSecrets, [{ name: "ghcr" }]);
    assert.deepEqual(p.spec.nodeSelector, { "node-role/sandbox": "true" });
    assert.deepEqual(p.spec.tolerations, [{ key: "sandbox", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("exposes the agent server and workers on -svc and VS Code on -svc-code", () => {
    const [svc, code] = desiredServices(config, id, anchor);
    assert.deepEqual(svc.spec.ports.map((p: { port: number }) => p.port), [60000, 12000, 12001]);
    assert.deepEqual(code.spec.ports.map((p: { port: number }) => p.port), [60001]);
    assert.deepEqual(svc.spec.selector, { "openhands.ai/runtime-id": "openhands-runtime-abcdefghijklmnopqrstuv", "app.kubernetes.io/component": "sandbox" });
    const p = pod();
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(p.metadata.labels?.[k], v, "the selector matches the pod");
  });

  it("routes <session>.<domain> and the app's subdomain-mode hosts with TLS and the configured class", () => {
    const ing = desiredIngress(config, id, anchor) as KubeObject;
    assert.equal(ing.spec.ingressClassName, "contour");
    const hosts = ["abcdefghijklmnopqrstuv.sandbox.example.com", "vscode-abcdefghijklmnopqrstuv.sandbox.example.com", "work-1-abcdefghijklmnopqrstuv.sandbox.example.com", "work-2-abcdefghijklmnopqrstuv.sandbox.example.com"];
    assert.deepEqual(ing.spec.tls, [{ hosts, secretName: "wildcard-sandbox-tls" }]);
    assert.deepEqual(
      ing.spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.name, r.http.paths[0].backend.service.port.number]),
      [
        [hosts[0], "openhands-runtime-abcdefghijklmnopqrstuv-svc", 60000],
        [hosts[1], "openhands-runtime-abcdefghijklmnopqrstuv-svc-code", 60001],
        [hosts[2], "openhands-runtime-abcdefghijklmnopqrstuv-svc", 12000],
        [hosts[3], "openhands-runtime-abcdefghijklmnopqrstuv-svc", 12001],
      ],
    );
    assert.equal(desiredIngress(testConfig({ ingress: { tlsSecretName: null } }), id, anchor)?.spec.tls, undefined);
    assert.equal(desiredIngress(testConfig({ ingress: { enabled: false } }), id, anchor), undefined);
  });

  it("routes an adopted warm sandbox at its session hosts and at the hosts of its runtime id", () => {
    const adopted: SandboxIdentity = { base: "openhands-runtime-warm-0123456789", session: id.session, pool: "default", specHash: id.specHash };
    const ing = desiredIngress(config, adopted, anchor) as KubeObject;
    assert.equal(ing.metadata.name, "openhands-runtime-abcdefghijklmnopqrstuv-ingress-code", "named after the session");
    const svc = "openhands-runtime-warm-0123456789-svc";
    const rules = [
      ["abcdefghijklmnopqrstuv.sandbox.example.com", svc, 60000],
      ["vscode-abcdefghijklmnopqrstuv.sandbox.example.com", `${svc}-code`, 60001],
      ["work-1-abcdefghijklmnopqrstuv.sandbox.example.com", svc, 12000],
      ["work-2-abcdefghijklmnopqrstuv.sandbox.example.com", svc, 12001],
      ["warm-0123456789.sandbox.example.com", svc, 60000],
      ["vscode-warm-0123456789.sandbox.example.com", `${svc}-code`, 60001],
      ["work-1-warm-0123456789.sandbox.example.com", svc, 12000],
      ["work-2-warm-0123456789.sandbox.example.com", svc, 12001],
    ];
    assert.deepEqual(
      ing.spec.rules.map((r: any) => [r.host, r.http.paths[0].backend.service.name, r.http.paths[0].backend.service.port.number]),
      rules,
    );
    assert.deepEqual(ing.spec.tls, [{ hosts: rules.map((r) => r[0]), secretName: "wildcard-sandbox-tls" }]);
    assert.equal((desiredIngress(config, id, anchor) as KubeObject).spec.rules.length, 4, "a sandbox named after its session has only the session hosts");
  });

  it("sizes the workspace PVC and its class from the config", () => {
    const c = testConfig({ workspace: { size: "20Gi", storageClassName: "ceph-rbd" } });
    assert.deepEqual(desiredPvc(c, id, anchor).spec, { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } }, storageClassName: "ceph-rbd" });
    assert.equal(desiredPvc(config, id, anchor).spec.storageClassName, undefined);
  });

  it("gives warm sandboxes no session label and no Ingress", () => {
    const warm: SandboxIdentity = { base: "openhands-runtime-warm-0123456789", pool: "default", specHash: id.specHash };
    assert.equal(desiredIngress(config, warm, anchor), undefined);
    const p = desiredPod(config, warm, spec(), anchor, 1);
    assert.equal(p.metadata.labels?.["openhands.ai/session-id"], undefined);
    assert.equal(p.metadata.labels?.["openhands.ai/role"], "warm");
    assert.equal(p.metadata.labels?.["openhands.ai/pool"], "default");
  });
});
