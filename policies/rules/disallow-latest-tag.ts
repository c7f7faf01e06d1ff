import { containersVariable, joinNames, PODS } from "./cel";
import type { RuleModule } from "./types";

/**
 * Every container image is pinned: a digest, or a tag other than `latest`. An image with
 * no tag is `latest`. The tag is what follows the last `:` after the last `/`, so a
 * registry port (`registry:5000/app`) is not a tag.
 *
 * One exception, in pod templates only: Istio's gateway chart writes `image: auto` with the
 * pod annotation `inject.istio.io/templates: gateway`, and Istio's injector replaces it with
 * its own pinned proxy image when the pod is created. So a controller's template may say
 * `auto` under that annotation; a Pod never may (by then injection has run, and an `auto`
 * left over is Docker Hub's `auto:latest`).
 */
export const disallowLatestTag: RuleModule = {
  name: "disallow-latest-tag",
  settings: [],
  build: () => ({
    name: "disallow-latest-tag",
    description: "Container images must be pinned to a version tag other than latest, or to a digest.",
    match: { resources: [PODS] },
    variables: [
      containersVariable({ ephemeral: true }),
      {
        // Kyverno's autogen rewrites object.metadata to the pod template's; object.kind stays.
        name: "istioGatewayTemplate",
        expression:
          "object.kind != 'Pod' && has(object.metadata) && has(object.metadata.annotations) && 'inject.istio.io/templates' in object.metadata.annotations && object.metadata.annotations['inject.istio.io/templates'] == 'gateway'",
      },
      {
        name: "unpinned",
        expression:
          "variables.containers.filter(c, has(c.image) && !(variables.istioGatewayTemplate && c.image == 'auto') && !c.image.contains('@') && (!c.image.matches(':[^/:]+$') || c.image.endsWith(':latest')))",
      },
    ],
    validations: [
      {
        expression: "size(variables.unpinned) == 0",
        message: "container images must be pinned to a version tag other than latest, or to a digest",
        messageExpression: `'unpinned image: ' + ${joinNames("variables.unpinned", "c.name + ' uses ' + c.image")} + '; pin a version tag other than latest, or a digest'`,
      },
    ],
  }),
};
