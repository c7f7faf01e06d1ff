/*
 * npm run charts:check — reads each pinned chart's repository (index.yaml, or the OCI
 * registry's tag list) and reports charts with newer versions or pins that are not
 * published. Exit code: 0 all current, 1 something outdated or missing, 2 no network.
 */
import { CHARTS, type ChartPin } from "../components/catalog";
import { formatStatus, statusFromIndex, statusFromVersions, type ChartStatus } from "./lib/chart-index";

const TIMEOUT_MS = 20_000;

class Unreachable extends Error {}

async function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Unreachable(`${new URL(url).host}: ${cause}`);
  }
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.text();
}

async function ociTags(ref: string): Promise<string[]> {
  const [host, ...rest] = ref.replace(/^oci:\/\//, "").split("/");
  const repo = rest.join("/");
  const token = (JSON.parse(await get(`https://${host}/token?scope=repository:${repo}:pull`)) as { token: string }).token;
  const body = JSON.parse(await get(`https://${host}/v2/${repo}/tags/list?n=1000`, { Authorization: `Bearer ${token}` })) as { tags?: string[] };
  return body.tags ?? [];
}

async function main(): Promise<number> {
  const indexes = new Map<string, Promise<string>>();
  let unreachable = 0;
  let problems = 0;
  for (const [key, pin] of Object.entries(CHARTS) as [string, ChartPin][]) {
    // A chart in this repository (no repository URL, not OCI) has no upstream to compare with.
    if (!pin.repo && !pin.chart.startsWith("oci://")) {
      console.log(`local     ${pin.chart} ${pin.version}: in this repository, not checked  (${key})`);
      continue;
    }
    try {
      // One download per repository.
      let status: ChartStatus;
      if (pin.repo) {
        if (!indexes.has(pin.repo)) indexes.set(pin.repo, get(`${pin.repo.replace(/\/$/, "")}/index.yaml`));
        status = statusFromIndex(pin, await indexes.get(pin.repo)!);
      } else {
        status = statusFromVersions(pin, await ociTags(pin.chart));
      }
      if (status.state !== "current") problems++;
      console.log(`${formatStatus(status)}  (${key})`);
    } catch (e) {
      if (e instanceof Unreachable) {
        unreachable++;
        console.log(`unreachable ${pin.chart} ${pin.version}: ${e.message}`);
      } else {
        problems++;
        console.log(`error     ${pin.chart} ${pin.version}: ${(e as Error).message}`);
      }
    }
  }
  const total = Object.values(CHARTS).filter((p: ChartPin) => p.repo || p.chart.startsWith("oci://")).length;
  if (unreachable === total) {
    console.log(`\nNo network: none of the ${total} chart repositories could be reached, so nothing was checked.`);
    return 2;
  }
  console.log(`\n${total - unreachable} of ${total} charts checked: ${problems} need attention${unreachable ? `, ${unreachable} repositories unreachable` : ""}.`);
  return problems > 0 ? 1 : unreachable > 0 ? 2 : 0;
}

main().then((code) => process.exit(code));
