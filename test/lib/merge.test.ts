import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mergeValues } from "../../lib/merge";

describe("mergeValues", () => {
  it("merges objects key by key and lets arrays and scalars replace", () => {
    const base = { a: { b: 1, c: [1, 2] }, d: "x" };
    assert.deepEqual(mergeValues(base, { a: { c: [3] }, e: true }), { a: { b: 1, c: [3] }, d: "x", e: true });
  });

  it("never modifies its inputs", () => {
    const base = { a: { b: 1 } };
    const over = { a: { b: 2 } };
    mergeValues(base, over);
    assert.deepEqual(base, { a: { b: 1 } });
    assert.deepEqual(over, { a: { b: 2 } });
  });

  it("ignores undefined overrides and drops undefined keys", () => {
    assert.deepEqual(mergeValues({ a: 1, b: undefined }, undefined, { a: undefined }), { a: 1 });
  });

  it("sorts keys at every level so equal values serialise identically", () => {
    const one = JSON.stringify(mergeValues({ z: 1, a: { y: 1, b: 2 } }));
    const two = JSON.stringify(mergeValues({ a: { b: 2, y: 1 }, z: 1 }));
    assert.equal(one, two);
    assert.equal(one, '{"a":{"b":2,"y":1},"z":1}');
  });
});
