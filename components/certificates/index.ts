import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog";
import type { CertificatesLayer, ClusterLayer, IngressLayer, NetworkLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow } from "../namespace-ingress";
import { WAIT_READY } from "../platform-names";
import {
  acmeIssuerSpec,
  caIssuerSpec,
  clusterIssuerName,
  ISSUER_NAMES,
  renderCertManagerValues,
  rootCaCertificateSpec,
  selfSignedRootSpec,
  type CertificatesSettings,
} from "./issuers";

export * from "./issuers";

/** Arguments of {@link Certificates}. */
export interface CertificatesArgs {
  cluster: ClusterLayer;
  /** The CNI: cert-manager's pods wait for it. */
  network: NetworkLayer;
  /** The default IngressClass, which ACME HTTP-01 challenges are solved through. */
  ingress: IngressLayer;
  /** The issuer and its settings. */
  settings: CertificatesSettings;
}

/**
 * cert-manager and the platform's ClusterIssuer. `selfSigned` (dev): a self-signed root
 * issues one CA certificate, and the CA ClusterIssuer `platform-ca` signs every platform
 * certificate with it, so trusting that one CA (Secret `cert-manager/platform-root-ca`,
 * key `ca.crt`) makes every platform host trusted. `acme` (prod): `platform-acme` solves
 * HTTP-01 challenges through the default IngressClass.
 */
export class Certificates extends pulumi.ComponentResource implements CertificatesLayer {
  /** The ClusterIssuer every platform Ingress uses. */
  public readonly clusterIssuer: string;
  /** cert-manager ready and the issuer Ready. */
  public readonly ready: pulumi.Resource[];
  /** The cert-manager release. */
  public readonly release: k8s.helm.v3.Release;
  /** The cert-manager release alone (webhook serving). */
  public readonly webhookReady: pulumi.Resource[];
  /** Secret holding the local CA certificate (`ca.crt`) to trust; selfSigned only. */
  public readonly caSecret?: { namespace: string; name: string };

  constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:certificates:Certificates", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    const namespace = CHARTS.certManager.namespace;

    // chart 1.21: the webhook's `https` container port is webhook.securePort (10250); Prometheus scrapes 9402.
    const ingress = { flows: [apiServerFlow("webhook", { "app.kubernetes.io/component": "webhook", "app.kubernetes.io/instance": "cert-manager" }, [10250], "The API server calls cert-manager's validating and mutating webhooks.")] };
    const ns = platformNamespace(`${name}-ns`, { name: namespace, podSecurity: "restricted", ingress }, this);
    this.release = platformRelease(
      `${name}-cert-manager`,
      {
        pin: CHARTS.certManager,
        releaseName: "cert-manager",
        namespace: ns,
        values: renderCertManagerValues(),
        overrides: s.values,
        dependsOn: args.network.ready,
      },
      { parent: this },
    );

    // Issuers are validated by cert-manager's webhook; created while it is still starting,
    // they fail with "failed calling webhook". The release (skipAwait: false) completes only
    // when the webhook Deployment is Available and the startupapicheck hook Job has seen the
    // webhook answer, so depending on the release is depending on a serving webhook.
    const afterWebhook = [this.release];
    this.webhookReady = afterWebhook;
    // Pulumi's generic await (WAIT_READY): a custom resource is created only once its Ready
    // condition is True, so `ready` means "the issuer can sign", not just "the object exists".
    const issuer = (role: string, issuerName: string, spec: pulumi.Inputs, dependsOn: pulumi.Resource[]) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${role}`,
        { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: issuerName, annotations: WAIT_READY }, spec },
        { parent: this, dependsOn },
      );

    if (s.issuer === "selfSigned") {
      const root = issuer("selfsigned-root", ISSUER_NAMES.selfSignedRoot, selfSignedRootSpec(), afterWebhook);
      const caCert = new k8s.apiextensions.CustomResource(
        `${name}-root-ca`,
        {
          apiVersion: "cert-manager.io/v1",
          kind: "Certificate",
          metadata: { name: ISSUER_NAMES.caCertificate, namespace, annotations: WAIT_READY },
          spec: rootCaCertificateSpec(),
        },
        { parent: this, dependsOn: [root] },
      );
      const ca = issuer("ca-issuer", ISSUER_NAMES.ca, caIssuerSpec(), [caCert]);
      this.caSecret = { namespace, name: ISSUER_NAMES.caCertificate };
      this.ready = [this.release, ca];
    } else {
      if (!s.acme) {
        throw new pulumi.ResourceError(`Certificates args.settings.acme: missing; issuer "acme" needs acme.email (the ACME account contact)`, this);
      }
      // HTTP-01 solvers are served through the default IngressClass: it must exist first.
      const acme = issuer("acme-issuer", ISSUER_NAMES.acme, acmeIssuerSpec(s.acme, args.ingress.className), [...afterWebhook, ...args.ingress.ready]);
      this.ready = [this.release, acme];
    }
    this.clusterIssuer = clusterIssuerName(s.issuer);
    this.registerOutputs({ clusterIssuer: this.clusterIssuer, caSecret: this.caSecret });
  }
}
