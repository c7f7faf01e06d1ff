import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
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

/** Block storage with the default StorageClass. */
export interface StorageLayer {
  /** Name of the default StorageClass. */
  readonly defaultStorageClass: string;
  readonly ready: pulumi.Resource[];
}

/** The Prometheus Operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule). */
export interface MonitoringCrdsLayer {
  readonly ready: pulumi.Resource[];
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
export interface ModelServingLayer {
  /** Namespace the fleets' pods run in (egress policies select it). */
  readonly namespace: string;
  /** Fleets by name. */
  readonly fleets: Readonly<Record<string, ModelFleet>>;
  /** The fleets exist and are Ready. */
  readonly ready: pulumi.Resource[];
}
