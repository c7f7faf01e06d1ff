import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareQuantities, isQuantity, parseQuantity, quantityToNumber } from "../../lib/quantity";

describe("quantities compare by value", () => {
  const equalTo100Gi = ["100Gi", "107374182400", "0.09765625Ti", "102400Mi", "104857600Ki", "107374182400000m"];
  for (const q of equalTo100Gi) {
    it(`${q} equals 100Gi`, () => assert.equal(compareQuantities(q, "100Gi"), 0));
  }
  const table: [string, string, number][] = [
    ["0.1Ti", "100Gi", 1],
    ["101Gi", "100Gi", 1],
    ["100G", "100Gi", -1],
    ["1e11", "100G", 0],
    ["500m", "0.5", 0],
    ["1.5", "1500m", 0],
    ["1Ki", "1k", 1],
    ["-1", "0", -1],
    [".5Gi", "512Mi", 0],
  ];
  for (const [a, b, want] of table) {
    it(`${a} vs ${b} is ${want}`, () => assert.equal(Math.sign(compareQuantities(a, b)), want));
  }
});

describe("quantity syntax", () => {
  for (const ok of ["1", "100Gi", "500m", "1.5", "2e3", "1E-3", "+1", ".5", "1.", "12Ei"]) {
    it(`accepts ${ok}`, () => assert.ok(isQuantity(ok)));
  }
  for (const bad of ["", "Gi", "1GB", "1 Gi", "1.2.3", "ten", "1gi", "--1", "1Ki2"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.equal(isQuantity(bad), false);
      assert.throws(() => parseQuantity(bad), /is not a Kubernetes quantity/);
    });
  }
  it("converts to a number for reports", () => {
    assert.equal(quantityToNumber("250m"), 0.25);
    assert.equal(quantityToNumber("1Gi"), 1073741824);
  });
});
