import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { type Condition, EventReason, Reason, RefusalReason, SpecReason } from "../../operator/src/api/v1alpha1";
import type { FleetEvent } from "../../operator/src/port";
import type { Problem } from "../../operator/src/problem";
import { loadCrd } from "../helpers/schemas/ollamafleet";

/*
 * Condition and Event reasons are API: users, alerts, `kubectl wait` scripts and the
 * integration tests match on the strings. This list is written out, not derived, so that
 * renaming, adding or dropping a reason is a deliberate change to this file too.
 */

const CONDITION_REASONS = [
  // spec problems (Degraded, Ready)
  "InvalidName",
  "InvalidModel",
  "InvalidQuantity",
  "InvalidResources",
  "InvalidImage",
  "InvalidKeepAlive",
  "InvalidScaling",
  // refusals of a child (Degraded, Ready)
  "ScalingUnavailable",
  "ApplyRejected",
  "AdmissionDenied",
  // ModelPulled
  "Pulled",
  "PullFailed",
  "Pulling",
  "NoPods",
  // Progressing
  "InvalidSpec",
  "Creating",
  "RollingOut",
  "ScalingUp",
  "ScalingDown",
  "Stable",
  // Degraded
  "GPUUnavailable",
  "Unschedulable",
  "CrashLoop",
  "ImagePullFailed",
  "PodCreationFailed",
  "AsExpected",
  // Ready
  "ReplicasReady",
  "ScaledToZero",
  "ReplicasNotReady",
];

const SRC = join(__dirname, "../../operator/src");
const API_MODULE = join(SRC, "api/v1alpha1.ts");
/** A reason written as a string: `reason: "X"`, `reason === "X"`, `reason !== "X"` (also `.reason`, `?.reason`). */
const LITERAL_REASON = /\breason\s*(?::|[!=]==?)\s*["'`]([^"'`]*)["'`]/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : []));
}

// Type-level: a reason outside `Reason` does not compile (npm run typecheck checks these lines).
// @ts-expect-error "InvalidSpecs" is not a condition reason
const notAReason: Condition["reason"] = "InvalidSpecs";
// @ts-expect-error a spec problem takes only spec reasons
const wrongKind: Problem = { kind: "spec", reason: "ApplyRejected", message: "" };
// @ts-expect-error an Event reason is a Reason or an EventReason
const notAnEvent: FleetEvent = { type: "Normal", reason: "Started", message: "" };
void [notAReason, wrongKind, notAnEvent];

describe("condition and Event reasons", () => {
  it("are exactly the published condition reasons, each constant named as the string it emits", () => {
    assert.deepEqual(Object.values(Reason), CONDITION_REASONS);
    for (const [name, value] of Object.entries(Reason)) assert.equal(name, value);
  });

  it("split into spec problems, refusals and the rest, with no spec reason a refusal", () => {
    const values = new Set<string>(Object.values(Reason));
    for (const r of [...Object.values(SpecReason), ...Object.values(RefusalReason)]) assert.ok(values.has(r), r);
    assert.deepEqual(
      Object.values(SpecReason).filter((r) => (Object.values(RefusalReason) as string[]).includes(r)),
      [],
    );
    assert.deepEqual(Object.values(SpecReason), CONDITION_REASONS.slice(0, 7));
    assert.deepEqual(Object.values(RefusalReason), CONDITION_REASONS.slice(7, 10));
  });

  it("have Event-only reasons of their own, none of them a condition reason", () => {
    assert.deepEqual(Object.values(EventReason), ["ModelPulled", "Recovered", "Ready"]);
    for (const [name, value] of Object.entries(EventReason)) assert.equal(name, value);
    assert.deepEqual(
      Object.values(EventReason).filter((r) => (CONDITION_REASONS as string[]).includes(r)),
      [],
    );
  });

  it("are all accepted by the CRD's status.conditions[].reason schema", () => {
    const schema = loadCrd().spec.versions[0].schema.openAPIV3Schema.properties.status.properties.conditions.items.properties.reason;
    const pattern = new RegExp(schema.pattern);
    for (const r of [...Object.values(Reason), ...Object.values(EventReason)]) {
      assert.ok(pattern.test(r) && r.length >= schema.minLength && r.length <= schema.maxLength, r);
    }
  });

  it("are spelled out only in the API module: operator code sets and compares reasons through its constants", () => {
    const found = sources(SRC)
      .filter((f) => f !== API_MODULE)
      .flatMap((f) => [...readFileSync(f, "utf8").matchAll(LITERAL_REASON)].map((m) => `${relative(SRC, f)}: ${m[0]}`));
    assert.deepEqual(found, []);
  });

  it("finds a reason spelled as a string, so the check above can fail", () => {
    const sample = 'return { status: "True", reason: "Stable", message };\nif (c.reason === "PullFailed") {}';
    assert.deepEqual([...sample.matchAll(LITERAL_REASON)].map((m) => m[1]), ["Stable", "PullFailed"]);
  });
});
