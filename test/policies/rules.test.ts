import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { packViolations, manifestViolations, MODEL_LABELS, patchType, podManifest, podSpec, POD_KINDS } from "./helpers";

/*
 * Each rule, run through the pack: a compliant fixture per kind passes, and each violating
 * test changes one field of it and asserts the exact message.
 */

const ALL_RULES = ["require-gpu-limits", "pvc-storage-quota", "disallow-latest-tag", "disallow-privileged", "require-requests-limits", "require-runtime-class"];

/** disallow-privileged's message for these findings. */
const baseline = (findings: string, namespace = "ollama") =>
  `Pod Security baseline forbids ${findings} in namespace ${namespace}; only the system namespaces (platform:policy.systemNamespaces) are exempt`;

function withContainer(change: (c: Record<string, any>) => void, init = false): Record<string, any> {
  const spec = podSpec();
  if (init) {
    spec.initContainers = [{ name: "pull", image: "ollama/ollama:0.32.15", resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "128Mi" } } }];
    change(spec.initContainers[0]);
  } else {
    change(spec.containers[0]);
  }
  return spec;
}

for (const kind of POD_KINDS) {
  describe(`pod rules on a ${kind}`, () => {
    it("passes every rule with the compliant fixture", () => {
      for (const rule of ALL_RULES) assert.deepEqual(manifestViolations(rule, podManifest(kind, podSpec())), [], rule);
    });

    it("require-gpu-limits: rejects a model pod without an nvidia.com/gpu limit", () => {
      const spec = withContainer((c) => delete c.resources.limits["nvidia.com/gpu"]);
      assert.deepEqual(manifestViolations("require-gpu-limits", podManifest(kind, spec)), [
        `model-serving pods must set resources.limits["nvidia.com/gpu"] of at least 1 on a container`,
      ]);
    });

    it("require-gpu-limits: rejects a GPU limit of 0", () => {
      const spec = withContainer((c) => (c.resources.limits["nvidia.com/gpu"] = "0"));
      assert.deepEqual(manifestViolations("require-gpu-limits", podManifest(kind, spec)), [
        `model-serving pods must set resources.limits["nvidia.com/gpu"] of at least 1 on a container`,
      ]);
    });

    it("require-gpu-limits: leaves pods without the model labels alone", () => {
      const spec = withContainer((c) => delete c.resources.limits["nvidia.com/gpu"]);
      const labels = { ...MODEL_LABELS, "app.kubernetes.io/component": "ui" };
      assert.deepEqual(manifestViolations("require-gpu-limits", podManifest(kind, spec, { labels })), []);
    });

    it("disallow-latest-tag: rejects a latest tag", () => {
      const spec = withContainer((c) => (c.image = "ollama/ollama:latest"));
      assert.deepEqual(manifestViolations("disallow-latest-tag", podManifest(kind, spec)), [
        "unpinned image: server uses ollama/ollama:latest; pin a version tag other than latest, or a digest",
      ]);
    });

    it("disallow-latest-tag: rejects an untagged init container image", () => {
      const spec = withContainer((c) => (c.image = "registry.local:5000/tools/pull"), true);
      assert.deepEqual(manifestViolations("disallow-latest-tag", podManifest(kind, spec)), [
        "unpinned image: pull uses registry.local:5000/tools/pull; pin a version tag other than latest, or a digest",
      ]);
    });

    it("disallow-privileged: rejects a privileged container in a workload namespace", () => {
      const spec = withContainer((c) => (c.securityContext = { privileged: true }));
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec)), [baseline("container server: privileged")]);
    });

    it("disallow-privileged: rejects host namespaces, a hostPath of /, a host port and capabilities beyond baseline's", () => {
      const spec = withContainer((c) => {
        c.ports = [{ containerPort: 11434, hostPort: 11434 }];
        c.securityContext = { capabilities: { add: ["ALL"] } };
      });
      Object.assign(spec, { hostPID: true, hostNetwork: true, hostIPC: true, volumes: [{ name: "root", hostPath: { path: "/" } }] });
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec)), [
        baseline("hostNetwork=true; hostPID=true; hostIPC=true; volume root: hostPath /; container server: hostPort 11434; container server: adds capabilities ALL"),
      ]);
    });

    it("disallow-privileged: rejects seccomp and AppArmor Unconfined, a custom SELinux type, /proc unmasked and an unsafe sysctl", () => {
      const spec = withContainer((c) => (c.securityContext = { procMount: "Unmasked", seLinuxOptions: { type: "spc_t" }, appArmorProfile: { type: "Unconfined" } }), true);
      spec.securityContext = { seccompProfile: { type: "Unconfined" }, sysctls: [{ name: "kernel.msgmax", value: "65536" }] };
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec)), [
        baseline("container pull: procMount Unmasked; pod: seccompProfile Unconfined; container pull: appArmorProfile Unconfined; container pull: seLinuxOptions type spc_t; sysctl kernel.msgmax"),
      ]);
    });

    it("disallow-privileged: allows baseline's capabilities, RuntimeDefault profiles and safe sysctls", () => {
      const spec = withContainer((c) => (c.securityContext = { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } }));
      spec.securityContext = { seccompProfile: { type: "RuntimeDefault" }, appArmorProfile: { type: "RuntimeDefault" }, sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] };
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec)), []);
    });

    it("disallow-privileged: allows it in a system namespace", () => {
      const spec = withContainer((c) => (c.securityContext = { privileged: true, capabilities: { add: ["SYS_ADMIN"] } }));
      Object.assign(spec, { hostNetwork: true, volumes: [{ name: "root", hostPath: { path: "/" } }] });
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec, { namespace: "kube-system" })), []);
    });

    it("disallow-privileged: allows node-exporter's host access in its namespace only", () => {
      const spec = withContainer((c) => (c.ports = [{ containerPort: 9100, hostPort: 9100 }]));
      Object.assign(spec, { hostNetwork: true, hostPID: true, volumes: ["/", "/proc", "/sys"].map((path, i) => ({ name: `v${i}`, hostPath: { path } })) });
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec, { namespace: "monitoring-node-exporter" })), []);
      assert.deepEqual(manifestViolations("disallow-privileged", podManifest(kind, spec, { namespace: "monitoring" })), [
        baseline("hostNetwork=true; hostPID=true; volume v0: hostPath /; volume v1: hostPath /proc; volume v2: hostPath /sys; container server: hostPort 9100", "monitoring"),
      ]);
    });

    it("disallow-privileged: checks a patch of the kind by the fields it sets", () => {
      const spec = withContainer((c) => (c.securityContext = { privileged: true }));
      const m = podManifest(kind, { containers: spec.containers.map((c: Record<string, unknown>) => ({ name: c.name, securityContext: c.securityContext })) });
      assert.deepEqual(packViolations("disallow-privileged", patchType(m), m), [baseline("container server: privileged")]);
    });

    it("require-requests-limits: rejects a container without a CPU request", () => {
      const spec = withContainer((c) => delete c.resources.requests.cpu);
      assert.deepEqual(manifestViolations("require-requests-limits", podManifest(kind, spec)), [
        "container server must set resources.requests.cpu, resources.requests.memory and resources.limits.memory",
      ]);
    });

    it("require-requests-limits: rejects an init container without a memory limit", () => {
      const spec = withContainer((c) => delete c.resources.limits, true);
      assert.deepEqual(manifestViolations("require-requests-limits", podManifest(kind, spec)), [
        "container pull must set resources.requests.cpu, resources.requests.memory and resources.limits.memory",
      ]);
    });

    it("require-requests-limits and require-gpu-limits: leave a patch to Kyverno, which sees the patched object", () => {
      const m = podManifest(kind, { containers: [{ name: "server", image: "ollama/ollama:0.32.16" }] });
      assert.deepEqual(packViolations("require-requests-limits", patchType(m), m), []);
      assert.deepEqual(packViolations("require-gpu-limits", patchType(m), m), []);
      assert.notDeepEqual(manifestViolations("require-requests-limits", m), [], "the same manifest as a whole object");
    });

    it("disallow-latest-tag: checks a patch of the kind by the image it sets", () => {
      const m = podManifest(kind, { containers: [{ name: "server", image: "ollama/ollama:latest" }] });
      assert.deepEqual(packViolations("disallow-latest-tag", patchType(m), m), ["unpinned image: server uses ollama/ollama:latest; pin a version tag other than latest, or a digest"]);
    });

    it("pvc-storage-quota: checks its generic ephemeral volumes", () => {
      const spec = podSpec();
      spec.volumes = [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "50Ti" } } } } } }];
      assert.deepEqual(manifestViolations("pvc-storage-quota", podManifest(kind, spec)), [
        "storage request 50Ti exceeds the quota of 100Gi in namespace ollama; request less, or add an exception for the namespace (platform:policy.pvcQuotaExceptions)",
      ]);
      spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources.requests.storage = "100Gi";
      assert.deepEqual(manifestViolations("pvc-storage-quota", podManifest(kind, spec)), []);
    });

    it("require-requests-limits: leaves namespaces outside the workload list alone", () => {
      const spec = withContainer((c) => delete c.resources);
      assert.deepEqual(manifestViolations("require-requests-limits", podManifest(kind, spec, { namespace: "monitoring" })), []);
    });
  });
}

describe("require-runtime-class", () => {
  const config = { runtimeClasses: { "openhands-sandboxes": "gvisor" } };
  const sandbox = (kind: (typeof POD_KINDS)[number], runtimeClassName?: string, namespace = "openhands-sandboxes") =>
    podManifest(kind, { ...podSpec(), ...(runtimeClassName === undefined ? {} : { runtimeClassName }) }, { namespace });
  const refusal = (found: string) =>
    `pods in namespace openhands-sandboxes must run with RuntimeClass gvisor, not ${found} (platform:policy.runtimeClasses; openhands.sandbox.runtimeClass sets the sandbox namespace)`;

  for (const kind of POD_KINDS) {
    it(`admits a ${kind} with the namespace's RuntimeClass`, () => assert.deepEqual(manifestViolations("require-runtime-class", sandbox(kind, "gvisor"), config), []));
    it(`rejects a ${kind} without a runtimeClassName`, () => assert.deepEqual(manifestViolations("require-runtime-class", sandbox(kind), config), [refusal("the node default (no runtimeClassName)")]));
    it(`rejects a ${kind} with another RuntimeClass`, () => assert.deepEqual(manifestViolations("require-runtime-class", sandbox(kind, "runc"), config), [refusal("runc")]));
  }

  it("leaves other namespaces alone, and every namespace when none requires a class", () => {
    assert.deepEqual(manifestViolations("require-runtime-class", sandbox("Pod", undefined, "ollama"), config), []);
    assert.deepEqual(manifestViolations("require-runtime-class", sandbox("Pod"), {}), []);
  });

  it("leaves a patch to Kyverno: the live object keeps the runtimeClassName a patch leaves out", () => {
    assert.deepEqual(packViolations("require-runtime-class", patchType(sandbox("Deployment")), sandbox("Deployment", "runc"), config), []);
  });
});

describe("pvc-storage-quota", () => {
  const pvc = (storage: unknown, namespace = "ollama") => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "models", namespace },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
  });
  const sts = (storage: string) => ({
    ...podManifest("StatefulSet", podSpec()),
    spec: { ...podManifest("StatefulSet", podSpec()).spec, volumeClaimTemplates: [{ metadata: { name: "models" }, spec: { resources: { requests: { storage } } } }] },
  });
  const hint = "; request less, or add an exception for the namespace (platform:policy.pvcQuotaExceptions)";

  for (const q of ["100Gi", "107374182400", "102400Mi", "0.09765625Ti", "1Gi"]) {
    it(`admits a PVC of ${q} (at most 100Gi by value)`, () => assert.deepEqual(manifestViolations("pvc-storage-quota", pvc(q)), []));
  }

  it("rejects a PVC above the stack quota", () => {
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc("1Ti")), [`storage request 1Ti exceeds the quota of 100Gi in namespace ollama${hint}`]);
  });

  it("rejects 0.1Ti, which is 102.4Gi", () => {
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc("0.1Ti")), [`storage request 0.1Ti exceeds the quota of 100Gi in namespace ollama${hint}`]);
  });

  it("compares a numeric request by value", () => {
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc(107374182401)), [`storage request 107374182401 exceeds the quota of 100Gi in namespace ollama${hint}`]);
  });

  it("applies a namespace's exception there and nowhere else", () => {
    const config = { pvcQuotaExceptions: { "minio-tenant": "1Ti" } };
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc("1Ti", "minio-tenant"), config), []);
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc("2Ti", "minio-tenant"), config), [`storage request 2Ti exceeds the quota of 1Ti in namespace minio-tenant${hint}`]);
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc("1Ti", "ollama"), config), [`storage request 1Ti exceeds the quota of 100Gi in namespace ollama${hint}`]);
  });

  it("follows the configured quota", () => {
    assert.deepEqual(manifestViolations("pvc-storage-quota", pvc("100Gi"), { pvcQuota: "50Gi" }), [`storage request 100Gi exceeds the quota of 50Gi in namespace ollama${hint}`]);
  });

  it("checks StatefulSet volumeClaimTemplates before they become PVCs", () => {
    assert.deepEqual(manifestViolations("pvc-storage-quota", sts("100Gi")), []);
    assert.deepEqual(manifestViolations("pvc-storage-quota", sts("200Gi")), [`storage request 200Gi exceeds the quota of 100Gi in namespace ollama${hint}`]);
  });

  it("reports a malformed quantity instead of passing it", () => {
    const [v] = manifestViolations("pvc-storage-quota", pvc("lots"));
    assert.match(v, /^pvc-storage-quota: variable over failed: .*"lots" is not a Kubernetes quantity/);
  });
});
