import type { V1Container, V1PodDisruptionBudget, V1Service, V1StatefulSet, V1Toleration } from "@kubernetes/client-node";
import { childNames } from "./names";
import { ACCELERATOR_LABEL, fleetLabels, ownerReference, selectorLabels } from "./labels";
import { GPU_POOL_LABEL, GPU_RESOURCE, OLLAMA_PORT, type OllamaFleet, PULL_CONTAINER } from "./api/v1alpha1";
import { withDefaults } from "./types";
import { desiredScaling, type ScalingObject } from "./scaling";

export { desiredScaling, GPU_RESOURCE, type ScalingObject };

/*
 * What the operator wants to exist for a fleet: pure functions of the fleet and the
 * operator's settings, returning whole objects for server-side apply (the operator's field
 * manager then owns exactly these fields). Key order is fixed, lists are sorted where order
 * carries no meaning, so an unchanged fleet produces byte-identical applies.
 */

/** Operator settings the desired state depends on. */
export interface DesiredOptions {
  /** Where request metrics come from. */
  readonly mesh: "istio" | "linkerd" | "none";
  /** Prometheus base URL for KEDA's prometheus triggers. */
  readonly prometheusUrl: string;
}

/** Name of the API port: the `http-` prefix makes Istio treat it as HTTP. */
export const PORT_NAME = "http-ollama";
/** Node label of a GPU's product (NVIDIA's GPU feature discovery), selected by `spec.resources.gpuType`. */
export const GPU_PRODUCT_LABEL = "nvidia.com/gpu.product";
/** Where the model cache is mounted (Ollama's default OLLAMA_MODELS lives under it). */
export const MODEL_DIR = "/root/.ollama";

/** The init container's script: pull the model through a temporary server, fail loudly. */
const PULL_SCRIPT = [
  "set -u",
  'ollama serve >/tmp/ollama-serve.log 2>&1 & server=$!',
  "ready=0",
  "for _ in $(seq 1 60); do if ollama list >/dev/null 2>&1; then ready=1; break; fi; sleep 1; done",
  'if [ "$ready" -ne 1 ]; then echo "ollama serve did not start within 60s:" >&2; tail -n 20 /tmp/ollama-serve.log >&2; exit 2; fi',
  'if ! ollama pull "$OLLAMA_PULL_MODEL" >/tmp/ollama-pull.log 2>&1; then',
  '  echo "ollama pull $OLLAMA_PULL_MODEL failed: $(tail -n 3 /tmp/ollama-pull.log | tr -d "\\r")" >&2',
  '  kill "$server"; exit 1',
  "fi",
  'kill "$server"; wait "$server" 2>/dev/null',
  "exit 0",
].join("\n");

const SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

function tolerationsOf(fleet: OllamaFleet): V1Toleration[] {
  const spec = withDefaults(fleet.spec);
  const all: V1Toleration[] = [...spec.placement.tolerations];
  if (spec.resources.gpu > 0 || spec.placement.gpuPool) all.push({ key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" });
  const seen = new Set<string>();
  return all
    .filter((t) => {
      const id = JSON.stringify([t.key ?? "", t.operator ?? "", t.value ?? "", t.effect ?? "", t.tolerationSeconds ?? null]);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => (a.key ?? "").localeCompare(b.key ?? "") || (a.effect ?? "").localeCompare(b.effect ?? ""));
}

function nodeSelectorOf(fleet: OllamaFleet): Record<string, string> | undefined {
  const spec = withDefaults(fleet.spec);
  const selector: Record<string, string> = { ...spec.placement.nodeSelector };
  if (spec.placement.gpuPool) selector[GPU_POOL_LABEL] = spec.placement.gpuPool;
  if (spec.resources.gpuType) selector[GPU_PRODUCT_LABEL] = spec.resources.gpuType;
  const keys = Object.keys(selector).sort();
  return keys.length > 0 ? Object.fromEntries(keys.map((k) => [k, selector[k]])) : undefined;
}

/** The StatefulSet of model servers: one PVC-backed model cache per replica. */
export function desiredStatefulSet(fleet: OllamaFleet, _opts: DesiredOptions): V1StatefulSet {
  const spec = withDefaults(fleet.spec);
  const name = fleet.metadata.name;
  const gpu = spec.resources.gpu;
  const podLabels = { ...fleetLabels(name), [ACCELERATOR_LABEL]: gpu > 0 ? "nvidia" : "none" };
  const mounts = [
    { name: "models", mountPath: MODEL_DIR },
    { name: "tmp", mountPath: "/tmp" },
  ];
  const env = [
    { name: "OLLAMA_CONTEXT_LENGTH", value: String(spec.contextLength) },
    { name: "OLLAMA_HOST", value: `0.0.0.0:${OLLAMA_PORT}` },
    { name: "OLLAMA_KEEP_ALIVE", value: spec.keepAlive },
  ];
  const pull: V1Container = {
    name: PULL_CONTAINER,
    image: spec.image,
    command: ["/bin/sh", "-c", PULL_SCRIPT],
    env: [{ name: "OLLAMA_HOST", value: `127.0.0.1:${OLLAMA_PORT}` }, { name: "OLLAMA_PULL_MODEL", value: spec.model }],
    // The pull needs little: the temporary server only writes blobs to the cache.
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    securityContext: SECURITY_CONTEXT,
    terminationMessagePolicy: "FallbackToLogsOnError",
    volumeMounts: mounts,
  };
  const server: V1Container = {
    name: "ollama",
    image: spec.image,
    args: ["serve"],
    env,
    ports: [{ name: PORT_NAME, containerPort: OLLAMA_PORT, protocol: "TCP" }],
    readinessProbe: { httpGet: { path: "/api/tags", port: PORT_NAME }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    livenessProbe: { httpGet: { path: "/", port: PORT_NAME }, initialDelaySeconds: 10, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
    resources: {
      requests: { cpu: spec.resources.cpu, memory: spec.resources.memory, ...(gpu > 0 ? { [GPU_RESOURCE]: String(gpu) } : {}) },
      limits: { memory: spec.resources.memory, ...(gpu > 0 ? { [GPU_RESOURCE]: String(gpu) } : {}) },
    },
    securityContext: SECURITY_CONTEXT,
    terminationMessagePolicy: "FallbackToLogsOnError",
    volumeMounts: mounts,
  };
  const nodeSelector = nodeSelectorOf(fleet);
  const tolerations = tolerationsOf(fleet);
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: childNames(name, fleet.metadata.namespace).statefulSet, namespace: fleet.metadata.namespace, labels: fleetLabels(name), ownerReferences: [ownerReference(fleet)] },
    spec: {
      // With scaling, KEDA's HPA owns spec.replicas through the scale subresource.
      ...(spec.scaling ? {} : { replicas: spec.replicas }),
      serviceName: name,
      // Replicas are independent model servers: start and stop them together.
      podManagementPolicy: "Parallel",
      selector: { matchLabels: selectorLabels(name) },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: spec.storage.retainPolicy, whenScaled: spec.storage.retainPolicy },
      updateStrategy: { type: "RollingUpdate" },
      template: {
        metadata: { labels: podLabels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          initContainers: [pull],
          containers: [server],
          ...(nodeSelector ? { nodeSelector } : {}),
          ...(tolerations.length > 0 ? { tolerations } : {}),
          // Long generations finish before the pod goes.
          terminationGracePeriodSeconds: 60,
          volumes: [{ name: "tmp", emptyDir: {} }],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "models", labels: fleetLabels(name) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: spec.storage.size } },
            ...(spec.storage.class ? { storageClassName: spec.storage.class } : {}),
          },
        },
      ],
    },
  };
}

/** The ClusterIP Service in front of the replicas: the OpenAI-compatible API at `/v1`. */
export function desiredService(fleet: OllamaFleet, _opts: DesiredOptions): V1Service {
  const name = fleet.metadata.name;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: fleet.metadata.namespace, labels: fleetLabels(name), ownerReferences: [ownerReference(fleet)] },
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(name),
      ports: [{ name: PORT_NAME, port: OLLAMA_PORT, targetPort: PORT_NAME, protocol: "TCP", appProtocol: "http" }],
    },
  };
}

/** The most replicas a fleet may run: `spec.replicas`, or with scaling its `maxReplicas` when larger. */
function mostReplicas(fleet: OllamaFleet): number {
  const spec = withDefaults(fleet.spec);
  return Math.max(spec.replicas, spec.scaling?.maxReplicas ?? 0);
}

/**
 * At most one replica down at a time for voluntary disruptions (drains, upgrades), for a
 * fleet that may run more than one replica; undefined for one that never runs more than
 * one. There a budget of maxUnavailable 1 allows evicting the only pod anyway (it keeps
 * nothing up), while the disruption controller rewrites its status on every pod change:
 * two API writes per starting fleet, for nothing (npm run bench:operator counts them).
 */
export function desiredPdb(fleet: OllamaFleet, _opts: DesiredOptions): V1PodDisruptionBudget | undefined {
  if (mostReplicas(fleet) <= 1) return undefined;
  const name = fleet.metadata.name;
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace: fleet.metadata.namespace, labels: fleetLabels(name), ownerReferences: [ownerReference(fleet)] },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(name) } },
  };
}
