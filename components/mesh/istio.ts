import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import type { Values } from "../../lib/merge";
import { CHARTS } from "../catalog";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow } from "../namespace-ingress";
import { tcpPort as tcp } from "../../lib/netpol";
import { installIstioCni } from "./cni";
import { OTEL_COLLECTOR, OTEL_COLLECTOR_HOST } from "../platform-names";

/** Istio settings, as validated config gives them (`platform:mesh.istio`). */
export type IstioSettings = PlatformConfig["mesh"]["istio"];

// The collector's address (the mesh sends traces there) is a platform-wide name.
export { OTEL_COLLECTOR, OTEL_COLLECTOR_HOST, OTEL_COLLECTOR_OTLP_GRPC } from "../platform-names";

/** Name of the tracing extension provider in Istio's mesh config. */
export const ISTIO_TRACING_PROVIDER = "otel-tracing";
/** Namespaces of the Istio gateways. */
/**
 * Pod labels of the ingress gateway: the gateway chart labels its pods `istio: <release name
 * without the "istio-" prefix>`, and the release is `istio-ingress`. Knative's Istio
 * networking selects its gateway by these.
 */
export const ISTIO_INGRESS_GATEWAY_LABELS = { istio: "ingress" } as const;

export const ISTIO_NAMESPACES = { system: CHARTS.istiod.namespace, ingress: CHARTS.istioGateway.namespace, egress: "istio-egress" } as const;

/**
 * istiod values (1.30.x). No `profile`: the chart has no `default` profile file and fails
 * on unknown ones; the chart's defaults are what the old `default` profile meant. Tracing
 * goes through an OpenTelemetry extension provider that a Telemetry resource enables (the
 * old `envoyMetricsService` pointed at :4317 does not speak OTLP). `pilot.cni.enabled`
 * (the chart merges `pilot.*` into its top level and hands `cni` to the injector as
 * `pilot.cni`) makes the injector add `istio-validation` (non-root, no added capabilities)
 * instead of `istio-init` (NET_ADMIN, NET_RAW, root): the CNI agent sets up redirection.
 */
export function renderIstiodValues(s: Pick<IstioSettings, "proxy">): Values {
  return {
    pilot: { cni: { enabled: true } },
    global: { proxy: { resources: structuredClone(s.proxy) } },
    meshConfig: {
      extensionProviders: [{ name: ISTIO_TRACING_PROVIDER, opentelemetry: { service: OTEL_COLLECTOR_HOST, port: OTEL_COLLECTOR.grpcPort } }],
    },
  };
}

/**
 * gateway chart values. The ingress gateway is a LoadBalancer on existing clusters; on
 * kind nothing hands out load-balancer addresses (and Helm would wait for one), and the
 * default ingress controller owns the host ports, so it is a NodePort there. The egress
 * gateway is only reachable from inside the cluster.
 */
export function renderIstioGatewayValues(role: "ingress" | "egress", clusterMode: "kind" | "existing"): Values {
  const type = role === "egress" ? "ClusterIP" : clusterMode === "kind" ? "NodePort" : "LoadBalancer";
  return { service: { type } };
}

/** The mesh-wide Telemetry resource's spec: trace a share of requests to the collector. */
export function istioTelemetrySpec(samplingPercent: number): Values {
  return { tracing: [{ providers: [{ name: ISTIO_TRACING_PROVIDER }], randomSamplingPercentage: samplingPercent }] };
}

/** What {@link installIstio} created. */
export interface IstioResources {
  base: k8s.helm.v3.Release;
  /** The CNI node agent (kube-system). */
  cni: k8s.helm.v3.Release;
  istiod: k8s.helm.v3.Release;
  ingressGateway: k8s.helm.v3.Release;
  egressGateway?: k8s.helm.v3.Release;
  telemetry: k8s.apiextensions.CustomResource;
}

/**
 * Istio by Helm, in order: the CNI (Cilium) -> the Istio CNI agent, and base (CRDs) -> istiod
 * -> gateways and the Telemetry resource (the gateways' pods are injected by istiod's
 * webhook; Telemetry is validated by it). istiod waits for the CNI agent: its injector
 * leaves redirection to the agent, so no injected pod may start before it.
 */
export function installIstio(
  name: string,
  s: IstioSettings,
  clusterMode: "kind" | "existing",
  network: pulumi.Resource[],
  parent: pulumi.Resource,
): IstioResources {
  // Sidecar-free system namespaces: istiod and the gateways need no extra privileges (the
  // CNI agent, which does, runs in kube-system).
  // 1.30 charts: istiod's `discovery` container serves xDS (15010 plain, 15012 TLS) and the
  // webhooks (Service 443 -> 15017); the gateways' Envoys bind their Service ports 80 and 443
  // themselves (unprivileged ports from 0) and answer load-balancer health checks on 15021.
  const istiodIngress = {
    flows: [
      { name: "xds", to: { matchLabels: { app: "istiod" } }, from: "any" as const, ports: [tcp(15010), tcp(15012)], why: "Every sidecar and gateway in the mesh gets its configuration and certificates from istiod." },
      apiServerFlow("webhooks", { app: "istiod" }, [15017], "The API server calls istiod's sidecar-injection and validation webhooks."),
    ],
  };
  const systemNs = platformNamespace(`${name}-istio-system-ns`, { name: ISTIO_NAMESPACES.system, podSecurity: "baseline", ingress: istiodIngress }, parent);
  const cni = installIstioCni(name, s.cniValues, network, parent);
  const base = platformRelease(
    `${name}-istio-base`,
    { pin: CHARTS.istioBase, releaseName: "istio-base", namespace: systemNs, values: {} },
    { parent },
  );
  const istiod = platformRelease(
    `${name}-istiod`,
    { pin: CHARTS.istiod, releaseName: "istiod", namespace: systemNs, values: renderIstiodValues(s), overrides: s.values, dependsOn: [base, cni] },
    { parent },
  );
  const gatewayIngress = (role: "ingress" | "egress") => ({
    flows: [
      {
        name: "gateway",
        to: { matchLabels: { istio: role } },
        from: "any" as const,
        ports: [tcp(80), tcp(443), tcp(15021)],
        why: role === "ingress" ? "The ingress gateway serves the internet (80, 443) and its load balancer's health checks (15021)." : "The mesh's sidecars route external traffic through the egress gateway (80, 443).",
      },
    ],
  });
  const ingressNs = platformNamespace(`${name}-istio-ingress-ns`, { name: ISTIO_NAMESPACES.ingress, podSecurity: "baseline", ingress: gatewayIngress("ingress") }, parent);
  const ingressGateway = platformRelease(
    `${name}-istio-ingress`,
    { pin: CHARTS.istioGateway, releaseName: "istio-ingress", namespace: ingressNs, values: renderIstioGatewayValues("ingress", clusterMode), dependsOn: [istiod] },
    { parent },
  );
  let egressGateway: k8s.helm.v3.Release | undefined;
  if (s.egressGateway) {
    const egressNs = platformNamespace(`${name}-istio-egress-ns`, { name: ISTIO_NAMESPACES.egress, podSecurity: "baseline", ingress: gatewayIngress("egress") }, parent);
    egressGateway = platformRelease(
      `${name}-istio-egress`,
      { pin: CHARTS.istioGateway, releaseName: "istio-egress", namespace: egressNs, values: renderIstioGatewayValues("egress", clusterMode), dependsOn: [istiod] },
      { parent },
    );
  }
  const telemetry = new k8s.apiextensions.CustomResource(
    `${name}-istio-telemetry`,
    {
      apiVersion: "telemetry.istio.io/v1",
      kind: "Telemetry",
      // A Telemetry named in the root namespace applies mesh-wide.
      metadata: { name: "mesh-default", namespace: ISTIO_NAMESPACES.system },
      spec: istioTelemetrySpec(s.tracingSampling),
    },
    { parent, dependsOn: [istiod] },
  );
  return { base, cni, istiod, ingressGateway, egressGateway, telemetry };
}
