import type { IncomingMessage, OutgoingHttpHeaders } from "node:http";

/*
 * CORS for browser origins other than the gateway's own (a Canvas served elsewhere that adds
 * this gateway as a Cloud backend). The SPA served here is same-origin and needs none of it.
 * The sandbox server allows every origin by default; its Access-Control-* headers are
 * dropped from forwarded responses (`stripUpstreamCors`) so only this list applies.
 */

/** Request headers Canvas's cloud client sends (1.20.0), plus the usual content headers. */
export const ALLOWED_HEADERS = ["authorization", "content-type", "accept", "x-org-id", "x-openhands-client", "x-openhands-client-version", "x-openhands-telemetry-distinct-id", "x-session-api-key"];
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";

/** Headers to add to a response for `origin`, or undefined when the origin is not allowed. */
export function corsHeaders(allowed: readonly string[], origin: string | undefined): OutgoingHttpHeaders | undefined {
  if (!origin || !allowed.includes(origin)) return undefined;
  return { "access-control-allow-origin": origin, "access-control-allow-credentials": "true", vary: "Origin" };
}

/** The answer to a preflight: 204 with the allowed methods and headers, or 403. */
export function preflight(allowed: readonly string[], req: IncomingMessage): { status: number; headers: OutgoingHttpHeaders } {
  const base = corsHeaders(allowed, req.headers.origin);
  if (!base) return { status: 403, headers: { vary: "Origin" } };
  const asked = String(req.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const refused = asked.filter((h) => !ALLOWED_HEADERS.includes(h));
  if (refused.length > 0) return { status: 403, headers: { vary: "Origin" } };
  return { status: 204, headers: { ...base, "access-control-allow-methods": ALLOWED_METHODS, "access-control-allow-headers": ALLOWED_HEADERS.join(", "), "access-control-max-age": "600" } };
}

/** Drops the upstream's own CORS headers. */
export function stripUpstreamCors(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!k.toLowerCase().startsWith("access-control-")) out[k] = v;
  return out;
}
