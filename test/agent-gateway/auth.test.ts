import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authenticate, checkSession, matchToken, parseCookies, SESSION_COOKIE, sessionCookie, sessionValue } from "../../agent-gateway/src/auth";
import { parseConfig } from "../../agent-gateway/src/config";
import { baseEnv, fakeCanvasDir, TOKEN } from "./fixtures";

const canvas = fakeCanvasDir();
const bearer = parseConfig(baseEnv(canvas, { GATEWAY_TOKEN: `${TOKEN},${TOKEN}-rotated` }));
const NOW = 1_800_000_000;

describe("bearer check", () => {
  it("accepts each configured token and says which one", () => {
    assert.deepEqual(authenticate(bearer, { authorization: `Bearer ${TOKEN}` }, NOW), { ok: true, user: "token#0", via: "bearer" });
    assert.deepEqual(authenticate(bearer, { authorization: `bearer ${TOKEN}-rotated` }, NOW), { ok: true, user: "token#1", via: "bearer" });
  });

  it("rejects a wrong token, a prefix of the token, and other schemes", () => {
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, "Bearer", `Bearer ${TOKEN} extra`]) {
      const r = authenticate(bearer, { authorization }, NOW);
      assert.equal(r.ok, false, authorization);
    }
    assert.deepEqual(authenticate(bearer, { authorization: "Bearer nope" }, NOW), { ok: false, reason: "bearer token rejected" });
  });

  it("rejects a request with no credentials", () => {
    assert.deepEqual(authenticate(bearer, {}, NOW), { ok: false, reason: "no bearer token or session cookie" });
  });

  it("finds the first matching token", () => {
    assert.equal(matchToken(["a".repeat(16), "b".repeat(16)], "b".repeat(16)), 1);
    assert.equal(matchToken(["a".repeat(16)], ""), -1);
  });
});

describe("session cookie", () => {
  const cookie = (v: string) => ({ cookie: `other=1; ${SESSION_COOKIE}=${v}` });

  it("accepts a cookie minted from a configured token until it expires", () => {
    const v = sessionValue(TOKEN, NOW + 60);
    assert.deepEqual(authenticate(bearer, cookie(v), NOW), { ok: true, user: "session", via: "cookie" });
    assert.equal(authenticate(bearer, cookie(v), NOW + 60).ok, false);
  });

  it("rejects a tampered expiry, a forged MAC and a cookie from a removed token", () => {
    const v = sessionValue(TOKEN, NOW + 60);
    assert.equal(checkSession([TOKEN], v.replace(/^\d+/, String(NOW + 6000)), NOW), false);
    assert.equal(checkSession([TOKEN], `${NOW + 60}.${"A".repeat(43)}`, NOW), false);
    assert.equal(checkSession(["another-token-0123456789"], v, NOW), false);
    assert.equal(checkSession([TOKEN], "garbage", NOW), false);
  });

  it("is HttpOnly, SameSite=Strict and Secure unless turned off", () => {
    const c = sessionCookie(bearer, TOKEN, NOW);
    assert.match(c, new RegExp(`^${SESSION_COOKIE}=${NOW + 43_200}\\.[A-Za-z0-9_-]{43}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure$`));
    assert.ok(!c.includes(TOKEN));
    const insecure = parseConfig(baseEnv(canvas, { GATEWAY_COOKIE_SECURE: "false" }));
    assert.ok(!sessionCookie(insecure, TOKEN, NOW).includes("Secure"));
  });

  it("parses cookies, the last repeated name winning", () => {
    assert.deepEqual(parseCookies("a=1; b=2; a=3; junk"), { a: "3", b: "2" });
    assert.deepEqual(parseCookies(undefined), {});
  });
});

describe("oidc-header and none modes", () => {
  const oidc = parseConfig({ ...baseEnv(canvas), GATEWAY_TOKEN: undefined, GATEWAY_AUTH_MODE: "oidc-header" });

  it("takes the user from the identity header the OIDC proxy sets", () => {
    assert.deepEqual(authenticate(oidc, { "x-auth-request-email": "dev@example.com" }), { ok: true, user: "dev@example.com", via: "oidc-header" });
  });

  it("rejects a request without the header, even with a bearer token", () => {
    assert.deepEqual(authenticate(oidc, { authorization: `Bearer ${TOKEN}` }), { ok: false, reason: "no x-auth-request-email header from the OIDC proxy" });
    assert.equal(authenticate(oidc, { "x-auth-request-email": "  " }).ok, false);
  });

  it("lets everything through in none mode", () => {
    const none = parseConfig({ ...baseEnv(canvas), GATEWAY_TOKEN: undefined, GATEWAY_AUTH_MODE: "none" });
    assert.deepEqual(authenticate(none, {}), { ok: true, user: "anonymous", via: "none" });
  });
});
