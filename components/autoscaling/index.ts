import * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import { CHARTS } from "../catalog";
import type { AutoscalingLayer, ClusterLayer, NetworkLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow, type NamespaceIngress } from "../namespace-ingress";
import type { PlatformConfig } from "../../config/schema";

/** KEDA settings, as validated config gives them (`platform:autoscaling.keda`). */
export interface AutoscalingSettings {
  enabled: boolean;
  /** Install the HTTP add-on (request-based scaling, including scale to zero). */
  httpAddon: boolean;
  values: Values;
  /** Extra values for the HTTP add-on chart. Defaults to none. */
  httpAddonValues?: Values;
}

/** Values of the `keda` chart (2.20.2). */
export function renderKedaValues(): Values {
  return {
    crds: { install: true },
    // KEDA's metrics server registers v1beta1.external.metrics.k8s.io, and a cluster has
    // exactly one APIService per group/version: KEDA owns it. Nothing else in the platform
    // (no prometheus-adapter, no Datadog/other adapters) may register external metrics.
    metricsServer: { enabled: true },
  };
}

/** Values of the `keda-add-ons-http` chart (0.15.0). */
export function renderHttpAddonValues(): Values {
  // The images are pinned by the chart's appVersion; the chart's `Always` pull policy
  // would re-pull an immutable tag on every restart.
  return {
    crds: { install: true },
    operator: { pullPolicy: "IfNotPresent" },
    scaler: { pullPolicy: "IfNotPresent" },
    interceptor: { pullPolicy: "IfNotPresent" },
  };
}

/** Whether the stack runs KEDA (`autoscaling.keda.enabled`). */
export function enabled(c: PlatformConfig): boolean {
  return c.autoscaling.keda.enabled;
}

/** Whether it also runs KEDA's HTTP add-on. */
export function httpAddonEnabled(c: PlatformConfig): boolean {
  return enabled(c) && c.autoscaling.keda.httpAddon;
}

/**
 * Who reaches KEDA's namespace (keda 2.20, keda-add-ons-http 0.15): the API server calls the
 * admission webhooks (9443) and the external metrics API (the metrics server's 6443, behind
 * the `v1beta1.external.metrics.k8s.io` APIService). Everything else is between KEDA's own
 * pods (the metrics server calls the operator's gRPC 9666; the operator calls the add-on's
 * external scaler 9090, which reads the interceptor's admin port 9090). The add-on's
 * interceptor proxy (8080) admits no one from outside: no client of the platform sends
 * traffic through it (fleets are reached at their own Services).
 */
export const KEDA_INGRESS: NamespaceIngress = {
  flows: [
    apiServerFlow("admission-webhooks", { app: "keda-admission-webhooks" }, [9443], "The API server calls KEDA's validating webhooks for ScaledObjects, ScaledJobs and trigger authentications."),
    apiServerFlow("external-metrics", { app: "keda-operator-metrics-apiserver" }, [6443], "The API server proxies the external metrics API (HPAs read KEDA's metrics) to the metrics server."),
  ],
};

/** Arguments of {@link Autoscaling}. */
export interface AutoscalingArgs {
  cluster: ClusterLayer;
  /** KEDA's pods wait for the CNI. */
  network: NetworkLayer;
  settings: AutoscalingSettings;
}

/**
 * KEDA (event-driven autoscaling, the external metrics API) and, when enabled, its HTTP
 * add-on (request-based scaling with scale to zero, beta). The add-on's operator creates
 * ScaledObjects, so it installs after KEDA's CRDs exist.
 */
export class Autoscaling extends pulumi.ComponentResource implements AutoscalingLayer {
  /** Whether the HTTP add-on (HTTPScaledObject) is installed. */
  public readonly httpAddon: boolean;
  /** KEDA serving (its CRDs, operator and webhook): ScaledObjects can be created after these. */
  public readonly scaledObjects: pulumi.Resource[];
  /** KEDA and the HTTP add-on serving: HTTPScaledObjects can be created after these; empty without the add-on. */
  public readonly httpScaledObjects: pulumi.Resource[];
  /** KEDA and, when installed, the add-on. */
  public readonly ready: pulumi.Resource[];
  /** KEDA's namespace (its operator queries Prometheus for Prometheus triggers). */
  public readonly namespace: string;

  constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:autoscaling:Autoscaling", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const pin = CHARTS.keda;
    this.namespace = pin.namespace;
    // KEDA's own pods would pass restricted, but the HTTP add-on's do not set
    // runAsNonRoot or a seccomp profile: baseline for the shared namespace.
    const ns = platformNamespace(`${name}-ns`, { name: pin.namespace, podSecurity: "baseline", ingress: KEDA_INGRESS }, this);
    const keda = platformRelease(
      `${name}-keda`,
      { pin, releaseName: "keda", namespace: ns, values: renderKedaValues(), overrides: args.settings.values, dependsOn: args.network.ready },
      { parent: this },
    );
    this.httpAddon = args.settings.httpAddon;
    this.ready = [keda];
    this.scaledObjects = [keda];
    this.httpScaledObjects = [];
    if (this.httpAddon) {
      const addon = platformRelease(
        `${name}-http-addon`,
        // The add-on's ScaledObjects need KEDA's CRDs and its external scaler is called by KEDA.
        { pin: CHARTS.kedaHttpAddon, releaseName: "keda-add-ons-http", namespace: ns, values: renderHttpAddonValues(), overrides: args.settings.httpAddonValues, dependsOn: [keda] },
        { parent: this },
      );
      this.ready.push(addon);
      this.httpScaledObjects = [keda, addon];
    }
    this.registerOutputs({ httpAddon: this.httpAddon });
  }
}
