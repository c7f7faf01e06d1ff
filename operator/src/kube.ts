import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type CoreV1Event,
  type KubernetesObject,
  type ObjectCache,
  type V1Pod,
  type V1StatefulSet,
} from "@kubernetes/client-node";
import type { FleetApi, FleetEvent, ObjectRef } from "./api";
import { ApiError, isNotFound } from "./errors";
import type { LeaseApi, LeaseRecord } from "./leader";
import { API_VERSION, FIELD_MANAGER, GROUP, KIND, type OllamaFleet, type OllamaFleetStatus, PLURAL, VERSION } from "./types";

/*
 * The FleetApi and LeaseApi over @kubernetes/client-node. Reads of fleets, StatefulSets and
 * pods come from the informers' caches (the controller keeps them current), writes go to
 * the API server. Every client error becomes an ApiError with the HTTP status, the Status
 * reason and message, and Retry-After.
 */

/** An ApiError from whatever the client threw. */
export function toApiError(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  const err = e as { code?: unknown; body?: unknown; headers?: Record<string, string>; message?: string };
  if (typeof err?.code === "number") {
    let body = err.body;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // Not a Status: keep the text.
      }
    }
    const status = (body && typeof body === "object" ? body : {}) as { message?: string; reason?: string };
    const retryAfter = Number(err.headers?.["retry-after"] ?? err.headers?.["Retry-After"]);
    return new ApiError(err.code, status.message ?? (typeof body === "string" ? body : `HTTP ${err.code}`), status.reason ?? "", Number.isFinite(retryAfter) ? retryAfter : undefined);
  }
  // KubernetesObjectApi's discovery: the kind is not served (e.g. KEDA not installed).
  if (e instanceof Error && /Unrecognized API version and kind/.test(e.message)) return new ApiError(404, e.message, "NotFound");
  return e;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toApiError(e);
  }
}

/**
 * A KubeConfig whose API clients share one connection pool. @kubernetes/client-node 2.0.1
 * builds a new undici Agent (a new TLS context and connection) for every request it
 * authenticates, so a busy operator paid a TLS handshake per call and held hundreds of idle
 * keep-alive connections: 100 fleets took the process past 400 MiB. Authentication still
 * runs per request (headers such as a refreshed token are set each time); only the Agent
 * made for the first request is reused. The operator talks to one cluster as one user.
 */
export class PooledKubeConfig extends KubeConfig {
  private dispatcher?: ReturnType<RequestContextOf["getDispatcher"]>;

  override async applySecurityAuthentication(context: RequestContextOf): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getDispatcher();
    if (made === undefined) return;
    if (this.dispatcher === undefined) this.dispatcher = made;
    else if (made !== this.dispatcher) {
      // Never used: close it so its (empty) pool is released at once.
      void made.close().catch(() => undefined);
      context.setDispatcher(this.dispatcher);
    }
  }
}
type RequestContextOf = Parameters<KubeConfig["applySecurityAuthentication"]>[0];

const matches = (labels: Record<string, string> | undefined, selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** The informer caches the FleetApi reads. */
export interface Caches {
  fleets: ObjectCache<OllamaFleet>;
  statefulSets: ObjectCache<V1StatefulSet>;
  pods: ObjectCache<V1Pod>;
}

/**
 * How long `get` answers "absent" for a kind the API server does not serve (KEDA not
 * installed) without asking again. Every pass looks for the scalers of both kinds; without
 * this, each look was a discovery request answered 404, two per pass.
 */
export const UNSERVED_KIND_TTL_MS = 30_000;

/** The client's discovery failure: the group/version is not served, or the kind is not in it. */
function isUnservedKind(e: unknown): boolean {
  return e instanceof Error && /^(Failed to fetch resource metadata|Unrecognized API version and kind)/.test(e.message);
}

/** The FleetApi of a running operator. */
export function kubeFleetApi(kc: KubeConfig, caches: Caches, identity: string): FleetApi {
  const unserved = new Map<string, number>();
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apply = setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply);
  const header = (r: ObjectRef) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace } });
  return {
    getFleet: async (namespace, name) => caches.fleets.get(name, namespace),
    apply: async (object) => {
      await call(() => objects.patch(object, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
    },
    get: async (ref) => {
      const kind = `${ref.apiVersion}/${ref.kind}`;
      if ((unserved.get(kind) ?? 0) > Date.now()) return undefined;
      try {
        return await objects.read<KubernetesObject>(header(ref));
      } catch (raw) {
        const e = toApiError(raw);
        if (!isNotFound(e)) throw e;
        if (isUnservedKind(raw)) unserved.set(kind, Date.now() + UNSERVED_KIND_TTL_MS);
        return undefined;
      }
    },
    delete: async (ref) => {
      try {
        await call(() => objects.delete(header(ref), undefined, undefined, undefined, undefined, "Background"));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    getStatefulSet: async (namespace, name) => caches.statefulSets.get(name, namespace),
    listPods: async (namespace, selector) => caches.pods.list(namespace).filter((p) => matches(p.metadata?.labels, selector)),
    listEvents: async (namespace, uid) => (await call(() => core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${uid}` }))).items,
    applyStatus: async (fleet: OllamaFleet, status: OllamaFleetStatus) => {
      const { name, namespace } = fleet.metadata;
      const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, status };
      await call(() => custom.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body, fieldManager: FIELD_MANAGER, force: true }, apply));
    },
    recordEvent: async (fleet: OllamaFleet, event: FleetEvent) => {
      const { name, namespace, uid, resourceVersion } = fleet.metadata;
      const now = new Date();
      const body: CoreV1Event = {
        metadata: { generateName: `${name}.`, namespace },
        involvedObject: { apiVersion: API_VERSION, kind: KIND, name, namespace, uid, resourceVersion },
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        action: "Reconcile",
        source: { component: FIELD_MANAGER },
        reportingComponent: `${GROUP}/${FIELD_MANAGER}`,
        reportingInstance: identity,
        firstTimestamp: now,
        lastTimestamp: now,
        eventTime: new V1MicroTime(now.getTime()),
        count: 1,
      };
      await call(() => core.createNamespacedEvent({ namespace, body }));
    },
  };
}

const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v ?? 0)));

/** The LeaseApi over coordination.k8s.io/v1. */
export function kubeLeaseApi(kc: KubeConfig): LeaseApi {
  const api = kc.makeApiClient(CoordinationV1Api);
  const body = (name: string, namespace: string, r: LeaseRecord) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: new V1MicroTime(r.acquireTime.getTime()),
      renewTime: new V1MicroTime(r.renewTime.getTime()),
      leaseTransitions: r.leaseTransitions,
    },
  });
  return {
    get: async (namespace, name) => {
      try {
        const l = await call(() => api.readNamespacedLease({ name, namespace }));
        return {
          holderIdentity: l.spec?.holderIdentity ?? "",
          leaseDurationSeconds: l.spec?.leaseDurationSeconds ?? 15,
          acquireTime: asDate(l.spec?.acquireTime),
          renewTime: asDate(l.spec?.renewTime),
          leaseTransitions: l.spec?.leaseTransitions ?? 0,
          resourceVersion: l.metadata?.resourceVersion,
        };
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: async (namespace, name, record) => {
      await call(() => api.createNamespacedLease({ namespace, body: body(name, namespace, record) }));
    },
    update: async (namespace, name, record) => {
      await call(() => api.replaceNamespacedLease({ name, namespace, body: body(name, namespace, record) }));
    },
  };
}

export { AppsV1Api, CoreV1Api, CustomObjectsApi };
