import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ARTIFACTS, CHARTS, checkKubeVersion, supportedKubeRange, type ChartPin } from "../../components/catalog";
import { kindNodeVersion } from "../../components/cluster/kind";
import { ROOT } from "../helpers/program";

const pin = (chart: string, kube: [string | null, string | null]): ChartPin => ({ repo: "r", chart, version: "1.0.0", namespace: "n", kube });

describe("chart catalog", () => {
  it("pins every chart to an exact version", () => {
    for (const [key, p] of Object.entries(CHARTS)) {
      assert.match(p.version, /^v?\d+\.\d+\.\d+$/, `${key}: ${p.version} is not an exact version`);
    }
  });

  it("keeps each chart on one line, so a bump is a one-line diff", () => {
    const text = fs.readFileSync(path.join(ROOT, "components", "catalog.ts"), "utf8");
    for (const [key, p] of Object.entries(CHARTS)) {
      const line = text.split("\n").find((l) => l.trimStart().startsWith(`${key}:`));
      assert.ok(line?.includes(`version: "${p.version}"`), `${key} is not declared on one line with its version`);
    }
  });

  it("has a Kubernetes range shared by all charts that contains the dev node image", () => {
    const all = Object.values(CHARTS);
    const range = supportedKubeRange(all);
    assert.deepEqual([range.min, range.max], ["1.34", "1.35"]);
    assert.equal(checkKubeVersion(kindNodeVersion(ARTIFACTS.kindNodeImage.image), all), undefined);
  });
});

describe("Kubernetes version preflight", () => {
  const pins = [pin("a", ["1.31", null]), pin("b", ["1.33", "1.36"]), pin("c", [null, "1.35"])];
  it("intersects the ranges and names the charts that bound them", () => {
    const r = supportedKubeRange(pins);
    assert.deepEqual(r, { min: "1.33", max: "1.35", limitedBy: { min: "b 1.0.0", max: "c 1.0.0" } });
  });
  it("accepts versions inside, with vendor suffixes", () => {
    assert.equal(checkKubeVersion("v1.33.0", pins), undefined);
    assert.equal(checkKubeVersion("v1.35.4-eks-a1b2c3", pins), undefined);
  });
  it("rejects an older cluster, saying what to do", () => {
    assert.equal(
      checkKubeVersion("v1.32.9", pins),
      "Kubernetes v1.32.9 is older than the pinned charts support: need 1.33 to 1.35 (minimum set by b 1.0.0); upgrade the cluster",
    );
  });
  it("rejects a newer cluster, saying what to do", () => {
    assert.equal(
      checkKubeVersion("v1.36.0", pins),
      "Kubernetes v1.36.0 is newer than the pinned charts support: need 1.33 to 1.35 (maximum set by c 1.0.0); bump the charts in components/catalog.ts or use an older cluster",
    );
  });
  it("fails when the charts share no version", () => {
    assert.throws(() => supportedKubeRange([pin("old", [null, "1.30"]), pin("new", ["1.32", null])]), /share no Kubernetes version: new 1.0.0 needs >= 1.32, old 1.0.0 supports <= 1.30/);
  });
  it("rejects a version string it cannot read", () => {
    assert.throws(() => checkKubeVersion("latest", pins), /"latest" is not a Kubernetes version/);
  });
});
