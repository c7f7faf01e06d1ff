import { celStringMap, POD_VARIABLES } from "./cel";
import { POD_KINDS } from "./kinds";
import type { RuleModule } from "./types";

/**
 * Every pod of a namespace in `policy.runtimeClasses` runs with exactly that namespace's
 * RuntimeClass: the sandbox namespace's gVisor or Kata (`openhands.sandbox.runtimeClass`) is
 * then enforced, not only the runtime's default. A pod without one runs on the node's
 * default runtime (runc), next to the host kernel; a pod naming another escapes the same way.
 * Pods and every pod template are checked; not `pods/ephemeralcontainers`: a debug container
 * joins the pod's sandbox, and `runtimeClassName` cannot change after creation.
 *
 * Always `Deny` (RuleModule.enforcement), like the sandbox namespace's Pod Security level.
 * Patches are skipped (RuleModule.checksPatches): a patch that leaves `runtimeClassName` out
 * keeps the live object's, which only Kyverno sees.
 */
export const requireRuntimeClass: RuleModule = {
  name: "require-runtime-class",
  settings: ["runtimeClasses"],
  checksPatches: false,
  enforcement: "Deny",
  build: (s) => ({
    name: "require-runtime-class",
    description: "Pods in namespaces with a required RuntimeClass (the agent sandboxes' gVisor or Kata) must run with exactly that RuntimeClass.",
    match: { resources: POD_KINDS, namespaces: { include: Object.keys(s.runtimeClasses).sort() } },
    variables: [
      ...POD_VARIABLES,
      { name: "required", expression: celStringMap(s.runtimeClasses) },
      { name: "namespace", expression: "has(object.metadata.namespace) ? object.metadata.namespace : ''" },
      { name: "runtimeClass", expression: "has(variables.podSpec.runtimeClassName) ? variables.podSpec.runtimeClassName : ''" },
    ],
    validations: [
      {
        expression: "!(variables.namespace in variables.required) || variables.runtimeClass == variables.required[variables.namespace]",
        message: "pods must run with their namespace's RuntimeClass (platform:policy.runtimeClasses)",
        messageExpression:
          "'pods in namespace ' + variables.namespace + ' must run with RuntimeClass ' + variables.required[variables.namespace] + ', not ' + " +
          "(variables.runtimeClass == '' ? 'the node default (no runtimeClassName)' : variables.runtimeClass) + " +
          "' (platform:policy.runtimeClasses; openhands.sandbox.runtimeClass sets the sandbox namespace)'",
      },
    ],
  }),
};
