import type { Values } from "../../lib/merge";
import { claimRetention, resources, SIZING, type ObservabilitySettings } from "./settings";

/**
 * First day of the platform's Loki schema. Fixed, not "today": a schema period's `from`
 * must never move once data is written, and values must render the same on every run.
 */
export const LOKI_SCHEMA_FROM = "2026-01-01";

/** What the Loki values depend on. */
export interface LokiInput {
  loki: ObservabilitySettings["loki"];
  profile: "dev" | "prod";
  /** The StorageLayer's default StorageClass. */
  storageClass: string;
  /**
   * Keep the volume when the StatefulSet is deleted or scaled down (prod: true) or delete it
   * with it (dev: false). Unset: the chart renders no policy (Kubernetes then keeps it).
   */
  retainVolumes?: boolean;
}

/**
 * Values for the grafana-community `loki` chart 18.11.0 (Loki 3.7), keys checked against
 * that tag's values.yaml and validate.yaml: one Monolithic replica on a filesystem volume,
 * no auth, no caches, no MinIO, no gateway. OTLP ingest is Loki's own `/otlp` endpoint on
 * the `loki` Service (port 3100).
 */
export function renderLokiValues(input: LokiInput): Values {
  return {
    deploymentMode: "Monolithic",
    loki: {
      // Single-tenant: every writer and reader is the "fake" tenant.
      auth_enabled: false,
      // One replica holds every stream; the chart's default of 3 would never reach quorum.
      commonConfig: { replication_factor: 1 },
      storage: { type: "filesystem" },
      // validate.yaml fails without a schema (or useTestSchema).
      schemaConfig: {
        configs: [
          {
            from: LOKI_SCHEMA_FROM,
            store: "tsdb",
            object_store: "filesystem",
            schema: "v13",
            index: { prefix: "loki_index_", period: "24h" },
          },
        ],
      },
    },
    // Monolithic means the single binary only: validate.yaml refuses the simple scalable
    // targets' default of 3 replicas each beside it.
    backend: { replicas: 0 },
    read: { replicas: 0 },
    write: { replicas: 0 },
    singleBinary: {
      replicas: 1,
      resources: resources(SIZING[input.profile].loki),
      persistence: {
        enabled: true,
        size: input.loki.storageSize,
        storageClass: input.storageClass,
        // The chart writes persistentVolumeClaimRetentionPolicy only with enableStatefulSetAutoDeletePVC
        // (templates/_workload.tpl in 18.11.0); its own whenDeleted/whenScaled default to Delete.
        ...(input.retainVolumes === undefined ? {} : { enableStatefulSetAutoDeletePVC: true, ...claimRetention(input.retainVolumes) }),
      },
    },
    // The default chunks cache reserves 8 GiB of memcached; results cache another 1 GiB.
    chunksCache: { enabled: false },
    resultsCache: { enabled: false },
    minio: { enabled: false },
    // Grafana and the collector talk to the `loki` Service directly; the nginx gateway only
    // adds a hop (and a pod) for a single-tenant install.
    gateway: { enabled: false },
    // The canary DaemonSet and the Helm test (which needs the canary) are install-time checks.
    lokiCanary: { enabled: false },
    test: { enabled: false },
  };
}
