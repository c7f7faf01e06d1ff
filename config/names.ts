import { modelSlug } from "../operator/src/names";
import type { PlatformConfig } from "./schema";

/** Name of a fleet: its own, or the stable slug of its model. */
export function fleetName(f: { name?: string; model: string }): string {
  return f.name ?? modelSlug(f.model);
}

/** Azure node pool name of a GPU pool: lowercase alphanumerics, at most 12 (AKS' Linux limit). */
export function azureNodePoolName(pool: string): string {
  return pool.replace(/[^a-z0-9]/g, "").slice(0, 12);
}

/** The fleet OpenHands uses: `openhands.llm.fleet`, or the first of `ollama.fleets`; undefined without fleets. */
export function openHandsFleet(c: PlatformConfig): string | undefined {
  return c.openhands.llm?.fleet ?? (c.ollama.fleets[0] ? fleetName(c.ollama.fleets[0]) : undefined);
}

/** The service mesh the config selects (config checks that at most one is enabled). */
export function meshKind(c: Pick<PlatformConfig, "mesh">): "istio" | "linkerd" | "none" {
  return c.mesh.istio.enabled ? "istio" : c.mesh.linkerd.enabled ? "linkerd" : "none";
}
