import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import { CHARTS } from "../catalog";
import type { AutoscalingLayer, ClusterLayer, GpuLayer, MeshLayer, ModelFleet, NetworkLayer, ObservabilityLayer, OllamaLayer, StorageLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { fleetEndpoints, fleetName, fleetScaler, renderFleet } from "./fleet";
import { resolveImage } from "../images";
import { BUILD_INPUTS, DEV_REPOSITORY, OPERATOR_VERSION, releasedImage } from "./image";
import { renderOperatorValues } from "./values";
import { fleetNetworkPolicies } from "./netpol";
import { fleetQuota, LINKERD_FLEET_PROXY, linkerdProxyAnnotations } from "./quota";
import { isRequestMetric } from "../../operator/src/api/v1alpha1";

export * from "./fleet";
export * from "./image";
export * from "./values";
export * from "./quota";

/** Ollama settings, as validated config gives them. */
export type OllamaSettings = PlatformConfig["ollama"];

/** Arguments of {@link Ollama}. */
export interface OllamaArgs {
  cluster: ClusterLayer;
  /** The operator's and the model servers' pods wait for the CNI. */
  network: NetworkLayer;
  /** Fleets join the mesh (its request metrics drive scaling): pods wait for its injector, not its gateways. */
  mesh: MeshLayer;
  /** Each replica's model cache is a PVC of the default StorageClass. */
  storage: StorageLayer;
  /** Prometheus (its URL for scaling queries; its CRDs for the operator's ServiceMonitor). */
  observability: ObservabilityLayer;
  /**
   * KEDA, which scaled fleets need (a ScaledObject; the HTTP add-on only for an HTTPScaledObject,
   * see {@link fleetScaler}); undefined when disabled (config then allows no scaling).
   */
  autoscaling: Pick<AutoscalingLayer, "scaledObjects" | "httpScaledObjects"> | undefined;
  /** GPU capacity GPU fleets wait for ({@link NO_GPU_CAPACITY} without pools). */
  gpu: GpuLayer;
  settings: OllamaSettings;
  /** The operator's folder (absolute): its chart names the released image. */
  operatorDir: string;
  /**
   * Where the operator image comes from when `settings.operator.image` is unset: build
   * `operatorDir` with docker and load it into the kind cluster `kindCluster`. Undefined
   * outside kind, where the released image ({@link releasedImage}) is the default.
   */
  devBuild: { kindCluster: string } | undefined;
  /**
   * Keep the model caches (prod). Set: every fleet's `storage.retainPolicy` is Retain (the
   * operator's StatefulSet keeps its PVCs when the fleet is deleted, renamed or scaled down;
   * config refuses a prod fleet configured with Delete) and the fleet namespace is `retainOnDelete`
   * (deleting it would delete the caches). false (dev): Delete, so removing a fleet or the
   * stack frees the disk. Unset: each fleet's configured `storage.retainPolicy`.
   */
  protectData?: boolean;
  /** Cilium enforces policies (`networking.cilium.enabled`): the sandboxes' requests are restricted at L7. */
  cilium?: boolean;
  /** The agent sandboxes' namespace and the fleet OpenHands uses; none without OpenHands. */
  sandboxes?: { namespace: string; fleet: string };
}

// A model pull can take many minutes (the 32b model is ~20 GB) before a fleet turns Ready.
const FLEET_TIMEOUTS = { create: "60m", update: "60m" };

/** Native sidecars: the proxy starts before the init container that pulls the model (no network otherwise). */
const LINKERD_NATIVE_SIDECAR = { "config.linkerd.io/proxy-enable-native-sidecar": "true" };

/**
 * Model serving: the OllamaFleet operator (operator/chart) in `ollama-system` and one
 * OllamaFleet per configured fleet in the fleet namespace (meshed). In dev the operator
 * image is built from source and loaded into kind; elsewhere it is the configured one.
 */
export class Ollama extends pulumi.ComponentResource implements OllamaLayer {
  /** OpenAI-compatible base URL per fleet name. */
  public readonly endpoints: Record<string, string>;
  /** Endpoint, model and context length per fleet name (what OpenHands configures). */
  public readonly fleets: Record<string, ModelFleet>;
  /** The operator image the release runs. */
  public readonly operatorImage: string;
  /** Namespace of the fleets' pods. */
  public readonly namespace: string;
  /** The fleets, each Ready (Pulumi waits on their Ready condition); the operator release without fleets. */
  public readonly ready: pulumi.Resource[];
  /** The operator release (its CRD): what anything else creating fleets waits for. */
  public readonly operator: k8s.helm.v3.Release;

  constructor(name: string, args: OllamaArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:ollama:Ollama", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    const { opNs, fleetNs } = this.namespaces(name, args);
    // The fleets wait for their namespace's quota and policies (default deny and the allows together).
    const guards = [fleetNs, this.fleetQuota(name, args, fleetNs), ...this.fleetPolicies(name, args, fleetNs)];
    const { release, image } = this.operatorRelease(name, args, opNs);
    this.operatorImage = image;
    this.operator = release;
    this.namespace = s.namespace;
    const fleets = s.fleets.map((f) => this.fleet(name, args, f, [release, ...guards]));
    this.ready = fleets.length > 0 ? fleets : [release];

    this.fleets = fleetEndpoints(s.fleets, s.namespace);
    this.endpoints = Object.fromEntries(Object.entries(this.fleets).map(([k, v]) => [k, v.endpoint]));
    this.registerOutputs({ endpoints: this.endpoints, fleets: this.fleets, operatorImage: this.operatorImage });
  }

  /**
   * `ollama-system` for the operator (out of the mesh: it talks to the API server only;
   * nothing calls it but Prometheus, and the kubelet probes its health port) and the fleet
   * namespace: meshed, baseline (Ollama's image runs as root, its cache at /root/.ollama),
   * holding the model caches (the operator's PVCs), so a destroy in prod leaves it in place.
   */
  private namespaces(name: string, args: OllamaArgs): { opNs: k8s.core.v1.Namespace; fleetNs: k8s.core.v1.Namespace } {
    const opNs = platformNamespace(`${name}-operator-ns`, { name: CHARTS.ollamaFleetOperator.namespace, podSecurity: "baseline", ingress: {} }, this);
    const injection = args.mesh.injection;
    const fleetNs = platformNamespace(
      `${name}-fleets-ns`,
      {
        name: args.settings.namespace,
        podSecurity: "baseline",
        // Its policies both ways are the fleets' own (netpol.ts).
        ingress: "own",
        mesh: injection
          ? { labels: injection.labels, annotations: { ...injection.annotations, ...(args.mesh.kind === "linkerd" ? { ...LINKERD_NATIVE_SIDECAR, ...linkerdProxyAnnotations(LINKERD_FLEET_PROXY) } : {}) } }
          : undefined,
      },
      this,
      { retainOnDelete: args.protectData ?? false },
    );
    return { opNs, fleetNs };
  }

  /** The configured fleets at their most replicas, and no more (quota.ts). */
  private fleetQuota(name: string, args: OllamaArgs, fleetNs: k8s.core.v1.Namespace): k8s.core.v1.ResourceQuota {
    const s = args.settings;
    const proxy = args.mesh.kind === "linkerd" ? LINKERD_FLEET_PROXY : args.mesh.kind === "istio" ? args.mesh.proxyResources : undefined;
    return new k8s.core.v1.ResourceQuota(
      `${name}-fleets-quota`,
      { metadata: { name: "fleets", namespace: fleetNs.metadata.name }, spec: { hard: fleetQuota({ fleets: s.fleets, namespace: s.namespace, proxy }) } },
      { parent: this },
    );
  }

  /** Default deny in the fleet namespace, then DNS, model pulls, the mesh and the sandboxes (netpol.ts). */
  private fleetPolicies(name: string, args: OllamaArgs, fleetNs: k8s.core.v1.Namespace): pulumi.Resource[] {
    const s = args.settings;
    const requestScaled = s.fleets.some((f) => f.scaling?.metrics.some((m) => isRequestMetric(m.type)));
    const fleetNet = fleetNetworkPolicies({
      namespace: s.namespace,
      mesh: args.mesh.kind,
      cilium: args.cilium ?? false,
      sandboxes: args.sandboxes,
      interceptor: args.mesh.kind === "none" && args.autoscaling !== undefined && requestScaled ? { namespace: CHARTS.kedaHttpAddon.namespace } : undefined,
    });
    return [
      ...fleetNet.networkPolicies.map(
        (p) => new k8s.networking.v1.NetworkPolicy(`${name}-fleet-netpol-${p.metadata.name}`, { metadata: { name: p.metadata.name, namespace: fleetNs.metadata.name }, spec: p.spec }, { parent: this }),
      ),
      ...fleetNet.ciliumNetworkPolicies.map(
        (p) =>
          new k8s.apiextensions.CustomResource(
            `${name}-fleet-cnp-${p.metadata.name}`,
            { apiVersion: p.apiVersion, kind: p.kind, metadata: { name: p.metadata.name, namespace: fleetNs.metadata.name }, spec: p.spec },
            { parent: this, dependsOn: args.network.ready },
          ),
      ),
    ];
  }

  /**
   * The operator's image (in dev built from source and loaded into kind; elsewhere the
   * configured or released one) and its release, after Prometheus's CRDs when it monitors.
   */
  private operatorRelease(name: string, args: OllamaArgs, opNs: k8s.core.v1.Namespace): { release: k8s.helm.v3.Release; image: string } {
    const s = args.settings;
    const { image, build } = resolveImage(
      `${name}-operator-image`,
      {
        argPath: "Ollama args.settings.operator.image",
        configured: s.operator.image,
        dir: args.operatorDir,
        inputs: BUILD_INPUTS,
        devRepository: DEV_REPOSITORY,
        version: OPERATOR_VERSION,
        // Outside kind: the image the release workflow publishes (operator/chart/values.yaml).
        released: () => releasedImage(args.operatorDir),
      },
      args.devBuild?.kindCluster,
      { parent: this, dependsOn: [args.cluster.provider] },
    );
    const prometheusUrl = args.observability.prometheusUrl;
    const release = platformRelease(
      `${name}-operator`,
      {
        pin: CHARTS.ollamaFleetOperator,
        releaseName: "ollama-fleet-operator",
        namespace: opNs,
        values: renderOperatorValues({ image, replicas: s.operator.replicas, mesh: args.mesh.kind, prometheusUrl, fleetNamespace: s.namespace }),
        overrides: s.operator.values,
        dependsOn: [...args.network.ready, ...(prometheusUrl !== undefined ? args.observability.ready : []), ...(build ? [build] : [])],
      },
      { parent: this },
    );
    return { release, image: `${image.repository}:${image.tag}` };
  }

  /**
   * One OllamaFleet, after the operator, its namespace's guards, the mesh's injector, storage,
   * the scaler kind it uses and, with GPUs, the pools' capacity. Not protected: a model change
   * renames it (its name is the model's slug), and a protected fleet would block that; its
   * caches outlive it instead.
   */
  private fleet(name: string, args: OllamaArgs, f: OllamaArgs["settings"]["fleets"][number], after: pulumi.Resource[]): k8s.apiextensions.CustomResource {
    const fleet = fleetName(f);
    const pool = f.placement?.gpuPool;
    if (pool !== undefined && !args.gpu.pools.includes(pool)) {
      throw new pulumi.ResourceError(`Ollama args.settings.fleets (${fleet}).placement.gpuPool: "${pool}" is not a GPU pool of args.gpu (${args.gpu.pools.join(", ") || "none"})`, this);
    }
    if (f.scaling && args.autoscaling === undefined) {
      throw new pulumi.ResourceError(`Ollama args.settings.fleets (${fleet}).scaling: set, but KEDA is not installed (args.autoscaling is undefined)`, this);
    }
    const retainPolicy = args.protectData === undefined ? f.storage.retainPolicy : args.protectData ? "Retain" : "Delete";
    const scaler = fleetScaler(f, args.mesh.kind);
    const scalerReady = scaler === undefined ? [] : scaler === "HTTPScaledObject" ? args.autoscaling!.httpScaledObjects : args.autoscaling!.scaledObjects;
    if (scaler === "HTTPScaledObject" && scalerReady.length === 0) {
      throw new pulumi.ResourceError(`Ollama args.settings.fleets (${fleet}).scaling: request metrics without a mesh need the KEDA HTTP add-on (args.autoscaling.httpScaledObjects is empty)`, this);
    }
    return new k8s.apiextensions.CustomResource(`${name}-fleet-${fleet}`, renderFleet({ ...f, storage: { ...f.storage, retainPolicy } }, args.settings.namespace) as k8s.apiextensions.CustomResourceArgs, {
      parent: this,
      dependsOn: [...after, ...args.mesh.injector, ...args.storage.ready, ...scalerReady, ...(f.resources.gpu > 0 ? args.gpu.capacityReady : [])],
      customTimeouts: FLEET_TIMEOUTS,
    });
  }
}
