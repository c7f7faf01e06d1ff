import { createHash, randomBytes } from "node:crypto";

/*
 * Names of a sandbox's objects. The design names them after the session:
 *   Pod `openhands-runtime-<s>`, Services `<pod>-svc` and `<pod>-svc-code`, Ingress
 *   `<pod>-ingress-code`, PVC `<pod>-pvc`, Secret `<pod>-key`,
 * where <s> is the session id lowercased. The longest child name must stay a DNS-1035
 * label (63 characters, Services need it), and <s> is also the first label of the sandbox
 * host, so <s> is at most 32 characters: 18 + 32 + 13 ("-ingress-code") = 63. App session
 * ids are 22 characters of base62 and pass unchanged (lowercased); anything else is folded
 * to [a-z0-9-] and, when too long, cut and suffixed with a hash of the id as given.
 */

export const PREFIX = "openhands-runtime-";
/** Longest session part of a name. */
export const MAX_SESSION_PART = 32;
const HASH_LENGTH = 6;

/** The session part of every name: lowercase, DNS-1123 label characters, at most 32. */
export function sessionPart(sessionId: string): string {
  const hash = createHash("sha256").update(sessionId, "utf8").digest("hex").slice(0, HASH_LENGTH);
  const folded = sessionId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (folded === "") return `s-${hash}`;
  const changed = folded !== sessionId.toLowerCase();
  if (folded.length <= MAX_SESSION_PART && !changed) return folded;
  return `${folded.slice(0, MAX_SESSION_PART - HASH_LENGTH - 1).replace(/-+$/, "")}-${hash}`;
}

/** The base name (the Pod's name and the runtime_id) of a session's sandbox. */
export function sessionBase(sessionId: string): string {
  return `${PREFIX}${sessionPart(sessionId)}`;
}

/** A fresh base name for a warm sandbox (it gets a session only when adopted). */
export function warmBase(random: () => string = () => randomBytes(5).toString("hex")): string {
  return `${PREFIX}warm-${random()}`;
}

/** Names of the objects of a sandbox with base name `base`. */
export function childNames(base: string) {
  return {
    pod: base,
    service: `${base}-svc`,
    codeService: `${base}-svc-code`,
    ingress: `${base}-ingress-code`,
    pvc: `${base}-pvc`,
    secret: `${base}-key`,
  };
}

/** The base name back from a runtime_id (they are the same), or undefined if it is not one of ours. */
export function baseFromRuntimeId(runtimeId: string): string | undefined {
  return runtimeId.startsWith(PREFIX) && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(runtimeId) && runtimeId.length <= 50 ? runtimeId : undefined;
}
