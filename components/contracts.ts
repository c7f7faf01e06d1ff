import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "./crossplane/packages";
import type { MeshInjection } from "./helm";

/*
 * What each layer exposes to the layers that depend on it. Components take these in their
 * Args (never optional), so a missing dependency fails to compile; tests pass fakes.
 * `ready` lists the resources a dependent must wait for (dependsOn).
 */

/** The cluster: the provider every Kubernetes resource uses. */
export interface ClusterLayer {
  readonly provider: k8s.Provider;
  /** API server address as seen from inside the cluster (the nodes). */
  readonly apiServer: pulumi.Input<{ host: string; port: number }>;
}

/** The CNI: every pod waits for it. */
export interface NetworkLayer {
  readonly ready: pulumi.Resource[];
}

/** The service mesh, or none. */
export interface MeshLayer {
  readonly kind: "istio" | "linkerd" | "none";
  /** How a namespace joins the mesh; undefined without a mesh. */
  readonly injection?: MeshInjection;
  /**
   * Requests and limits of the proxy injected into meshed pods, where the mesh's values set
   * them (Istio: `mesh.istio.proxy`); undefined otherwise (Linkerd's chart sets none: a
   * namespace gives its own by annotation, as the fleet namespace does).
   */
  readonly proxyResources?: ProxyResources;
  /**
   * The sidecar injector: istiod (after Istio's CNI agent and base) or Linkerd's control
   * plane (after linkerd2-cni and its CRDs). What meshed workloads wait for: their pods get
   * their proxy from it, and need neither the gateways nor the Telemetry resource (tracing
   * configuration reaches running proxies over xDS). Empty without a mesh.
   */
  readonly injector: pulumi.Resource[];
  /**
   * istiod and Istio's ingress gateway: what routes through the mesh's ingress waits for
   * (Knative's net-istio selects the gateway's pods). Empty without Istio.
   */
  readonly ingressGateway: pulumi.Resource[];
  /** Everything the mesh installs (injector, gateways, Telemetry); no layer needs all of it. */
  readonly ready: pulumi.Resource[];
}

/** Requests and limits of a mesh's injected proxy. */
export interface ProxyResources {
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
}

/** KEDA and, when enabled, its HTTP add-on. */
export interface AutoscalingLayer {
  /** Whether the HTTP add-on (HTTPScaledObject) is installed. */
  readonly httpAddon: boolean;
  /**
   * KEDA itself (operator, metrics server, admission webhook and the ScaledObject CRDs):
   * what a ScaledObject waits for.
   */
  readonly scaledObjects: pulumi.Resource[];
  /** KEDA and the HTTP add-on (the HTTPScaledObject CRD, interceptor, scaler); empty without the add-on. */
  readonly httpScaledObjects: pulumi.Resource[];
  /** KEDA and the add-on, when installed. */
  readonly ready: pulumi.Resource[];
}

/** cert-manager and the platform's ClusterIssuer. */
export interface CertificatesLayer {
  /** Name of the ClusterIssuer every platform Ingress uses. */
  readonly clusterIssuer: string;
  /** cert-manager ready (webhook serving) and the issuer created. */
  readonly ready: pulumi.Resource[];
  /**
   * cert-manager alone ready (its webhook serving): what charts that create their own
   * Issuer and Certificate (webhook certificates of operators) wait for. They need not wait
   * for the platform's ClusterIssuer, which in prod waits for the ingress controller.
   */
  readonly webhookReady: pulumi.Resource[];
}

/** The ingress controller with the default IngressClass. */
export interface IngressLayer {
  /** IngressClass name of the default controller. */
  readonly className: string;
  /** Namespace of the default controller's pods (NetworkPolicies admit traffic from it). */
  readonly namespace: string;
  readonly ready: pulumi.Resource[];
}

/**
 * Block storage with the default StorageClass and, when Rook-Ceph renders one, a Ceph object
 * store (RGW), which the object-storage layer uses.
 */
export interface StorageLayer {
  /** Name of the default StorageClass. */
  readonly defaultStorageClass: string;
  readonly ready: pulumi.Resource[];
  /** The Ceph object store, when Rook-Ceph renders one; undefined otherwise. */
  readonly cephObjectStore?: CephObjectStoreRef;
}

/** A Ceph object store (RGW) rendered by the storage layer, for the object-storage layer. */
export interface CephObjectStoreRef {
  /** CephObjectStore name. */
  readonly name: string;
  /** Namespace of the Ceph cluster, the store and its users. */
  readonly namespace: string;
  /** StorageClass ObjectBucketClaims use. */
  readonly bucketStorageClass: string;
  /** In-cluster S3 URL of the gateway. */
  readonly endpoint: string;
}

/**
 * The observability layer as its dependents see it: the Prometheus Operator's CRDs
 * (ServiceMonitor, PodMonitor, PrometheusRule) and Prometheus's address.
 */
export interface ObservabilityLayer {
  /** The Prometheus Operator's CRDs; empty when Prometheus is disabled. */
  readonly ready: pulumi.Resource[];
  /** In-cluster Prometheus URL (for KEDA and other consumers), when Prometheus is enabled. */
  readonly prometheusUrl?: string;
}

/** What the GPU layer needs of Crossplane (the `Crossplane` component implements it). */
export interface CrossplaneLayer {
  /** Crossplane, function-patch-and-transform and every provider config ready. */
  readonly ready: pulumi.Resource[];
  /**
   * Crossplane itself (its release: the CompositeResourceDefinition and Composition CRDs and
   * the webhook that validates them): what an XRD and a Composition wait for. They need no
   * provider or function: those act only when a composite is composed.
   */
  readonly core: pulumi.Resource[];
  /** The family Provider (Healthy) per enabled cloud: more service Providers of that family install after it. */
  readonly families: Partial<Record<Cloud, pulumi.Resource>>;
  /** ClusterProviderConfig name per enabled cloud. */
  readonly providerConfigs: Partial<Record<Cloud, string>>;
}

/** The GPU node pools: what GPU fleets wait for. */
export interface GpuLayer {
  /** The pools' composites (Ready: node groups exist) and the GPU Operator release. */
  readonly capacityReady: pulumi.Resource[];
  /** Names of the configured pools. */
  readonly pools: string[];
}

/** One model fleet as its clients see it. */
export interface ModelFleet {
  /** OpenAI-compatible base URL: `http://<fleet>.<namespace>.svc.cluster.local:11434/v1`. */
  readonly endpoint: string;
  /** The model reference it serves (`qwen2.5-coder:0.5b`). */
  readonly model: string;
  /** Context window the fleet serves, in tokens. */
  readonly contextLength: number;
}

/** The Ollama fleets: what OpenHands and other clients call. */
export interface OllamaLayer {
  /** Namespace the fleets' pods run in (egress policies select it). */
  readonly namespace: string;
  /** Fleets by name. */
  readonly fleets: Readonly<Record<string, ModelFleet>>;
  /** The fleets exist and are Ready. */
  readonly ready: pulumi.Resource[];
}

/** Requests and limits of a Postgres instance's pod. */
export interface PostgresResources {
  requests: { cpu: string; memory: string };
  limits: { memory: string; cpu?: string };
}

/** One database: a CloudNativePG Cluster bootstrapped with one application database and owner. */
export interface PostgresSpec {
  /** Namespace of the Cluster (its Services and the app Secret live there too). */
  namespace: pulumi.Input<string>;
  /** Application database name (`bootstrap.initdb.database`). */
  database: string;
  /** Owner of the database, the role the app connects as (`bootstrap.initdb.owner`). */
  owner: string;
  /** PostgreSQL instances: one primary and `instances - 1` streaming replicas. */
  instances: number;
  /** Size of each instance's data volume (a quantity, `10Gi`). */
  size: string;
  /** StorageClass of the data volumes. Defaults to the storage layer's default class. */
  storageClass?: string;
  /** Requests and limits of each instance (the platform's policy needs cpu and memory requests and a memory limit). */
  resources: PostgresResources;
}

/** How an application reaches one database. */
export interface PostgresConnection {
  /** The read-write Service (always the primary): `<name>-rw.<namespace>.svc.cluster.local`. */
  readonly host: pulumi.Output<string>;
  /** PostgreSQL's port on every CloudNativePG service (5432). */
  readonly port: number;
  readonly database: string;
  /** The owner role. */
  readonly user: string;
  /**
   * Secret the operator generates in the Cluster's namespace, `<name>-app` (type
   * kubernetes.io/basic-auth), with keys `username`, `user`, `password`, `host` (`<name>-rw`,
   * not the FQDN), `port`, `dbname`, `uri`, `jdbc-uri`, `fqdn-uri`, `fqdn-jdbc-uri`, `pgpass`
   * (pkg/specs/secrets.go CreateSecret at v1.30.0).
   */
  readonly secretName: string;
  /** The Cluster; Ready (Pulumi waits on its Ready condition) once the primary accepts connections. */
  readonly resource: k8s.apiextensions.CustomResource;
}

/** Options of {@link DatabaseLayer.postgres}. */
export interface PostgresOptions {
  /** The caller's component: the Cluster is its child. */
  parent: pulumi.Resource;
  /** Further resources the Cluster waits for (the operator release and storage are always waited for). */
  dependsOn?: pulumi.Resource[];
  /** Pulumi resource name. Defaults to `<name>-postgres`. */
  resourceName?: string;
}

/** What the database layer exposes to the layers that use it. */
export interface DatabaseLayer {
  /** The operator serving (its webhooks and CRDs): Clusters can be created after these. */
  readonly ready: pulumi.Resource[];
  /** Creates a Cluster and returns how to connect to it. */
  postgres(name: string, spec: PostgresSpec, opts: PostgresOptions): PostgresConnection;
}
