import type { Values } from "../../lib/merge";
import { PART_OF } from "../platform-names";
import { ENDPOINTS, resources, SIZING, type ObservabilitySettings } from "./settings";

/** Where the badger volume is mounted in the Jaeger pod. */
export const BADGER_MOUNT = "/badger";
/** The PVC the badger store lives on (created by the component, mounted by the chart). */
export const BADGER_CLAIM = "jaeger-badger";
/** Traces the memory store keeps (oldest dropped first); bounds the dev pod's memory. */
export const MEMORY_MAX_TRACES = 20000;

/**
 * The Jaeger v2 configuration (an OpenTelemetry Collector config), for Jaeger 2.19. The
 * chart starts Jaeger with `--config` only when `userconfig` is set, and that file
 * replaces the built-in all-in-one config, so it is complete: OTLP in, one trace store,
 * the query UI on 16686 and the v2 health check on 13133 at `/status` (the chart's probes).
 * Keys as in jaeger v2.19.0's cmd/jaeger/config-badger.yaml and all-in-one.yaml.
 */
export function jaegerConfig(jaeger: ObservabilitySettings["jaeger"]): Values {
  const store =
    jaeger.storage === "badger"
      ? {
          badger: {
            directories: { keys: `${BADGER_MOUNT}/keys`, values: `${BADGER_MOUNT}/values` },
            ephemeral: false,
            ttl: { spans: `${jaeger.retentionHours}h` },
          },
        }
      : { memory: { max_traces: MEMORY_MAX_TRACES } };
  return {
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: {
        resource: { "service.name": "jaeger" },
        metrics: { level: "detailed", readers: [{ pull: { exporter: { prometheus: { host: "0.0.0.0", port: 8888 } } } }] },
        logs: { level: "info" },
      },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: "0.0.0.0:13133" } },
      jaeger_query: {
        storage: { traces: "traces" },
        http: { endpoint: `0.0.0.0:${ENDPOINTS.jaeger.ui}` },
        grpc: { endpoint: "0.0.0.0:16685" },
      },
      jaeger_storage: { backends: { traces: store } },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: `0.0.0.0:${ENDPOINTS.jaeger.otlpGrpc}` },
          http: { endpoint: `0.0.0.0:${ENDPOINTS.jaeger.otlpHttp}` },
        },
      },
    },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "traces" } },
  };
}

/** What the Jaeger values depend on. */
export interface JaegerInput {
  jaeger: ObservabilitySettings["jaeger"];
  profile: "dev" | "prod";
}

/**
 * Values for the `jaeger` chart 4.11.1 (Jaeger v2.19 all-in-one, one Deployment with
 * the `Recreate` strategy, so a ReadWriteOnce badger volume is never mounted twice).
 * memory in dev; badger on a PVC in prod: traces survive restarts without running
 * Elasticsearch or Cassandra, at the price of a single replica.
 */
export function renderJaegerValues(input: JaegerInput): Values {
  const badger = input.jaeger.storage === "badger";
  return {
    jaeger: {
      resources: resources(SIZING[input.profile].jaeger),
      ...(badger
        ? {
            extraVolumes: [{ name: "badger", persistentVolumeClaim: { claimName: BADGER_CLAIM } }],
            extraVolumeMounts: [{ name: "badger", mountPath: BADGER_MOUNT }],
          }
        : {}),
    },
    userconfig: jaegerConfig(input.jaeger),
  };
}

/** The PVC the badger store lives on (prod). */
export function badgerClaim(namespace: string, storageClass: string, size: string): Values {
  return {
    metadata: { name: BADGER_CLAIM, namespace, labels: { ...PART_OF } },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: storageClass, resources: { requests: { storage: size } } },
  };
}
