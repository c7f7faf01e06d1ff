import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import { compareQuantities, isQuantity, parseQuantity } from "../../lib/quantity";
import { CHARTS } from "../catalog";
import type { ClusterLayer, DatabaseLayer, NetworkLayer, ObservabilityLayer, PostgresConnection, PostgresOptions, PostgresSpec, StorageLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow } from "../namespace-ingress";
import { WAIT_READY } from "../platform-names";
import type { PlatformConfig } from "../../config/schema";

/*
 * PostgreSQL for the platform's own services (the OpenHands sandbox server's database in
 * prod): the CloudNativePG operator (chart cloudnative-pg 0.29.0, operator 1.30.0) and, per
 * database, one `postgresql.cnpg.io/v1` Cluster that the caller creates through
 * {@link Database.postgres}. Facts below are from the operator's source at v1.30.0.
 */

/**
 * The PostgreSQL image every Cluster runs: PostgreSQL 17.11, CloudNativePG's `standard`
 * image (PGDG packages, pgaudit, pgvector, failover slots) on Debian trixie, by its full
 * build tag and digest, as cloudnative-pg/artifacts image-catalogs/catalog-standard-trixie.yaml
 * (2026-08-17) lists it for major 17. Not the deprecated `system` images (the operator's
 * default, 18.4-system-trixie, is one). The webhook accepts `<image>:<tag>@sha256:<digest>`.
 */
export const POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:17.11-202608170816-standard-trixie@sha256:91e0de662d53895a45f1396f4ee1a75daeb0c26fc87853afc9c8f43e01fdaa21";

/** PostgreSQL's port on every CloudNativePG service (`postgres.ServerPort`). */
export const POSTGRES_PORT = 5432;

/** Operator settings (the program derives them from the profile and observability). */
export interface DatabaseSettings {
  /** Operator Deployment replicas (the operator runs with --leader-elect: one is active). */
  operatorReplicas: number;
  /** The operator's own PodMonitor (chart `monitoring.podMonitorEnabled`); needs the Prometheus Operator CRDs. */
  monitoring: boolean;
  /** Extra values for the chart. Defaults to none. */
  values?: Values;
}

/** Requests and limits of the operator's manager container (the platform sets no CPU limits). */
export const OPERATOR_RESOURCES = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } };

/**
 * Values of the `cloudnative-pg` chart (0.29.0). Every key exists in its values.yaml. The
 * chart's pods pass Pod Security `restricted` with its defaults (runAsNonRoot, seccomp
 * RuntimeDefault, no privilege escalation, all capabilities dropped, emptyDir and Secret
 * volumes only). The webhook serves a certificate the operator generates itself.
 */
export function renderCnpgValues(s: Pick<DatabaseSettings, "operatorReplicas" | "monitoring">): Values {
  return {
    replicaCount: s.operatorReplicas,
    // The CRDs are templates of this chart (templates/crds/crds.yaml, kept on uninstall).
    crds: { create: true },
    resources: OPERATOR_RESOURCES,
    monitoring: { podMonitorEnabled: s.monitoring },
  };
}

// initdb, the image pull and (with replicas) a pg_basebackup per replica come first.
const CLUSTER_TIMEOUTS = { create: "20m", update: "20m" };

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
// The operator's own roles: the superuser and the replication user (api/v1 StreamingReplicationUser).
const RESERVED_ROLES = new Set(["postgres", "streaming_replica"]);

/**
 * Problems with a database's name and spec, each naming its key; empty when valid. Checks
 * what the CRD and the operator's webhook (internal/webhook/v1/cluster_webhook.go) would
 * reject, and the platform's resource policy, so a mistake fails at preview.
 */
export function postgresProblems(name: string, spec: PostgresSpec): string[] {
  const out: string[] = [];
  // validateName: a DNS-1035 label of at most 50 characters (Services and Pods derive from it).
  if (!DNS1035_LABEL.test(name) || name.length > 50) out.push(`name: "${name}" must be a DNS-1035 label (lowercase letters, digits, '-', starting with a letter) of at most 50 characters`);
  if (!Number.isInteger(spec.instances) || spec.instances < 1) out.push(`instances: ${spec.instances} must be an integer of at least 1`);
  if (!isQuantity(spec.size)) out.push(`size: "${spec.size}" is not a Kubernetes quantity (e.g. 10Gi)`);
  else if (compareQuantities(parseQuantity(spec.size), parseQuantity("0")) <= 0) out.push(`size: "${spec.size}" must be greater than zero`);
  if (spec.storageClass !== undefined && spec.storageClass === "") out.push(`storageClass: must not be empty (omit it for the default class)`);
  for (const key of ["database", "owner"] as const) {
    const v = spec[key];
    if (!PG_IDENTIFIER.test(v) || v.length > 63) out.push(`${key}: "${v}" must be a lowercase PostgreSQL identifier (letters, digits, '_', not starting with a digit) of at most 63 characters`);
  }
  if (RESERVED_ROLES.has(spec.owner)) out.push(`owner: "${spec.owner}" is a role the operator manages itself`);
  const r = spec.resources;
  const fields: [string, string | undefined, boolean][] = [
    ["resources.requests.cpu", r?.requests?.cpu, true],
    ["resources.requests.memory", r?.requests?.memory, true],
    ["resources.limits.memory", r?.limits?.memory, true],
    ["resources.limits.cpu", r?.limits?.cpu, false],
  ];
  for (const [key, v, required] of fields) {
    if (v === undefined) {
      if (required) out.push(`${key}: missing (the platform's policy requires cpu and memory requests and a memory limit)`);
    } else if (!isQuantity(v)) out.push(`${key}: "${v}" is not a Kubernetes quantity`);
  }
  // validateResources: a request above its limit is rejected.
  for (const res of ["cpu", "memory"] as const) {
    const req = r?.requests?.[res];
    const lim = r?.limits?.[res];
    if (req !== undefined && lim !== undefined && isQuantity(req) && isQuantity(lim) && compareQuantities(req, lim) > 0) {
      out.push(`resources.requests.${res}: ${req} is greater than the limit ${lim}`);
    }
  }
  return out;
}

/** The Cluster object for a database (pure, for tests); `defaultStorageClass` is used when the spec names no class. */
export function renderCluster(name: string, spec: PostgresSpec, defaultStorageClass: string): k8s.apiextensions.CustomResourceArgs {
  const resources: Record<string, Record<string, string>> = {
    requests: { cpu: spec.resources.requests.cpu, memory: spec.resources.requests.memory },
    limits: { memory: spec.resources.limits.memory, ...(spec.resources.limits.cpu !== undefined ? { cpu: spec.resources.limits.cpu } : {}) },
  };
  return {
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Cluster",
    // Pulumi's generic await: the Cluster is created once its `Ready` condition is True
    // (api/v1 ConditionClusterReady = "Ready", set by the operator when all instances are up).
    metadata: { name, namespace: spec.namespace, annotations: WAIT_READY },
    spec: {
      instances: spec.instances,
      imageName: POSTGRES_IMAGE,
      storage: { size: spec.size, storageClass: spec.storageClass ?? defaultStorageClass },
      bootstrap: { initdb: { database: spec.database, owner: spec.owner } },
      resources,
      // A single instance's PDB (minAvailable 1 on the primary) would block every node
      // drain; with replicas the operator's PDBs keep the primary and a quorum up.
      enablePDB: spec.instances > 1,
    },
  };
}

/** Whether the stack runs Postgres for the sandbox server (CloudNativePG). */
export function enabled(c: PlatformConfig): boolean {
  return c.openhands.enabled && c.openhands.server.database.kind === "postgres";
}

/** Arguments of {@link Database}. */
export interface DatabaseArgs {
  cluster: ClusterLayer;
  /** The operator's pods wait for the CNI. */
  network: NetworkLayer;
  /** Every instance's data volume is a PVC: Clusters wait for the storage layer. */
  storage: StorageLayer;
  /** The Prometheus Operator's CRDs, which the operator's PodMonitor needs; required when `settings.monitoring`. */
  observability?: ObservabilityLayer;
  settings: DatabaseSettings;
  /**
   * Keep the data (prod). Defaults to false (dev). When set, every Cluster
   * {@link Database.postgres} creates is `protect`ed: CloudNativePG (v1.30.0) has no
   * deletion-protection field, and it makes the Cluster the controller owner of its PVCs
   * (pkg/reconciler/persistentvolumeclaim/build.go: `WithClusterInheritance`, i.e.
   * `SetInheritedDataAndOwnership`), so deleting the Cluster garbage-collects its volumes;
   * only the StorageClass's Retain (storage layer, same flag) then keeps the disks. The
   * Cluster's namespace is its caller's to keep (`retainOnDelete`).
   */
  protectData?: boolean;
}

/**
 * The CloudNativePG operator in `cnpg-system` (Pod Security restricted, out of the mesh: it
 * talks to the API server and to the instances' status endpoints). Databases are created
 * by the layers that own them, with {@link Database.postgres}, in their own namespaces.
 */
export class Database extends pulumi.ComponentResource implements DatabaseLayer {
  /** The operator release: serving its webhooks (the release waits for its readiness probe). */
  public readonly ready: pulumi.Resource[];
  /** The operator release. */
  public readonly operator: k8s.helm.v3.Release;
  private readonly provider: k8s.Provider;
  private readonly storage: StorageLayer;
  private readonly protectData: boolean;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:database:Database", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    const pin = CHARTS.cloudnativePg;
    if (!Number.isInteger(s.operatorReplicas) || s.operatorReplicas < 1) {
      throw new pulumi.ResourceError(`Database args.settings.operatorReplicas: ${s.operatorReplicas} must be an integer of at least 1`, this);
    }
    if (s.monitoring && args.observability === undefined) {
      throw new pulumi.ResourceError(`Database args.settings.monitoring: true, but args.observability is undefined; the operator's PodMonitor needs the Prometheus Operator CRDs`, this);
    }
    this.provider = args.cluster.provider;
    this.storage = args.storage;
    this.protectData = args.protectData ?? false;

    // The operator serves its validating and mutating webhooks on container port 9443 (chart 0.29 `webhook.port`).
    const ingress = { flows: [apiServerFlow("webhook", { "app.kubernetes.io/name": "cloudnative-pg" }, [9443], "The API server calls CloudNativePG's validating and mutating webhooks.")] };
    const ns = platformNamespace(`${name}-ns`, { name: pin.namespace, podSecurity: "restricted", ingress }, this);
    this.operator = platformRelease(
      `${name}-cnpg`,
      {
        pin,
        releaseName: "cnpg",
        namespace: ns,
        values: renderCnpgValues(s),
        overrides: s.values,
        dependsOn: [...args.network.ready, ...(s.monitoring ? args.observability!.ready : [])],
      },
      { parent: this },
    );
    this.ready = [this.operator];
    this.registerOutputs({});
  }

  /**
   * A PostgreSQL Cluster `name` in `spec.namespace`, child of `opts.parent`, created after the
   * operator (its CRD and webhooks) and the storage layer, `protect`ed when the layer
   * protects data (see {@link DatabaseArgs.protectData}). Throws naming the first bad key.
   */
  postgres(name: string, spec: PostgresSpec, opts: PostgresOptions): PostgresConnection {
    const problems = postgresProblems(name, spec);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`database.postgres("${name}").${problems.join(`; database.postgres("${name}").`)}`, opts.parent);
    }
    const resource = new k8s.apiextensions.CustomResource(opts.resourceName ?? `${name}-postgres`, renderCluster(name, spec, this.storage.defaultStorageClass), {
      parent: opts.parent,
      provider: this.provider,
      dependsOn: [...this.ready, ...this.storage.ready, ...(opts.dependsOn ?? [])],
      customTimeouts: CLUSTER_TIMEOUTS,
      // Its PVCs go with it (owner references): a destroy or a rename must not delete it.
      protect: this.protectData,
    });
    return {
      host: pulumi.interpolate`${name}-rw.${spec.namespace}.svc.cluster.local`,
      port: POSTGRES_PORT,
      database: spec.database,
      user: spec.owner,
      secretName: `${name}-app`,
      resource,
    };
  }
}
