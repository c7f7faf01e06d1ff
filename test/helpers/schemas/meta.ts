import { z } from "zod";

/*
 * What every custom resource schema shares: ObjectMeta as the API server validates it
 * (name and label formats from k8s.io/apimachinery's validation package), the resource
 * envelope, the small core types CRDs embed, and the formatting of problems the way the
 * kubernetes-models validators report them (`data/spec/... <message>`).
 */

/** A Kubernetes validator over one whole object: problems, each naming its field path. */
export type Validator = (object: Record<string, any>) => string[];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUANTITY = /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

/** `metadata.name` of most kinds: a DNS-1123 subdomain. */
export const dnsSubdomain = z.string().max(253).regex(DNS_SUBDOMAIN, "must be a lowercase RFC 1123 subdomain");
/** `metadata.namespace`: a DNS-1123 label. */
export const dnsLabel = z.string().max(63).regex(DNS_LABEL, "must be a lowercase RFC 1123 label");

/** A label or annotation key: `[prefix/]name`, prefix a DNS subdomain, name a qualified name. */
const qualifiedName = z.string().superRefine((key, ctx) => {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) ctx.addIssue({ code: "custom", message: "key prefix must be a lowercase RFC 1123 subdomain" });
  if (name.length > 63 || !QUALIFIED_NAME_PART.test(name)) ctx.addIssue({ code: "custom", message: "key name must be 63 characters or less, alphanumeric, '-', '_' or '.'" });
});
const labelValue = z.string().refine((v) => v === "" || (v.length <= 63 && QUALIFIED_NAME_PART.test(v)), "label values must be empty or 63 characters or less, alphanumeric, '-', '_' or '.'");

/** A `string → string` map (labels, annotations, selectors' matchLabels). */
export const stringMap = z.record(z.string(), z.string());

const ownerReference = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});

/** `metadata` of an object, as `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta` declares it. */
export const objectMeta = z.strictObject({
  name: dnsSubdomain.optional(),
  generateName: z.string().optional(),
  namespace: dnsLabel.optional(),
  labels: z.record(qualifiedName, labelValue).optional(),
  annotations: z.record(qualifiedName, z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(ownerReference).optional(),
  // Set by the API server; accepted (and ignored) on input.
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.int().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  deletionGracePeriodSeconds: z.int().optional(),
  managedFields: z.array(z.unknown()).optional(),
  selfLink: z.string().optional(),
});

/** A Kubernetes quantity (`100m`, `1Gi`) or a plain integer. */
export const quantity = z.union([z.int(), z.string().regex(QUANTITY, "must be a Kubernetes quantity")]);

/** A `metav1.LabelSelector`. */
export const labelSelector = z.strictObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(
      z.strictObject({
        key: z.string(),
        operator: z.string(),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});

/** A `corev1.SecretKeySelector` / `ConfigMapKeySelector`. */
export const keySelector = z.strictObject({ key: z.string(), name: z.string().optional(), optional: z.boolean().optional() });

/** Fields of a sub-object the platform sets none of: only its being an object is checked. */
export const untranscribed = z.record(z.string(), z.unknown());

/** A custom resource kind: where it lives, its scope and its spec. */
export interface KindSchema {
  apiVersion: string;
  kind: string;
  scope: "Namespaced" | "Cluster";
  spec: z.ZodType;
  /** The CRD lists `spec` as required. Defaults to false. */
  specRequired?: boolean;
}

/** The whole object's schema: apiVersion, kind, metadata (scope rules), spec, status. */
export function objectSchema(k: KindSchema): z.ZodType {
  const metadata =
    k.scope === "Cluster"
      ? objectMeta.superRefine((m, ctx) => {
          if (m.name === undefined) ctx.addIssue({ code: "custom", path: [], message: "must have required property name (the kind is cluster-scoped)" });
          if (m.namespace !== undefined) ctx.addIssue({ code: "custom", path: ["namespace"], message: "must not be set: the kind is cluster-scoped" });
        })
      : objectMeta;
  return z.strictObject({
    apiVersion: z.literal(k.apiVersion),
    kind: z.literal(k.kind),
    metadata: k.scope === "Cluster" ? metadata : metadata.optional(),
    spec: k.specRequired ? k.spec : k.spec.optional(),
    // Written by controllers; the API server ignores it on create when status is a subresource.
    status: z.unknown().optional(),
  });
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

// Every number these CRDs declare is an integer (z.int() reports "number" for a non-number).
const typeName = (expected: string) => (expected === "int" || expected === "number" ? "integer" : expected);

/** One zod issue as the kubernetes-models validators word it: `data/<path> <message>`. */
export function formatIssue(issue: z.core.$ZodIssue): string[] {
  const at = (path: PropertyKey[]) => ["data", ...path.map(String)].join("/");
  const path = issue.path;
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined && path.length > 0) {
        return [`${at(path.slice(0, -1))} must have required property ${String(path[path.length - 1])}`];
      }
      return [`${at(path)} must be ${typeName(issue.expected)} (got ${describe(issue.input)})`];
    case "unrecognized_keys":
      return issue.keys.map((k) => `${at(path)} must NOT have additional property ${k}`);
    case "invalid_value":
      return [`${at(path)} must be equal to one of the allowed values: ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`];
    case "invalid_union":
      return [`${at(path)} must be ${issue.errors.map((branch) => branch.map((e) => (e.code === "invalid_type" ? typeName(e.expected) : e.message)).join(" and ")).join(" or ")}`];
    case "invalid_key":
      return issue.issues.map((i) => `${at(path)} ${i.message}`);
    case "invalid_element":
      return issue.issues.map((i) => `${at([...path, issue.key as PropertyKey])} ${i.message}`);
    default:
      return [`${at(path)} ${issue.message}`];
  }
}

/** A validator for one kind: problems prefixed `<apiVersion>/<kind> <metadata.name>:`. */
export function validatorFor(k: KindSchema): Validator {
  const schema = objectSchema(k);
  return (object) => {
    const result = schema.safeParse(object, { reportInput: true });
    if (result.success) return [];
    const prefix = `${k.apiVersion}/${k.kind} ${object.metadata?.name ?? "?"}:`;
    return result.error.issues.flatMap(formatIssue).map((p) => `${prefix} ${p}`);
  };
}
