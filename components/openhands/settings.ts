import type { PlatformConfig } from "../../config/schema";
import { OLLAMA_PORT } from "../../operator/src/api/v1alpha1";
import type { ModelFleet } from "../contracts";

/** `platform:openhands`. */
export type OpenHandsSettings = PlatformConfig["openhands"];
/** `platform:openhands.sandbox`: the design's `[kubernetes]` settings. */
export type SandboxSettings = OpenHandsSettings["sandbox"];

/** Namespace of OpenHands (the app and its sandbox runtime). */
export const OPENHANDS_NAMESPACE = "openhands";
/** The dedicated ServiceAccount the runtime API runs as, bound only in the sandbox namespace. */
export const RUNTIME_SERVICE_ACCOUNT = "openhands-sandbox-runtime";
/** Secret the platform issues the sandbox wildcard certificate into (selfSigned issuer). */
export const SANDBOX_WILDCARD_SECRET = "sandbox-wildcard-tls";
/**
 * The Ingress annotation with which Contour (1.21 and later) reads an Ingress's TLS Secrets
 * from another namespace, where a TLSCertificateDelegation there lets the Ingress's
 * namespace reference them (Ingress v1's `tls.secretName` cannot hold `namespace/name`).
 */
export const CONTOUR_TLS_CERT_NAMESPACE = "projectcontour.io/tls-cert-namespace";
/** Smallest context window an OpenHands agent works with, in tokens. */
export const MIN_CONTEXT_LENGTH = 32768;

/** Ports sandboxes call. */
export const PORTS = {
  /** The OpenHands app: agent-server webhooks. */
  app: 3000,
  /** Ollama's API on a fleet's pods. */
  ollama: OLLAMA_PORT,
} as const;

/** The sandbox contract with every platform default filled in. */
export interface ResolvedSandbox {
  namespace: string;
  /** Sessions are served at `<session>.<domain>`. */
  domain: string;
  /**
   * TLS Secret of the `*.<domain>` certificate, in {@link tlsSecretNamespace}: never in the
   * sandbox namespace (the key also serves every other session's host). Contour reads it
   * there for the sandboxes' Ingresses through a TLSCertificateDelegation.
   */
  tlsSecret: string;
  /** Namespace of {@link tlsSecret}: the OpenHands namespace. */
  tlsSecretNamespace: string;
  /** Whether the platform issues that certificate (false: the Secret exists already). */
  issueWildcard: boolean;
  ingressClass: string;
  pvcSize: string;
  storageClass: string;
  requests: { cpu: string; memory: string };
  limits: { cpu?: string; memory: string };
  imagePullSecret?: string;
  nodeSelector: Record<string, string>;
  tolerations: SandboxSettings["tolerations"];
  privileged: boolean;
  runtimeClass?: string;
}

/** What the platform knows that the sandbox settings default to. */
export interface SandboxPlatform {
  domain: string;
  ingressClass: string;
  defaultStorageClass: string;
}

/** The sandbox domain unless configured: `sandboxes.<platform domain>`. */
export function sandboxDomainDefault(platformDomain: string): string {
  return `sandboxes.${platformDomain}`;
}

/** Fills the platform's defaults into the sandbox settings. Pure. */
export function resolveSandbox(s: SandboxSettings, p: SandboxPlatform): ResolvedSandbox {
  return {
    namespace: s.namespace,
    // A domain of their own: a wildcard certificate for sandboxes must not also cover the
    // platform's hosts (openhands., grafana., hubble.).
    domain: s.domain ?? sandboxDomainDefault(p.domain),
    tlsSecret: s.tlsSecret ?? SANDBOX_WILDCARD_SECRET,
    tlsSecretNamespace: OPENHANDS_NAMESPACE,
    issueWildcard: s.tlsSecret === undefined,
    ingressClass: p.ingressClass,
    pvcSize: s.pvcSize,
    storageClass: s.storageClass ?? p.defaultStorageClass,
    requests: { ...s.requests },
    limits: s.limits.cpu === undefined ? { memory: s.limits.memory } : { cpu: s.limits.cpu, memory: s.limits.memory },
    imagePullSecret: s.imagePullSecret,
    nodeSelector: { ...s.nodeSelector },
    tolerations: s.tolerations,
    privileged: s.privileged,
    runtimeClass: s.runtimeClass,
  };
}

/**
 * The design's `[kubernetes]` settings as the OpenHands runtime API (runtime-api 0.8.2, the
 * `runtime-api` subchart of openhands 0.50.0) reads them: environment variables of its
 * Deployment (`runtime-api.env` values, rendered by the subchart's `_env.yaml`). The names
 * come from the chart's values and its Replicated install values.
 *
 * | design setting       | runtime API                                             |
 * |----------------------|---------------------------------------------------------|
 * | namespace            | K8S_NAMESPACE (also `runtime-api.sandbox_namespace`)    |
 * | ingress domain       | RUNTIME_BASE_URL + RUNTIME_URL_SEPARATOR "."            |
 * | TLS secret           | RUNTIME_CERT_SECRET (RUNTIME_DISABLE_SSL "false")       |
 * | PVC size             | PERSISTENT_STORAGE_SIZE                                 |
 * | storage class        | STORAGE_CLASS                                           |
 * | CPU/memory requests  | CPU_REQUEST, MEMORY_REQUEST                             |
 * | limits               | MEMORY_LIMIT, CPU_LIMIT                                 |
 * | image pull secret    | RUNTIME_IMAGE_PULL_SECRETS                              |
 * | node selector        | RUNTIME_NODE_SELECTOR (JSON object)                     |
 * | tolerations          | RUNTIME_TOLERATIONS (JSON array)                        |
 * | runtime class        | RUNTIME_CLASS ("" = the node's default, runc)           |
 * | ingress class        | INGRESS_CLASS                                           |
 * | privileged           | none: the runtime API has no switch; the namespace's   |
 * |                      | Pod Security level and the disallow-privileged policy   |
 * |                      | decide (see isolation.ts)                               |
 *
 * RUNTIME_NODE_SELECTOR and RUNTIME_TOLERATIONS are always set, empty when unconfigured:
 * unset, the runtime API injects sysbox-runc's node selector and toleration.
 */
export function sandboxRuntimeEnv(r: ResolvedSandbox): Record<string, string> {
  const env: Record<string, string> = {
    CPU_REQUEST: r.requests.cpu,
    INGRESS_CLASS: r.ingressClass,
    K8S_NAMESPACE: r.namespace,
    MEMORY_LIMIT: r.limits.memory,
    MEMORY_REQUEST: r.requests.memory,
    PERSISTENT_STORAGE_SIZE: r.pvcSize,
    RUNTIME_BASE_URL: r.domain,
    RUNTIME_CERT_SECRET: r.tlsSecret,
    RUNTIME_CLASS: r.runtimeClass ?? "",
    RUNTIME_DISABLE_SSL: "false",
    RUNTIME_NODE_SELECTOR: JSON.stringify(r.nodeSelector),
    RUNTIME_TOLERATIONS: JSON.stringify(r.tolerations),
    RUNTIME_URL_SEPARATOR: ".",
    STORAGE_CLASS: r.storageClass,
  };
  if (r.limits.cpu !== undefined) env.CPU_LIMIT = r.limits.cpu;
  if (r.imagePullSecret !== undefined) env.RUNTIME_IMAGE_PULL_SECRETS = r.imagePullSecret;
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
}

/** How the app addresses a sandbox; must agree with RUNTIME_BASE_URL and the separator. */
export function runtimeUrlPattern(r: ResolvedSandbox): string {
  return `https://{runtime_id}.${r.domain}`;
}

/** The LLM as OpenHands' agents use it: the fleet's OpenAI-compatible endpoint (`openai/<model>`). */
export interface LlmRoute {
  /** Fleet name (`ollama.fleets`). */
  fleet: string;
  /** The fleet's OpenAI-compatible base URL (`.../v1`). */
  endpoint: string;
  /** The model reference the fleet serves. */
  model: string;
  contextLength: number;
}

/** The route to `fleet`; throws (naming the argument) when its context is too small. */
export function llmRoute(fleetName: string, fleet: ModelFleet): LlmRoute {
  if (fleet.contextLength < MIN_CONTEXT_LENGTH) {
    throw new Error(
      `OpenHands args.ollama.fleets (${fleetName}).contextLength: ${fleet.contextLength} is below ${MIN_CONTEXT_LENGTH}; OpenHands agents need a context of 32k tokens or more`,
    );
  }
  return { fleet: fleetName, endpoint: fleet.endpoint, model: fleet.model, contextLength: fleet.contextLength };
}
