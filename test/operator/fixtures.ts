import type { OllamaFleet, OllamaFleetSpec, OllamaFleetStatus } from "../../operator/src/api/v1alpha1";
import { ApiError } from "../../operator/src/errors";
import type { LeaseApi, LeaseRecord } from "../../operator/src/leader";
import type { CoreV1Event, FleetApi, FleetEvent, KubernetesObject, ObjectRef, V1Pod, V1StatefulSet } from "../../operator/src/port";

/** A fleet as the API server returns it (defaults not applied unless given). */
export function fleet(spec: Partial<OllamaFleetSpec> = {}, meta: Partial<OllamaFleet["metadata"]> = {}, status?: Partial<OllamaFleetStatus>): OllamaFleet {
  return {
    apiVersion: "openhands.ai/v1alpha1",
    kind: "OllamaFleet",
    metadata: { name: "coder", namespace: "ollama", uid: "uid-1", generation: 3, ...meta },
    spec: { model: "qwen2.5-coder:0.5b", ...spec },
    ...(status ? { status } : {}),
  };
}

export const OPTS = { mesh: "istio", prometheusUrl: "http://prom.monitoring.svc:9090" } as const;

/** A pod of the fleet in a given state. */
export function pod(name: string, status: V1Pod["status"], labels: Record<string, string> = {}): V1Pod {
  return { metadata: { name, namespace: "ollama", labels: { "app.kubernetes.io/name": "ollama", "openhands.ai/fleet": "coder", ...labels } }, status };
}

export function statefulSet(status: V1StatefulSet["status"], specReplicas = 1, generation = 1): V1StatefulSet {
  return { metadata: { name: "coder", namespace: "ollama", uid: "sts-uid", generation }, spec: { replicas: specReplicas, selector: {}, serviceName: "coder", template: {} }, status };
}

const key = (r: { apiVersion?: string; kind?: string; metadata?: { namespace?: string; name?: string } }) => `${r.apiVersion}/${r.kind}/${r.metadata?.namespace}/${r.metadata?.name}`;
const refKey = (r: ObjectRef) => `${r.apiVersion}/${r.kind}/${r.namespace}/${r.name}`;

/** An in-memory cluster behind the FleetApi, recording every call. */
export class FakeApi implements FleetApi {
  readonly objects = new Map<string, KubernetesObject>();
  readonly calls: string[] = [];
  readonly events: FleetEvent[] = [];
  statuses: OllamaFleetStatus[] = [];
  fleets = new Map<string, OllamaFleet>();
  pods: V1Pod[] = [];
  clusterEvents: CoreV1Event[] = [];
  /** Kinds the cluster does not serve (`apiVersion/kind`). */
  unserved = new Set<string>();
  /** Errors to throw from the next calls of an operation, in order. */
  failures: Record<string, unknown[]> = {};

  private fail(op: string) {
    const e = this.failures[op]?.shift();
    if (e) throw e;
  }
  async getFleet(namespace: string, name: string) {
    this.calls.push(`getFleet ${namespace}/${name}`);
    this.fail("getFleet");
    return this.fleets.get(`${namespace}/${name}`);
  }
  async apply(o: KubernetesObject) {
    this.calls.push(`apply ${o.kind}`);
    this.fail("apply");
    if (this.unserved.has(`${o.apiVersion}/${o.kind}`)) throw new ApiError(404, `Unrecognized API version and kind: ${o.apiVersion} ${o.kind}`);
    // Like server-side apply: the status (another manager's) and the server's uid and generation survive.
    const existing = this.objects.get(key(o)) as { status?: unknown; metadata?: { uid?: string; generation?: number } } | undefined;
    const kept = { ...(existing?.metadata?.uid ? { uid: existing.metadata.uid } : {}), ...(existing?.metadata?.generation ? { generation: existing.metadata.generation } : {}) };
    this.objects.set(key(o), { ...structuredClone(o), metadata: { ...structuredClone(o.metadata), ...kept }, ...(existing?.status ? { status: existing.status } : {}) } as KubernetesObject);
  }
  async get(r: ObjectRef) {
    this.calls.push(`get ${r.kind}`);
    return this.objects.get(refKey(r));
  }
  async delete(r: ObjectRef) {
    this.calls.push(`delete ${r.kind}`);
    this.objects.delete(refKey(r));
  }
  async getStatefulSet(namespace: string, name: string) {
    return this.objects.get(`apps/v1/StatefulSet/${namespace}/${name}`) as V1StatefulSet | undefined;
  }
  async listPods() {
    return this.pods;
  }
  async listEvents() {
    this.calls.push("listEvents");
    return this.clusterEvents;
  }
  async applyStatus(f: OllamaFleet, status: OllamaFleetStatus) {
    this.calls.push("applyStatus");
    this.fail("applyStatus");
    this.statuses.push(status);
    const stored = this.fleets.get(`${f.metadata.namespace}/${f.metadata.name}`);
    if (stored) stored.status = structuredClone(status);
  }
  async recordEvent(_f: OllamaFleet, e: FleetEvent) {
    this.events.push(e);
  }
}

/** An in-memory Lease API with resourceVersion checks, as the API server does them. */
export class FakeLeases implements LeaseApi {
  lease?: LeaseRecord;
  private version = 0;
  async get() {
    return this.lease ? { ...this.lease } : undefined;
  }
  async create(_ns: string, _name: string, r: LeaseRecord) {
    if (this.lease) throw new ApiError(409, "already exists", "AlreadyExists");
    this.lease = { ...r, resourceVersion: String(++this.version) };
  }
  async update(_ns: string, _name: string, r: LeaseRecord) {
    if (!this.lease) throw new ApiError(404, "not found", "NotFound");
    if (r.resourceVersion !== this.lease.resourceVersion) throw new ApiError(409, "the object has been modified", "Conflict");
    this.lease = { ...r, resourceVersion: String(++this.version) };
  }
}
