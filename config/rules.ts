import { CHARTS, checkKubeVersion } from "../components/catalog";
import { kindNodeVersion } from "../components/cluster/kind";
import { enabled as hubbleUiEnabled } from "../components/networking/hubble-ui";
import { selectedPins } from "../components/selection";
import { compareQuantities } from "../lib/quantity";
import { agentSignIn, agentWorkloads, openHandsLlm, openHandsRemovedChart, sandboxIsolation, sandboxPolicy } from "./checks/agents";
import { agentModelContext, fleetNamespace, fleetNames, fleetPlacement, fleetScaling, fleetStorage, gpuPools } from "./checks/models";
import type { PlatformConfig } from "./schema";

/**
 * Settings that follow from others, filled in after validation: the sandbox namespace must
 * run every pod with openhands.sandbox.runtimeClass (policy.runtimeClasses, enforced by
 * require-runtime-class), so a configured gVisor or Kata is not only the runtime's default.
 * Pure: returns a new config.
 */
export function deriveSettings(c: PlatformConfig): PlatformConfig {
  const s = c.openhands.sandbox;
  if (!c.openhands.enabled || s.runtimeClass === undefined) return c;
  const runtimeClasses = Object.fromEntries(Object.entries({ ...c.policy.runtimeClasses, [s.namespace]: s.runtimeClass }).sort(([a], [b]) => a.localeCompare(b)));
  return { ...c, policy: { ...c.policy, runtimeClasses } };
}

/** Names of the secret config keys, in the `platform` namespace. */
export const SECRET_KEYS = ["kubeconfig", "awsCredentials", "gcpCredentials", "azureCredentials", "grafanaAdminPassword", "openhandsOidcClientSecret"] as const;
/** A secret config key. */
export type SecretKey = (typeof SECRET_KEYS)[number];
/** Plaintext secret values as read from config, before they are wrapped as Pulumi secrets. */
export type SecretValues = Partial<Record<SecretKey, string>>;

/**
 * One cross-field rule the schema cannot express: pure, it returns one message per broken
 * rule, each naming the key path, the value and what is allowed; empty when the config passes.
 */
export type ConfigCheck = (c: PlatformConfig, secrets: SecretValues) => string[];

/** A check and the name tests and reviews know it by. */
export interface NamedCheck {
  readonly name: string;
  readonly check: ConfigCheck;
}

/**
 * Every cross-field check, in the order their messages are reported: exclusive choices,
 * things that only work together, secrets a choice requires. Adding a rule is one function
 * and one entry here.
 */
export const CHECKS: readonly NamedCheck[] = [
  { name: "cluster-access", check: clusterAccess },
  { name: "kind-host-ports", check: kindHostPorts },
  { name: "kind-node-version", check: kindNodeImageVersion },
  { name: "cilium-mode", check: checkNetworking },
  { name: "hubble-ui-route", check: checkHubbleUi },
  { name: "agent-sign-in", check: agentSignIn },
  { name: "mesh-exclusive", check: meshExclusive },
  { name: "ingress-default-class", check: ingressDefaultClass },
  { name: "storage-default-class", check: storageDefaultClass },
  { name: "storage-on-cluster-mode", check: storageOnClusterMode },
  { name: "object-storage-backend", check: objectStorageBackend },
  { name: "minio-volume-quota", check: minioVolumeQuota },
  { name: "acme-issuer", check: acmeIssuer },
  { name: "knative-networking", check: knativeNetworking },
  { name: "crossplane-providers", check: crossplaneProviders },
  { name: "cloud-credentials-used", check: cloudCredentialsUsed },
  { name: "gpu-pools", check: gpuPools },
  { name: "fleet-namespace", check: fleetNamespace },
  { name: "fleet-names", check: fleetNames },
  { name: "fleet-scaling", check: fleetScaling },
  { name: "fleet-placement", check: fleetPlacement },
  { name: "fleet-storage", check: fleetStorage },
  { name: "openhands-removed-chart", check: openHandsRemovedChart },
  { name: "openhands-llm", check: openHandsLlm },
  { name: "agent-model-context", check: agentModelContext },
  { name: "sandbox-isolation", check: sandboxIsolation },
  { name: "sandbox-policy", check: sandboxPolicy },
  { name: "agent-workloads", check: agentWorkloads },
  { name: "grafana-admin-password", check: grafanaAdminPassword },
];

/** Runs every check of {@link CHECKS} in order; one message per broken rule. */
export function checkRules(c: PlatformConfig, secrets: SecretValues): string[] {
  return CHECKS.flatMap(({ check }) => check(c, secrets));
}

const RESERVED_DOMAINS = /(^|\.)(example\.(com|org|net)|test|invalid)$/;

/** How the program reaches the cluster: kind's own kubeconfig, or a context or kubeconfig secret. */
function clusterAccess(c: PlatformConfig, secrets: SecretValues): string[] {
  if (c.cluster.mode === "kind") {
    return secrets.kubeconfig === undefined
      ? []
      : [`platform:kubeconfig: set, but cluster.mode is "kind" (the program creates the cluster and reads its kubeconfig); unset it or use mode "existing"`];
  }
  return secrets.kubeconfig === undefined && c.cluster.existing.context === undefined
    ? [`platform:cluster.existing.context: missing; cluster.mode "existing" needs a kubeconfig context or the secret platform:kubeconfig`]
    : [];
}

/** The kind node image runs a Kubernetes every selected chart supports (unless the preflight is off). */
function kindNodeImageVersion(c: PlatformConfig): string[] {
  if (c.cluster.mode !== "kind" || !c.cluster.preflight) return [];
  let version: string;
  try {
    version = kindNodeVersion(c.cluster.kind.nodeImage);
  } catch (e) {
    return [`platform:cluster.kind.nodeImage: ${(e as Error).message}`];
  }
  const problem = checkKubeVersion(version, selectedPins(c));
  return problem ? [`platform:cluster.kind.nodeImage: ${problem}`] : [];
}

/** kind binds the ingress's HTTP and HTTPS ports to two host ports. */
function kindHostPorts(c: PlatformConfig): string[] {
  const p = c.cluster.kind.hostPorts;
  return p.http === p.https ? [`platform:cluster.kind.hostPorts: http and https are both ${p.http}; they must differ`] : [];
}

/** Hubble UI has no login: a public route only on kind, whose host ports are bound to 127.0.0.1. */
function checkHubbleUi(c: PlatformConfig): string[] {
  if (c.cluster.mode === "kind" || !hubbleUiEnabled(c)) return [];
  return [
    `platform:networking.cilium.hubble.uiIngress: true on cluster.mode "${c.cluster.mode}", but Hubble UI has no login and shows every flow of the cluster; it gets no public route there. Set uiIngress false and open it with: kubectl -n ${CHARTS.cilium.namespace} port-forward svc/hubble-ui 12000:80`,
  ];
}

/**
 * The CNI against what the cluster already runs: a second primary CNI breaks pod networking,
 * so each distribution allows only the Cilium modes that join its network.
 */
function checkNetworking(c: PlatformConfig): string[] {
  const cilium = c.networking.cilium;
  if (!cilium.enabled) return [];
  const at = `platform:networking.cilium`;
  if (c.cluster.mode === "kind") {
    return cilium.mode === "cni" ? [] : [`${at}.mode: "${cilium.mode}" is for EKS; on kind Cilium is the only CNI: use "cni"`];
  }
  const dist = c.cluster.existing.distribution;
  switch (dist) {
    case "eks":
      return cilium.mode === "cni"
        ? [
            `${at}.mode: "cni" on cluster.existing.distribution "eks": every EKS node already runs the VPC CNI (aws-node), and a second primary CNI breaks pod networking; use "chained" (Cilium on top of aws-node) or "eni" (Cilium replaces aws-node, which must be deleted or patched off the nodes first; README, "Networking modes")`,
          ]
        : [];
    case "gke":
      return [
        `${at}.enabled: true on cluster.existing.distribution "gke": GKE runs its own dataplane (Dataplane V2 is Cilium already); set networking.cilium.enabled false and create the cluster with Dataplane V2 for NetworkPolicy enforcement`,
      ];
    case "aks":
    case "kubeadm":
      return cilium.mode === "cni"
        ? []
        : [`${at}.mode: "${cilium.mode}" needs cluster.existing.distribution "eks" (it joins the AWS VPC CNI); on ${dist} use "cni"`];
  }
}

/** One service mesh or none. */
function meshExclusive(c: PlatformConfig): string[] {
  return c.mesh.istio.enabled && c.mesh.linkerd.enabled ? [`platform:mesh: istio and linkerd are exclusive; enable at most one`] : [];
}

/** Exactly one default IngressClass among the enabled controllers. */
function ingressDefaultClass(c: PlatformConfig): string[] {
  return exactlyOneDefault("ingress", { contour: c.ingress.contour, ingressNginx: c.ingress.ingressNginx }, "IngressClass");
}

/** Exactly one default StorageClass among the enabled providers. */
function storageDefaultClass(c: PlatformConfig): string[] {
  return exactlyOneDefault("storage", c.storage, "StorageClass");
}

/** What each cluster mode's nodes can run: local-path is kind's, Longhorn and Rook-Ceph need real nodes. */
function storageOnClusterMode(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const kind = c.cluster.mode === "kind";
  if (!kind && c.storage.localPath.enabled) {
    errors.push(`platform:storage.localPath.enabled: true, but local-path is kind's built-in class; with cluster.mode "existing" enable rookCeph or longhorn`);
  }
  if (kind && c.storage.longhorn.enabled) {
    errors.push(`platform:storage.longhorn.enabled: true, but Longhorn needs open-iscsi on its nodes and kind nodes have none; use localPath on kind, Longhorn on VMs (cluster.mode "existing")`);
  }
  if (kind && c.storage.rookCeph.enabled) {
    errors.push(`platform:storage.rookCeph.enabled: true, but Rook-Ceph needs raw disks and kind nodes have none; use localPath on kind`);
  }
  return errors;
}

/** One S3 endpoint; RGW runs in the Ceph cluster. */
function objectStorageBackend(c: PlatformConfig): string[] {
  const errors: string[] = [];
  if (c.objectStorage.minio.enabled && c.objectStorage.cephRgw.enabled) {
    errors.push(`platform:objectStorage: minio and cephRgw are exclusive; the platform exposes one S3 endpoint`);
  }
  if (c.objectStorage.cephRgw.enabled && !c.storage.rookCeph.enabled) {
    errors.push(`platform:objectStorage.cephRgw.enabled: true needs storage.rookCeph.enabled: true (the gateway runs in the Ceph cluster)`);
  }
  return errors;
}

/**
 * Each MinIO volume is one PVC, so the pool must fit the pvc-storage-quota policy of the
 * tenant's namespace (the platform sizes the pool; an exception is the other way out).
 */
function minioVolumeQuota(c: PlatformConfig): string[] {
  const minio = c.objectStorage.minio;
  const ns = CHARTS.minioTenant.namespace;
  const quota = c.policy.pvcQuotaExceptions[ns] ?? c.policy.pvcQuota;
  if (!minio.enabled || compareQuantities(minio.volumeSize, quota) <= 0) return [];
  return [
    `platform:objectStorage.minio.volumeSize: "${minio.volumeSize}" exceeds the PVC quota of namespace ${ns} (${quota}, platform:policy.pvcQuota; each MinIO volume is one PVC); use at most ${quota} and add servers or volumesPerServer for capacity, or set platform:policy.pvcQuotaExceptions.${ns}`,
  ];
}

/** ACME needs an account contact and a public domain; its settings only with issuer "acme". */
function acmeIssuer(c: PlatformConfig): string[] {
  const errors: string[] = [];
  if (c.certificates.issuer === "acme") {
    if (!c.certificates.acme) {
      errors.push(`platform:certificates.acme: missing; issuer "acme" needs acme.email (the ACME account contact)`);
    }
    if (c.domain === "localhost" || c.domain.endsWith(".localhost")) {
      errors.push(`platform:domain: "${c.domain}" cannot get ACME certificates; use issuer "selfSigned" for local domains`);
    }
  } else if (c.certificates.acme) {
    errors.push(`platform:certificates.acme: set, but issuer is "${c.certificates.issuer}"; remove it or set issuer "acme"`);
  }
  return errors;
}

/** Knative's Istio networking needs the Istio mesh. */
function knativeNetworking(c: PlatformConfig): string[] {
  const k = c.serverless.knative;
  return k.enabled && k.networking === "istio" && !c.mesh.istio.enabled
    ? [`platform:serverless.knative.networking: "istio" needs mesh.istio.enabled: true; use "kourier" otherwise`]
    : [];
}

const CLOUDS = ["aws", "gcp", "azure"] as const;

/** An enabled Crossplane provider: Crossplane itself, its credentials, its project or region. */
function crossplaneProviders(c: PlatformConfig, secrets: SecretValues): string[] {
  const errors: string[] = [];
  for (const cloud of CLOUDS) {
    const p = c.crossplane.providers[cloud];
    if (!p.enabled) continue;
    if (!c.crossplane.enabled) {
      errors.push(`platform:crossplane.providers.${cloud}.enabled: true needs crossplane.enabled: true`);
      continue;
    }
    const key = `${cloud}Credentials` as const;
    if (secrets[key] === undefined) {
      errors.push(`platform:${key}: missing; crossplane.providers.${cloud} is enabled. Set it with: pulumi config set --secret platform:${key} < credentials-file`);
    }
    if (cloud === "gcp" && p.project === undefined) {
      errors.push(`platform:crossplane.providers.gcp.project: missing; the GCP provider needs a project id`);
    }
    if (cloud !== "gcp" && p.region === undefined) {
      errors.push(`platform:crossplane.providers.${cloud}.region: missing; the ${cloud} provider needs a default ${cloud === "aws" ? "region" : "location"}`);
    }
  }
  return errors;
}

/** A cloud's credentials only where its provider uses them. */
function cloudCredentialsUsed(c: PlatformConfig, secrets: SecretValues): string[] {
  return CLOUDS.filter((cloud) => secrets[`${cloud}Credentials`] !== undefined && !(c.crossplane.enabled && c.crossplane.providers[cloud].enabled)).map(
    (cloud) => `platform:${cloud}Credentials: set, but crossplane.providers.${cloud} is not enabled; remove the secret or enable the provider`,
  );
}

/** Grafana's admin password: long enough, and only with Grafana. */
function grafanaAdminPassword(c: PlatformConfig, secrets: SecretValues): string[] {
  const errors: string[] = [];
  const p = secrets.grafanaAdminPassword;
  if (p !== undefined && p.length < 12) errors.push(`platform:grafanaAdminPassword: must be at least 12 characters (value not shown)`);
  if (p !== undefined && !c.observability.grafana.enabled) {
    errors.push(`platform:grafanaAdminPassword: set, but observability.grafana.enabled is false; remove the secret or enable Grafana`);
  }
  return errors;
}

/** Warnings: valid but probably not what the user wants. */
export function configWarnings(c: PlatformConfig): string[] {
  const warnings: string[] = [];
  if (c.cluster.mode === "existing" && c.cluster.existing.distribution === "aks" && c.networking.cilium.enabled) {
    warnings.push(
      `platform:networking.cilium.enabled: Cilium as the only CNI on AKS works only on a cluster created with --network-plugin none (bring your own CNI); on Azure CNI powered by Cilium set it false`,
    );
  }
  if (c.ingress.ingressNginx.enabled) {
    warnings.push(
      "platform:ingress.ingressNginx is enabled: ingress-nginx was retired upstream in March 2026 and receives no security fixes; prefer contour",
    );
  }
  if (c.objectStorage.minio.enabled) {
    warnings.push(
      "platform:objectStorage.minio is enabled: MinIO's community edition is archived upstream (operator 7.1.1 is the last chart) and receives no security fixes; prefer cephRgw where Rook-Ceph runs",
    );
  }
  if (c.certificates.issuer === "acme" && RESERVED_DOMAINS.test(c.domain)) {
    warnings.push(`platform:domain: "${c.domain}" is a reserved documentation domain; ACME cannot issue for it. Set your own domain`);
  }
  // In dev a GPU fleet without placement is allowed (a kind worker may fake GPU labels),
  // but it only schedules where a device plugin advertises nvidia.com/gpu.
  if (c.profile === "dev") {
    c.ollama.fleets.forEach((f, i) => {
      if (f.resources.gpu > 0 && !f.placement?.gpuPool && !f.placement?.nodeSelector) {
        warnings.push(`platform:ollama.fleets[${i}].resources.gpu: ${f.resources.gpu} with no placement; it schedules only on a node advertising nvidia.com/gpu`);
      }
    });
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
