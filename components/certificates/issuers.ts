import type { PlatformConfig } from "../../config/schema";
import type { Values } from "../../lib/merge";

/** Certificates settings, as validated config gives them (`platform:certificates`). */
export type CertificatesSettings = PlatformConfig["certificates"];

/** Names of the cluster-scoped issuers and of the local CA (fixed: Ingresses refer to them). */
export const ISSUER_NAMES = {
  /** Self-signs exactly one certificate: the local root CA. */
  selfSignedRoot: "platform-selfsigned-root",
  /** The local CA every dev certificate chains to. */
  ca: "platform-ca",
  /** Certificate and Secret of the local root CA (in cert-manager's namespace). */
  caCertificate: "platform-root-ca",
  /** ACME ClusterIssuer. */
  acme: "platform-acme",
  /** Secret holding the ACME account key. */
  acmeAccountKey: "platform-acme-account-key",
} as const;

/** cert-manager chart values (v1.21.x). */
export function renderCertManagerValues(): Values {
  return {
    // `installCRDs` is deprecated; `crds.keep` (default true) keeps the CRDs, and with them
    // every Certificate, when the release is uninstalled.
    crds: { enabled: true, keep: true },
    // The post-install Job that blocks until the webhook answers; Helm waits for it.
    startupapicheck: { enabled: true },
  };
}

/** The self-signed ClusterIssuer that signs only the local root CA. */
export function selfSignedRootSpec(): Values {
  return { selfSigned: {} };
}

/** The local root CA's Certificate (ECDSA P-256, ten years, renewed a year ahead). */
export function rootCaCertificateSpec(): Values {
  return {
    isCA: true,
    commonName: "agent-platform local CA",
    subject: { organizations: ["agent-platform"] },
    secretName: ISSUER_NAMES.caCertificate,
    duration: "87600h",
    renewBefore: "8760h",
    // The user trusts this CA once; cert-manager (since 1.18) defaults to a new key at every
    // renewal, which would make the renewed CA a stranger to the trust stores.
    privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Never" },
    issuerRef: { name: ISSUER_NAMES.selfSignedRoot, kind: "ClusterIssuer", group: "cert-manager.io" },
  };
}

/** The CA ClusterIssuer backed by the root CA's Secret (read from cert-manager's namespace). */
export function caIssuerSpec(): Values {
  return { ca: { secretName: ISSUER_NAMES.caCertificate } };
}

/** The ACME ClusterIssuer: HTTP-01 through the default IngressClass. */
export function acmeIssuerSpec(acme: { email: string; server: string }, ingressClassName: string): Values {
  return {
    acme: {
      email: acme.email,
      server: acme.server,
      privateKeySecretRef: { name: ISSUER_NAMES.acmeAccountKey },
      solvers: [{ http01: { ingress: { ingressClassName } } }],
    },
  };
}

/** Name of the ClusterIssuer platform Ingresses use for the configured issuer kind. */
export function clusterIssuerName(issuer: CertificatesSettings["issuer"]): string {
  return issuer === "acme" ? ISSUER_NAMES.acme : ISSUER_NAMES.ca;
}
