import { z } from "zod";
import { isQuantity } from "../../lib/quantity";

/* Building blocks every section uses: names, domains, quantities, labels, images. */

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
export const EMAIL = /^[^@\s]+@[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/i;
export const IMAGE_TAG = /^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?$/;

/** A DNS-1123 label (namespace, cluster or object name): lowercase, digits and `-`, at most 63. */
export const dnsLabel = z
  .string()
  .max(63, { message: "must be at most 63 characters" })
  .regex(DNS_LABEL, { message: "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending alphanumeric" });

/** A DNS name such as `agents.example.org` or `localhost`. */
export const domainName = z
  .string()
  .regex(DNS_NAME, { message: "must be a lowercase DNS name such as agents.example.org (no scheme, port, wildcard or trailing dot)" });

/** A Kubernetes resource quantity such as `100Gi` or `500m`. */
export const quantity = z
  .string()
  .refine(isQuantity, { message: "must be a Kubernetes quantity such as 100Gi, 512Mi, 500m or 2" });

/** Kubernetes labels: valid keys and values. */
export const labels = z.record(
  z.string().regex(LABEL_KEY, { message: "must be a label key: [prefix/]name, name at most 63 of [A-Za-z0-9-_.]" }),
  z.string().regex(LABEL_VALUE, { message: "must be a label value: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends" }),
);

/** A pinned container image reference; `latest` and untagged images are refused. */
export const pinnedImage = z
  .string()
  .regex(IMAGE_TAG, { message: "must be a pinned image reference repository:tag (optionally @sha256:digest)" })
  .refine((s) => !/:latest(@|$)/.test(s), { message: "must not use the 'latest' tag: pin a version" });

/** A toleration as the Kubernetes API spells it. */
export const toleration = z.strictObject({
  key: z.string().min(1),
  operator: z.enum(["Equal", "Exists"]).default("Equal"),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

/** Extra Helm values, deep-merged once over what the component renders. */
export const helmValues = z.record(z.string(), z.unknown()).default({});

/** A TCP port. */
export const port = z.number().int().min(1, { message: "must be a port between 1 and 65535" }).max(65535, { message: "must be a port between 1 and 65535" });
