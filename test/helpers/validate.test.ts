import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TYPES } from "../../tools/types";
import { apiOf, validateObject } from "./validate";

describe("schema validation of emitted objects", () => {
  it("maps Pulumi types to API versions and kinds", () => {
    assert.deepEqual(apiOf("kubernetes:core/v1:Namespace"), { apiVersion: "v1", kind: "Namespace" });
    assert.deepEqual(apiOf("kubernetes:cert-manager.io/v1:ClusterIssuer"), { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer" });
    assert.equal(apiOf(TYPES.release), undefined);
  });

  it("accepts a well-formed object", async () => {
    assert.deepEqual(await validateObject("kubernetes:core/v1:Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "a", labels: { x: "y" } } }), []);
  });

  it("fails a malformed object with the field path", async () => {
    const problems = await validateObject("kubernetes:apps/v1:Deployment", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: { selector: { matchLabels: { app: "web" } }, template: { spec: { containers: [{ name: "c", image: "nginx:1.29.3", ports: [{ containerPort: "http" }] }] } } },
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /apps\/v1\/Deployment web: .*spec\/template\/spec\/containers\/0\/ports\/0\/containerPort must be integer/);
  });

  it("validates custom resources from the CRD model packages", async () => {
    const problems = await validateObject("kubernetes:cert-manager.io/v1:ClusterIssuer", {
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name: "acme" },
      spec: { acme: { server: "https://acme.example", privateKeySecretRef: { name: "k" }, solvers: "http01" } },
    });
    assert.match(problems.join(), /spec\/acme\/solvers must be array/);
  });

  it("refuses a kind it has no schema for", async () => {
    assert.deepEqual(await validateObject("kubernetes:example.com/v1:Widget", { apiVersion: "example.com/v1", kind: "Widget" }), [
      "example.com/v1/Widget: no schema available; add one to EXTRA_SCHEMAS in test/helpers/validate.ts",
    ]);
  });
});
