import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { desiredPdb, desiredScaling, desiredService, desiredStatefulSet } from "../../operator/src/desired";
import { selectorLabels } from "../../operator/src/labels";
import { evaluatePolicy } from "../../policies/engine/evaluate";
import { renderValidatingPolicy } from "../../policies/engine/kyverno";
import { buildRules, DEFAULT_POLICY_SETTINGS } from "../../policies/rules";
import { validateObject } from "../helpers/validate";
import { fleet, OPTS } from "./fixtures";

/** Problems the published schema finds with a desired object. */
const problems = (o: { apiVersion?: string; kind?: string }) => validateObject(`kubernetes:${o.apiVersion!.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`, o as never);

const OWNER = { apiVersion: "openhands.ai/v1alpha1", kind: "OllamaFleet", name: "coder", uid: "uid-1", controller: true, blockOwnerDeletion: true };
const CONTRACT_LABELS = {
  "app.kubernetes.io/name": "ollama",
  "app.kubernetes.io/instance": "coder",
  "app.kubernetes.io/component": "model-server",
  "app.kubernetes.io/managed-by": "ollama-fleet-operator",
  "openhands.ai/fleet": "coder",
};

const container = (f: ReturnType<typeof fleet>) => desiredStatefulSet(f, OPTS).spec!.template.spec!.containers[0];
const podSpec = (f: ReturnType<typeof fleet>) => desiredStatefulSet(f, OPTS).spec!.template.spec!;

describe("desired StatefulSet", () => {
  it("runs a CPU fleet with requests = limits for memory, a CPU request only, and no GPU", () => {
    const c = container(fleet({ resources: { cpu: "4", memory: "6Gi" } }));
    assert.deepEqual(c.resources, { requests: { cpu: "4", memory: "6Gi" }, limits: { memory: "6Gi" } });
    assert.equal(podSpec(fleet()).tolerations, undefined);
    assert.equal(podSpec(fleet()).nodeSelector, undefined);
  });

  it("gives a GPU fleet nvidia.com/gpu limits, the GPU toleration, and the pool and product selectors", () => {
    const f = fleet({ resources: { gpu: 2, gpuType: "NVIDIA-L4", memory: "24Gi" }, placement: { gpuPool: "l4", nodeSelector: { zone: "a" } } });
    assert.deepEqual(container(f).resources!.limits, { memory: "24Gi", "nvidia.com/gpu": "2" });
    assert.deepEqual(podSpec(f).nodeSelector, { "nvidia.com/gpu.product": "NVIDIA-L4", "platform.openhands.ai/gpu-pool": "l4", zone: "a" });
    assert.deepEqual(podSpec(f).tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
  });

  it("tolerates the GPU taint once, even when the placement lists it too", () => {
    const f = fleet({ resources: { gpu: 1 }, placement: { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }, { key: "spot", operator: "Exists" }] } });
    assert.deepEqual(podSpec(f).tolerations, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }, { key: "spot", operator: "Exists" }]);
  });

  for (const [policy, expected] of [["Retain", "Retain"], ["Delete", "Delete"], [undefined, "Retain"]] as const) {
    it(`maps retainPolicy ${policy ?? "(default)"} to the PVC retention policy ${expected}`, () => {
      const sts = desiredStatefulSet(fleet({ storage: policy ? { retainPolicy: policy } : {} }), OPTS);
      assert.deepEqual(sts.spec!.persistentVolumeClaimRetentionPolicy, { whenDeleted: expected, whenScaled: expected });
    });
  }

  it("mounts a per-replica models volume at /root/.ollama with the requested size and class", () => {
    const sts = desiredStatefulSet(fleet({ storage: { size: "80Gi", class: "fast" } }), OPTS);
    const t = sts.spec!.volumeClaimTemplates![0];
    assert.equal(t.metadata!.name, "models");
    assert.deepEqual(t.spec!.resources!.requests, { storage: "80Gi" });
    assert.equal(t.spec!.storageClassName, "fast");
    assert.ok(container(fleet()).volumeMounts!.some((m) => m.name === "models" && m.mountPath === "/root/.ollama"));
  });

  it("pulls the model in a blocking init container that fails loudly, passing the model as data, not shell", () => {
    const init = podSpec(fleet({ model: "llama3:8b; rm -rf /" })).initContainers![0];
    assert.equal(init.name, "pull");
    assert.match(init.command!.join(" "), /ollama serve .*&[\s\S]*ollama pull "\$OLLAMA_PULL_MODEL"[\s\S]*exit 1/);
    assert.deepEqual(init.env!.find((e) => e.name === "OLLAMA_PULL_MODEL"), { name: "OLLAMA_PULL_MODEL", value: "llama3:8b; rm -rf /" });
    assert.equal(init.terminationMessagePolicy, "FallbackToLogsOnError");
  });

  it("serves on 0.0.0.0:11434 with the context length, keep-alive and the contract's probes", () => {
    const c = container(fleet({ contextLength: 8192, keepAlive: "-1" }));
    assert.deepEqual(c.env, [
      { name: "OLLAMA_CONTEXT_LENGTH", value: "8192" },
      { name: "OLLAMA_HOST", value: "0.0.0.0:11434" },
      { name: "OLLAMA_KEEP_ALIVE", value: "-1" },
    ]);
    assert.equal(c.readinessProbe!.httpGet!.path, "/api/tags");
    assert.equal(c.livenessProbe!.httpGet!.path, "/");
    assert.equal(c.image, "ollama/ollama:0.32.15");
    assert.equal(c.securityContext!.privileged, false);
    assert.equal(c.securityContext!.allowPrivilegeEscalation, false);
  });

  it("sets replicas without scaling and leaves them to KEDA with scaling", () => {
    assert.equal(desiredStatefulSet(fleet({ replicas: 3 }), OPTS).spec!.replicas, 3);
    assert.equal("replicas" in desiredStatefulSet(fleet({ replicas: 3, scaling: { minReplicas: 1, maxReplicas: 4 } }), OPTS).spec!, false);
  });

  it("labels every child per the contract and makes the fleet their controlling owner", () => {
    const f = fleet({ scaling: { minReplicas: 1, maxReplicas: 2 } });
    for (const o of [desiredStatefulSet(f, OPTS), desiredService(f, OPTS), desiredPdb(f, OPTS)!, desiredScaling(f, OPTS)!]) {
      assert.deepEqual(o.metadata!.labels, CONTRACT_LABELS, o.kind);
      assert.deepEqual(o.metadata!.ownerReferences, [OWNER], o.kind);
      assert.equal(o.metadata!.name, "coder");
      assert.equal(o.metadata!.namespace, "ollama");
    }
    const tpl = desiredStatefulSet(f, OPTS).spec!.template.metadata!.labels!;
    assert.deepEqual({ ...tpl, "openhands.ai/accelerator": undefined }, { ...CONTRACT_LABELS, "openhands.ai/accelerator": undefined });
  });

  it("is deterministic: the same fleet gives byte-identical objects", () => {
    const f = () => fleet({ resources: { gpu: 1 }, placement: { nodeSelector: { b: "2", a: "1" } } });
    assert.equal(JSON.stringify(desiredStatefulSet(f(), OPTS)), JSON.stringify(desiredStatefulSet(f(), OPTS)));
    assert.deepEqual(Object.keys(podSpec(f()).nodeSelector!), ["a", "b"]);
  });

  it("produces objects the Kubernetes schemas accept", async () => {
    const f = fleet({ replicas: 2, resources: { gpu: 1, memory: "16Gi" }, placement: { gpuPool: "a10" }, storage: { class: "longhorn" } });
    for (const o of [desiredStatefulSet(f, OPTS), desiredService(f, OPTS), desiredPdb(f, OPTS)!]) assert.deepEqual(await problems(o), [], o.kind);
  });

  it("gives a PodDisruptionBudget only to a fleet that may run more than one replica", () => {
    assert.equal(desiredPdb(fleet(), OPTS), undefined, "one replica (the default)");
    assert.equal(desiredPdb(fleet({ replicas: 0 }), OPTS), undefined, "none");
    assert.equal(desiredPdb(fleet({ scaling: { minReplicas: 0, maxReplicas: 1 } }), OPTS), undefined, "scaling up to one");
    assert.deepEqual(desiredPdb(fleet({ replicas: 2 }), OPTS)!.spec, { maxUnavailable: 1, selector: { matchLabels: selectorLabels("coder") } });
    assert.ok(desiredPdb(fleet({ replicas: 1, scaling: { minReplicas: 1, maxReplicas: 3 } }), OPTS), "scaling up to three");
  });
});

describe("the platform's policies on the desired StatefulSet", () => {
  const policies = buildRules(DEFAULT_POLICY_SETTINGS).map((r) => renderValidatingPolicy(r, "Deny"));
  const verdicts = (f: ReturnType<typeof fleet>) => policies.map((p) => [p.metadata.name, evaluatePolicy(p, desiredStatefulSet(f, OPTS) as never)] as const);

  it("passes every rule for a GPU fleet in namespace ollama", () => {
    for (const [name, v] of verdicts(fleet({ resources: { gpu: 1 } }))) assert.notEqual(v.outcome, "deny", `${name}: ${JSON.stringify(v)}`);
  });

  it("is denied by require-gpu-limits for a CPU fleet under the default modelPodLabels (the settings must select GPU pods)", () => {
    const denied = verdicts(fleet()).filter(([, v]) => v.outcome === "deny").map(([n]) => n);
    assert.deepEqual(denied, ["require-gpu-limits"]);
  });

  it("passes every rule for a CPU fleet when modelPodLabels also require openhands.ai/accelerator=nvidia", () => {
    const scoped = buildRules({ ...DEFAULT_POLICY_SETTINGS, modelPodLabels: { ...DEFAULT_POLICY_SETTINGS.modelPodLabels, "openhands.ai/accelerator": "nvidia" } }).map((r) => renderValidatingPolicy(r, "Deny"));
    for (const p of scoped) assert.notEqual(evaluatePolicy(p, desiredStatefulSet(fleet(), OPTS) as never).outcome, "deny", p.metadata.name);
  });
});

describe("desired scaling", () => {
  const scaling = { minReplicas: 0, maxReplicas: 4, cooldownSeconds: 120 };

  it("makes no scaler without spec.scaling", () => {
    assert.equal(desiredScaling(fleet(), OPTS), undefined);
  });

  const cases = [
    {
      mesh: "istio",
      metric: "requestsPerSecond",
      query: 'sum(rate(istio_requests_total{destination_service_name="coder",destination_service_namespace="ollama",reporter="destination"}[1m]))',
    },
    {
      mesh: "istio",
      metric: "concurrentRequests",
      query: 'sum(rate(istio_request_duration_milliseconds_sum{destination_service_name="coder",destination_service_namespace="ollama",reporter="destination"}[1m])) / 1000',
    },
    { mesh: "linkerd", metric: "requestsPerSecond", query: 'sum(rate(request_total{direction="inbound",namespace="ollama",statefulset="coder"}[1m]))' },
    { mesh: "linkerd", metric: "concurrentRequests", query: 'sum(rate(response_latency_ms_sum{direction="inbound",namespace="ollama",statefulset="coder"}[1m])) / 1000' },
  ] as const;
  for (const c of cases) {
    it(`scales on ${c.metric} from ${c.mesh}'s metrics with a Prometheus trigger`, async () => {
      const so = desiredScaling(fleet({ scaling: { ...scaling, metrics: [{ type: c.metric, target: "3" }] } }), { ...OPTS, mesh: c.mesh })!;
      assert.equal(so.kind, "ScaledObject");
      assert.deepEqual(so.spec.triggers, [{ type: "prometheus", name: `${c.metric.replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`)}-0`, metadata: { serverAddress: OPTS.prometheusUrl, query: c.query, threshold: "3" } }]);
      assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "coder" });
      assert.equal(so.spec.minReplicaCount, 0);
      assert.equal(so.spec.maxReplicaCount, 4);
      assert.equal(so.spec.cooldownPeriod, 120);
      assert.deepEqual(await problems(so), []);
    });
  }

  it("maps cpu, memory and prometheus metrics to KEDA's triggers", async () => {
    const so = desiredScaling(
      fleet({ scaling: { minReplicas: 1, maxReplicas: 3, metrics: [{ type: "cpu", target: "70" }, { type: "memory", target: "80" }, { type: "prometheus", target: "5", query: "sum(queue)" }] } }),
      OPTS,
    )!;
    assert.deepEqual(so.spec.triggers, [
      { type: "cpu", name: "cpu-0", metricType: "Utilization", metadata: { value: "70" } },
      { type: "memory", name: "memory-1", metricType: "Utilization", metadata: { value: "80" } },
      { type: "prometheus", name: "prometheus-2", metadata: { serverAddress: OPTS.prometheusUrl, query: "sum(queue)", threshold: "5" } },
    ]);
    assert.deepEqual(await problems(so), []);
  });

  it("uses the KEDA HTTP add-on without a mesh, routed by the Service's host names", () => {
    const so = desiredScaling(fleet({ scaling: { ...scaling, metrics: [{ type: "requestsPerSecond", target: "10" }] } }), { ...OPTS, mesh: "none" })!;
    assert.equal(so.apiVersion, "http.keda.sh/v1alpha1");
    assert.equal(so.kind, "HTTPScaledObject");
    assert.deepEqual(so.spec.scalingMetric, { requestRate: { granularity: "1s", targetValue: 10, window: "1m" } });
    assert.deepEqual(so.spec.replicas, { min: 0, max: 4 });
    assert.deepEqual(so.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "StatefulSet", name: "coder", service: "coder", port: 11434 });
    assert.ok((so.spec.hosts as string[]).includes("coder.ollama.svc.cluster.local"));
    assert.equal(so.spec.scaledownPeriod, 120);
  });

  it("scales on concurrency by default (no metrics given)", () => {
    const so = desiredScaling(fleet({ scaling: { minReplicas: 1, maxReplicas: 2 } }), { ...OPTS, mesh: "none" })!;
    assert.deepEqual(so.spec.scalingMetric, { concurrency: { targetValue: 2 } });
  });

  it("keeps cpu scaling on a ScaledObject without a mesh", () => {
    assert.equal(desiredScaling(fleet({ scaling: { minReplicas: 1, maxReplicas: 2, metrics: [{ type: "cpu", target: "60" }] } }), { ...OPTS, mesh: "none" })!.kind, "ScaledObject");
  });
});
