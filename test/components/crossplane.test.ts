import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARTIFACTS, CHARTS } from "../../components/catalog";
import {
  Crossplane,
  packageObjectName,
  packageRef,
  renderProviderConfigSpec,
  type Cloud,
  type CrossplaneSettings,
} from "../../components/crossplane";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeNetwork } from "../helpers/layers";
import { recordResources, type ProgramRun } from "../helpers/program";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

const off = { enabled: false };
function settings(on: Partial<Record<Cloud, { region?: string; project?: string }>>): CrossplaneSettings {
  return {
    enabled: true,
    providers: {
      aws: on.aws ? { enabled: true, ...on.aws } : off,
      gcp: on.gcp ? { enabled: true, ...on.gcp } : off,
      azure: on.azure ? { enabled: true, ...on.azure } : off,
    },
    values: {},
  };
}
const CREDS = { aws: "aws-fixture-secret", gcp: '{"type":"gcp-fixture-secret"}', azure: '{"clientSecret":"azure-fixture-secret"}' };

async function build(s: CrossplaneSettings, creds: Partial<Record<Cloud, string>> = CREDS): Promise<{ run: ProgramRun; layer?: Crossplane; error?: unknown }> {
  let layer: Crossplane | undefined;
  let error: unknown;
  const run = await recordResources(async () => {
    const cluster = fakeCluster();
    const cni = componentMarker("test:network:Cni")("cni");
    const credentials = Object.fromEntries(Object.entries(creds).map(([k, v]) => [k, pulumi.secret(v)]));
    try {
      layer = new Crossplane("crossplane", { cluster, network: fakeNetwork([cni]), settings: s, credentials });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, layer, error };
}

describe("Crossplane packages", () => {
  it("references pinned crossplane-contrib packages on xpkg.crossplane.io", () => {
    assert.equal(packageRef(ARTIFACTS.providerAwsEc2), "xpkg.crossplane.io/crossplane-contrib/provider-aws-ec2:v2.6.0");
    assert.equal(packageRef(ARTIFACTS.providerGcpContainer), "xpkg.crossplane.io/crossplane-contrib/provider-gcp-container:v3.0.0");
    assert.equal(packageRef(ARTIFACTS.providerAzureContainerservice), "xpkg.crossplane.io/crossplane-contrib/provider-azure-containerservice:v2.7.0");
    assert.equal(packageRef(ARTIFACTS.functionPatchAndTransform), "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.8");
  });

  it("names package objects as Crossplane's dependency resolver does", () => {
    assert.equal(packageObjectName(ARTIFACTS.providerFamilyAws), "crossplane-contrib-provider-family-aws");
  });

  const cases: [Cloud, Record<string, unknown>][] = [
    ["aws", {}],
    ["gcp", { projectID: "agents-prod" }],
    ["azure", {}],
  ];
  for (const [cloud, extra] of cases) {
    it(`reads ${cloud} credentials from the platform's Secret`, () => {
      assert.deepEqual(renderProviderConfigSpec(cloud, { enabled: true, project: "agents-prod", region: "r" }, { namespace: "crossplane-system", name: `${cloud}-credentials` }), {
        ...extra,
        credentials: { source: "Secret", secretRef: { namespace: "crossplane-system", name: `${cloud}-credentials`, key: "credentials" } },
      });
    });
  }
});

describe("Crossplane component", () => {
  it("installs the pinned chart after the CNI and the function after Crossplane", async () => {
    const { run } = await build(settings({}));
    const release = run.get(TYPES.release, "crossplane-crossplane");
    assert.deepEqual([release.inputs.chart, release.inputs.version, release.inputs.namespace], ["crossplane", CHARTS.crossplane.version, "crossplane-system"]);
    assert.ok(run.dependsOn(`${TYPES.release}::crossplane-crossplane`, "test:network:Cni::cni"));
    const fn = run.get(TYPES.crossplaneFunction, "crossplane-crossplane-contrib-function-patch-and-transform");
    assert.equal(fn.inputs.spec.package, "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.8");
    assert.ok(run.dependsOn(`${TYPES.crossplaneFunction}::${fn.name}`, `${TYPES.release}::crossplane-crossplane`));
    assert.equal(run.ofType(TYPES.crossplaneProvider).length, 0);
  });

  it("installs the family and the GPU node pool providers per enabled cloud, each awaited until Healthy", async () => {
    const { run } = await build(settings({ aws: { region: "us-east-1" }, gcp: { project: "agents-prod" }, azure: { region: "westeurope" } }));
    assert.deepEqual(run.ofType(TYPES.crossplaneProvider).map((p) => p.inputs.spec.package).sort(), [
      "xpkg.crossplane.io/crossplane-contrib/provider-aws-ec2:v2.6.0",
      "xpkg.crossplane.io/crossplane-contrib/provider-aws-eks:v2.6.0",
      "xpkg.crossplane.io/crossplane-contrib/provider-azure-containerservice:v2.7.0",
      "xpkg.crossplane.io/crossplane-contrib/provider-family-aws:v2.6.0",
      "xpkg.crossplane.io/crossplane-contrib/provider-family-azure:v2.7.0",
      "xpkg.crossplane.io/crossplane-contrib/provider-family-gcp:v3.0.0",
      "xpkg.crossplane.io/crossplane-contrib/provider-gcp-container:v3.0.0",
    ]);
    for (const p of [...run.ofType(TYPES.crossplaneProvider), ...run.ofType(TYPES.crossplaneFunction)]) {
      assert.equal(p.inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Healthy", p.name);
    }
  });

  it("orders crossplane -> family -> service providers -> ClusterProviderConfig", async () => {
    const { run } = await build(settings({ aws: { region: "us-east-1" } }));
    const family = `${TYPES.crossplaneProvider}::crossplane-crossplane-contrib-provider-family-aws`;
    const eks = `${TYPES.crossplaneProvider}::crossplane-crossplane-contrib-provider-aws-eks`;
    const config = "kubernetes:aws.m.upbound.io/v1beta1:ClusterProviderConfig::crossplane-aws-provider-config";
    assert.ok(run.dependsOn(family, `${TYPES.release}::crossplane-crossplane`));
    assert.ok(run.dependsOn(eks, family));
    assert.ok(run.dependsOn(config, eks));
    assert.ok(run.dependsOn(config, family));
    assert.ok(run.dependsOn(config, `${TYPES.secret}::crossplane-aws-credentials`));
  });

  it("uses the v2 ClusterProviderConfig of namespaced managed resources per cloud", async () => {
    const { run, layer } = await build(settings({ aws: { region: "us-east-1" }, gcp: { project: "agents-prod" } }));
    const aws = run.get("kubernetes:aws.m.upbound.io/v1beta1:ClusterProviderConfig", "crossplane-aws-provider-config");
    const gcp = run.get("kubernetes:gcp.m.upbound.io/v1beta1:ClusterProviderConfig", "crossplane-gcp-provider-config");
    assert.equal(aws.inputs.metadata.name, "default");
    assert.equal(gcp.inputs.spec.projectID, "agents-prod");
    assert.deepEqual(layer!.providerConfigs, { aws: "default", gcp: "default" });
  });

  it("keeps credentials secret: only in Secrets, marked secret, never in release values", async () => {
    const { run } = await build(settings({ aws: { region: "us-east-1" }, azure: { region: "westeurope" } }));
    const secret = run.get(TYPES.secret, "crossplane-aws-credentials");
    assert.ok(SECRET_SIG in secret.inputs.stringData, "stringData is marked secret");
    assert.deepEqual(secret.inputs.stringData.value, { credentials: "aws-fixture-secret" });
    const elsewhere = run.resources.filter((r) => r.type !== TYPES.secret);
    assert.doesNotMatch(JSON.stringify(elsewhere.map((r) => r.inputs)), /fixture-secret/);
  });

  it("refuses an enabled cloud without credentials", async () => {
    const { error } = await build(settings({ azure: { region: "westeurope" } }), {});
    assert.equal((error as Error).message, "Crossplane args.credentials.azure: missing; args.settings.providers.azure is enabled and its provider needs credentials");
  });

  it("refuses GCP without a project", async () => {
    const { error } = await build(settings({ gcp: {} }));
    assert.equal((error as Error).message, "Crossplane args.settings.providers.gcp.project: missing; the GCP provider config needs a project id");
  });
});
