import { containersVariable, joinNames, PODS } from "./cel";
import type { RuleModule } from "./types";

/**
 * Every container image is pinned: a digest, or a tag other than `latest`. An image with
 * no tag is `latest`. The tag is what follows the last `:` after the last `/`, so a
 * registry port (`registry:5000/app`) is not a tag.
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
        name: "unpinned",
        expression: "variables.containers.filter(c, has(c.image) && !c.image.contains('@') && (!c.image.matches(':[^/:]+$') || c.image.endsWith(':latest')))",
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
