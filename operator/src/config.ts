import { checkLeaderTiming, LEASE_DURATION_MS, RENEW_DEADLINE_MS, RETRY_PERIOD_MS } from "./leader";
import type { LogLevel } from "./log";
import { type Mesh, MESHES } from "./types";

/*
 * Settings from flags (`--mesh=istio`) or environment (`MESH=istio`); flags win. The chart
 * sets the environment. Invalid settings stop the process at start with a message naming
 * the setting, the value and what is allowed.
 */

/** The operator's settings. */
export interface OperatorConfig {
  /** Defaults to none. */
  mesh: Mesh;
  /** Defaults to http://kube-prometheus-stack-prometheus.monitoring.svc:9090. */
  prometheusUrl: string;
  /** Namespaces to watch; empty for all. Defaults to all. */
  watchNamespaces: string[];
  /** Fleets reconciled at once (a pass mostly waits on the API server). Defaults to 8. */
  concurrency: number;
  /** Defaults to 8080. */
  metricsPort: number;
  /** Defaults to 8081. */
  healthPort: number;
  /** Defaults to info. */
  logLevel: LogLevel;
  /** Defaults to true. */
  leaderElection: boolean;
  /** Namespace of the leader Lease. Defaults to POD_NAMESPACE, else default. */
  leaseNamespace: string;
  /** Defaults to ollama-fleet-operator. */
  leaseName: string;
  /** How long standbys wait for a renewal before taking the lease over. Defaults to 15. */
  leaseDurationSeconds: number;
  /** How long the leader tries to renew before it stops leading; less than leaseDurationSeconds. Defaults to 10. */
  renewDeadlineSeconds: number;
  /** Pause between lease attempts; less than renewDeadlineSeconds. Defaults to 2. */
  retryPeriodSeconds: number;
  /** This replica's identity. Defaults to POD_NAME, else the hostname. */
  identity: string;
  /** Seconds to drain the queue on SIGTERM. Defaults to 20. */
  shutdownSeconds: number;
}

const FLAGS: Record<string, keyof OperatorConfig> = {
  mesh: "mesh",
  "prometheus-url": "prometheusUrl",
  "watch-namespaces": "watchNamespaces",
  concurrency: "concurrency",
  "metrics-port": "metricsPort",
  "health-port": "healthPort",
  "log-level": "logLevel",
  "leader-election": "leaderElection",
  "lease-namespace": "leaseNamespace",
  "lease-name": "leaseName",
  "lease-duration-seconds": "leaseDurationSeconds",
  "renew-deadline-seconds": "renewDeadlineSeconds",
  "retry-period-seconds": "retryPeriodSeconds",
  identity: "identity",
  "shutdown-seconds": "shutdownSeconds",
};

const envName = (flag: string) => flag.toUpperCase().replace(/-/g, "_");

/** Settings from argv (without node and script) and the environment; throws on bad values. */
export function loadConfig(argv: readonly string[], env: Record<string, string | undefined>, hostname: string): OperatorConfig {
  const raw: Record<string, string> = {};
  for (const flag of Object.keys(FLAGS)) {
    const v = env[envName(flag)];
    if (v !== undefined && v !== "") raw[flag] = v;
  }
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(m[1] in FLAGS)) throw new Error(`unknown argument ${arg}; flags: ${Object.keys(FLAGS).map((f) => `--${f}`).join(", ")}`);
    raw[m[1]] = m[2] ?? "true";
  }
  const int = (flag: string, dflt: number, min: number, max: number) => {
    if (raw[flag] === undefined) return dflt;
    const n = Number(raw[flag]);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} (${envName(flag)}): "${raw[flag]}" must be an integer from ${min} to ${max}`);
    return n;
  };
  const mesh = (raw.mesh ?? "none") as Mesh;
  if (!MESHES.includes(mesh)) throw new Error(`--mesh (MESH): "${raw.mesh}" must be one of ${MESHES.join(", ")}`);
  const logLevel = (raw["log-level"] ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) throw new Error(`--log-level (LOG_LEVEL): "${logLevel}" must be debug, info, warn or error`);
  const prometheusUrl = raw["prometheus-url"] ?? "http://kube-prometheus-stack-prometheus.monitoring.svc:9090";
  if (!/^https?:\/\/[^\s/]+/.test(prometheusUrl)) throw new Error(`--prometheus-url (PROMETHEUS_URL): "${prometheusUrl}" must be an http(s) URL`);
  const watchNamespaces = (raw["watch-namespaces"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const ns of watchNamespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) throw new Error(`--watch-namespaces (WATCH_NAMESPACES): "${ns}" is not a namespace name`);
  }
  const bool = (flag: string, dflt: boolean) => {
    if (raw[flag] === undefined) return dflt;
    if (raw[flag] !== "true" && raw[flag] !== "false") throw new Error(`--${flag} (${envName(flag)}): "${raw[flag]}" must be true or false`);
    return raw[flag] === "true";
  };
  const timing = {
    leaseDuration: int("lease-duration-seconds", LEASE_DURATION_MS / 1000, 1, 3600),
    renewDeadline: int("renew-deadline-seconds", RENEW_DEADLINE_MS / 1000, 1, 3600),
    retryPeriod: int("retry-period-seconds", RETRY_PERIOD_MS / 1000, 1, 3600),
  };
  const flag = (f: string) => `--${f} (${envName(f)})`;
  checkLeaderTiming(timing, { leaseDuration: flag("lease-duration-seconds"), renewDeadline: flag("renew-deadline-seconds"), retryPeriod: flag("retry-period-seconds") });
  return {
    mesh,
    prometheusUrl,
    watchNamespaces: [...new Set(watchNamespaces)].sort(),
    concurrency: int("concurrency", 16, 1, 64),
    metricsPort: int("metrics-port", 8080, 1, 65535),
    healthPort: int("health-port", 8081, 1, 65535),
    logLevel,
    leaderElection: bool("leader-election", true),
    leaseNamespace: raw["lease-namespace"] ?? env.POD_NAMESPACE ?? "default",
    leaseName: raw["lease-name"] ?? "ollama-fleet-operator",
    leaseDurationSeconds: timing.leaseDuration,
    renewDeadlineSeconds: timing.renewDeadline,
    retryPeriodSeconds: timing.retryPeriod,
    identity: raw.identity ?? env.POD_NAME ?? hostname,
    shutdownSeconds: int("shutdown-seconds", 20, 1, 600),
  };
}
