/*
 * node --import tsx bench/sandbox-runtime.ts — the sandbox runtime service against the local
 * control plane (test/integration/tools/cluster.sh start; KUBECONFIG of that cluster). Prints:
 *  - /start → running, cold (a fresh sandbox: objects, scheduling, kwok Ready, the agent
 *    server booting, /ready through the sandbox URL) and warm (a pool sandbox handed over),
 *    BENCH_SRT_ROUNDS times each (3). With the openhands-ai install
 *    (test/integration/tools/openhands.sh) each pod is played by a real agent-server process,
 *    so "cold" includes its boot; without it a stub answers /ready as soon as the pod runs.
 *  - the service's resident memory (VmRSS, and VmHWM, the peak) at BENCH_SRT_SESSIONS (100)
 *    concurrent sessions, all started at once and polled until running (stub pods);
 *  - for the client choice: the RSS of a bare node process, and of one that loads
 *    @kubernetes/client-node (operator/node_modules) or this service's client.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { api, KUBECONFIG } from "../test/integration/helpers/kube";
import { deleteNamespace, ensureNamespace, freePort, processMemory } from "../test/integration/helpers/operator";
import { buildService, deleteStandInVolumes, httpJson, openhandsInstall, PodStandIn, type Proc, startService, until } from "../test/integration/helpers/sandbox-runtime";
import { ROOT } from "../tools/stack-config";

const NS = "srt-bench";
const API_KEY = "bench-sandbox-api-key-0123456789";
const ROUNDS = Number(process.env.BENCH_SRT_ROUNDS ?? 3);
const SESSIONS = Number(process.env.BENCH_SRT_SESSIONS ?? 100);
const MiB = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const TEMPLATE = {
  image: "ghcr.io/openhands/agent-server:1.34.0-python",
  command: ["/usr/local/bin/openhands-agent-server", "--port", "60000"],
  working_dir: "/workspace",
  environment: { LOG_JSON: "true", OH_ENABLE_VNC: "0", OH_CONVERSATIONS_PATH: "/workspace/conversations", OH_BASH_EVENTS_DIR: "/workspace/bash_events", WORKER_1: "12000", WORKER_2: "12001" },
  resource_factor: 1,
  run_as_user: 10001,
  run_as_group: 10001,
  fs_group: 10001,
};
const sid = (i: number, tag: string) => `Bench${tag}${String(i).padStart(4, "0")}${Math.random().toString(36).slice(2, 10)}`;

function nodeRss(code: string): number {
  const out = execFileSync(process.execPath, ["-e", `${code};global.gc?.();setTimeout(()=>{const s=require('fs').readFileSync('/proc/self/status','utf8');console.log(/VmRSS:\\s+(\\d+)/.exec(s)[1])},200)`], { cwd: ROOT, encoding: "utf8" });
  return Number(out.trim()) * 1024;
}

async function run(): Promise<void> {
  if (!fs.existsSync(KUBECONFIG)) throw new Error(`no local cluster (${KUBECONFIG} missing): run test/integration/tools/cluster.sh start`);
  buildService();
  const install = openhandsInstall();
  const venv = "venv" in install ? install.venv : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "srt-bench-"));
  const runtime = (port: number) => (method: string, p: string, body?: unknown) => httpJson(method, `http://127.0.0.1:${port}${p}`, body, { "x-api-key": API_KEY });

  const phase = async (label: string, opts: { venv: string | undefined; pool: number }, body: (rt: ReturnType<typeof runtime>, service: Proc, standIn: PodStandIn) => Promise<void>) => {
    await deleteNamespace(NS, 180_000);
    await deleteStandInVolumes(NS);
    await ensureNamespace(NS);
    const standIn = new PodStandIn(NS, opts.venv, path.join(dir, label));
    fs.mkdirSync(path.join(dir, label), { recursive: true });
    await standIn.start();
    const port = await freePort();
    const config = {
      namespace: NS,
      domain: "sandbox.test",
      urlTemplate: `http://127.0.0.1:${standIn.proxyPort}/{runtimeId}`,
      workspace: { size: "1Gi" },
      // Small requests: 100 sandboxes must fit the two kwok nodes (32 CPU each).
      resources: { requests: { cpu: "100m", memory: "256Mi", "ephemeral-storage": "1Gi" }, limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "2Gi" } },
      idle: { pauseAfterSeconds: 0 },
      loopSeconds: 1,
      leaderElection: { enabled: false },
      warmPools: opts.pool > 0 ? [{ name: "bench", size: opts.pool, template: TEMPLATE }] : [],
    };
    const service = await startService({ port, config, apiKey: API_KEY, dir, identity: label });
    try {
      await body(runtime(port), service, standIn);
    } finally {
      await service.kill();
      await standIn.stop();
      if (fs.existsSync("/workspace") && fs.lstatSync("/workspace").isSymbolicLink()) fs.rmSync("/workspace");
    }
  };

  const startToRunning = async (rt: ReturnType<typeof runtime>, id: string, spec: Record<string, unknown>) => {
    const t0 = performance.now();
    const r = await rt("POST", "/start", { ...spec, session_id: id });
    if (r.status !== 201) throw new Error(`/start: ${r.status} ${JSON.stringify(r.body)}`);
    await until(`${id} running`, 180_000, async () => ((await rt("GET", `/sessions/${id}`)).body.status === "running" ? true : undefined), 100);
    return { ms: performance.now() - t0, runtimeId: r.body.runtime_id as string };
  };

  const latency = async (label: string, pv: string | undefined) => {
    const cold: number[] = [];
    const warm: number[] = [];
    await phase(label, { venv: pv, pool: 1 }, async (rt, _service, standIn) => {
      for (let i = 0; i < ROUNDS; i++) {
        const c = await startToRunning(rt, sid(i, "Cold"), { ...TEMPLATE, environment: { ...TEMPLATE.environment, BENCH: "cold" } });
        cold.push(c.ms);
        await rt("POST", "/stop", { runtime_id: c.runtimeId });
        await until("a warm sandbox answering /ready", 180_000, async () => {
          const anchors = (await api("GET", `/api/v1/namespaces/${NS}/secrets?labelSelector=${encodeURIComponent("openhands.ai/role=warm")}`)).body.items ?? [];
          for (const a of anchors) {
            const base = a.metadata.name.replace(/-key$/, "");
            const r = await fetch(`http://127.0.0.1:${standIn.proxyPort}/${base}/ready`).catch(() => undefined);
            if (r?.status === 200) return true;
          }
          return undefined;
        });
        const w = await startToRunning(rt, sid(i, "Warm"), TEMPLATE);
        if (!w.runtimeId.includes("-warm-")) throw new Error(`expected a warm sandbox, got ${w.runtimeId}`);
        warm.push(w.ms);
        await rt("POST", "/stop", { runtime_id: w.runtimeId });
      }
    });
    console.log(`/start → running, ${pv ? "real agent-server processes as pods" : "stub pods (/ready answers once the pod runs)"}, ${ROUNDS} rounds`);
    console.log(`  cold: median ${sec(median(cold))} (${cold.map(sec).join(", ")})`);
    console.log(`  warm: median ${sec(median(warm))} (${warm.map(sec).join(", ")})`);
  };
  await latency("latency-stub", undefined);
  if (venv) await latency("latency-agent", venv);
  else console.log("/start → running with real agent-server processes: skipped, openhands-ai is not installed (test/integration/tools/openhands.sh)");

  await phase("scale", { venv: undefined, pool: 0 }, async (rt, service) => {
    const pid = service.child.pid as number;
    const idle = processMemory(pid);
    const ids = Array.from({ length: SESSIONS }, (_, i) => sid(i, "Load"));
    const t0 = performance.now();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, processMemory(pid)?.rss ?? 0)), 250);
    const started = await Promise.all(ids.map((id) => rt("POST", "/start", { ...TEMPLATE, session_id: id })));
    const failed = started.filter((r) => r.status !== 201);
    if (failed.length > 0) throw new Error(`${failed.length} /start calls failed: ${JSON.stringify(failed[0].body)}`);
    const startedMs = performance.now() - t0;
    await until(`${SESSIONS} sandboxes running`, 300_000, async () => {
      const r = await rt("GET", "/list");
      return (r.body.runtimes ?? []).filter((x: { status: string }) => x.status === "running").length === SESSIONS ? true : undefined;
    }, 1000);
    const allRunningMs = performance.now() - t0;
    for (let i = 0; i < 5; i++) await Promise.all([rt("GET", "/list"), rt("GET", `/sessions/batch?${ids.map((id) => `ids=${id}`).join("&")}`)]);
    clearInterval(sampler);
    const at = processMemory(pid);
    console.log(`${SESSIONS} concurrent sessions (stub pods): all /start answered in ${sec(startedMs)}, all running in ${sec(allRunningMs)}`);
    console.log(`  service RSS: idle ${MiB(idle?.rss ?? NaN)}, at ${SESSIONS} sessions ${MiB(at?.rss ?? NaN)} (sampled max ${MiB(peak)}, VmHWM ${MiB(at?.hwm ?? NaN)})`);
  });

  const bare = nodeRss("0");
  const ours = nodeRss(`require(${JSON.stringify(path.join(ROOT, "sandbox-runtime/dist/kube.js"))})`);
  const clientNode = path.join(ROOT, "operator/node_modules/@kubernetes/client-node");
  console.log(`client footprint at load: bare node ${MiB(bare)}, + our kube.js ${MiB(ours)}${fs.existsSync(clientNode) ? `, + @kubernetes/client-node ${MiB(nodeRss(`require(${JSON.stringify(clientNode)})`))}` : " (@kubernetes/client-node not installed in operator/node_modules)"}`);
  await deleteNamespace(NS, 180_000);
  await deleteStandInVolumes(NS);
}

run().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
