import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Workspace, WORKSPACE } from "../../components/workspace";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeNetwork } from "../helpers/layers";
import { recordResources, resolveOutput, type ProgramRun } from "../helpers/program";
import { validateAll } from "../helpers/validate";


describe("the ubuntu-dev workspace (kubernetesx on @pulumi/kubernetes v4)", () => {
  let run: ProgramRun;
  let ws: Workspace;
  before(async () => {
    run = await recordResources(async () => {
      const cluster = fakeCluster({ apiServer: { host: "auto", port: 6443 } });
      const cni = componentMarker()("cni");
      ws = new Workspace("workspace", { cluster, network: fakeNetwork([cni]), namespace: "openhands", image: "gitpod/openvscode-server:1.105.1" });
      return {};
    });
  });

  it("runs one pinned container on port 3000 with requests and a memory limit", () => {
    const d = run.get(TYPES.deployment, "workspace-deployment");
    assert.equal(d.inputs.metadata.name, "ubuntu-dev");
    assert.equal(d.inputs.metadata.namespace, "openhands");
    assert.equal(d.inputs.spec.replicas, 1);
    const [c] = d.inputs.spec.template.spec.containers;
    assert.equal(c.image, "gitpod/openvscode-server:1.105.1");
    assert.deepEqual(c.ports, [{ name: "http", containerPort: 3000 }]);
    assert.deepEqual(c.resources, WORKSPACE.resources);
    assert.deepEqual(d.inputs.spec.selector.matchLabels, d.inputs.spec.template.metadata.labels);
  });

  it("serves port 8099 to the container's 3000 and selects the Deployment's pods", () => {
    const d = run.get(TYPES.deployment, "workspace-deployment");
    const s = run.get(TYPES.service, "workspace-service");
    assert.equal(s.inputs.metadata.name, "ubuntu-dev");
    assert.equal(s.inputs.spec.type, "ClusterIP");
    assert.deepEqual(s.inputs.spec.ports, [{ name: "http", port: 8099, targetPort: 3000 }]);
    assert.deepEqual(s.inputs.spec.selector, d.inputs.spec.selector.matchLabels);
  });

  it("waits for the CNI, uses the cluster's provider and emits valid objects", async () => {
    assert.ok(run.dependsOn(`${TYPES.deployment}::workspace-deployment`, "test:layer:Marker::cni"));
    for (const r of [run.get(TYPES.deployment, "workspace-deployment"), run.get(TYPES.service, "workspace-service")]) {
      assert.equal(r.providerDep, "pulumi:providers:kubernetes::fake", r.name);
    }
    assert.deepEqual(await validateAll(run.resources), []);
  });

  it("exports the in-cluster URL", async () => {
    assert.equal((await resolveOutput<string>(ws.url)).value, "http://ubuntu-dev.openhands.svc.cluster.local:8099");
  });
});
