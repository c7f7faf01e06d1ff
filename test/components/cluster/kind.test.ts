import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { kindApiServer, kindNodeVersion, renderKindConfig, type KindClusterSpec } from "../../../components/cluster/kind";

const spec: KindClusterSpec = {
  name: "local-hands",
  nodeImage: "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0",
  hostPorts: { http: 80, https: 443 },
  workers: [],
  cilium: true,
};

describe("kind config", () => {
  it("maps host ports 80 and 443 to the ingress-ready control plane, on the laptop's loopback only", () => {
    const cfg = parse(renderKindConfig(spec));
    assert.equal(cfg.apiVersion, "kind.x-k8s.io/v1alpha4");
    assert.equal(cfg.name, "local-hands");
    const cp = cfg.nodes[0];
    assert.equal(cp.role, "control-plane");
    assert.deepEqual(cp.labels, { "ingress-ready": "true" });
    assert.deepEqual(cp.extraPortMappings, [
      { containerPort: 80, hostPort: 80, listenAddress: "127.0.0.1", protocol: "TCP" },
      { containerPort: 443, hostPort: 443, listenAddress: "127.0.0.1", protocol: "TCP" },
    ]);
  });

  it("disables kind's CNI and kube-proxy only when Cilium takes over", () => {
    assert.deepEqual(parse(renderKindConfig(spec)).networking, { disableDefaultCNI: true, kubeProxyMode: "none" });
    assert.equal(parse(renderKindConfig({ ...spec, cilium: false })).networking, undefined);
  });

  it("adds labelled workers, count times, on the same pinned image", () => {
    const cfg = parse(renderKindConfig({ ...spec, workers: [{ labels: { pool: "gpu" }, count: 2 }, { labels: {}, count: 1 }] }));
    assert.deepEqual(
      cfg.nodes.slice(1).map((n: any) => [n.role, n.labels, n.image]),
      [
        ["worker", { pool: "gpu" }, spec.nodeImage],
        ["worker", { pool: "gpu" }, spec.nodeImage],
        ["worker", {}, spec.nodeImage],
      ],
    );
  });

  it("renders identically for identical input (its text triggers cluster replacement)", () => {
    assert.equal(renderKindConfig(spec), renderKindConfig({ ...spec }));
  });

  it("reads the Kubernetes version off the node image", () => {
    assert.equal(kindNodeVersion(spec.nodeImage), "v1.35.8");
    assert.throws(() => kindNodeVersion("kindest/node:latest"), /not a kindest\/node:vX.Y.Z image/);
  });

  it("tells Cilium where the API server is inside the kind network", () => {
    assert.deepEqual(kindApiServer("local-hands"), { host: "local-hands-control-plane", port: 6443 });
  });
});
