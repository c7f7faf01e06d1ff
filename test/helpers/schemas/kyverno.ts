import { z } from "zod";
import { stringMap, type KindSchema } from "./meta";

/*
 * policies.kyverno.io/v1 ValidatingPolicy, Kyverno v1.19.1
 * (config/crds/policies.kyverno.io/policies.kyverno.io_validatingpolicies.yaml). Strict.
 * The CRD leaves `operations` and selector operators plain strings; the values enforced
 * here are admissionregistration/v1's and metav1's, which Kyverno's generated webhook and
 * ValidatingAdmissionPolicy pass to the API server.
 */

const namedExpression = z.strictObject({ name: z.string(), expression: z.string() });

const selector = z.strictObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string(), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()).optional() }))
    .optional(),
});

const resourceRule = z.strictObject({
  apiGroups: z.array(z.string()).optional(),
  apiVersions: z.array(z.string()).optional(),
  operations: z.array(z.enum(["*", "CREATE", "UPDATE", "DELETE", "CONNECT"])).optional(),
  resources: z.array(z.string()).optional(),
  resourceNames: z.array(z.string()).optional(),
  scope: z.string().optional(),
});

const validatingPolicySpec = z.strictObject({
  matchConstraints: z
    .strictObject({
      resourceRules: z.array(resourceRule).optional(),
      excludeResourceRules: z.array(resourceRule).optional(),
      matchPolicy: z.string().optional(),
      namespaceSelector: selector.optional(),
      objectSelector: selector.optional(),
    })
    .optional(),
  matchConditions: z.array(namedExpression).optional(),
  variables: z.array(namedExpression).optional(),
  validations: z
    .array(
      z.strictObject({
        expression: z.string(),
        message: z.string().optional(),
        messageExpression: z.string().optional(),
        reason: z.string().optional(),
      }),
    )
    .optional(),
  validationActions: z.array(z.enum(["Deny", "Audit", "Warn"])).optional(),
  auditAnnotations: z.array(z.strictObject({ key: z.string(), valueExpression: z.string() })).optional(),
  failurePolicy: z.enum(["Ignore", "Fail"]).optional(),
  autogen: z
    .strictObject({
      podControllers: z.strictObject({ controllers: z.array(z.string()).optional() }).optional(),
      validatingAdmissionPolicy: z.strictObject({ enabled: z.boolean().optional() }).optional(),
    })
    .optional(),
  evaluation: z
    .strictObject({
      admission: z.strictObject({ enabled: z.boolean().optional() }).optional(),
      background: z.strictObject({ enabled: z.boolean().optional() }).optional(),
      mode: z.string().optional(),
    })
    .optional(),
  webhookConfiguration: z.strictObject({ timeoutSeconds: z.int().optional() }).optional(),
});

/** The policy layer's Kyverno kind. */
export const KYVERNO_KINDS: KindSchema[] = [
  { apiVersion: "policies.kyverno.io/v1", kind: "ValidatingPolicy", scope: "Cluster", spec: validatingPolicySpec, specRequired: true },
];
