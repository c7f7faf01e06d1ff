import { KINDS } from "../../policies/engine/resources";
import { packPolicies, type ResourceValidationArgs, type ResourceValidationPolicy } from "../../policies/pack";

/*
 * Runs manifests through the CrossGuard pack's own policies, as the engine would call
 * them: a Pulumi resource type, its inputs, and the policy's config.
 */

const POLICIES = new Map(packPolicies().map((p) => [p.name, p]));

/** The Pulumi type of a Kubernetes manifest (`kubernetes:apps/v1:Deployment`). */
export function pulumiType(m: { apiVersion?: string; kind?: string }): string {
  const k = KINDS.find((x) => (x.group ? `${x.group}/${x.version}` : x.version) === m.apiVersion && x.kind === m.kind);
  if (!k) throw new Error(`no Pulumi type for ${m.apiVersion}/${m.kind}`);
  return k.pulumiType;
}

/** The violations a pack policy reports for a resource. */
export function packViolations(rule: string, type: string, props: Record<string, unknown>, config: Record<string, unknown> = {}): string[] {
  const policy = POLICIES.get(rule) as ResourceValidationPolicy;
  if (!policy) throw new Error(`no policy ${rule}`);
  const violations: string[] = [];
  const args = { type, props, urn: `urn:pulumi:test::platform::${type}::x`, name: "x", getConfig: () => config } as unknown as ResourceValidationArgs;
  const validate = policy.validateResource as (a: ResourceValidationArgs, r: (m: string) => void) => void;
  validate(args, (m) => violations.push(m));
  return violations;
}

/** The violations for a Kubernetes manifest. */
export function manifestViolations(rule: string, manifest: Record<string, any>, config: Record<string, unknown> = {}): string[] {
  return packViolations(rule, pulumiType(manifest), manifest, config);
}

/** A compliant model-serving pod spec: pinned image, requests, memory and GPU limits. */
export function podSpec(): Record<string, any> {
  return {
    containers: [
      {
        name: "server",
        image: "ollama/ollama:0.32.15",
        resources: { requests: { cpu: "2", memory: "8Gi" }, limits: { memory: "16Gi", "nvidia.com/gpu": "1" } },
      },
    ],
  };
}

/** Labels of a model-serving pod under the default settings. */
export const MODEL_LABELS = { "app.kubernetes.io/name": "ollama", "app.kubernetes.io/component": "model-server" };

/** The controller kinds and Pod, each wrapping a pod template. */
export const POD_KINDS = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"] as const;
export type PodKind = (typeof POD_KINDS)[number];

/** A manifest of `kind` in `namespace` whose pod has `labels` and `spec`. */
export function podManifest(kind: PodKind, spec: Record<string, any>, opts: { namespace?: string; labels?: Record<string, string> } = {}): Record<string, any> {
  const labels = opts.labels ?? MODEL_LABELS;
  const metadata = { name: "model", namespace: opts.namespace ?? "ollama", labels: { "app.kubernetes.io/name": "ollama" } };
  const template = { metadata: { labels }, spec };
  const selector = { matchLabels: { "app.kubernetes.io/name": "ollama" } };
  switch (kind) {
    case "Pod":
      return { apiVersion: "v1", kind, metadata: { ...metadata, labels }, spec };
    case "Deployment":
    case "DaemonSet":
    case "ReplicaSet":
      return { apiVersion: "apps/v1", kind, metadata, spec: { selector, template } };
    case "StatefulSet":
      return { apiVersion: "apps/v1", kind, metadata, spec: { selector, serviceName: "model", template } };
    case "Job":
      return { apiVersion: "batch/v1", kind, metadata, spec: { template: { ...template, spec: { ...spec, restartPolicy: "Never" } } } };
    case "CronJob":
      return {
        apiVersion: "batch/v1",
        kind,
        metadata,
        spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { ...template, spec: { ...spec, restartPolicy: "Never" } } } } },
      };
  }
}
