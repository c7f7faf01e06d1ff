import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARTIFACTS } from "../../components/catalog";
import { packageObjectName, renderPackageSpec, renderProviderConfigSpec } from "../../components/crossplane/packages";
import { dashboardSpec, datasourceSpecs, folderSpec, grafanaSpec, INSTANCE_LABELS } from "../../components/observability/grafana";
import { compositionName, renderComposition, renderPoolSpec, renderXrd } from "../../components/gpu";
import { renderBucketClaimSpec, renderRgwUserSpec } from "../../components/object-storage/values";
import { fleetNetworkPolicies } from "../../components/ollama/netpol";
import { resolveSandbox, sandboxCiliumNetworkPolicies, sandboxTlsDelegation } from "../../components/openhands";
import { API_SERVER_PORTS, platformNetworkPolicies } from "../../components/openhands/netpol-platform";
import { platformSchema } from "../../config/schema";
import { renderValidatingPolicy } from "../../policies/engine/kyverno";
import { buildRules, DEFAULT_POLICY_SETTINGS } from "../../policies/rules";
import { KINDS, SCHEMAS } from "./schemas";
import { VALID_CLUSTER } from "./schemas/cnpg";
import { VALID_FLEET } from "./schemas/ollamafleet";
import { EXTRA_SCHEMAS, toObject, validateObject } from "./validate";

/** Problems with an object, through the registered validator of its kind. */
function check(o: Record<string, any>): string[] {
  const v = SCHEMAS.get(`${o.apiVersion}/${o.kind}`);
  assert.ok(v, `no schema for ${o.apiVersion}/${o.kind}`);
  return v(o);
}

/** The object with one change applied to a deep copy. */
function mutate(o: Record<string, any>, change: (c: any) => void): Record<string, any> {
  const c = structuredClone(o);
  change(c);
  return c;
}

const GRAFANA = "grafana.integreatly.org/v1beta1";
const NS = "monitoring";
const grafana = { apiVersion: GRAFANA, kind: "Grafana", metadata: { name: "grafana", namespace: NS, labels: { ...INSTANCE_LABELS } }, spec: grafanaSpec("grafana.example.org", "prod") };
const datasource = {
  apiVersion: GRAFANA,
  kind: "GrafanaDatasource",
  metadata: { name: "prometheus", namespace: NS },
  spec: datasourceSpecs({ prometheus: true, loki: false, jaeger: false })[0].spec,
};
const folder = { apiVersion: GRAFANA, kind: "GrafanaFolder", metadata: { name: "platform", namespace: NS }, spec: folderSpec() };
const dashboard = { apiVersion: GRAFANA, kind: "GrafanaDashboard", metadata: { name: "platform", namespace: NS }, spec: dashboardSpec({ title: "Platform", panels: [] }) };

const provider = {
  apiVersion: "pkg.crossplane.io/v1",
  kind: "Provider",
  metadata: { name: packageObjectName(ARTIFACTS.providerFamilyAws), annotations: { "pulumi.com/waitFor": "condition=Healthy" } },
  spec: renderPackageSpec(ARTIFACTS.providerFamilyAws),
};
const fn = { ...provider, kind: "Function", metadata: { name: "crossplane-contrib-function-patch-and-transform" }, spec: renderPackageSpec(ARTIFACTS.functionPatchAndTransform) };
const secret = { namespace: "crossplane-system", name: "aws-credentials" };
const providerConfig = (cloud: "aws" | "gcp" | "azure") => ({
  apiVersion: `${cloud}.m.upbound.io/v1beta1`,
  kind: "ClusterProviderConfig",
  metadata: { name: "default" },
  spec: renderProviderConfigSpec(cloud, { enabled: true, project: "my-project" }, secret),
});

const user = {
  apiVersion: "ceph.rook.io/v1",
  kind: "CephObjectStoreUser",
  metadata: { name: "platform", namespace: "rook-ceph" },
  spec: renderRgwUserSpec("ceph-objectstore"),
};
const claim = {
  apiVersion: "objectbucket.io/v1alpha1",
  kind: "ObjectBucketClaim",
  metadata: { name: "agent-artifacts", namespace: "rook-ceph" },
  spec: renderBucketClaimSpec("agent-artifacts", "ceph-bucket"),
};

// Every rule the policy layer deploys, in both enforcement modes; the first one is mutated below.
const POLICIES = (["Audit", "Deny"] as const).flatMap((e) => buildRules(DEFAULT_POLICY_SETTINGS).map((r) => renderValidatingPolicy(r, e) as unknown as Record<string, any>));
const policy = POLICIES[0];
const P = `policies.kyverno.io/v1/ValidatingPolicy ${policy.metadata.name}`;

// The GPU pool kinds, as components/gpu renders them for an AWS pool.
const gpuPool = {
  apiVersion: "platform.openhands.ai/v1alpha1",
  kind: "GPUNodePool",
  metadata: { name: "gpu-l4", namespace: "gpu-node-pools" },
  spec: renderPoolSpec(
    { name: "gpu-l4", cloud: "aws", instanceType: "g6.xlarge", gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 4, diskSizeGb: 100, labels: {}, aws: { clusterName: "c", region: "us-east-1" } },
    "default",
    compositionName("aws"),
  ),
};
/** The sandbox certificate's delegation (components/openhands, sandboxTlsDelegation). */
const delegation = {
  apiVersion: "projectcontour.io/v1",
  kind: "TLSCertificateDelegation",
  metadata: { name: "sandbox-tls", namespace: "openhands" },
  spec: sandboxTlsDelegation(resolveSandbox(platformSchema.shape.openhands.parse({ enabled: true }).sandbox, { domain: "localhost", ingressClass: "contour", defaultStorageClass: "standard" })),
};

const VALID: Record<string, any>[] = [
  renderXrd(),
  renderComposition("aws"),
  gpuPool,
  grafana,
  datasource,
  folder,
  dashboard,
  provider,
  fn,
  providerConfig("aws"),
  providerConfig("gcp"),
  providerConfig("azure"),
  user,
  claim,
  ...POLICIES,
  VALID_FLEET,
  VALID_CLUSTER,
  // Every CiliumNetworkPolicy the platform's functions emit (sandboxes with and without internet, the fleet namespace, openhands with Postgres).
  ...[false, true].flatMap((internet) => {
    const s = platformSchema.shape.openhands.parse({ enabled: true }).sandbox;
    const sandbox = resolveSandbox(s, { domain: "localhost", ingressClass: "contour", defaultStorageClass: "standard" });
    return sandboxCiliumNetworkPolicies({ sandbox, openhandsNamespace: "openhands", ingressNamespace: "projectcontour", fleet: { namespace: "ollama", name: "coder" }, egress: { internet, cidrs: [] }, cilium: true });
  }),
  ...fleetNetworkPolicies({ namespace: "ollama", mesh: "istio", cilium: true, sandboxes: { namespace: "openhands-sandboxes", fleet: "coder" } }).ciliumNetworkPolicies,
  ...platformNetworkPolicies({ namespace: "openhands", ingressNamespace: "projectcontour", sandboxNamespace: "openhands-sandboxes", apiServer: { ports: API_SERVER_PORTS }, cilium: true, postgres: { cluster: "openhands-db", operatorNamespace: "cnpg-system" } }).ciliumNetworkPolicies,
  delegation,
];

describe("custom resource schemas", () => {
  it("covers every kind with a valid example of what the platform emits", () => {
    assert.deepEqual(new Set(VALID.map((o) => `${o.apiVersion}/${o.kind}`)), new Set(SCHEMAS.keys()));
    for (const o of VALID) assert.deepEqual(check(o), [], `${o.apiVersion}/${o.kind}`);
  });

  it("registers every schema in EXTRA_SCHEMAS for the whole-program validation", async () => {
    for (const k of KINDS) assert.ok(EXTRA_SCHEMAS.has(`${k.apiVersion}/${k.kind}`), `${k.apiVersion}/${k.kind}`);
    const bad = mutate(claim, (c) => (c.spec.bucketName = 7));
    assert.deepEqual(await validateObject("kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim", bad), [
      "objectbucket.io/v1alpha1/ObjectBucketClaim agent-artifacts: data/spec/bucketName must be string (got number)",
    ]);
  });

  const cases: { name: string; object: Record<string, any>; problem: string }[] = [
    // Contour
    {
      name: "a delegation without targetNamespaces (Contour would ignore it)",
      object: mutate(delegation, (c) => delete c.spec.delegations[0].targetNamespaces),
      problem: "projectcontour.io/v1/TLSCertificateDelegation sandbox-tls: data/spec/delegations/0 must have required property targetNamespaces",
    },
    // Grafana Operator
    {
      name: "a Grafana config value that is not a string (grafana.ini sections are string maps)",
      object: mutate(grafana, (c) => (c.spec.config.users.allow_sign_up = false)),
      problem: "grafana.integreatly.org/v1beta1/Grafana grafana: data/spec/config/users/allow_sign_up must be string (got boolean)",
    },
    {
      name: "an unknown field in the Grafana deployment's container",
      object: mutate(grafana, (c) => (c.spec.deployment.spec.template.spec.containers[0].imageTag = "12")),
      problem: "grafana.integreatly.org/v1beta1/Grafana grafana: data/spec/deployment/spec/template/spec/containers/0 must NOT have additional property imageTag",
    },
    {
      name: "a malformed resource quantity in the Grafana container",
      object: mutate(grafana, (c) => (c.spec.deployment.spec.template.spec.containers[0].resources = { limits: { memory: "1 GB" } })),
      problem: "grafana.integreatly.org/v1beta1/Grafana grafana: data/spec/deployment/spec/template/spec/containers/0/resources/limits/memory must be a Kubernetes quantity",
    },
    {
      name: "a Grafana security-context switch outside its enum",
      object: mutate(grafana, (c) => (c.spec.disableDefaultSecurityContext = "Both")),
      problem: 'grafana.integreatly.org/v1beta1/Grafana grafana: data/spec/disableDefaultSecurityContext must be equal to one of the allowed values: "Pod", "Container", "All"',
    },
    {
      name: "a datasource without its datasource block",
      object: mutate(datasource, (c) => delete c.spec.datasource),
      problem: "grafana.integreatly.org/v1beta1/GrafanaDatasource prometheus: data/spec must have required property datasource",
    },
    {
      name: "a datasource with isDefault as a string",
      object: mutate(datasource, (c) => (c.spec.datasource.isDefault = "true")),
      problem: "grafana.integreatly.org/v1beta1/GrafanaDatasource prometheus: data/spec/datasource/isDefault must be boolean (got string)",
    },
    {
      name: "a folder without an instance selector",
      object: mutate(folder, (c) => delete c.spec.instanceSelector),
      problem: "grafana.integreatly.org/v1beta1/GrafanaFolder platform: data/spec must have required property instanceSelector",
    },
    {
      name: "a folder uid with characters Grafana refuses",
      object: mutate(folder, (c) => (c.spec.uid = "plat/form")),
      problem: "grafana.integreatly.org/v1beta1/GrafanaFolder platform: data/spec/uid must match ^[a-zA-Z0-9-_]+$",
    },
    {
      name: "a dashboard whose json is an object, not a string",
      object: mutate(dashboard, (c) => (c.spec.json = { title: "x" })),
      problem: "grafana.integreatly.org/v1beta1/GrafanaDashboard platform: data/spec/json must be string (got object)",
    },
    {
      name: "a dashboard naming its folder both by reference and by uid",
      object: mutate(dashboard, (c) => (c.spec.folderUID = "platform")),
      problem: "grafana.integreatly.org/v1beta1/GrafanaDashboard platform: data/spec folderRef and folderUID are exclusive",
    },
    {
      name: "a dashboard with an unknown spec field",
      object: mutate(dashboard, (c) => (c.spec.folderName = "platform")),
      problem: "grafana.integreatly.org/v1beta1/GrafanaDashboard platform: data/spec must NOT have additional property folderName",
    },
    // Crossplane
    {
      name: "a Provider package without a registry host",
      object: mutate(provider, (c) => (c.spec.package = "crossplane-contrib/provider-family-aws:v2.6.0")),
      problem:
        "pkg.crossplane.io/v1/Provider crossplane-contrib-provider-family-aws: data/spec/package must be a fully qualified package reference (registry/org/name:tag or @sha256:...)",
    },
    {
      name: "a Provider without a package",
      object: mutate(provider, (c) => delete c.spec.package),
      problem: "pkg.crossplane.io/v1/Provider crossplane-contrib-provider-family-aws: data/spec must have required property package",
    },
    {
      name: "a Function with the v1 ControllerConfig reference Crossplane 2 removed",
      object: mutate(fn, (c) => (c.spec.controllerConfigRef = { name: "default" })),
      problem: "pkg.crossplane.io/v1/Function crossplane-contrib-function-patch-and-transform: data/spec must NOT have additional property controllerConfigRef",
    },
    {
      name: "a cluster-scoped package in a namespace",
      object: mutate(provider, (c) => (c.metadata.namespace = "crossplane-system")),
      problem: "pkg.crossplane.io/v1/Provider crossplane-contrib-provider-family-aws: data/metadata/namespace must not be set: the kind is cluster-scoped",
    },
    {
      name: "a cluster-scoped package without a name",
      object: mutate(fn, (c) => delete c.metadata.name),
      problem: "pkg.crossplane.io/v1/Function ?: data/metadata must have required property name (the kind is cluster-scoped)",
    },
    {
      name: "an AWS config with an unknown credentials source",
      object: mutate(providerConfig("aws"), (c) => (c.spec.credentials.source = "Secrets")),
      problem:
        'aws.m.upbound.io/v1beta1/ClusterProviderConfig default: data/spec/credentials/source must be equal to one of the allowed values: "None", "Secret", "IRSA", "WebIdentity", "PodIdentity", "Upbound"',
    },
    {
      name: "an AWS config with a region (regions are set per managed resource)",
      object: mutate(providerConfig("aws"), (c) => (c.spec.region = "eu-west-1")),
      problem: "aws.m.upbound.io/v1beta1/ClusterProviderConfig default: data/spec must NOT have additional property region",
    },
    {
      name: "a GCP config without its project",
      object: mutate(providerConfig("gcp"), (c) => delete c.spec.projectID),
      problem: "gcp.m.upbound.io/v1beta1/ClusterProviderConfig default: data/spec must have required property projectID",
    },
    {
      name: "an Azure config whose secret reference lacks the key",
      object: mutate(providerConfig("azure"), (c) => delete c.spec.credentials.secretRef.key),
      problem: "azure.m.upbound.io/v1beta1/ClusterProviderConfig default: data/spec/credentials/secretRef must have required property key",
    },
    // Rook
    {
      name: "an object store user whose key reference lacks the key",
      object: mutate(user, (c) => delete c.spec.keys[0].secretKeyRef.key),
      problem: "ceph.rook.io/v1/CephObjectStoreUser platform: data/spec/keys/0/secretKeyRef must have required property key",
    },
    {
      name: "an object store user with a capability outside its enum",
      object: mutate(user, (c) => (c.spec.capabilities = { bucket: "all" })),
      problem: 'ceph.rook.io/v1/CephObjectStoreUser platform: data/spec/capabilities/bucket must be equal to one of the allowed values: "*", "read", "write", "read, write"',
    },
    {
      name: "an object store user with a quota as a string",
      object: mutate(user, (c) => (c.spec.quotas = { maxBuckets: "10" })),
      problem: "ceph.rook.io/v1/CephObjectStoreUser platform: data/spec/quotas/maxBuckets must be integer (got string)",
    },
    {
      name: "an object store user with a size quota that is neither a quantity nor an integer",
      object: mutate(user, (c) => (c.spec.quotas = { maxSize: true })),
      problem: "ceph.rook.io/v1/CephObjectStoreUser platform: data/spec/quotas/maxSize must be integer or string",
    },
    {
      name: "a bucket claim with an unknown spec field",
      object: mutate(claim, (c) => (c.spec.bucketOwner = "platform")),
      problem: "objectbucket.io/v1alpha1/ObjectBucketClaim agent-artifacts: data/spec must NOT have additional property bucketOwner",
    },
    // Kyverno
    {
      name: "a policy with a validation action outside its enum",
      object: mutate(policy, (c) => (c.spec.validationActions = ["Enforce"])),
      problem: `${P}: data/spec/validationActions/0 must be equal to one of the allowed values: "Deny", "Audit", "Warn"`,
    },
    {
      name: "a policy validation without an expression",
      object: mutate(policy, (c) => delete c.spec.validations[0].expression),
      problem: `${P}: data/spec/validations/0 must have required property expression`,
    },
    {
      name: "a policy with ClusterPolicy's `rules`",
      object: mutate(policy, (c) => (c.spec.rules = [])),
      problem: `${P}: data/spec must NOT have additional property rules`,
    },
    {
      name: "a policy matching an admission operation that does not exist",
      object: mutate(policy, (c) => (c.spec.matchConstraints.resourceRules[0].operations = ["CREATE", "PATCH"])),
      problem:
        `${P}: data/spec/matchConstraints/resourceRules/0/operations/1 must be equal to one of the allowed values: "*", "CREATE", "UPDATE", "DELETE", "CONNECT"`,
    },
    {
      name: "a policy whose webhook timeout is a string",
      object: mutate(policy, (c) => (c.spec.webhookConfiguration = { timeoutSeconds: "10" })),
      problem: `${P}: data/spec/webhookConfiguration/timeoutSeconds must be integer (got string)`,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => assert.deepEqual(check(c.object), [c.problem]));
  }
});

describe("metadata of custom resources", () => {
  it("rejects a name that is not an RFC 1123 subdomain", () => {
    assert.deepEqual(check(mutate(folder, (c) => (c.metadata.name = "Platform_Folder"))), [
      "grafana.integreatly.org/v1beta1/GrafanaFolder Platform_Folder: data/metadata/name must be a lowercase RFC 1123 subdomain",
    ]);
  });

  it("rejects a label value that is not a string", () => {
    assert.deepEqual(check(mutate(grafana, (c) => (c.metadata.labels.replicas = 2))), [
      "grafana.integreatly.org/v1beta1/Grafana grafana: data/metadata/labels/replicas must be string (got number)",
    ]);
  });

  it("rejects an annotation key with two slashes", () => {
    assert.deepEqual(check(mutate(provider, (c) => (c.metadata.annotations["pulumi.com/wait/for"] = "x"))), [
      'pkg.crossplane.io/v1/Provider crossplane-contrib-provider-family-aws: data/metadata/annotations/pulumi.com/wait/for key prefix must be a lowercase RFC 1123 subdomain',
    ]);
  });

  it("rejects an unknown metadata field", () => {
    assert.deepEqual(check(mutate(claim, (c) => (c.metadata.label = { a: "b" }))), [
      "objectbucket.io/v1alpha1/ObjectBucketClaim agent-artifacts: data/metadata must NOT have additional property label",
    ]);
  });

  it("accepts a namespaced object without a name (Pulumi auto-names it)", () => {
    assert.deepEqual(check(mutate(claim, (c) => delete c.metadata)), []);
  });

  it("rejects an object of another apiVersion under the kind's key", () => {
    assert.deepEqual(SCHEMAS.get("ceph.rook.io/v1/CephObjectStoreUser")!(mutate(user, (c) => (c.apiVersion = "ceph.rook.io/v1beta1"))), [
      'ceph.rook.io/v1/CephObjectStoreUser platform: data/apiVersion must be equal to one of the allowed values: "ceph.rook.io/v1"',
    ]);
  });
});

describe("secret inputs under mocks", () => {
  const SIG = "4dabf18193072939515e22adb298388d";
  const wrap = (value: unknown) => ({ [SIG]: "1b47061264138c4ac30d75fd1eb44270", value });

  it("validates the plain value inside Pulumi's secret wrappers, at any depth", async () => {
    const recorded = {
      type: "kubernetes:core/v1:Secret",
      name: "s",
      inputs: { metadata: { name: "s", namespace: "a" }, stringData: wrap({ key: wrap("v") }), type: "Opaque" },
    } as unknown as Parameters<typeof toObject>[0];
    const object = toObject(recorded);
    assert.deepEqual(object, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "a" }, stringData: { key: "v" }, type: "Opaque" });
    assert.deepEqual(await validateObject(recorded.type, object!), []);
  });
});
