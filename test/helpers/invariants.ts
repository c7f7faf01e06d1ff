import assert from "node:assert/strict";
import { enabled as autoscalingEnabled } from "../../components/autoscaling";
import { CHARTS, type ChartKey } from "../../components/catalog";
import { enabled as crossplaneEnabled } from "../../components/crossplane";
import { enabled as databaseEnabled } from "../../components/database";
import { enabled as gpuEnabled } from "../../components/gpu";
import { hubbleUiEnabled } from "../../components/networking";
import { enabled as objectStorageEnabled } from "../../components/object-storage";
import { enabled as openhandsEnabled } from "../../components/openhands";
import { selectedCharts } from "../../components/selection";
import { enabled as serverlessEnabled } from "../../components/serverless";
import type { PlatformConfig } from "../../config/schema";
import { TYPES } from "../../tools/types";
import type { ProgramRun } from "./program";
import { validateAll } from "./validate";

/** Every Kubernetes resource names the cluster's provider explicitly, never the default one. */
export function assertExplicitKubernetesProvider(run: ProgramRun): void {
  const k8s = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
  assert.ok(k8s.length > 0, "the program registered no Kubernetes resources");
  const offenders = k8s.filter((r) => !r.provider || !/::cluster-provider::/.test(r.provider) || r.provider.includes("pulumi:providers:kubernetes::default"));
  assert.deepEqual(
    offenders.map((r) => `${r.type} ${r.name} -> ${r.provider ?? "default provider"}`),
    [],
    "Kubernetes resources not on the cluster provider",
  );
}

/** Every Kubernetes object the program emits passes its schema. */
export async function assertSchemasValid(run: ProgramRun): Promise<void> {
  assert.deepEqual(await validateAll(run.resources), []);
}

/** Resource names are unique per type (renaming a child replaces it: names must be stable). */
export function assertUniqueNames(run: ProgramRun): void {
  const seen = new Set<string>();
  for (const r of run.resources) {
    const k = `${r.type}::${r.name}`;
    assert.ok(!seen.has(k), `duplicate resource ${k}`);
    seen.add(k);
  }
}

/**
 * A JSON snapshot of everything registered, for comparing two runs. The fixture API
 * server's port is the one input that legitimately differs between runs: in the kubeconfig
 * and in Cilium's API server address, which comes from it.
 */
export function snapshot(run: ProgramRun): string {
  return JSON.stringify(run.resources.map((r) => [r.type, r.name, r.parent, r.dependsOn, r.inputs]))
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT")
    .replace(/"k8sServiceHost":"127\.0\.0\.1","k8sServicePort":\d+/g, '"k8sServiceHost":"127.0.0.1","k8sServicePort":"PORT"');
}

/** Each optional layer: its module's `enabled(config)` and the component type index.ts builds when it holds. */
const OPTIONAL_LAYERS: { layer: string; enabled: (c: PlatformConfig) => boolean; type: string }[] = [
  { layer: "autoscaling", enabled: autoscalingEnabled, type: "platform:autoscaling:Autoscaling" },
  { layer: "crossplane", enabled: crossplaneEnabled, type: "platform:crossplane:Crossplane" },
  { layer: "object-storage", enabled: objectStorageEnabled, type: "platform:objectStorage:ObjectStorage" },
  { layer: "serverless", enabled: serverlessEnabled, type: "platform:serverless:Serverless" },
  { layer: "gpu", enabled: gpuEnabled, type: "platform:gpu:Gpu" },
  { layer: "database", enabled: databaseEnabled, type: "platform:database:Database" },
  { layer: "openhands", enabled: openhandsEnabled, type: "platform:openhands:OpenHands" },
  { layer: "hubble-ui", enabled: hubbleUiEnabled, type: "platform:networking:HubbleUiIngress" },
];

/**
 * The program builds an optional layer exactly when its module's `enabled(config)` says so,
 * and installs exactly the charts `selectedCharts` names (the preflight and the `charts`
 * output report those): one test of "on" for both.
 */
export function assertLayersFollowEnabled(run: ProgramRun, config: PlatformConfig): void {
  const built = OPTIONAL_LAYERS.map((l) => ({ layer: l.layer, enabled: l.enabled(config), built: run.ofType(l.type).length > 0 }));
  assert.deepEqual(
    built.filter((b) => b.enabled !== b.built),
    [],
    "a layer built although disabled, or not built although enabled",
  );
  const chartOf = (chart: string) => (Object.keys(CHARTS) as ChartKey[]).find((k) => chart === CHARTS[k].chart || chart.endsWith(`/${CHARTS[k].chart}`));
  const installed = [...new Set(run.ofType(TYPES.release).map((r) => chartOf(String(r.inputs.chart)) ?? `unknown chart ${r.inputs.chart}`))].sort();
  assert.deepEqual(installed, [...selectedCharts(config)].sort());
}
