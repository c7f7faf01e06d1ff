import type { PlatformConfig } from "../../config/schema";
import { fleetName } from "../../config/names";
import type { Values } from "../../lib/merge";
import { mergeValues } from "../../lib/merge";
import { API_VERSION, FLEET_LABEL, fleetEndpoint, KIND } from "../../operator/src/api/v1alpha1";
import { scalerKind } from "../../operator/src/scaling";
import type { ModelFleet } from "../contracts";
import { PART_OF, WAIT_READY } from "../platform-names";

/*
 * OllamaFleet objects (openhands.ai/v1alpha1, the fleet contract) from the stack's fleets.
 * Pure. Every field the config holds is written out, defaults included, so a change of the
 * CRD's defaults never changes a running fleet behind the stack's back.
 */

/** One fleet as validated config gives it (`platform:ollama.fleets[]`). */
export type FleetSettings = PlatformConfig["ollama"]["fleets"][number];

/** Name of a fleet (its own, or the stable slug of its model). */
export { fleetName };

/** `spec` of a fleet's OllamaFleet. */
export function renderFleetSpec(f: FleetSettings): Values {
  const spec: Values = {
    model: f.model,
    replicas: f.replicas,
    resources: { gpu: f.resources.gpu, cpu: f.resources.cpu, memory: f.resources.memory, ...(f.resources.gpuType ? { gpuType: f.resources.gpuType } : {}) },
    storage: { size: f.storage.size, retainPolicy: f.storage.retainPolicy, ...(f.storage.class ? { class: f.storage.class } : {}) },
    contextLength: f.contextLength,
    keepAlive: f.keepAlive,
  };
  if (f.image) spec.image = f.image;
  if (f.scaling) {
    spec.scaling = {
      minReplicas: f.scaling.minReplicas,
      maxReplicas: f.scaling.maxReplicas,
      cooldownSeconds: f.scaling.cooldownSeconds,
      metrics: f.scaling.metrics.map((m) => ({ type: m.type, target: m.target, ...(m.query ? { query: m.query } : {}) })),
    };
  }
  if (f.placement) {
    const p = f.placement;
    spec.placement = {
      ...(p.gpuPool ? { gpuPool: p.gpuPool } : {}),
      ...(p.nodeSelector ? { nodeSelector: { ...p.nodeSelector } } : {}),
      ...(p.tolerations ? { tolerations: p.tolerations.map((t) => ({ ...t })) } : {}),
    };
  }
  // Key-sorted, so the same config always registers the same inputs.
  return mergeValues(spec);
}

/**
 * The KEDA object the operator creates for a fleet (operator/src/scaling.ts `scalerKind`, which
 * its `desiredScaling` follows), or undefined without `scaling`: an HTTPScaledObject (the HTTP
 * add-on's) only without a mesh and with a request metric, else a ScaledObject (KEDA's own).
 * What the fleet waits for.
 */
export function fleetScaler(f: Pick<FleetSettings, "scaling">, mesh: "istio" | "linkerd" | "none"): "ScaledObject" | "HTTPScaledObject" | undefined {
  return scalerKind(f.scaling, mesh);
}

/** The whole OllamaFleet object of a fleet. */
export function renderFleet(f: FleetSettings, namespace: string): Values {
  const name = fleetName(f);
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      namespace,
      labels: { ...PART_OF, [FLEET_LABEL]: name },
      // `pulumi up` waits for the operator's Ready condition: a fleet that never serves fails the update.
      annotations: { ...WAIT_READY },
    },
    spec: renderFleetSpec(f),
  };
}

/** Endpoint, model and context length per fleet name (what OpenHands needs of each fleet). */
export function fleetEndpoints(fleets: readonly FleetSettings[], namespace: string): Record<string, ModelFleet> {
  return Object.fromEntries(
    fleets.map((f) => {
      const name = fleetName(f);
      return [name, { endpoint: fleetEndpoint(name, namespace), model: f.model, contextLength: f.contextLength }];
    }),
  );
}
