import { z } from "zod";
import { dnsLabel, domainName, labels, pinnedImage, port, quantity, toleration } from "./primitives";

/* OpenHands and its agent sandboxes. */

export const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;
/** An IPv4 CIDR such as `203.0.113.0/24`. */
export const ipv4Cidr = z.string().regex(IPV4_CIDR, { message: "must be an IPv4 CIDR such as 203.0.113.0/24" });

/** Egress a sandbox may use beyond DNS and the LLM: one CIDR (minus exceptions) on some ports. */
export const sandboxEgress = z.strictObject({
  cidr: ipv4Cidr,
  /** CIDRs inside `cidr` that stay denied. Defaults to none. */
  except: z.array(ipv4Cidr).default([]),
  /** TCP ports allowed; empty allows every port. Defaults to all. */
  ports: z.array(port).default([]),
});

/**
 * The sandbox contract: where and how OpenHands' runtime API creates agent sandboxes (the
 * design's `[kubernetes]` settings). Sandboxes run untrusted code: the platform isolates
 * them (Pod Security, default-deny NetworkPolicies, quota) whatever the runtime does.
 */
export const openhandsSandbox = z.strictObject({
  /** Namespace the sandboxes run in. Defaults to openhands-sandboxes. */
  namespace: dnsLabel.default("openhands-sandboxes"),
  /**
   * Each sandbox is served at `<session>.<domain>` (wildcard host); it must differ from the
   * platform domain, whose hosts its wildcard certificate would cover. Defaults to
   * `sandboxes.<platform domain>`.
   */
  domain: domainName.optional(),
  /**
   * Existing TLS Secret in the `openhands` namespace (never the sandbox namespace) holding a wildcard certificate for
   * `*.<domain>`. Required with the acme issuer (HTTP-01 cannot issue wildcards); with the
   * selfSigned issuer the platform issues one. Defaults to the issued one.
   */
  tlsSecret: dnsLabel.optional(),
  /** Size of each sandbox's workspace PVC. Defaults to 2Gi. */
  pvcSize: quantity.default("2Gi"),
  /** StorageClass of the workspace PVCs. Defaults to the platform's default class (`standard` on kind). */
  storageClass: dnsLabel.optional(),
  /** Requests of each sandbox. Defaults to 1 CPU and 1Gi. */
  requests: z.strictObject({ cpu: quantity.default("1"), memory: quantity.default("1Gi") }).prefault({}),
  /** Limits of each sandbox: memory always, CPU optional. Defaults to 2Gi of memory and no CPU limit. */
  limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.default("2Gi") }).prefault({}),
  /** Image pull Secret (in the sandbox namespace) for the sandbox image. Defaults to none. */
  imagePullSecret: dnsLabel.optional(),
  /** Node selector of sandbox pods. Defaults to none. */
  nodeSelector: labels.default({}),
  /** Tolerations of sandbox pods. Defaults to none. */
  tolerations: z.array(toleration).default([]),
  /**
   * Allow privileged sandboxes (Pod Security `privileged` on the namespace; it must also be
   * in policy.systemNamespaces). Defaults to false.
   */
  privileged: z.boolean().default(false),
  /**
   * RuntimeClass of sandbox pods: `gvisor` (handler runsc) or `kata` (handler kata) are
   * created by the platform; any other name must already exist. Defaults to none (runc).
   */
  runtimeClass: dnsLabel.optional(),
  /** Egress allowed beyond DNS and the LLM. Defaults to none. */
  egress: z
    .strictObject({
      /** Public internet on 80/443 (every address outside private, link-local and loopback ranges). Defaults to false. */
      internet: z.boolean().default(false),
      /** Further CIDRs. Defaults to none. */
      cidrs: z.array(sandboxEgress).default([]),
    })
    .prefault({}),
  /** Most sandboxes at once: the namespace's ResourceQuota is this many times one sandbox. Defaults to 10. */
  maxSandboxes: z.number().int().min(1).max(1000).default(10),
});

/** CPU and memory of one workload: requests, and a memory limit (CPU unlimited unless set). */
const workloadResources = (cpu: string, memory: string, memoryLimit: string) =>
  z
    .strictObject({
      requests: z.strictObject({ cpu: quantity.default(cpu), memory: quantity.default(memory) }).prefault({}),
      limits: z.strictObject({ cpu: quantity.optional(), memory: quantity.default(memoryLimit) }).prefault({}),
    })
    .prefault({});

/** Replicas of a stateless service. */
const replicas = z.number().int().min(1, { message: "must be at least 1" }).max(10, { message: "must be at most 10" });

/**
 * The OpenHands sandbox server (`openhands-ai`, the API and sandbox control plane). Its
 * conversations, settings and secrets live in a database: SQLite on a PVC (one replica), or
 * Postgres run by CloudNativePG.
 */
export const openhandsServer = z.strictObject({
  /** Image. Defaults to a dev build of sandbox-server/ on kind, else the released image. */
  image: pinnedImage.optional(),
  database: z
    .strictObject({
      /** `sqlite` (a PVC; one replica) or `postgres` (a CloudNativePG cluster). Defaults to sqlite. */
      kind: z.enum(["sqlite", "postgres"]).default("sqlite"),
      /** Volume size: the SQLite PVC, or each Postgres instance's. Defaults to 1Gi. */
      size: quantity.default("1Gi"),
      /** Postgres instances (1 primary, the rest streaming replicas). Defaults to 1. */
      instances: z.number().int().min(1, { message: "must be at least 1" }).max(5, { message: "must be at most 5" }).default(1),
    })
    .prefault({}),
  /** Replicas; SQLite allows only 1. Defaults to 1. */
  replicas: replicas.default(1),
  /** Defaults to 250m / 768Mi requested, 2Gi memory limit. */
  resources: workloadResources("250m", "768Mi", "2Gi"),
});

/** Our sandbox runtime service (sandbox-runtime/): one sandbox pod per session. */
export const openhandsRuntime = z.strictObject({
  /** Image. Defaults to a dev build of sandbox-runtime/ on kind, else the released image. */
  image: pinnedImage.optional(),
  /** Replicas (they share state through the cluster; background loops hold a Lease). Defaults to 1. */
  replicas: replicas.default(1),
  /** Pause a sandbox after this many minutes without activity; 0 never pauses. Defaults to 60. */
  idlePauseMinutes: z.number().int().min(0).max(10080).default(60),
  /** Sandboxes kept started for the next sessions (a warm pool). Defaults to 0. */
  warmSandboxes: z.number().int().min(0).max(50).default(0),
  /** Defaults to 50m / 96Mi requested, 192Mi memory limit. */
  resources: workloadResources("50m", "96Mi", "192Mi"),
});

/** The agent gateway (agent-gateway/): Agent Canvas and the browser's only way in. */
export const openhandsGateway = z.strictObject({
  /** Image. Defaults to a dev build of agent-gateway/ on kind, else the released image. */
  image: pinnedImage.optional(),
  /** Replicas. Defaults to 1. */
  replicas: replicas.default(1),
  /**
   * `bearer`: a generated access token (the `credentials.openhands` output) or its login
   * cookie. `oidc-header`: an OIDC proxy in front sets `identityHeader`. Defaults to bearer.
   */
  auth: z.enum(["bearer", "oidc-header"]).default("bearer"),
  /** Header the OIDC proxy sets with the user's identity. Defaults to x-auth-request-email. */
  identityHeader: z
    .string()
    .regex(/^[a-z0-9-]+$/, { message: "must be a lowercase HTTP header name such as x-auth-request-email" })
    .default("x-auth-request-email"),
  /** Defaults to 50m / 96Mi requested, 192Mi memory limit. */
  resources: workloadResources("50m", "96Mi", "192Mi"),
});

/**
 * The OIDC proxy (oauth2-proxy) in front of the agent UI: the only way in once set. The client
 * secret is the secret `platform:openhandsOidcClientSecret`.
 */
export const openhandsOidc = z.strictObject({
  /** The provider's issuer URL (https). */
  issuerUrl: z.string(),
  /** The OAuth client ID; register `https://openhands.<domain>/oauth2/callback` as its redirect URI. */
  clientId: z.string(),
  /** Email domains allowed in (`example.com`, `*` for any). */
  emailDomains: z.array(z.string()),
  /** Groups of which a user must be in one. Defaults to none. */
  allowedGroups: z.array(z.string()).optional(),
  /** The header oauth2-proxy sets on the forwarded request with the user. Defaults to x-forwarded-email. */
  identityHeader: z
    .string()
    .regex(/^[a-z0-9-]+$/, { message: "must be a lowercase HTTP header name such as x-forwarded-email" })
    .default("x-forwarded-email"),
});

export const openhands = z.strictObject({
  /**
   * The agent platform: Agent Canvas behind our gateway at `openhands.<domain>`, the sandbox
   * server, our sandbox runtime, the sandbox contract (namespace, RBAC, isolation) and the
   * LLM wired to a fleet. Defaults to false.
   */
  enabled: z.boolean().default(false),
  /**
   * No longer read: the platform does not install the Polyform-licensed openhands chart
   * (README, "OpenHands"). Accepted only so the config can say so; the rules reject it.
   */
  license: z.unknown().optional(),
  /** The LLM: a fleet of `ollama.fleets`, reached through its in-cluster OpenAI-compatible endpoint. Defaults to none. */
  llm: z.strictObject({ fleet: dnsLabel }).optional(),
  sandbox: openhandsSandbox.prefault({}),
  server: openhandsServer.prefault({}),
  runtime: openhandsRuntime.prefault({}),
  gateway: openhandsGateway.prefault({}),
  /** OIDC sign-in in front of the UI (required in prod). Defaults to none (the gateway's own token). */
  oidc: openhandsOidc.optional(),
  /** The design's `ubuntu-dev` workspace (an OpenVSCode Server on Ubuntu, Service port 8099). Defaults to off. */
  workspace: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Image of the workspace. Defaults to gitpod/openvscode-server:1.105.1. */
      image: pinnedImage.default("gitpod/openvscode-server:1.105.1"),
    })
    .prefault({}),
  /** No longer read (the openhands chart is not installed); the rules reject it. */
  values: z.unknown().optional(),
});
