import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/*
 * Images the platform builds from this repository (the fleet operator, the agent platform's
 * services). Prod pulls a pinned, published reference. Dev on kind builds the folder with
 * docker and loads the image into the kind cluster; its tag is derived from the sources, so
 * a source change builds a new image (and rolls the workload) and an unchanged tree
 * registers identical inputs (a second `pulumi up` is a no-op).
 */

/**
 * Where the release workflows publish this repository's images (`<registry>/<image>:<version>`);
 * operator/chart/values.yaml names the same registry for the operator.
 */
export const RELEASE_REGISTRY = "ghcr.io/agent-platform";

/** Shell of the dev build: docker build, then load into every node of the kind cluster. */
export const DEV_BUILD_COMMAND = 'docker build --tag "$IMAGE" --file "$DIR/Dockerfile" "$DIR" && kind load docker-image "$IMAGE" --name "$CLUSTER"';

/** A pinned image as charts render it: `repository:tag` (a digest rides in the tag). */
export interface ImageRef {
  repository: string;
  tag: string;
}

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
 * sha256 over `inputs` (files or folders) under `dir`: each file's relative path and bytes,
 * in sorted order (so the hash ignores mtimes, checkouts and the machine). Throws naming
 * the folder when it has no Dockerfile.
 */
export function sourceHash(dir: string, inputs: readonly string[]): string {
  const files = inputs.flatMap((rel) => filesUnder(dir, rel)).sort();
  if (!files.includes("Dockerfile")) throw new Error(`${dir}: no Dockerfile to build the image from`);
  const h = createHash("sha256");
  for (const f of files) {
    h.update(f, "utf8").update("\0");
    h.update(fs.readFileSync(path.join(dir, f))).update("\0");
  }
  return h.digest("hex");
}

/** `<version>-dev.<first 12 hex of the source hash>`. */
export function devTagOf(version: string, hash: string): string {
  return `${version}-dev.${hash.slice(0, 12)}`;
}

/** `repository` and `tag` of a pinned reference (`repo:tag`, `repo@sha256:...`, `repo:tag@sha256:...`). */
export function splitImage(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const [name, digest] = at >= 0 ? [ref.slice(0, at), ref.slice(at + 1)] : [ref, undefined];
  const colon = name.lastIndexOf(":");
  const hasTag = colon > name.lastIndexOf("/");
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : "";
  if (tag === "latest") throw new Error(`${ref}: the 'latest' tag is not pinned; use a version tag or a digest`);
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`${ref}: "${digest}" is not a sha256:<64 hex> digest`);
  // Charts render `repository:tag`, so a digest rides in the tag (`tag@sha256:...`).
  if (!tag) throw new Error(`${ref}: no tag; pin a version tag (optionally tag@sha256:digest)`);
  return { repository, tag: digest ? `${tag}@${digest}` : tag };
}

/** `repository:tag`. */
export function imageString(i: ImageRef): string {
  return `${i.repository}:${i.tag}`;
}

/** One image built from a folder of this repository. */
export interface BuiltImage {
  /** Argument path of the configured reference (named in errors), e.g. `Ollama args.settings.operator.image`. */
  argPath: string;
  /** The configured reference, if any: it wins. */
  configured: string | undefined;
  /** The folder (absolute) with the Dockerfile. */
  dir: string;
  /** Files and folders under `dir` the image is built from. */
  inputs: readonly string[];
  /** Repository of the dev build (never pushed). */
  devRepository: string;
  /** The version the dev tag starts with. */
  version: string;
  /** The published image, used outside kind when nothing is configured. */
  released: () => ImageRef;
}

/**
 * The image of `b`: the configured reference; else, on kind (`kindCluster` set), a build of
 * the folder loaded into the cluster (returned as `build`, which the workload waits for);
 * else the released image.
 */
export function resolveImage(
  name: string,
  b: BuiltImage,
  kindCluster: string | undefined,
  opts: { parent: pulumi.Resource; dependsOn: pulumi.Input<pulumi.Resource>[] },
): { image: ImageRef; build?: command.local.Command } {
  if (b.configured !== undefined) {
    try {
      return { image: splitImage(b.configured) };
    } catch (e) {
      throw new pulumi.ResourceError(`${b.argPath}: ${(e as Error).message}`, opts.parent);
    }
  }
  if (kindCluster === undefined) return { image: b.released() };
  let hash: string;
  try {
    hash = sourceHash(b.dir, b.inputs);
  } catch (e) {
    throw new pulumi.ResourceError(`${b.argPath}: unset, so dev builds the image, but ${(e as Error).message}`, opts.parent);
  }
  const image = { repository: b.devRepository, tag: devTagOf(b.version, hash) };
  const ref = imageString(image);
  const build = new command.local.Command(
    name,
    {
      create: DEV_BUILD_COMMAND,
      // Relative to the project directory, where Pulumi runs the command.
      environment: { IMAGE: ref, CLUSTER: kindCluster, DIR: path.relative(process.cwd(), b.dir) || "." },
      // A new tag (a source change) rebuilds; an unchanged tree changes nothing.
      triggers: [ref],
    },
    // The provider waits for the kind cluster, which `kind load` needs.
    { parent: opts.parent, dependsOn: opts.dependsOn },
  );
  return { image, build };
}
