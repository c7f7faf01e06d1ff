import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHARTS, type ChartPin } from "../../../components/catalog";
import { ROOT } from "../../helpers/program";

/*
 * Where the custom resource kinds the program creates get their CRDs. Ours (the OllamaFleet
 * CRD in operator/chart/crds) are applied to the local cluster; third-party ones come with
 * charts, which cannot be downloaded here, except Kyverno's policy CRDs, which ship in the
 * Kyverno Go module (github.com/kyverno/kyverno@<app version of the pinned chart>) that the
 * module proxy serves.
 */

/** Which chart installs the CRDs of an API group. */
export const CRD_CHARTS: Readonly<Record<string, keyof typeof CHARTS | "gatewayApi" | "crossplanePackage" | "crossplaneXrd">> = {
  // Our composite resources: Crossplane makes their CRDs from the program's CompositeResourceDefinitions.
  "platform.openhands.ai": "crossplaneXrd",
  "cert-manager.io": "certManager",
  "acme.cert-manager.io": "certManager",
  "monitoring.coreos.com": "prometheusOperatorCrds",
  "policies.kyverno.io": "kyverno",
  "kyverno.io": "kyverno",
  "operator.knative.dev": "knativeOperator",
  "grafana.integreatly.org": "grafanaOperator",
  "opentelemetry.io": "otelOperator",
  "keda.sh": "keda",
  "http.keda.sh": "kedaHttpAddon",
  "ceph.rook.io": "rookCeph",
  "objectbucket.io": "rookCeph",
  "minio.min.io": "minioOperator",
  "sts.min.io": "minioOperator",
  "longhorn.io": "longhorn",
  "pkg.crossplane.io": "crossplane",
  "apiextensions.crossplane.io": "crossplane",
  "aws.upbound.io": "crossplanePackage",
  "aws.m.upbound.io": "crossplanePackage",
  "gcp.upbound.io": "crossplanePackage",
  "gcp.m.upbound.io": "crossplanePackage",
  "azure.upbound.io": "crossplanePackage",
  "azure.m.upbound.io": "crossplanePackage",
  "networking.istio.io": "istioBase",
  "security.istio.io": "istioBase",
  "telemetry.istio.io": "istioBase",
  "install.istio.io": "istioBase",
  "policy.linkerd.io": "linkerdCrds",
  "linkerd.io": "linkerdCrds",
  "cilium.io": "cilium",
  "projectcontour.io": "contour",
  "nvidia.com": "gpuOperator",
  "gateway.networking.k8s.io": "gatewayApi",
  "postgresql.cnpg.io": "cloudnativePg",
};

/** Human-readable source of a group's CRDs: `chart kyverno 3.9.2 (https://kyverno.github.io/kyverno/)`. */
export function crdSource(group: string): string | undefined {
  const k = CRD_CHARTS[group];
  if (k === undefined) return undefined;
  if (k === "gatewayApi") return "the Gateway API release manifest (not downloadable here)";
  if (k === "crossplaneXrd") return `Crossplane (it creates it from our CompositeResourceDefinition; chart crossplane ${CHARTS.crossplane.version})`;
  if (k === "crossplanePackage") return "a Crossplane provider package (installed by Crossplane at run time)";
  const pin: ChartPin = CHARTS[k];
  return `chart ${pin.chart} ${pin.version}${pin.repo ? ` (${pin.repo})` : ""}`;
}

/** Our own CRDs: every manifest in operator/chart/crds (empty until the chart exists). */
export function ownCrdFiles(): string[] {
  const dir = path.join(ROOT, "operator", "chart", "crds");
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f)) : [];
}

/** A pinned tool version from test/integration/tools/versions.env. */
export function toolVersion(key: string): string | undefined {
  const text = fs.readFileSync(path.join(__dirname, "..", "tools", "versions.env"), "utf8");
  return new RegExp(`^${key}=(.*)$`, "m").exec(text)?.[1]?.trim() || undefined;
}

/**
 * Kyverno's ValidatingPolicy CRD from the Go module cache (the same file chart kyverno
 * ships at its app version), or undefined when the module was never downloaded.
 */
export function kyvernoPolicyCrdFile(): string | undefined {
  const version = toolVersion("KYVERNO_VERSION");
  if (!version) return undefined;
  let modCache: string;
  try {
    modCache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
  } catch {
    return undefined;
  }
  const f = path.join(modCache, "github.com", "kyverno", `kyverno@${version}`, "config", "crds", "policies.kyverno.io", "policies.kyverno.io_validatingpolicies.yaml");
  return fs.existsSync(f) ? f : undefined;
}

/**
 * Contour's CRD manifest (examples/contour/01-crds.yaml of github.com/projectcontour/contour at
 * CONTOUR_VERSION, the CRDs chart contour ships), downloaded through the Go module proxy into
 * the module cache when missing; undefined when Go or the proxy is unreachable.
 */
export function contourCrdFile(): string | undefined {
  const version = toolVersion("CONTOUR_VERSION");
  if (!version) return undefined;
  try {
    const out = execFileSync("go", ["mod", "download", "-json", `github.com/projectcontour/contour@${version}`], { encoding: "utf8", timeout: 300_000, cwd: os.tmpdir(), stdio: ["ignore", "pipe", "pipe"] });
    const f = path.join((JSON.parse(out) as { Dir: string }).Dir, "examples", "contour", "01-crds.yaml");
    return fs.existsSync(f) ? f : undefined;
  } catch {
    return undefined;
  }
}
