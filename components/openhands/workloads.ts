import type * as k8s from "@pulumi/kubernetes";
import type { Rule } from "./isolation";
import { OPENHANDS_NAMESPACE, PORTS, type OpenHandsSettings, type ResolvedSandbox } from "./settings";

/*
 * The agent platform's workloads as plain objects (pure, for tests; index.ts creates them):
 * the OpenHands sandbox server (`openhands-ai`), our sandbox runtime service
 * (sandbox-runtime/) and our gateway with Agent Canvas (agent-gateway/), in the `openhands`
 * namespace. How they call each other:
 *
 *   browser --https--> gateway --http--> sandbox server --http--> sandbox runtime --> pods
 *   browser --wss---> <session>.<sandbox domain> (Ingress) --> sandbox pod (agent server)
 *   sandbox server --http--> <runtime id>-svc (in-cluster) ; sandbox --webhooks--> server
 */

/** Versions the platform runs: openhands-ai pins the agent server it drives. */
export const OPENHANDS_VERSIONS = {
  /** PyPI openhands-ai (sandbox-server/requirements.lock). */
  server: "1.11.0",
  /** The agent server openhands-ai 1.11.0 bundles (its `openhands-agent-server` dependency). */
  agentServer: "1.34.0",
} as const;

/** The sandbox image: the agent server at the version the sandbox server pins. */
export const AGENT_SERVER_IMAGE = { repository: "ghcr.io/openhands/agent-server", tag: `${OPENHANDS_VERSIONS.agentServer}-python` } as const;

/** Names and ports of the three services (Deployment, Service and container share the name). */
export const SERVICES = {
  server: { name: "openhands-app", port: PORTS.app },
  runtime: { name: "openhands-sandbox-runtime", port: 8080 },
  gateway: { name: "openhands-gateway", port: 8080 },
} as const;

/** Secrets the platform generates (random, Pulumi secrets), with their data key. */
export const SECRETS = {
  /** The runtime API's key: the sandbox server sends it as X-API-Key. */
  runtimeApiKey: { name: "openhands-runtime-api-key", key: "api-key" },
  /** The sandbox server's SESSION_API_KEY: the gateway sends it as X-Session-API-Key. */
  serverSessionKey: { name: "openhands-app-session-key", key: "session-api-key" },
  /** The gateway's access tokens, one per line. */
  gatewayTokens: { name: "openhands-gateway-tokens", key: "tokens" },
} as const;

/** The sandbox server's volume: its SQLite database (dev), settings, keys and conversation events. */
export const SERVER_DATA = { claim: "openhands-app-data", mountPath: "/data" } as const;

/** Where a service of the `openhands` namespace answers inside the cluster. */
export function serviceUrl(s: { name: string; port: number }): string {
  return `http://${s.name}.${OPENHANDS_NAMESPACE}.svc.cluster.local:${s.port}`;
}

/** The agent platform's public URL: the gateway's Ingress host. */
export function publicUrl(domain: string): string {
  return `https://openhands.${domain}`;
}

/**
 * What our runtime service needs in the sandbox namespace (sandbox-runtime/README.md,
 * "RBAC"): the design's Role minus what the service never does (exec, port-forward,
 * NetworkPolicies: the platform owns those), plus Secrets (the session key, the anchor),
 * Events, and the Lease of its background loops.
 */
export const RUNTIME_RULES: readonly Rule[] = [
  { apiGroups: [""], resources: ["secrets", "pods", "services", "persistentvolumeclaims"], verbs: ["get", "list", "create", "update", "patch", "delete"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "create", "update", "patch", "delete"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
];

/** The /start spec the sandbox server sends (openhands-ai 1.11.0, remote_sandbox_service.py), as a warm pool template. */
export function appSandboxSpec(webUrl: string): Record<string, unknown> {
  const environment: Record<string, string> = {
    OPENVSCODE_SERVER_ROOT: "/openhands/.openvscode-server",
    LOG_JSON: "true",
    OH_ENABLE_VNC: "0",
    OH_CONVERSATIONS_PATH: "/workspace/conversations",
    OH_BASH_EVENTS_DIR: "/workspace/bash_events",
    OH_VSCODE_PORT: "60001",
  };
  // The app adds its webhook and CORS origin only for a web URL that is not localhost.
  if (!webUrl.includes("localhost")) {
    environment.OH_WEBHOOKS_0_BASE_URL = `${webUrl}/api/v1/webhooks`;
    environment.OH_ALLOW_CORS_ORIGINS_0 = webUrl;
  }
  environment.WORKER_1 = "12000";
  environment.WORKER_2 = "12001";
  return {
    image: `${AGENT_SERVER_IMAGE.repository}:${AGENT_SERVER_IMAGE.tag}`,
    command: ["/usr/local/bin/openhands-agent-server", "--port", "60000"],
    working_dir: "/workspace",
    environment,
    resource_factor: 1,
    run_as_user: 10001,
    run_as_group: 10001,
    fs_group: 10001,
  };
}

/** What {@link runtimeConfig} needs besides the sandbox contract. */
export interface RuntimeConfigInput {
  sandbox: ResolvedSandbox;
  runtime: OpenHandsSettings["runtime"];
  /** The platform's public URL (`https://openhands.<domain>`): the origin the agent server allows. */
  webUrl: string;
  /** Annotations every sandbox Ingress gets (the controller's WebSocket switch). */
  ingressAnnotations: Record<string, string>;
}

/**
 * The runtime service's config.json from the sandbox contract. The sandbox URL it returns
 * is the sandbox's in-cluster Service (the sandbox server calls it from inside the
 * cluster); the gateway rewrites it to `https://<session>.<sandbox domain>` for browsers.
 * Every sandbox calls the server back on its in-cluster Service, not its public URL
 * (sandboxes have no route out of the cluster).
 */
export function runtimeConfig(i: RuntimeConfigInput): Record<string, unknown> {
  const s = i.sandbox;
  return {
    namespace: s.namespace,
    domain: s.domain,
    urlTemplate: "http://{runtimeId}-svc.{namespace}.svc.cluster.local:60000",
    probe: { via: "service" },
    ingress: { enabled: true, className: s.ingressClass, tlsSecretName: s.tlsSecret, annotations: { ...i.ingressAnnotations } },
    workspace: { size: s.pvcSize, storageClassName: s.storageClass, mountPath: "/workspace" },
    resources: {
      requests: { cpu: s.requests.cpu, memory: s.requests.memory, "ephemeral-storage": "1Gi" },
      // No CPU limit in the contract: the runtime's default (2 CPUs) caps a sandbox anyway.
      limits: { cpu: s.limits.cpu ?? "2", memory: s.limits.memory, "ephemeral-storage": "10Gi" },
    },
    imagePullSecrets: s.imagePullSecret ? [s.imagePullSecret] : [],
    nodeSelector: { ...s.nodeSelector },
    tolerations: s.tolerations.map((t) => ({ ...t })),
    runtimeClass: s.runtimeClass ? { default: s.runtimeClass, allowed: [] } : { allowed: [] },
    idle: { pauseAfterSeconds: i.runtime.idlePauseMinutes * 60 },
    leaderElection: { enabled: true, leaseName: "sandbox-runtime" },
    environment: {
      OH_WEBHOOKS_0_BASE_URL: `${serviceUrl(SERVICES.server)}/api/v1/webhooks`,
      OH_ALLOW_CORS_ORIGINS_0: i.webUrl,
      LITELLM_LOCAL_MODEL_COST_MAP: "True",
    },
    warmPools: i.runtime.warmSandboxes > 0 ? [{ name: "default", size: i.runtime.warmSandboxes, template: appSandboxSpec(i.webUrl) }] : [],
  };
}

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** An env var from a key of a Secret. */
export function fromSecret(name: string, secret: { name: string; key: string }): EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } } };
}

/** Plain env vars, sorted by name. */
export function plainEnv(values: Record<string, string>): EnvVar[] {
  return Object.keys(values)
    .sort()
    .map((name) => ({ name, value: values[name] }));
}

/** Requests and a memory limit (CPU only when set) from config. */
function resourcesOf(r: OpenHandsSettings["server"]["resources"]): k8s.types.input.core.v1.ResourceRequirements {
  return { requests: { ...r.requests }, limits: r.limits.cpu === undefined ? { memory: r.limits.memory } : { cpu: r.limits.cpu, memory: r.limits.memory } };
}

/** One hardened container: numeric non-root user, no privilege escalation, no capabilities, read-only root. */
export function hardenedContainer(c: {
  name: string;
  image: string;
  port: number;
  env: EnvVar[];
  resources: OpenHandsSettings["server"]["resources"];
  probePaths: { live: string; ready: string };
  args?: string[];
  workingDir?: string;
  volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
}): Container {
  const probe = (path: string, periodSeconds: number) => ({ httpGet: { path, port: "http" }, periodSeconds, timeoutSeconds: 3, failureThreshold: 3 });
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: "IfNotPresent",
    ...(c.args ? { args: c.args } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    ports: [{ name: "http", containerPort: c.port, protocol: "TCP" }],
    env: c.env,
    resources: resourcesOf(c.resources),
    readinessProbe: probe(c.probePaths.ready, 10),
    livenessProbe: { ...probe(c.probePaths.live, 20), initialDelaySeconds: 10 },
    startupProbe: { httpGet: { path: c.probePaths.live, port: "http" }, periodSeconds: 5, failureThreshold: 60 },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(c.volumeMounts ?? [])],
  };
}

/** A pod spec for one hardened container and its volumes (a writable /tmp always). */
export function hardenedPod(c: Container, o: { user: number; serviceAccount?: string; volumes?: k8s.types.input.core.v1.Volume[] }): PodSpec {
  return {
    ...(o.serviceAccount ? { serviceAccountName: o.serviceAccount } : {}),
    automountServiceAccountToken: o.serviceAccount !== undefined,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: o.user, runAsGroup: o.user, fsGroup: o.user, seccompProfile: { type: "RuntimeDefault" } },
    containers: [c],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }, ...(o.volumes ?? [])],
  };
}

/** The sandbox server's database: a SQLite file on its volume, or Postgres. */
export type ServerDatabase = { kind: "sqlite" } | { kind: "postgres"; host: string; port: number; database: string; user: string; passwordSecret: { name: string; key: string } };

/** The sandbox server's container (openhands-ai with RUNTIME=remote). */
export function serverContainer(o: { image: string; domain: string; database: ServerDatabase; resources: OpenHandsSettings["server"]["resources"] }): Container {
  const web = publicUrl(o.domain);
  const env: Record<string, string> = {
    RUNTIME: "remote",
    SERVE_FRONTEND: "false",
    SANDBOX_REMOTE_RUNTIME_API_URL: serviceUrl(SERVICES.runtime),
    OH_PERSISTENCE_DIR: SERVER_DATA.mountPath,
    HOME: "/tmp",
    OH_WEB_URL: web,
    OH_PERMITTED_CORS_ORIGINS_0: web,
    AGENT_SERVER_IMAGE_REPOSITORY: AGENT_SERVER_IMAGE.repository,
    AGENT_SERVER_IMAGE_TAG: AGENT_SERVER_IMAGE.tag,
    // LiteLLM fetches its model price list from GitHub at import unless told to use its
    // bundled copy; the platform's NetworkPolicies give neither the app nor sandboxes a route out.
    LITELLM_LOCAL_MODEL_COST_MAP: "True",
  };
  const secretEnv = [fromSecret("SANDBOX_API_KEY", SECRETS.runtimeApiKey), fromSecret("SESSION_API_KEY", SECRETS.serverSessionKey)];
  if (o.database.kind === "postgres") {
    Object.assign(env, { DB_HOST: o.database.host, DB_PORT: String(o.database.port), DB_NAME: o.database.database, DB_USER: o.database.user, DB_SSL_MODE: "require" });
    secretEnv.push(fromSecret("DB_PASS", o.database.passwordSecret));
  }
  return hardenedContainer({
    name: SERVICES.server.name,
    image: o.image,
    port: SERVICES.server.port,
    // Behind the gateway every request comes from its pod: the client address for the app's
    // per-IP rate limit (10/s) is the gateway's X-Forwarded-For.
    // (The image's entrypoint is uvicorn serving the app on 3000; these are appended.)
    args: ["--proxy-headers", "--forwarded-allow-ips=*"],
    workingDir: "/tmp",
    env: [...plainEnv(env), ...secretEnv],
    resources: o.resources,
    probePaths: { live: "/alive", ready: "/alive" },
    volumeMounts: [{ name: "data", mountPath: SERVER_DATA.mountPath }],
  });
}

/** The runtime service's container; its config.json comes from the ConfigMap `openhands-sandbox-runtime`. */
export function runtimeContainer(o: { image: string; resources: OpenHandsSettings["runtime"]["resources"] }): Container {
  return hardenedContainer({
    name: SERVICES.runtime.name,
    image: o.image,
    port: SERVICES.runtime.port,
    env: [
      ...plainEnv({ SANDBOX_RUNTIME_CONFIG: "/etc/sandbox-runtime/config.json" }),
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      fromSecret("SANDBOX_RUNTIME_API_KEY", SECRETS.runtimeApiKey),
    ],
    resources: o.resources,
    probePaths: { live: "/healthz", ready: "/readyz" },
    volumeMounts: [{ name: "config", mountPath: "/etc/sandbox-runtime", readOnly: true }],
  });
}

/** What {@link gatewayContainer} needs. */
export interface GatewayInput {
  image: string;
  domain: string;
  sandbox: ResolvedSandbox;
  gateway: OpenHandsSettings["gateway"];
  llm: { model: string; endpoint: string };
}

/** The gateway's container: Agent Canvas locked to `https://openhands.<domain>`, the app behind it. */
export function gatewayContainer(o: GatewayInput): Container {
  const env: Record<string, string> = {
    OPENHANDS_APP_URL: serviceUrl(SERVICES.server),
    OPENHANDS_APP_SESSION_API_KEY_FILE: "/var/run/secrets/openhands-app/session-api-key",
    GATEWAY_AUTH_MODE: o.gateway.auth,
    GATEWAY_PUBLIC_URL: publicUrl(o.domain),
    GATEWAY_SANDBOX_DOMAIN: o.sandbox.domain,
    GATEWAY_SANDBOX_NAMESPACE: o.sandbox.namespace,
    GATEWAY_LLM_MODEL: `openai/${o.llm.model}`,
    GATEWAY_LLM_BASE_URL: o.llm.endpoint,
    // Ollama ignores the key, but the OpenAI client the agent uses refuses to run without
    // one; "ollama" is the value Ollama's OpenAI-compatibility docs use.
    GATEWAY_LLM_API_KEY: "ollama",
  };
  if (o.gateway.auth === "bearer") env.GATEWAY_TOKEN_FILE = "/var/run/secrets/gateway/tokens";
  else env.GATEWAY_IDENTITY_HEADER = o.gateway.identityHeader;
  return hardenedContainer({
    name: SERVICES.gateway.name,
    image: o.image,
    port: SERVICES.gateway.port,
    env: plainEnv(env),
    resources: o.gateway.resources,
    probePaths: { live: "/healthz", ready: "/readyz" },
    volumeMounts: [
      { name: "app-session-key", mountPath: "/var/run/secrets/openhands-app", readOnly: true },
      ...(o.gateway.auth === "bearer" ? [{ name: "tokens", mountPath: "/var/run/secrets/gateway", readOnly: true }] : []),
    ],
  });
}

/** Secret volumes of the gateway pod. */
export function gatewayVolumes(auth: OpenHandsSettings["gateway"]["auth"]): k8s.types.input.core.v1.Volume[] {
  const secretVolume = (name: string, s: { name: string; key: string }, path: string) => ({ name, secret: { secretName: s.name, items: [{ key: s.key, path }], defaultMode: 0o440 } });
  return [
    secretVolume("app-session-key", SECRETS.serverSessionKey, "session-api-key"),
    ...(auth === "bearer" ? [secretVolume("tokens", SECRETS.gatewayTokens, "tokens")] : []),
  ];
}

