import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog";
import type { ClusterLayer, MeshLayer, NetworkLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow, type NamespaceIngress } from "../namespace-ingress";
import { WAIT_READY } from "../platform-names";
import { renderKnativeServingSpec, type ServerlessSettings } from "./spec";
import type { PlatformConfig } from "../../config/schema";

export * from "./spec";

/** Namespace of Knative Serving's control plane (and Kourier's gateway). */
export const KNATIVE_SERVING_NAMESPACE = "knative-serving";

/** Whether the stack runs Knative Serving (`serverless.knative.enabled`). */
export function enabled(c: PlatformConfig): boolean {
  return c.serverless.knative.enabled;
}

/** The Knative Operator's namespace: the API server calls its webhook (`app: operator-webhook`, 8443). */
export const KNATIVE_OPERATOR_INGRESS: NamespaceIngress = {
  flows: [apiServerFlow("webhook", { app: "operator-webhook" }, [8443], "The API server calls the Knative Operator's webhook (KnativeServing and KnativeEventing validation and conversion).")],
};

/**
 * Knative Serving's namespace (operator 1.23): the API server calls Serving's webhook
 * (`app: webhook`, 8443) and, with Istio networking, net-istio's (`app: net-istio-webhook`, 8443);
 * requests for revisions scaled to zero reach the activator (8012 HTTP/1, 8013 h2c) from the
 * ingress (Kourier's gateway in this namespace, or Istio's gateway); Kourier's gateway (8080,
 * 8443, and 8081 for cluster-local routes) serves Knative routes to any client. The autoscaler,
 * controller and net-* controllers are called within the namespace only.
 */
export const KNATIVE_SERVING_INGRESS: NamespaceIngress = {
  flows: [
    apiServerFlow("webhook", { app: "webhook" }, [8443], "The API server calls Knative Serving's admission and conversion webhooks."),
    apiServerFlow("net-istio-webhook", { app: "net-istio-webhook" }, [8443], "With Istio networking, the API server calls net-istio's webhooks."),
    {
      name: "activator",
      to: { matchLabels: { app: "activator" } },
      from: "any",
      ports: [
        { protocol: "TCP", port: 8012 },
        { protocol: "TCP", port: 8013 },
      ],
      why: "The ingress sends requests for revisions that have no ready pod (scaled to zero, bursting) to the activator.",
    },
    {
      name: "kourier-gateway",
      to: { matchLabels: { app: "3scale-kourier-gateway" } },
      from: "any",
      ports: [
        { protocol: "TCP", port: 8080 },
        { protocol: "TCP", port: 8081 },
        { protocol: "TCP", port: 8443 },
      ],
      why: "Kourier's gateway serves Knative routes to the internet and to in-cluster clients.",
    },
  ],
};

/** Arguments of {@link Serverless}. */
export interface ServerlessArgs {
  cluster: ClusterLayer;
  /** The operator and Serving are pods: they wait for the CNI. */
  network: NetworkLayer;
  /** With networking `istio`, Serving waits for istiod and Istio's ingress gateway; otherwise unused. */
  mesh: MeshLayer;
  settings: ServerlessSettings;
  /** Platform base domain: the default domain of Knative Services. */
  domain: string;
  /** Istio ingress gateway pod labels Knative's gateways select. Defaults to Knative's `istio: ingressgateway`. */
  istioGatewaySelector?: Record<string, string>;
}

/**
 * Knative Serving through the Knative operator: the operator chart, then a KnativeServing
 * resource with Kourier or Istio networking, the platform domain and the KPA autoscaler
 * (see `spec.ts` for KEDA-driven scaling).
 */
export class Serverless extends pulumi.ComponentResource {
  /** Knative's ingress class (`config-network` ingress-class). */
  public readonly ingressClass: string;
  /** KnativeServing reports Ready: Knative Services can be created. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: ServerlessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:serverless:Serverless", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    if (s.networking === "istio" && args.mesh.kind !== "istio") {
      throw new pulumi.ResourceError(`Serverless args.settings.networking: "istio" needs args.mesh.kind "istio" (it is "${args.mesh.kind}"); use "kourier" otherwise`, this);
    }
    const pin = CHARTS.knativeOperator;
    // The operator's containers set no seccomp profile or dropped capabilities: baseline.
    const operatorNs = platformNamespace(`${name}-operator-ns`, { name: pin.namespace, podSecurity: "baseline", ingress: KNATIVE_OPERATOR_INGRESS }, this);
    const operator = platformRelease(
      `${name}-operator`,
      { pin, releaseName: "knative-operator", namespace: operatorNs, values: {}, overrides: s.values, dependsOn: args.network.ready },
      { parent: this },
    );
    const servingNs = platformNamespace(`${name}-serving-ns`, { name: KNATIVE_SERVING_NAMESPACE, podSecurity: "baseline", ingress: KNATIVE_SERVING_INGRESS }, this);
    const spec = renderKnativeServingSpec(s, { domain: args.domain, istioGatewaySelector: args.istioGatewaySelector });
    this.ingressClass = (spec.config as { network: Record<string, string> }).network["ingress-class"];
    const serving = new k8s.apiextensions.CustomResource(
      `${name}-serving`,
      {
        apiVersion: "operator.knative.dev/v1beta1",
        kind: "KnativeServing",
        metadata: {
          name: "knative-serving",
          namespace: servingNs.metadata.name,
          // A custom resource gets no readiness await by default: wait until the operator
          // reports every Serving component (and the ingress) ready.
          annotations: WAIT_READY,
        },
        spec,
      },
      {
        parent: this,
        // The CRD comes with the operator chart; net-istio needs Istio's CRDs, istiod (its
        // webhook validates the Gateways net-istio creates) and the ingress gateway its
        // Gateways select. Not the egress gateway or the mesh's Telemetry: Knative uses neither.
        dependsOn: [operator, servingNs, ...(s.networking === "istio" ? args.mesh.ingressGateway : [])],
        customTimeouts: { create: "15m", update: "15m" },
      },
    );
    this.ready = [serving];
    this.registerOutputs({ ingressClass: this.ingressClass });
  }
}
