import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, kubectl, waitUntil } from "./helpers/kube";
import {
  conditionOf,
  createFleet,
  deleteNamespace,
  deleteScratchVolumes,
  ensureNamespace,
  fleetPath,
  getFleet,
  installFleetCrd,
  isSteady,
  type OperatorProcess,
  provisionVolumes,
  SMALL_SPEC,
  startOperator,
  waitForFleet,
} from "./helpers/operator";

/*
 * The OllamaFleet operator end to end (issue "The Ollama fleet", "Tests and measurements"):
 * operator/dist/main.js as a child process (leader election on, its Lease in its own
 * namespace) against the local control plane, where kwok plays the kubelet: pods go Running
 * and Ready, and init containers end `Completed` with exit code 0, so ModelPulled is True
 * exactly as on a real node (the `pull` init container terminated with 0). The local cluster
 * has no storage provisioner: each fleet's model-cache PVCs are bound to PVs made up front.
 * Create, update, scale, KEDA scaling, bad specs and delete here; crash and graceful stop in
 * operator-lifecycle.itest.ts.
 */

const NS = "op-e2e";
const LEASE_NS = "op-e2e-system";
const FLEET_GVK = { apiVersion: "openhands.ai/v1alpha1", kind: "OllamaFleet" };
const KEDA_CRD = "scaledobjects.keda.sh";

const get = async (p: string) => (await api("GET", p)).body;
const mergePatch = async (p: string, body: unknown) => {
  const r = await api("PATCH", p, body, "application/merge-patch+json");
  assert.ok(r.status < 300, `PATCH ${p}: ${r.status} ${r.body.message}`);
  return r.body;
};
const sts = (name: string) => `/apis/apps/v1/namespaces/${NS}/statefulsets/${name}`;
const svc = (name: string) => `/api/v1/namespaces/${NS}/services/${name}`;
const pdb = (name: string) => `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}`;
const pvc = (name: string) => `/api/v1/namespaces/${NS}/persistentvolumeclaims/${name}`;
const exists = async (p: string) => (await api("GET", p)).status === 200;

function assertOwnedBy(obj: Record<string, any>, fleet: Record<string, any>) {
  assert.deepEqual(obj.metadata.ownerReferences, [{ ...FLEET_GVK, name: fleet.metadata.name, uid: fleet.metadata.uid, controller: true, blockOwnerDeletion: true }], `${obj.kind} ${obj.metadata.name} owner`);
}

describe("the OllamaFleet operator against the local cluster", { timeout: 600_000 }, () => {
  let op: OperatorProcess;

  before(async () => {
    await installFleetCrd();
    for (const ns of [NS, LEASE_NS]) await deleteNamespace(ns, 120_000);
    await deleteScratchVolumes(NS);
    for (const ns of [NS, LEASE_NS]) await ensureNamespace(ns);
    op = await startOperator({ watchNamespaces: [NS], leaseNamespace: LEASE_NS, leaseName: "e2e" });
    await op.waitForLog("started leading", (l) => l.msg === "started leading", 30_000);
  });

  after(async () => {
    const code = await op?.stop();
    if (code !== 0) console.error(`operator exited with ${code}:\n${op.log().slice(-3000)}`);
    await deleteNamespace(NS, 120_000).catch((e: Error) => console.error(e.message));
    await deleteNamespace(LEASE_NS).catch((e: Error) => console.error(e.message));
    await deleteScratchVolumes(NS);
  });

  it("holds its Lease, serves /healthz, /readyz and /metrics", async () => {
    const lease = await get(`/apis/coordination.k8s.io/v1/namespaces/${LEASE_NS}/leases/e2e`);
    assert.equal(lease.spec.holderIdentity, op.identity);
    assert.deepEqual(await op.health(), { healthz: 200, readyz: 200 });
    const m = await op.metrics();
    assert.equal(m.get("ollama_fleet_leader"), 1);
    assert.equal(m.get("ollama_fleet_fleets"), 0);
  });

  it("creates a CPU fleet: StatefulSet and Service owned by it (one replica: no PodDisruptionBudget), then Ready with its endpoint", async () => {
    await provisionVolumes(NS, "cpu", 3);
    await createFleet(NS, "cpu", { ...SMALL_SPEC, storage: { size: "1Gi", retainPolicy: "Delete" } });
    // What a user (or the Pulumi layer) waits on.
    assert.match(await kubectl("wait", "--for=condition=Ready", "of/cpu", "-n", NS, "--timeout=90s"), /condition met/);
    const fleet = (await getFleet(NS, "cpu"))!;
    assert.ok(isSteady(fleet));
    assert.equal(fleet.status.observedGeneration, 1);
    assert.equal(fleet.status.endpoint, `http://cpu.${NS}.svc.cluster.local:11434/v1`);
    assert.equal(fleet.status.model, SMALL_SPEC.model);
    assert.equal(fleet.status.selector, "app.kubernetes.io/name=ollama,openhands.ai/fleet=cpu");
    assert.deepEqual([fleet.status.replicas, fleet.status.readyReplicas, fleet.status.desiredReplicas], [1, 1, 1]);
    const conds = Object.fromEntries((fleet.status.conditions as any[]).map((c) => [c.type, [c.status, c.reason]]));
    assert.deepEqual(conds, { ModelPulled: ["True", "Pulled"], Progressing: ["False", "Stable"], Degraded: ["False", "AsExpected"], Ready: ["True", "ReplicasReady"] });
    for (const c of fleet.status.conditions) assert.equal(c.observedGeneration, 1, c.type);

    const set = await get(sts("cpu"));
    assertOwnedBy(set, fleet);
    assert.equal(set.metadata.labels["app.kubernetes.io/managed-by"], "ollama-fleet-operator");
    assert.equal(set.metadata.labels["openhands.ai/fleet"], "cpu");
    assert.deepEqual(set.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Delete", whenScaled: "Delete" });
    assert.equal(set.spec.volumeClaimTemplates[0].metadata.name, "models");
    const pod = set.spec.template.spec;
    assert.deepEqual([pod.initContainers.map((c: any) => c.name), pod.containers.map((c: any) => c.name)], [["pull"], ["ollama"]]);
    const service = await get(svc("cpu"));
    assertOwnedBy(service, fleet);
    assert.equal(service.spec.type, "ClusterIP");
    assert.deepEqual(service.spec.ports.map((p: any) => [p.name, p.port]), [["http-ollama", 11434]]);
    assert.equal(await exists(pdb("cpu")), false, "a budget of one replica keeps nothing up");

    // kwok ran the pod: the pull init container Completed with 0, which is what ModelPulled reads.
    const p = await get(`/api/v1/namespaces/${NS}/pods/cpu-0`);
    assert.equal(p.status.phase, "Running");
    assert.deepEqual(p.status.initContainerStatuses.map((s: any) => [s.name, s.state.terminated?.exitCode, s.state.terminated?.reason]), [["pull", 0, "Completed"]]);
    assert.equal((await get(pvc("models-cpu-0"))).status.phase, "Bound");

    const events = (await get(`/api/v1/namespaces/${NS}/events?fieldSelector=${encodeURIComponent(`involvedObject.uid=${fleet.metadata.uid}`)}`)).items as any[];
    const reasons = new Set(events.map((e) => e.reason));
    assert.ok(reasons.has("ModelPulled") && reasons.has("Ready"), `events: ${[...reasons].join(", ")}`);
  });

  it("updates: image, contextLength and resources reach the StatefulSet template and observedGeneration advances", async () => {
    const before = await get(sts("cpu"));
    await mergePatch(fleetPath(NS, "cpu"), { spec: { image: "ollama/ollama:0.32.14", contextLength: 8192, resources: { cpu: "100m", memory: "256Mi" } } });
    const fleet = await waitForFleet(NS, "cpu", "generation 2 steady", 90_000, (f) => f?.metadata.generation === 2 && isSteady(f));
    assert.equal(fleet!.status.observedGeneration, 2);
    const after = await get(sts("cpu"));
    assert.ok(after.metadata.generation > before.metadata.generation);
    const [pull, server] = [after.spec.template.spec.initContainers[0], after.spec.template.spec.containers[0]];
    assert.deepEqual([pull.image, server.image], ["ollama/ollama:0.32.14", "ollama/ollama:0.32.14"]);
    assert.equal(server.env.find((e: any) => e.name === "OLLAMA_CONTEXT_LENGTH").value, "8192");
    assert.deepEqual(server.resources, { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "256Mi" } });
    // The StatefulSet rolled: the serving pod is of the new revision.
    await waitUntil("the pod of the new revision", 60_000, async () => {
      const s = await get(sts("cpu"));
      const p = await get(`/api/v1/namespaces/${NS}/pods/cpu-0`);
      return s.status.updateRevision === p.metadata?.labels?.["controller-revision-hash"] && s.status.currentRevision === s.status.updateRevision;
    });
  });

  it("scales through the scale subresource (kubectl scale) up to 3 and back to 1, with a PodDisruptionBudget only while it runs more than one, dropping the scaled-down claims under retainPolicy Delete", async () => {
    await kubectl("scale", "of/cpu", "-n", NS, "--replicas=3");
    const fleet = await waitForFleet(NS, "cpu", "3 ready replicas", 90_000, (f) => isSteady(f) && f?.status.readyReplicas === 3);
    assert.deepEqual([fleet!.status.replicas, fleet!.status.readyReplicas, fleet!.status.desiredReplicas], [3, 3, 3]);
    assert.equal((await get(sts("cpu"))).spec.replicas, 3);
    const scale = await get(`${fleetPath(NS, "cpu")}/scale`);
    assert.deepEqual([scale.spec.replicas, scale.status.replicas, scale.status.selector], [3, 3, "app.kubernetes.io/name=ollama,openhands.ai/fleet=cpu"]);
    assert.match(await kubectl("get", "of/cpu", "-n", NS), /cpu\s+qwen2\.5-coder:0\.5b\s+3\s+3\s+True/);
    const budget = await get(pdb("cpu"));
    assertOwnedBy(budget, fleet!);
    assert.equal(budget.spec.maxUnavailable, 1);

    await kubectl("scale", "of/cpu", "-n", NS, "--replicas=1");
    await waitForFleet(NS, "cpu", "back to 1 replica", 90_000, (f) => isSteady(f) && f?.status.replicas === 1 && f?.status.desiredReplicas === 1);
    assert.equal(await exists(pdb("cpu")), false, "the budget goes with the second replica");
    await waitUntil("the claims of ordinals 1 and 2 to go (whenScaled: Delete)", 60_000, async () => !(await exists(pvc("models-cpu-1"))) && !(await exists(pvc("models-cpu-2"))));
    assert.ok(await exists(pvc("models-cpu-0")));
  });

  it("spec.scaling: ScalingUnavailable while KEDA is not installed, a ScaledObject owned by the fleet once it is", async (t) => {
    const kedaPresent = (await api("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${KEDA_CRD}`)).status === 200;
    if (kedaPresent) return t.skip(`${KEDA_CRD} exists already: not ours to replace or remove`);
    await provisionVolumes(NS, "scaled", 1);
    await createFleet(NS, "scaled", { ...SMALL_SPEC, scaling: { minReplicas: 1, maxReplicas: 3, metrics: [{ type: "cpu", target: "80" }] } });
    let fleet = await waitForFleet(NS, "scaled", "Degraded", 60_000, (f) => conditionOf(f, "Degraded")?.status === "True");
    assert.equal(conditionOf(fleet, "Degraded")!.reason, "ScalingUnavailable");
    assert.match(conditionOf(fleet, "Degraded")!.message, /keda\.sh\/v1alpha1 ScaledObject is not served: install KEDA/);
    assert.equal(conditionOf(fleet, "Ready")!.status, "False");
    assert.ok(await exists(sts("scaled")), "the StatefulSet is applied before the scaler");

    // A minimal stand-in for KEDA's CRD (kind and schema only; no KEDA controller runs).
    await api("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: KEDA_CRD },
      spec: {
        group: "keda.sh",
        scope: "Namespaced",
        names: { kind: "ScaledObject", plural: "scaledobjects", singular: "scaledobject", listKind: "ScaledObjectList" },
        versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
      },
    });
    try {
      await waitUntil("keda.sh/v1alpha1 to be served", 30_000, async () => (await api("GET", "/apis/keda.sh/v1alpha1")).status === 200);
      // A refusal is looked at again after 5 minutes or on any change: touch the fleet.
      await mergePatch(fleetPath(NS, "scaled"), { metadata: { annotations: { "itest.openhands.ai/nudge": "1" } } });
      fleet = await waitForFleet(NS, "scaled", "no longer degraded", 60_000, (f) => conditionOf(f, "Degraded")?.status === "False");
      const so = await get(`/apis/keda.sh/v1alpha1/namespaces/${NS}/scaledobjects/scaled`);
      assertOwnedBy(so, fleet!);
      assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "scaled" });
      assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount, so.spec.cooldownPeriod], [1, 3, 300]);
      assert.deepEqual(so.spec.triggers, [{ type: "cpu", name: "cpu-0", metricType: "Utilization", metadata: { value: "80" } }]);
      // KEDA owns spec.replicas: the operator leaves it out of its apply.
      const managed = (await get(sts("scaled"))).metadata.managedFields.find((m: any) => m.manager === "ollama-fleet-operator");
      assert.equal(managed.fieldsV1["f:spec"]["f:replicas"], undefined);
    } finally {
      await api("DELETE", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${KEDA_CRD}`);
    }
  });

  it("bad specs the CRD admits go Degraded with the exact reason, without a crash or a hot loop", async () => {
    await provisionVolumes(NS, "gpu", 1);
    // Without a mesh, requestsPerSecond is served by the KEDA HTTP add-on, whose targets are integers.
    await createFleet(NS, "badscale", { ...SMALL_SPEC, scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "requestsPerSecond", target: "2.5" }] } });
    await createFleet(NS, "gpu", { ...SMALL_SPEC, resources: { gpu: 1, cpu: "50m", memory: "128Mi" } });

    const bad = await waitForFleet(NS, "badscale", "Degraded", 60_000, (f) => conditionOf(f, "Degraded")?.status === "True");
    assert.equal(conditionOf(bad, "Degraded")!.reason, "InvalidScaling");
    assert.match(conditionOf(bad, "Degraded")!.message, /spec\.scaling\.metrics\[0\]\.target "2\.5" must be a whole number/);
    assert.deepEqual([conditionOf(bad, "Ready")!.status, conditionOf(bad, "Ready")!.reason], ["False", "InvalidScaling"]);
    assert.deepEqual([conditionOf(bad, "Progressing")!.status, conditionOf(bad, "Progressing")!.reason], ["False", "InvalidSpec"]);
    assert.equal(bad!.status.observedGeneration, 1);
    assert.equal(await exists(sts("badscale")), false, "nothing is applied for an invalid spec");

    const gpu = await waitForFleet(NS, "gpu", "Degraded", 90_000, (f) => conditionOf(f, "Degraded")?.status === "True");
    assert.equal(conditionOf(gpu, "Degraded")!.reason, "GPUUnavailable");
    assert.match(conditionOf(gpu, "Degraded")!.message, /pod gpu-0 cannot be scheduled: .*Insufficient nvidia\.com\/gpu/);
    const gpuPod = await get(`/api/v1/namespaces/${NS}/pods/gpu-0`);
    assert.equal(gpuPod.status.phase, "Pending");
    assert.equal(gpuPod.spec.containers[0].resources.limits["nvidia.com/gpu"], "1");

    // Bounded: an invalid spec is not retried, an unschedulable fleet is looked at on events
    // and once a minute; no pass fails.
    const m1 = await op.metrics();
    await new Promise((r) => setTimeout(r, 8_000));
    const m2 = await op.metrics();
    const passes = (m: Map<string, number>) => [...m].filter(([k]) => k.startsWith("ollama_fleet_reconcile_total{")).reduce((n, [, v]) => n + v, 0);
    assert.ok(passes(m2) - passes(m1) <= 4, `${passes(m2) - passes(m1)} passes in 8 s while nothing changed`);
    assert.equal(m2.get("ollama_fleet_reconcile_errors_total") ?? 0, 0);
    assert.equal(m2.get('ollama_fleet_reconcile_total{result="invalid"}'), m1.get('ollama_fleet_reconcile_total{result="invalid"}'));
    assert.ok(op.running(), "the operator is still up");
    assert.deepEqual(await op.health(), { healthz: 200, readyz: 200 });
    assert.equal(op.logLines().filter((l) => l.level === "error").length, 0, "no error logged");

    // Fixing the spec recovers the fleet.
    await mergePatch(fleetPath(NS, "badscale"), { spec: { scaling: null } });
    await provisionVolumes(NS, "badscale", 1);
    const fixed = await waitForFleet(NS, "badscale", "steady after the fix", 90_000, isSteady);
    assert.equal(fixed!.status.observedGeneration, 2);
    assert.equal(conditionOf(fixed, "Degraded")!.status, "False");
  });

  it("delete: the garbage collector removes the children; claims follow retainPolicy", async () => {
    await provisionVolumes(NS, "keep", 1);
    await createFleet(NS, "keep", { ...SMALL_SPEC, storage: { size: "1Gi", retainPolicy: "Retain" } });
    await waitForFleet(NS, "keep", "steady", 90_000, isSteady);
    assert.deepEqual((await get(sts("keep"))).spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
    // Delete: the StatefulSet controller made the claim owned by the StatefulSet.
    assert.deepEqual(
      ((await get(pvc("models-cpu-0"))).metadata.ownerReferences ?? []).map((r: any) => [r.kind, r.name]),
      [["StatefulSet", "cpu"]],
    );
    assert.equal((await get(pvc("models-keep-0"))).metadata.ownerReferences, undefined);

    for (const name of ["cpu", "keep", "scaled", "badscale", "gpu"]) await api("DELETE", fleetPath(NS, name));
    await waitUntil("every child to be garbage-collected", 90_000, async () => {
      for (const name of ["cpu", "keep", "scaled", "badscale", "gpu"]) {
        if ((await exists(sts(name))) || (await exists(svc(name))) || (await exists(pdb(name)))) return false;
      }
      return true;
    });
    await waitUntil("the claim of the Delete fleet to go", 60_000, async () => !(await exists(pvc("models-cpu-0"))));
    assert.ok(await exists(pvc("models-keep-0")), "retainPolicy Retain keeps the model cache");
    assert.equal((await get(fleetPath(NS))).items.length, 0);
    assert.ok(op.running());
  });
});
