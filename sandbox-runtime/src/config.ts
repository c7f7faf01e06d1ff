import * as fs from "node:fs";
import { isQuantity } from "./quantity";
import { RESERVED_ENV } from "./spec";
import type { LogLevel } from "./log";

/*
 * The service's settings: a JSON file (SANDBOX_RUNTIME_CONFIG) with every key optional
 * except `domain`, then a few environment overrides (the ones a chart sets per install).
 * Everything is validated up front; each problem names the key path, the bad value and what
 * is allowed, and all problems are reported at once. README.md lists every key.
 */

/** CPU, memory and ephemeral-storage for requests or limits. */
export interface ResourceList {
  cpu: string;
  memory: string;
  "ephemeral-storage": string;
}

/** A sandbox spec as the app sends it in /start, normalised (also a warm pool's template). */
export interface SandboxSpec {
  image: string;
  /** A list (container args, the image ENTRYPOINT kept), a string (run by `bash -c`), or absent. */
  command?: string[] | string;
  environment: Record<string, string>;
  working_dir?: string;
  resource_factor: number;
  run_as_user: number;
  run_as_group: number;
  fs_group: number;
  runtime_class?: string;
  image_pull_policy?: "Always" | "IfNotPresent" | "Never";
}

/** A warm pool: `size` sandboxes started ahead with `template`. */
export interface WarmPool {
  name: string;
  size: number;
  template: SandboxSpec;
}

/** Kubernetes toleration, passed through. */
export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

/** The whole configuration. */
export interface Config {
  listen: { host: string; port: number };
  /** Namespace of every sandbox object. Defaults to "openhands-sandboxes". */
  namespace: string;
  /** DNS domain of the sandbox hosts (`<session>.<domain>`). Required. */
  domain: string;
  /** Placeholders: {session}, {runtimeId}, {domain}, {namespace}. Defaults to "https://{session}.{domain}". */
  urlTemplate: string;
  probe: { via: "url" | "service"; timeoutMs: number; insecureSkipTlsVerify: boolean };
  ingress: { enabled: boolean; className?: string; tlsSecretName?: string; annotations: Record<string, string> };
  workspace: { size: string; storageClassName?: string; mountPath: string };
  resources: { requests: ResourceList; limits: ResourceList };
  maxResourceFactor: number;
  imagePullSecrets: string[];
  imagePullPolicy: "Always" | "IfNotPresent" | "Never";
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /**
   * The runtime class every sandbox gets (`default`: then the only one), or, without a
   * default, the classes a request may ask for (`allowed`).
   */
  runtimeClass: { default?: string; allowed: string[] };
  serviceAccountName?: string;
  defaultUser: number;
  /** Environment names matching any of these (case-insensitive) go into the session Secret. */
  secretEnvPatterns: string[];
  /**
   * Variables set on every sandbox pod over what the request sends (the platform's in-cluster
   * webhook URL, for one). Not part of the request, so not of the warm-pool spec hash; they are
   * recorded on each sandbox's anchor when its pod environment is fixed (start, warm start,
   * resume) and folded into its spec-hash label (see podSpecHash in spec.ts).
   */
  environment: Record<string, string>;
  idle: { pauseAfterSeconds: number; activityWriteSeconds: number };
  crash: { maxRestarts: number; cleanupAfterSeconds: number };
  loopSeconds: number;
  leaderElection: { enabled: boolean; leaseName: string; leaseSeconds: number; renewSeconds: number };
  warmPools: WarmPool[];
  apiKeys: string[];
  logLevel: LogLevel;
  shutdownSeconds: number;
  identity: string;
}

/** Thrown with every problem found in the configuration. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid sandbox-runtime configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

const DEFAULT_SECRET_PATTERNS = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE", "AUTH"];
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"] as const;
const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
const TOP_KEYS = ["listen", "namespace", "domain", "urlTemplate", "probe", "ingress", "workspace", "resources", "maxResourceFactor", "imagePullSecrets", "imagePullPolicy", "nodeSelector", "tolerations", "runtimeClass", "serviceAccountName", "defaultUser", "secretEnvPatterns", "environment", "idle", "crash", "loopSeconds", "leaderElection", "warmPools", "logLevel", "shutdownSeconds"];

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v) ?? String(v);

/** Reads values out of a JSON object, collecting problems instead of throwing. */
class Reader {
  constructor(readonly problems: string[]) {}
  obj(parent: Json, key: string, path: string, allowed?: string[]): Json {
    const v = parent[key];
    if (v === undefined) return {};
    if (!isObj(v)) {
      this.problems.push(`${path}: ${show(v)} is not an object`);
      return {};
    }
    if (allowed) for (const k of Object.keys(v)) if (!allowed.includes(k)) this.problems.push(`${path}.${k}: unknown key; allowed: ${allowed.join(", ")}`);
    return v;
  }
  str(parent: Json, key: string, path: string, def: string, test?: [RegExp | ((s: string) => boolean), string]): string {
    const v = parent[key];
    if (v === undefined) return def;
    if (typeof v !== "string") {
      this.problems.push(`${path}: ${show(v)} is not a string`);
      return def;
    }
    if (test) {
      const ok = typeof test[0] === "function" ? test[0](v) : test[0].test(v);
      if (!ok) this.problems.push(`${path}: ${show(v)} is not allowed; ${test[1]}`);
    }
    return v;
  }
  optStr(parent: Json, key: string, path: string, test?: [RegExp, string]): string | undefined {
    if (parent[key] === undefined || parent[key] === null) return undefined;
    return this.str(parent, key, path, "", test);
  }
  oneOf<T extends string>(parent: Json, key: string, path: string, def: T, allowed: readonly T[]): T {
    const v = parent[key];
    if (v === undefined) return def;
    if (typeof v !== "string" || !allowed.includes(v as T)) {
      this.problems.push(`${path}: ${show(v)} is not allowed; use one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
      return def;
    }
    return v as T;
  }
  num(parent: Json, key: string, path: string, def: number, min: number, max: number, integer = true): number {
    const v = parent[key];
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      this.problems.push(`${path}: ${show(v)} is not allowed; use ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
      return def;
    }
    return v;
  }
  bool(parent: Json, key: string, path: string, def: boolean): boolean {
    const v = parent[key];
    if (v === undefined) return def;
    if (typeof v !== "boolean") {
      this.problems.push(`${path}: ${show(v)} is not allowed; use true or false`);
      return def;
    }
    return v;
  }
  strList(parent: Json, key: string, path: string, def: string[], test?: [RegExp, string]): string[] {
    const v = parent[key];
    if (v === undefined) return def;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      this.problems.push(`${path}: ${show(v)} is not a list of strings`);
      return def;
    }
    if (test) v.forEach((x: string, i) => !test[0].test(x) && this.problems.push(`${path}[${i}]: ${show(x)} is not allowed; ${test[1]}`));
    return v as string[];
  }
  strMap(parent: Json, key: string, path: string, keyTest?: [RegExp, string]): Record<string, string> {
    const v = this.obj(parent, key, path);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== "string") this.problems.push(`${path}.${k}: ${show(x)} is not a string`);
      else if (keyTest && !keyTest[0].test(k)) this.problems.push(`${path}.${k}: the name is not allowed; ${keyTest[1]}`);
      else out[k] = x;
    }
    return out;
  }
  resources(parent: Json, key: string, path: string, def: ResourceList): ResourceList {
    const v = this.obj(parent, key, path, ["cpu", "memory", "ephemeral-storage"]);
    const q = (k: keyof ResourceList) => this.str(v, k, `${path}.${k}`, def[k], [isQuantity, 'use a Kubernetes quantity such as "500m", "2", "4Gi"']);
    return { cpu: q("cpu"), memory: q("memory"), "ephemeral-storage": q("ephemeral-storage") };
  }
}

/**
 * A sandbox spec from JSON (a /start body or a warm pool template); `problems` gets one entry
 * per bad field, prefixed with `path`. Defaults for run_as_* come from `defaultUser`.
 */
export function readSpec(body: unknown, path: string, problems: string[], defaultUser: number, maxFactor: number): SandboxSpec {
  const r = new Reader(problems);
  const b: Json = isObj(body) ? body : (problems.push(`${path}: ${show(body)} is not an object`), {});
  const image = r.str(b, "image", `${path}.image`, "", [/^\S+$/, "use an image reference without spaces"]);
  if (!image) problems.push(`${path}.image: required; use an image reference such as "ghcr.io/openhands/agent-server:1.34.0-python"`);
  let command: string[] | string | undefined;
  if (Array.isArray(b.command) && b.command.every((c) => typeof c === "string")) command = b.command.length > 0 ? (b.command as string[]) : undefined;
  else if (typeof b.command === "string") command = b.command.trim() === "" ? undefined : b.command;
  else if (b.command !== undefined && b.command !== null) problems.push(`${path}.command: ${show(b.command)} is not allowed; use a list of strings or one string`);
  const environment = r.strMap(b, "environment", `${path}.environment`, [ENV_NAME, "use a C identifier-like environment name"]);
  const workingDir = b.working_dir === null ? undefined : r.optStr(b, "working_dir", `${path}.working_dir`, [/^\//, "use an absolute path"]);
  const user = (k: string) => (b[k] === null ? defaultUser : r.num(b, k, `${path}.${k}`, defaultUser, 1, 2 ** 31 - 1));
  const runtimeClass = r.optStr(b, "runtime_class", `${path}.runtime_class`, [DNS_NAME, "use a RuntimeClass name"]);
  const pull = b.image_pull_policy === undefined || b.image_pull_policy === null ? undefined : r.oneOf(b, "image_pull_policy", `${path}.image_pull_policy`, "IfNotPresent", PULL_POLICIES);
  return {
    image,
    ...(command !== undefined ? { command } : {}),
    environment,
    ...(workingDir !== undefined ? { working_dir: workingDir } : {}),
    resource_factor: b.resource_factor === null ? 1 : r.num(b, "resource_factor", `${path}.resource_factor`, 1, 0.1, maxFactor, false),
    run_as_user: user("run_as_user"),
    run_as_group: user("run_as_group"),
    fs_group: user("fs_group"),
    ...(runtimeClass !== undefined ? { runtime_class: runtimeClass } : {}),
    ...(pull !== undefined ? { image_pull_policy: pull } : {}),
  };
}

/** Builds and validates the configuration from the parsed file and the environment. */
export function parseConfig(file: unknown, env: NodeJS.ProcessEnv, hostname: string): Config {
  const problems: string[] = [];
  const r = new Reader(problems);
  const f: Json = isObj(file) ? file : (problems.push(`(root): ${show(file)} is not a JSON object`), {});
  for (const k of Object.keys(f)) if (!TOP_KEYS.includes(k)) problems.push(`${k}: unknown key; allowed: ${TOP_KEYS.join(", ")}`);

  const listen = r.obj(f, "listen", "listen", ["host", "port"]);
  const probe = r.obj(f, "probe", "probe", ["via", "timeoutMs", "insecureSkipTlsVerify"]);
  const ingress = r.obj(f, "ingress", "ingress", ["enabled", "className", "tlsSecretName", "annotations"]);
  const workspace = r.obj(f, "workspace", "workspace", ["size", "storageClassName", "mountPath"]);
  const resources = r.obj(f, "resources", "resources", ["requests", "limits"]);
  const runtimeClass = r.obj(f, "runtimeClass", "runtimeClass", ["default", "allowed"]);
  const idle = r.obj(f, "idle", "idle", ["pauseAfterSeconds", "activityWriteSeconds"]);
  const crash = r.obj(f, "crash", "crash", ["maxRestarts", "cleanupAfterSeconds"]);
  const le = r.obj(f, "leaderElection", "leaderElection", ["enabled", "leaseName", "leaseSeconds", "renewSeconds"]);
  const maxResourceFactor = r.num(f, "maxResourceFactor", "maxResourceFactor", 4, 1, 64, false);
  const defaultUser = r.num(f, "defaultUser", "defaultUser", 10001, 1, 2 ** 31 - 1);

  const envOr = (name: string, value: unknown) => (env[name] !== undefined && env[name] !== "" ? env[name] : value);
  const domain = envOr("SANDBOX_RUNTIME_DOMAIN", f.domain);
  const namespace = envOr("SANDBOX_RUNTIME_NAMESPACE", f.namespace);
  const port = env.SANDBOX_RUNTIME_PORT ? Number(env.SANDBOX_RUNTIME_PORT) : listen.port;
  const urlTemplate = envOr("SANDBOX_RUNTIME_URL_TEMPLATE", f.urlTemplate);

  const c: Config = {
    listen: { host: r.str(listen, "host", "listen.host", "0.0.0.0"), port: r.num({ port }, "port", "listen.port (or SANDBOX_RUNTIME_PORT)", 8080, 0, 65535) },
    namespace: r.str({ namespace }, "namespace", "namespace (or SANDBOX_RUNTIME_NAMESPACE)", "openhands-sandboxes", [DNS_LABEL, "use a DNS-1123 label"]),
    domain: r.str({ domain }, "domain", "domain (or SANDBOX_RUNTIME_DOMAIN)", "", [DNS_NAME, "use a lowercase DNS name such as sandbox.example.com"]),
    urlTemplate: r.str({ urlTemplate }, "urlTemplate", "urlTemplate (or SANDBOX_RUNTIME_URL_TEMPLATE)", "https://{session}.{domain}", [
      (s) => /^https?:\/\//.test(s) && /\{(session|runtimeId)\}/.test(s),
      'use an http(s) URL containing {session} or {runtimeId}, e.g. "https://{session}.{domain}"',
    ]),
    probe: {
      via: r.oneOf(probe, "via", "probe.via", "url", ["url", "service"] as const),
      timeoutMs: r.num(probe, "timeoutMs", "probe.timeoutMs", 2000, 100, 10_000),
      insecureSkipTlsVerify: r.bool(probe, "insecureSkipTlsVerify", "probe.insecureSkipTlsVerify", false),
    },
    ingress: {
      enabled: r.bool(ingress, "enabled", "ingress.enabled", true),
      className: r.optStr(ingress, "className", "ingress.className", [DNS_NAME, "use an IngressClass name"]),
      tlsSecretName: ingress.tlsSecretName === null ? undefined : r.str(ingress, "tlsSecretName", "ingress.tlsSecretName", "sandbox-tls", [DNS_NAME, "use a Secret name (null disables TLS)"]),
      annotations: r.strMap(ingress, "annotations", "ingress.annotations"),
    },
    workspace: {
      size: r.str(workspace, "size", "workspace.size", "10Gi", [isQuantity, 'use a Kubernetes quantity such as "10Gi"']),
      storageClassName: r.optStr(workspace, "storageClassName", "workspace.storageClassName", [DNS_NAME, "use a StorageClass name"]),
      mountPath: r.str(workspace, "mountPath", "workspace.mountPath", "/workspace", [/^\/[^\0]*$/, "use an absolute path"]),
    },
    resources: {
      requests: r.resources(resources, "requests", "resources.requests", { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" }),
      limits: r.resources(resources, "limits", "resources.limits", { cpu: "2", memory: "4Gi", "ephemeral-storage": "10Gi" }),
    },
    maxResourceFactor,
    imagePullSecrets: r.strList(f, "imagePullSecrets", "imagePullSecrets", [], [DNS_NAME, "use a Secret name"]),
    imagePullPolicy: r.oneOf(f, "imagePullPolicy", "imagePullPolicy", "IfNotPresent", PULL_POLICIES),
    nodeSelector: r.strMap(f, "nodeSelector", "nodeSelector"),
    tolerations: readTolerations(f.tolerations, problems),
    runtimeClass: {
      default: r.optStr(runtimeClass, "default", "runtimeClass.default", [DNS_NAME, "use a RuntimeClass name"]),
      allowed: r.strList(runtimeClass, "allowed", "runtimeClass.allowed", [], [DNS_NAME, "use RuntimeClass names"]),
    },
    serviceAccountName: r.optStr(f, "serviceAccountName", "serviceAccountName", [DNS_NAME, "use a ServiceAccount name"]),
    defaultUser,
    secretEnvPatterns: r.strList(f, "secretEnvPatterns", "secretEnvPatterns", DEFAULT_SECRET_PATTERNS, [/^[A-Za-z0-9_]+$/, "use letters, digits and _ (a substring of the name, case-insensitive)"]),
    environment: r.strMap(f, "environment", "environment", [ENV_NAME, "use a C identifier-like environment name"]),
    idle: {
      pauseAfterSeconds: r.num(idle, "pauseAfterSeconds", "idle.pauseAfterSeconds", 3600, 0, 30 * 86400),
      activityWriteSeconds: r.num(idle, "activityWriteSeconds", "idle.activityWriteSeconds", 30, 0, 3600),
    },
    crash: {
      maxRestarts: r.num(crash, "maxRestarts", "crash.maxRestarts", 5, 1, 1000),
      cleanupAfterSeconds: r.num(crash, "cleanupAfterSeconds", "crash.cleanupAfterSeconds", 600, 0, 7 * 86400),
    },
    loopSeconds: r.num(f, "loopSeconds", "loopSeconds", 15, 1, 3600, false),
    leaderElection: {
      enabled: r.bool(le, "enabled", "leaderElection.enabled", true),
      leaseName: r.str(le, "leaseName", "leaderElection.leaseName", "sandbox-runtime", [DNS_NAME, "use a DNS-1123 name"]),
      leaseSeconds: r.num(le, "leaseSeconds", "leaderElection.leaseSeconds", 15, 2, 600),
      renewSeconds: r.num(le, "renewSeconds", "leaderElection.renewSeconds", 5, 1, 300),
    },
    warmPools: [],
    apiKeys: (env.SANDBOX_RUNTIME_API_KEYS ?? env.SANDBOX_RUNTIME_API_KEY ?? "")
      .split(",")
      .map((k) => k.trim())
      .filter((k) => k !== ""),
    logLevel: r.oneOf(f, "logLevel", "logLevel", (LOG_LEVELS as readonly string[]).includes(env.LOG_LEVEL ?? "") ? (env.LOG_LEVEL as LogLevel) : "info", LOG_LEVELS),
    shutdownSeconds: r.num(f, "shutdownSeconds", "shutdownSeconds", 20, 0, 600),
    identity: env.POD_NAME || hostname,
  };
  if (c.leaderElection.renewSeconds >= c.leaderElection.leaseSeconds) problems.push(`leaderElection.renewSeconds: ${c.leaderElection.renewSeconds} must be below leaderElection.leaseSeconds (${c.leaderElection.leaseSeconds})`);
  if (c.domain === "" && c.urlTemplate.includes("{domain}")) problems.push("domain (or SANDBOX_RUNTIME_DOMAIN): required; use the DNS domain of the sandbox hosts, e.g. sandbox.example.com");
  if (c.ingress.enabled && c.domain === "") problems.push("ingress.enabled: true needs domain (the Ingress hosts are <session>.<domain>); set domain or ingress.enabled: false");
  if (c.apiKeys.length === 0) problems.push("SANDBOX_RUNTIME_API_KEY: required; set the key the app sends as X-API-Key (its SANDBOX_API_KEY); several may be given comma-separated in SANDBOX_RUNTIME_API_KEYS");
  for (const k of c.apiKeys) if (k.length < 16) problems.push("SANDBOX_RUNTIME_API_KEY: a key is shorter than 16 characters; use a random key of at least 16");
  // A default is the class the cluster enforces on the namespace (the platform's
  // require-runtime-class policy): a request naming another would escape it, or be refused.
  const others = c.runtimeClass.allowed.filter((n) => n !== c.runtimeClass.default);
  if (c.runtimeClass.default && others.length > 0) {
    problems.push(
      `runtimeClass.allowed: ${JSON.stringify(others)} besides runtimeClass.default "${c.runtimeClass.default}"; with a default every sandbox runs with it, so list no other class (or unset default to let requests pick among allowed)`,
    );
  }
  if (c.runtimeClass.default) c.runtimeClass.allowed = [c.runtimeClass.default];
  for (const p of c.secretEnvPatterns) if (p === "") problems.push("secretEnvPatterns: empty pattern");
  for (const k of Object.keys(c.environment)) {
    if (RESERVED_ENV.includes(k)) {
      problems.push(`environment.${k}: the name is not allowed; the service sets ${RESERVED_ENV.join(" and ")} to the session key itself`);
      delete c.environment[k];
    }
  }

  const pools = f.warmPools;
  if (pools !== undefined) {
    if (!Array.isArray(pools)) problems.push(`warmPools: ${show(pools)} is not a list`);
    else {
      const names = new Set<string>();
      pools.forEach((p: unknown, i) => {
        const path = `warmPools[${i}]`;
        const po = isObj(p) ? p : {};
        for (const k of Object.keys(po)) if (!["name", "size", "template"].includes(k)) problems.push(`${path}.${k}: unknown key; allowed: name, size, template`);
        const name = r.str(po, "name", `${path}.name`, "", [/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, "use a DNS-1123 label of at most 40 characters"]);
        if (!name) problems.push(`${path}.name: required`);
        if (names.has(name)) problems.push(`${path}.name: ${show(name)} is used by another pool; names must be unique`);
        names.add(name);
        const size = r.num(po, "size", `${path}.size`, 0, 0, 100);
        const template = readSpec(po.template, `${path}.template`, problems, defaultUser, maxResourceFactor);
        c.warmPools.push({ name, size, template });
      });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return c;
}

function readTolerations(v: unknown, problems: string[]): Toleration[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    problems.push(`tolerations: ${show(v)} is not a list`);
    return [];
  }
  const allowed = ["key", "operator", "value", "effect", "tolerationSeconds"];
  v.forEach((t, i) => {
    if (!isObj(t)) return problems.push(`tolerations[${i}]: ${show(t)} is not an object`);
    for (const k of Object.keys(t)) if (!allowed.includes(k)) problems.push(`tolerations[${i}].${k}: unknown key; allowed: ${allowed.join(", ")}`);
    if (t.operator !== undefined && t.operator !== "Exists" && t.operator !== "Equal") problems.push(`tolerations[${i}].operator: ${show(t.operator)} is not allowed; use "Exists" or "Equal"`);
    if (t.effect !== undefined && !["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(t.effect as string)) problems.push(`tolerations[${i}].effect: ${show(t.effect)} is not allowed; use "NoSchedule", "PreferNoSchedule" or "NoExecute"`);
    return undefined;
  });
  return v as Toleration[];
}

/** The configuration of this process: the file named by SANDBOX_RUNTIME_CONFIG (optional) and the environment. */
export function loadConfig(env: NodeJS.ProcessEnv, hostname: string): Config {
  const file = env.SANDBOX_RUNTIME_CONFIG;
  let parsed: unknown = {};
  if (file) {
    try {
      parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new ConfigError([`SANDBOX_RUNTIME_CONFIG: cannot read ${file} as JSON: ${(e as Error).message}`]);
    }
  }
  return parseConfig(parsed, env, hostname);
}
