import { containersVariable, joinNames, nameOf, POD_VARIABLES } from "./cel";
import { POD_KINDS } from "./kinds";
import type { RuleModule } from "./types";

/**
 * Containers in workload namespaces set CPU and memory requests and a memory limit. No CPU
 * limit is required: CPU is compressible, and a limit only throttles a container the node
 * could have served (memory is not, and an unbounded container gets the node OOM-killed).
 * Patches are skipped (RuleModule.checksPatches): the live object may have what a patch omits.
 */
export const requireRequestsLimits: RuleModule = {
  name: "require-requests-limits",
  settings: ["workloadNamespaces"],
  checksPatches: false,
  build: (s) => ({
    name: "require-requests-limits",
    description: "Containers in workload namespaces must set CPU and memory requests and a memory limit.",
    match: { resources: POD_KINDS, namespaces: { include: [...s.workloadNamespaces].sort() } },
    variables: [
      ...POD_VARIABLES,
      containersVariable({ ephemeral: false }),
      {
        name: "unbounded",
        expression:
          "variables.containers.filter(c, !has(c.resources) || !has(c.resources.requests) || !('cpu' in c.resources.requests) || " +
          "!('memory' in c.resources.requests) || !has(c.resources.limits) || !('memory' in c.resources.limits))",
      },
    ],
    validations: [
      {
        expression: "size(variables.unbounded) == 0",
        message: "containers must set resources.requests.cpu, resources.requests.memory and resources.limits.memory",
        messageExpression: `'container ' + ${joinNames("variables.unbounded", nameOf("c"))} + ' must set resources.requests.cpu, resources.requests.memory and resources.limits.memory'`,
      },
    ],
  }),
};
