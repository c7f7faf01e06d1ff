import type { Values } from "../../lib/merge";
import { ARTIFACTS } from "../catalog";

/*
 * Crossplane v2 packages and provider configs, pure. Checked against the pinned provider
 * releases (provider-upjet-aws v2.6.0, -gcp v3.0.0, -azure v2.7.0): each family provider
 * ships `<cloud>.m.upbound.io/v1beta1` ClusterProviderConfig (cluster-scoped, the v2
 * default config of namespaced managed resources) with `credentials.source: Secret`.
 */

/** A cloud Crossplane can manage. */
export type Cloud = "aws" | "gcp" | "azure";
/** Clouds in a fixed order (resource registration order, outputs). */
export const CLOUDS: readonly Cloud[] = ["aws", "gcp", "azure"];

/** A pinned Crossplane package. */
export interface PackagePin {
  readonly package: string;
  readonly version: string;
}

/**
 * Per cloud: the family provider (owns the ProviderConfig CRDs) and the service
 * providers the GPU node pools need (EC2 + EKS node groups, GKE node pools, AKS node pools).
 */
export const CLOUD_PACKAGES: Record<Cloud, { family: PackagePin; services: PackagePin[]; configApiVersion: string }> = {
  aws: { family: ARTIFACTS.providerFamilyAws, services: [ARTIFACTS.providerAwsEc2, ARTIFACTS.providerAwsEks], configApiVersion: "aws.m.upbound.io/v1beta1" },
  gcp: { family: ARTIFACTS.providerFamilyGcp, services: [ARTIFACTS.providerGcpContainer], configApiVersion: "gcp.m.upbound.io/v1beta1" },
  azure: {
    family: ARTIFACTS.providerFamilyAzure,
    services: [ARTIFACTS.providerAzureContainerservice],
    configApiVersion: "azure.m.upbound.io/v1beta1",
  },
};

/** The composition function every platform Composition pipeline uses. */
export const PATCH_AND_TRANSFORM: PackagePin = ARTIFACTS.functionPatchAndTransform;

/** Name of every ClusterProviderConfig the platform creates (what MRs reference by default). */
export const PROVIDER_CONFIG_NAME = "default";
/** Key of the credentials in each cloud's Secret. */
export const CREDENTIALS_KEY = "credentials";

/** `xpkg.crossplane.io/crossplane-contrib/provider-aws-ec2:v2.6.0`. */
export function packageRef(p: PackagePin): string {
  return `${p.package}:${p.version}`;
}

/**
 * Object name of a package: `crossplane-contrib-provider-aws-ec2`, the name Crossplane's
 * dependency resolver gives a family provider it installs, so the explicit one and the
 * resolved one are the same object.
 */
export function packageObjectName(p: PackagePin): string {
  const parts = p.package.split("/");
  return `${parts[parts.length - 2]}-${parts[parts.length - 1]}`;
}

/** Spec of a `pkg.crossplane.io/v1` Provider or Function. */
export function renderPackageSpec(p: PackagePin): Values {
  return { package: packageRef(p), packagePullPolicy: "IfNotPresent" };
}

/** Cloud settings (`platform:crossplane.providers.<cloud>`). */
export interface CloudSettings {
  enabled: boolean;
  region?: string;
  project?: string;
}

/** Spec of a cloud's ClusterProviderConfig reading credentials from a Secret. */
export function renderProviderConfigSpec(cloud: Cloud, s: CloudSettings, secret: { namespace: string; name: string }): Values {
  const credentials = { source: "Secret", secretRef: { namespace: secret.namespace, name: secret.name, key: CREDENTIALS_KEY } };
  // GCP requires the project on the config; AWS regions and Azure locations are set per
  // managed resource, so their configs carry only the credentials.
  return cloud === "gcp" ? { projectID: s.project, credentials } : { credentials };
}
