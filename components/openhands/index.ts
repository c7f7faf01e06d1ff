import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CertificatesLayer, ClusterLayer, DatabaseLayer, IngressLayer, NetworkLayer, OllamaLayer, StorageLayer } from "../contracts";
import { platformNamespace } from "../helm";
import { WAIT_READY } from "../platform-names";
import { agentPlatform } from "./platform";
import { RUNTIME_RULES } from "./workloads";
import { API_SERVER_PORTS, OPENHANDS_DB_CLUSTER, platformNetworkPolicies } from "./netpol-platform";
import { CHARTS } from "../catalog";
import {
  RUNTIME_CLASS_HANDLERS,
  sandboxLimitRange,
  sandboxCiliumNetworkPolicies,
  sandboxNetworkPolicies,
  sandboxPodSecurity,
  sandboxQuota,
  sandboxTlsDelegation,
  type Rule,
} from "./isolation";
import {
  llmRoute,
  OPENHANDS_NAMESPACE,
  resolveSandbox,
  RUNTIME_SERVICE_ACCOUNT,
  runtimeUrlPattern,
  sandboxRuntimeEnv,
  type LlmRoute,
  type OpenHandsSettings,
  type ResolvedSandbox,
} from "./settings";
import type { PlatformConfig } from "../../config/schema";

export * from "./isolation";
export * from "./settings";
export * from "./platform";
export * from "./workloads";

/** Whether the stack runs the agent platform (`openhands.enabled`). */
export function enabled(c: PlatformConfig): boolean {
  return c.openhands.enabled;
}

/** Whether people sign in to it through the OIDC proxy (`openhands.oidc`). */
export function signInEnabled(c: PlatformConfig): boolean {
  return enabled(c) && c.openhands.oidc !== undefined;
}

/** Arguments of {@link OpenHands}. */
export interface OpenHandsArgs {
  cluster: ClusterLayer;
  /** The CNI: OpenHands' pods wait for it. */
  network: NetworkLayer;
  /** The default IngressClass (and its controller's namespace, allowed into sandboxes). */
  ingress: IngressLayer;
  /** The ClusterIssuer of `openhands.<domain>` and of the sandbox wildcard certificate. */
  certificates: CertificatesLayer;
  /** The default StorageClass: sandbox workspaces. */
  storage: StorageLayer;
  /** The Ollama fleets; `fleet` names the one OpenHands uses. */
  ollama: OllamaLayer;
  /** Name of the fleet in `ollama.fleets` (config: `openhands.llm.fleet`, or the first fleet). */
  fleet: string;
  settings: OpenHandsSettings;
  /** Platform base domain. */
  domain: string;
  /** The platform's ClusterIssuer kind: only `selfSigned` can issue the sandbox wildcard certificate. */
  issuer: "selfSigned" | "acme";
  /** Keep what holds data on destroy and renames (prod): the namespaces, the server's volume. */
  protectData?: boolean;
  /** Postgres for the sandbox server (`server.database.kind: postgres`); undefined otherwise. */
  database: DatabaseLayer | undefined;
  /** The repository root, where the agent platform's image folders are. */
  sourceDir: string;
  /** On kind: build the platform's images and load them into this cluster. Undefined elsewhere (released images). */
  devBuild: { kindCluster: string } | undefined;
  /** Cilium enforces policies (`networking.cilium.enabled`): DNS, the LLM and the API server through CiliumNetworkPolicies. */
  cilium?: boolean;
  /** The OIDC proxy in front of the gateway (its pods and container port), when `openhands.oidc` is set: the gateway then admits only it. */
  oidcProxy?: { podLabels: Record<string, string>; port: number };
  /** Generated keys, as Pulumi secrets: runtime API key, the server's session key, the gateway's access token. */
  secrets: { runtimeApiKey: pulumi.Input<string>; serverSessionKey: pulumi.Input<string>; gatewayToken: pulumi.Input<string> };
}

/**
 * OpenHands on the platform: the sandbox contract a sandbox runtime works to (a dedicated
 * namespace with baseline Pod Security, default-deny NetworkPolicies, a ResourceQuota and
 * LimitRange, the design's Role bound to a dedicated ServiceAccount, a wildcard certificate
 * for `*.<sandbox domain>`) and the LLM wired to an Ollama fleet through its in-cluster
 * OpenAI-compatible endpoint. The Polyform-licensed `openhands` chart is not installed
 * (README, "OpenHands": its sandbox runtime is closed source and its pods fail the
 * platform's own policies).
 */
export class OpenHands extends pulumi.ComponentResource {
  /** Sandboxes are served at `<session>.<sandboxDomain>`. */
  public readonly sandboxDomain: string;
  /** The fleet's OpenAI-compatible endpoint OpenHands' LLM routes to. */
  public readonly llmEndpoint: string;
  /** The model OpenHands uses. */
  public readonly llmModel: string;
  /** Namespace of OpenHands. */
  public readonly namespace: string;
  /** Namespace of the agent sandboxes. */
  public readonly sandboxNamespace: string;
  /** The runtime settings, as the runtime API's environment. */
  public readonly runtimeEnv: Record<string, string>;
  /** The OpenHands namespace. */
  public readonly namespaceResource: k8s.core.v1.Namespace;
  /** Agent Canvas behind the gateway: `https://openhands.<domain>`. */
  public readonly url: string;
  /** The gateway's access token (secret). */
  public readonly gatewayToken: pulumi.Output<string>;
  /** The images of the sandbox server, runtime and gateway. */
  public readonly images: Record<"server" | "runtime" | "gateway", string>;

  constructor(name: string, args: OpenHandsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:openhands:OpenHands", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const { llm, sandbox } = this.resolve(args);
    this.sandboxDomain = sandbox.domain;
    this.llmEndpoint = llm.endpoint;
    this.llmModel = llm.model;
    this.namespace = OPENHANDS_NAMESPACE;
    this.sandboxNamespace = sandbox.namespace;
    this.runtimeEnv = sandboxRuntimeEnv(sandbox);

    const { ns, sandboxNs } = this.namespaces(name, args, sandbox);
    this.namespaceResource = ns;
    // The workloads start once this contract exists: the namespaces, the runtime's RBAC, every
    // policy (default deny and the allows together) and the sandboxes' TLS.
    const contract: pulumi.Resource[] = [
      ns,
      sandboxNs,
      ...this.sandboxRbac(name, ns, sandboxNs),
      ...this.sandboxIsolation(name, args, sandbox, ns, sandboxNs),
      ...this.sandboxTls(name, args, sandbox, ns),
    ];
    this.contractConfigMap(name, sandbox, llm, ns);

    const platform = agentPlatform(
      name,
      {
        network: args.network,
        ingress: args.ingress,
        certificates: args.certificates,
        storage: args.storage,
        settings: args.settings,
        sandbox,
        domain: args.domain,
        llm: { model: llm.model, endpoint: llm.endpoint },
        sourceDir: args.sourceDir,
        kindCluster: args.devBuild?.kindCluster,
        secrets: args.secrets,
        database: args.database,
        protectData: args.protectData ?? false,
        dependsOn: contract,
        provider: args.cluster.provider,
      },
      this,
    );
    this.url = platform.url;
    this.gatewayToken = pulumi.secret(pulumi.output(args.secrets.gatewayToken));
    this.images = platform.images;

    this.registerOutputs({
      url: this.url,
      images: this.images,
      sandboxDomain: this.sandboxDomain,
      llmEndpoint: this.llmEndpoint,
      llmModel: this.llmModel,
      sandboxNamespace: this.sandboxNamespace,
    });
  }

  /** The route to the fleet and the resolved sandbox settings; refuses arguments that cannot work, naming them. */
  private resolve(args: OpenHandsArgs): { llm: LlmRoute; sandbox: ResolvedSandbox } {
    const s = args.settings;
    const fail = (msg: string) => new pulumi.ResourceError(msg, this);
    if (!s.enabled) throw fail(`OpenHands args.settings.enabled: false; the OpenHands layer is built only when enabled`);
    const fleet = args.ollama.fleets[args.fleet];
    if (!fleet) {
      throw fail(`OpenHands args.fleet: "${args.fleet}" is not a fleet of args.ollama (${Object.keys(args.ollama.fleets).join(", ") || "none"})`);
    }
    let llm: LlmRoute;
    try {
      llm = llmRoute(args.fleet, fleet);
    } catch (e) {
      throw fail((e as Error).message);
    }
    const sandbox = resolveSandbox(s.sandbox, { domain: args.domain, ingressClass: args.ingress.className, defaultStorageClass: args.storage.defaultStorageClass });
    if (sandbox.issueWildcard && args.issuer !== "selfSigned") {
      throw fail(
        `OpenHands args.settings.sandbox.tlsSecret: missing; with args.issuer "${args.issuer}" the platform cannot issue the wildcard certificate *.${sandbox.domain} (ACME HTTP-01 issues no wildcards). Name an existing wildcard certificate Secret in namespace ${sandbox.tlsSecretNamespace}`,
      );
    }
    return { llm, sandbox };
  }

  /**
   * `openhands` (Pod Security restricted for every pod) and the sandbox namespace. Neither
   * joins the mesh: sandboxes run untrusted code (a sidecar would be theirs to tamper with).
   * Both write their own policies both ways (sandboxIsolation).
   */
  private namespaces(name: string, args: OpenHandsArgs, sandbox: ResolvedSandbox): { ns: k8s.core.v1.Namespace; sandboxNs: k8s.core.v1.Namespace } {
    const keep = { retainOnDelete: args.protectData ?? false };
    const ns = platformNamespace(`${name}-ns`, { name: OPENHANDS_NAMESPACE, podSecurity: "restricted", ingress: "own" }, this, keep);
    const psa = sandboxPodSecurity(sandbox.privileged);
    const sandboxNs = platformNamespace(
      `${name}-sandbox-ns`,
      { name: sandbox.namespace, podSecurity: psa.enforce, labels: { ...psa.labels, "app.kubernetes.io/component": "agent-sandboxes" }, ingress: "own" },
      this,
      keep,
    );
    return { ns, sandboxNs };
  }

  /** What our runtime service does, in the sandbox namespace only, for a dedicated ServiceAccount in `openhands`. */
  private sandboxRbac(name: string, ns: k8s.core.v1.Namespace, sandboxNs: k8s.core.v1.Namespace): pulumi.Resource[] {
    const sa = new k8s.core.v1.ServiceAccount(`${name}-runtime-sa`, { metadata: { name: RUNTIME_SERVICE_ACCOUNT, namespace: ns.metadata.name } }, { parent: this });
    const roleName = "openhands-sandbox-runtime";
    const role = new k8s.rbac.v1.Role(`${name}-sandbox-role`, { metadata: { name: roleName, namespace: sandboxNs.metadata.name }, rules: RUNTIME_RULES.map((x: Rule) => ({ ...x })) }, { parent: this });
    const binding = new k8s.rbac.v1.RoleBinding(
      `${name}-sandbox-role-binding`,
      {
        metadata: { name: roleName, namespace: sandboxNs.metadata.name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }],
      },
      { parent: this },
    );
    return [sa, role, binding];
  }

  /**
   * The two namespaces' NetworkPolicies (and, with Cilium, CiliumNetworkPolicies), the
   * sandboxes' quota and limits, and the RuntimeClass they run with; returns the policies.
   */
  private sandboxIsolation(name: string, args: OpenHandsArgs, sandbox: ResolvedSandbox, ns: k8s.core.v1.Namespace, sandboxNs: k8s.core.v1.Namespace): pulumi.Resource[] {
    const s = args.settings;
    const cilium = args.cilium ?? false;
    const sandboxNet = { sandbox, openhandsNamespace: OPENHANDS_NAMESPACE, ingressNamespace: args.ingress.namespace, fleet: { namespace: args.ollama.namespace, name: args.fleet }, egress: s.sandbox.egress, cilium };
    const platformNet = platformNetworkPolicies({
      namespace: OPENHANDS_NAMESPACE,
      ingressNamespace: args.ingress.namespace,
      sandboxNamespace: sandbox.namespace,
      apiServer: { ports: API_SERVER_PORTS },
      cilium,
      postgres: s.server.database.kind === "postgres" ? { cluster: OPENHANDS_DB_CLUSTER, operatorNamespace: CHARTS.cloudnativePg.namespace } : undefined,
      oidcProxy: args.oidcProxy,
    });
    const netpol = (resourceName: string, p: { metadata: { name: string }; spec: k8s.types.input.networking.v1.NetworkPolicySpec }, namespace: pulumi.Input<string>) =>
      new k8s.networking.v1.NetworkPolicy(resourceName, { metadata: { name: p.metadata.name, namespace }, spec: p.spec }, { parent: this });
    const cnp = (resourceName: string, p: { apiVersion: string; kind: string; metadata: { name: string }; spec: unknown }, namespace: pulumi.Input<string>) =>
      new k8s.apiextensions.CustomResource(resourceName, { apiVersion: p.apiVersion, kind: p.kind, metadata: { name: p.metadata.name, namespace }, spec: p.spec }, { parent: this, dependsOn: args.network.ready });
    const sandboxNsName = sandboxNs.metadata.name;
    const policies: pulumi.Resource[] = [
      ...sandboxNetworkPolicies(sandboxNet).map((p) => netpol(`${name}-netpol-${p.metadata.name}`, p, sandboxNsName)),
      ...sandboxCiliumNetworkPolicies(sandboxNet).map((p) => cnp(`${name}-cnp-${p.metadata.name}`, p, sandboxNsName)),
      ...platformNet.networkPolicies.map((p) => netpol(`${name}-platform-netpol-${p.metadata.name}`, p, ns.metadata.name)),
      ...platformNet.ciliumNetworkPolicies.map((p) => cnp(`${name}-platform-cnp-${p.metadata.name}`, p, ns.metadata.name)),
    ];
    new k8s.core.v1.ResourceQuota(`${name}-quota`, { metadata: { name: "sandboxes", namespace: sandboxNsName }, spec: { hard: sandboxQuota(sandbox, s.sandbox.maxSandboxes) } }, { parent: this });
    new k8s.core.v1.LimitRange(`${name}-limits`, { metadata: { name: "sandboxes", namespace: sandboxNsName }, spec: { limits: sandboxLimitRange(sandbox) } }, { parent: this });
    const handler = sandbox.runtimeClass ? RUNTIME_CLASS_HANDLERS[sandbox.runtimeClass] : undefined;
    if (sandbox.runtimeClass && handler) {
      new k8s.node.v1.RuntimeClass(`${name}-runtime-class`, { metadata: { name: sandbox.runtimeClass }, handler }, { parent: this });
    }
    return policies;
  }

  /**
   * TLS for `<session>.<domain>`: the wildcard certificate's Secret stays in `openhands` (its
   * key serves every session's host; nothing in the sandbox namespace may hold it). Contour
   * serves it to the sandboxes' Ingresses through a delegation to that namespace only, which
   * the runtime's Ingresses name with CONTOUR_TLS_CERT_NAMESPACE.
   */
  private sandboxTls(name: string, args: OpenHandsArgs, sandbox: ResolvedSandbox, ns: k8s.core.v1.Namespace): pulumi.Resource[] {
    const out: pulumi.Resource[] = [];
    if (sandbox.issueWildcard) {
      out.push(
        new k8s.apiextensions.CustomResource(
          `${name}-sandbox-wildcard`,
          {
            apiVersion: "cert-manager.io/v1",
            kind: "Certificate",
            metadata: { name: "sandbox-wildcard", namespace: ns.metadata.name, annotations: WAIT_READY },
            spec: {
              secretName: sandbox.tlsSecret,
              dnsNames: [`*.${sandbox.domain}`],
              issuerRef: { kind: "ClusterIssuer", name: args.certificates.clusterIssuer, group: "cert-manager.io" },
            },
          },
          { parent: this, dependsOn: args.certificates.ready },
        ),
      );
    }
    out.push(
      new k8s.apiextensions.CustomResource(
        `${name}-sandbox-tls-delegation`,
        { apiVersion: "projectcontour.io/v1", kind: "TLSCertificateDelegation", metadata: { name: "sandbox-tls", namespace: ns.metadata.name }, spec: sandboxTlsDelegation(sandbox) },
        { parent: this, dependsOn: args.ingress.ready },
      ),
    );
    return out;
  }

  /** The contract as the runtime reads it, for runtimes installed outside this program too. */
  private contractConfigMap(name: string, sandbox: ResolvedSandbox, llm: LlmRoute, ns: k8s.core.v1.Namespace): void {
    new k8s.core.v1.ConfigMap(
      `${name}-sandbox-contract`,
      {
        metadata: { name: "openhands-sandbox-contract", namespace: ns.metadata.name },
        data: {
          ...this.runtimeEnv,
          RUNTIME_SERVICE_ACCOUNT: RUNTIME_SERVICE_ACCOUNT,
          RUNTIME_CERT_NAMESPACE: sandbox.tlsSecretNamespace,
          RUNTIME_URL_PATTERN: runtimeUrlPattern(sandbox),
          LLM_BASE_URL: llm.endpoint,
          LLM_MODEL: `openai/${llm.model}`,
          LLM_CONTEXT_LENGTH: String(llm.contextLength),
        },
      },
      { parent: this },
    );
  }
}
