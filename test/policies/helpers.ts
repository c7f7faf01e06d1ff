import { kindOf } from "../../policies/engine/resources";
import { packPolicies, type ResourceValidationArgs, type ResourceValidationPolicy } from "../../policies/pack";

/*
 * Runs manifests through the CrossGuard pack's own policies, as the engine would call
 * them: a Pulumi resource type, its inputs, and the policy's config.
 */

const POLICIES = new Map(packPolicies().map((p) => [p.name, p]));

/** The Pulumi type of a Kubernetes manifest (`kubernetes:apps/v1:Deployment`, `kubernetes:serving.knative.dev/v1:Service`). */
export function pulumiType(m: { apiVersion?: string; kind?: string }): string {
  const k = kindOf(m);
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

/**
 * Every kind that carries a pod (policies/rules/kinds.ts), by a name for tests: Pod, the
 * built-in controllers, Knative Serving's Service, Configuration and Revision, KEDA's
 * ScaledJob.
 */
export const POD_KINDS = [
  "Pod",
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "ReplicationController",
  "Job",
  "CronJob",
  "KnativeService",
  "KnativeConfiguration",
  "KnativeRevision",
  "ScaledJob",
] as const;
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
    case "ReplicationController":
      return { apiVersion: "v1", kind, metadata, spec: { selector: selector.matchLabels, template } };
    case "KnativeService":
      return { apiVersion: "serving.knative.dev/v1", kind: "Service", metadata, spec: { template } };
    case "KnativeConfiguration":
      return { apiVersion: "serving.knative.dev/v1", kind: "Configuration", metadata, spec: { template } };
    case "KnativeRevision":
      return { apiVersion: "serving.knative.dev/v1", kind: "Revision", metadata: { ...metadata, labels }, spec };
    case "ScaledJob":
      return {
        apiVersion: "keda.sh/v1alpha1",
        kind,
        metadata,
        spec: { jobTargetRef: { template: { ...template, spec: { ...spec, restartPolicy: "Never" } } }, triggers: [{ type: "cron", metadata: { timezone: "UTC", start: "0 * * * *", end: "5 * * * *", desiredReplicas: "1" } }] },
      };
  }
}

/** The Pulumi `*Patch` type of a manifest's kind (`kubernetes:apps/v1:DeploymentPatch`). */
export const patchType = (m: Record<string, any>) => `${pulumiType(m)}Patch`;
