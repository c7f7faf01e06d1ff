import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { compareVersions, formatStatus, statusFromIndex, statusFromVersions } from "../../scripts/lib/chart-index";

const INDEX = fs.readFileSync(path.join(__dirname, "..", "fixtures", "helm-index.yaml"), "utf8");

describe("charts:check against a repository index", () => {
  it("reports a pin that is the newest stable version as current", () => {
    assert.deepEqual(statusFromIndex({ chart: "cert-manager", version: "v1.21.1" }, INDEX), {
      chart: "cert-manager",
      pinned: "v1.21.1",
      latest: "v1.21.1",
      state: "current",
    });
  });

  it("reports a newer stable version and ignores pre-releases", () => {
    const s = statusFromIndex({ chart: "keda", version: "2.20.2" }, INDEX);
    assert.equal(s.state, "outdated");
    assert.equal(s.latest, "2.21.0");
    assert.equal(formatStatus(s), "newer     keda 2.20.2 -> 2.21.0");
  });

  it("reports a pin the repository does not publish", () => {
    const s = statusFromIndex({ chart: "keda", version: "2.20.9" }, INDEX);
    assert.equal(formatStatus(s), "MISSING   keda 2.20.9 is not published (newest: 2.21.0)");
  });

  it("reports a chart the repository does not have", () => {
    assert.equal(statusFromIndex({ chart: "nope", version: "1.0.0" }, INDEX).state, "missing-chart");
  });

  it("reads OCI tag lists the same way", () => {
    assert.equal(statusFromVersions({ chart: "oci://ghcr.io/grafana/helm-charts/grafana-operator", version: "5.24.0" }, ["5.23.0", "5.24.0", "v5.25.0-rc.1"]).state, "current");
  });

  it("orders versions numerically, with or without a v", () => {
    assert.ok(compareVersions("v1.10.0", "v1.9.9") > 0);
    assert.ok(compareVersions("2026.10.1", "2026.8.3") > 0);
    assert.ok(compareVersions("1.0.0", "1.0.0-rc.1") > 0);
    assert.equal(compareVersions("1.2.3", "v1.2.3"), 0);
  });
});
