import { z } from "zod";
import { dnsLabel, helmValues, quantity } from "./primitives";

/* Block and object storage, and the observability stack. */

export const storageProvider = z.strictObject({
  enabled: z.boolean(),
  default: z.boolean(),
  values: helmValues,
});

export const storage = z.strictObject({
  /** kind's built-in local-path provisioner (StorageClass `standard`); kind mode only. */
  localPath: z.strictObject({ enabled: z.boolean(), default: z.boolean() }),
  rookCeph: storageProvider.extend({
    /** Host path for Ceph's state on each node. */
    dataDirHostPath: z.string().startsWith("/", { message: "must be an absolute path" }).default("/var/lib/rook"),
    /** Monitors; odd, 1 to 9. */
    mons: z.number().int().min(1).max(9).refine((n) => n % 2 === 1, { message: "must be odd (1, 3, 5, 7 or 9)" }).default(3),
    /** Serve the Ceph dashboard (in-cluster, TLS). Defaults to true. */
    dashboard: z.boolean().default(true),
    /** Run OSDs on every node (the chart's default). Defaults to true. */
    useAllNodes: z.boolean().default(true),
    /** Let Rook consume every empty device on every node (the chart's default). */
    useAllDevices: z.boolean().default(true),
    /** OSDs per device (more on fast NVMe). Defaults to 1. */
    osdsPerDevice: z.number().int().min(1).max(4).default(1),
    /** Extra values for the rook-ceph-cluster chart (`values` goes to the operator chart). */
    clusterValues: helmValues,
    /** Extra values for the ceph-csi-drivers chart (the CSI drivers' CRs). */
    csiDriversValues: helmValues,
  }),
  longhorn: storageProvider.extend({
    replicas: z.number().int().min(1).max(5).default(3),
  }),
});

export const objectStorage = z.strictObject({
  minio: z.strictObject({
    enabled: z.boolean(),
    servers: z.number().int().min(1).max(32).default(4),
    volumesPerServer: z.number().int().min(1).max(16).default(4),
    volumeSize: quantity.default("100Gi"),
    /** StorageClass of the pool's volumes; defaults to the platform's default class. */
    storageClass: dnsLabel.optional(),
    /** Buckets created in the tenant. */
    buckets: z.array(dnsLabel).default([]),
    /** Requests of each MinIO server container (the chart sets none). Defaults to none. */
    requests: z.strictObject({ cpu: quantity, memory: quantity }).optional(),
    values: helmValues,
    /** Extra values for the MinIO operator chart (`values` goes to the tenant chart). Defaults to none. */
    operatorValues: helmValues,
  }),
  cephRgw: z.strictObject({
    enabled: z.boolean(),
    buckets: z.array(dnsLabel).default([]),
  }),
});

export const observability = z.strictObject({
  otel: z.strictObject({
    enabled: z.boolean(),
    /** Extra values for the opentelemetry-collector chart (the platform's collector). */
    values: helmValues,
    /** Extra values for the opentelemetry-operator chart. */
    operatorValues: helmValues,
  }),
  prometheus: z.strictObject({
    enabled: z.boolean(),
    retention: z.string().regex(/^\d+(ms|s|m|h|d|w|y)$/, { message: "must be a Prometheus duration such as 15d or 12h" }).default("15d"),
    storageSize: quantity.default("50Gi"),
    values: helmValues,
  }),
  grafana: z.strictObject({ enabled: z.boolean(), values: helmValues }),
  loki: z.strictObject({ enabled: z.boolean(), storageSize: quantity.default("10Gi"), values: helmValues }),
  jaeger: z.strictObject({
    enabled: z.boolean(),
    /** `memory`: traces live in the pod and vanish on restart (dev); `badger`: on a PVC (prod). Defaults to memory. */
    storage: z.enum(["memory", "badger"]).default("memory"),
    /** Size of the badger volume (storage `badger` only). Defaults to 10Gi. */
    storageSize: quantity.default("10Gi"),
    /** How long badger keeps spans, in hours (storage `badger` only). Defaults to 168 (7 days). */
    retentionHours: z.number().int().min(1).max(8760).default(168),
    values: helmValues,
  }),
});
