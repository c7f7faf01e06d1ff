import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError } from "../../config";
import { resolveSandbox, runtimeUrlPattern, sandboxRuntimeEnv } from "../../components/openhands/settings";
import { platformSchema } from "../../config/schema";
import { loadStack } from "../helpers/program";

const dev = (openhands: unknown) => loadStack("dev", { openhands });
const problems = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe("openhands config", () => {
  it("defaults the sandbox contract to the design's table", () => {
    const s = platformSchema.shape.openhands.parse({ enabled: true }).sandbox;
    assert.equal(s.namespace, "openhands-sandboxes");
    assert.equal(s.pvcSize, "2Gi");
    assert.deepEqual(s.requests, { cpu: "1", memory: "1Gi" });
    assert.deepEqual(s.limits, { memory: "2Gi" });
    assert.equal(s.privileged, false);
    assert.equal(s.runtimeClass, undefined);
    assert.deepEqual(s.egress, { internet: false, cidrs: [] });
  });

  for (const [key, value] of [
    ["license", { accept: "polyform-free-trial" }],
    ["values", { replicaCount: 2 }],
  ] as const) {
    for (const enabled of [true, false]) {
      it(`refuses the removed chart's ${key} key (OpenHands ${enabled ? "on" : "off"}), saying why`, () => {
        assert.ok(
          problems(() => dev({ enabled, [key]: value })).includes(
            `platform:openhands.${key}: set, but the platform no longer installs the Polyform-licensed openhands chart (its sandbox runtime is closed source and its pods fail the platform's own policies; README, "OpenHands"); remove the key`,
          ),
        );
      });
    }
  }

  it("requires the LLM fleet to be a configured fleet", () => {
    const p = problems(() => dev({ enabled: true, llm: { fleet: "nope" } }));
    assert.ok(p.some((m) => /^platform:openhands\.llm\.fleet: "nope" is not a fleet of ollama\.fleets \(qwen2-5-coder-0-5b-[0-9a-f]{6}\)/.test(m)), p.join("\n"));
  });

  it("requires a wildcard certificate Secret with the acme issuer", () => {
    const load = (openhands: unknown) => loadStack("prod", { openhands });
    const p = problems(() => load({ enabled: true }));
    assert.ok(p.some((m) => m.startsWith("platform:openhands.sandbox.tlsSecret: missing; sandboxes are served at *.sandboxes.agents.example.com and ACME HTTP-01 cannot issue wildcard certificates")), p.join("\n"));
    assert.ok(!problems(() => load({ enabled: true, sandbox: { tlsSecret: "wildcard-tls" } })).some((m) => m.includes("tlsSecret")));
  });

  it("allows privileged sandboxes only where the privileged policy exempts them", () => {
    assert.ok(problems(() => dev({ enabled: true, sandbox: { privileged: true } })).some((m) => m.startsWith("platform:openhands.sandbox.privileged: true, but \"openhands-sandboxes\" is not in policy.systemNamespaces")));
  });

  it("refuses a PVC size above the namespace's quota and a shared namespace", () => {
    const p = problems(() => dev({ enabled: true, sandbox: { pvcSize: "200Gi", namespace: "openhands" } }));
    assert.ok(p.some((m) => m.startsWith('platform:openhands.sandbox.pvcSize: "200Gi" exceeds the PVC quota')), p.join("\n"));
    assert.ok(p.some((m) => m.startsWith('platform:openhands.sandbox.namespace: "openhands" is shared with other workloads')), p.join("\n"));
  });
});

describe("the sandbox contract as the runtime API reads it", () => {
  const s = platformSchema.shape.openhands.parse({
    enabled: true,
    sandbox: {
      namespace: "agents",
      domain: "sandboxes.example.org",
      tlsSecret: "wild-tls",
      pvcSize: "5Gi",
      storageClass: "fast",
      requests: { cpu: "2", memory: "3Gi" },
      limits: { cpu: "4", memory: "6Gi" },
      imagePullSecret: "regcred",
      nodeSelector: { pool: "sandboxes" },
      tolerations: [{ key: "sandbox", operator: "Exists", effect: "NoSchedule" }],
      runtimeClass: "gvisor",
    },
  }).sandbox;
  const r = resolveSandbox(s, { domain: "example.org", ingressClass: "contour", defaultStorageClass: "standard" });
  const env = sandboxRuntimeEnv(r);
  const table: [string, string, string][] = [
    ["namespace", "K8S_NAMESPACE", "agents"],
    ["ingress domain", "RUNTIME_BASE_URL", "sandboxes.example.org"],
    ["wildcard host per session", "RUNTIME_URL_SEPARATOR", "."],
    ["TLS secret", "RUNTIME_CERT_SECRET", "wild-tls"],
    ["TLS on", "RUNTIME_DISABLE_SSL", "false"],
    ["PVC size", "PERSISTENT_STORAGE_SIZE", "5Gi"],
    ["storage class", "STORAGE_CLASS", "fast"],
    ["CPU request", "CPU_REQUEST", "2"],
    ["memory request", "MEMORY_REQUEST", "3Gi"],
    ["CPU limit", "CPU_LIMIT", "4"],
    ["memory limit", "MEMORY_LIMIT", "6Gi"],
    ["image pull secret", "RUNTIME_IMAGE_PULL_SECRETS", "regcred"],
    ["node selector", "RUNTIME_NODE_SELECTOR", '{"pool":"sandboxes"}'],
    ["tolerations", "RUNTIME_TOLERATIONS", '[{"key":"sandbox","operator":"Exists","effect":"NoSchedule"}]'],
    ["runtime class", "RUNTIME_CLASS", "gvisor"],
    ["ingress class", "INGRESS_CLASS", "contour"],
  ];
  for (const [setting, variable, value] of table) {
    it(`puts the ${setting} in ${variable}`, () => assert.equal(env[variable], value));
  }

  it("addresses sandboxes under the sandbox domain, as RUNTIME_BASE_URL and the separator say", () => {
    assert.equal(runtimeUrlPattern(r), "https://{runtime_id}.sandboxes.example.org");
    assert.equal(env.RUNTIME_BASE_URL, "sandboxes.example.org");
    assert.equal(env.RUNTIME_URL_SEPARATOR, ".");
  });

  it("defaults to sandboxes.<platform domain>, the platform's StorageClass and issued certificate, with empty scheduling", () => {
    const d = sandboxRuntimeEnv(resolveSandbox(platformSchema.shape.openhands.parse({ enabled: true }).sandbox, { domain: "localhost", ingressClass: "contour", defaultStorageClass: "standard" }));
    assert.equal(d.RUNTIME_BASE_URL, "sandboxes.localhost");
    assert.equal(d.STORAGE_CLASS, "standard");
    assert.equal(d.RUNTIME_CERT_SECRET, "sandbox-wildcard-tls");
    assert.equal(d.RUNTIME_NODE_SELECTOR, "{}");
    assert.equal(d.RUNTIME_TOLERATIONS, "[]");
    assert.equal(d.RUNTIME_CLASS, "");
    assert.equal(d.CPU_LIMIT, undefined);
    assert.equal(d.RUNTIME_IMAGE_PULL_SECRETS, undefined);
  });
});
