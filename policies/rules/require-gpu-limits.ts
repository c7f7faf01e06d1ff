import { celString, PODS } from "./cel";
import type { RuleModule } from "./types";

/**
 * Model-serving pods must limit `nvidia.com/gpu`: without it they schedule onto CPU nodes
 * or take a GPU the scheduler does not account for. Scoped to model pods by their labels
 * (a rule on every Pod would block the whole cluster). The labels are read in a match
 * condition, not an objectSelector: Kyverno's autogen drops objectSelectors, while it
 * rewrites `object.metadata` to the pod template's metadata. Only one container needs the
 * limit, since meshes inject sidecars without GPUs. `has(object.metadata)` comes first: a pod
 * template may have no metadata at all.
 */
export const requireGpuLimits: RuleModule = {
  name: "require-gpu-limits",
  settings: ["modelPodLabels"],
  build: (s) => ({
    name: "require-gpu-limits",
    description: "Model-serving pods must set an nvidia.com/gpu limit on a container.",
    match: {
      resources: [PODS],
      conditions: [
        {
          name: "model-serving-pod",
          expression: Object.keys(s.modelPodLabels)
            .sort()
            .map((k) => `${celString(k)} in object.metadata.labels && object.metadata.labels[${celString(k)}] == ${celString(s.modelPodLabels[k])}`)
            .reduce((acc, c) => `${acc} && ${c}`, "has(object.metadata) && has(object.metadata.labels)"),
        },
      ],
    },
    validations: [
      {
        expression:
          "has(object.spec.containers) && object.spec.containers.exists(c, has(c.resources) && has(c.resources.limits) && " +
          "'nvidia.com/gpu' in c.resources.limits && quantity(c.resources.limits['nvidia.com/gpu']).isGreaterThan(quantity('0')))",
        message: `model-serving pods must set resources.limits["nvidia.com/gpu"] of at least 1 on a container`,
      },
    ],
  }),
};
