import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROD_SECRETS, ROOT } from "./helpers/program";

function runStack(opts: object): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "test", "fixtures", "run-stack.ts"), JSON.stringify(opts)], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("the prod preflight", () => {
  it("stops a deploy to a cluster older than the charts support, naming the chart that needs more", () => {
    const r = runStack({ stack: "prod", secrets: PROD_SECRETS, serverVersion: "v1.31.4" });
    assert.notEqual(r.status, 0);
    assert.match(
      r.stderr,
      /preflight: Kubernetes v1.31.4 is older than the pinned charts support: need 1.34 to 1.35 \(minimum set by knative-operator 1.23.0\); upgrade the cluster/,
    );
  });

  it("stops a deploy to a cluster newer than the charts support", () => {
    const r = runStack({ stack: "prod", secrets: PROD_SECRETS, serverVersion: "v1.37.0" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /preflight: Kubernetes v1.37.0 is newer than the pinned charts support: need 1.34 to 1.35 \(maximum set by keda 2.20.2\)/);
  });

  it("lets a supported cluster through", () => {
    const r = runStack({ stack: "prod", secrets: PROD_SECRETS, serverVersion: "v1.35.4" });
    assert.equal(r.status, 0, r.stderr);
  });

  it("can be skipped for offline previews", () => {
    const r = runStack({ stack: "prod", secrets: PROD_SECRETS, serverVersion: "v1.20.0", config: { cluster: { existing: { context: "platform-prod" }, preflight: false } } });
    assert.equal(r.status, 0, r.stderr);
  });

  it("refuses a kind node image outside the charts' range before creating anything", () => {
    const r = runStack({ stack: "dev", config: { cluster: { kind: { nodeImage: "kindest/node:v1.33.1" } } } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /platform:cluster.kind.nodeImage: Kubernetes v1.33.1 is older than the pinned charts support/);
  });
});
