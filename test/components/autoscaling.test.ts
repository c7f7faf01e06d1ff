import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Autoscaling, renderHttpAddonValues, renderKedaValues, type AutoscalingSettings } from "../../components/autoscaling";
import { CHARTS } from "../../components/catalog";
import { stackConfig } from "../../tools/stack-config";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeNetwork } from "../helpers/layers";
import { recordResources, type ProgramRun } from "../helpers/program";

const DEV = stackConfig("dev");

async function build(settings: AutoscalingSettings): Promise<{ run: ProgramRun; layer: Autoscaling }> {
  let layer: Autoscaling | undefined;
  const run = await recordResources(async () => {
    const cluster = fakeCluster();
    const cni = componentMarker("test:network:Cni")("cni");
    layer = new Autoscaling("autoscaling", { cluster, network: fakeNetwork([cni]), settings });
    return {};
  });
  return { run, layer: layer! };
}

describe("KEDA values", () => {
  it("installs KEDA's CRDs and its metrics server (the external metrics APIService)", () => {
    assert.deepEqual(renderKedaValues(), { crds: { install: true }, metricsServer: { enabled: true } });
  });

  it("does not re-pull the add-on's pinned images on every restart", () => {
    const v = renderHttpAddonValues() as any;
    for (const part of ["operator", "scaler", "interceptor"]) assert.equal(v[part].pullPolicy, "IfNotPresent", part);
  });
});

describe("Autoscaling component", () => {
  it("installs the pinned KEDA chart in a baseline namespace after the CNI", async () => {
    const { run } = await build(DEV.autoscaling.keda);
    const keda = run.get(TYPES.release, "autoscaling-keda");
    assert.deepEqual([keda.inputs.chart, keda.inputs.version, keda.inputs.namespace], ["keda", CHARTS.keda.version, "keda"]);
    assert.ok(run.dependsOn(`${TYPES.release}::autoscaling-keda`, "test:network:Cni::cni"));
    const ns = run.get(TYPES.namespace, "autoscaling-ns");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
  });

  it("installs the HTTP add-on after KEDA (it needs KEDA's CRDs) and reports both ready", async () => {
    const { run, layer } = await build(DEV.autoscaling.keda);
    const addon = run.get(TYPES.release, "autoscaling-http-addon");
    assert.deepEqual([addon.inputs.chart, addon.inputs.version, addon.inputs.namespace], ["keda-add-ons-http", CHARTS.kedaHttpAddon.version, "keda"]);
    assert.ok(run.dependsOn(`${TYPES.release}::autoscaling-http-addon`, `${TYPES.release}::autoscaling-keda`));
    assert.equal(layer.ready.length, 2);
    assert.equal(layer.httpAddon, true);
    // A ScaledObject needs KEDA alone; an HTTPScaledObject KEDA and the add-on.
    assert.deepEqual(layer.scaledObjects, [layer.ready[0]]);
    assert.deepEqual(layer.httpScaledObjects, layer.ready);
  });

  it("leaves the add-on out when disabled", async () => {
    const { run, layer } = await build({ ...DEV.autoscaling.keda, httpAddon: false });
    assert.deepEqual(run.ofType(TYPES.release).map((r) => r.name), ["autoscaling-keda"]);
    assert.equal(layer.ready.length, 1);
    assert.deepEqual([layer.scaledObjects, layer.httpScaledObjects], [layer.ready, []]);
  });

  it("merges the stack's values into the KEDA release", async () => {
    const { run } = await build({ ...DEV.autoscaling.keda, values: { metricsServer: { replicaCount: 2 } } });
    assert.deepEqual(run.get(TYPES.release, "autoscaling-keda").inputs.values.metricsServer, { enabled: true, replicaCount: 2 });
  });
});
