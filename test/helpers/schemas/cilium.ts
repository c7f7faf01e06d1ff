import { z } from "zod";
import { untranscribed, type KindSchema } from "./meta";

/*
 * Cilium cilium.io/v2 CiliumNetworkPolicy: the CRD cilium/cilium generates
 * (pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml, controller-gen v0.19.0,
 * the 1.19+/1.20 schema: `toRequires`/`fromRequires` deprecated to maxItems 0, DNS patterns
 * with the `**.` prefix, L7 rules `http` or `dns`). Transcribed strictly: the spec's
 * envelope (the anyOf ingress/ingressDeny/egress/egressDeny and the oneOf
 * endpointSelector/nodeSelector), endpoint selectors, egress and ingress rules, CIDR rules,
 * entities, port rules with their ports and L7 rules, DNS matchers. Accepted as present,
 * unchecked: ICMP rules, authentication, toGroups/fromGroups, toServices, deny rules, TLS
 * contexts, listeners, headerMatches, labels and log.
 */

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// The CRD's pattern, as the API server applies it (its alternation is not anchored as a whole).
const PORT = /^(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})|([a-zA-Z0-9]-?)*[a-zA-Z](-?[a-zA-Z0-9])*$/;
const MATCH_NAME = /^([-a-zA-Z0-9_]+[.]?)+$/;
const MATCH_PATTERN = /^([-a-zA-Z0-9_*]+[.]?)+$/;
const IPV4_CIDR = /^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\/([0-9]|[12][0-9]|3[0-2])$/;
const IPV6_CIDR = /^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8])$/;

/** `format: cidr`. */
const cidr = z.string().refine((c) => IPV4_CIDR.test(c) || IPV6_CIDR.test(c), "must be a CIDR (format cidr)");

const selector = z.strictObject({
  matchLabels: z.record(z.string(), z.string().max(63).regex(LABEL_VALUE, "must match ^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")).optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string(), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()).optional() }))
    .optional(),
});

const ENTITIES = ["all", "world", "cluster", "host", "init", "ingress", "unmanaged", "remote-node", "health", "none", "kube-apiserver"] as const;

const cidrRule = z
  .strictObject({
    cidr: cidr.optional(),
    cidrGroupRef: z.string().max(253).optional(),
    cidrGroupSelector: selector.optional(),
    except: z.array(cidr).optional(),
  })
  .refine((c) => [c.cidr, c.cidrGroupRef, c.cidrGroupSelector].filter((x) => x !== undefined).length === 1, { message: "must have exactly one of cidr, cidrGroupRef, cidrGroupSelector" });

const dnsMatcher = z
  .strictObject({
    matchName: z.string().max(255).regex(MATCH_NAME, "must match ^([-a-zA-Z0-9_]+[.]?)+$").optional(),
    matchPattern: z.string().max(255).regex(MATCH_PATTERN, "must match ^([-a-zA-Z0-9_*]+[.]?)+$").optional(),
  })
  .refine((d) => (d.matchName === undefined) !== (d.matchPattern === undefined), { message: "must have exactly one of matchName, matchPattern" });

const httpRule = z.strictObject({
  headerMatches: z.array(untranscribed).optional(),
  headers: z.array(z.string()).optional(),
  host: z.string().optional(),
  method: z.string().optional(),
  path: z.string().optional(),
});

const portRule = z.strictObject({
  listener: untranscribed.optional(),
  originatingTLS: untranscribed.optional(),
  terminatingTLS: untranscribed.optional(),
  serverNames: z.array(z.string().max(255).regex(MATCH_PATTERN, "must match ^([-a-zA-Z0-9_*]+[.]?)+$")).min(1).optional(),
  ports: z
    .array(
      z.strictObject({
        port: z.string().regex(PORT, "must be a port number or a port name").optional(),
        endPort: z.int().min(0).max(65535).optional(),
        protocol: z.enum(["TCP", "UDP", "SCTP", "VRRP", "IGMP", "ANY"]).optional(),
      }),
    )
    .max(40)
    .optional(),
  rules: z
    .strictObject({ http: z.array(httpRule).optional(), dns: z.array(dnsMatcher).optional() })
    .refine((r) => (r.http === undefined) !== (r.dns === undefined), { message: "must have exactly one of http, dns" })
    .optional(),
});

const common = {
  authentication: z.strictObject({ mode: z.enum(["disabled", "required", "test-always-fail"]) }).optional(),
  icmps: z.array(untranscribed).optional(),
  toPorts: z.array(portRule).optional(),
};

const egressRule = z.strictObject({
  ...common,
  toCIDR: z.array(cidr).optional(),
  toCIDRSet: z.array(cidrRule).optional(),
  toEndpoints: z.array(selector).optional(),
  toEntities: z.array(z.enum(ENTITIES)).optional(),
  toFQDNs: z.array(dnsMatcher).optional(),
  toGroups: z.array(untranscribed).optional(),
  toNodes: z.array(selector).optional(),
  toRequires: z.array(z.string()).max(0).optional(),
  toServices: z.array(untranscribed).optional(),
});

const ingressRule = z.strictObject({
  ...common,
  fromCIDR: z.array(cidr).optional(),
  fromCIDRSet: z.array(cidrRule).optional(),
  fromEndpoints: z.array(selector).optional(),
  fromEntities: z.array(z.enum(ENTITIES)).optional(),
  fromGroups: z.array(untranscribed).optional(),
  fromNodes: z.array(selector).optional(),
  fromRequires: z.array(z.string()).max(0).optional(),
});

const spec = z
  .strictObject({
    description: z.string().optional(),
    egress: z.array(egressRule).optional(),
    egressDeny: z.array(untranscribed).optional(),
    enableDefaultDeny: z.strictObject({ egress: z.boolean().optional(), ingress: z.boolean().optional() }).optional(),
    endpointSelector: selector.optional(),
    ingress: z.array(ingressRule).optional(),
    ingressDeny: z.array(untranscribed).optional(),
    labels: z.array(untranscribed).optional(),
    log: untranscribed.optional(),
    nodeSelector: selector.optional(),
  })
  // The CRD's anyOf and oneOf on spec.
  .refine((s) => s.ingress !== undefined || s.ingressDeny !== undefined || s.egress !== undefined || s.egressDeny !== undefined, {
    message: "must have at least one of ingress, ingressDeny, egress, egressDeny",
  })
  .refine((s) => (s.endpointSelector === undefined) !== (s.nodeSelector === undefined), { message: "must have exactly one of endpointSelector, nodeSelector" });

/** The Cilium policy kinds the platform emits. */
export const CILIUM_KINDS: KindSchema[] = [{ apiVersion: "cilium.io/v2", kind: "CiliumNetworkPolicy", scope: "Namespaced", spec }];
