import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { api, STATE_DIR } from "../../test/integration/helpers/kube";
import { SCRATCH_LABEL } from "../../test/integration/helpers/operator";

/*
 * The local control plane for the operator benchmark (test/integration/tools/cluster.sh):
 * started when none is running (and stopped again at the end), plus extra kwok nodes so that
 * N fleets' pods fit (each node takes 110 pods).
 */

const ROOT = path.resolve(__dirname, "..", "..");
const TOOLS = path.join(ROOT, "test", "integration", "tools");
const CACHE = process.env.PLATFORM_TOOLS_CACHE ?? path.join(os.homedir(), ".cache", "platform-tools");
const KUBERNETES_VERSION = /^KUBERNETES_VERSION="?([^"\s]+)"?/m.exec(fs.readFileSync(path.join(TOOLS, "versions.env"), "utf8"))?.[1] ?? "";

function clusterSh(cmd: "start" | "stop" | "status"): boolean {
  const env = path.join(CACHE, "env.sh");
  // cluster.sh finds the control plane's binaries in the cache itself; env.sh (written when
  // every tool group is built) is only needed for what else it puts on PATH.
  const bins = path.join(CACHE, "kubernetes-" + KUBERNETES_VERSION, "bin", "kube-apiserver");
  if (!fs.existsSync(env) && !fs.existsSync(bins)) throw new Error(`the integration tools are not built (${env} missing): run test/integration/tools/build-tools.sh`);
  const source = fs.existsSync(env) ? `source "${env}" && ` : "";
  try {
    execFileSync("bash", ["-c", `${source}"${TOOLS}/cluster.sh" ${cmd}`], { stdio: cmd === "status" ? "ignore" : ["ignore", "ignore", "inherit"], timeout: 120_000 });
    return true;
  } catch {
    if (cmd === "status") return false;
    throw new Error(`cluster.sh ${cmd} failed`);
  }
}

/**
 * The client limits the running cluster's controller-manager and scheduler were started with
 * (cluster.sh), from their command lines, e.g. `kube-api-qps=400 kube-api-burst=800`; the
 * component's defaults where a flag is absent.
 */
export function clusterLimits(): string {
  const out: string[] = [];
  for (const c of ["kube-controller-manager", "kube-scheduler"]) {
    let argv: string[] = [];
    try {
      const pid = fs.readFileSync(path.join(STATE_DIR, `${c}.pid`), "utf8").trim();
      argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    } catch {
      out.push(`${c}: unknown`);
      continue;
    }
    const flags = argv.flatMap((a, i) => (/^--(kube-api-qps|kube-api-burst|concurrent-statefulset-syncs)$/.test(a) ? [`${a.slice(2)}=${argv[i + 1]}`] : []));
    out.push(`${c}: ${flags.join(" ") || "defaults"}`);
  }
  return out.join("; ");
}

/** Starts the cluster unless one runs; returns the function that undoes what this did. */
export function ensureCluster(): () => void {
  if (clusterSh("status")) return () => undefined;
  clusterSh("start");
  return () => void clusterSh("stop");
}

/** Pods a kwok node takes (cluster.sh's fake nodes: 110 pods, 32 CPU, 256Gi). */
export const PODS_PER_NODE = 110;

function nodeJson(name: string) {
  const capacity = { cpu: "32", memory: "256Gi", pods: String(PODS_PER_NODE), "ephemeral-storage": "500Gi" };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake" },
      labels: { type: "kwok", "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", [SCRATCH_LABEL]: "bench-operator" },
    },
    status: { allocatable: capacity, capacity },
  };
}

/** Adds `count` kwok nodes (`kwok-bench-<i>`) and waits until kwok reports them Ready. */
export async function addNodes(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await api("POST", "/api/v1/nodes", nodeJson(`kwok-bench-${i}`));
    if (r.status >= 300 && r.status !== 409) throw new Error(`node kwok-bench-${i}: ${r.status} ${r.body.message}`);
  }
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await api("GET", `/api/v1/nodes?labelSelector=${encodeURIComponent(`${SCRATCH_LABEL}=bench-operator`)}`);
    const ready = (r.body.items as any[]).filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True")).length;
    if (ready >= count) return;
    if (Date.now() > end) throw new Error(`only ${ready} of ${count} bench nodes became Ready within 60 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Deletes the nodes {@link addNodes} made. */
export async function removeNodes(): Promise<void> {
  await api("DELETE", `/api/v1/nodes?labelSelector=${encodeURIComponent(`${SCRATCH_LABEL}=bench-operator`)}`);
}
