import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compareQuantities } from "../../lib/quantity";
import { evaluateCel } from "../../policies/cel/env";

const ok = (expr: string) => {
  const r = evaluateCel(expr, {});
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe("the Kubernetes CEL quantity library in the pack", () => {
  it("compares 100Gi, 107374182400 and 102400Mi as equal, and 0.1Ti as larger", () => {
    assert.equal(ok("quantity('100Gi').compareTo(quantity('107374182400'))"), 0n);
    assert.equal(ok("quantity('100Gi') == quantity('102400Mi')"), true);
    assert.equal(ok("quantity('0.1Ti').isGreaterThan(quantity('100Gi'))"), true);
    assert.equal(ok("quantity('500m').isLessThan(quantity('1'))"), true);
  });

  it("agrees with lib/quantity.ts, which the config schema uses, on every pair", () => {
    const qs = ["0", "1", "500m", "1.5", "1e3", "1k", "1Ki", "100Gi", "107374182400", "0.1Ti", "102400Mi", "-1", "2E-3", ".5", "1Ei", "999999999999n"];
    for (const a of qs) {
      for (const b of qs) {
        assert.equal(ok(`quantity('${a}').compareTo(quantity('${b}'))`), BigInt(compareQuantities(a, b)), `${a} vs ${b}`);
      }
    }
  });

  it("types quantities as kubernetes.Quantity, as Kubernetes does", () => {
    assert.equal(ok("type(quantity('1')) == type(quantity('2Gi'))"), true);
    assert.equal(String((ok("type(quantity('1'))") as { name: string }).name), "kubernetes.Quantity");
  });

  it("implements isQuantity, sign, isInteger, asInteger, add and sub", () => {
    assert.equal(ok("isQuantity('1Gi') && !isQuantity('1GB') && !isQuantity('')"), true);
    assert.equal(ok("quantity('-5m').sign()"), -1n);
    assert.equal(ok("quantity('1.5').isInteger()"), false);
    assert.equal(ok("quantity('2k').asInteger()"), 2000n);
    assert.equal(ok("quantity('1Gi').add(quantity('1Gi')) == quantity('2Gi')"), true);
    assert.equal(ok("quantity('1').sub(1).sign()"), 0n);
  });

  it("fails on a malformed quantity instead of guessing", () => {
    const r = evaluateCel("quantity('ten gigs')", {});
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /"ten gigs" is not a Kubernetes quantity/);
  });

  it("has the strings extension Kyverno has (join)", () => {
    assert.equal(ok("['a', 'b'].join(', ')"), "a, b");
  });
});
