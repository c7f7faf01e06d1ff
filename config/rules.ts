import { CHARTS } from "../components/catalog";
import { compareQuantities } from "../lib/quantity";
import type { PlatformConfig } from "./schema";

/** Names of the secret config keys, in the `platform` namespace. */
export const SECRET_KEYS = ["kubeconfig", "awsCredentials", "gcpCredentials", "azureCredentials", "grafanaAdminPassword"] as const;
/** A secret config key. */
export type SecretKey = (typeof SECRET_KEYS)[number];
/** Plaintext secret values as read from config, before they are wrapped as Pulumi secrets. */
export type SecretValues = Partial<Record<SecretKey, string>>;

const RESERVED_DOMAINS = /(^|\.)(example\.(com|org|net)|test|invalid)$/;

/**
 * Cross-field rules the schema cannot express: exclusive choices, things that only work
 * together, secrets a choice requires. Returns one message per broken rule, each naming
 * the key path, the value and what is allowed.
 */
export function checkRules(c: PlatformConfig, secrets: SecretValues): string[] {
  const errors: string[] = [];
  const err = (m: string) => errors.push(m);
  const kind = c.cluster.mode === "kind";

  // Cluster access.
  if (kind && secrets.kubeconfig !== undefined) {
    err(`platform:kubeconfig: set, but cluster.mode is "kind" (the program creates the cluster and reads its kubeconfig); unset it or use mode "existing"`);
  }
  if (!kind && secrets.kubeconfig === undefined && c.cluster.existing.context === undefined) {
    err(`platform:cluster.existing.context: missing; cluster.mode "existing" needs a kubeconfig context or the secret platform:kubeconfig`);
  }
  if (c.cluster.kind.hostPorts.http === c.cluster.kind.hostPorts.https) {
    err(`platform:cluster.kind.hostPorts: http and https are both ${c.cluster.kind.hostPorts.http}; they must differ`);
  }

  // Mesh: exactly one or none.
  if (c.mesh.istio.enabled && c.mesh.linkerd.enabled) {
    err(`platform:mesh: istio and linkerd are exclusive; enable at most one`);
  }

  // Ingress: exactly one default IngressClass among enabled controllers.
  const ingress = { contour: c.ingress.contour, ingressNginx: c.ingress.ingressNginx };
  errors.push(...exactlyOneDefault("ingress", ingress, "IngressClass"));

  // Storage: exactly one default StorageClass; what kind nodes cannot run.
  errors.push(...exactlyOneDefault("storage", c.storage, "StorageClass"));
  if (!kind && c.storage.localPath.enabled) {
    err(`platform:storage.localPath.enabled: true, but local-path is kind's built-in class; with cluster.mode "existing" enable rookCeph or longhorn`);
  }
  if (kind && c.storage.longhorn.enabled) {
    err(`platform:storage.longhorn.enabled: true, but Longhorn needs open-iscsi on its nodes and kind nodes have none; use localPath on kind, Longhorn on VMs (cluster.mode "existing")`);
  }
  if (kind && c.storage.rookCeph.enabled) {
    err(`platform:storage.rookCeph.enabled: true, but Rook-Ceph needs raw disks and kind nodes have none; use localPath on kind`);
  }

  // Object storage.
  if (c.objectStorage.minio.enabled && c.objectStorage.cephRgw.enabled) {
    err(`platform:objectStorage: minio and cephRgw are exclusive; the platform exposes one S3 endpoint`);
  }
  if (c.objectStorage.cephRgw.enabled && !c.storage.rookCeph.enabled) {
    err(`platform:objectStorage.cephRgw.enabled: true needs storage.rookCeph.enabled: true (the gateway runs in the Ceph cluster)`);
  }
  // Each MinIO volume is one PVC, so the pool must fit the pvc-storage-quota policy of the
  // tenant's namespace (the platform sizes the pool; an exception is the other way out).
  const minioNs = CHARTS.minioTenant.namespace;
  const minioQuota = c.policy.pvcQuotaExceptions[minioNs] ?? c.policy.pvcQuota;
  if (c.objectStorage.minio.enabled && compareQuantities(c.objectStorage.minio.volumeSize, minioQuota) > 0) {
    err(
      `platform:objectStorage.minio.volumeSize: "${c.objectStorage.minio.volumeSize}" exceeds the PVC quota of namespace ${minioNs} (${minioQuota}, platform:policy.pvcQuota; each MinIO volume is one PVC); use at most ${minioQuota} and add servers or volumesPerServer for capacity, or set platform:policy.pvcQuotaExceptions.${minioNs}`,
    );
  }

  // Certificates.
  if (c.certificates.issuer === "acme") {
    if (!c.certificates.acme) {
      err(`platform:certificates.acme: missing; issuer "acme" needs acme.email (the ACME account contact)`);
    }
    if (c.domain === "localhost" || c.domain.endsWith(".localhost")) {
      err(`platform:domain: "${c.domain}" cannot get ACME certificates; use issuer "selfSigned" for local domains`);
    }
  } else if (c.certificates.acme) {
    err(`platform:certificates.acme: set, but issuer is "${c.certificates.issuer}"; remove it or set issuer "acme"`);
  }

  // Serverless networking.
  if (c.serverless.knative.enabled && c.serverless.knative.networking === "istio" && !c.mesh.istio.enabled) {
    err(`platform:serverless.knative.networking: "istio" needs mesh.istio.enabled: true; use "kourier" otherwise`);
  }

  // Crossplane providers and their credentials.
  for (const cloud of ["aws", "gcp", "azure"] as const) {
    const p = c.crossplane.providers[cloud];
    if (!p.enabled) continue;
    if (!c.crossplane.enabled) {
      err(`platform:crossplane.providers.${cloud}.enabled: true needs crossplane.enabled: true`);
      continue;
    }
    const key = `${cloud}Credentials` as const;
    if (secrets[key] === undefined) {
      err(`platform:${key}: missing; crossplane.providers.${cloud} is enabled. Set it with: pulumi config set --secret platform:${key} < credentials-file`);
    }
    if (cloud === "gcp" && p.project === undefined) {
      err(`platform:crossplane.providers.gcp.project: missing; the GCP provider needs a project id`);
    }
    if (cloud !== "gcp" && p.region === undefined) {
      err(`platform:crossplane.providers.${cloud}.region: missing; the ${cloud} provider needs a default ${cloud === "aws" ? "region" : "location"}`);
    }
  }
  for (const cloud of ["aws", "gcp", "azure"] as const) {
    if (secrets[`${cloud}Credentials`] !== undefined && !(c.crossplane.enabled && c.crossplane.providers[cloud].enabled)) {
      err(`platform:${cloud}Credentials: set, but crossplane.providers.${cloud} is not enabled; remove the secret or enable the provider`);
    }
  }
  if (secrets.grafanaAdminPassword !== undefined && secrets.grafanaAdminPassword.length < 12) {
    err(`platform:grafanaAdminPassword: must be at least 12 characters (value not shown)`);
  }
  if (secrets.grafanaAdminPassword !== undefined && !c.observability.grafana.enabled) {
    err(`platform:grafanaAdminPassword: set, but observability.grafana.enabled is false; remove the secret or enable Grafana`);
  }

  return errors;
}

/** Warnings: valid but probably not what the user wants. */
export function configWarnings(c: PlatformConfig): string[] {
  const warnings: string[] = [];
  if (c.ingress.ingressNginx.enabled) {
    warnings.push(
      "platform:ingress.ingressNginx is enabled: ingress-nginx was retired upstream in March 2026 and receives no security fixes; prefer contour",
    );
  }
  if (c.certificates.issuer === "acme" && RESERVED_DOMAINS.test(c.domain)) {
    warnings.push(`platform:domain: "${c.domain}" is a reserved documentation domain; ACME cannot issue for it. Set your own domain`);
  }
  return warnings;
}

function exactlyOneDefault(
  section: string,
  choices: Record<string, { enabled: boolean; default: boolean }>,
  what: string,
): string[] {
  const errors: string[] = [];
  const enabled = Object.entries(choices).filter(([, v]) => v.enabled);
  for (const [name, v] of Object.entries(choices)) {
    if (v.default && !v.enabled) {
      errors.push(`platform:${section}.${name}.default: true, but ${name} is not enabled; only an enabled provider can be the default ${what}`);
    }
  }
  const defaults = enabled.filter(([, v]) => v.default).map(([n]) => n);
  if (enabled.length === 0) {
    errors.push(`platform:${section}: nothing enabled; enable one of ${Object.keys(choices).join(", ")}`);
  } else if (defaults.length > 1) {
    errors.push(`platform:${section}: ${defaults.join(" and ")} are both the default ${what}; exactly one may be the default`);
  } else if (defaults.length === 0) {
    errors.push(`platform:${section}: no default ${what}; set default: true on one of ${enabled.map(([n]) => n).join(", ")}`);
  }
  return errors;
}
