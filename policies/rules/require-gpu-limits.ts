import { celString, podField, POD_VARIABLES } from "./cel";
import { POD_KINDS } from "./kinds";
import type { RuleModule } from "./types";

/**
 * Model-serving pods must limit `nvidia.com/gpu`: without it they schedule onto CPU nodes
 * or take a GPU the scheduler does not account for. Scoped to model pods by their labels
 * (a rule on every Pod would block the whole cluster), read in a match condition from the
 * pod's metadata: the Pod's own, or its template's (rules/cel.ts podField). Match conditions
 * cannot read variables, hence the expression inline. Only one container needs the limit,
 * since meshes inject sidecars without GPUs. A template may have no metadata at all: the
 * labels are then `{}`. Patches are skipped (RuleModule.checksPatches): a patch without the
 * limit may patch a pod that has it.
 */
export const requireGpuLimits: RuleModule = {
  name: "require-gpu-limits",
  settings: ["modelPodLabels"],
  checksPatches: false,
  build: (s) => ({
    name: "require-gpu-limits",
    description: "Model-serving pods must set an nvidia.com/gpu limit on a container.",
    match: {
      resources: POD_KINDS,
      conditions: [
        {
          name: "model-serving-pod",
          expression: `[${podField("metadata.labels")}].all(labels, ${Object.keys(s.modelPodLabels)
            .sort()
            .map((k) => `${celString(k)} in labels && labels[${celString(k)}] == ${celString(s.modelPodLabels[k])}`)
            .join(" && ")})`,
        },
      ],
    },
    variables: [...POD_VARIABLES],
    validations: [
      {
        expression:
          "has(variables.podSpec.containers) && variables.podSpec.containers.exists(c, has(c.resources) && has(c.resources.limits) && " +
          "'nvidia.com/gpu' in c.resources.limits && quantity(c.resources.limits['nvidia.com/gpu']).isGreaterThan(quantity('0')))",
        message: `model-serving pods must set resources.limits["nvidia.com/gpu"] of at least 1 on a container`,
      },
    ],
  }),
};
