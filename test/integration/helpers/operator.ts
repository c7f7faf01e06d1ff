import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { ROOT } from "../../helpers/program";
import { api, installCrds, KUBECONFIG, readManifests, waitUntil } from "./kube";

/*
 * The OllamaFleet operator (operator/src) as a process on this machine, built with its own
 * tsconfig (operator/dist, as the image runs it) and talking to the local cluster through its
 * kubeconfig, for the end-to-end scenarios (test/integration/operator.itest.ts) and the
 * benchmark (bench/operator). Settings go in as flags (`--mesh=none`), as the chart's
 * environment would set them. Also: fleets, their conditions, and fake volumes (the local
 * cluster has no storage provisioner, so a fleet's PVCs are bound to PVs made up front).
 */

/** The operator's directory, its compiled entry point, and its CRD. */
export const OPERATOR_DIR = path.join(ROOT, "operator");
export const OPERATOR_MAIN = path.join(OPERATOR_DIR, "dist", "main.js");
export const FLEET_CRD = path.join(OPERATOR_DIR, "chart", "crds", "ollamafleets.openhands.ai.yaml");
/** Label on every cluster-scoped object (PVs, nodes) the operator tests and bench make. */
export const SCRATCH_LABEL = "itest.openhands.ai/scratch";

/** The operator's entry point, or undefined while operator/src/main.ts does not exist. */
export function operatorEntry(): string | undefined {
  const f = path.join(OPERATOR_DIR, "src", "main.ts");
  return fs.existsSync(f) ? f : undefined;
}

let built = false;

/** `tsc -p operator` (once per process): operator/dist/main.js, what the image runs. */
export function buildOperator(): string {
  if (built) return OPERATOR_MAIN;
  if (!operatorEntry()) throw new Error("operator/src/main.ts does not exist");
  try {
    execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", OPERATOR_DIR], { cwd: ROOT, stdio: "pipe", timeout: 120_000 });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(`tsc -p operator failed: ${err.stdout?.toString() ?? ""}${err.stderr?.toString() ?? ""}${err.message}`, { cause: e });
  }
  built = true;
  return OPERATOR_MAIN;
}

/** Applies the OllamaFleet CRD from operator/chart/crds and waits until it is served. */
export async function installFleetCrd(): Promise<void> {
  await installCrds(readManifests([FLEET_CRD]));
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** One JSON log line of the operator. */
export type LogLine = { time: string; level: string; msg: string } & Record<string, any>;

/** Prometheus text as `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** GET http://127.0.0.1:<port><path>: status and body (2 s timeout). */
export function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 2_000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET :${port}${urlPath} timed out`)));
    req.on("error", reject);
  });
}

/** How to start the operator. */
export interface StartOptions {
  /** Namespaces it watches (`--watch-namespaces`); tests always scope it. */
  watchNamespaces: string[];
  /** Namespace of its leader Lease. */
  leaseNamespace: string;
  /** Defaults to ollama-fleet-operator. */
  leaseName?: string;
  /** Defaults to `itest-<pid>-<n>`. */
  identity?: string;
  /** More flags (`--concurrency=4`). */
  flags?: string[];
  env?: Record<string, string>;
}

/** A running operator process and what it said. */
export interface OperatorProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly identity: string;
  readonly metricsPort: number;
  readonly healthPort: number;
  /** Everything it printed (stdout and stderr, interleaved). */
  log(): string;
  /** Its JSON log lines (non-JSON lines dropped). */
  logLines(): LogLine[];
  /** Resolves with the first log line matching, or throws after `timeoutMs`. */
  waitForLog(what: string, pred: (l: LogLine) => boolean, timeoutMs: number): Promise<LogLine>;
  /** Its /metrics, parsed. */
  metrics(): Promise<Map<string, number>>;
  /** HTTP status of /healthz and /readyz. */
  health(): Promise<{ healthz: number; readyz: number }>;
  /** Resolves when it exits: exit code or signal name. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True until it exits. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code or signal. */
  stop(graceMs?: number): Promise<number | string | null>;
  /** SIGKILL (a crash: no lease release, nothing drained). */
  kill(): Promise<number | string | null>;
}

let started = 0;

/**
 * The NODE_OPTIONS the operator image sets (operator/Dockerfile `ENV NODE_OPTIONS=...`), so the
 * process here runs with the heap settings it has in its pod; empty when the image sets none.
 */
export function imageNodeOptions(): string {
  const docker = fs.readFileSync(path.join(OPERATOR_DIR, "Dockerfile"), "utf8");
  return /^ENV NODE_OPTIONS="([^"]*)"/m.exec(docker)?.[1] ?? "";
}

/**
 * Starts `node operator/dist/main.js` (built first) against the local cluster, with free
 * metrics/health ports and the image's NODE_OPTIONS (`opts.env` may override them).
 */
export async function startOperator(opts: StartOptions): Promise<OperatorProcess> {
  const main = buildOperator();
  const [metricsPort, healthPort] = [await freePort(), await freePort()];
  const identity = opts.identity ?? `itest-${process.pid}-${++started}`;
  const flags = [
    `--watch-namespaces=${opts.watchNamespaces.join(",")}`,
    `--lease-namespace=${opts.leaseNamespace}`,
    `--lease-name=${opts.leaseName ?? "ollama-fleet-operator"}`,
    `--identity=${identity}`,
    `--metrics-port=${metricsPort}`,
    `--health-port=${healthPort}`,
    ...(opts.flags ?? []),
  ];
  let output = "";
  const child = spawn(process.execPath, [main, ...flags], {
    cwd: OPERATOR_DIR,
    env: { ...process.env, KUBECONFIG, NODE_OPTIONS: imageNodeOptions(), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const running = () => child.exitCode === null && child.signalCode === null;
  const result = async () => {
    const r = await exited;
    return r.code ?? r.signal;
  };
  const logLines = () =>
    output.split("\n").flatMap((l) => {
      if (!l.startsWith("{")) return [];
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
  const proc: OperatorProcess = {
    child,
    pid: child.pid!,
    identity,
    metricsPort,
    healthPort,
    log: () => output,
    logLines,
    async waitForLog(what, pred, timeoutMs) {
      let found: LogLine | undefined;
      await waitUntil(`operator log: ${what}`, timeoutMs, async () => {
        if (!running() && !logLines().some(pred)) throw new Error(`the operator exited before logging ${what}:\n${output.slice(-2000)}`);
        found = logLines().find(pred);
        return found !== undefined;
      });
      return found!;
    },
    metrics: async () => parseMetrics((await httpGet(metricsPort, "/metrics")).body),
    health: async () => ({ healthz: (await httpGet(healthPort, "/healthz")).status, readyz: (await httpGet(healthPort, "/readyz")).status }),
    exited,
    running,
    async stop(graceMs = 25_000) {
      if (!running()) return result();
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const r = await result();
      clearTimeout(timer);
      return r;
    },
    async kill() {
      if (running()) child.kill("SIGKILL");
      return result();
    },
  };
  // Up = the health server answers (it starts before the informers list).
  await waitUntil("the operator's health server", 20_000, async () => {
    if (!running()) throw new Error(`the operator exited at start:\n${output.slice(-2000)}`);
    return proc
      .health()
      .then((h) => h.healthz === 200)
      .catch(() => false);
  });
  return proc;
}

/** Resident memory of a process from /proc/<pid>/status: current (VmRSS) and peak (VmHWM), in bytes. */
export function processMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return undefined;
  }
}

// ---- fleets ----

/** The path of a fleet (or, without `name`, of the namespace's fleets). */
export const fleetPath = (namespace: string, name?: string) => `/apis/openhands.ai/v1alpha1/namespaces/${namespace}/ollamafleets${name ? `/${name}` : ""}`;

/** An OllamaFleet manifest. */
export function fleetManifest(namespace: string, name: string, spec: Record<string, unknown>): Record<string, any> {
  return { apiVersion: "openhands.ai/v1alpha1", kind: "OllamaFleet", metadata: { name, namespace }, spec };
}

/** A small CPU fleet spec that fits many times on the fake nodes. */
export const SMALL_SPEC = { model: "qwen2.5-coder:0.5b", resources: { cpu: "50m", memory: "128Mi" }, storage: { size: "1Gi" } } as const;

/** Creates a fleet; throws with the API's message on refusal. */
export async function createFleet(namespace: string, name: string, spec: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await api("POST", fleetPath(namespace), fleetManifest(namespace, name, spec));
  if (r.status >= 300) throw new Error(`create fleet ${namespace}/${name}: ${r.status} ${r.body.message}`);
  return r.body;
}

/** The fleet, or undefined. */
export async function getFleet(namespace: string, name: string): Promise<Record<string, any> | undefined> {
  const r = await api("GET", fleetPath(namespace, name));
  if (r.status === 404) return undefined;
  if (r.status >= 300) throw new Error(`get fleet ${namespace}/${name}: ${r.status} ${r.body.message}`);
  return r.body;
}

/** The condition of `type` on a fleet. */
export function conditionOf(fleet: Record<string, any> | undefined, type: string): Record<string, any> | undefined {
  return (fleet?.status?.conditions as Record<string, any>[] | undefined)?.find((c) => c.type === type);
}

/** Ready=True for the current generation (the operator saw this spec and the replicas serve). */
export function isSteady(fleet: Record<string, any> | undefined): boolean {
  return fleet?.status?.observedGeneration === fleet?.metadata?.generation && conditionOf(fleet, "Ready")?.status === "True" && conditionOf(fleet, "Ready")?.observedGeneration === fleet?.metadata?.generation;
}

/** Waits until `pred` holds for the fleet; returns it. */
export async function waitForFleet(namespace: string, name: string, what: string, timeoutMs: number, pred: (f: Record<string, any> | undefined) => boolean): Promise<Record<string, any> | undefined> {
  let last: Record<string, any> | undefined;
  try {
    await waitUntil(`fleet ${namespace}/${name}: ${what}`, timeoutMs, async () => pred((last = await getFleet(namespace, name))));
  } catch (e) {
    throw new Error(`${(e as Error).message}; last status: ${JSON.stringify(last?.status ?? null)}`, { cause: e });
  }
  return last;
}

/** Creates a namespace (fine when it exists). */
export async function ensureNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  const r = await api("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [SCRATCH_LABEL]: "true", ...labels } } });
  if (r.status >= 300 && r.status !== 409) throw new Error(`namespace ${name}: ${r.status} ${r.body.message}`);
}

/** Deletes a namespace and waits (bounded) until it is gone. */
export async function deleteNamespace(name: string, timeoutMs = 60_000): Promise<void> {
  await api("DELETE", `/api/v1/namespaces/${name}`);
  await waitUntil(`namespace ${name} to be deleted`, timeoutMs, async () => (await api("GET", `/api/v1/namespaces/${name}`)).status === 404);
}

// ---- fake volumes ----

/**
 * PVs pre-bound (claimRef) to the claims a fleet's StatefulSet will make, `models-<fleet>-<i>`
 * for ordinals 0..replicas-1: the local cluster has no provisioner, and a claim created after its
 * pre-bound PV binds at once (a PV made after the claim waits for the PV controller's resync).
 * hostPath, Retain (nothing deletes hostPath volumes here); deleted by {@link deleteScratchVolumes}.
 */
export async function provisionVolumes(namespace: string, fleet: string, replicas: number, size = "1Gi"): Promise<void> {
  for (let i = 0; i < replicas; i++) {
    const claim = `models-${fleet}-${i}`;
    const r = await api("POST", "/api/v1/persistentvolumes", {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `${namespace}-${claim}`, labels: { [SCRATCH_LABEL]: namespace } },
      spec: {
        capacity: { storage: size },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        hostPath: { path: `/tmp/itest-volumes/${namespace}/${claim}` },
        claimRef: { namespace, name: claim },
      },
    });
    if (r.status >= 300 && r.status !== 409) throw new Error(`PV for ${namespace}/${claim}: ${r.status} ${r.body.message}`);
  }
}

/** Deletes the PVs {@link provisionVolumes} made for `namespace`. */
export async function deleteScratchVolumes(namespace: string): Promise<void> {
  await api("DELETE", `/api/v1/persistentvolumes?labelSelector=${encodeURIComponent(`${SCRATCH_LABEL}=${namespace}`)}`);
}
