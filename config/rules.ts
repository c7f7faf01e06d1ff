import { CHARTS } from "../components/catalog";
import { OPENHANDS_NAMESPACE, sandboxDomainDefault } from "../components/openhands/settings";
import { oidcProblems } from "../components/auth";
import { cidrContains } from "../lib/netpol";
import { compareQuantities } from "../lib/quantity";
import { isRequestMetric } from "../operator/src/api/v1alpha1";
import { modelSlug } from "../operator/src/names";
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

  errors.push(...checkNetworking(c), ...checkHubbleUi(c));
  errors.push(...checkAgentSignIn(c, secrets));

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
  errors.push(...checkGpuPools(c), ...checkFleets(c));
  errors.push(...checkOpenHands(c));
  if (secrets.grafanaAdminPassword !== undefined && secrets.grafanaAdminPassword.length < 12) {
    err(`platform:grafanaAdminPassword: must be at least 12 characters (value not shown)`);
  }
  if (secrets.grafanaAdminPassword !== undefined && !c.observability.grafana.enabled) {
    err(`platform:grafanaAdminPassword: set, but observability.grafana.enabled is false; remove the secret or enable Grafana`);
  }

  return errors;
}

/** Hubble UI has no login: a public route only on kind, whose host ports are bound to 127.0.0.1. */
export function checkHubbleUi(c: PlatformConfig): string[] {
  const h = c.networking.cilium.hubble;
  if (!c.networking.cilium.enabled || c.cluster.mode === "kind" || !(h.enabled && h.ui && h.uiIngress)) return [];
  return [
    `platform:networking.cilium.hubble.uiIngress: true on cluster.mode "${c.cluster.mode}", but Hubble UI has no login and shows every flow of the cluster; it gets no public route there. Set uiIngress false and open it with: kubectl -n ${CHARTS.cilium.namespace} port-forward svc/hubble-ui 12000:80`,
  ];
}

/**
 * The CNI against what the cluster already runs: a second primary CNI breaks pod networking,
 * so each distribution allows only the Cilium modes that join its network.
 */
export function checkNetworking(c: PlatformConfig): string[] {
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

/** Name of a fleet: its own, or the stable slug of its model. */
export function fleetName(f: { name?: string; model: string }): string {
  return f.name ?? modelSlug(f.model);
}

/** Azure node pool name of a GPU pool: lowercase alphanumerics, at most 12 (AKS' Linux limit). */
export function azureNodePoolName(pool: string): string {
  return pool.replace(/[^a-z0-9]/g, "").slice(0, 12);
}

/** GPU node pools: unique names, sizes in order, the cluster of their cloud, the cloud's provider. */
function checkGpuPools(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  const azureNames = new Map<string, string>();
  c.gpu.pools.forEach((p, i) => {
    const at = `platform:gpu.pools[${i}]`;
    if (seen.has(p.name)) errors.push(`${at}.name: "${p.name}" is used by another pool; pool names must be unique`);
    seen.add(p.name);
    if (p.minSize > p.maxSize) errors.push(`${at}.minSize: ${p.minSize} is above maxSize ${p.maxSize}; minSize must be <= maxSize`);
    if (p.desiredSize !== undefined && (p.desiredSize < p.minSize || p.desiredSize > p.maxSize)) {
      errors.push(`${at}.desiredSize: ${p.desiredSize} is outside minSize..maxSize (${p.minSize}..${p.maxSize})`);
    }
    for (const other of ["aws", "gcp", "azure"] as const) {
      if (other === p.cloud && p[other] === undefined) errors.push(`${at}.${other}: missing; a ${other} pool names its cluster there`);
      if (other !== p.cloud && p[other] !== undefined) errors.push(`${at}.${other}: set, but the pool's cloud is "${p.cloud}"; remove it`);
    }
    if (!c.crossplane.enabled || !c.crossplane.providers[p.cloud].enabled) {
      errors.push(`${at}.cloud: "${p.cloud}" needs crossplane.enabled: true and crossplane.providers.${p.cloud}.enabled: true (pools are Crossplane composites)`);
    }
    if (p.cloud === "azure") {
      const az = azureNodePoolName(p.name);
      if (!/^[a-z]/.test(az)) errors.push(`${at}.name: "${p.name}" gives the AKS node pool name "${az}", which must start with a letter`);
      const clash = azureNames.get(az);
      if (clash !== undefined) errors.push(`${at}.name: "${p.name}" and "${clash}" both give the AKS node pool name "${az}" (lowercase alphanumerics, at most 12); rename one`);
      azureNames.set(az, p.name);
    }
  });
  return errors;
}

/** Taints of control-plane nodes (kubeadm's current and legacy keys). */
const CONTROL_PLANE_TAINTS = ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master"];

/** Model fleets: unique names, their namespace, scaling and placement that can work, caches within quota. */
function checkFleets(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const o = c.ollama;
  if (!c.policy.workloadNamespaces.includes(o.namespace)) {
    errors.push(`platform:ollama.namespace: "${o.namespace}" is not in policy.workloadNamespaces (${c.policy.workloadNamespaces.join(", ")}); model servers must run where requests and limits are enforced`);
  }
  const pools = new Map(c.gpu.pools.map((p) => [p.name, p]));
  const quota = c.policy.pvcQuotaExceptions[o.namespace] ?? c.policy.pvcQuota;
  const names = new Map<string, number>();
  o.fleets.forEach((f, i) => {
    const at = `platform:ollama.fleets[${i}]`;
    const name = fleetName(f);
    const first = names.get(name);
    if (first !== undefined) errors.push(`${at}.name: "${name}" is also the name of fleets[${first}]; fleet names must be unique (set name on one)`);
    else names.set(name, i);
    if (f.scaling) {
      const s = f.scaling;
      if (s.minReplicas > s.maxReplicas) errors.push(`${at}.scaling.minReplicas: ${s.minReplicas} is above maxReplicas ${s.maxReplicas}; minReplicas must be <= maxReplicas`);
      if (!c.autoscaling.keda.enabled) errors.push(`${at}.scaling: set, but autoscaling.keda.enabled is false; enable KEDA or remove scaling`);
      s.metrics.forEach((m, j) => {
        if (m.type === "prometheus" && m.query === undefined) errors.push(`${at}.scaling.metrics[${j}].query: missing; type "prometheus" needs a PromQL query`);
        if (m.type !== "prometheus" && m.query !== undefined) errors.push(`${at}.scaling.metrics[${j}].query: set, but only type "prometheus" reads a query`);
      });
      const requestMetric = s.metrics.some((m) => isRequestMetric(m.type));
      const meshed = c.mesh.istio.enabled || c.mesh.linkerd.enabled;
      if (requestMetric && meshed && !c.observability.prometheus.enabled) {
        errors.push(`${at}.scaling.metrics: request metrics come from the mesh through Prometheus; enable observability.prometheus`);
      }
      if (requestMetric && !meshed && !c.autoscaling.keda.httpAddon) {
        errors.push(`${at}.scaling.metrics: request metrics without a mesh need the KEDA HTTP add-on; set autoscaling.keda.httpAddon: true`);
      }
      if (s.metrics.some((m) => m.type === "prometheus") && !c.observability.prometheus.enabled) {
        errors.push(`${at}.scaling.metrics: type "prometheus" needs observability.prometheus.enabled: true`);
      }
    }
    const poolName = f.placement?.gpuPool;
    const pool = poolName === undefined ? undefined : pools.get(poolName);
    if (poolName !== undefined && pool === undefined) {
      const known = [...pools.keys()];
      errors.push(`${at}.placement.gpuPool: "${poolName}" is not a configured pool; ${known.length ? `configured: ${known.join(", ")}` : "platform:gpu.pools is empty"}`);
    }
    if (poolName !== undefined && f.resources.gpu === 0) {
      errors.push(`${at}.placement.gpuPool: set, but resources.gpu is 0; CPU fleets stay off the (tainted, costly) GPU nodes`);
    }
    if (pool && f.resources.gpu > pool.gpuCount) {
      errors.push(`${at}.resources.gpu: ${f.resources.gpu} is more than the ${pool.gpuCount} GPU(s) per node of pool "${pool.name}"; a replica would never schedule`);
    }
    if (c.profile === "prod" && f.resources.gpu > 0 && poolName === undefined && f.placement?.nodeSelector === undefined) {
      errors.push(`${at}.placement: missing; a GPU fleet in prod names a gpuPool or a nodeSelector for its GPU nodes`);
    }
    (f.placement?.tolerations ?? []).forEach((t, j) => {
      if (t.key === undefined || t.key === "" || CONTROL_PLANE_TAINTS.includes(t.key)) {
        errors.push(
          `${at}.placement.tolerations[${j}]: ${t.key ? `tolerates "${t.key}"` : "tolerates every taint (no key)"}, which would schedule model servers onto control-plane nodes; tolerate only the taints of the nodes meant for them (a GPU pool's is added by gpuPool)`,
        );
      }
    });
    if (compareQuantities(f.storage.size, quota) > 0) {
      errors.push(
        `${at}.storage.size: "${f.storage.size}" exceeds the PVC quota of namespace ${o.namespace} (${quota}, platform:policy.pvcQuota); use at most ${quota} or set platform:policy.pvcQuotaExceptions.${o.namespace}`,
      );
    }
  });
  return errors;
}

/** The fleet OpenHands uses: `openhands.llm.fleet`, or the first of `ollama.fleets`; undefined without fleets. */
export function openHandsFleet(c: PlatformConfig): string | undefined {
  return c.openhands.llm?.fleet ?? (c.ollama.fleets[0] ? fleetName(c.ollama.fleets[0]) : undefined);
}

/** OpenHands: keys of the removed chart, its LLM fleet, and a sandbox contract the platform can honour. */
function checkOpenHands(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const o = c.openhands;
  const at = "platform:openhands";
  for (const key of ["license", "values"] as const) {
    if (o[key] !== undefined) {
      errors.push(
        `${at}.${key}: set, but the platform no longer installs the Polyform-licensed openhands chart (its sandbox runtime is closed source and its pods fail the platform's own policies; README, "OpenHands"); remove the key`,
      );
    }
  }
  if (!o.enabled) return errors;
  const names = c.ollama.fleets.map(fleetName);
  if (o.llm !== undefined && !names.includes(o.llm.fleet)) {
    errors.push(`${at}.llm.fleet: "${o.llm.fleet}" is not a fleet of ollama.fleets (${names.length ? names.join(", ") : "none configured"}); name one of them`);
  }
  if (names.length === 0) {
    errors.push(`${at}.enabled: true, but ollama.fleets is empty; OpenHands needs a model fleet for its LLM (add one to ollama.fleets)`);
  }
  const s = o.sandbox;
  const reserved = [OPENHANDS_NAMESPACE, c.ollama.namespace, "default", "kube-system", "kube-public", "kube-node-lease"];
  if (reserved.includes(s.namespace)) {
    errors.push(`${at}.sandbox.namespace: "${s.namespace}" is shared with other workloads; sandboxes run untrusted code and need their own namespace (default openhands-sandboxes)`);
  }
  if (c.certificates.issuer === "acme" && s.tlsSecret === undefined) {
    errors.push(
      `${at}.sandbox.tlsSecret: missing; sandboxes are served at *.${s.domain ?? sandboxDomainDefault(c.domain)} and ACME HTTP-01 cannot issue wildcard certificates. Create a Secret with a wildcard certificate (e.g. from DNS-01) in namespace ${OPENHANDS_NAMESPACE} (never in the sandbox namespace) and name it here`,
    );
  }
  if (c.ingress.ingressNginx.enabled && c.ingress.ingressNginx.default) {
    errors.push(
      `platform:ingress.ingressNginx.default: true, but sandbox Ingresses use the default IngressClass and only Contour serves them the wildcard certificate from namespace ${OPENHANDS_NAMESPACE} (TLS certificate delegation; ingress-nginx would need the key in the sandbox namespace, where untrusted code runs); make contour the default`,
    );
  }
  if (s.domain !== undefined && (s.domain === c.domain || c.domain.endsWith(`.${s.domain}`))) {
    errors.push(
      `${at}.sandbox.domain: "${s.domain}" would put sandboxes beside the platform's own hosts (a wildcard certificate for *.${s.domain} also covers openhands.${c.domain}, grafana.${c.domain}); use a domain of their own such as sandboxes.${c.domain}`,
    );
  }
  if (s.privileged && !c.policy.systemNamespaces.includes(s.namespace)) {
    errors.push(`${at}.sandbox.privileged: true, but "${s.namespace}" is not in policy.systemNamespaces, whose policy rejects privileged containers; add it there too, knowing sandboxes run untrusted code`);
  }
  const required = c.policy.runtimeClasses[s.namespace];
  if (required !== undefined && required !== s.runtimeClass) {
    errors.push(
      `platform:policy.runtimeClasses.${s.namespace}: "${required}", but ${at}.sandbox.runtimeClass is ${s.runtimeClass === undefined ? "unset" : `"${s.runtimeClass}"`}; sandbox pods would be refused. Set openhands.sandbox.runtimeClass to "${required}" and leave the sandbox namespace out of policy.runtimeClasses (it follows openhands.sandbox.runtimeClass)`,
    );
  }
  if (!c.policy.workloadNamespaces.includes(s.namespace)) {
    errors.push(`${at}.sandbox.namespace: "${s.namespace}" is not in policy.workloadNamespaces (${c.policy.workloadNamespaces.join(", ")}); sandboxes must run where requests and limits are enforced`);
  }
  if (compareQuantities(s.requests.memory, s.limits.memory) > 0) {
    errors.push(`${at}.sandbox.requests.memory: "${s.requests.memory}" is above limits.memory "${s.limits.memory}"; a request must not exceed its limit`);
  }
  if (s.limits.cpu !== undefined && compareQuantities(s.requests.cpu, s.limits.cpu) > 0) {
    errors.push(`${at}.sandbox.requests.cpu: "${s.requests.cpu}" is above limits.cpu "${s.limits.cpu}"; a request must not exceed its limit`);
  }
  const quota = c.policy.pvcQuotaExceptions[s.namespace] ?? c.policy.pvcQuota;
  if (compareQuantities(s.pvcSize, quota) > 0) {
    errors.push(`${at}.sandbox.pvcSize: "${s.pvcSize}" exceeds the PVC quota of namespace ${s.namespace} (${quota}, platform:policy.pvcQuota); use at most ${quota}`);
  }
  s.egress.cidrs.forEach((e, i) => {
    // Link-local holds every cloud's instance metadata service (credentials of the node).
    const metadata = "169.254.169.254";
    if (cidrContains(e.cidr, metadata) && !e.except.some((x) => cidrContains(x, metadata))) {
      errors.push(
        `${at}.sandbox.egress.cidrs[${i}].cidr: "${e.cidr}" includes the link-local range (cloud metadata at ${metadata}, which hands out the node's credentials); add "169.254.0.0/16" to its except list or use a narrower CIDR`,
      );
    }
  });
  errors.push(...checkAgentWorkloads(c));
  return errors;
}

/** Who gets in: an OIDC proxy in prod, whose header the gateway trusts, and its client secret. */
export function checkAgentSignIn(c: PlatformConfig, secrets: SecretValues): string[] {
  const errors: string[] = [];
  const o = c.openhands;
  const at = "platform:openhands";
  if (!o.enabled) {
    if (secrets.openhandsOidcClientSecret !== undefined) errors.push(`platform:openhandsOidcClientSecret: set, but openhands.enabled is false; remove the secret or enable the agent platform`);
    return errors;
  }
  if (o.oidc === undefined) {
    if (c.profile === "prod") {
      errors.push(
        `${at}.oidc: missing; in prod the agent UI and the sandbox server are reachable only through OIDC sign-in: set issuerUrl, clientId and emailDomains, gateway.auth "oidc-header", and the secret platform:openhandsOidcClientSecret`,
      );
    }
    if (secrets.openhandsOidcClientSecret !== undefined) errors.push(`platform:openhandsOidcClientSecret: set, but ${at}.oidc is not; remove the secret or configure OIDC`);
    return errors;
  }
  errors.push(...oidcProblems({ ...o.oidc }));
  if (o.gateway.auth !== "oidc-header") {
    errors.push(`${at}.gateway.auth: "${o.gateway.auth}" with ${at}.oidc set; the gateway must trust the proxy's header: use "oidc-header"`);
  } else if (o.gateway.identityHeader !== o.oidc.identityHeader) {
    errors.push(`${at}.gateway.identityHeader: "${o.gateway.identityHeader}" is not the header the OIDC proxy sets (${at}.oidc.identityHeader "${o.oidc.identityHeader}"); set both to the same`);
  }
  if (secrets.openhandsOidcClientSecret === undefined) {
    errors.push(`platform:openhandsOidcClientSecret: missing; ${at}.oidc is set. Set it with: pulumi config set --secret platform:openhandsOidcClientSecret <client secret>`);
  }
  return errors;
}

/** The sandbox server, runtime and gateway: what their storage and requests allow. */
function checkAgentWorkloads(c: PlatformConfig): string[] {
  const errors: string[] = [];
  const o = c.openhands;
  const at = "platform:openhands";
  if (o.server.replicas !== 1) {
    errors.push(
      `${at}.server.replicas: ${o.server.replicas} is not allowed; the sandbox server keeps its settings, keys and conversation events on one ReadWriteOnce volume (and SQLite allows one writer), so it runs 1 replica`,
    );
  }
  if (o.server.database.kind === "sqlite" && o.server.database.instances !== 1) {
    errors.push(`${at}.server.database.instances: ${o.server.database.instances} applies to postgres only; with kind sqlite remove it`);
  }
  for (const key of ["server", "runtime", "gateway"] as const) {
    const r = o[key].resources;
    if (compareQuantities(r.requests.memory, r.limits.memory) > 0) {
      errors.push(`${at}.${key}.resources.requests.memory: "${r.requests.memory}" is above limits.memory "${r.limits.memory}"; a request must not exceed its limit`);
    }
    if (r.limits.cpu !== undefined && compareQuantities(r.requests.cpu, r.limits.cpu) > 0) {
      errors.push(`${at}.${key}.resources.requests.cpu: "${r.requests.cpu}" is above limits.cpu "${r.limits.cpu}"; a request must not exceed its limit`);
    }
  }
  return errors;
}
