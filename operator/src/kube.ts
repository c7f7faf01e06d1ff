import type { CoreV1Event, KubernetesObject, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { API_VERSION, GROUP, KIND, type OllamaFleet, type OllamaFleetStatus, PLURAL, VERSION } from "./api/v1alpha1";
import type { FleetApi, ObjectRef } from "./port";
import type { KubeClient } from "./client/http";
import type { ObjectCache } from "./client/informer";
import { ApiError, isNotFound } from "./errors";
import type { LeaseApi, LeaseRecord } from "./leader";
import { FIELD_MANAGER } from "./types";

/*
 * The FleetApi and LeaseApi over the operator's small API client (client/): reads of fleets,
 * StatefulSets and pods come from the informers' caches (the controller keeps them current),
 * writes go to the API server. The FleetApi's requests carry the workers' signal: when this
 * replica stops leading, its writes in flight are cut off at once (a hung one cannot land
 * after a successor took over) and later ones fail without being sent. Every API error is an
 * ApiError with the HTTP status, the Status reason and message, and Retry-After.
 * @kubernetes/client-node is a type-only import here: loading its runtime costs about
 * 80 MiB resident (npm run bench:operator).
 */

/** Server-side apply of a whole object: the operator's field manager owns its fields. */
export const APPLY = { contentType: "application/apply-patch+yaml", query: { fieldManager: FIELD_MANAGER, force: true } } as const;

/** The collection path of a resource: /api/v1/namespaces/x/pods, /apis/apps/v1/statefulsets. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

/** MicroTime (RFC 3339 with microseconds), as Events and Leases carry it. */
export const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

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

/** A kind as discovery reports it. */
interface Resource {
  plural: string;
  namespaced: boolean;
}

/**
 * The resources of a group/version, from discovery (GET /apis/<group>/<version>), remembered
 * for the life of the process; a group/version or kind the server does not serve is
 * remembered for UNSERVED_KIND_TTL_MS by reads (`cached`), while an apply always asks again
 * (KEDA installed a moment ago must be found by the next pass). Throws ApiError 404 for an
 * unserved kind.
 */
function discovery(client: KubeClient, signal: () => AbortSignal | undefined) {
  const served = new Map<string, Map<string, Resource>>();
  const unserved = new Map<string, number>();
  return async (apiVersion: string, kind: string, cached: boolean): Promise<Resource> => {
    const id = `${apiVersion}/${kind}`;
    const notServed = () => new ApiError(404, `${apiVersion} ${kind} is not served by the API server`, "NotFound");
    if (cached && (unserved.get(id) ?? 0) > Date.now()) throw notServed();
    let kinds = served.get(apiVersion);
    if (!kinds) {
      try {
        const list = await client.request<{ resources?: { name: string; kind: string; namespaced: boolean }[] }>("GET", apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`, { signal: signal() });
        kinds = new Map((list.resources ?? []).filter((r) => !r.name.includes("/")).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]));
        served.set(apiVersion, kinds);
      } catch (e) {
        if (!isNotFound(e)) throw e;
        kinds = new Map();
      }
    }
    const r = kinds.get(kind);
    if (r) {
      unserved.delete(id);
      return r;
    }
    unserved.set(id, Date.now() + UNSERVED_KIND_TTL_MS);
    // A kind not served yet may be installed later (KEDA, a CRD): ask again after the TTL.
    served.delete(apiVersion);
    throw notServed();
  };
}

/**
 * The FleetApi of a running operator. `signal` (asked per request) ends the request when it
 * aborts: the controller's workers' signal, aborted when this replica stops leading.
 */
export function kubeFleetApi(client: KubeClient, caches: Caches, identity: string, signal: () => AbortSignal | undefined = () => undefined): FleetApi {
  const resource = discovery(client, signal);
  const objectPath = async (r: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }, cached = true) => {
    const { plural, namespaced } = await resource(r.apiVersion ?? "", r.kind ?? "", cached);
    return `${collectionPath(r.apiVersion ?? "", plural, namespaced ? r.metadata?.namespace : undefined)}/${r.metadata?.name}`;
  };
  const header = (r: ObjectRef) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace } });
  return {
    getFleet: async (namespace, name) => caches.fleets.get(name, namespace),
    apply: async (object) => client.request<KubernetesObject>("PATCH", await objectPath(object, false), { ...APPLY, body: object, signal: signal() }),
    get: async (ref) => {
      try {
        return await client.request<KubernetesObject>("GET", await objectPath(header(ref)), { signal: signal() });
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    delete: async (ref) => {
      try {
        await client.request("DELETE", await objectPath(header(ref)), { body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" }, signal: signal() });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    getStatefulSet: async (namespace, name) => caches.statefulSets.get(name, namespace),
    listPods: async (namespace, selector) => caches.pods.list(namespace).filter((p) => matches(p.metadata?.labels, selector)),
    listEvents: async (namespace, uid) => (await client.request<{ items?: CoreV1Event[] }>("GET", collectionPath("v1", "events", namespace), { query: { fieldSelector: `involvedObject.uid=${uid}` }, signal: signal() })).items ?? [],
    applyStatus: async (fleet: OllamaFleet, status: OllamaFleetStatus) => {
      const { name, namespace } = fleet.metadata;
      const body = { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace }, status };
      await client.request("PATCH", `${collectionPath(`${GROUP}/${VERSION}`, PLURAL, namespace)}/${name}/status`, { ...APPLY, body, signal: signal() });
    },
    recordEvent: async (fleet: OllamaFleet, event) => {
      const { name, namespace, uid, resourceVersion } = fleet.metadata;
      const now = new Date();
      const body = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${name}.`, namespace },
        involvedObject: { apiVersion: API_VERSION, kind: KIND, name, namespace, uid, resourceVersion },
        type: event.type,
        reason: event.reason,
        message: event.message.slice(0, 1024),
        action: "Reconcile",
        source: { component: FIELD_MANAGER },
        reportingComponent: `${GROUP}/${FIELD_MANAGER}`,
        reportingInstance: identity,
        firstTimestamp: now.toISOString(),
        lastTimestamp: now.toISOString(),
        eventTime: microTime(now),
        count: 1,
      };
      await client.request("POST", collectionPath("v1", "events", namespace), { body, signal: signal() });
    },
  };
}

const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v ?? 0)));

/** The LeaseApi over coordination.k8s.io/v1; each call ends when its `signal` aborts (the elector's renew deadline). */
export function kubeLeaseApi(client: KubeClient): LeaseApi {
  const leases = (namespace: string) => collectionPath("coordination.k8s.io/v1", "leases", namespace);
  const body = (name: string, namespace: string, r: LeaseRecord) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: microTime(r.acquireTime),
      renewTime: microTime(r.renewTime),
      leaseTransitions: r.leaseTransitions,
    },
  });
  type Lease = { metadata?: { resourceVersion?: string }; spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number } };
  return {
    get: async (namespace, name, signal) => {
      try {
        const l = await client.request<Lease>("GET", `${leases(namespace)}/${name}`, { signal });
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
    create: async (namespace, name, record, signal) => {
      await client.request("POST", leases(namespace), { body: body(name, namespace, record), signal });
    },
    update: async (namespace, name, record, signal) => {
      await client.request("PUT", `${leases(namespace)}/${name}`, { body: body(name, namespace, record), signal });
    },
  };
}
