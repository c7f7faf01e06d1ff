import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { CHARTS } from "../catalog";
import type { ClusterLayer, NetworkLayer, StorageLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { waitFor } from "../platform-names";
import {
  MINIO_CONFIG_SECRET,
  minioConfigEnv,
  minioEndpoint,
  RGW_KEYS_SECRET,
  RGW_USER,
  renderBucketClaimSpec,
  renderMinioOperatorValues,
  renderMinioTenantValues,
  renderRgwUserSpec,
  type ObjectStorageSettings,
} from "./values";
import type { PlatformConfig } from "../../config/schema";

export * from "./values";

/** S3 credentials of the platform's object store. */
export interface S3Credentials {
  accessKey: string;
  secretKey: string;
}

/** Whether the stack serves object storage: MinIO, or Ceph's gateway in the Rook cluster. */
export function enabled(c: PlatformConfig): boolean {
  return c.objectStorage.minio.enabled || c.objectStorage.cephRgw.enabled;
}

/** Whether that is MinIO (its operator and tenant charts). */
export function minioEnabled(c: PlatformConfig): boolean {
  return c.objectStorage.minio.enabled;
}

/** Arguments of {@link ObjectStorage}. */
export interface ObjectStorageArgs {
  cluster: ClusterLayer;
  /** The MinIO operator is a pod: it waits for the CNI. */
  network: NetworkLayer;
  /** Volumes for MinIO, or the Ceph object store for RGW. */
  storage: StorageLayer;
  settings: ObjectStorageSettings;
  /**
   * Keep the data (prod). Defaults to false (dev: a destroy removes everything). When set,
   * `protect` is on everything a destroy or a rename would lose data or access with: the
   * generated keys, the Secret that hands them to RGW or MinIO, the CephObjectStoreUser
   * (deleting it deletes the RGW user that owns the platform's buckets), every
   * ObjectBucketClaim and the MinIO tenant release; MinIO's tenant namespace is
   * `retainOnDelete`. The `ceph-bucket` class keeps a deleted claim's bucket (storage
   * layer, same flag); Ceph's own namespace is the storage layer's.
   */
  protectData?: boolean;
}

/** The generated keys, as Pulumi secrets. */
interface GeneratedKeys {
  accessKey: pulumi.Output<string>;
  secretKey: pulumi.Output<string>;
}

/** What a backend serves. */
interface Served {
  buckets: string[];
  endpoint: pulumi.Output<string>;
  ready: pulumi.Resource[];
}

/**
 * The platform's one S3 endpoint: a MinIO tenant (operator, then tenant) or buckets in
 * Rook-Ceph's object gateway (RGW). Either way the root/owner keys are generated with
 * @pulumi/random and reach the cluster only as a Secret the platform creates.
 *
 * MinIO community edition is archived upstream (2026): operator 7.1.1 is the last chart
 * and its images live only on quay.io. Prefer `cephRgw` where Rook-Ceph runs.
 */
export class ObjectStorage extends pulumi.ComponentResource {
  /** Which backend serves S3. */
  public readonly backend: "minio" | "cephRgw";
  /** In-cluster S3 URL. */
  public readonly s3Endpoint: pulumi.Output<string>;
  /** Access and secret key with access to every platform bucket (secret). */
  public readonly credentials: pulumi.Output<S3Credentials>;
  /** Buckets the layer creates. */
  public readonly buckets: string[];
  /** What a dependent waits for: the tenant release, or the bucket claims. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: ObjectStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:objectStorage:ObjectStorage", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const { minio, cephRgw } = args.settings;
    if (minio.enabled === cephRgw.enabled) {
      throw new pulumi.ResourceError(
        `ObjectStorage args.settings: minio.enabled is ${minio.enabled} and cephRgw.enabled is ${cephRgw.enabled}; enable exactly one (the platform exposes one S3 endpoint)`,
        this,
      );
    }
    this.backend = minio.enabled ? "minio" : "cephRgw";
    const protect = args.protectData ?? false;

    // Alphanumeric only: the MinIO keys are written into a shell-style config.env. Protected
    // in prod: regenerated keys would replace the user's (Rook keeps exactly the listed keys)
    // and lock every client out.
    const accessKey = new random.RandomPassword(`${name}-access-key`, { length: 20, special: false }, { parent: this, protect });
    const secretKey = new random.RandomPassword(`${name}-secret-key`, { length: 40, special: false }, { parent: this, protect });
    this.credentials = pulumi.secret(
      pulumi.all([accessKey.result, secretKey.result]).apply(([a, s]): S3Credentials => ({ accessKey: a, secretKey: s })),
    );

    const keys = { accessKey: accessKey.result, secretKey: secretKey.result };
    const served = this.backend === "minio" ? this.minio(name, args, keys) : this.cephRgw(name, args, keys);
    this.buckets = served.buckets;
    this.s3Endpoint = served.endpoint;
    this.ready = served.ready;

    this.registerOutputs({ backend: this.backend, s3Endpoint: this.s3Endpoint, credentials: this.credentials, buckets: this.buckets });
  }

  /**
   * MinIO: its operator, then a tenant whose root keys are the generated ones (a Secret the
   * platform creates), in a baseline namespace (the operator adds its own sidecar and init
   * container to tenant pods). The operator's namespace admits no one: the platform's buckets
   * use static keys, not the operator's STS API.
   */
  private minio(name: string, args: ObjectStorageArgs, keys: GeneratedKeys): Served {
    const minio = args.settings.minio;
    const protect = args.protectData ?? false;
    const operatorNs = platformNamespace(`${name}-operator-ns`, { name: CHARTS.minioOperator.namespace, podSecurity: "restricted", ingress: {} }, this);
    const operator = platformRelease(
      `${name}-operator`,
      { pin: CHARTS.minioOperator, releaseName: "minio-operator", namespace: operatorNs, values: renderMinioOperatorValues(), overrides: minio.operatorValues, dependsOn: args.network.ready },
      { parent: this },
    );
    const tenantNs = platformNamespace(
      `${name}-tenant-ns`,
      {
        name: CHARTS.minioTenant.namespace,
        podSecurity: "baseline",
        ingress: {
          flows: [
            {
              name: "s3",
              to: { matchExpressions: [{ key: "v1.min.io/tenant", operator: "Exists" }] },
              from: "any",
              ports: [{ protocol: "TCP", port: 9000 }],
              why: "Buckets' users and the MinIO operator call the tenant's S3 API.",
            },
          ],
        },
      },
      this,
      { retainOnDelete: protect },
    );
    const rootConfig = new k8s.core.v1.Secret(
      `${name}-root`,
      {
        metadata: { name: MINIO_CONFIG_SECRET, namespace: tenantNs.metadata.name },
        type: "Opaque",
        stringData: { "config.env": pulumi.secret(pulumi.all([keys.accessKey, keys.secretKey]).apply(([a, s]) => minioConfigEnv(a, s))) },
      },
      { parent: this, protect },
    );
    const tenant = platformRelease(
      `${name}-tenant`,
      {
        pin: CHARTS.minioTenant,
        releaseName: "minio-tenant",
        namespace: tenantNs,
        values: renderMinioTenantValues(minio, args.storage.defaultStorageClass),
        overrides: minio.values,
        // The Tenant CRD comes with the operator; the pool's PVCs need the StorageClass.
        dependsOn: [operator, rootConfig, ...args.storage.ready],
      },
      // Holds the Tenant: uninstalling the release deletes MinIO's pools.
      { parent: this, protect },
    );
    return { buckets: minio.buckets, endpoint: pulumi.output(minioEndpoint(CHARTS.minioTenant.namespace)), ready: [tenant] };
  }

  /** Ceph's gateway in the Rook cluster: a user with the generated keys, and one bucket claim per bucket owned by it. */
  private cephRgw(name: string, args: ObjectStorageArgs, keys: GeneratedKeys): Served {
    const cephRgw = args.settings.cephRgw;
    const protect = args.protectData ?? false;
    const store = args.storage.cephObjectStore;
    if (!store) {
      throw new pulumi.ResourceError(
        `ObjectStorage args.storage.cephObjectStore: missing, but args.settings.cephRgw.enabled is true; build Storage with Rook-Ceph and objectStore: true`,
        this,
      );
    }
    const secret = new k8s.core.v1.Secret(
      `${name}-rgw-keys`,
      {
        metadata: { name: RGW_KEYS_SECRET, namespace: store.namespace },
        type: "Opaque",
        stringData: { "access-key": keys.accessKey, "secret-key": keys.secretKey },
      },
      { parent: this, protect },
    );
    const user = new k8s.apiextensions.CustomResource(
      `${name}-rgw-user`,
      {
        apiVersion: "ceph.rook.io/v1",
        kind: "CephObjectStoreUser",
        // A custom resource gets no readiness await by default: wait for Rook's phase.
        metadata: { name: RGW_USER, namespace: store.namespace, annotations: waitFor("jsonpath={.status.phase}=Ready") },
        spec: renderRgwUserSpec(store.name),
      },
      // Rook creates the user only once the Ceph cluster and its gateway are up.
      { parent: this, dependsOn: [secret, ...args.storage.ready], customTimeouts: { create: "30m", update: "30m" }, protect },
    );
    const claims = cephRgw.buckets.map(
      (bucket) =>
        new k8s.apiextensions.CustomResource(
          `${name}-bucket-${bucket}`,
          {
            apiVersion: "objectbucket.io/v1alpha1",
            kind: "ObjectBucketClaim",
            metadata: { name: bucket, namespace: store.namespace, annotations: waitFor("jsonpath={.status.phase}=Bound") },
            spec: renderBucketClaimSpec(bucket, store.bucketStorageClass),
          },
          // bucketOwner names the user: it must exist before the bucket is linked to it.
          { parent: this, dependsOn: [user], protect },
        ),
    );
    return { buckets: cephRgw.buckets, endpoint: pulumi.output(store.endpoint), ready: [user, ...claims] };
  }
}
