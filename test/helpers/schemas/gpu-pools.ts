import { z } from "zod";
import { labelSelector, stringMap, type KindSchema } from "./meta";

/*
 * Crossplane v2 composition kinds (crossplane v2.3.4 cluster/crds:
 * apiextensions.crossplane.io_compositeresourcedefinitions.yaml, version v2, and
 * apiextensions.crossplane.io_compositions.yaml, version v1), the Pipeline step input of
 * function-patch-and-transform v0.10.8 (package/input/pt.fn.crossplane.io_resources.yaml),
 * and the platform's own GPUNodePool composite (components/gpu/compositions.ts renders its
 * XRD; this schema is written from the design, independently, so each checks the other).
 */

const name = z.string().min(1);
const names = z.strictObject({
  kind: name,
  plural: name.refine((s) => s === s.toLowerCase(), "Plural name must be lowercase"),
  singular: z
    .string()
    .refine((s) => s === s.toLowerCase(), "Singular name must be lowercase")
    .optional(),
  listKind: z.string().optional(),
  shortNames: z.array(z.string()).optional(),
  categories: z.array(z.string()).optional(),
});

const printerColumn = z.strictObject({
  name,
  type: z.enum(["integer", "number", "string", "boolean", "date"]),
  jsonPath: name,
  description: z.string().optional(),
  format: z.string().optional(),
  priority: z.int().optional(),
});

const xrdSpec = z
  .strictObject({
    group: name,
    names,
    scope: z.enum(["Namespaced", "Cluster"]).optional(),
    defaultCompositionRef: z.strictObject({ name }).optional(),
    enforcedCompositionRef: z.strictObject({ name }).optional(),
    defaultCompositionRevisionSelector: labelSelector.optional(),
    defaultCompositionUpdatePolicy: z.enum(["Automatic", "Manual"]).optional(),
    conversion: z.record(z.string(), z.unknown()).optional(),
    metadata: z.strictObject({ labels: stringMap.optional(), annotations: stringMap.optional() }).optional(),
    versions: z
      .array(
        z.strictObject({
          name,
          served: z.boolean(),
          referenceable: z.boolean(),
          deprecated: z.boolean().optional(),
          deprecationWarning: z.string().max(256).optional(),
          schema: z.strictObject({ openAPIV3Schema: z.record(z.string(), z.unknown()).optional() }).optional(),
          additionalPrinterColumns: z.array(printerColumn).optional(),
          subresources: z.strictObject({ scale: z.record(z.string(), z.unknown()).optional() }).optional(),
        }),
      )
      .min(1),
    // v2 drops these (CEL on the v2 CRD): "Claims aren't supported in apiextensions.crossplane.io/v2".
    claimNames: z.never({ message: "Claims aren't supported in apiextensions.crossplane.io/v2" }).optional(),
    connectionSecretKeys: z.never({ message: "XR connection secrets aren't supported in apiextensions.crossplane.io/v2" }).optional(),
  })
  .refine((s) => s.versions.filter((v) => v.referenceable).length === 1, "exactly one version must be referenceable");

const patch = z.strictObject({
  type: z
    .enum(["FromCompositeFieldPath", "ToCompositeFieldPath", "CombineFromComposite", "CombineToComposite", "PatchSet", "FromEnvironmentFieldPath", "ToEnvironmentFieldPath", "CombineFromEnvironment", "CombineToEnvironment"])
    .optional(),
  fromFieldPath: z.string().optional(),
  toFieldPath: z.string().optional(),
  patchSetName: z.string().optional(),
  combine: z.record(z.string(), z.unknown()).optional(),
  transforms: z.array(z.record(z.string(), z.unknown())).optional(),
  policy: z.strictObject({ fromFieldPath: z.enum(["Optional", "Required"]).optional(), toFieldPath: z.string().optional() }).optional(),
});

const ptResources = z.strictObject({
  apiVersion: z.literal("pt.fn.crossplane.io/v1beta1"),
  kind: z.literal("Resources"),
  metadata: z.record(z.string(), z.unknown()).optional(),
  patchSets: z.array(z.strictObject({ name, patches: z.array(patch) })).optional(),
  environment: z.record(z.string(), z.unknown()).optional(),
  resources: z.array(
    z.strictObject({
      name,
      base: z.looseObject({ apiVersion: name, kind: name }).optional(),
      patches: z.array(patch).optional(),
      connectionDetails: z.array(z.record(z.string(), z.unknown())).optional(),
      readinessChecks: z.array(z.record(z.string(), z.unknown())).optional(),
    }),
  ),
  writeConnectionSecretToRef: z.record(z.string(), z.unknown()).optional(),
});

const compositionSpec = z
  .strictObject({
    compositeTypeRef: z.strictObject({ apiVersion: name, kind: name }),
    mode: z.literal("Pipeline").optional(),
    pipeline: z
      .array(
        z.strictObject({
          step: name,
          functionRef: z.strictObject({ name }),
          // Each function defines its input; the one the platform uses is checked in full.
          input: z.union([ptResources, z.looseObject({ apiVersion: name, kind: name }).refine((i) => i.apiVersion !== "pt.fn.crossplane.io/v1beta1")]).optional(),
          credentials: z.array(z.record(z.string(), z.unknown())).optional(),
          requirements: z.record(z.string(), z.unknown()).optional(),
        }),
      )
      .min(1)
      .optional(),
    writeConnectionSecretsToNamespace: z.string().optional(),
  })
  .refine((s) => s.mode === "Pipeline" && s.pipeline !== undefined, "an array of pipeline steps is required in Pipeline mode");

const int = (min: number) => z.int().min(min);
const gpuNodePoolSpec = z
  .strictObject({
    cloud: z.enum(["aws", "gcp", "azure"]),
    instanceType: name,
    gpuType: name,
    gpuCount: int(1),
    minSize: int(0),
    maxSize: int(1),
    desiredSize: int(0),
    diskSizeGb: int(20),
    nodeLabels: stringMap,
    providerConfigName: name,
    aws: z.strictObject({ clusterName: name, region: name, subnetIds: z.array(name).optional() }).optional(),
    gcp: z.strictObject({ project: name, location: name, clusterName: name }).optional(),
    azure: z.strictObject({ clusterId: name, nodePoolName: name }).optional(),
    // Crossplane's own fields, injected into every v2 XR's schema.
    crossplane: z
      .strictObject({
        compositionRef: z.strictObject({ name }).optional(),
        compositionSelector: z.strictObject({ matchLabels: stringMap }).optional(),
        compositionRevisionRef: z.strictObject({ name }).optional(),
        compositionRevisionSelector: z.strictObject({ matchLabels: stringMap }).optional(),
        compositionUpdatePolicy: z.enum(["Automatic", "Manual"]).optional(),
        resourceRefs: z.array(z.record(z.string(), z.unknown())).optional(),
      })
      .optional(),
  })
  .refine((s) => s.minSize <= s.maxSize, "spec.minSize must be <= maxSize")
  .refine((s) => s[s.cloud] !== undefined, "the block of the pool's cloud (aws, gcp or azure) is required");

/** XRD (v2), Composition (v1) and the GPUNodePool composite. */
export const GPU_POOL_KINDS: KindSchema[] = [
  { apiVersion: "apiextensions.crossplane.io/v2", kind: "CompositeResourceDefinition", scope: "Cluster", spec: xrdSpec, specRequired: true },
  { apiVersion: "apiextensions.crossplane.io/v1", kind: "Composition", scope: "Cluster", spec: compositionSpec, specRequired: true },
  { apiVersion: "platform.openhands.ai/v1alpha1", kind: "GPUNodePool", scope: "Namespaced", spec: gpuNodePoolSpec, specRequired: true },
];
