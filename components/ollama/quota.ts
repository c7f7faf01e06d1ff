import { parseQuantity, quantityToNumber } from "../../lib/quantity";
import { desiredStatefulSet, GPU_RESOURCE } from "../../operator/src/desired";
import type { OllamaFleet } from "../../operator/src/types";
import type { ProxyResources } from "../contracts";
import { renderFleet, type FleetSettings } from "./fleet";

/*
 * The fleet namespace's ResourceQuota, sized from the configured fleets: each fleet at its
 * most replicas (scaling.maxReplicas, else replicas) plus one for an update, each replica the
 * pod the operator renders (operator/src/desired.ts: the model server and the model-pull init
 * container) with the mesh's proxy injected. Pure, for tests; index.ts creates it.
 */

/** A fleet replica's pod spec, as the operator renders it (operator/src/desired.ts). */
export type FleetPodSpec = NonNullable<NonNullable<ReturnType<typeof desiredStatefulSet>["spec"]>["template"]["spec"]>;
type Container = FleetPodSpec["containers"][number];

export type { ProxyResources };

/**
 * The Linkerd proxy's resources in the fleet namespace, set there by the
 * `config.linkerd.io/proxy-*` annotations ({@link linkerdProxyAnnotations}): the chart's own
 * default (`proxy.resources`) is empty, and a proxy without requests is refused by the quota
 * (and by require-requests-limits).
 */
export const LINKERD_FLEET_PROXY: ProxyResources = { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } };

/** The fleet namespace's annotations that give injected Linkerd proxies these resources. */
export function linkerdProxyAnnotations(r: ProxyResources): Record<string, string> {
  return {
    "config.linkerd.io/proxy-cpu-request": r.requests.cpu,
    "config.linkerd.io/proxy-memory-limit": r.limits.memory,
    "config.linkerd.io/proxy-memory-request": r.requests.memory,
    ...(r.limits.cpu !== undefined ? { "config.linkerd.io/proxy-cpu-limit": r.limits.cpu } : {}),
  };
}

/**
 * Pods per fleet the quota leaves room for: the most the fleet scales to, and one more for a
 * rolling update (the StatefulSet replaces one pod at a time, and a pod still terminating is
 * counted until it is gone).
 */
export const UPDATE_HEADROOM = 1;

/** Most pods of a fleet: scaling.maxReplicas (or replicas) plus {@link UPDATE_HEADROOM}. */
export function fleetPods(f: FleetSettings): number {
  return (f.scaling ? f.scaling.maxReplicas : f.replicas) + UPDATE_HEADROOM;
}

/** The operator's pod spec of a fleet's replicas, with the mesh's proxy as the native sidecar both meshes inject. */
export function fleetPodSpec(f: FleetSettings, namespace: string, proxy: ProxyResources | undefined): FleetPodSpec {
  const sts = desiredStatefulSet(renderFleet(f, namespace) as unknown as OllamaFleet, { mesh: "none", prometheusUrl: "" });
  const spec = structuredClone(sts.spec!.template.spec!);
  if (proxy) {
    // Linkerd (proxy-enable-native-sidecar on the namespace) and Istio 1.27+ (native sidecars
    // by default) inject the proxy as the first restartable init container. Their validation
    // init containers run alone before it and ask less than the proxy plus the model pull.
    const limits = { memory: proxy.limits.memory, ...(proxy.limits.cpu !== undefined ? { cpu: proxy.limits.cpu } : {}) };
    spec.initContainers = [{ name: "proxy", restartPolicy: "Always", resources: { requests: { ...proxy.requests }, limits } }, ...(spec.initContainers ?? [])];
  }
  return spec;
}

type Amounts = Record<string, number>;
type Side = "requests" | "limits";

const amountsOf = (c: Container, side: Side): Amounts => Object.fromEntries(Object.entries(c.resources?.[side] ?? {}).map(([k, v]) => [k, quantityToNumber(parseQuantity(String(v)))]));
const add = (a: Amounts, b: Amounts): Amounts => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, (a[k] ?? 0) + (b[k] ?? 0)]));
const max = (a: Amounts, b: Amounts): Amounts => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, Math.max(a[k] ?? 0, b[k] ?? 0)]));

/**
 * What a pod counts against a quota, as Kubernetes computes it (resourcehelper.PodRequests,
 * with sidecars): the regular containers plus the restartable init containers (sidecars), or
 * an init container plus the sidecars started before it, whichever is larger, per resource.
 */
export function podAmounts(spec: FleetPodSpec, side: Side): Amounts {
  let sidecars: Amounts = {};
  let initPeak: Amounts = {};
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === "Always") {
      sidecars = add(sidecars, amountsOf(c, side));
      initPeak = max(initPeak, sidecars);
    } else {
      initPeak = max(initPeak, add(sidecars, amountsOf(c, side)));
    }
  }
  const running = (spec.containers ?? []).reduce((sum, c) => add(sum, amountsOf(c, side)), sidecars);
  return max(running, initPeak);
}

const BINARY: [string, number][] = [
  ["Ti", 2 ** 40],
  ["Gi", 2 ** 30],
  ["Mi", 2 ** 20],
  ["Ki", 2 ** 10],
];
/** Bytes in the largest binary unit that divides them. */
const bytes = (n: number) => {
  const v = Math.round(n);
  for (const [u, f] of BINARY) if (v % f === 0 && v > 0) return `${v / f}${u}`;
  return String(v);
};
/** CPU in cores, or millicores when not whole. */
const cores = (n: number) => {
  const m = Math.round(n * 1000);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
};

/** Arguments of {@link fleetQuota}. */
export interface FleetQuotaArgs {
  fleets: readonly FleetSettings[];
  namespace: string;
  /** The proxy the mesh injects into fleet pods; undefined without a mesh. */
  proxy?: ProxyResources;
}

/**
 * The fleet namespace's `ResourceQuota.spec.hard`: for every fleet, {@link fleetPods} times
 * one pod's requests.cpu, requests.memory, limits.memory and GPUs (`requests.nvidia.com/gpu`),
 * and as many model-cache PVCs and their storage. No limits.cpu: the model server sets none
 * (CPU is compressible), and a quota on it would refuse every pod. Every container these
 * pods run sets the others, so the quota refuses no fleet pod for lacking them.
 */
export function fleetQuota(a: FleetQuotaArgs): Record<string, string> {
  let requests: Amounts = {};
  let limits: Amounts = {};
  let pods = 0;
  let storage = 0;
  for (const f of a.fleets) {
    const n = fleetPods(f);
    const spec = fleetPodSpec(f, a.namespace, a.proxy);
    const scale = (x: Amounts) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v * n]));
    requests = add(requests, scale(podAmounts(spec, "requests")));
    limits = add(limits, scale(podAmounts(spec, "limits")));
    pods += n;
    storage += n * quantityToNumber(parseQuantity(f.storage.size));
  }
  return {
    persistentvolumeclaims: String(pods),
    pods: String(pods),
    "limits.memory": bytes(limits.memory ?? 0),
    "requests.cpu": cores(requests.cpu ?? 0),
    "requests.memory": bytes(requests.memory ?? 0),
    [`requests.${GPU_RESOURCE}`]: String(Math.round(requests[GPU_RESOURCE] ?? 0)),
    "requests.storage": bytes(storage),
  };
}
