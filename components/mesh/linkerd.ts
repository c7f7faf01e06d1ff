import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { PlatformConfig } from "../../config/schema";
import type { Values } from "../../lib/merge";
import { ARTIFACTS, CHARTS } from "../catalog";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow, type NamespaceIngress } from "../namespace-ingress";
import { tcpPort as tcp } from "../../lib/netpol";
import { installLinkerdCni } from "./cni";

/** Linkerd settings, as validated config gives them (`platform:mesh.linkerd`). */
export type LinkerdSettings = PlatformConfig["mesh"]["linkerd"];

/** Linkerd's namespace and the Secret its identity controller reads the issuer from. */
export const LINKERD = { namespace: CHARTS.linkerdControlPlane.namespace, issuerSecret: "linkerd-identity-issuer" } as const;

/**
 * linkerd-control-plane values (edge 2026.8.x). The trust anchor (public) goes in the
 * values; the issuer's certificate and key do not: with `identity.issuer.scheme:
 * kubernetes.io/tls` the identity controller reads them from the `linkerd-identity-issuer`
 * Secret (`tls.crt`, `tls.key`), so the private key never enters Helm's release record.
 * `cniEnabled`: linkerd2-cni sets up redirection, so the injector (and the control plane's
 * own pods) get `linkerd-network-validator` instead of `linkerd-init` with NET_ADMIN/NET_RAW.
 */
export function renderLinkerdControlPlaneValues(trustAnchorPem: pulumi.Input<string>): Values {
  return {
    cniEnabled: true,
    identityTrustAnchorsPEM: trustAnchorPem,
    identity: { issuer: { scheme: "kubernetes.io/tls" } },
  };
}

/** The namespace labels and annotations the linkerd CLI would put on its namespace. */
export function linkerdNamespaceMetadata(): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: {
      "linkerd.io/is-control-plane": "true",
      "linkerd.io/control-plane-ns": LINKERD.namespace,
      // The proxy injector must not intercept its own control plane's pods.
      "config.linkerd.io/admission-webhooks": "disabled",
    },
    annotations: { "linkerd.io/inject": "disabled" },
  };
}

/** The generated identity: a trust anchor (root) and the issuer it signs. */
export interface LinkerdIdentity {
  /** PEM of the trust anchor certificate (public). */
  trustAnchorPem: pulumi.Output<string>;
  /** PEM of the issuer certificate (public). */
  issuerCertPem: pulumi.Output<string>;
  /** PEM of the issuer private key (secret). */
  issuerKeyPem: pulumi.Output<string>;
}

/**
 * Generates Linkerd's identity with @pulumi/tls, as `linkerd install` expects it: an
 * ECDSA P-256 self-signed trust anchor and an ECDSA P-256 issuer CA signed by it. Both
 * keys live only in Pulumi state (encrypted) and the issuer key also in the issuer Secret.
 * The anchor's key signs nothing else; renew the issuer before `issuerValidityHours` ends
 * (`pulumi up` after `tls` marks it ready for renewal replaces it).
 */
export function linkerdIdentity(name: string, s: Pick<LinkerdSettings, "trustAnchorValidityHours" | "issuerValidityHours">, parent: pulumi.Resource): LinkerdIdentity {
  const anchorKey = new tls.PrivateKey(`${name}-trust-anchor-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
  const anchor = new tls.SelfSignedCert(
    `${name}-trust-anchor`,
    {
      privateKeyPem: anchorKey.privateKeyPem,
      subject: { commonName: "root.linkerd.cluster.local" },
      isCaCertificate: true,
      validityPeriodHours: s.trustAnchorValidityHours,
      allowedUses: ["cert_signing", "crl_signing"],
    },
    { parent },
  );
  const issuerKey = new tls.PrivateKey(`${name}-issuer-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
  const csr = new tls.CertRequest(
    `${name}-issuer-csr`,
    { privateKeyPem: issuerKey.privateKeyPem, subject: { commonName: "identity.linkerd.cluster.local" } },
    { parent },
  );
  const issuer = new tls.LocallySignedCert(
    `${name}-issuer`,
    {
      certRequestPem: csr.certRequestPem,
      caPrivateKeyPem: anchorKey.privateKeyPem,
      caCertPem: anchor.certPem,
      isCaCertificate: true,
      validityPeriodHours: s.issuerValidityHours,
      allowedUses: ["cert_signing", "crl_signing", "server_auth", "client_auth"],
    },
    { parent },
  );
  return { trustAnchorPem: anchor.certPem, issuerCertPem: issuer.certPem, issuerKeyPem: pulumi.secret(issuerKey.privateKeyPem) };
}

/** What {@link installLinkerd} created. */
export interface LinkerdResources {
  gatewayApi: k8s.yaml.v2.ConfigFile;
  /** linkerd2-cni (namespace linkerd-cni). */
  cni: k8s.helm.v3.Release;
  crds: k8s.helm.v3.Release;
  controlPlane: k8s.helm.v3.Release;
  issuerSecret: k8s.core.v1.Secret;
  identity: LinkerdIdentity;
}

/** The Linkerd proxy's inbound port (chart `proxy.ports.inbound`). */
export const LINKERD_PROXY_INBOUND_PORT = 4143;

/**
 * Who reaches the Linkerd control plane (chart edge-26.8.3): every meshed pod's proxy calls
 * destination (8086), policy (8090) and identity (8080), and, with the default
 * `outboundTransportMode: transport-header`, meshed traffic to a meshed pod arrives at its
 * proxy's inbound port 4143; the API server calls the injector (8443) and the validators on
 * the destination pod (sp-validator 8443, policy 9443).
 */
export const LINKERD_CONTROL_PLANE_INGRESS: NamespaceIngress = {
  flows: [
    {
      name: "destination",
      to: { matchLabels: { "linkerd.io/control-plane-component": "destination" } },
      from: "any",
      ports: [tcp(8086), tcp(8090), tcp(LINKERD_PROXY_INBOUND_PORT)],
      why: "Every meshed proxy resolves destinations and policies from the destination controller.",
    },
    {
      name: "identity",
      to: { matchLabels: { "linkerd.io/control-plane-component": "identity" } },
      from: "any",
      ports: [tcp(8080), tcp(LINKERD_PROXY_INBOUND_PORT)],
      why: "Every meshed proxy gets its workload certificate from the identity controller.",
    },
    apiServerFlow("validators", { "linkerd.io/control-plane-component": "destination" }, [8443, 9443], "The API server calls the ServiceProfile and policy validating webhooks."),
    apiServerFlow("injector", { "linkerd.io/control-plane-component": "proxy-injector" }, [8443], "The API server calls the proxy injector's mutating webhook."),
  ],
};

/**
 * Linkerd, in order: Gateway API CRDs (Linkerd's policy controller watches HTTPRoutes and
 * linkerd-crds no longer ships them) -> linkerd-crds -> linkerd-control-plane, with the
 * issuer Secret in place before the identity controller starts, and linkerd2-cni (after the
 * cluster's CNI) before the control plane: its injector leaves redirection to the plugin, and
 * its own pods' network validators fail until the plugin is on the node.
 */
export function installLinkerd(name: string, s: LinkerdSettings, network: pulumi.Resource[], parent: pulumi.Resource): LinkerdResources {
  // Standard channel, applied server-side (the platform's provider enables SSA): the CRDs'
  // size exceeds client-side apply's last-applied annotation limit.
  const gatewayApi = new k8s.yaml.v2.ConfigFile(`${name}-gateway-api`, { file: ARTIFACTS.gatewayApi.url }, { parent });
  const md = linkerdNamespaceMetadata();
  // With cniEnabled no control-plane pod adds capabilities: `restricted`, as the CLI sets it
  // then (templates/namespace.yaml: `ternary "restricted" "privileged" .Values.cniEnabled`).
  const ns = platformNamespace(
    `${name}-linkerd-ns`,
    { name: LINKERD.namespace, podSecurity: "restricted", mesh: { labels: {}, annotations: md.annotations }, labels: md.labels, ingress: LINKERD_CONTROL_PLANE_INGRESS },
    parent,
  );
  const cni = installLinkerdCni(name, s.cniValues, network, parent);
  const identity = linkerdIdentity(`${name}-linkerd`, s, parent);
  const issuerSecret = new k8s.core.v1.Secret(
    `${name}-linkerd-issuer`,
    {
      metadata: { name: LINKERD.issuerSecret, namespace: ns.metadata.name },
      type: "kubernetes.io/tls",
      stringData: { "tls.crt": identity.issuerCertPem, "tls.key": identity.issuerKeyPem, "ca.crt": identity.trustAnchorPem },
    },
    { parent, dependsOn: [ns] },
  );
  const crds = platformRelease(
    `${name}-linkerd-crds`,
    { pin: CHARTS.linkerdCrds, releaseName: "linkerd-crds", namespace: ns, values: { installGatewayAPI: false }, dependsOn: [gatewayApi] },
    { parent },
  );
  const controlPlane = platformRelease(
    `${name}-linkerd-control-plane`,
    {
      pin: CHARTS.linkerdControlPlane,
      releaseName: "linkerd-control-plane",
      namespace: ns,
      values: renderLinkerdControlPlaneValues(identity.trustAnchorPem),
      overrides: s.values,
      dependsOn: [crds, issuerSecret, cni],
    },
    { parent },
  );
  return { gatewayApi, cni, crds, controlPlane, issuerSecret, identity };
}
