import { createHash } from "node:crypto";
import { fleetEndpoint, fleetHost } from "./api/v1alpha1";

/*
 * Names of fleets and of what the operator makes for them. A fleet's children share its
 * name (the contract: StatefulSet, Service, PodDisruptionBudget and ScaledObject are all
 * `<name>`), so the limits on a fleet name are the tightest of theirs:
 * - a Service name is a DNS-1035 label (starts with a letter);
 * - StatefulSet pods carry `controller-revision-hash: <name>-<hash up to 10 chars>`, a label
 *   value limited to 63 characters, so a StatefulSet name over 52 characters gets no pods
 *   (kubernetes/kubernetes#64023).
 */

/** Longest fleet name whose StatefulSet can still create pods. */
export const MAX_FLEET_NAME = 52;

/** A fleet name that every child can carry: a DNS-1035 label of at most 52 characters. */
export const FLEET_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

const HASH_LENGTH = 6;

/** True when `name` can name a fleet (and so its StatefulSet, Service and scalers). */
export function isValidFleetName(name: string): boolean {
  return name.length <= MAX_FLEET_NAME && FLEET_NAME.test(name);
}

/**
 * A stable, collision-free fleet name for a model reference: lowercase, every run of
 * characters outside `[a-z0-9]` turned into `-`, trimmed of `-`, truncated so that with the
 * suffix `-<first 6 hex of sha256(model)>` it fits 52 characters, and prefixed with `m-`
 * when it would start with a digit. `qwen2.5-coder:0.5b` → `qwen2-5-coder-0-5b-<hash6>`.
 * The hash is of the reference as written, so `Llama3` and `llama3` get different names.
 */
export function modelSlug(model: string): string {
  const hash = createHash("sha256").update(model, "utf8").digest("hex").slice(0, HASH_LENGTH);
  let base = model
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (/^[0-9]/.test(base)) base = `m-${base}`;
  base = base.slice(0, MAX_FLEET_NAME - HASH_LENGTH - 1).replace(/-+$/, "");
  return base === "" ? `m-${hash}` : `${base}-${hash}`;
}

/** Names of a fleet's children and the DNS name of its API. */
export function childNames(fleet: string, namespace: string) {
  return {
    statefulSet: fleet,
    service: fleet,
    podDisruptionBudget: fleet,
    scaledObject: fleet,
    httpScaledObject: fleet,
    /** The per-replica volume claim template (PVCs `models-<fleet>-<ordinal>`). */
    volumeClaimTemplate: "models",
    host: fleetHost(fleet, namespace),
    endpoint: fleetEndpoint(fleet, namespace),
  } as const;
}
