import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/*
 * The operator image. Prod pulls a configured, pinned reference. Dev builds operator/ with
 * docker and loads the image into the kind cluster; its tag is derived from the sources,
 * so a source change builds a new image (and rolls the operator) and an unchanged tree
 * registers identical inputs (a second `pulumi up` is a no-op).
 */

/** Repository of the dev build (never pushed; kind nodes get it with `kind load`). */
export const DEV_REPOSITORY = "localhost/ollama-fleet-operator";
/** The chart's appVersion: the dev tag's prefix. */
export const OPERATOR_VERSION = "0.1.0";

/** What the image is built from, relative to the operator directory. */
export const BUILD_INPUTS = ["src", "package.json", "package-lock.json", "tsconfig.json", "Dockerfile", ".dockerignore"] as const;

function filesUnder(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return [];
  if (!fs.statSync(abs).isDirectory()) return [rel];
  return fs
    .readdirSync(abs)
    .sort()
    .flatMap((entry) => filesUnder(root, path.posix.join(rel, entry)));
}

/**
 * sha256 over the build inputs under `operatorDir`: each file's relative path and bytes, in
 * sorted order (so the hash ignores mtimes, checkouts and the machine). Throws naming the
 * directory when there is nothing to build.
 */
export function operatorSourceHash(operatorDir: string): string {
  const files = BUILD_INPUTS.flatMap((rel) => filesUnder(operatorDir, rel)).sort();
  if (!files.includes("Dockerfile") || !files.some((f) => f.startsWith("src/"))) {
    throw new Error(`${operatorDir}: no Dockerfile or src/ to build the operator image from`);
  }
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f, "utf8").update("\0");
    h.update(fs.readFileSync(path.join(operatorDir, f))).update("\0");
  }
  return h.digest("hex");
}

/** `0.1.0-dev.<first 12 hex of the source hash>`. */
export function devTag(sourceHash: string): string {
  return `${OPERATOR_VERSION}-dev.${sourceHash.slice(0, 12)}`;
}

/** `repository` and `tag` of a pinned reference (`repo:tag`, `repo@sha256:...`, `repo:tag@sha256:...`). */
export function splitImage(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf("@");
  const [name, digest] = at >= 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
  const colon = name.lastIndexOf(":");
  const hasTag = colon > name.lastIndexOf("/");
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : "";
  if (tag === "latest") throw new Error(`${ref}: the 'latest' tag is not pinned; use a version tag or a digest`);
  // The chart renders `repository:tag`, so a digest rides in the tag (`tag@sha256:...`).
  if (!tag) throw new Error(`${ref}: no tag; the operator chart renders repository:tag, so pin a tag (optionally tag@sha256:digest)`);
  return { repository, tag: digest ? `${tag}@${digest}` : tag };
}

/**
 * The image the operator release workflow publishes, as `operator/chart/values.yaml` names it
 * (`image.repository`, `image.tag`, and `image.digest` once a release has been pushed): the
 * one place that says where the operator is published. The workflow pushes exactly there
 * and refuses to run when that namespace is not its repository owner's; a mirror sets
 * `platform:ollama.operator.image` instead.
 */
export function releasedImage(operatorDir: string): { repository: string; tag: string } {
  const file = path.join(operatorDir, "chart", "values.yaml");
  const values = parse(fs.readFileSync(file, "utf8")) as { image?: { repository?: unknown; tag?: unknown; digest?: unknown } };
  const { repository, tag, digest } = values.image ?? {};
  if (typeof repository !== "string" || repository === "" || typeof tag !== "string" || tag === "") {
    throw new Error(`${file}: image.repository and image.tag must name the released operator image`);
  }
  if (digest !== undefined && digest !== "" && (typeof digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(digest))) {
    throw new Error(`${file}: image.digest ${JSON.stringify(digest)} is not a sha256:<64 hex> digest`);
  }
  return splitImage(`${repository}:${tag}${digest ? `@${digest}` : ""}`);
}

/** Shell of the dev build: docker build, then load into every node of the kind cluster. */
export const DEV_BUILD_COMMAND = 'docker build --tag "$IMAGE" --file "$DIR/Dockerfile" "$DIR" && kind load docker-image "$IMAGE" --name "$CLUSTER"';
