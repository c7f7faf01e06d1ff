/*
 * Answers for the account endpoints Agent Canvas (1.20.0, cloud kind) calls that the
 * open-source sandbox server (openhands-ai 1.11.0) does not have. Shapes are the ones Canvas
 * reads (recovered from its dist/ source maps):
 * - `GET /api/keys/current` is the health probe of an api-key backend
 *   (`getCurrentCloudApiKey` reads `org_id`);
 * - `GET /api/organizations` is the health probe of a cookie backend and the org selector
 *   (`items`, `current_org_id`); no orgs means Canvas never sends `X-Org-Id` nor calls
 *   `/api/organizations/{id}/...`;
 * - `GET /api/agent-profiles` lists agent profiles (`profiles`, `active_agent_profile_id`);
 * - `/api/automation/*`: `checkHealth` turns any failure into `{status: "error"}`, and the
 *   SDK-version lookup swallows errors, so automations are reported unavailable outright.
 * Any other path under these prefixes answers 404 with a reason, as the enterprise server
 * would for an unknown resource.
 */

/** A stub's answer. */
export interface StubAnswer {
  status: number;
  body: unknown;
}

const NOT_HERE = "not available on this deployment (open-source OpenHands sandbox server behind agent-gateway)";

/** Path prefixes whose requests the gateway answers itself. */
export const STUB_PREFIXES = ["/api/keys", "/api/organizations", "/api/agent-profiles", "/api/automation"] as const;

/** Whether `pathname` is answered by `stubAnswer` rather than forwarded. */
export function isStubbed(pathname: string): boolean {
  return STUB_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** The answer for a stubbed path (`isStubbed(pathname)` is true). */
export function stubAnswer(method: string, pathname: string): StubAnswer {
  const get = method === "GET" || method === "HEAD";
  if (get && pathname === "/api/keys/current") return { status: 200, body: { org_id: null } };
  if (get && pathname === "/api/organizations") return { status: 200, body: { items: [], current_org_id: null } };
  if (get && pathname === "/api/agent-profiles") return { status: 200, body: { profiles: [], active_agent_profile_id: null } };
  if (get && pathname === "/api/automation/health") return { status: 200, body: { status: "error", message: `Automations are ${NOT_HERE}` } };
  return { status: 404, body: { detail: `${method} ${pathname} is ${NOT_HERE}` } };
}
