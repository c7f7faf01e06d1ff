import { loadConfig } from "../../operator/src/config";
import { desiredPdb, desiredService, desiredStatefulSet, type DesiredOptions } from "../../operator/src/desired";
import { FIELD_MANAGER, type OllamaFleet } from "../../operator/src/types";
import { api, watchUntil } from "../../test/integration/helpers/kube";
import { type ControlPlaneCost, costBetween, sampleControlPlane } from "./control-plane";
import { createFleet, deleteNamespace, deleteScratchVolumes, ensureNamespace, provisionVolumes, SMALL_SPEC } from "../../test/integration/helpers/operator";
import { pool } from "./pool";

/*
 * The baseline of the operator benchmark: what the local control plane alone needs to make N
 * fleets' workloads Ready. The same N fleets are created (so the children's owner references
 * resolve, as they do under the operator, and the garbage collector leaves them alone), and
 * each fleet's StatefulSet, Service and PodDisruptionBudget (when it wants one), built by the operator's own
 * desired-object functions with its default settings, is applied right away by server-side
 * apply under the operator's field manager, with no operator running. The clock runs from
 * the first fleet create until every StatefulSet reports all its replicas Ready.
 */

/** What the baseline measured. */
export interface BaselineResult {
  /** Seconds until every fleet was created and its children applied. */
  appliedS: number;
  /** Seconds until every StatefulSet had all its replicas Ready. */
  readyS: number;
  /** What the control plane spent from the first create until all were Ready. */
  cost: ControlPlaneCost;
}

/** The API path of a child the desired functions return. */
function childPath(o: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  const plural: Record<string, string> = { StatefulSet: "statefulsets", Service: "services", PodDisruptionBudget: "poddisruptionbudgets" };
  const base = o.apiVersion === "v1" ? "/api/v1" : `/apis/${o.apiVersion}`;
  return `${base}/namespaces/${o.metadata!.namespace}/${plural[o.kind!]}/${o.metadata!.name}`;
}

/** Server-side apply as the operator makes it (its field manager, force); throws on refusal. */
async function apply(o: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }): Promise<void> {
  const q = new URLSearchParams({ fieldManager: FIELD_MANAGER, force: "true" });
  const r = await api("PATCH", `${childPath(o)}?${q}`, o, "application/apply-patch+yaml");
  if (r.status >= 300) throw new Error(`apply ${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}: ${r.status} ${r.body.message}`);
}

const isReady = (s: Record<string, any>) => s.status?.observedGeneration === s.metadata.generation && (s.status?.readyReplicas ?? 0) >= (s.spec?.replicas ?? 1);

/** Runs the baseline for `names` in a fresh namespace `ns`, then deletes it. */
export async function runBaseline(ns: string, names: string[], timeoutS: number): Promise<BaselineResult> {
  // The operator's defaults (no flags, no environment): what `desired.ts` would get from it.
  const config = loadConfig([], {}, "bench");
  const opts: DesiredOptions = { mesh: config.mesh, prometheusUrl: config.prometheusUrl };
  await ensureNamespace(ns);
  await pool(names, 16, (f) => provisionVolumes(ns, f, 1));
  try {
    const before = await sampleControlPlane();
    const t0 = performance.now();
    await pool(names, 16, async (name) => {
      const fleet = (await createFleet(ns, name, SMALL_SPEC)) as OllamaFleet;
      const pdb = desiredPdb(fleet, opts);
      await Promise.all([desiredStatefulSet(fleet, opts), desiredService(fleet, opts), ...(pdb ? [pdb] : [])].map(apply));
    });
    const appliedS = (performance.now() - t0) / 1000;
    let readyS = NaN;
    let last = "";
    try {
      await watchUntil(`${names.length} StatefulSets Ready`, `/apis/apps/v1/namespaces/${ns}/statefulsets`, timeoutS * 1000, (items) => {
        let ready = 0;
        for (const s of items.values()) if (isReady(s)) ready++;
        last = `${ready} of ${names.length} Ready`;
        if (ready < names.length) return false;
        readyS = (performance.now() - t0) / 1000;
        return true;
      });
    } catch (e) {
      console.error(`  baseline N=${names.length}: ${(e as Error).message} (${last})`);
    }
    return { appliedS, readyS, cost: costBetween(before, await sampleControlPlane()) };
  } finally {
    await deleteNamespace(ns, 180_000).catch((e: Error) => console.error(`  cleanup: ${e.message}`));
    await deleteScratchVolumes(ns);
  }
}
