import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fleetName, meshKind } from "../../config/names";
import { CHECKS, checkRules, type SecretValues } from "../../config/rules";
import type { PlatformConfig } from "../../config/schema";
import { loadStack } from "../helpers/program";

const DEV = loadStack("dev");
const PROD = loadStack("prod");

/** One failing config per check: a shipped stack with one change, and the start of the message it must give. */
interface Case {
  check: string;
  base: "dev" | "prod";
  // Config fields are mutated as plain data; the schema's types would only get in the way here.
  change: (c: any, secrets: SecretValues) => void;
  expect: string;
}

const CASES: Case[] = [
  {
    check: "cluster-access",
    base: "dev",
    change: (_, s) => (s.kubeconfig = "apiVersion: v1"),
    expect: `platform:kubeconfig: set, but cluster.mode is "kind" (the program creates the cluster and reads its kubeconfig); unset it or use mode "existing"`,
  },
  { check: "kind-host-ports", base: "dev", change: (c) => (c.cluster.kind.hostPorts.https = c.cluster.kind.hostPorts.http), expect: `platform:cluster.kind.hostPorts: http and https are both` },
  {
    check: "kind-node-version",
    base: "dev",
    change: (c) => (c.cluster.kind.nodeImage = "kindest/node:v1.33.1"),
    expect: `platform:cluster.kind.nodeImage: Kubernetes v1.33.1 is older than the pinned charts support`,
  },
  { check: "cilium-mode", base: "dev", change: (c) => (c.networking.cilium.mode = "eni"), expect: `platform:networking.cilium.mode: "eni" is for EKS; on kind Cilium is the only CNI: use "cni"` },
  { check: "hubble-ui-route", base: "prod", change: (c) => (c.networking.cilium.hubble.uiIngress = true), expect: `platform:networking.cilium.hubble.uiIngress: true on cluster.mode "existing", but Hubble UI has no login` },
  { check: "agent-sign-in", base: "prod", change: (c) => delete c.openhands.oidc, expect: `platform:openhands.oidc: missing; in prod the agent UI and the sandbox server are reachable only through OIDC sign-in` },
  { check: "mesh-exclusive", base: "dev", change: (c) => (c.mesh.istio.enabled = true), expect: `platform:mesh: istio and linkerd are exclusive; enable at most one` },
  { check: "ingress-default-class", base: "dev", change: (c) => (c.ingress.contour.default = false), expect: `platform:ingress: no default IngressClass; set default: true on one of contour` },
  { check: "storage-default-class", base: "dev", change: (c) => (c.storage.localPath.default = false), expect: `platform:storage: no default StorageClass; set default: true on one of localPath` },
  { check: "storage-on-cluster-mode", base: "dev", change: (c) => (c.storage.rookCeph.enabled = true), expect: `platform:storage.rookCeph.enabled: true, but Rook-Ceph needs raw disks and kind nodes have none` },
  { check: "object-storage-backend", base: "prod", change: (c) => (c.objectStorage.minio.enabled = true), expect: `platform:objectStorage: minio and cephRgw are exclusive; the platform exposes one S3 endpoint` },
  {
    check: "minio-volume-quota",
    base: "dev",
    change: (c) => Object.assign(c.objectStorage.minio, { enabled: true, volumeSize: "10Ti" }),
    expect: `platform:objectStorage.minio.volumeSize: "10Ti" exceeds the PVC quota of namespace minio-tenant`,
  },
  { check: "acme-issuer", base: "dev", change: (c) => (c.certificates.issuer = "acme"), expect: `platform:certificates.acme: missing; issuer "acme" needs acme.email (the ACME account contact)` },
  {
    check: "knative-networking",
    base: "dev",
    change: (c) => (c.serverless.knative.networking = "istio"),
    expect: `platform:serverless.knative.networking: "istio" needs mesh.istio.enabled: true; use "kourier" otherwise`,
  },
  { check: "crossplane-providers", base: "prod", change: (_, s) => delete s.awsCredentials, expect: `platform:awsCredentials: missing; crossplane.providers.aws is enabled.` },
  {
    check: "cloud-credentials-used",
    base: "dev",
    change: (_, s) => (s.gcpCredentials = "{}"),
    expect: `platform:gcpCredentials: set, but crossplane.providers.gcp is not enabled; remove the secret or enable the provider`,
  },
  { check: "gpu-pools", base: "prod", change: (c) => (c.gpu.pools[0].minSize = c.gpu.pools[0].maxSize + 1), expect: `platform:gpu.pools[0].minSize:` },
  { check: "fleet-namespace", base: "dev", change: (c) => (c.policy.workloadNamespaces = ["elsewhere"]), expect: `platform:ollama.namespace: "ollama" is not in policy.workloadNamespaces (elsewhere)` },
  { check: "fleet-names", base: "prod", change: (c) => (c.ollama.fleets[1].name = fleetName(c.ollama.fleets[0])), expect: `platform:ollama.fleets[1].name:` },
  {
    check: "fleet-scaling",
    base: "prod",
    change: (c) => (c.autoscaling.keda.enabled = false),
    expect: `platform:ollama.fleets[0].scaling: set, but autoscaling.keda.enabled is false; enable KEDA or remove scaling`,
  },
  { check: "fleet-placement", base: "dev", change: (c) => (c.ollama.fleets[0].placement = { gpuPool: "nope" }), expect: `platform:ollama.fleets[0].placement.gpuPool: "nope" is not a configured pool` },
  {
    check: "fleet-storage",
    base: "prod",
    change: (c) => (c.ollama.fleets[0].storage.retainPolicy = "Delete"),
    expect: `platform:ollama.fleets[0].storage.retainPolicy: "Delete", but profile "prod" protects its data: model caches are kept (Retain); remove the key`,
  },
  { check: "openhands-removed-chart", base: "dev", change: (c) => (c.openhands.license = "accepted"), expect: `platform:openhands.license: set, but the platform no longer installs the Polyform-licensed openhands chart` },
  { check: "openhands-llm", base: "dev", change: (c) => (c.openhands.llm = { ...c.openhands.llm, fleet: "missing" }), expect: `platform:openhands.llm.fleet: "missing" is not a fleet of ollama.fleets` },
  {
    check: "agent-model-context",
    base: "dev",
    change: (c) => (c.ollama.fleets[0].contextLength = 8192),
    expect: `platform:ollama.fleets[0].contextLength: 8192 is below 32768, and OpenHands uses this fleet ("qwen2-5-coder-0-5b-4e80b5"); its agents need a context of 32k tokens or more`,
  },
  { check: "sandbox-isolation", base: "dev", change: (c) => (c.openhands.sandbox.namespace = "default"), expect: `platform:openhands.sandbox.namespace: "default" is shared with other workloads` },
  { check: "sandbox-policy", base: "dev", change: (c) => (c.openhands.sandbox.pvcSize = "10Ti"), expect: `platform:openhands.sandbox.pvcSize: "10Ti" exceeds the PVC quota of namespace` },
  { check: "agent-workloads", base: "dev", change: (c) => (c.openhands.server.replicas = 2), expect: `platform:openhands.server.replicas: 2 is not allowed` },
  { check: "grafana-admin-password", base: "dev", change: (_, s) => (s.grafanaAdminPassword = "short"), expect: `platform:grafanaAdminPassword: must be at least 12 characters (value not shown)` },
];

/** A fresh copy of a shipped stack's validated config and secrets. */
function stack(base: "dev" | "prod"): { config: PlatformConfig; secrets: SecretValues } {
  const { config, secrets } = base === "dev" ? DEV : PROD;
  return { config: structuredClone(config), secrets: { ...secrets } };
}

const named = (name: string) => CHECKS.find((c) => c.name === name)!.check;

describe("the registry of config checks", () => {
  it("lists every check by name, in the order their messages are reported", () => {
    assert.deepEqual(
      CHECKS.map((c) => c.name),
      [
        "cluster-access",
        "kind-host-ports",
        "kind-node-version",
        "cilium-mode",
        "hubble-ui-route",
        "agent-sign-in",
        "mesh-exclusive",
        "ingress-default-class",
        "storage-default-class",
        "storage-on-cluster-mode",
        "object-storage-backend",
        "minio-volume-quota",
        "acme-issuer",
        "knative-networking",
        "crossplane-providers",
        "cloud-credentials-used",
        "gpu-pools",
        "fleet-namespace",
        "fleet-names",
        "fleet-scaling",
        "fleet-placement",
        "fleet-storage",
        "openhands-removed-chart",
        "openhands-llm",
        "agent-model-context",
        "sandbox-isolation",
        "sandbox-policy",
        "agent-workloads",
        "grafana-admin-password",
      ],
    );
  });

  it("has one failing config below for each check", () => {
    assert.deepEqual(CASES.map((c) => c.check).sort(), CHECKS.map((c) => c.name).sort());
  });

  it("passes both shipped stacks", () => {
    assert.deepEqual(checkRules(DEV.config, DEV.secrets), []);
    assert.deepEqual(checkRules(PROD.config, PROD.secrets), []);
  });

  for (const row of CASES) {
    it(`${row.check}: rejects ${row.base} with one change`, () => {
      const { config, secrets } = stack(row.base);
      row.change(config, secrets);
      const got = named(row.check)(config, secrets);
      assert.ok(
        got.some((m) => m.startsWith(row.expect)),
        `expected a message starting\n  ${row.expect}\ngot\n  ${got.join("\n  ") || "(no problem)"}`,
      );
      assert.ok(checkRules(config, secrets).some((m) => m.startsWith(row.expect)), "checkRules reports it too");
    });
  }
});

describe("rules moved from the components", () => {
  it("keeps a dev fleet's configured Delete (dev frees model caches anyway)", () => {
    const { config, secrets } = stack("dev");
    config.ollama.fleets[0].storage.retainPolicy = "Delete";
    assert.deepEqual(named("fleet-storage")(config, secrets), []);
  });

  it("checks the context only of the fleet OpenHands uses", () => {
    const { config, secrets } = stack("prod");
    config.ollama.fleets[1].contextLength = 8192;
    config.openhands.llm = { ...config.openhands.llm!, fleet: fleetName(config.ollama.fleets[0]) };
    assert.deepEqual(named("agent-model-context")(config, secrets), []);
    config.openhands.llm = { ...config.openhands.llm, fleet: fleetName(config.ollama.fleets[1]) };
    assert.match(named("agent-model-context")(config, secrets).join("\n"), /^platform:ollama\.fleets\[1\]\.contextLength: 8192 is below 32768/);
  });

  it("rejects GPU pools without Crossplane", () => {
    const { config, secrets } = stack("prod");
    config.crossplane.enabled = false;
    assert.ok(named("gpu-pools")(config, secrets).some((m) => m.startsWith(`platform:gpu.pools[0].cloud: "aws" needs crossplane.enabled: true`)));
  });
});

describe("the mesh a config selects", () => {
  const mesh = (istio: boolean, linkerd: boolean) => {
    const c = structuredClone(DEV.config);
    c.mesh.istio.enabled = istio;
    c.mesh.linkerd.enabled = linkerd;
    return meshKind(c);
  };
  for (const [label, istio, linkerd, want] of [
    ["Istio", true, false, "istio"],
    ["Linkerd", false, true, "linkerd"],
    ["neither", false, false, "none"],
  ] as const) {
    it(`selects ${label}`, () => assert.equal(mesh(istio, linkerd), want));
  }
});
