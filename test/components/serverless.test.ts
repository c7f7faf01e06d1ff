import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import type { MeshLayer } from "../../components/contracts";
import { DEFAULT_AUTOSCALER_CLASS, KEDA_AUTOSCALER_CLASS, renderKnativeServingSpec, Serverless, type ServerlessSettings } from "../../components/serverless";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeMesh, fakeNetwork } from "../helpers/layers";
import { recordResources, type ProgramRun } from "../helpers/program";


const kourier: ServerlessSettings = { enabled: true, networking: "kourier" };
const istio: ServerlessSettings = { enabled: true, networking: "istio" };

async function build(settings: ServerlessSettings, meshKind: MeshLayer["kind"]): Promise<{ run: ProgramRun; layer?: Serverless; error?: unknown }> {
  let layer: Serverless | undefined;
  let error: unknown;
  const run = await recordResources(async () => {
    const cluster = fakeCluster();
    const cni = componentMarker("test:network:Cni")("cni");
    const istiod = componentMarker("test:mesh:Istiod")("istiod");
    const gateway = componentMarker("test:mesh:IngressGateway")("ingress-gateway");
    // The rest of the mesh (egress gateway, Telemetry): Knative uses none of it.
    const rest = componentMarker("test:mesh:Rest")("rest");
    try {
      layer = new Serverless("serverless", {
        cluster,
        network: fakeNetwork([cni]),
        mesh: fakeMesh(meshKind, { injector: [istiod], ingressGateway: [istiod, gateway], ready: [istiod, gateway, rest] }),
        settings,
        domain: "agents.example.org",
      });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, layer, error };
}

describe("KnativeServing spec", () => {
  const cases: [string, ServerlessSettings, Record<string, unknown>, string][] = [
    ["Kourier", kourier, { kourier: { enabled: true } }, "kourier.ingress.networking.knative.dev"],
    ["Istio", istio, { istio: { enabled: true } }, "istio.ingress.networking.knative.dev"],
  ];
  for (const [what, settings, ingress, ingressClass] of cases) {
    it(`enables ${what} networking and its ingress class`, () => {
      const spec = renderKnativeServingSpec(settings, { domain: "agents.example.org" }) as any;
      assert.deepEqual(spec.ingress, ingress);
      assert.equal(spec.config.network["ingress-class"], ingressClass);
    });
  }

  it("makes the platform domain the default domain", () => {
    const spec = renderKnativeServingSpec(kourier, { domain: "localhost" }) as any;
    assert.deepEqual(spec.config.domain, { localhost: "" });
  });

  it("keeps Knative's KPA for request-based scale to zero, never the nonexistent keda class", () => {
    const spec = renderKnativeServingSpec(kourier, { domain: "localhost" }) as any;
    assert.equal(spec.config.autoscaler["pod-autoscaler-class"], "kpa.autoscaling.knative.dev");
    assert.equal(spec.config.autoscaler["enable-scale-to-zero"], "true");
    assert.doesNotMatch(JSON.stringify(spec), /keda\.autoscaling\.knative\.dev/);
    assert.equal(DEFAULT_AUTOSCALER_CLASS, "kpa.autoscaling.knative.dev");
    assert.equal(KEDA_AUTOSCALER_CLASS, "hpa.autoscaling.knative.dev");
  });

  it("points Knative's gateways at the given Istio gateway pods", () => {
    const spec = renderKnativeServingSpec(istio, { domain: "localhost", istioGatewaySelector: { istio: "ingress" } }) as any;
    assert.deepEqual(spec.ingress.istio, { enabled: true, "knative-ingress-gateway": { selector: { istio: "ingress" } } });
  });
});

describe("Serverless component", () => {
  it("installs the pinned operator after the CNI, then KnativeServing after the operator", async () => {
    const { run } = await build(kourier, "linkerd");
    const operator = run.get(TYPES.release, "serverless-operator");
    assert.deepEqual([operator.inputs.chart, operator.inputs.version, operator.inputs.namespace], ["knative-operator", CHARTS.knativeOperator.version, "knative-operator"]);
    assert.ok(run.dependsOn(`${TYPES.release}::serverless-operator`, "test:network:Cni::cni"));
    const serving = run.get(TYPES.knativeServing, "serverless-serving");
    assert.equal(serving.inputs.metadata.namespace, "knative-serving");
    assert.ok(run.dependsOn(`${TYPES.knativeServing}::serverless-serving`, `${TYPES.release}::serverless-operator`));
  });

  it("waits for KnativeServing to be Ready and exposes it as ready", async () => {
    const { run, layer } = await build(kourier, "none");
    assert.equal(run.get(TYPES.knativeServing, "serverless-serving").inputs.metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
    assert.equal(layer!.ready.length, 1);
    assert.equal(layer!.ingressClass, "kourier.ingress.networking.knative.dev");
  });

  it("waits for Istio only with Istio networking", async () => {
    const withKourier = await build(kourier, "istio");
    assert.equal(withKourier.run.dependsOn(`${TYPES.knativeServing}::serverless-serving`, "test:mesh:Istiod::istiod"), false);
    const withIstio = await build(istio, "istio");
    assert.ok(withIstio.run.dependsOn(`${TYPES.knativeServing}::serverless-serving`, "test:mesh:Istiod::istiod"));
    assert.equal(withIstio.run.dependsOn(`${TYPES.release}::serverless-operator`, "test:mesh:Istiod::istiod"), false);
  });

  it("makes Serving on Istio wait for istiod and the ingress gateway, not the rest of the mesh", async () => {
    const { run } = await build(istio, "istio");
    const mesh = run.directWaits(`${TYPES.knativeServing}::serverless-serving`).filter((d) => d.startsWith("test:mesh:"));
    assert.deepEqual(mesh.sort(), ["test:mesh:IngressGateway::ingress-gateway", "test:mesh:Istiod::istiod"]);
    assert.equal(run.dependsOn(`${TYPES.knativeServing}::serverless-serving`, "test:mesh:Rest::rest"), false);
  });

  it("labels both namespaces baseline", async () => {
    const { run } = await build(kourier, "none");
    for (const name of ["serverless-operator-ns", "serverless-serving-ns"]) {
      assert.equal(run.get("kubernetes:core/v1:Namespace", name).inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
    }
  });

  it("refuses Istio networking without Istio", async () => {
    const { error } = await build(istio, "linkerd");
    assert.equal((error as Error).message, `Serverless args.settings.networking: "istio" needs args.mesh.kind "istio" (it is "linkerd"); use "kourier" otherwise`);
  });
});
