import { z } from "zod";
import { dnsSubdomain, type KindSchema } from "./meta";

/*
 * projectcontour.io/v1 TLSCertificateDelegation, Contour 1.33 (the contour chart 0.7.0):
 * apis/projectcontour/v1/tlscertificatedelegation.go. `spec.delegations` and, in each,
 * `secretName` and `targetNamespaces` are required (no omitempty); nothing else is declared.
 */
const delegation = z.strictObject({ secretName: dnsSubdomain, targetNamespaces: z.array(z.union([z.literal("*"), dnsSubdomain])) });

export const CONTOUR_KINDS: readonly KindSchema[] = [
  { apiVersion: "projectcontour.io/v1", kind: "TLSCertificateDelegation", scope: "Namespaced", specRequired: true, spec: z.strictObject({ delegations: z.array(delegation) }) },
];
