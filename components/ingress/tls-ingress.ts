import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { CertificatesLayer, IngressLayer } from "../contracts";
import { PART_OF } from "../platform-names";

/** What a platform Ingress routes: one host, one path prefix, one Service port. */
export interface TlsIngressArgs {
  /** Namespace of the Ingress and of the Service it routes to. */
  namespace: pulumi.Input<string>;
  /** Ingress object name (fixed, never derived from values that change). */
  name: string;
  /** Fully qualified host, e.g. `grafana.agents.example.org`. */
  host: string;
  /** Backend Service name and port (number or port name). */
  service: { name: pulumi.Input<string>; port: number | string };
  /** Path prefix routed to the Service. Defaults to `/`. */
  path?: string;
  /** Secret the certificate is stored in (created by cert-manager). Defaults to `<name>-tls`. */
  tlsSecretName?: string;
  /** Extra annotations (controller-specific tuning). Defaults to none. */
  annotations?: Record<string, string>;
  /** Extra labels. Defaults to none. */
  labels?: Record<string, string>;
}

/** The annotation cert-manager's ingress-shim reads to issue a certificate for an Ingress. */
export const CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer";

/**
 * Plain HTTP answered with a redirect to HTTPS, per controller: Contour reads
 * `ingress.kubernetes.io/force-ssl-redirect` (its annotations reference); ingress-nginx its
 * own `nginx.ingress.kubernetes.io/force-ssl-redirect`. Without it Contour serves the routes
 * of a TLS Ingress on port 80 too (a login page over plain HTTP).
 */
export const HTTPS_REDIRECT: Readonly<Record<string, Record<string, string>>> = {
  contour: { "ingress.kubernetes.io/force-ssl-redirect": "true" },
  nginx: { "nginx.ingress.kubernetes.io/force-ssl-redirect": "true" },
};

/**
 * The Ingress object {@link tlsIngress} creates, as plain data: the default IngressClass by
 * name, a TLS section for the host, and the ClusterIssuer annotation that makes
 * cert-manager's ingress-shim create the Certificate and its Secret. Pure, for tests.
 */
export function renderTlsIngress(args: TlsIngressArgs, clusterIssuer: string, className: string): k8s.types.input.networking.v1.Ingress {
  const secretName = args.tlsSecretName ?? `${args.name}-tls`;
  const port = typeof args.service.port === "number" ? { number: args.service.port } : { name: args.service.port };
  return {
    metadata: {
      name: args.name,
      namespace: args.namespace,
      labels: { ...PART_OF, ...(args.labels ?? {}) },
      annotations: { ...(args.annotations ?? {}), ...(HTTPS_REDIRECT[className] ?? {}), [CLUSTER_ISSUER_ANNOTATION]: clusterIssuer },
    },
    spec: {
      ingressClassName: className,
      tls: [{ hosts: [args.host], secretName }],
      rules: [
        {
          host: args.host,
          http: {
            paths: [{ path: args.path ?? "/", pathType: "Prefix", backend: { service: { name: args.service.name, port } } }],
          },
        },
      ],
    },
  };
}

/**
 * Creates an HTTPS Ingress for a platform service: served by the default ingress controller
 * (`ingress.className`), with a certificate issued by the platform's ClusterIssuer
 * (`certificates.clusterIssuer`). It waits for both layers, so the certificate request
 * never reaches cert-manager before its webhook and issuer exist.
 *
 * Used by every layer that exposes a UI (Hubble, Grafana, OpenHands):
 *
 * ```ts
 * tlsIngress(`${name}-grafana`, { namespace: "monitoring", name: "grafana", host: `grafana.${domain}`,
 *   service: { name: "grafana-service", port: 3000 } }, args.certificates, args.ingress, this);
 * ```
 *
 * The resource is a child of `parent` (and so inherits its Kubernetes provider); `opts`
 * can add further `dependsOn` (e.g. the release that creates the Service).
 */
export function tlsIngress(
  resourceName: string,
  args: TlsIngressArgs,
  certificates: CertificatesLayer,
  ingress: IngressLayer,
  parent: pulumi.Resource,
  opts?: Omit<pulumi.CustomResourceOptions, "parent" | "dependsOn"> & { dependsOn?: pulumi.Resource[] },
): k8s.networking.v1.Ingress {
  return new k8s.networking.v1.Ingress(resourceName, renderTlsIngress(args, certificates.clusterIssuer, ingress.className), {
    ...opts,
    parent,
    dependsOn: [...certificates.ready, ...ingress.ready, ...(opts?.dependsOn ?? [])],
  });
}
