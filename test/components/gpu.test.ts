import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import {
  aksClusterId,
  compositionName,
  Gpu,
  poolNodeLabels,
  renderComposition,
  renderGpuOperatorValues,
  renderPoolSpec,
  renderXrd,
  type GpuPoolSettings,
  type GpuSettings,
} from "../../components/gpu";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeCrossplane, fakeNetwork, fakeObservability, PROMETHEUS_URL } from "../helpers/layers";
import { recordResources, type ProgramRun } from "../helpers/program";
import { SCHEMAS } from "../helpers/schemas";

const XRD = "kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition";
const COMPOSITION = "kubernetes:apiextensions.crossplane.io/v1:Composition";

const base = { instanceType: "g6.xlarge", gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 4, diskSizeGb: 100, labels: {} };
const AWS: GpuPoolSettings = { ...base, name: "gpu-l4", cloud: "aws", aws: { clusterName: "platform-prod", region: "us-east-1" } };
const GCP: GpuPoolSettings = { ...base, name: "gpu-gke", cloud: "gcp", instanceType: "g2-standard-8", gcp: { project: "p", location: "us-central1", clusterName: "gke" } };
const AZURE: GpuPoolSettings = {
  ...base,
  name: "gpu-aks",
  cloud: "azure",
  instanceType: "Standard_NC4as_T4_v3",
  azure: { resourceGroup: "rg", clusterName: "aks", subscriptionId: "00000000-0000-4000-8000-000000000000" },
};

async function build(s: GpuSettings, prometheus = true): Promise<{ run: ProgramRun; layer?: Gpu; error?: unknown }> {
  let layer: Gpu | undefined;
  let error: unknown;
  const run = await recordResources(async () => {
    const cluster = fakeCluster();
    const cni = componentMarker("test:network:Cni")("cni");
    // Crossplane's release, each cloud's family Provider, and everything (function, provider configs).
    const core = componentMarker("test:crossplane:Core")("core");
    const family = (cloud: string) => componentMarker("test:crossplane:Family")(`family-${cloud}`);
    const xp = componentMarker("test:crossplane:Crossplane")("xp");
    const kps = componentMarker("test:observability:Kps")("kps");
    try {
      layer = new Gpu("gpu", {
        cluster,
        network: fakeNetwork([cni]),
        crossplane: fakeCrossplane({ ready: [core, xp], core: [core], families: { aws: family("aws"), gcp: family("gcp"), azure: family("azure") }, providerConfigs: { aws: "default", gcp: "default", azure: "default" } }),
        observability: fakeObservability({ ready: prometheus ? [kps] : [], prometheusUrl: prometheus ? PROMETHEUS_URL : undefined }),
        settings: s,
      });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, layer, error };
}

describe("GPU pools: rendering", () => {
  it("defines GPUNodePool as a namespaced Crossplane v2 composite with one referenceable version", () => {
    const xrd = renderXrd() as any;
    assert.equal(xrd.apiVersion, "apiextensions.crossplane.io/v2");
    assert.equal(xrd.spec.scope, "Namespaced");
    assert.equal(xrd.spec.names.kind, "GPUNodePool");
    assert.equal(xrd.metadata.name, `${xrd.spec.names.plural}.${xrd.spec.group}`);
    assert.deepEqual(xrd.spec.versions.map((v: any) => [v.name, v.served, v.referenceable]), [["v1alpha1", true, true]]);
    assert.equal(xrd.spec.claimNames, undefined);
    assert.deepEqual(SCHEMAS.get("apiextensions.crossplane.io/v2/CompositeResourceDefinition")!(xrd), []);
  });

  for (const cloud of ["aws", "gcp", "azure"] as const) {
    it(`composes ${cloud} pools in Pipeline mode through function-patch-and-transform`, () => {
      const c = renderComposition(cloud) as any;
      assert.equal(c.metadata.name, compositionName(cloud));
      assert.equal(c.spec.mode, "Pipeline");
      assert.deepEqual(c.spec.compositeTypeRef, { apiVersion: "platform.openhands.ai/v1alpha1", kind: "GPUNodePool" });
      assert.equal(c.spec.pipeline.length, 1);
      assert.equal(c.spec.pipeline[0].functionRef.name, "crossplane-contrib-function-patch-and-transform");
      assert.equal(c.spec.pipeline[0].input.apiVersion, "pt.fn.crossplane.io/v1beta1");
      assert.deepEqual(SCHEMAS.get("apiextensions.crossplane.io/v1/Composition")!(c), []);
      for (const r of c.spec.pipeline[0].input.resources) {
        assert.match(r.base.apiVersion, /\.m\.upbound\.io\/v1beta1$/, `${r.name} is not a v2 namespaced managed resource`);
        assert.deepEqual(r.base.spec.providerConfigRef, { kind: "ClusterProviderConfig", name: "default" }, r.name);
      }
    });
  }

  it("taints every pool's nodes nvidia.com/gpu=true:NoSchedule in each cloud's spelling", () => {
    const res = (cloud: "aws" | "gcp" | "azure", name: string) => (renderComposition(cloud) as any).spec.pipeline[0].input.resources.find((r: any) => r.name === name).base.spec.forProvider;
    assert.deepEqual(res("aws", "node-group").taint, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
    assert.deepEqual(res("gcp", "node-pool").nodeConfig.taint, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
    assert.deepEqual(res("azure", "node-pool").nodeTaints, ["nvidia.com/gpu=true:NoSchedule"]);
  });

  it("reads the EKS cluster's subnets with an Observe-only Cluster and creates the node role", () => {
    const resources = (renderComposition("aws") as any).spec.pipeline[0].input.resources;
    assert.deepEqual(
      resources.map((r: any) => `${r.name}:${r.base.kind}`),
      ["cluster:Cluster", "node-role:Role", "policy-worker:RolePolicyAttachment", "policy-cni:RolePolicyAttachment", "policy-ecr:RolePolicyAttachment", "node-group:NodeGroup"],
    );
    const cluster = resources[0];
    assert.deepEqual(cluster.base.spec.managementPolicies, ["Observe"]);
    assert.ok(cluster.patches.some((p: any) => p.type === "ToCompositeFieldPath" && p.fromFieldPath === "status.atProvider.vpcConfig.subnetIds" && p.toFieldPath === "status.subnetIds"));
    assert.ok(cluster.patches.some((p: any) => p.fromFieldPath === "spec.aws.clusterName" && p.toFieldPath === "metadata.annotations[crossplane.io/external-name]"));
    const ng = resources[5];
    assert.deepEqual(ng.base.spec.forProvider.nodeRoleArnSelector, { matchControllerRef: true });
    const to = (path: string) => ng.patches.find((p: any) => p.toFieldPath === path)?.fromFieldPath;
    assert.equal(to("spec.forProvider.scalingConfig.minSize"), "spec.minSize");
    assert.equal(to("spec.forProvider.scalingConfig.maxSize"), "spec.maxSize");
    assert.equal(to("spec.forProvider.labels"), "spec.nodeLabels");
    // desiredSize only at creation: a cluster autoscaler owns it afterwards.
    assert.equal(to("spec.initProvider.scalingConfig.desiredSize"), "spec.desiredSize");
    assert.equal(to("spec.forProvider.scalingConfig.desiredSize"), undefined);
    for (const r of resources.filter((x: any) => x.base.kind === "RolePolicyAttachment")) assert.deepEqual(r.base.spec.forProvider.roleSelector, { matchControllerRef: true });
  });

  it("attaches GPUs on GCP from the pool's type and count, with GKE's driver and device plugin off", () => {
    const np = (renderComposition("gcp") as any).spec.pipeline[0].input.resources[0];
    const to = (path: string) => np.patches.find((p: any) => p.toFieldPath === path)?.fromFieldPath;
    assert.equal(to("spec.forProvider.nodeConfig.guestAccelerator[0].type"), "spec.gpuType");
    assert.equal(to("spec.forProvider.nodeConfig.guestAccelerator[0].count"), "spec.gpuCount");
    assert.equal(np.base.spec.forProvider.nodeConfig.guestAccelerator[0].gpuDriverInstallationConfig.gpuDriverVersion, "INSTALLATION_DISABLED");
    assert.equal(poolNodeLabels(GCP)["gke-no-default-nvidia-gpu-device-plugin"], "true");
  });

  it("labels pool nodes with the pool and GPU type, over the stack's own labels", () => {
    const labels = poolNodeLabels({ ...AWS, labels: { team: "ml", "platform.openhands.ai/gpu-pool": "spoofed" } });
    assert.equal(labels["platform.openhands.ai/gpu-pool"], "gpu-l4");
    assert.equal(labels["platform.openhands.ai/gpu-type"], "nvidia-l4");
    assert.equal(labels.team, "ml");
    // The EKS accelerated AMI ships driver and toolkit: the GPU Operator must not install them there.
    assert.equal(labels["nvidia.com/gpu.deploy.driver"], "false");
    assert.equal(labels["nvidia.com/gpu.deploy.container-toolkit"], "false");
    assert.equal(poolNodeLabels(AZURE)["nvidia.com/gpu.deploy.driver"], undefined);
  });

  it("renders each pool's composite spec from config, desiredSize defaulting to minSize", () => {
    const spec = renderPoolSpec(AWS, "default", compositionName("aws")) as any;
    assert.equal(spec.desiredSize, 0);
    assert.deepEqual(spec.aws, { clusterName: "platform-prod", region: "us-east-1" });
    assert.deepEqual(spec.crossplane, { compositionRef: { name: "gpunodepools-aws" } });
    assert.equal((renderPoolSpec({ ...AWS, desiredSize: 2 }, "default", "x") as any).desiredSize, 2);
    const az = renderPoolSpec(AZURE, "default", compositionName("azure")) as any;
    assert.equal(az.azure.clusterId, aksClusterId(AZURE.azure!));
    assert.equal(az.azure.clusterId, "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks");
    assert.equal(az.azure.nodePoolName, "gpuaks");
    const validate = SCHEMAS.get("platform.openhands.ai/v1alpha1/GPUNodePool")!;
    for (const p of [AWS, GCP, AZURE]) {
      assert.deepEqual(validate({ apiVersion: "platform.openhands.ai/v1alpha1", kind: "GPUNodePool", metadata: { name: p.name, namespace: "gpu-node-pools" }, spec: renderPoolSpec(p, "default", compositionName(p.cloud)) }), []);
    }
  });

  it("tolerates the GPU taint in every GPU Operator operand and ties the DCGM ServiceMonitor to Prometheus", () => {
    const v = renderGpuOperatorValues({ serviceMonitor: false }) as any;
    assert.deepEqual(v.daemonsets.tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
    assert.equal(v.nfd.enabled, true);
    assert.equal(v.driver.enabled, true);
    assert.equal(v.toolkit.enabled, true);
    assert.equal(v.dcgmExporter.serviceMonitor.enabled, false);
    assert.equal((renderGpuOperatorValues({ serviceMonitor: true }) as any).dcgmExporter.serviceMonitor.enabled, true);
  });
});

describe("GPU layer under mocks", () => {
  it("installs the pinned GPU Operator in a privileged namespace after the CNI and Prometheus' CRDs", async () => {
    const { run } = await build({ pools: [AWS], values: {} });
    const r = run.get(TYPES.release, "gpu-operator");
    assert.equal(r.inputs.chart, CHARTS.gpuOperator.chart);
    assert.equal(r.inputs.version, CHARTS.gpuOperator.version);
    assert.equal(r.inputs.namespace, "gpu-operator");
    const ns = run.get(TYPES.namespace, "gpu-operator-ns");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    assert.ok(run.dependsOn(`${TYPES.release}::gpu-operator`, "test:network:Cni::cni"));
    assert.ok(run.dependsOn(`${TYPES.release}::gpu-operator`, "test:observability:Kps::kps"));
  });

  it("does not wait for Prometheus when it is not installed", async () => {
    const { run } = await build({ pools: [AWS], values: {} }, false);
    assert.ok(!run.dependsOn(`${TYPES.release}::gpu-operator`, "test:observability:Kps::kps"));
    assert.equal(run.get(TYPES.release, "gpu-operator").inputs.values.dcgmExporter.serviceMonitor.enabled, false);
  });

  it("creates the XRD after Crossplane, a Composition per cloud in use and a composite per pool that Pulumi waits on", async () => {
    const { run, layer } = await build({ pools: [AWS, GCP], values: {} });
    // The XRD and Compositions need Crossplane alone, not its providers, function or provider configs.
    assert.deepEqual(run.directWaits(`${XRD}::gpu-xrd`).filter((d) => d.startsWith("test:")), ["test:crossplane:Core::core"]);
    for (const c of run.ofType(COMPOSITION)) {
      assert.deepEqual(run.directWaits(`${COMPOSITION}::${c.name}`).filter((d) => d.startsWith("test:")), ["test:crossplane:Core::core"], c.name);
    }
    assert.deepEqual(run.ofType(COMPOSITION).map((c) => c.inputs.metadata.name).sort(), ["gpunodepools-aws", "gpunodepools-gcp"]);
    for (const p of [AWS, GCP]) {
      const xr = run.get(TYPES.gpuNodePool, `gpu-pool-${p.name}`);
      assert.equal(xr.inputs.metadata.namespace, "gpu-node-pools");
      assert.equal(xr.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
      assert.ok(run.dependsOn(`${TYPES.gpuNodePool}::gpu-pool-${p.name}`, `${COMPOSITION}::gpu-composition-${p.cloud}`));
      assert.ok(run.dependsOn(`${TYPES.gpuNodePool}::gpu-pool-${p.name}`, `${XRD}::gpu-xrd`));
      // Composing runs the function and names the provider config.
      assert.ok(run.dependsOn(`${TYPES.gpuNodePool}::gpu-pool-${p.name}`, "test:crossplane:Crossplane::xp"), p.name);
    }
    assert.deepEqual(layer!.pools, ["gpu-l4", "gpu-gke"]);
    // GPU fleets wait for both pools' composites and the operator.
    assert.equal(layer!.capacityReady.length, 3);
    assert.ok(layer!.capacityReady.includes(layer!.operator));
  });

  it("installs the AWS IAM provider, Healthy before AWS pools, only when an AWS pool exists", async () => {
    const aws = await build({ pools: [AWS], values: {} });
    const iam = aws.run.get(TYPES.crossplaneProvider, "gpu-crossplane-contrib-provider-aws-iam");
    assert.equal(iam.inputs.spec.package, "xpkg.crossplane.io/crossplane-contrib/provider-aws-iam:v2.6.0");
    assert.equal(iam.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Healthy");
    assert.ok(aws.run.dependsOn(`${TYPES.gpuNodePool}::gpu-pool-gpu-l4`, `${TYPES.crossplaneProvider}::gpu-crossplane-contrib-provider-aws-iam`));
    // After its family (Crossplane's resolver then finds it), not after the provider configs.
    assert.deepEqual(aws.run.directWaits(`${TYPES.crossplaneProvider}::gpu-crossplane-contrib-provider-aws-iam`).filter((d) => d.startsWith("test:")), ["test:crossplane:Family::family-aws"]);
    const azure = await build({ pools: [AZURE], values: {} });
    assert.equal(azure.run.ofType(TYPES.crossplaneProvider).length, 0);
  });

  it("refuses to build without pools", async () => {
    const { error } = await build({ pools: [], values: {} });
    assert.match(String(error), /Gpu args\.settings\.pools: empty/);
  });
});
