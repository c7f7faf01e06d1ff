import { type OllamaFleet, SpecReason } from "./api/v1alpha1";
import { isValidFleetName, MAX_FLEET_NAME } from "./names";
import type { SpecProblem } from "./problem";
import { isPositiveQuantity, isQuantity } from "./quantity";
import { type Mesh, withDefaults } from "./types";

/*
 * Checks beyond what the CRD's schema and CEL rules can say (and again those that matter,
 * for fleets stored before a rule existed). A problem never crashes the operator or makes
 * it retry: the fleet goes Degraded with the problem's reason, its children are left as
 * they are, and the next spec change is reconciled.
 */

/**
 * An Ollama model reference: `[registry[:port]/][namespace/]model[:tag]`, each path part
 * starting with a letter or digit (ollama's server/internal/names rules).
 */
const MODEL = /^(?:[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]+)?\/)?(?:[a-zA-Z0-9][a-zA-Z0-9._-]*\/)?[a-zA-Z0-9][a-zA-Z0-9._-]*(?::[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})?$/;

/** A Go duration (`24h`, `1h30m`, `90s`), a bare number of seconds, or `-1` (forever). */
export const KEEP_ALIVE = /^(-1|[0-9]+|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/;

/** An image pinned by tag (not `latest`) or digest. */
export function isPinnedImage(image: string): boolean {
  if (image.includes("@sha256:")) return true;
  const tag = /:([^/:]+)$/.exec(image);
  return tag !== null && tag[1] !== "latest";
}

const REQUEST_METRICS = new Set(["requestsPerSecond", "concurrentRequests"]);

/** Every problem with a fleet, in field order (empty when it can be reconciled). */
export function validateFleet(fleet: OllamaFleet, opts: { mesh: Mesh }): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const problem = (reason: SpecReason, message: string) => problems.push({ kind: "spec", reason, message });
  const name = fleet.metadata.name;
  if (!isValidFleetName(name)) {
    problem(
      SpecReason.InvalidName,
      `metadata.name "${name}" must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter) of at most ${MAX_FLEET_NAME} characters, so the StatefulSet's pods and the Service can carry it`,
    );
  }
  const spec = fleet.spec;
  if (typeof spec.model !== "string" || !MODEL.test(spec.model)) {
    problem(SpecReason.InvalidModel, `spec.model "${String(spec.model)}" is not an Ollama model reference ([registry/][namespace/]model[:tag], e.g. qwen2.5-coder:0.5b)`);
  }
  const quantities: [string, unknown][] = [
    ["spec.resources.memory", spec.resources?.memory],
    ["spec.resources.cpu", spec.resources?.cpu],
    ["spec.storage.size", spec.storage?.size],
  ];
  for (const [path, value] of quantities) {
    if (value !== undefined && !isPositiveQuantity(value)) {
      problem(SpecReason.InvalidQuantity, `${path} "${String(value)}" must be a positive Kubernetes quantity (e.g. 8Gi, 500m, 2)`);
    }
  }
  if (spec.resources?.gpuType && !(spec.resources.gpu && spec.resources.gpu > 0)) {
    problem(SpecReason.InvalidResources, `spec.resources.gpuType "${spec.resources.gpuType}" needs spec.resources.gpu of at least 1`);
  }
  if (spec.image !== undefined && !isPinnedImage(spec.image)) {
    problem(SpecReason.InvalidImage, `spec.image "${spec.image}" must be pinned by a tag other than latest, or a digest`);
  }
  if (spec.keepAlive !== undefined && !KEEP_ALIVE.test(spec.keepAlive)) {
    problem(SpecReason.InvalidKeepAlive, `spec.keepAlive "${spec.keepAlive}" must be a Go duration (24h, 30m), a number of seconds, or -1`);
  }
  if (spec.scaling) problems.push(...validateScaling(fleet, opts.mesh));
  return problems;
}

function validateScaling(fleet: OllamaFleet, mesh: Mesh): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const scaling = withDefaults(fleet.spec).scaling!;
  const bad = (message: string) => problems.push({ kind: "spec", reason: SpecReason.InvalidScaling, message });
  if (scaling.minReplicas > scaling.maxReplicas) {
    bad(`spec.scaling.minReplicas (${scaling.minReplicas}) must be <= maxReplicas (${scaling.maxReplicas})`);
  }
  scaling.metrics.forEach((m, i) => {
    const at = `spec.scaling.metrics[${i}]`;
    if (m.type === "prometheus" && !m.query) bad(`${at}.query is required for type prometheus`);
    if (m.type !== "prometheus" && m.query) bad(`${at}.query is only allowed for type prometheus`);
    if (!isQuantity(m.target) || !isPositiveQuantity(m.target)) bad(`${at}.target "${m.target}" must be a positive number`);
    else if (mesh === "none" && REQUEST_METRICS.has(m.type) && !/^[0-9]+$/.test(m.target)) {
      bad(`${at}.target "${m.target}" must be a whole number: without a mesh, ${m.type} is measured by the KEDA HTTP add-on, whose targets are integers`);
    }
  });
  const types = scaling.metrics.map((m) => m.type);
  if (scaling.minReplicas === 0 && types.every((t) => t === "cpu" || t === "memory")) {
    bad("spec.scaling.minReplicas 0 needs a metric other than cpu or memory: with no pods there is no utilization to wake the fleet");
  }
  const requests = types.filter((t) => REQUEST_METRICS.has(t));
  if (mesh === "none" && requests.length > 0 && types.length > 1) {
    bad(
      `spec.scaling.metrics: without a mesh, ${requests[0]} is measured by the KEDA HTTP add-on (an HTTPScaledObject), which takes exactly one metric; ` +
        `use a single requestsPerSecond or concurrentRequests metric, or only cpu, memory and prometheus metrics`,
    );
  }
  return problems;
}
