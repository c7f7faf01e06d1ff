import { z } from "zod";
import { domainName, helmValues } from "./primitives";
import { certificates, cilium, cluster, ingressController, mesh } from "./cluster-network";
import { objectStorage, observability, storage } from "./storage-observability";
import { crossplane, policy } from "./services";
import { gpu, ollama } from "./models";
import { openhands } from "./agents";

/*
 * One schema for the whole platform config, one file per group of sections. Every object is
 * strict (unknown keys are errors) and every leaf says what it allows, so a message can name
 * the key path, the bad value and the allowed set. Cross-field rules (exclusive choices,
 * required secrets) live in `../rules.ts`.
 */

export { dnsLabel, domainName, labels, pinnedImage, quantity, toleration } from "./primitives";

/** The validated platform configuration every component is built from. */
export const platformSchema = z.strictObject({
  /** `dev` (local kind, light) or `prod` (existing cluster, full); selects the defaults. */
  profile: z.enum(["dev", "prod"]),
  /** Base domain: `openhands.<domain>`, `grafana.<domain>`, sandboxes at `*.<domain>`. */
  domain: domainName,
  cluster,
  networking: z.strictObject({ cilium }),
  mesh,
  ingress: z.strictObject({ contour: ingressController, ingressNginx: ingressController }),
  certificates,
  storage,
  objectStorage,
  autoscaling: z.strictObject({
    keda: z.strictObject({
      enabled: z.boolean(),
      httpAddon: z.boolean().default(true),
      values: helmValues,
      /** Extra values for the keda-add-ons-http chart. Defaults to none. */
      httpAddonValues: helmValues,
    }),
  }),
  serverless: z.strictObject({
    knative: z.strictObject({
      enabled: z.boolean(),
      networking: z.enum(["kourier", "istio"]).default("kourier"),
      /** Extra values for the knative-operator chart. Defaults to none. */
      values: helmValues,
      /**
       * Extra KnativeServing spec, deep-merged over the rendered one: e.g. `workloads`, Knative's
       * per-Deployment `replicas` and container `resources`. Defaults to none.
       */
      servingSpec: helmValues,
    }),
  }),
  observability,
  crossplane,
  /** Model serving: the OllamaFleet operator and the fleets. */
  ollama: ollama.default({ operator: { replicas: 2, values: {} }, namespace: "ollama", fleets: [] }),
  /** GPU node pools and the NVIDIA GPU Operator. */
  gpu: gpu.default({ pools: [], values: {} }),
  /** Policy as code: the Kyverno rules and the preview pack's settings. */
  policy,
  /** OpenHands, its agent sandboxes and its LLM. */
  openhands: openhands.prefault({}),
});

/** Platform config after validation and defaulting. */
export type PlatformConfig = z.infer<typeof platformSchema>;
/** Platform config as a stack file may spell it (any subset). */
export type PlatformConfigInput = z.input<typeof platformSchema>;
