import { z } from "zod";
import { compareQuantities, isQuantity } from "../../../lib/quantity";
import { dnsSubdomain, quantity, untranscribed, validatorFor, type KindSchema, type Validator } from "./meta";

/*
 * CloudNativePG postgresql.cnpg.io/v1 Cluster, operator 1.30.0: the CRD in the
 * cloudnative-pg chart 0.29.0 (templates/crds/crds.yaml, identical to the operator's
 * config/crd/bases/postgresql.cnpg.io_clusters.yaml at v1.30.0). Structural, so `spec` and
 * the transcribed sub-objects are strict. Transcribed: the fields the database layer sets
 * (instances, imageName, storage, bootstrap.initdb, resources, enablePDB); every other spec
 * field the CRD declares is accepted as present, unchecked. The CRD's own CEL rule on spec
 * (imageName and imageCatalogRef exclusive) is checked, and so are the operator's webhook
 * checks on those fields (internal/webhook/v1/cluster_webhook.go): a DNS-1035 name of at most
 * 50 characters, `storage.size` a quantity, initdb database and owner given together, and
 * requests not above limits.
 */

const opaque = z.unknown().optional();

/** Spec fields the CRD declares that the platform does not set: present, not checked. */
const UNTRANSCRIBED_SPEC_FIELDS = [
  "affinity", "backup", "certificates", "description", "enableSuperuserAccess", "env", "envFrom",
  "ephemeralVolumeSource", "ephemeralVolumesSizeLimit", "externalClusters", "failoverDelay",
  "imagePullPolicy", "imagePullSecrets", "inheritedMetadata", "livenessProbeTimeout", "logLevel",
  "managed", "maxSyncReplicas", "minSyncReplicas", "monitoring", "nodeMaintenanceWindow", "plugins",
  "podSecurityContext", "podSelectorRefs", "postgresGID", "postgresUID", "postgresql", "primaryLease",
  "primaryUpdateMethod", "primaryUpdateStrategy", "priorityClassName", "probes", "projectedVolumeTemplate",
  "replica", "replicationSlots", "schedulerName", "seccompProfile", "securityContext", "serviceAccountName",
  "serviceAccountTemplate", "smartShutdownTimeout", "startDelay", "stopDelay", "superuserSecret",
  "switchoverDelay", "tablespaces", "topologySpreadConstraints", "walStorage",
] as const;

const initdb = z
  .strictObject({
    builtinLocale: z.string().optional(),
    dataChecksums: z.boolean().optional(),
    database: z.string().optional(),
    encoding: z.string().optional(),
    icuLocale: z.string().optional(),
    icuRules: z.string().optional(),
    import: untranscribed.optional(),
    locale: z.string().optional(),
    localeCType: z.string().optional(),
    localeCollate: z.string().optional(),
    localeProvider: z.string().optional(),
    options: z.array(z.string()).optional(),
    owner: z.string().optional(),
    postInitApplicationSQL: z.array(z.string()).optional(),
    postInitApplicationSQLRefs: untranscribed.optional(),
    postInitSQL: z.array(z.string()).optional(),
    postInitSQLRefs: untranscribed.optional(),
    postInitTemplateSQL: z.array(z.string()).optional(),
    postInitTemplateSQLRefs: untranscribed.optional(),
    secret: z.strictObject({ name: z.string() }).optional(),
    walSegmentSize: z.int().min(1).max(1024).optional(),
  })
  // CRD x-kubernetes-validations on initdb.
  .refine((i) => i.builtinLocale === undefined || i.localeProvider === "builtin", { message: "builtinLocale is only available when localeProvider is set to `builtin`" })
  .refine((i) => i.icuLocale === undefined || i.localeProvider === "icu", { message: "icuLocale is only available when localeProvider is set to `icu`" })
  .refine((i) => i.icuRules === undefined || i.localeProvider === "icu", { message: "icuRules is only available when localeProvider is set to `icu`" })
  // Webhook validateApplicationDatabase: one without the other is rejected.
  .refine((i) => (i.database ?? "") === "" || (i.owner ?? "") !== "", { path: ["owner"], message: "You need to specify the database owner user (webhook)" })
  .refine((i) => (i.owner ?? "") === "" || (i.database ?? "") !== "", { path: ["database"], message: "You need to specify the database name (webhook)" });

const resourceList = z.record(z.string(), quantity);

const resources = z
  .strictObject({
    claims: z.array(z.strictObject({ name: z.string(), request: z.string().optional() })).optional(),
    limits: resourceList.optional(),
    requests: resourceList.optional(),
  })
  // Webhook validateResources: a cpu or memory request above its limit is rejected.
  .superRefine((r, ctx) => {
    for (const res of ["cpu", "memory"]) {
      const req = r.requests?.[res];
      const lim = r.limits?.[res];
      // Malformed quantities are reported by the field's own schema.
      if (req === undefined || lim === undefined || !isQuantity(String(req)) || !isQuantity(String(lim))) continue;
      if (compareQuantities(String(req), String(lim)) > 0) ctx.addIssue({ code: "custom", path: ["requests", res], message: `${res} request is greater than the limit (webhook)` });
    }
  });

const storage = z.strictObject({
  pvcTemplate: untranscribed.optional(),
  resizeInUseVolumes: z.boolean().optional(),
  // A plain string in the CRD; the webhook (validateStorageConfigurationSize) parses it as a quantity.
  size: z
    .string()
    .refine((s) => isQuantity(s), { message: "Size value isn't valid (webhook: not a quantity)" })
    .optional(),
  storageClass: z.string().optional(),
});

const clusterSpec = z
  .strictObject({
    ...Object.fromEntries(UNTRANSCRIBED_SPEC_FIELDS.map((f) => [f, opaque])),
    instances: z.int().min(1),
    imageName: z.string().optional(),
    imageCatalogRef: z.strictObject({ apiGroup: z.string().optional(), kind: z.string(), major: z.int(), name: z.string() }).optional(),
    enablePDB: z.boolean().optional(),
    storage: storage.optional(),
    bootstrap: z.strictObject({ initdb: initdb.optional(), pg_basebackup: untranscribed.optional(), recovery: untranscribed.optional() }).optional(),
    resources: resources.optional(),
  })
  .refine((s) => !(s.imageCatalogRef !== undefined && s.imageName !== undefined), { message: "imageName and imageCatalogRef are mutually exclusive" })
  // Webhook validateStorageSize: a size, or a storage request in the PVC template.
  .refine((s) => s.storage?.size !== undefined || s.storage?.pvcTemplate !== undefined, { path: ["storage", "size"], message: "Size not configured (webhook)" });

/** The Cluster kind as the CRD declares it (top-level `required: [metadata, spec]`). */
export const CNPG_KINDS: KindSchema[] = [{ apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster", scope: "Namespaced", spec: clusterSpec, specRequired: true }];

const schemaCheck = validatorFor(CNPG_KINDS[0]);
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Problems with a Cluster: the CRD's schema and CEL rules, then the webhook's name check (validateName). */
export const validateCnpgCluster: Validator = (object) => {
  const problems = schemaCheck(object);
  // Without a name Pulumi auto-names the object (`<resource name>-<suffix>`, a DNS-1035 label when the resource name is one).
  const name = object.metadata?.name;
  if (typeof name === "string" && dnsSubdomain.safeParse(name).success && (!DNS1035_LABEL.test(name) || name.length > 50)) {
    problems.push(`postgresql.cnpg.io/v1/Cluster ${name}: data/metadata/name cluster name must be a valid DNS label of at most 50 characters (webhook)`);
  }
  return problems;
};

/** Validators by `<apiVersion>/<kind>`, for `EXTRA_SCHEMAS`. */
export const CNPG_VALIDATORS: [string, Validator][] = [["postgresql.cnpg.io/v1/Cluster", validateCnpgCluster]];

/** A valid Cluster of the shape the database layer emits. */
export const VALID_CLUSTER = {
  apiVersion: "postgresql.cnpg.io/v1",
  kind: "Cluster",
  metadata: { name: "openhands-db", namespace: "openhands", annotations: { "pulumi.com/waitFor": "condition=Ready" } },
  spec: {
    instances: 2,
    imageName: "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-standard-trixie@sha256:91e0de662d53895a45f1396f4ee1a75daeb0c26fc87853afc9c8f43e01fdaa21",
    storage: { size: "20Gi", storageClass: "ceph-block" },
    bootstrap: { initdb: { database: "openhands", owner: "openhands" } },
    resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    enablePDB: true,
  },
};
