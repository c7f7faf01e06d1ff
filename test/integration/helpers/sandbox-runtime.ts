import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { ROOT } from "../../helpers/program";
import { api, KUBECONFIG } from "./kube";
import { freePort, SCRATCH_LABEL } from "./operator";

/*
 * The sandbox runtime service (sandbox-runtime/dist/main.js, as the image runs it) against the
 * local control plane, and a stand-in for what kwok does not do: kwok marks pods Running and
 * Ready but runs no containers, so `PodStandIn` runs the real agent-server (from the cached
 * openhands-ai install, test/integration/tools/openhands.sh) as a local process for each
 * Running sandbox pod, with the pod's environment (secretKeyRef values read from the Secret),
 * and its workspace PVC as a host directory mounted at /workspace (a symlink: the app's spec
 * uses absolute /workspace paths, so one session sandbox runs at a time; warm pods may run
 * beside it). Its proxy serves the URL the
 * service reports, `http://127.0.0.1:<proxy>/<runtime_id>/...` (the app's path mode), so the
 * service's /ready check and the app's calls take the same route; with the platform's
 * in-cluster URLs, helpers/sandbox-network.ts routes to `portOf(runtime_id)` instead. It also
 * binds each Pending PVC to a hostPath PV (the cluster has no provisioner).
 */

export const SERVICE_DIR = path.join(ROOT, "sandbox-runtime");
export const SERVICE_MAIN = path.join(SERVICE_DIR, "dist", "main.js");

let built = false;
/** `tsc -p sandbox-runtime` once per process. */
export function buildService(): string {
  if (built) return SERVICE_MAIN;
  execFileSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", SERVICE_DIR], { cwd: ROOT, stdio: "pipe", timeout: 120_000 });
  built = true;
  return SERVICE_MAIN;
}

/** The cached openhands-ai install, or why it is not there. */
export function openhandsInstall(): { venv: string; appVersion: string; agentServerVersion: string } | { missing: string } {
  try {
    const out = execFileSync(path.join(ROOT, "test/integration/tools/openhands.sh"), ["env"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const env = Object.fromEntries(out.trim().split("\n").map((l) => l.split("=", 2) as [string, string]));
    return { venv: env.OPENHANDS_VENV, appVersion: env.OPENHANDS_AI_VERSION, agentServerVersion: env.OPENHANDS_AGENT_SERVER_VERSION };
  } catch (e) {
    return { missing: `openhands-ai is not installed (run test/integration/tools/openhands.sh): ${(e as { stderr?: string }).stderr ?? (e as Error).message}`.trim() };
  }
}

/** A child process with its output kept in a file. */
export interface Proc {
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProc(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, cwd = ROOT): Proc {
  const out = fs.openSync(logFile, "a");
  // Its own process group: an agent server starts shells and a browser, and stopping it
  // must stop them too (a straggler would go on writing into /workspace).
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", out, out], detached: true });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, sig);
    } catch {
      // ESRCH: the group is gone already.
    }
  };
  return {
    child,
    logFile,
    exited,
    kill: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) signalGroup(signal);
      const t = setTimeout(() => signalGroup("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(t);
      signalGroup("SIGKILL");
      return code;
    },
  };
}

/** GET/POST JSON on a local port. */
export async function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** Polls `check` until it returns a value (not undefined), or fails with `what` and the last value seen. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (last: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The service as a process. */
/** Whether /workspace was absent when this process first looked (then anything there later is a run's). */
let workspaceAbsentAtStart: boolean | undefined;

/** Whether the pod stand-in can mount volumes at /workspace: absent, or its own symlink. */
export function standInWorkspaceFree(): boolean {
  const absent = !fs.existsSync("/workspace");
  workspaceAbsentAtStart ??= absent;
  return absent || fs.lstatSync("/workspace").isSymbolicLink();
}

/**
 * Removes the stand-in's /workspace symlink. A real directory there is removed only when
 * /workspace did not exist when the run began: an agent server that outlived its test (a
 * timeout) wrote it, and left in place it would make every later run skip. One that was
 * there before the run is never touched.
 */
export function removeStandInWorkspace(): void {
  // lstat, not exists: a symlink whose target is gone is still ours to remove.
  const entry = fs.lstatSync("/workspace", { throwIfNoEntry: false });
  if (!entry) return;
  if (entry.isSymbolicLink()) fs.rmSync("/workspace");
  else if (workspaceAbsentAtStart === true) {
    process.stderr.write("sandbox stand-in: removing /workspace, which an agent server created during this run\n");
    fs.rmSync("/workspace", { recursive: true, force: true });
  }
}

/**
 * The OpenHands sandbox server (`openhands-ai` from `venv`) as a process on a free loopback
 * port, with `RUNTIME=remote` pointed at our service; resolves once it answers `/alive`.
 */
export async function startApp(opts: {
  venv: string;
  dir: string;
  runtimeUrl: string;
  apiKey: string;
  /** A port chosen ahead (when the sandboxes' webhook URL must name it); a free one otherwise. */
  port?: number;
  /** Extra environment (e.g. HTTP_PROXY to reach in-cluster sandbox URLs). */
  env?: Record<string, string>;
}): Promise<{ proc: Proc; url: string }> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const proc = startProc(
    path.join(opts.venv, "bin", "uvicorn"),
    ["openhands.app_server.app:app", "--host", "127.0.0.1", "--port", String(port)],
    {
      PATH: `${path.join(opts.venv, "bin")}:/usr/local/bin:/usr/bin:/bin`,
      HOME: path.join(opts.dir, "app-home"),
      RUNTIME: "remote",
      SANDBOX_REMOTE_RUNTIME_API_URL: opts.runtimeUrl,
      SANDBOX_API_KEY: opts.apiKey,
      OH_PERSISTENCE_DIR: path.join(opts.dir, "app-state"),
      SERVE_FRONTEND: "false",
      ...opts.env,
    },
    path.join(opts.dir, "app.log"),
    opts.dir,
  );
  await until("the OpenHands app to answer /alive", 180_000, async () => {
    if (proc.child.exitCode !== null) throw new Error(`the app exited ${proc.child.exitCode}: ${fs.readFileSync(proc.logFile, "utf8").slice(-3000)}`);
    return (await fetch(`${url}/alive`).catch(() => undefined))?.status === 200 ? true : undefined;
  });
  return { proc, url };
}

export async function startService(opts: {
  port: number;
  config: Record<string, unknown>;
  apiKey: string;
  dir: string;
  identity: string;
  /** Extra environment (e.g. HTTP_PROXY and NODE_USE_ENV_PROXY for its /ready probe of in-cluster URLs). */
  env?: Record<string, string>;
}): Promise<Proc> {
  const configFile = path.join(opts.dir, `config-${opts.identity}.json`);
  fs.writeFileSync(configFile, JSON.stringify(opts.config, null, 2));
  const p = startProc(
    process.execPath,
    [SERVICE_MAIN],
    {
      PATH: process.env.PATH,
      KUBECONFIG,
      SANDBOX_RUNTIME_CONFIG: configFile,
      SANDBOX_RUNTIME_API_KEY: opts.apiKey,
      SANDBOX_RUNTIME_PORT: String(opts.port),
      POD_NAME: opts.identity,
      NODE_OPTIONS: "--max-semi-space-size=2 --max-old-space-size=96",
      ...opts.env,
    },
    path.join(opts.dir, `service-${opts.identity}.log`),
  );
  await until("the sandbox runtime service to be ready", 30_000, async () => {
    if (p.child.exitCode !== null) throw new Error(`the service exited ${p.child.exitCode}: ${fs.readFileSync(p.logFile, "utf8").slice(-2000)}`);
    const r = await fetch(`http://127.0.0.1:${opts.port}/readyz`).catch(() => undefined);
    return r?.status === 200 ? true : undefined;
  });
  return p;
}

interface Running {
  uid: string;
  port: number;
  proc: Proc;
  key: string;
}

/** The kubelet stand-in, volume binder and sandbox-URL proxy (see the file comment). */
export class PodStandIn {
  readonly running = new Map<string, Running>();
  readonly started: string[] = [];
  private server?: http.Server;
  private timer?: NodeJS.Timeout;
  private busy = false;
  /** Set by stop(): no pass starts and no process is spawned after it. */
  private stopped = false;
  private pass?: Promise<void>;
  proxyPort = 0;

  /** Pods seen Running in the last pass (stub mode answers /ready for them). */
  private readonly live = new Set<string>();

  /**
   * `venv` undefined: stub mode (benchmarks at scale): no processes, the proxy answers
   * `/<runtime_id>/ready` with 200 for every Running pod and 502 otherwise.
   */
  constructor(
    readonly namespace: string,
    readonly venv: string | undefined,
    readonly dir: string,
  ) {}

  /** Host directory of a PVC (its "volume"). */
  volumeDir(claim: string): string {
    return path.join(this.dir, "volumes", claim);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.forward(req, res));
    this.server.on("upgrade", (req, socket, head) => this.tunnel(req, socket as net.Socket, head));
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    this.proxyPort = (this.server.address() as net.AddressInfo).port;
    const tick = () => {
      if (this.busy || this.stopped) return;
      this.busy = true;
      this.pass = this.sync()
        .catch((e: Error) => fs.appendFileSync(path.join(this.dir, "standin.log"), `sync: ${e.message}\n`))
        .finally(() => (this.busy = false));
    };
    this.timer = setInterval(tick, 500);
  }

  async stop(): Promise<void> {
    // A pass in flight could still spawn an agent server, which would then write
    // /workspace/conversations after the caller removed the symlink (a real directory that
    // makes the next run skip): let it finish first, then stop every process.
    this.stopped = true;
    clearInterval(this.timer);
    await this.pass;
    await Promise.all([...this.running.values()].map((r) => r.proc.kill()));
    this.running.clear();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /**
   * The local port of the agent server standing in for pod `name` (its runtime id), while
   * one runs: what the pod's `<name>-svc` Service reaches on port 60000
   * (helpers/sandbox-network.ts routes in-cluster and Ingress hosts with it).
   */
  portOf(name: string): number | undefined {
    return this.venv ? this.running.get(name)?.port : undefined;
  }

  private target(url: string | undefined): { run: Running; rest: string } | undefined {
    const m = /^\/([^/?]+)(.*)$/.exec(url ?? "/");
    const run = m ? this.running.get(m[1]) : undefined;
    return run && m ? { run, rest: m[2] === "" ? "/" : m[2] } : undefined;
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.venv) {
      const m = /^\/([^/?]+)\/ready$/.exec(req.url ?? "");
      res.writeHead(m && this.live.has(m[1]) ? 200 : 502).end();
      return;
    }
    const t = this.target(req.url);
    if (!t) {
      res.writeHead(502).end("no sandbox process for this path\n");
      return;
    }
    const up = http.request({ host: "127.0.0.1", port: t.run.port, path: t.rest, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${t.run.port}` } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  }

  private tunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const t = this.target(req.url);
    if (!t) return void socket.destroy();
    const up = net.connect(t.run.port, "127.0.0.1", () => {
      const lines = [`${req.method} ${t.rest} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${k === "host" ? `127.0.0.1:${t.run.port}` : Array.isArray(v) ? v.join(", ") : v}`), "", ""];
      up.write(lines.join("\r\n"));
      if (head.length > 0) up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  }

  /** One pass: bind volumes, start processes for Running pods, stop those whose pod went. */
  async sync(): Promise<void> {
    const ns = this.namespace;
    const pvcs = (await api("GET", `/api/v1/namespaces/${ns}/persistentvolumeclaims`)).body.items ?? [];
    for (const c of pvcs) {
      if (c.status?.phase !== "Pending" || c.metadata.deletionTimestamp) continue;
      const pv = `srt-itest-${c.metadata.uid.slice(0, 13)}`;
      fs.mkdirSync(this.volumeDir(c.metadata.name), { recursive: true });
      await api("POST", "/api/v1/persistentvolumes", {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: pv, labels: { [SCRATCH_LABEL]: "true", "itest.openhands.ai/namespace": ns } },
        spec: {
          capacity: { storage: c.spec.resources.requests.storage },
          accessModes: c.spec.accessModes,
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: c.spec.storageClassName ?? "",
          hostPath: { path: this.volumeDir(c.metadata.name) },
          claimRef: { namespace: ns, name: c.metadata.name, uid: c.metadata.uid },
        },
      });
      // Naming the volume on the claim too makes the PV controller bind at once instead of at
      // its next periodic resync (up to 15 s), as a provisioner's binding would.
      await api("PATCH", `/api/v1/namespaces/${ns}/persistentvolumeclaims/${c.metadata.name}`, { spec: { volumeName: pv } }, "application/merge-patch+json");
    }
    const pods = (await api("GET", `/api/v1/namespaces/${ns}/pods`)).body.items ?? [];
    const live = new Map<string, any>();
    for (const p of pods) if (p.status?.phase === "Running" && !p.metadata.deletionTimestamp) live.set(p.metadata.name, p);
    this.live.clear();
    for (const name of live.keys()) this.live.add(name);
    if (!this.venv) return;
    for (const [name, r] of this.running) {
      if (live.get(name)?.metadata.uid !== r.uid) {
        this.running.delete(name);
        await r.proc.kill();
      }
    }
    for (const [name, pod] of live) if (!this.running.has(name)) await this.run(pod);
    // One /workspace for all: it follows the sandbox serving a session (a warm pod refilling
    // the pool must not take it over), else the pod started last.
    const session = [...live.values()].filter((p) => p.metadata.labels?.["openhands.ai/role"] === "session" && this.running.has(p.metadata.name));
    const target = session.length > 0 ? session[session.length - 1] : live.get(this.started.filter((n) => live.has(n)).pop() ?? "");
    if (target) this.mount(target);
  }

  private mount(pod: any): void {
    const claim = pod.spec.volumes.find((v: any) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
    const vol = this.volumeDir(claim);
    const at = pod.spec.containers[0].volumeMounts[0].mountPath;
    fs.mkdirSync(path.join(vol, "project"), { recursive: true });
    if (fs.existsSync(at) || fs.lstatSync(at, { throwIfNoEntry: false })) {
      if (!fs.lstatSync(at).isSymbolicLink()) throw new Error(`${at} exists and is not a symlink; the stand-in mounts volumes there`);
      if (fs.readlinkSync(at) === vol) return;
      fs.rmSync(at);
    }
    fs.symlinkSync(vol, at);
  }

  private async run(pod: any): Promise<void> {
    if (this.stopped) return;
    const venv = this.venv as string;
    const c = pod.spec.containers[0];
    const env: Record<string, string> = {};
    const secrets = new Map<string, Record<string, string>>();
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        const { name, key } = e.valueFrom.secretKeyRef;
        if (!secrets.has(name)) secrets.set(name, (await api("GET", `/api/v1/namespaces/${this.namespace}/secrets/${name}`)).body.data ?? {});
        const v = secrets.get(name)?.[key];
        if (v !== undefined) env[e.name] = Buffer.from(v, "base64").toString("utf8");
      }
    }
    this.mount(pod);
    const home = path.join(this.dir, "homes", pod.metadata.name);
    fs.mkdirSync(home, { recursive: true });
    const port = await freePort();
    const proc = startProc(
      path.join(venv, "bin", "agent-server"),
      ["--host", "127.0.0.1", "--port", String(port)],
      { PATH: `${path.join(venv, "bin")}:/usr/local/bin:/usr/bin:/bin`, HOME: home, ...env },
      path.join(this.dir, `agent-${pod.metadata.name}-${pod.metadata.uid.slice(0, 8)}.log`),
      c.workingDir ?? "/",
    );
    this.running.set(pod.metadata.name, { uid: pod.metadata.uid, port, proc, key: env.OH_SESSION_API_KEYS_0 ?? "" });
    this.started.push(pod.metadata.name);
  }
}

/** Deletes the PVs the stand-in made for `namespace`. */
export async function deleteStandInVolumes(namespace: string): Promise<void> {
  const pvs = (await api("GET", `/api/v1/persistentvolumes?labelSelector=${encodeURIComponent(`itest.openhands.ai/namespace=${namespace}`)}`)).body.items ?? [];
  for (const pv of pvs) await api("DELETE", `/api/v1/persistentvolumes/${pv.metadata.name}`);
}
