import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { layerEdges, layerOf, layers, releaseEdges, shortName } from "../scripts/lib/graph";
import { TYPES } from "../tools/types";
import { PROD_SECRETS, runProgram, type ProgramRun } from "./helpers/program";

/*
 * The dependency graph the program builds: every hard edge of the design is there, and
 * nothing waits for a layer it does not need (the layer edges are asserted exactly).
 */

const named = (edges: [string, string][]) => edges.map(([a, b]) => `${shortName(a)} <- ${shortName(b)}`);

function hardEdges(run: ProgramRun, pairs: [string, string][]): void {
  for (const [from, to] of pairs) assert.ok(run.waitsFor(from, to), `${from} does not wait for ${to}`);
}

/** What `from` waits for directly in other layers (`layer/name`), sorted: the readiness handles it uses. */
function waitsIn(run: ProgramRun, from: string, layerNames: string[]): string[] {
  return run
    .directWaits(from)
    .map((d) => [shortName(layerOf(run, d)), d] as const)
    .filter(([l]) => layerNames.includes(l))
    .map(([l, d]) => `${l}/${shortName(d)}`)
    .sort();
}

describe("the prod dependency graph", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram({ stack: "prod", secrets: PROD_SECRETS });
  });

  it("has exactly the layer edges the design needs", () => {
    const edges = layerEdges(run).filter(([, to]) => shortName(to) !== "cluster");
    const onCni = ["autoscaling", "certificates", "crossplane", "ingress", "mesh", "observability", "policy", "serverless", "storage"];
    assert.deepEqual(
      named(edges).sort(),
      [
        ...onCni.map((l) => `${l} <- network`),
        "certificates <- ingress", // ACME HTTP-01 solves through the ingress controller
        "object-storage <- storage", // Ceph's object gateway runs in the Rook cluster
        "observability <- certificates",
        "observability <- storage",
        "serverless <- mesh", // Knative on Istio
        "gpu <- crossplane", // pools are Crossplane composites
        "gpu <- network", // the GPU Operator's pods
        "gpu <- observability", // the Prometheus Operator's CRDs, for the DCGM exporter's ServiceMonitor
        "ollama <- autoscaling", // scaled fleets: KEDA ScaledObjects
        "ollama <- gpu", // GPU fleets wait for GPU capacity
        "ollama <- mesh", // fleet pods get their sidecar from the injector
        "ollama <- network", // the operator's pods
        "ollama <- observability", // the Prometheus Operator's CRDs, for the operator's ServiceMonitor
        "ollama <- storage", // each replica's model cache is a PVC
        "database <- network", // the CloudNativePG operator's pods
        "database <- observability", // the Prometheus Operator's CRDs, for the operator's PodMonitor
        "openhands <- database", // the sandbox server's Postgres cluster
        "openhands <- ingress", // Contour's TLSCertificateDelegation CRD: the sandbox certificate stays in openhands
        "openhands <- network", // the agent platform's pods
        "openhands <- storage", // the sandbox server's volume
        "openhands <- openhands-app-session-key", // the generated keys (index.ts) the workloads' Secrets hold
        "openhands <- openhands-gateway-token",
        "openhands <- openhands-runtime-api-key",
        "openhands-oidc <- certificates", // the OIDC proxy's Ingress at openhands.<domain>, its certificate
        "openhands-oidc <- ingress",
        "openhands-oidc <- network", // the proxy's pods
        "openhands-oidc <- openhands", // in the openhands namespace, in front of the gateway
        "openhands-oidc <- openhands-oidc-cookie-secret", // its generated cookie secret
        // Grafana behind the same sign-in: the proxy's Ingress at grafana.<domain> (Grafana has none of its own).
        "grafana-oidc <- certificates",
        "grafana-oidc <- grafana-oidc-cookie-secret",
        "grafana-oidc <- ingress",
        "grafana-oidc <- network",
        "grafana-oidc <- observability", // in the monitoring namespace, in front of Grafana
      ].sort(),
    );
  });

  it("puts every layer behind the cluster (its provider and preflight)", () => {
    for (const l of layers(run).filter((x) => shortName(x) !== "cluster")) {
      assert.ok(run.waitsFor(l, "platform:cluster:Cluster::cluster") || run.directWaits(l).length === 0, l);
    }
    const releases = run.ofType(TYPES.release);
    for (const r of releases) assert.equal(r.providerDep, "pulumi:providers:kubernetes::cluster-provider", r.name);
  });

  it("installs the CNI before anything that runs pods", () => {
    // Istio's base chart and the Prometheus Operator's CRDs hold only CRDs and cluster-wide objects: they need not wait.
    for (const r of run.ofType(TYPES.release).filter((x) => !["network-cilium", "mesh-istio-base", "observability-prometheus-operator-crds"].includes(x.name))) {
      assert.ok(run.waitsFor(`${TYPES.release}::${r.name}`, `${TYPES.release}::network-cilium`), `${r.name} does not wait for Cilium`);
    }
  });

  it("orders the releases and custom resources as the design requires", () => {
    hardEdges(run, [
      [`${TYPES.release}::mesh-istiod`, `${TYPES.release}::mesh-istio-base`],
      [`${TYPES.release}::mesh-istio-ingress`, `${TYPES.release}::mesh-istiod`],
      [`${TYPES.release}::mesh-istio-egress`, `${TYPES.release}::mesh-istiod`],
      [`${TYPES.release}::storage-rook-cluster`, `${TYPES.release}::storage-rook-operator`],
      [`${TYPES.release}::observability-otel-operator`, `${TYPES.release}::certificates-cert-manager`],
      [`${TYPES.release}::observability-loki`, `${TYPES.release}::storage-rook-cluster`],
      [`${TYPES.release}::observability-kube-prometheus-stack`, `${TYPES.release}::storage-rook-cluster`],
      [`${TYPES.release}::observability-kube-prometheus-stack`, `${TYPES.release}::observability-prometheus-operator-crds`],
      [`${TYPES.release}::autoscaling-http-addon`, `${TYPES.release}::autoscaling-keda`],
    ]);
    for (const issuer of run.ofType("kubernetes:cert-manager.io/v1:ClusterIssuer")) {
      assert.ok(run.waitsFor(`kubernetes:cert-manager.io/v1:ClusterIssuer::${issuer.name}`, `${TYPES.release}::certificates-cert-manager`), issuer.name);
    }
    for (const sm of run.ofType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")) {
      assert.ok(run.waitsFor(`kubernetes:monitoring.coreos.com/v1:ServiceMonitor::${sm.name}`, `${TYPES.release}::observability-prometheus-operator-crds`), sm.name);
    }
    for (const cr of run.resources.filter((r) => r.type.startsWith("kubernetes:grafana.integreatly.org/"))) {
      assert.ok(run.waitsFor(`${cr.type}::${cr.name}`, `${TYPES.release}::observability-grafana-operator`), cr.name);
    }
    for (const p of run.resources.filter((r) => r.type.startsWith("kubernetes:pkg.crossplane.io/"))) {
      assert.ok(run.waitsFor(`${p.type}::${p.name}`, `${TYPES.release}::crossplane-crossplane`), p.name);
    }
    const serving = run.ofType("kubernetes:operator.knative.dev/v1beta1:KnativeServing")[0];
    assert.ok(run.waitsFor(`${serving.type}::${serving.name}`, `${TYPES.release}::serverless-operator`));
  });

  it("makes ServiceMonitor consumers wait for the Prometheus Operator's CRDs, not for Prometheus and its storage", () => {
    const consumers = [`${TYPES.release}::gpu-operator`, `${TYPES.release}::ollama-operator`, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor::observability-collector-servicemonitor"];
    for (const c of consumers) {
      assert.ok(run.waitsFor(c, `${TYPES.release}::observability-prometheus-operator-crds`), `${c} does not wait for the CRDs`);
      assert.ok(!run.waitsFor(c, `${TYPES.release}::observability-kube-prometheus-stack`), `${c} waits for kube-prometheus-stack`);
      assert.ok(!run.waitsFor(c, `${TYPES.release}::storage-rook-cluster`), `${c} waits for Ceph`);
    }
  });

  it("makes each consumer wait for the part of a layer it uses, not the whole layer", () => {
    const fleets = run.ofType("kubernetes:openhands.ai/v1alpha1:OllamaFleet");
    assert.equal(fleets.length, 2);
    for (const f of fleets) {
      // Sidecars from istiod; both fleets scale on Istio's request metrics through a ScaledObject (KEDA's own CRD).
      assert.deepEqual(waitsIn(run, `${f.type}::${f.name}`, ["mesh", "autoscaling"]), ["autoscaling/autoscaling-keda", "mesh/mesh-istiod"], f.name);
      for (const not of [`${TYPES.release}::mesh-istio-ingress`, `${TYPES.release}::mesh-istio-egress`, "kubernetes:telemetry.istio.io/v1:Telemetry::mesh-istio-telemetry", `${TYPES.release}::autoscaling-http-addon`]) {
        assert.ok(!run.waitsFor(`${f.type}::${f.name}`, not), `${f.name} waits for ${not}`);
      }
    }
    // Knative's net-istio: istiod and the ingress gateway its Gateways select; not egress or Telemetry.
    const serving = "kubernetes:operator.knative.dev/v1beta1:KnativeServing::serverless-serving";
    assert.deepEqual(waitsIn(run, serving, ["mesh"]), ["mesh/mesh-istio-ingress", "mesh/mesh-istiod"]);
    assert.ok(!run.waitsFor(serving, `${TYPES.release}::mesh-istio-egress`));
    assert.ok(!run.waitsFor(serving, "kubernetes:telemetry.istio.io/v1:Telemetry::mesh-istio-telemetry"));
    // The XRD and Composition need Crossplane alone; the IAM provider its family; the pool everything.
    const XP = "kubernetes:pkg.crossplane.io/v1:Provider";
    assert.deepEqual(waitsIn(run, "kubernetes:apiextensions.crossplane.io/v2:CompositeResourceDefinition::gpu-xrd", ["crossplane"]), ["crossplane/crossplane-crossplane"]);
    assert.deepEqual(waitsIn(run, "kubernetes:apiextensions.crossplane.io/v1:Composition::gpu-composition-aws", ["crossplane"]), ["crossplane/crossplane-crossplane"]);
    assert.deepEqual(waitsIn(run, `${XP}::gpu-crossplane-contrib-provider-aws-iam`, ["crossplane"]), ["crossplane/crossplane-crossplane-contrib-provider-family-aws"]);
    assert.ok(run.waitsFor("kubernetes:platform.openhands.ai/v1alpha1:GPUNodePool::gpu-pool-gpu-l4", "kubernetes:aws.m.upbound.io/v1beta1:ClusterProviderConfig::crossplane-aws-provider-config"));
  });

  it("tears Kyverno down without leaving webhooks behind", () => {
    // Nothing waits for Kyverno, so destroy may remove it early: its policies go first (they
    // depend on it), then its pre-delete hook removes its webhook configurations before its
    // pods stop, so no request is left calling a webhook that is gone.
    const kyverno = run.get(TYPES.release, "policy-kyverno");
    assert.equal(kyverno.inputs.values.webhooksCleanup.enabled, true);
    for (const p of run.ofType("kubernetes:policies.kyverno.io/v1:ValidatingPolicy")) {
      assert.ok(run.waitsFor(`${p.type}::${p.name}`, `${TYPES.release}::policy-kyverno`), p.name);
    }
    for (const r of run.ofType(TYPES.release).filter((x) => x.name !== "policy-kyverno")) {
      assert.ok(!run.waitsFor(`${TYPES.release}::${r.name}`, `${TYPES.release}::policy-kyverno`), `${r.name} waits for Kyverno`);
    }
  });

  it("lets unrelated releases install in parallel", () => {
    const independent: [string, string][] = [
      ["observability-loki", "observability-jaeger"],
      ["observability-loki", "observability-kube-prometheus-stack"],
      ["observability-otel-collector", "observability-loki"],
      ["autoscaling-keda", "storage-rook-operator"],
      ["crossplane-crossplane", "certificates-cert-manager"],
      ["ingress-contour", "mesh-istiod"],
      ["certificates-cert-manager", "storage-rook-cluster"],
      ["observability-grafana-operator", "storage-rook-cluster"],
    ];
    for (const [a, b] of independent) {
      assert.ok(!run.waitsFor(`${TYPES.release}::${a}`, `${TYPES.release}::${b}`), `${a} waits for ${b}`);
      assert.ok(!run.waitsFor(`${TYPES.release}::${b}`, `${TYPES.release}::${a}`), `${b} waits for ${a}`);
    }
  });

  it("reduces to a release graph whose roots are the CNI and CRD-only charts", () => {
    const edges = releaseEdges(run);
    const dependents = new Set(edges.map(([from]) => from));
    const roots = run.ofType(TYPES.release).map((r) => `${TYPES.release}::${r.name}`).filter((k) => !dependents.has(k));
    assert.deepEqual(roots.map(shortName).sort(), ["mesh-istio-base", "network-cilium", "observability-prometheus-operator-crds"]);
  });
});

describe("the dev dependency graph", () => {
  let run: ProgramRun;
  before(async () => {
    for (const k of Object.keys(require.cache)) if (!k.includes("node_modules")) delete require.cache[k];
    run = await runProgram({ stack: "dev" });
  });

  it("has exactly the layer edges the design needs", () => {
    const edges = layerEdges(run).filter(([, to]) => shortName(to) !== "cluster");
    const onCni = ["autoscaling", "certificates", "hubble-ui", "ingress", "mesh", "observability", "policy", "serverless"];
    assert.deepEqual(
      named(edges).sort(),
      [
        ...onCni.map((l) => `${l} <- network`),
        "hubble-ui <- certificates",
        "hubble-ui <- ingress",
        "observability <- certificates",
        "observability <- ingress",
        "ollama <- mesh", // fleet pods get their sidecar from the injector
        "ollama <- network", // the operator's pods
        "ollama <- observability", // the Prometheus Operator's CRDs, for the operator's ServiceMonitor
        "openhands <- certificates", // the sandbox wildcard certificate from the platform CA
        "openhands <- ingress", // the gateway's Ingress; Contour's TLSCertificateDelegation CRD
        "openhands <- network", // the agent platform's pods
        "openhands <- openhands-app-session-key", // the generated keys (index.ts) the workloads' Secrets hold
        "openhands <- openhands-gateway-token",
        "openhands <- openhands-runtime-api-key",
        "workspace <- network",
        "workspace <- openhands", // ubuntu-dev runs in the openhands namespace
      ].sort(),
    );
  });

  it("starts the fleet operator after the Prometheus Operator's CRDs, not after Prometheus", () => {
    assert.ok(run.waitsFor(`${TYPES.release}::ollama-operator`, `${TYPES.release}::observability-prometheus-operator-crds`));
    assert.ok(!run.waitsFor(`${TYPES.release}::ollama-operator`, `${TYPES.release}::observability-kube-prometheus-stack`));
  });

  it("makes the fleet wait for Linkerd's control plane (its injector) alone of the mesh", () => {
    const [fleet] = run.ofType("kubernetes:openhands.ai/v1alpha1:OllamaFleet");
    assert.deepEqual(waitsIn(run, `${fleet.type}::${fleet.name}`, ["mesh", "autoscaling"]), ["mesh/mesh-linkerd-control-plane"]);
  });

  it("installs the Gateway API CRDs before Linkerd's", () => {
    assert.ok(run.waitsFor(`${TYPES.release}::mesh-linkerd-crds`, "kubernetes:yaml/v2:ConfigFile::mesh-gateway-api"));
    assert.ok(run.waitsFor(`${TYPES.release}::mesh-linkerd-control-plane`, `${TYPES.release}::mesh-linkerd-crds`));
  });
});
