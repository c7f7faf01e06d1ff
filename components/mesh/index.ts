import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config/schema";
import type { ClusterLayer, MeshLayer, NetworkLayer } from "../contracts";
import type { MeshInjection, PodSecurityLevel } from "../helm";
import { MESHED_POD_SECURITY } from "./cni";
import { installIstio, type IstioResources } from "./istio";
import { installLinkerd, type LinkerdResources } from "./linkerd";

export {
  installIstio,
  ISTIO_INGRESS_GATEWAY_LABELS,
  ISTIO_NAMESPACES,
  ISTIO_TRACING_PROVIDER,
  istioTelemetrySpec,
  OTEL_COLLECTOR,
  OTEL_COLLECTOR_HOST,
  OTEL_COLLECTOR_OTLP_GRPC,
  renderIstioGatewayValues,
  renderIstiodValues,
  type IstioSettings,
} from "./istio";
export { installIstioCni, installLinkerdCni, LINKERD_CNI, MESHED_POD_SECURITY, renderLinkerdCniValues } from "./cni";
export { installLinkerd, LINKERD, linkerdIdentity, linkerdNamespaceMetadata, renderLinkerdControlPlaneValues, type LinkerdIdentity, type LinkerdSettings } from "./linkerd";

/** Mesh settings, as validated config gives them. */
export type MeshSettings = PlatformConfig["mesh"];

/** Arguments of {@link Mesh}. */
export interface MeshArgs {
  cluster: ClusterLayer;
  /** The CNI: the control plane's pods wait for it. */
  network: NetworkLayer;
  /** kind: the Istio ingress gateway is a NodePort (no load balancer on kind). */
  clusterMode: "kind" | "existing";
  /** The mesh to install: one of them or none. */
  kind: MeshLayer["kind"];
  /** Settings of both meshes; only those of `kind` are read (their `enabled` flags are not). */
  settings: MeshSettings;
}

/** How a namespace joins each mesh. */
export const MESH_INJECTION: Record<"istio" | "linkerd", MeshInjection> = {
  istio: { labels: { "istio-injection": "enabled" }, annotations: {} },
  linkerd: { labels: {}, annotations: { "linkerd.io/inject": "enabled" } },
};

/**
 * The service mesh: Istio (CNI agent, base, istiod, ingress and egress gateways, mesh-wide
 * tracing to the OpenTelemetry collector) or Linkerd (linkerd2-cni, Gateway API CRDs,
 * linkerd-crds, control plane with a generated identity), or none. Namespaces join through
 * `injection`; the mesh's CNI plugin sets up redirection, so a meshed namespace needs only
 * `meshedPodSecurity` (baseline), not privileged.
 */
export class Mesh extends pulumi.ComponentResource implements MeshLayer {
  public readonly kind: MeshLayer["kind"];
  /** Labels/annotations that put a namespace into the mesh; undefined without a mesh. */
  public readonly injection?: MeshInjection;
  /** Istio's sidecar resources (`mesh.istio.proxy`, its values' `global.proxy.resources`); undefined otherwise. */
  public readonly proxyResources?: MeshLayer["proxyResources"];
  /**
   * The least Pod Security level that admits meshed pods: injected pods carry no NET_ADMIN
   * init container, because the mesh's CNI plugin redirects their traffic. Defaults to baseline.
   */
  public readonly meshedPodSecurity: PodSecurityLevel = MESHED_POD_SECURITY;
  /** The sidecar injector (istiod, Linkerd's control plane); empty without a mesh. */
  public readonly injector: pulumi.Resource[];
  /** istiod and the ingress gateway; empty without Istio. */
  public readonly ingressGateway: pulumi.Resource[];
  /** Control plane, gateways and Telemetry ready; empty without a mesh. */
  public readonly ready: pulumi.Resource[];
  /** Istio's releases, when Istio is the mesh. */
  public readonly istio?: IstioResources;
  /** Linkerd's resources, when Linkerd is the mesh. */
  public readonly linkerd?: LinkerdResources;
  /** Linkerd's trust anchor (public PEM), for clients outside the cluster; Linkerd only. */
  public readonly trustAnchorPem?: pulumi.Output<string>;

  constructor(name: string, args: MeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:mesh:Mesh", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    this.kind = args.kind;

    if (this.kind === "istio") {
      this.istio = installIstio(name, args.settings.istio, args.clusterMode, args.network.ready, this);
      const { istiod, ingressGateway, egressGateway, telemetry } = this.istio;
      this.ready = [istiod, ingressGateway, ...(egressGateway ? [egressGateway] : []), telemetry];
      this.injector = [istiod];
      this.ingressGateway = [istiod, ingressGateway];
      this.injection = MESH_INJECTION.istio;
      this.proxyResources = structuredClone(args.settings.istio.proxy);
    } else if (this.kind === "linkerd") {
      this.linkerd = installLinkerd(name, args.settings.linkerd, args.network.ready, this);
      this.ready = [this.linkerd.controlPlane];
      this.injector = [this.linkerd.controlPlane];
      this.ingressGateway = [];
      this.injection = MESH_INJECTION.linkerd;
      this.trustAnchorPem = this.linkerd.identity.trustAnchorPem;
    } else {
      this.ready = [];
      this.injector = [];
      this.ingressGateway = [];
    }
    this.registerOutputs({ kind: this.kind, trustAnchorPem: this.trustAnchorPem });
  }
}
