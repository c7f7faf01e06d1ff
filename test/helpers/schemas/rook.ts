import { z } from "zod";
import { keySelector, quantity, type KindSchema } from "./meta";

/*
 * Rook v1.20.6 (deploy/examples/crds.yaml): ceph.rook.io/v1 CephObjectStoreUser, and the
 * lib-bucket-provisioner's objectbucket.io/v1alpha1 ObjectBucketClaim that Rook ships.
 * Both strict, except the claim's `additionalConfig` (x-kubernetes-preserve-unknown-fields).
 */

const CAPABILITY = z.enum(["*", "read", "write", "read, write"]);
const CAPABILITIES = [
  "amz-cache", "bilog", "bucket", "buckets", "datalog", "info", "mdlog", "metadata",
  "oidc-provider", "ratelimit", "roles", "usage", "user", "user-policy", "users", "zone",
] as const;

const objectStoreUserSpec = z.strictObject({
  store: z.string().optional(),
  displayName: z.string().optional(),
  clusterNamespace: z.string().optional(),
  accountRef: z.strictObject({ name: z.string().min(1).max(2048).regex(/^[a-zA-Z0-9 ._-]+$/, "must match ^[a-zA-Z0-9 ._-]+$") }).optional(),
  capabilities: z.strictObject(Object.fromEntries(CAPABILITIES.map((c) => [c, CAPABILITY.optional()]))).nullable().optional(),
  keys: z
    .array(z.strictObject({ accessKeyRef: keySelector.optional(), secretKeyRef: keySelector.optional() }))
    .optional(),
  opMask: z.array(z.enum(["read", "write", "delete"])).max(3).optional(),
  quotas: z
    .strictObject({
      maxBuckets: z.int().nullable().optional(),
      maxObjects: z.int().nullable().optional(),
      maxSize: quantity.nullable().optional(),
    })
    .nullable()
    .optional(),
});

const bucketClaimSpec = z.strictObject({
  storageClassName: z.string().optional(),
  bucketName: z.string().optional(),
  generateBucketName: z.string().optional(),
  objectBucketName: z.string().optional(),
  additionalConfig: z.looseObject({}).nullable().optional(),
});

/** The object-storage layer's Ceph RGW kinds. */
export const ROOK_KINDS: KindSchema[] = [
  { apiVersion: "ceph.rook.io/v1", kind: "CephObjectStoreUser", scope: "Namespaced", spec: objectStoreUserSpec, specRequired: true },
  { apiVersion: "objectbucket.io/v1alpha1", kind: "ObjectBucketClaim", scope: "Namespaced", spec: bucketClaimSpec },
];
