import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import { CHARTS } from "../catalog";
import type { ClusterLayer, CrossplaneLayer, NetworkLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow } from "../namespace-ingress";
import { WAIT_HEALTHY } from "../platform-names";
import {
  CLOUD_PACKAGES,
  CLOUDS,
  CREDENTIALS_KEY,
  PATCH_AND_TRANSFORM,
  PROVIDER_CONFIG_NAME,
  packageObjectName,
  renderPackageSpec,
  renderProviderConfigSpec,
  type Cloud,
  type CloudSettings,
  type PackagePin,
} from "./packages";
import type { PlatformConfig } from "../../config/schema";

export * from "./packages";

/** Crossplane settings, as validated config gives them. */
export interface CrossplaneSettings {
  enabled: boolean;
  providers: Record<Cloud, CloudSettings>;
  values: Values;
}

/** Whether the stack runs Crossplane (`crossplane.enabled`). */
export function enabled(c: PlatformConfig): boolean {
  return c.crossplane.enabled;
}

/** Arguments of {@link Crossplane}. */
export interface CrossplaneArgs {
  cluster: ClusterLayer;
  /** Crossplane and its providers are pods: they wait for the CNI. */
  network: NetworkLayer;
  settings: CrossplaneSettings;
  /**
   * Credentials per enabled cloud, as Pulumi secrets: the AWS shared-credentials file, the
   * GCP service-account key JSON, the Azure service-principal JSON (`--sdk-auth` form).
   */
  credentials: Partial<Record<Cloud, pulumi.Output<string>>>;
}

// Package revisions pull images and start a controller; large family providers can
// take minutes to install their CRDs.
const PACKAGE_TIMEOUTS = { create: "15m", update: "15m" };

/**
 * Crossplane v2 with a family provider and the service providers the GPU node pools use,
 * per enabled cloud, plus function-patch-and-transform for Composition pipelines.
 *
 * Order per cloud: chart -> family Provider -> service Providers -> ClusterProviderConfig.
 * A ProviderConfig kind exists only once its (family) Provider is Healthy, and a custom
 * resource gets no readiness await from Pulumi by default, so every package carries
 * `pulumi.com/waitFor: condition=Healthy` (pulumi-kubernetes >= 4.18) and the configs
 * depend on them. No DeploymentRuntimeConfig: the default runtime suits the providers,
 * and `ControllerConfig` no longer exists in v2.
 */
export class Crossplane extends pulumi.ComponentResource implements CrossplaneLayer {
  /** Name of the ClusterProviderConfig per enabled cloud, for managed resources. */
  public readonly providerConfigs: Partial<Record<Cloud, string>>;
  /** Crossplane, the function and every provider config ready. */
  public readonly ready: pulumi.Resource[];
  /** The Crossplane release alone: what XRDs and Compositions wait for. */
  public readonly core: pulumi.Resource[];
  /** The family Provider per enabled cloud. */
  public readonly families: Partial<Record<Cloud, pulumi.Resource>> = {};

  constructor(name: string, args: CrossplaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:crossplane:Crossplane", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const pin = CHARTS.crossplane;
    const namespace = pin.namespace;
    // Crossplane's and the providers' containers run non-root but set no seccomp profile: baseline.
    // Crossplane (`app: crossplane`) serves its webhooks on 9443, and so does every provider
    // (the conversion webhooks of its CRDs, called by the API server); functions serve gRPC on
    // 9443 to Crossplane, in the namespace.
    const ingress = {
      flows: [
        apiServerFlow("webhooks", { app: "crossplane" }, [9443], "The API server calls Crossplane's validating and conversion webhooks."),
        {
          name: "provider-webhooks",
          to: { matchExpressions: [{ key: "pkg.crossplane.io/provider", operator: "Exists" as const }] },
          from: "any" as const,
          ports: [{ protocol: "TCP" as const, port: 9443 }],
          why: "The API server calls each provider's conversion webhooks for its managed resources' CRDs.",
        },
      ],
    };
    const ns = platformNamespace(`${name}-ns`, { name: namespace, podSecurity: "baseline", ingress }, this);
    const release = platformRelease(
      `${name}-crossplane`,
      { pin, releaseName: "crossplane", namespace: ns, values: {}, overrides: args.settings.values, dependsOn: args.network.ready },
      { parent: this },
    );

    const pkg = (kind: "Provider" | "Function", p: PackagePin, dependsOn: pulumi.Resource[]) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${packageObjectName(p)}`,
        {
          apiVersion: "pkg.crossplane.io/v1",
          kind,
          metadata: { name: packageObjectName(p), annotations: WAIT_HEALTHY },
          spec: renderPackageSpec(p),
        },
        { parent: this, dependsOn, customTimeouts: PACKAGE_TIMEOUTS },
      );

    const fn = pkg("Function", PATCH_AND_TRANSFORM, [release]);
    this.providerConfigs = {};
    this.ready = [release, fn];
    this.core = [release];

    for (const cloud of CLOUDS) {
      const s = args.settings.providers[cloud];
      if (!s.enabled) continue;
      const credentials = args.credentials[cloud];
      if (credentials === undefined) {
        throw new pulumi.ResourceError(`Crossplane args.credentials.${cloud}: missing; args.settings.providers.${cloud} is enabled and its provider needs credentials`, this);
      }
      if (cloud === "gcp" && s.project === undefined) {
        throw new pulumi.ResourceError(`Crossplane args.settings.providers.gcp.project: missing; the GCP provider config needs a project id`, this);
      }
      const packages = CLOUD_PACKAGES[cloud];
      const family = pkg("Provider", packages.family, [release]);
      this.families[cloud] = family;
      // Installed after the family so Crossplane's resolver finds it instead of adding its own.
      const services = packages.services.map((p) => pkg("Provider", p, [family]));
      const secret = new k8s.core.v1.Secret(
        `${name}-${cloud}-credentials`,
        {
          metadata: { name: `${cloud}-credentials`, namespace: ns.metadata.name },
          type: "Opaque",
          stringData: { [CREDENTIALS_KEY]: pulumi.secret(credentials) },
        },
        { parent: this },
      );
      const config = new k8s.apiextensions.CustomResource(
        `${name}-${cloud}-provider-config`,
        {
          apiVersion: packages.configApiVersion,
          kind: "ClusterProviderConfig",
          metadata: { name: PROVIDER_CONFIG_NAME },
          spec: renderProviderConfigSpec(cloud, s, { namespace, name: `${cloud}-credentials` }),
        },
        // The kind is served only once the family provider is Healthy.
        { parent: this, dependsOn: [family, ...services, secret] },
      );
      this.providerConfigs[cloud] = PROVIDER_CONFIG_NAME;
      this.ready.push(config);
    }
    this.registerOutputs({ providerConfigs: this.providerConfigs });
  }
}
