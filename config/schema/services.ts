import { z } from "zod";
import { DEFAULT_POLICY_SETTINGS } from "../../policies/rules/settings";
import { dnsLabel, helmValues, labels, quantity } from "./primitives";

/* Crossplane and policy as code. */

export const cloud = z.strictObject({
  enabled: z.boolean(),
  /** Default region (aws, azure location) or project (gcp) for managed resources. */
  region: z.string().min(1).optional(),
  project: z.string().min(1).optional(),
});

export const crossplane = z.strictObject({
  enabled: z.boolean(),
  providers: z.strictObject({
    aws: cloud.default({ enabled: false }),
    gcp: cloud.default({ enabled: false }),
    azure: cloud.default({ enabled: false }),
  }),
  values: helmValues,
});

export const policy = z.strictObject({
  /**
   * What a violation does. `Deny`: Kyverno rejects the request and the preview pack is
   * mandatory; `Audit`: Kyverno records it in a policy report and the pack is advisory.
   */
  enforcement: z.enum(["Audit", "Deny"]),
  /** Largest storage request of a PersistentVolumeClaim. Defaults to 100Gi. */
  pvcQuota: quantity.default(DEFAULT_POLICY_SETTINGS.pvcQuota),
  /** Per-namespace quotas that replace `pvcQuota` there, e.g. `{ "minio-tenant": "1Ti" }`. Defaults to none. */
  pvcQuotaExceptions: z.record(dnsLabel, quantity).default({}),
  /** Namespaces where privileged containers are allowed (node agents). Defaults to the platform's system namespaces. */
  systemNamespaces: z.array(dnsLabel).default([...DEFAULT_POLICY_SETTINGS.systemNamespaces]),
  /** Namespaces whose containers must set requests and limits. Defaults to ollama, openhands, openhands-sandboxes. */
  workloadNamespaces: z
    .array(dnsLabel)
    .min(1, { message: "must list at least one namespace" })
    .default([...DEFAULT_POLICY_SETTINGS.workloadNamespaces]),
  /** Labels marking a model-serving pod (which must limit nvidia.com/gpu). Defaults to app.kubernetes.io/component=model-server. */
  modelPodLabels: labels
    .refine((l) => Object.keys(l).length > 0, { message: "must name at least one label" })
    .default({ ...DEFAULT_POLICY_SETTINGS.modelPodLabels }),
  /**
   * The RuntimeClass every pod of a namespace must run with (policy require-runtime-class,
   * Deny in every profile), e.g. `{ "agents": "kata" }`. The sandbox namespace gets
   * openhands.sandbox.runtimeClass without being listed. Defaults to none.
   */
  runtimeClasses: z.record(dnsLabel, dnsLabel).default({}),
  /** Extra values for the Kyverno chart. */
  values: helmValues,
});
