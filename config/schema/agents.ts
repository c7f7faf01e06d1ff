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
  /** Each sandbox is served at `<session>.<domain>` (wildcard host). Defaults to the platform domain. */
  domain: domainName.optional(),
  /**
   * Existing TLS Secret in the sandbox namespace holding a wildcard certificate for
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

export const openhands = z.strictObject({
  /** The OpenHands layer: namespaces, the sandbox contract, RBAC, isolation, LLM wiring. Defaults to false. */
  enabled: z.boolean().default(false),
  /**
   * No longer read: the platform does not install the Polyform-licensed openhands chart
   * (README, "OpenHands"). Accepted only so the config can say so; the rules reject it.
   */
  license: z.unknown().optional(),
  /** The LLM: a fleet of `ollama.fleets`, reached through its in-cluster OpenAI-compatible endpoint. Defaults to none. */
  llm: z.strictObject({ fleet: dnsLabel }).optional(),
  sandbox: openhandsSandbox.prefault({}),
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
