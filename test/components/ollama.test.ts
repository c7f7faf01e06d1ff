import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CHARTS } from "../../components/catalog";
import type { GpuLayer } from "../../components/contracts";
import { NO_GPU_CAPACITY } from "../../components/gpu";
import {
  DEV_REPOSITORY,
  devTag,
  fleetEndpoints,
  fleetScaler,
  Ollama,
  operatorSourceHash,
  renderFleet,
  renderOperatorValues,
  splitImage,
  type FleetSettings,
  type OllamaSettings,
  releasedImage,
} from "../../components/ollama";
import { modelSlug } from "../../operator/src/names";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeAutoscaling, fakeCluster, fakeGpu, fakeMesh, fakeNetwork, fakeObservability, fakeStorage, PROMETHEUS_URL } from "../helpers/layers";
import { recordResources, resolveOutput, ROOT, type ProgramRun } from "../helpers/program";
import { SCHEMAS } from "../helpers/schemas";

const CMD = "command:local:Command";

const storage = { size: "10Gi", retainPolicy: "Retain" as const };
const CPU: FleetSettings = { model: "qwen2.5-coder:0.5b", replicas: 1, resources: { gpu: 0, cpu: "500m", memory: "1536Mi" }, storage, contextLength: 32768, keepAlive: "24h" };
const GPU_SCALED: FleetSettings = {
  model: "qwen2.5-coder:32b",
  replicas: 1,
  resources: { gpu: 1, cpu: "3", memory: "12Gi" },
  storage: { size: "50Gi", retainPolicy: "Retain" },
  scaling: { minReplicas: 1, maxReplicas: 3, metrics: [{ type: "requestsPerSecond", target: "1" }], cooldownSeconds: 300 },
  contextLength: 32768,
  keepAlive: "24h",
  placement: { gpuPool: "gpu-l4" },
};
const settings = (fleets: FleetSettings[], image?: string): OllamaSettings => ({ operator: { image, replicas: 2, values: {} }, namespace: "ollama", fleets });

/** An operator directory with the files the image is built from. */
function operatorFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "operator-"));
  fs.mkdirSync(path.join(dir, "src"));
  fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM node:24.21.0-alpine\n");
  fs.writeFileSync(path.join(dir, "package.json"), "{}\n");
  fs.writeFileSync(path.join(dir, "src", "main.ts"), "export {};\n");
  return dir;
}

interface Options {
  settings: OllamaSettings;
  mesh?: "istio" | "linkerd" | "none";
  prometheus?: boolean;
  /** false: no KEDA; "keda": KEDA without its HTTP add-on. Defaults to KEDA and the add-on. */
  keda?: false | "keda";
  gpu?: boolean;
  devBuild?: { kindCluster: string; operatorDir: string };
  /** The operator folder outside dev builds. Defaults to the repository's operator/. */
  operatorDir?: string;
}

/** KEDA as the autoscaling layer exposes it, with or without the HTTP add-on. */
function kedaLayer(c: (t: string, n: string) => pulumi.Resource, httpAddon: boolean) {
  const keda = c("test:autoscaling:Keda", "keda");
  const httpScaledObjects = httpAddon ? [keda, c("test:autoscaling:HttpAddon", "http-addon")] : [];
  return fakeAutoscaling({ httpAddon, scaledObjects: [keda], httpScaledObjects, ready: [...new Set([keda, ...httpScaledObjects])] });
}

async function build(o: Options): Promise<{ run: ProgramRun; layer?: Ollama; error?: unknown }> {
  let layer: Ollama | undefined;
  let error: unknown;
  const run = await recordResources(async () => {
    const c = (t: string, n: string) => componentMarker(t)(n);
    const mesh = o.mesh ?? "istio";
    const gpu: GpuLayer = o.gpu === false ? NO_GPU_CAPACITY : fakeGpu({ capacityReady: [c("test:gpu:Pool", "pool")], pools: ["gpu-l4"] });
    try {
      layer = new Ollama("ollama", {
        cluster: fakeCluster(),
        network: fakeNetwork([c("test:network:Cni", "cni")]),
        // The whole mesh (gateways, Telemetry) apart from its injector: fleets must not wait for it.
        mesh: fakeMesh(mesh, { injector: [c("test:mesh:Injector", "injector")], ingressGateway: [c("test:mesh:IngressGateway", "ingress-gateway")], ready: [c("test:mesh:Mesh", "mesh")] }),
        storage: fakeStorage({ ready: [c("test:storage:Storage", "storage")] }),
        observability: o.prometheus === false ? fakeObservability() : fakeObservability({ ready: [c("test:observability:Kps", "kps")], prometheusUrl: PROMETHEUS_URL }),
        autoscaling: o.keda === false ? undefined : kedaLayer(c, o.keda !== "keda"),
        gpu,
        settings: o.settings,
        operatorDir: o.devBuild?.operatorDir ?? o.operatorDir ?? path.join(ROOT, "operator"),
        devBuild: o.devBuild && { kindCluster: o.devBuild.kindCluster },
      });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, layer, error };
}

describe("the operator image", () => {
  it("derives the dev tag from the sources: stable across runs, new on any change", () => {
    const dir = operatorFixture();
    const first = operatorSourceHash(dir);
    assert.equal(operatorSourceHash(dir), first);
    assert.match(devTag(first), /^0\.1\.0-dev\.[0-9a-f]{12}$/);
    fs.utimesSync(path.join(dir, "src", "main.ts"), new Date(0), new Date(0));
    assert.equal(operatorSourceHash(dir), first, "a touched file with the same bytes keeps the tag");
    fs.writeFileSync(path.join(dir, "src", "main.ts"), "export const x = 1;\n");
    assert.notEqual(operatorSourceHash(dir), first);
    const again = operatorSourceHash(dir);
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM node:24.21.0\n");
    assert.notEqual(operatorSourceHash(dir), again);
  });

  it("hashes the repository's operator, which has something to build", () => {
    assert.match(devTag(operatorSourceHash(path.join(ROOT, "operator"))), /^0\.1\.0-dev\.[0-9a-f]{12}$/);
  });

  it("refuses to hash a directory with nothing to build", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "empty-"));
    assert.throws(() => operatorSourceHash(dir), /no Dockerfile or src\//);
  });

  it("splits a pinned reference for the chart and refuses latest and untagged images", () => {
    assert.deepEqual(splitImage("registry.example.com:5000/platform/op:0.1.0"), { repository: "registry.example.com:5000/platform/op", tag: "0.1.0" });
    assert.deepEqual(splitImage(`ghcr.io/o/op:0.1.0@sha256:${"a".repeat(64)}`), { repository: "ghcr.io/o/op", tag: `0.1.0@sha256:${"a".repeat(64)}` });
    assert.throws(() => splitImage("ghcr.io/o/op:latest"), /latest/);
    assert.throws(() => splitImage("ghcr.io/o/op"), /no tag/);
  });
});

describe("OllamaFleet rendering", () => {
  it("writes every configured field per the contract and nothing the config lacks", () => {
    const f = renderFleet(GPU_SCALED, "ollama") as any;
    assert.equal(f.apiVersion, "openhands.ai/v1alpha1");
    assert.equal(f.kind, "OllamaFleet");
    assert.equal(f.metadata.name, modelSlug("qwen2.5-coder:32b"));
    assert.equal(f.metadata.namespace, "ollama");
    assert.equal(f.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
    assert.deepEqual(f.spec, {
      contextLength: 32768,
      keepAlive: "24h",
      model: "qwen2.5-coder:32b",
      placement: { gpuPool: "gpu-l4" },
      replicas: 1,
      resources: { cpu: "3", gpu: 1, memory: "12Gi" },
      scaling: { cooldownSeconds: 300, maxReplicas: 3, metrics: [{ target: "1", type: "requestsPerSecond" }], minReplicas: 1 },
      storage: { retainPolicy: "Retain", size: "50Gi" },
    });
    const cpu = renderFleet({ ...CPU, name: "coder" }, "ollama") as any;
    assert.equal(cpu.metadata.name, "coder");
    assert.equal(cpu.spec.scaling, undefined);
    assert.equal(cpu.spec.placement, undefined);
    const validate = SCHEMAS.get("openhands.ai/v1alpha1/OllamaFleet");
    assert.ok(validate, "no OllamaFleet schema registered");
    for (const o of [f, cpu]) assert.deepEqual(validate(o), []);
  });

  it("gives each fleet an in-cluster OpenAI-compatible endpoint with its model and context length", () => {
    const name = modelSlug(CPU.model);
    assert.deepEqual(fleetEndpoints([CPU], "ollama"), { [name]: { endpoint: `http://${name}.ollama.svc.cluster.local:11434/v1`, model: "qwen2.5-coder:0.5b", contextLength: 32768 } });
  });

  it("tells the operator its image, mesh, Prometheus and the one namespace it watches", () => {
    const v = renderOperatorValues({ image: { repository: "r/op", tag: "0.1.0" }, replicas: 2, mesh: "linkerd", prometheusUrl: "http://p:9090", fleetNamespace: "ollama" }) as any;
    assert.deepEqual(v.image, { repository: "r/op", tag: "0.1.0", pullPolicy: "IfNotPresent" });
    assert.equal(v.mesh, "linkerd");
    assert.equal(v.prometheusUrl, "http://p:9090");
    assert.deepEqual(v.watchNamespaces, ["ollama"]);
    assert.equal(v.serviceMonitor.enabled, true);
    const bare = renderOperatorValues({ image: { repository: "r/op", tag: "0.1.0" }, replicas: 1, mesh: "none", fleetNamespace: "ollama" }) as any;
    assert.equal(bare.serviceMonitor.enabled, false);
    assert.equal("prometheusUrl" in bare, false);
  });
});

describe("the Ollama layer under mocks", () => {
  it("installs the operator from the local chart with the configured image in ollama-system", async () => {
    const { run, layer } = await build({ settings: settings([CPU], "registry.example.com/platform/ollama-fleet-operator:0.1.0") });
    const r = run.get(TYPES.release, "ollama-operator");
    assert.equal(r.inputs.chart, "operator/chart");
    assert.equal(r.inputs.chart, CHARTS.ollamaFleetOperator.chart);
    assert.equal(r.inputs.namespace, "ollama-system");
    assert.equal(r.inputs.repositoryOpts, undefined);
    assert.deepEqual(r.inputs.values.image, { repository: "registry.example.com/platform/ollama-fleet-operator", tag: "0.1.0", pullPolicy: "IfNotPresent" });
    assert.equal(r.inputs.values.mesh, "istio");
    assert.equal(r.inputs.values.serviceMonitor.enabled, true);
    assert.equal(run.ofType(CMD).length, 0, "a configured image is pulled, not built");
    assert.equal(layer!.operatorImage, "registry.example.com/platform/ollama-fleet-operator:0.1.0");
    assert.ok(run.dependsOn(`${TYPES.release}::ollama-operator`, "test:network:Cni::cni"));
    assert.ok(run.dependsOn(`${TYPES.release}::ollama-operator`, "test:observability:Kps::kps"));
  });

  it("puts the fleets in a meshed baseline namespace and the operator outside the mesh", async () => {
    const { run } = await build({ settings: settings([CPU], "r.example.com/op:0.1.0") });
    const fleets = run.get(TYPES.namespace, "ollama-fleets-ns").inputs.metadata;
    assert.equal(fleets.name, "ollama");
    assert.equal(fleets.labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(fleets.labels["istio-injection"], "enabled");
    const op = run.get(TYPES.namespace, "ollama-operator-ns").inputs.metadata;
    assert.equal(op.name, "ollama-system");
    assert.equal(op.labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(op.labels["istio-injection"], undefined);
  });

  it("runs Linkerd's proxy as a native sidecar, so the model pull in the init container has network", async () => {
    const { run } = await build({ settings: settings([CPU], "r.example.com/op:0.1.0"), mesh: "linkerd" });
    const md = run.get(TYPES.namespace, "ollama-fleets-ns").inputs.metadata;
    assert.equal(md.annotations["linkerd.io/inject"], "enabled");
    assert.equal(md.annotations["config.linkerd.io/proxy-enable-native-sidecar"], "true");
  });

  it("builds the image in dev and loads it into kind before the release, keyed by the source tag", async () => {
    const dir = operatorFixture();
    const tag = devTag(operatorSourceHash(dir));
    const { run, layer } = await build({ settings: settings([CPU]), devBuild: { kindCluster: "local-hands", operatorDir: dir } });
    const cmd = run.get(CMD, "ollama-operator-image");
    assert.match(cmd.inputs.create, /docker build --tag "\$IMAGE".*&& kind load docker-image "\$IMAGE" --name "\$CLUSTER"/);
    assert.equal(cmd.inputs.environment.IMAGE, `${DEV_REPOSITORY}:${tag}`);
    assert.equal(cmd.inputs.environment.CLUSTER, "local-hands");
    assert.deepEqual(cmd.inputs.triggers, [`${DEV_REPOSITORY}:${tag}`]);
    assert.ok(run.dependsOn(`${TYPES.release}::ollama-operator`, `${CMD}::ollama-operator-image`));
    assert.deepEqual(run.get(TYPES.release, "ollama-operator").inputs.values.image, { repository: DEV_REPOSITORY, tag, pullPolicy: "IfNotPresent" });
    assert.doesNotMatch(layer!.operatorImage, /:latest$/);
  });

  it("runs the image the release workflow publishes when none is configured outside kind", async () => {
    const { run, layer } = await build({ settings: settings([CPU]) });
    const chartImage = (parse(fs.readFileSync(path.join(ROOT, "operator", "chart", "values.yaml"), "utf8")) as { image: { repository: string; tag: string } }).image;
    assert.equal(layer!.operatorImage, `${chartImage.repository}:${chartImage.tag}`);
    assert.equal(run.get(TYPES.release, "ollama-operator").inputs.values.image.repository, chartImage.repository);
    assert.equal(run.ofType(CMD).length, 0, "nothing is built outside kind");
    assert.doesNotMatch(layer!.operatorImage, /ghcr\.io\/openhands\//, "not a namespace this project does not publish to");
  });

  it("pins the released image by digest once the chart records one, and rejects a malformed digest", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "operator-release-"));
    try {
      fs.mkdirSync(path.join(dir, "chart"));
      const write = (digest: string) => fs.writeFileSync(path.join(dir, "chart", "values.yaml"), `image:\n  repository: ghcr.io/acme/ollama-fleet-operator\n  tag: "0.1.0"\n  digest: "${digest}"\n`);
      write(`sha256:${"a".repeat(64)}`);
      assert.deepEqual(releasedImage(dir), { repository: "ghcr.io/acme/ollama-fleet-operator", tag: `0.1.0@sha256:${"a".repeat(64)}` });
      write("");
      assert.deepEqual(releasedImage(dir), { repository: "ghcr.io/acme/ollama-fleet-operator", tag: "0.1.0" });
      write("sha256:abc");
      assert.throws(() => releasedImage(dir), /image\.digest "sha256:abc" is not a sha256:<64 hex> digest/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates one fleet per configured fleet after the operator, the mesh and storage; no KEDA or GPU wait for a plain CPU fleet", async () => {
    const { run } = await build({ settings: settings([CPU], "r.example.com/op:0.1.0") });
    const name = modelSlug(CPU.model);
    const key = `${TYPES.ollamaFleet}::ollama-fleet-${name}`;
    assert.equal(run.get(TYPES.ollamaFleet, `ollama-fleet-${name}`).inputs.metadata.name, name);
    assert.ok(run.dependsOn(key, `${TYPES.release}::ollama-operator`));
    assert.ok(run.dependsOn(key, "test:mesh:Injector::injector"));
    assert.ok(run.dependsOn(key, "test:storage:Storage::storage"));
    assert.ok(!run.dependsOn(key, "test:autoscaling:Keda::keda"));
    assert.ok(!run.dependsOn(key, "test:gpu:Pool::pool"));
  });

  it("makes scaled fleets wait for KEDA and GPU fleets for GPU capacity", async () => {
    const { run } = await build({ settings: settings([GPU_SCALED], "r.example.com/op:0.1.0") });
    const key = `${TYPES.ollamaFleet}::ollama-fleet-${modelSlug(GPU_SCALED.model)}`;
    assert.ok(run.dependsOn(key, "test:autoscaling:Keda::keda"));
    assert.ok(run.dependsOn(key, "test:gpu:Pool::pool"));
    assert.ok(run.dependsOn(key, `${TYPES.release}::ollama-operator`));
  });

  for (const mesh of ["istio", "linkerd", "none"] as const) {
    it(`makes ${mesh === "none" ? "unmeshed" : `${mesh}-meshed`} fleets wait for the mesh's injector only, never the whole mesh`, async () => {
      const { run } = await build({ settings: settings([CPU, { ...GPU_SCALED, placement: undefined }], "r.example.com/op:0.1.0"), mesh });
      for (const f of run.ofType(TYPES.ollamaFleet)) {
        const key = `${TYPES.ollamaFleet}::${f.name}`;
        assert.equal(run.dependsOn(key, "test:mesh:Injector::injector"), true, f.name);
        assert.equal(run.dependsOn(key, "test:mesh:Mesh::mesh"), false, `${f.name} waits for the whole mesh`);
        assert.equal(run.dependsOn(key, "test:mesh:IngressGateway::ingress-gateway"), false, `${f.name} waits for the ingress gateway`);
      }
    });
  }

  it("makes a meshed request-scaled fleet wait for KEDA's ScaledObject CRDs, not the HTTP add-on", async () => {
    assert.equal(fleetScaler(GPU_SCALED, "istio"), "ScaledObject");
    const { run } = await build({ settings: settings([{ ...GPU_SCALED, placement: undefined }], "r.example.com/op:0.1.0") });
    const key = `${TYPES.ollamaFleet}::ollama-fleet-${modelSlug(GPU_SCALED.model)}`;
    assert.deepEqual(run.directWaits(key).filter((d) => d.startsWith("test:autoscaling:")), ["test:autoscaling:Keda::keda"]);
  });

  it("makes an unmeshed request-scaled fleet wait for the HTTP add-on (its HTTPScaledObject), and a cpu-scaled one for KEDA alone", async () => {
    const cpuScaled: FleetSettings = { ...CPU, name: "cpu-scaled", scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "cpu", target: "80" }], cooldownSeconds: 300 } };
    const requestScaled: FleetSettings = { ...CPU, name: "request-scaled", scaling: { minReplicas: 0, maxReplicas: 2, metrics: [{ type: "requestsPerSecond", target: "1" }], cooldownSeconds: 300 } };
    assert.deepEqual([fleetScaler(cpuScaled, "none"), fleetScaler(requestScaled, "none"), fleetScaler(CPU, "none")], ["ScaledObject", "HTTPScaledObject", undefined]);
    const { run } = await build({ settings: settings([cpuScaled, requestScaled], "r.example.com/op:0.1.0"), mesh: "none" });
    const waits = (fleet: string) => run.directWaits(`${TYPES.ollamaFleet}::ollama-fleet-${fleet}`).filter((d) => d.startsWith("test:autoscaling:"));
    assert.deepEqual(waits("cpu-scaled"), ["test:autoscaling:Keda::keda"]);
    assert.deepEqual(waits("request-scaled").sort(), ["test:autoscaling:HttpAddon::http-addon", "test:autoscaling:Keda::keda"]);
    const noAddon = await build({ settings: settings([requestScaled], "r.example.com/op:0.1.0"), mesh: "none", keda: "keda" });
    assert.match(String(noAddon.error), /Ollama args\.settings\.fleets \(request-scaled\)\.scaling: request metrics without a mesh need the KEDA HTTP add-on \(args\.autoscaling\.httpScaledObjects is empty\)/);
  });

  it("rejects a fleet on a pool the GPU layer does not have, and scaling without KEDA", async () => {
    const noPool = await build({ settings: settings([GPU_SCALED], "r.example.com/op:0.1.0"), gpu: false });
    assert.match(String(noPool.error), /Ollama args\.settings\.fleets \(\S+\)\.placement\.gpuPool: "gpu-l4" is not a GPU pool of args\.gpu \(none\)/);
    const noKeda = await build({ settings: settings([{ ...GPU_SCALED, placement: undefined }], "r.example.com/op:0.1.0"), keda: false });
    assert.match(String(noKeda.error), /Ollama args\.settings\.fleets \(\S+\)\.scaling: set, but KEDA is not installed \(args\.autoscaling is undefined\)/);
  });

  it("exports each fleet's endpoint, model and context length", async () => {
    const { layer } = await build({ settings: settings([CPU, { ...CPU, name: "coder-b", contextLength: 65536 }], "r.example.com/op:0.1.0") });
    const name = modelSlug(CPU.model);
    assert.deepEqual(layer!.endpoints, { [name]: `http://${name}.ollama.svc.cluster.local:11434/v1`, "coder-b": "http://coder-b.ollama.svc.cluster.local:11434/v1" });
    assert.equal(layer!.fleets["coder-b"].contextLength, 65536);
    assert.equal((await resolveOutput(layer!.endpoints)).secret, false);
    // What OpenHands waits for: the fleets themselves, each Ready.
    assert.equal(layer!.namespace, "ollama");
    assert.equal(layer!.ready.length, 2);
    assert.ok(!layer!.ready.includes(layer!.operator));
  });
});
