import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { injectIndex, injectionScript, looksLikeAsset, safeNext } from "../../agent-gateway/src/spa";

describe("the Canvas page", () => {
  it("locks Canvas to a configured public URL as a safe literal", () => {
    assert.equal(injectionScript({ lockToCloud: "https://agents.example.com", telemetry: true }), '<script>(function(){window.__AGENT_CANVAS_LOCK_TO_CLOUD__="https://agents.example.com";}());</script>');
    assert.ok(!injectionScript({ lockToCloud: "https://x</script><script>alert(1)", telemetry: true }).includes("</script><script>alert"));
  });

  it("injects before </head>, or first when there is none", () => {
    assert.match(injectIndex("<html><head></head></html>", { telemetry: false }), /<head><script>.*__AGENT_CANVAS_DO_NOT_TRACK__=true;.*<\/script>\n<\/head>/);
    assert.match(injectIndex("<p>x</p>", { telemetry: false }), /^<script>/);
  });

  it("treats paths with an extension as assets, others as SPA routes", () => {
    assert.equal(looksLikeAsset("/assets/a.js"), true);
    assert.equal(looksLikeAsset("/conversations/abc"), false);
  });

  it("only returns to relative paths after login", () => {
    assert.equal(safeNext("/conversations/1?x=2"), "/conversations/1?x=2");
    for (const bad of ["//evil.example.com", "/\\evil.example.com", "https://evil.example.com", "", null]) assert.equal(safeNext(bad), "/");
  });
});
