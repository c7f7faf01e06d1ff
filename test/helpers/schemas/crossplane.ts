import { z } from "zod";
import { stringMap, type KindSchema } from "./meta";

/*
 * Crossplane v2 packages (pkg.crossplane.io/v1 Provider and Function; crossplane
 * cluster/crds/pkg.crossplane.io_{providers,functions}.yaml, v2.4) and the family
 * providers' ClusterProviderConfig, the cluster-scoped default config of v2's namespaced
 * managed resources (package/crds/<cloud>.m.upbound.io_clusterproviderconfigs.yaml of
 * provider-upjet-aws v2.6.0, -gcp v3.0.0, -azure v2.7.0). All strict upstream.
 */

// The CRD's CEL rule on spec.package: a registry host with a dot, a path, and a tag or digest.
const PACKAGE = /^[^./]+(\.[^./]+)+(\/[^/:@]+)+(:[^:@]+(@sha256.+)?|@sha256.+)$/;

const packageSpec = z.strictObject({
  package: z.string().regex(PACKAGE, "must be a fully qualified package reference (registry/org/name:tag or @sha256:...)"),
  packagePullPolicy: z.string().optional(),
  packagePullSecrets: z.array(z.strictObject({ name: z.string().optional() })).optional(),
  revisionActivationPolicy: z.string().optional(),
  revisionHistoryLimit: z.int().optional(),
  ignoreCrossplaneConstraints: z.boolean().optional(),
  skipDependencyResolution: z.boolean().optional(),
  commonLabels: stringMap.optional(),
  commonAnnotations: stringMap.optional(),
  runtimeConfigRef: z.strictObject({ name: z.string(), apiVersion: z.string().optional(), kind: z.string().optional() }).optional(),
});

const secretRef = z.strictObject({ namespace: z.string(), name: z.string(), key: z.string() });
const credentialFields = {
  secretRef: secretRef.optional(),
  env: z.strictObject({ name: z.string() }).optional(),
  fs: z.strictObject({ path: z.string() }).optional(),
};
const duration = z.string();
const reconciliationPolicy = z.strictObject({
  exponentialFailureRateLimiter: z.strictObject({ baseDelay: duration.optional(), maxDelay: duration.optional() }).optional(),
});
const webIdentity = z.strictObject({
  roleARN: z.string().optional(),
  roleSessionName: z.string().optional(),
  tokenConfig: z
    .strictObject({ source: z.enum(["Secret", "Filesystem"]), secretRef: secretRef.optional(), fs: z.strictObject({ path: z.string() }).optional() })
    .optional(),
});

const awsSpec = z.strictObject({
  credentials: z.strictObject({
    source: z.enum(["None", "Secret", "IRSA", "WebIdentity", "PodIdentity", "Upbound"]),
    ...credentialFields,
    webIdentity: webIdentity.optional(),
    upbound: z.strictObject({ webIdentity: webIdentity.optional() }).optional(),
  }),
  assumeRoleChain: z
    .array(
      z.strictObject({
        roleARN: z.string().optional(),
        externalID: z.string().optional(),
        tags: z.array(z.strictObject({ key: z.string(), value: z.string() })).optional(),
        transitiveTagKeys: z.array(z.string()).optional(),
      }),
    )
    .optional(),
  endpoint: z
    .strictObject({
      url: z.strictObject({
        type: z.enum(["Static", "Dynamic", "Auto"]),
        static: z.string().optional(),
        dynamic: z.strictObject({ host: z.string(), protocol: z.enum(["http", "https"]) }).optional(),
      }),
      hostnameImmutable: z.boolean().optional(),
      partitionId: z.string().optional(),
      services: z.array(z.string()).optional(),
      signingMethod: z.string().optional(),
      signingName: z.string().optional(),
      signingRegion: z.string().optional(),
      source: z.enum(["ServiceMetadata", "Custom"]).optional(),
    })
    .optional(),
  reconciliationPolicy: reconciliationPolicy.optional(),
  s3_use_path_style: z.boolean().optional(),
  skip_credentials_validation: z.boolean().optional(),
  skip_metadata_api_check: z.boolean().optional(),
  skip_region_validation: z.boolean().optional(),
  skip_requesting_account_id: z.boolean().optional(),
});

const gcpSpec = z.strictObject({
  projectID: z.string(),
  credentials: z.strictObject({
    source: z.enum(["None", "Secret", "AccessToken", "ImpersonateServiceAccount", "InjectedIdentity", "Environment", "Filesystem", "Upbound"]),
    ...credentialFields,
    impersonateServiceAccount: z.strictObject({ name: z.string() }).optional(),
    upbound: z.strictObject({ federation: z.strictObject({ providerID: z.string().min(1), serviceAccount: z.string().min(1) }).optional() }).optional(),
  }),
  billingProject: z.string().optional(),
  reconciliationPolicy: reconciliationPolicy.optional(),
  userProjectOverride: z.boolean().optional(),
});

const azureSpec = z.strictObject({
  credentials: z.strictObject({
    source: z.enum(["None", "Secret", "UserAssignedManagedIdentity", "SystemAssignedManagedIdentity", "OIDCTokenFile", "Upbound", "Filesystem"]),
    ...credentialFields,
  }),
  clientID: z.string().optional(),
  environment: z.string().optional(),
  features: z.strictObject({ postgreSQLFlexibleServer: z.strictObject({ restartServerOnConfigurationValueChange: z.boolean().optional() }).optional() }).optional(),
  msiEndpoint: z.string().optional(),
  oidcTokenFilePath: z.string().optional(),
  reconciliationPolicy: reconciliationPolicy.optional(),
  storageUseAzureAD: z.boolean().optional(),
  subscriptionID: z.string().optional(),
  tenantID: z.string().optional(),
});

/** Crossplane packages and the three clouds' ClusterProviderConfigs. */
export const CROSSPLANE_KINDS: KindSchema[] = [
  { apiVersion: "pkg.crossplane.io/v1", kind: "Provider", scope: "Cluster", spec: packageSpec },
  { apiVersion: "pkg.crossplane.io/v1", kind: "Function", scope: "Cluster", spec: packageSpec },
  { apiVersion: "aws.m.upbound.io/v1beta1", kind: "ClusterProviderConfig", scope: "Cluster", spec: awsSpec, specRequired: true },
  { apiVersion: "gcp.m.upbound.io/v1beta1", kind: "ClusterProviderConfig", scope: "Cluster", spec: gcpSpec, specRequired: true },
  { apiVersion: "azure.m.upbound.io/v1beta1", kind: "ClusterProviderConfig", scope: "Cluster", spec: azureSpec, specRequired: true },
];
