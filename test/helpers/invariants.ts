import assert from "node:assert/strict";
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
