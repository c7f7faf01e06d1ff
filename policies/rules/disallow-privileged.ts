import { containersVariable, joinNames, PODS } from "./cel";
import type { RuleModule } from "./types";

/** No privileged containers, except in the system namespaces that run node agents. */
export const disallowPrivileged: RuleModule = {
  name: "disallow-privileged",
  settings: ["systemNamespaces"],
  build: (s) => ({
    name: "disallow-privileged",
    description: "Containers must not run privileged outside the system namespaces.",
    match: { resources: [PODS], namespaces: { exclude: [...s.systemNamespaces].sort() } },
    variables: [
      containersVariable({ ephemeral: true }),
      {
        name: "privileged",
        expression: "variables.containers.filter(c, has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged == true)",
      },
    ],
    validations: [
      {
        expression: "size(variables.privileged) == 0",
        message: "containers must not run privileged outside the system namespaces",
        messageExpression: `'privileged container: ' + ${joinNames("variables.privileged", "c.name")} + '; privileged containers are allowed only in the system namespaces (platform:policy.systemNamespaces)'`,
      },
    ],
  }),
};
