import { CILIUM_KINDS } from "./cilium";
import { CNPG_VALIDATORS } from "./cnpg";
import { CONTOUR_KINDS } from "./contour";
import { CROSSPLANE_KINDS } from "./crossplane";
import { GPU_POOL_KINDS } from "./gpu-pools";
import { GRAFANA_KINDS } from "./grafana";
import { KYVERNO_KINDS } from "./kyverno";
import { validatorFor, type KindSchema, type Validator } from "./meta";
import { OLLAMAFLEET_VALIDATORS } from "./ollamafleet";
import { ROOK_KINDS } from "./rook";

/*
 * Schemas of the custom resources no @kubernetes-models package covers, transcribed from
 * the upstream CRDs at the versions components/catalog.ts pins. Each file names its source.
 */

/** Every kind with a schema here. */
export const KINDS: readonly KindSchema[] = [...GRAFANA_KINDS, ...CROSSPLANE_KINDS, ...ROOK_KINDS, ...KYVERNO_KINDS, ...GPU_POOL_KINDS, ...CILIUM_KINDS, ...CONTOUR_KINDS];

/** Validators by `<apiVersion>/<kind>`, for `EXTRA_SCHEMAS`. */
export const SCHEMAS: ReadonlyMap<string, Validator> = new Map([...KINDS.map((k): [string, Validator] => [`${k.apiVersion}/${k.kind}`, validatorFor(k)]), ...OLLAMAFLEET_VALIDATORS, ...CNPG_VALIDATORS]);
