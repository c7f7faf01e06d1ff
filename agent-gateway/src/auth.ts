import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { GatewayConfig } from "./config";

/*
 * Who is calling. Three modes (GATEWAY_AUTH_MODE):
 * - `bearer`: `Authorization: Bearer <token>` (API clients, Canvas backends added by API key)
 *   or the session cookie that `POST /auth/login` sets after checking the same token. Canvas
 *   served by this gateway and locked to it runs in cookie mode and sends no Authorization
 *   header (agent-canvas 1.20.0 `buildAuthHeaders`), so browsers need the cookie.
 * - `oidc-header`: an OIDC proxy in front (oauth2-proxy and the like) authenticated the user
 *   and forwards the identity in `identityHeader`. The gateway must then only be reachable
 *   through that proxy (a NetworkPolicy), since the header is taken on trust.
 * - `none`: development only.
 * Tokens are compared as sha256 digests through `timingSafeEqual`, so neither the content
 * nor the length leaks through timing.
 */

export const SESSION_COOKIE = "agent_gateway_session";
const COOKIE_CONTEXT = "agent-gateway-session:v1:";

/** The outcome of a check. `user` is safe to log (never the token). */
export type AuthResult = { ok: true; user: string; via: "bearer" | "cookie" | "oidc-header" | "none" } | { ok: false; reason: string };

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The index of the configured token `given` matches, or -1 (always checks every token). */
export function matchToken(tokens: readonly string[], given: string): number {
  let found = -1;
  tokens.forEach((t, i) => {
    if (sameSecret(t, given) && found < 0) found = i;
  });
  return found;
}

/** Cookies of a request (the last value of a repeated name wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function cookieMac(token: string, expires: number): string {
  return createHmac("sha256", token).update(`${COOKIE_CONTEXT}${expires}`).digest("base64url");
}

/** The session cookie value for `token`, valid until `expires` (epoch seconds). */
export function sessionValue(token: string, expires: number): string {
  return `${expires}.${cookieMac(token, expires)}`;
}

/** Whether a session cookie value is unexpired and was made with one of `tokens`. */
export function checkSession(tokens: readonly string[], value: string, nowSeconds: number): boolean {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m) return false;
  const expires = Number(m[1]);
  if (expires <= nowSeconds) return false;
  let ok = false;
  for (const t of tokens) if (sameSecret(cookieMac(t, expires), m[2])) ok = true;
  return ok;
}

/** The `Set-Cookie` header that logs a browser in (HttpOnly, SameSite=Strict). */
export function sessionCookie(config: GatewayConfig, token: string, nowSeconds: number): string {
  const expires = nowSeconds + config.auth.sessionSeconds;
  return `${SESSION_COOKIE}=${sessionValue(token, expires)}; Path=/; Max-Age=${config.auth.sessionSeconds}; HttpOnly; SameSite=Strict${config.auth.cookieSecure ? "; Secure" : ""}`;
}

/** The `Set-Cookie` header that logs a browser out. */
export function clearedSessionCookie(config: GatewayConfig): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${config.auth.cookieSecure ? "; Secure" : ""}`;
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(headers.authorization ?? "");
  return m?.[1];
}

/** Checks a request's credentials against the configured mode. */
export function authenticate(config: GatewayConfig, headers: IncomingHttpHeaders, nowSeconds = Math.floor(Date.now() / 1000)): AuthResult {
  const { mode, tokens, identityHeader } = config.auth;
  if (mode === "none") return { ok: true, user: "anonymous", via: "none" };
  if (mode === "oidc-header") {
    const raw = headers[identityHeader];
    const user = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    return user ? { ok: true, user, via: "oidc-header" } : { ok: false, reason: `no ${identityHeader} header from the OIDC proxy` };
  }
  const bearer = bearerOf(headers);
  if (bearer !== undefined) {
    const i = matchToken(tokens, bearer);
    return i >= 0 ? { ok: true, user: `token#${i}`, via: "bearer" } : { ok: false, reason: "bearer token rejected" };
  }
  const cookie = parseCookies(headers.cookie)[SESSION_COOKIE];
  if (cookie) return checkSession(tokens, cookie, nowSeconds) ? { ok: true, user: "session", via: "cookie" } : { ok: false, reason: "session cookie invalid or expired" };
  return { ok: false, reason: "no bearer token or session cookie" };
}
