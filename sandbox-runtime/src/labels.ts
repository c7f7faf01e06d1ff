/*
 * Labels and annotations on sandbox objects. Everything the service knows about a sandbox is
 * on its anchor Secret `<base>-key` (labels for selection, annotations for state), so a restart
 * of the service, or a second replica, reads the same truth from the cluster.
 */

export const MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGER = "sandbox-runtime";
export const NAME = "app.kubernetes.io/name";
export const COMPONENT = "app.kubernetes.io/component";
/** The session part of the names (lowercased id), on every object of an adopted or fresh sandbox. */
export const SESSION = "openhands.ai/session-id";
/** The base name, which is also the runtime_id. */
export const RUNTIME = "openhands.ai/runtime-id";
/** "session" or "warm". */
export const ROLE = "openhands.ai/role";
/** The warm pool a sandbox was started for. */
export const POOL = "openhands.ai/pool";
/** Hash of the spec (image, command, env, ...): warm sandboxes are adopted only on an equal hash. */
export const SPEC_HASH = "openhands.ai/spec-hash";

/** Annotations (on the anchor unless noted). */
export const A = {
  /** The session id exactly as the app sent it (names use it lowercased). */
  sessionId: "openhands.ai/session-id",
  /** The request minus secret env values (JSON); resume rebuilds the pod from it. */
  request: "openhands.ai/request",
  /**
   * The config `environment` overrides the pod is built with, minus secret values (JSON, a
   * StoredOverrides); set when the pod environment is fixed (start, warm start, resume).
   * Absent means none.
   */
  overrides: "openhands.ai/overrides",
  /** "running", "paused" or "error": what the pod should be. */
  state: "openhands.ai/state",
  /** Bumped on every new key; the pod carries the generation it was started with. */
  generation: "openhands.ai/generation",
  lastActivity: "openhands.ai/last-activity",
  /** When the current start or resume was asked for. */
  startedAt: "openhands.ai/started-at",
  /** When this start was first seen running (set once, conflict-safe: the start latency sample). */
  readyAt: "openhands.ai/ready-at",
  /** When the sandbox was first seen in error (the crash-cleanup grace starts here). */
  errorSince: "openhands.ai/error-since",
  errorReason: "openhands.ai/error-reason",
} as const;

/** Labels every object of a sandbox carries. */
export function commonLabels(base: string, role: "session" | "warm", session: string | undefined, pool: string | undefined, specHash: string, component: string): Record<string, string> {
  return {
    [MANAGED_BY]: MANAGER,
    [NAME]: "openhands-sandbox",
    [COMPONENT]: component,
    [RUNTIME]: base,
    [ROLE]: role,
    [SPEC_HASH]: specHash,
    ...(session ? { [SESSION]: session } : {}),
    ...(pool ? { [POOL]: pool } : {}),
  };
}
