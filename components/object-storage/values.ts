import type { Values } from "../../lib/merge";

/*
 * Pure renderers for the object-storage layer, checked against the pinned charts
 * (MinIO operator/tenant 7.1.1) and Rook v1.20.6's ObjectBucketClaim and
 * CephObjectStoreUser APIs.
 */

/** MinIO settings, as validated config gives them (`platform:objectStorage.minio`). */
export interface MinioSettings {
  enabled: boolean;
  servers: number;
  volumesPerServer: number;
  volumeSize: string;
  storageClass?: string;
  buckets: string[];
  /** Requests of each MinIO server container. Defaults to none. */
  requests?: { cpu: string; memory: string };
  values: Values;
  /** Extra values for the operator chart. Defaults to none. */
  operatorValues?: Values;
}

/** Ceph RGW settings (`platform:objectStorage.cephRgw`). */
export interface CephRgwSettings {
  enabled: boolean;
  buckets: string[];
}

/** Object storage settings (`platform:objectStorage`). */
export interface ObjectStorageSettings {
  minio: MinioSettings;
  cephRgw: CephRgwSettings;
}

/** Name of the MinIO Tenant (one per namespace; the operator names its S3 Service `minio`). */
export const MINIO_TENANT = "platform";
/** Secret holding the tenant's root credentials as the `config.env` MinIO reads. */
export const MINIO_CONFIG_SECRET = "platform-minio-root";
/** The RGW user whose keys the platform hands out; owns every platform bucket. */
export const RGW_USER = "platform";
/** Secret holding the RGW user's keys (created by the platform, read by Rook). */
export const RGW_KEYS_SECRET = "platform-rgw-keys";

/** The in-cluster S3 URL of a MinIO tenant: the operator's `minio` Service, plain HTTP on 80. */
export function minioEndpoint(namespace: string): string {
  return `http://minio.${namespace}.svc:80`;
}

// The pools list replaces the chart's default pool entirely, so the chart's non-root
// non-root security contexts are restated here.
const POOL_SECURITY = {
  securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch", runAsNonRoot: true },
  containerSecurityContext: {
    runAsUser: 1000,
    runAsGroup: 1000,
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  },
};

/** Values of the MinIO `operator` chart. */
export function renderMinioOperatorValues(): Values {
  return {};
}

/**
 * Values of the MinIO `tenant` chart. Credentials are never values: `configSecret`
 * names a Secret the platform creates (`existingSecret`), and the chart's sample
 * `minio`/`minio123` keys are blanked so they cannot end up in the release.
 */
export function renderMinioTenantValues(s: MinioSettings, storageClass: string): Values {
  return {
    tenant: {
      name: MINIO_TENANT,
      configSecret: { name: MINIO_CONFIG_SECRET, existingSecret: true, accessKey: "", secretKey: "" },
      pools: [
        {
          name: "pool-0",
          servers: s.servers,
          volumesPerServer: s.volumesPerServer,
          size: s.volumeSize,
          storageClassName: s.storageClass ?? storageClass,
          ...(s.requests ? { resources: { requests: { ...s.requests } } } : {}),
          ...POOL_SECURITY,
        },
      ],
      buckets: s.buckets.map((name) => ({ name })),
      // In-cluster clients reach MinIO over plain HTTP on the `minio` Service; the
      // operator's auto-certificates are signed by the cluster CA, which clients
      // (Loki, agents) would have to be taught to trust.
      certificate: { requestAutoCert: false },
    },
  };
}

/** The `config.env` the tenant reads its root user from. */
export function minioConfigEnv(accessKey: string, secretKey: string): string {
  return `export MINIO_ROOT_USER="${accessKey}"\nexport MINIO_ROOT_PASSWORD="${secretKey}"\n`;
}

/** Spec of the CephObjectStoreUser whose keys come from {@link RGW_KEYS_SECRET}. */
export function renderRgwUserSpec(store: string): Values {
  return {
    store,
    displayName: "agent platform",
    keys: [
      {
        accessKeyRef: { name: RGW_KEYS_SECRET, key: "access-key" },
        secretKeyRef: { name: RGW_KEYS_SECRET, key: "secret-key" },
      },
    ],
  };
}

/** Spec of the ObjectBucketClaim for one bucket, owned by {@link RGW_USER}. */
export function renderBucketClaimSpec(bucket: string, storageClass: string): Values {
  return {
    bucketName: bucket,
    storageClassName: storageClass,
    // The claim's generated per-bucket user still exists; owning the bucket lets the
    // platform's one key pair reach all buckets.
    additionalConfig: { bucketOwner: RGW_USER },
  };
}
