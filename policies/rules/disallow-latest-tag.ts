import { containersVariable, IS_POD, isKind, joinNames, nameOf, POD_VARIABLES } from "./cel";
import { EPHEMERAL_CONTAINERS, OLLAMA_FLEETS, POD_KINDS } from "./kinds";
import type { RuleModule } from "./types";

/**
 * Every container image is pinned: a digest, or a tag other than `latest`. An image with
 * no tag is `latest`. The tag is what follows the last `:` after the last `/`, so a
 * registry port (`registry:5000/app`) is not a tag. Every pod kind (rules/kinds.ts), the
 * ephemeral containers `kubectl debug` adds, and the image of an OllamaFleet, which its
 * operator runs (the CRD refuses an unpinned one too).
 *
 * One exception, in pod templates only: Istio's gateway chart writes `image: auto` with the
 * pod annotation `inject.istio.io/templates: gateway`, and Istio's injector replaces it with
 * its own pinned proxy image when the pod is created. So a controller's template may say
 * `auto` under that annotation; a Pod never may (by then injection has run, and an `auto`
 * left over is Docker Hub's `auto:latest`). A patch that sets `image: auto` must carry the
 * annotation too: the pack sees only the patch.
 */
export const disallowLatestTag: RuleModule = {
  name: "disallow-latest-tag",
  settings: [],
  checksPatches: true,
  build: () => ({
    name: "disallow-latest-tag",
    description: "Container images must be pinned to a version tag other than latest, or to a digest.",
    match: { resources: [...POD_KINDS, EPHEMERAL_CONTAINERS, OLLAMA_FLEETS] },
    variables: [
      ...POD_VARIABLES,
      containersVariable({ ephemeral: true }),
      {
        // The fleet's image, as the container the operator runs it in (named after the fleet).
        name: "fleetImages",
        expression: `${isKind([OLLAMA_FLEETS])} && has(object.spec) && has(object.spec.image) ? [{'name': string(object.metadata.name), 'image': string(object.spec.image)}] : []`,
      },
      {
        name: "istioGatewayTemplate",
        expression: `!${IS_POD} && has(variables.podMetadata.annotations) && 'inject.istio.io/templates' in variables.podMetadata.annotations && variables.podMetadata.annotations['inject.istio.io/templates'] == 'gateway'`,
      },
      {
        name: "unpinned",
        expression:
          "(variables.containers + variables.fleetImages).filter(c, has(c.image) && !(variables.istioGatewayTemplate && c.image == 'auto') && !c.image.contains('@') && (!c.image.matches(':[^/:]+$') || c.image.endsWith(':latest')))",
      },
    ],
    validations: [
      {
        expression: "size(variables.unpinned) == 0",
        message: "container images must be pinned to a version tag other than latest, or to a digest",
        messageExpression: `'unpinned image: ' + ${joinNames("variables.unpinned", `${nameOf("c")} + ' uses ' + c.image`)} + '; pin a version tag other than latest, or a digest'`,
      },
    ],
  }),
};
