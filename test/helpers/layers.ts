import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type {
  AutoscalingLayer,
  CertificatesLayer,
  ClusterLayer,
  CrossplaneLayer,
  GpuLayer,
  IngressLayer,
  MeshLayer,
  NetworkLayer,
  ObservabilityLayer,
  OllamaLayer,
  StorageLayer,
} from "../../components/contracts";

/*
 * Fake upstream layers for component tests, one builder per contract of
 * components/contracts.ts: sensible defaults, every field overridable. Call them inside
 * recordResources (they register resources). What a layer is `ready` with is a marker the
 * test names, so it can assert the dependsOn edge to it.
 */

/** Creates a stand-in resource named `name`: what a dependent waits for. */
export type Marker = (name: string) => pulumi.Resource;

/** Type of the markers {@link componentMarker} creates. Defaults to this. */
export const MARKER_TYPE = "test:layer:Marker";

/** In-cluster Prometheus URL of a fake observability layer with Prometheus. */
export const PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc:9090";

/** A Kubernetes provider with no cluster behind it (the mocks answer). Named `fake` by default. */
export function fakeProvider(name = "fake"): k8s.Provider {
  return new k8s.Provider(name, { kubeconfig: "fake" });
}

/** Markers that are components of `type`: no provider, nothing for the schema checks. */
export function componentMarker(type = MARKER_TYPE): Marker {
  return (name) => new pulumi.ComponentResource(type, name, {});
}

/** Markers that are ConfigMaps under `provider`: Kubernetes objects, as real upstream releases are. */
export function configMapMarker(provider: k8s.Provider): Marker {
  return (name) => new k8s.core.v1.ConfigMap(name, {}, { provider });
}

/** The cluster: a fake provider and the API server `auto:443`. */
export function fakeCluster(over: Partial<ClusterLayer> = {}): ClusterLayer {
  return { provider: over.provider ?? fakeProvider(), apiServer: over.apiServer ?? { host: "auto", port: 443 } };
}

/** The CNI, ready with `ready`. Defaults to nothing to wait for. */
export function fakeNetwork(ready: pulumi.Resource[] = []): NetworkLayer {
  return { ready };
}

/** How each mesh joins a namespace, as the mesh layer reports it. */
const INJECTION = {
  istio: { labels: { "istio-injection": "enabled" }, annotations: {} },
  linkerd: { labels: {}, annotations: { "linkerd.io/inject": "enabled" } },
} as const;

/** A mesh of `kind` (its injection by label or annotation), with nothing to wait for unless overridden. Defaults to none. */
export function fakeMesh(kind: MeshLayer["kind"] = "none", over: Partial<Omit<MeshLayer, "kind">> = {}): MeshLayer {
  const injection = kind === "none" ? undefined : { labels: { ...INJECTION[kind].labels }, annotations: { ...INJECTION[kind].annotations } };
  return { kind, injection, injector: [], ingressGateway: [], ready: [], ...over };
}

/** Contour as the default ingress controller (class `contour` in `projectcontour`). */
export function fakeIngress(over: Partial<IngressLayer> = {}): IngressLayer {
  return { className: "contour", namespace: "projectcontour", ready: [], ...over };
}

/** cert-manager with the ClusterIssuer `platform-ca`. */
export function fakeCertificates(over: Partial<CertificatesLayer> = {}): CertificatesLayer {
  return { clusterIssuer: "platform-ca", ready: [], webhookReady: [], ...over };
}

/** Block storage with the default class `standard` and no object store. */
export function fakeStorage(over: Partial<StorageLayer> = {}): StorageLayer {
  return { defaultStorageClass: "standard", ready: [], ...over };
}

/** Observability without Prometheus (pass `prometheusUrl`, {@link PROMETHEUS_URL}, for it) and nothing to wait for. */
export function fakeObservability(over: Partial<ObservabilityLayer> = {}): ObservabilityLayer {
  return { ready: [], ...over };
}

/** KEDA without the HTTP add-on. */
export function fakeAutoscaling(over: Partial<AutoscalingLayer> = {}): AutoscalingLayer {
  return { httpAddon: false, scaledObjects: [], httpScaledObjects: [], ready: [], ...over };
}

/** Crossplane with no cloud enabled. */
export function fakeCrossplane(over: Partial<CrossplaneLayer> = {}): CrossplaneLayer {
  return { ready: [], core: [], families: {}, providerConfigs: {}, ...over };
}

/** No GPU pool. */
export function fakeGpu(over: Partial<GpuLayer> = {}): GpuLayer {
  return { capacityReady: [], pools: [], ...over };
}

/** Name of the fleet a fake Ollama layer serves (`qwen2.5-coder:0.5b`, as config names it). */
export const FAKE_FLEET = "qwen2-5-coder-0-5b-4e80b5";

/** Ollama in `ollama` serving {@link FAKE_FLEET} with a context of `contextLength` tokens. Defaults to 32768. */
export function fakeOllama(contextLength = 32768, over: Partial<OllamaLayer> = {}): OllamaLayer {
  return {
    namespace: "ollama",
    fleets: { [FAKE_FLEET]: { endpoint: `http://${FAKE_FLEET}.ollama.svc.cluster.local:11434/v1`, model: "qwen2.5-coder:0.5b", contextLength } },
    ready: [],
    ...over,
  };
}
