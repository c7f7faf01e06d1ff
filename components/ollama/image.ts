import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { devTagOf, sourceHash, splitImage, type ImageRef } from "../images";

/*
 * The operator image (components/images.ts builds it in dev): prod pulls a configured,
 * pinned reference or the released one its chart names.
 */

export { splitImage };

/** Repository of the dev build (never pushed; kind nodes get it with `kind load`). */
export const DEV_REPOSITORY = "localhost/ollama-fleet-operator";
/** The chart's appVersion: the dev tag's prefix. */
export const OPERATOR_VERSION = "0.1.0";

/** What the image is built from, relative to the operator directory. */
export const BUILD_INPUTS = ["src", "package.json", "package-lock.json", "tsconfig.json", "Dockerfile", ".dockerignore"] as const;

/**
 * sha256 over the build inputs under `operatorDir` (see {@link sourceHash}). Throws naming
 * the directory when there is nothing to build.
 */
export function operatorSourceHash(operatorDir: string): string {
  if (!fs.existsSync(path.join(operatorDir, "src"))) throw new Error(`${operatorDir}: no Dockerfile or src/ to build the operator image from`);
  try {
    return sourceHash(operatorDir, BUILD_INPUTS);
  } catch {
    throw new Error(`${operatorDir}: no Dockerfile or src/ to build the operator image from`);
  }
}

/** `0.1.0-dev.<first 12 hex of the source hash>`. */
export function devTag(hash: string): string {
  return devTagOf(OPERATOR_VERSION, hash);
}

/**
 * The image the operator release workflow publishes, as `operator/chart/values.yaml` names it
 * (`image.repository`, `image.tag`, and `image.digest` once a release has been pushed): the
 * one place that says where the operator is published. The workflow pushes exactly there
 * and refuses to run when that namespace is not its repository owner's; a mirror sets
 * `platform:ollama.operator.image` instead.
 */
export function releasedImage(operatorDir: string): ImageRef {
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

