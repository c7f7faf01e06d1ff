import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadPlatformConfig } from "../../config/load";
import { azureNodePoolName, fleetName } from "../../config/names";
import { modelSlug } from "../../operator/src/names";
import { stackFileConfig, stackRawConfig } from "../helpers/program";

/*
 * `platform:ollama` and `platform:gpu`: the shipped profiles, and every rule with its exact
 * message (key path, value, what is allowed).
 */

const DEV = stackFileConfig("dev");
const { raw: PROD, secretKeys: PROD_SECRET_KEYS } = stackRawConfig("prod");

function problems(base: Record<string, string>, changes: Record<string, unknown>, secretKeys = new Set<string>()): string[] {
  const raw = { ...base };
  for (const [k, v] of Object.entries(changes)) raw[k] = typeof v === "string" ? v : JSON.stringify(v);
  try {
    loadPlatformConfig(raw, secretKeys);
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
}
const dev = (changes: Record<string, unknown>) => problems(DEV, changes);
const prod = (changes: Record<string, unknown>) => problems(PROD, changes, PROD_SECRET_KEYS);

const cpuFleet = { model: "qwen2.5-coder:0.5b", resources: { cpu: "500m", memory: "1Gi" } };
const awsPool = { name: "gpu-l4", cloud: "aws", instanceType: "g6.xlarge", gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 4, aws: { clusterName: "platform-prod", region: "us-east-1" } };

function includes(got: string[], expected: string): void {
  assert.ok(got.includes(expected), `expected the message\n  ${expected}\ngot\n  ${got.join("\n  ") || "(no problem)"}`);
}

describe("the shipped model-serving profiles", () => {
  it("runs one small CPU fleet in dev, with no GPU pool and a dev-built operator", () => {
    const { config } = loadPlatformConfig(DEV, new Set());
    assert.equal(config.ollama.operator.image, undefined);
    assert.equal(config.ollama.operator.replicas, 1);
    assert.equal(config.ollama.namespace, "ollama");
    assert.deepEqual(config.gpu.pools, []);
    assert.equal(config.ollama.fleets.length, 1);
    const [f] = config.ollama.fleets;
    assert.equal(f.model, "qwen2.5-coder:0.5b");
    assert.equal(f.replicas, 1);
    assert.equal(f.resources.gpu, 0);
    assert.equal(f.storage.size, "10Gi");
    assert.equal(f.scaling, undefined);
    assert.equal(f.contextLength, 32768);
  });

  it("runs scaled GPU fleets on one AWS L4 pool of the platform-prod cluster in prod", () => {
    const { config } = loadPlatformConfig(PROD, PROD_SECRET_KEYS);
    assert.equal(config.ollama.operator.image, undefined, "prod runs the released image (operator/chart/values.yaml)");
    assert.deepEqual(
      config.gpu.pools.map((p) => [p.name, p.cloud, p.instanceType, p.gpuType, p.gpuCount, p.minSize, p.maxSize, p.aws?.clusterName, p.aws?.region]),
      [["gpu-l4", "aws", "g6.xlarge", "nvidia-l4", 1, 0, 4, "platform-prod", "us-east-1"]],
    );
    // The pool's region is the AWS provider's and its cluster the kubeconfig context's.
    assert.equal(config.crossplane.providers.aws.region, config.gpu.pools[0].aws?.region);
    assert.equal(config.cluster.existing.context, config.gpu.pools[0].aws?.clusterName);
    const big = config.ollama.fleets.find((f) => f.model === "qwen2.5-coder:32b");
    assert.deepEqual(big?.scaling, { minReplicas: 1, maxReplicas: 3, metrics: [{ type: "requestsPerSecond", target: "1" }], cooldownSeconds: 300 });
    for (const f of config.ollama.fleets) {
      assert.equal(f.resources.gpu, 1);
      assert.equal(f.placement?.gpuPool, "gpu-l4");
    }
    const maxGpus = config.ollama.fleets.reduce((n, f) => n + (f.scaling?.maxReplicas ?? f.replicas) * f.resources.gpu, 0);
    assert.ok(maxGpus <= config.gpu.pools[0].maxSize * config.gpu.pools[0].gpuCount, `fleets can ask for ${maxGpus} GPUs`);
  });

  it("names fleets after the model's slug unless a name is given", () => {
    assert.equal(fleetName({ model: "qwen2.5-coder:0.5b" }), modelSlug("qwen2.5-coder:0.5b"));
    assert.match(fleetName({ model: "qwen2.5-coder:0.5b" }), /^qwen2-5-coder-0-5b-[0-9a-f]{6}$/);
    assert.equal(fleetName({ name: "coder", model: "qwen2.5-coder:0.5b" }), "coder");
  });
});

describe("model-serving config rules", () => {
  it("rejects two fleets with the same name", () => {
    includes(dev({ "platform:ollama": { fleets: [cpuFleet, cpuFleet] } }), `platform:ollama.fleets[1].name: "${modelSlug(cpuFleet.model)}" is also the name of fleets[0]; fleet names must be unique (set name on one)`);
  });

  it("accepts the same model twice under different names", () => {
    assert.deepEqual(dev({ "platform:ollama": { fleets: [cpuFleet, { ...cpuFleet, name: "coder-b" }] } }), []);
  });

  it("rejects scaling with minReplicas above maxReplicas", () => {
    const fleet = { ...cpuFleet, scaling: { minReplicas: 3, maxReplicas: 2, metrics: [{ type: "cpu", target: "80" }] } };
    includes(dev({ "platform:ollama": { fleets: [fleet] } }), "platform:ollama.fleets[0].scaling.minReplicas: 3 is above maxReplicas 2; minReplicas must be <= maxReplicas");
  });

  it("rejects a prometheus metric without a query, and a query on any other metric", () => {
    const fleet = { ...cpuFleet, scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "prometheus", target: "5" }, { type: "cpu", target: "80", query: "up" }] } };
    const got = dev({ "platform:ollama": { fleets: [fleet] } });
    includes(got, 'platform:ollama.fleets[0].scaling.metrics[0].query: missing; type "prometheus" needs a PromQL query');
    includes(got, 'platform:ollama.fleets[0].scaling.metrics[1].query: set, but only type "prometheus" reads a query');
  });

  it("rejects scaling without KEDA", () => {
    const fleet = { ...cpuFleet, scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "cpu", target: "80" }] } };
    includes(dev({ "platform:ollama": { fleets: [fleet] }, "platform:autoscaling": { keda: { enabled: false } } }), "platform:ollama.fleets[0].scaling: set, but autoscaling.keda.enabled is false; enable KEDA or remove scaling");
  });

  it("rejects request-rate scaling in a meshed stack without Prometheus", () => {
    const fleet = { ...cpuFleet, scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "requestsPerSecond", target: "1" }] } };
    includes(
      dev({ "platform:ollama": { fleets: [fleet] }, "platform:observability": { prometheus: { enabled: false } } }),
      "platform:ollama.fleets[0].scaling.metrics: request metrics come from the mesh through Prometheus; enable observability.prometheus",
    );
  });

  it("rejects a GPU pool placement that names no configured pool", () => {
    const fleet = { ...cpuFleet, resources: { gpu: 1, cpu: "2", memory: "8Gi" }, placement: { gpuPool: "gpu-a100" } };
    includes(prod({ "platform:ollama": { fleets: [fleet] } }), 'platform:ollama.fleets[0].placement.gpuPool: "gpu-a100" is not a configured pool; configured: gpu-l4');
  });

  it("rejects a GPU fleet in prod with no pool and no node selector", () => {
    const fleet = { ...cpuFleet, resources: { gpu: 1, cpu: "2", memory: "8Gi" } };
    includes(prod({ "platform:ollama": { fleets: [fleet] } }), "platform:ollama.fleets[0].placement: missing; a GPU fleet in prod names a gpuPool or a nodeSelector for its GPU nodes");
  });

  it("only warns about a GPU fleet without placement in dev", () => {
    const raw = { ...DEV, "platform:ollama": JSON.stringify({ fleets: [{ ...cpuFleet, resources: { gpu: 1, cpu: "1", memory: "2Gi" } }] }) };
    const { warnings } = loadPlatformConfig(raw, new Set());
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("platform:ollama")),
      ["platform:ollama.fleets[0].resources.gpu: 1 with no placement; it schedules only on a node advertising nvidia.com/gpu"],
    );
    assert.deepEqual(problems(DEV, { "platform:ollama": JSON.parse(raw["platform:ollama"]) }), []);
  });

  it("rejects more GPUs per replica than the pool's nodes have", () => {
    const fleet = { ...cpuFleet, resources: { gpu: 2, cpu: "2", memory: "8Gi" }, placement: { gpuPool: "gpu-l4" } };
    includes(prod({ "platform:ollama": { fleets: [fleet] } }), 'platform:ollama.fleets[0].resources.gpu: 2 is more than the 1 GPU(s) per node of pool "gpu-l4"; a replica would never schedule');
  });

  it("keeps CPU fleets off GPU pools", () => {
    includes(prod({ "platform:ollama": { fleets: [{ ...cpuFleet, placement: { gpuPool: "gpu-l4" } }] } }), "platform:ollama.fleets[0].placement.gpuPool: set, but resources.gpu is 0; CPU fleets stay off the (tainted, costly) GPU nodes");
  });

  it("rejects a model cache above the namespace's PVC quota, and accepts it with an exception", () => {
    const fleet = { ...cpuFleet, storage: { size: "200Gi" } };
    includes(
      dev({ "platform:ollama": { fleets: [fleet] } }),
      'platform:ollama.fleets[0].storage.size: "200Gi" exceeds the PVC quota of namespace ollama (100Gi, platform:policy.pvcQuota); use at most 100Gi or set platform:policy.pvcQuotaExceptions.ollama',
    );
    assert.deepEqual(dev({ "platform:ollama": { fleets: [fleet] }, "platform:policy": { pvcQuotaExceptions: { ollama: "250Gi" } } }), []);
  });

  it("rejects a fleet namespace outside the policy's workload namespaces", () => {
    const allowed = loadPlatformConfig(DEV, new Set()).config.policy.workloadNamespaces;
    includes(dev({ "platform:ollama": { namespace: "models" } }), `platform:ollama.namespace: "models" is not in policy.workloadNamespaces (${allowed.join(", ")}); model servers must run where requests and limits are enforced`);
    assert.deepEqual(dev({ "platform:ollama": { namespace: "models" }, "platform:policy": { workloadNamespaces: [...allowed, "models"] } }), []);
  });

  it("defaults prod to the released operator image and refuses latest", () => {
    assert.equal(loadPlatformConfig(PROD, PROD_SECRET_KEYS).config.ollama.operator.image, undefined, "the shipped prod stack sets no image: the release's is the default");
    includes(prod({ "platform:ollama": { operator: { image: "registry.example.com/ollama-fleet-operator:latest" } } }), "platform:ollama.operator.image: \"registry.example.com/ollama-fleet-operator:latest\" must not use the 'latest' tag: pin a version");
  });

  it("rejects malformed fleet fields with the allowed form", () => {
    const got = dev({ "platform:ollama": { fleets: [{ ...cpuFleet, name: "9-lives", keepAlive: "a day", resources: { cpu: "lots", memory: "1Gi" } }] } });
    includes(got, "platform:ollama.fleets[0].name: \"9-lives\" must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter");
    includes(got, 'platform:ollama.fleets[0].keepAlive: "a day" must be a Go duration such as 24h or 30m, or -1');
    includes(got, 'platform:ollama.fleets[0].resources.cpu: "lots" must be a Kubernetes quantity such as 100Gi, 512Mi, 500m or 2');
    includes(dev({ "platform:ollama": { fleets: [{ ...cpuFleet, contextLength: 1024 }] } }), "platform:ollama.fleets[0].contextLength: 1024 must be >=2048");
  });
});

describe("GPU pool config rules", () => {
  const pools = (...p: unknown[]) => ({ "platform:gpu": { pools: p } });

  it("rejects two pools with the same name", () => {
    includes(prod(pools(awsPool, awsPool)), 'platform:gpu.pools[1].name: "gpu-l4" is used by another pool; pool names must be unique');
  });

  it("rejects minSize above maxSize and a desiredSize outside them", () => {
    const got = prod(pools({ ...awsPool, minSize: 5, maxSize: 4, desiredSize: 6 }));
    includes(got, "platform:gpu.pools[0].minSize: 5 is above maxSize 4; minSize must be <= maxSize");
    includes(got, "platform:gpu.pools[0].desiredSize: 6 is outside minSize..maxSize (5..4)");
  });

  it("rejects a pool whose cloud has no Crossplane provider", () => {
    const gcpPool = { ...awsPool, name: "gpu-gcp", cloud: "gcp", aws: undefined, gcp: { project: "p", location: "us-central1", clusterName: "c" } };
    includes(prod(pools(gcpPool)), 'platform:gpu.pools[0].cloud: "gcp" needs crossplane.enabled: true and crossplane.providers.gcp.enabled: true (pools are Crossplane composites)');
    includes(dev(pools(awsPool)), 'platform:gpu.pools[0].cloud: "aws" needs crossplane.enabled: true and crossplane.providers.aws.enabled: true (pools are Crossplane composites)');
  });

  it("requires the cluster block of the pool's cloud and no other", () => {
    const got = prod(pools({ ...awsPool, aws: undefined, gcp: { project: "p", location: "l", clusterName: "c" } }));
    includes(got, "platform:gpu.pools[0].aws: missing; a aws pool names its cluster there");
    includes(got, 'platform:gpu.pools[0].gcp: set, but the pool\'s cloud is "aws"; remove it');
  });

  it("rejects two Azure pools that map to the same AKS node pool name", () => {
    assert.equal(azureNodePoolName("gpu-l4-east-spot"), "gpul4eastspo");
    const azure = (name: string) => ({ ...awsPool, name, cloud: "azure", aws: undefined, azure: { resourceGroup: "rg", clusterName: "aks", subscriptionId: "00000000-0000-4000-8000-000000000000" } });
    const providers = { aws: { enabled: true, region: "us-east-1" }, azure: { enabled: true, region: "westeurope" } };
    const change = { ...pools(awsPool, azure("gpu-a100-west-1a"), azure("gpu-a100-west-1b")), "platform:crossplane": { providers }, "platform:azureCredentials": "{}" };
    const got = problems(PROD, change, new Set([...PROD_SECRET_KEYS, "platform:azureCredentials"]));
    assert.deepEqual(got, ['platform:gpu.pools[2].name: "gpu-a100-west-1b" and "gpu-a100-west-1a" both give the AKS node pool name "gpua100west1" (lowercase alphanumerics, at most 12); rename one']);
  });
});
