import * as k8s from "@pulumi/kubernetes";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ARTIFACTS, CHARTS } from "../../components/catalog";
import {
  istioTelemetrySpec,
  LINKERD_CNI,
  linkerdIdentity,
  linkerdNamespaceMetadata,
  Mesh,
  MESH_INJECTION,
  MESHED_POD_SECURITY,
  OTEL_COLLECTOR_OTLP_GRPC,
  renderIstioGatewayValues,
  renderIstiodValues,
  renderLinkerdCniValues,
  renderLinkerdControlPlaneValues,
  type MeshSettings,
} from "../../components/mesh";
import { validateAll } from "../helpers/validate";
import { recordResources, resolveOutput } from "../helpers/program";
import { TYPES } from "../../tools/types";
import { configMapMarker, fakeCluster, fakeNetwork, fakeProvider } from "../helpers/layers";


const proxy = { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } };
const istioOn: MeshSettings = {
  istio: { enabled: true, egressGateway: true, proxy, tracingSampling: 5, values: { pilot: { replicaCount: 2 } }, cniValues: { cniConfDir: "/var/lib/rancher/k3s/agent/etc/cni/net.d" } },
  linkerd: { enabled: false, trustAnchorValidityHours: 87600, issuerValidityHours: 8760, values: {}, cniValues: {} },
};
const linkerdOn: MeshSettings = {
  istio: { ...istioOn.istio, enabled: false },
  linkerd: { enabled: true, trustAnchorValidityHours: 87600, issuerValidityHours: 8760, values: { controllerReplicas: 1 }, cniValues: { destCNINetDir: "/var/lib/rancher/k3s/agent/etc/cni/net.d" } },
};

describe("mesh values", () => {
  it("exports the collector's OTLP/gRPC address for other layers", () => {
    assert.equal(OTEL_COLLECTOR_OTLP_GRPC, "otel-collector.monitoring.svc.cluster.local:4317");
  });

  it("traces through an OpenTelemetry extension provider, with the configured proxy resources and no profile", () => {
    const v = renderIstiodValues({ proxy }) as any;
    assert.deepEqual(v.meshConfig.extensionProviders, [
      { name: "otel-tracing", opentelemetry: { service: "otel-collector.monitoring.svc.cluster.local", port: 4317 } },
    ]);
    assert.deepEqual(v.global.proxy.resources, proxy);
    assert.equal("profile" in v, false);
    assert.equal(v.meshConfig.defaultConfig?.envoyMetricsService, undefined);
  });

  for (const [role, mode, type] of [
    ["ingress", "existing", "LoadBalancer"],
    ["ingress", "kind", "NodePort"],
    ["egress", "existing", "ClusterIP"],
    ["egress", "kind", "ClusterIP"],
  ] as const) {
    it(`exposes the ${role} gateway as ${type} on ${mode} clusters`, () => {
      assert.deepEqual(renderIstioGatewayValues(role, mode), { service: { type } });
    });
  }

  it("samples the configured share of requests mesh-wide", () => {
    assert.deepEqual(istioTelemetrySpec(5), { tracing: [{ providers: [{ name: "otel-tracing" }], randomSamplingPercentage: 5 }] });
  });

  it("has the Istio injector rely on the CNI agent instead of a NET_ADMIN istio-init", () => {
    const v = renderIstiodValues({ proxy }) as any;
    assert.deepEqual(v.pilot.cni, { enabled: true });
    assert.equal(v.istio_cni, undefined, "istio_cni is not a 1.30 istiod value");
  });

  it("has the Linkerd injector rely on linkerd-cni instead of a NET_ADMIN linkerd-init", () => {
    assert.equal(renderLinkerdControlPlaneValues("ANCHOR").cniEnabled, true);
  });

  it("gives linkerd-cni's containers requests (the chart sets none) and turns on its repair controller", () => {
    const v = renderLinkerdCniValues() as any;
    assert.deepEqual(v.resources, { cpu: { request: "10m" }, memory: { request: "32Mi" } });
    assert.equal(v.repairController.enabled, true);
    assert.deepEqual(v.repairController.resources, { cpu: { request: "5m" }, memory: { request: "16Mi" } });
    assert.equal(v.privileged, undefined, "the installer keeps the chart's privileged: false");
    v.resources.cpu.request = "1";
    assert.equal((renderLinkerdCniValues() as any).resources.cpu.request, "10m", "each call returns a fresh copy");
  });

  it("lets meshed namespaces run at Pod Security baseline", () => {
    assert.equal(MESHED_POD_SECURITY, "baseline");
  });

  it("keeps the Linkerd issuer out of the Helm values and reads it from a kubernetes.io/tls Secret", () => {
    const v = renderLinkerdControlPlaneValues("ANCHOR") as any;
    assert.equal(v.identityTrustAnchorsPEM, "ANCHOR");
    assert.deepEqual(v.identity, { issuer: { scheme: "kubernetes.io/tls" } });
  });

  it("labels Linkerd's namespace as its CLI does", () => {
    assert.deepEqual(linkerdNamespaceMetadata(), {
      labels: { "linkerd.io/is-control-plane": "true", "linkerd.io/control-plane-ns": "linkerd", "config.linkerd.io/admission-webhooks": "disabled" },
      annotations: { "linkerd.io/inject": "disabled" },
    });
  });

  it("joins namespaces by label for Istio and by annotation for Linkerd", () => {
    assert.deepEqual(MESH_INJECTION.istio, { labels: { "istio-injection": "enabled" }, annotations: {} });
    assert.deepEqual(MESH_INJECTION.linkerd, { labels: {}, annotations: { "linkerd.io/inject": "enabled" } });
  });
});

function layers() {
  const cluster = fakeCluster();
  return { cluster, network: fakeNetwork([configMapMarker(cluster.provider)("cni")]) };
}

describe("Mesh component: Istio", () => {
  it("installs the CNI agent (kube-system) and base -> istiod -> ingress and egress gateways and the Telemetry, pinned, in their namespaces", async () => {
    let mesh: Mesh | undefined;
    const run = await recordResources(() => {
      mesh = new Mesh("mesh", { ...layers(), clusterMode: "existing", kind: "istio", settings: istioOn });
      return {};
    });
    const base = run.get(TYPES.release, "mesh-istio-base");
    const istiod = run.get(TYPES.release, "mesh-istiod");
    const ingress = run.get(TYPES.release, "mesh-istio-ingress");
    const egress = run.get(TYPES.release, "mesh-istio-egress");
    for (const [r, pin] of [
      [base, CHARTS.istioBase],
      [istiod, CHARTS.istiod],
      [ingress, CHARTS.istioGateway],
      [egress, CHARTS.istioGateway],
    ] as const) {
      assert.equal(r.inputs.chart, pin.chart);
      assert.equal(r.inputs.version, pin.version);
      assert.equal(r.inputs.repositoryOpts.repo, pin.repo);
    }
    assert.equal(istiod.inputs.namespace, "istio-system");
    assert.equal(ingress.inputs.namespace, "istio-ingress");
    assert.equal(egress.inputs.namespace, "istio-egress");
    assert.equal(egress.inputs.values.service.type, "ClusterIP");
    assert.equal(istiod.inputs.values.pilot.replicaCount, 2, "stack overrides reach istiod");
    assert.equal(istiod.inputs.values.profile, undefined);
    assert.equal(istiod.inputs.values.pilot.cni.enabled, true, "stack overrides keep the CNI setting");

    const cni = run.get(TYPES.release, "mesh-istio-cni");
    assert.deepEqual([cni.inputs.chart, cni.inputs.version, cni.inputs.repositoryOpts.repo], [CHARTS.istioCni.chart, CHARTS.istioCni.version, CHARTS.istioCni.repo]);
    assert.equal(cni.inputs.chart, "cni");
    assert.equal(cni.inputs.version, CHARTS.istiod.version, "the CNI agent matches istiod's version");
    assert.equal(cni.inputs.namespace, "kube-system");
    assert.equal(cni.inputs.values.cniConfDir, "/var/lib/rancher/k3s/agent/etc/cni/net.d", "cniValues reach the CNI chart");
    assert.equal(cni.inputs.values.chained, undefined, "the chart's chained default (true) stays");
    assert.equal(
      run.ofType(TYPES.namespace).some((n) => n.inputs.metadata.name === "kube-system"),
      false,
      "kube-system is not created",
    );

    assert.ok(run.dependsOn(`${TYPES.release}::mesh-istio-cni`, `${TYPES.configMap}::cni`), "the CNI agent waits for the cluster's CNI");
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-istiod`, `${TYPES.release}::mesh-istio-cni`), "no pod is injected before the CNI agent runs");
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-istiod`, `${TYPES.release}::mesh-istio-base`));
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-istiod`, `${TYPES.configMap}::cni`));
    assert.equal(run.dependsOn(`${TYPES.release}::mesh-istio-cni`, `${TYPES.release}::mesh-istio-base`), false, "the CNI agent and the CRDs install in parallel");
    assert.equal(run.dependsOn(`${TYPES.release}::mesh-istio-base`, `${TYPES.release}::mesh-istio-cni`), false, "the CNI agent and the CRDs install in parallel");
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-istio-ingress`, `${TYPES.release}::mesh-istiod`));
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-istio-egress`, `${TYPES.release}::mesh-istiod`));
    assert.ok(run.dependsOn(`${TYPES.telemetry}::mesh-istio-telemetry`, `${TYPES.release}::mesh-istiod`));
    assert.equal(run.dependsOn(`${TYPES.release}::mesh-istio-ingress`, `${TYPES.release}::mesh-istio-egress`), false, "gateways install in parallel");

    const tel = run.get(TYPES.telemetry, "mesh-istio-telemetry");
    assert.equal(tel.inputs.metadata.namespace, "istio-system");
    assert.equal(tel.inputs.spec.tracing[0].randomSamplingPercentage, 5);

    for (const n of ["mesh-istio-system-ns", "mesh-istio-ingress-ns", "mesh-istio-egress-ns"]) {
      const labels = run.get(TYPES.namespace, n).inputs.metadata.labels;
      assert.equal(labels["pod-security.kubernetes.io/enforce"], "baseline", n);
      assert.equal(labels["istio-injection"], undefined, `${n} stays out of sidecar injection`);
    }
    assert.equal(mesh!.kind, "istio");
    assert.deepEqual(mesh!.injection, MESH_INJECTION.istio);
    assert.equal(mesh!.meshedPodSecurity, "baseline");
    assert.ok(mesh!.istio?.cni instanceof k8s.helm.v3.Release, "the CNI release is exposed");
    assert.equal(mesh!.ready.length, 4);
    // Meshed workloads wait for the injector; Knative's net-istio for istiod and the ingress gateway.
    assert.deepEqual(mesh!.injector, [mesh!.istio!.istiod]);
    assert.deepEqual(mesh!.ingressGateway, [mesh!.istio!.istiod, mesh!.istio!.ingressGateway]);
    assert.equal(run.ofType(TYPES.configFile).length, 0, "Istio does not install Gateway API CRDs");
    assert.deepEqual(await validateAll(run.resources), [], "the Telemetry and namespaces match their schemas");
  });

  it("skips the egress gateway when disabled", async () => {
    const run = await recordResources(() => {
      new Mesh("mesh", { ...layers(), clusterMode: "kind", kind: "istio", settings: { ...istioOn, istio: { ...istioOn.istio, egressGateway: false } } });
      return {};
    });
    assert.deepEqual(
      run.ofType(TYPES.release).map((r) => r.name),
      ["mesh-istio-cni", "mesh-istio-base", "mesh-istiod", "mesh-istio-ingress"],
    );
    assert.equal(run.get(TYPES.release, "mesh-istio-ingress").inputs.values.service.type, "NodePort");
  });
});

describe("Mesh component: Linkerd", () => {
  it("installs linkerd2-cni (privileged linkerd-cni) and Gateway API CRDs -> linkerd-crds -> control plane (restricted) with a Secret-held issuer", async () => {
    let mesh: Mesh | undefined;
    const run = await recordResources(() => {
      mesh = new Mesh("mesh", { ...layers(), clusterMode: "kind", kind: "linkerd", settings: linkerdOn });
      return {};
    });
    const gw = run.get(TYPES.configFile, "mesh-gateway-api");
    assert.equal(gw.inputs.file, ARTIFACTS.gatewayApi.url);
    const crds = run.get(TYPES.release, "mesh-linkerd-crds");
    const cp = run.get(TYPES.release, "mesh-linkerd-control-plane");
    assert.equal(crds.inputs.chart, CHARTS.linkerdCrds.chart);
    assert.equal(crds.inputs.version, CHARTS.linkerdCrds.version);
    assert.equal(cp.inputs.chart, CHARTS.linkerdControlPlane.chart);
    assert.equal(cp.inputs.version, CHARTS.linkerdControlPlane.version);
    assert.equal(cp.inputs.namespace, "linkerd");
    assert.equal(cp.inputs.values.controllerReplicas, 1, "stack overrides reach the control plane");
    assert.equal(cp.inputs.values.identity.issuer.scheme, "kubernetes.io/tls");
    assert.equal(cp.inputs.values.identity.issuer.tls, undefined, "no issuer key in Helm values");

    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-crds`, `${TYPES.configFile}::mesh-gateway-api`));
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-control-plane`, `${TYPES.release}::mesh-linkerd-crds`));
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-control-plane`, `${TYPES.secret}::mesh-linkerd-issuer`));
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-control-plane`, `${TYPES.configMap}::cni`));
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-cni`, `${TYPES.configMap}::cni`), "linkerd-cni waits for the cluster's CNI");
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-control-plane`, `${TYPES.release}::mesh-linkerd-cni`), "no pod is injected before linkerd-cni runs");
    assert.equal(run.dependsOn(`${TYPES.release}::mesh-linkerd-cni`, `${TYPES.release}::mesh-linkerd-crds`), false, "linkerd-cni and the CRDs install in parallel");
    assert.equal(cp.inputs.values.cniEnabled, true);

    const cni = run.get(TYPES.release, "mesh-linkerd-cni");
    assert.deepEqual([cni.inputs.chart, cni.inputs.version, cni.inputs.repositoryOpts.repo], [CHARTS.linkerdCni.chart, CHARTS.linkerdCni.version, CHARTS.linkerdCni.repo]);
    assert.equal(cni.inputs.version, CHARTS.linkerdControlPlane.version, "linkerd-cni matches the control plane's version");
    assert.equal(cni.inputs.namespace, "linkerd-cni");
    assert.equal(cni.inputs.values.destCNINetDir, "/var/lib/rancher/k3s/agent/etc/cni/net.d", "cniValues reach linkerd2-cni");
    assert.equal(cni.inputs.values.repairController.enabled, true);
    assert.ok(run.dependsOn(`${TYPES.release}::mesh-linkerd-cni`, `${TYPES.namespace}::mesh-linkerd-cni-ns`));
    const cniNs = run.get(TYPES.namespace, "mesh-linkerd-cni-ns").inputs.metadata;
    assert.equal(cniNs.name, "linkerd-cni");
    assert.equal(cniNs.labels["pod-security.kubernetes.io/enforce"], "privileged", "the installer mounts the node's CNI directories");
    for (const [k, v] of Object.entries(LINKERD_CNI.labels)) assert.equal(cniNs.labels[k], v, k);
    assert.equal(cniNs.annotations["linkerd.io/inject"], undefined);

    const secret = run.get(TYPES.secret, "mesh-linkerd-issuer");
    assert.equal(secret.inputs.type, "kubernetes.io/tls");
    assert.equal(secret.inputs.metadata.name, "linkerd-identity-issuer");
    // The mocks see the issuer key as Pulumi's secret envelope: it reaches the provider as a secret.
    const data = secret.inputs.stringData;
    assert.equal(data[specialSigKey], specialSecretSig, "the Secret's data is a Pulumi secret");

    const ns = run.get(TYPES.namespace, "mesh-linkerd-ns").inputs.metadata;
    assert.equal(ns.name, "linkerd");
    assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted", "no linkerd-init with NET_ADMIN: the CLI's level with cniEnabled");
    assert.equal(ns.labels["config.linkerd.io/admission-webhooks"], "disabled");
    assert.equal(ns.annotations["linkerd.io/inject"], "disabled");

    const anchor = run.get("tls:index/selfSignedCert:SelfSignedCert", "mesh-linkerd-trust-anchor");
    assert.equal(anchor.inputs.isCaCertificate, true);
    assert.equal(anchor.inputs.validityPeriodHours, 87600);
    const issuer = run.get("tls:index/locallySignedCert:LocallySignedCert", "mesh-linkerd-issuer");
    assert.equal(issuer.inputs.isCaCertificate, true);
    assert.equal(issuer.inputs.validityPeriodHours, 8760);
    for (const k of ["mesh-linkerd-trust-anchor-key", "mesh-linkerd-issuer-key"]) {
      const key = run.get("tls:index/privateKey:PrivateKey", k);
      assert.deepEqual([key.inputs.algorithm, key.inputs.ecdsaCurve], ["ECDSA", "P256"], k);
      assert.equal(key.provider?.includes("fake"), false, `${k} uses the default tls provider`);
    }

    // The Secret's data is a secret envelope under mocks (checked above); the rest must validate.
    assert.deepEqual(await validateAll(run.resources.filter((r) => r.type !== TYPES.secret)), []);
    assert.equal(mesh!.kind, "linkerd");
    assert.deepEqual(mesh!.injection, MESH_INJECTION.linkerd);
    assert.equal(mesh!.meshedPodSecurity, "baseline");
    assert.equal(mesh!.ready.length, 1);
    assert.deepEqual(mesh!.injector, [mesh!.linkerd!.controlPlane]);
    assert.deepEqual(mesh!.ingressGateway, []);
  });

  it("keeps the generated issuer key secret", async () => {
    let key: unknown;
    await recordResources(() => {
      const parent = configMapMarker(fakeProvider())("parent");
      key = linkerdIdentity("id", { trustAnchorValidityHours: 48, issuerValidityHours: 24 }, parent).issuerKeyPem;
      return {};
    });
    assert.equal((await resolveOutput(key)).secret, true);
  });

  it("registers nothing without a mesh", async () => {
    let mesh: Mesh | undefined;
    const run = await recordResources(() => {
      mesh = new Mesh("mesh", { ...layers(), clusterMode: "kind", kind: "none", settings: { istio: { ...istioOn.istio, enabled: false }, linkerd: { ...linkerdOn.linkerd, enabled: false } } });
      return {};
    });
    assert.equal(run.ofType(TYPES.release).length, 0);
    assert.equal(run.ofType(TYPES.namespace).length, 0, "no CNI namespace either");
    assert.equal(mesh!.kind, "none");
    assert.equal(mesh!.injection, undefined);
    assert.deepEqual(mesh!.ready, []);
    assert.deepEqual([mesh!.injector, mesh!.ingressGateway], [[], []]);
  });

  it("installs the mesh args.kind names, not the one the settings mark enabled", async () => {
    let mesh: Mesh | undefined;
    const run = await recordResources(() => {
      mesh = new Mesh("mesh", { ...layers(), clusterMode: "kind", kind: "linkerd", settings: istioOn });
      return {};
    });
    assert.equal(mesh!.kind, "linkerd");
    assert.deepEqual(run.ofType(TYPES.release).map((r) => r.inputs.chart).sort(), [CHARTS.linkerdCni.chart, CHARTS.linkerdControlPlane.chart, CHARTS.linkerdCrds.chart].sort());
  });
});
