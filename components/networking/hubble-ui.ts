import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog";
import type { CertificatesLayer, ClusterLayer, IngressLayer, NetworkLayer } from "../contracts";
import { tlsIngress } from "../ingress/tls-ingress";
import { hubbleHost } from "./values";
import type { PlatformConfig } from "../../config/schema";

/** Whether the stack routes the Hubble UI through the ingress controller. */
export function enabled(c: PlatformConfig): boolean {
  const h = c.networking.cilium.hubble;
  return c.networking.cilium.enabled && h.enabled && h.ui && h.uiIngress;
}

/** Arguments of {@link HubbleUiIngress}. */
export interface HubbleUiIngressArgs {
  cluster: ClusterLayer;
  /** The Cilium layer: the `hubble-ui` Service exists once it is ready. */
  network: NetworkLayer;
  ingress: IngressLayer;
  certificates: CertificatesLayer;
  /** Platform base domain; the UI is served at `hubble.<domain>`. */
  domain: string;
}

/**
 * The Hubble UI behind the default ingress controller, with a certificate from the
 * platform's ClusterIssuer. A component of its own, created after the ingress and
 * certificate layers: the ingress controller and cert-manager need the CNI, so putting this
 * Ingress into the Networking layer would make the CNI depend on its own dependents.
 * Hubble UI has no login of its own: expose it only where the network is trusted (config
 * allows the route on kind only).
 */
export class HubbleUiIngress extends pulumi.ComponentResource {
  /** `https://hubble.<domain>`. */
  public readonly url: string;
  public readonly ingressResource: k8s.networking.v1.Ingress;

  constructor(name: string, args: HubbleUiIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:networking:HubbleUiIngress", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    if (args.network.ready.length === 0) {
      throw new pulumi.ResourceError(`HubbleUiIngress args.network.ready: empty, so Cilium (which serves Hubble UI) is not installed; build Networking with Cilium or drop the UI ingress`, this);
    }
    const host = hubbleHost(args.domain);
    this.ingressResource = tlsIngress(
      `${name}-ingress`,
      // The chart's hubble-ui Service listens on 80 in Cilium's namespace.
      { namespace: CHARTS.cilium.namespace, name: "hubble-ui", host, service: { name: "hubble-ui", port: 80 } },
      args.certificates,
      args.ingress,
      this,
      { dependsOn: args.network.ready },
    );
    this.url = `https://${host}`;
    this.registerOutputs({ url: this.url });
  }
}
