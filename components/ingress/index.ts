import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog";
import type { ClusterLayer, IngressLayer, NetworkLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { bindsKindHostPorts, CONTOUR_INGRESS, defaultController, INGRESS_CLASS, INGRESS_NGINX_INGRESS, renderContourValues, renderIngressNginxValues, type ControllerPlacement, type IngressSettings } from "./values";

export { CLUSTER_ISSUER_ANNOTATION, HTTPS_REDIRECT, renderTlsIngress, tlsIngress, type TlsIngressArgs } from "./tls-ingress";
export { bindsKindHostPorts, defaultController, INGRESS_CLASS, renderContourValues, renderIngressNginxValues, type IngressSettings } from "./values";

/** Arguments of {@link Ingress}. */
export interface IngressArgs {
  cluster: ClusterLayer;
  /** The CNI: controllers are pods and wait for it. */
  network: NetworkLayer;
  /** kind: the default controller binds the host ports kind maps (80/443 on `ingress-ready=true`). */
  clusterMode: "kind" | "existing";
  /** `platform:ingress`. */
  settings: IngressSettings;
}

/**
 * Ingress controllers: Contour (projectcontour) by default, ingress-nginx only when enabled.
 * Exactly one IngressClass is the cluster default; its name is `className`.
 *
 * ingress-nginx was retired upstream in March 2026. The warning is logged once, at config
 * time (config/rules.ts `configWarnings`), before any resource is registered, so this
 * component does not repeat it.
 */
export class Ingress extends pulumi.ComponentResource implements IngressLayer {
  /** IngressClass of the default controller (`contour` or `nginx`). */
  public readonly className: string;
  /** Namespace of the default controller. */
  public readonly namespace: string;
  public readonly ready: pulumi.Resource[];
  /** The Contour release, when enabled. */
  public readonly contour?: k8s.helm.v3.Release;
  /** The ingress-nginx release, when enabled. */
  public readonly ingressNginx?: k8s.helm.v3.Release;

  constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:ingress:Ingress", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    const choice = defaultController(s);
    if (!choice.ok) throw new pulumi.ResourceError(choice.message, this);
    this.className = INGRESS_CLASS[choice.controller];
    this.namespace = CHARTS[choice.controller].namespace;
    const placement = (isDefault: boolean): ControllerPlacement => ({ clusterMode: args.clusterMode, isDefault });
    this.ready = [];

    if (s.contour.enabled) {
      const p = placement(s.contour.default);
      const ns = platformNamespace(
        `${name}-contour-ns`,
        // Host ports are outside the baseline Pod Security level; kind's Envoy needs them.
        { name: CHARTS.contour.namespace, podSecurity: bindsKindHostPorts(p) ? "privileged" : "baseline", ingress: CONTOUR_INGRESS },
        this,
      );
      this.contour = platformRelease(
        `${name}-contour`,
        { pin: CHARTS.contour, releaseName: "contour", namespace: ns, values: renderContourValues(p), overrides: s.contour.values, dependsOn: args.network.ready },
        { parent: this },
      );
      this.ready.push(this.contour);
    }

    if (s.ingressNginx.enabled) {
      const p = placement(s.ingressNginx.default);
      const ns = platformNamespace(
        `${name}-ingress-nginx-ns`,
        { name: CHARTS.ingressNginx.namespace, podSecurity: bindsKindHostPorts(p) ? "privileged" : "baseline", ingress: INGRESS_NGINX_INGRESS },
        this,
      );
      this.ingressNginx = platformRelease(
        `${name}-ingress-nginx`,
        {
          pin: CHARTS.ingressNginx,
          releaseName: "ingress-nginx",
          namespace: ns,
          values: renderIngressNginxValues(p),
          overrides: s.ingressNginx.values,
          dependsOn: args.network.ready,
        },
        { parent: this },
      );
      this.ready.push(this.ingressNginx);
    }

    this.registerOutputs({ className: this.className });
  }
}
