import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chartsAtDefault, DEFAULT_RELEASE_SECONDS, RELEASE_SECONDS, simulatedSeconds } from "../../bench/simulate/readiness";
import { defaultedLine } from "../../bench/simulate/report";
import { CHARTS, type ChartKey } from "../../components/catalog";
import { TYPES } from "../../tools/types";

const release = (chart: string) => ({ type: TYPES.release, inputs: { chart } });

describe("simulated readiness times", () => {
  it("has a figure for every chart the catalog pins, so the default stays the exception", () => {
    for (const key of Object.keys(CHARTS) as ChartKey[]) {
      assert.ok(RELEASE_SECONDS[key] !== undefined, `${key} has no readiness time: add it to RELEASE_SECONDS in bench/simulate/readiness.ts (until then the bench uses ${DEFAULT_RELEASE_SECONDS} s and says so)`);
      assert.ok(RELEASE_SECONDS[key]! > 0, key);
    }
  });

  it("times a release by its chart's figure", () => {
    assert.equal(simulatedSeconds(release(CHARTS.cilium.chart).type, release(CHARTS.cilium.chart).inputs), RELEASE_SECONDS.cilium);
    assert.equal(simulatedSeconds(release(CHARTS.gpuOperator.chart).type, release(CHARTS.gpuOperator.chart).inputs), RELEASE_SECONDS.gpuOperator);
  });

  it("times a release of a chart without a figure at the default instead of failing, and names it", () => {
    const unknown = release("backup-operator");
    assert.equal(simulatedSeconds(unknown.type, unknown.inputs), DEFAULT_RELEASE_SECONDS);
    assert.deepEqual(chartsAtDefault([unknown, release(CHARTS.loki.chart), release("backup-operator"), release("another")]), ["another", "backup-operator"]);
    assert.deepEqual(chartsAtDefault([release(CHARTS.loki.chart), { type: "kubernetes:core/v1:Namespace", inputs: {} }]), []);
  });

  it("prints the defaulted charts under the table, per stack, and nothing when there are none", () => {
    assert.equal(
      defaultedLine({ dev: ["backup-operator"], prod: [] }),
      `Estimated at the default ${DEFAULT_RELEASE_SECONDS} s (no figure in bench/simulate/readiness.ts RELEASE_SECONDS): dev: backup-operator`,
    );
    assert.equal(defaultedLine({ dev: [], prod: [] }), undefined);
  });

  it("gives components and providers no time and other kinds theirs", () => {
    assert.equal(simulatedSeconds("platform:network:Networking", {}), 0);
    assert.equal(simulatedSeconds("pulumi:providers:kubernetes", {}), 0);
    assert.equal(simulatedSeconds("kubernetes:cert-manager.io/v1:Certificate", {}), 15);
    assert.equal(simulatedSeconds("command:local:Command", { create: "kind create cluster --name x" }), 90);
  });
});
