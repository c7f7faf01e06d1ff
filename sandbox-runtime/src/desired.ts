import type { Config, SandboxSpec } from "./config";
import type { KubeObject } from "./kube";
import { A, commonLabels } from "./labels";
import { childNames, PREFIX } from "./names";
import { scaleQuantity } from "./quantity";
import { isSecretEnv, RESERVED_ENV, SESSION_KEY, secretEnvKey, secretOverrideKey, splitOverrides, splitSpec, type StoredOverrides } from "./spec";

/*
 * The objects of one sandbox, as pure functions of the config and the sandbox's identity.
 * The Secret `<base>-key` is created first and is the owner (anchor) of every other object,
 * so deleting it garbage-collects the sandbox. It holds the session key, the secret env
 * values and (in annotations) the request and the state, and the config `environment`
 * overrides the pod is built with (plain ones in an annotation, secret-looking ones as
 * `override.<NAME>` keys).
 */

export const AGENT_PORT = 60000;
export const VSCODE_PORT = 60001;
export const WORKER_PORTS = [12000, 12001] as const;

/** Who a sandbox is. `session` is absent for a warm sandbox not yet adopted. */
export interface SandboxIdentity {
  base: string;
  session?: { id: string; part: string };
  pool?: string;
  specHash: string;
}

function labels(id: SandboxIdentity, component: string) {
  return commonLabels(id.base, id.session ? "session" : "warm", id.session?.part, id.pool, id.specHash, component);
}

function ownerRef(anchor: KubeObject) {
  return [{ apiVersion: "v1", kind: "Secret", name: anchor.metadata.name, uid: anchor.metadata.uid as string, controller: true, blockOwnerDeletion: true }];
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * The config `environment` overrides as anchor parts: the annotation (absent when there are
 * none) and the Secret data of the secret-looking ones. Written on create and on resume.
 */
export function overrideParts(c: Config): { annotations: Record<string, string>; data: Record<string, string> } {
  const { stored, secretEnv } = splitOverrides(c.environment, c.secretEnvPatterns);
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(secretEnv)) data[secretOverrideKey(k)] = b64(v);
  const none = Object.keys(stored.environment).length === 0 && stored.secret_env.length === 0;
  return { annotations: none ? {} : { [A.overrides]: JSON.stringify(stored) }, data };
}

/** The anchor Secret: session key, secret env, request, state and the config's env overrides. */
export function desiredSecret(c: Config, id: SandboxIdentity, spec: SandboxSpec, key: string, now: Date): KubeObject {
  const { stored, secretEnv } = splitSpec(spec, c.secretEnvPatterns);
  const overrides = overrideParts(c);
  const data: Record<string, string> = { [SESSION_KEY]: b64(key), ...overrides.data };
  for (const [k, v] of Object.entries(secretEnv)) data[secretEnvKey(k)] = b64(v);
  const at = now.toISOString();
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: childNames(id.base).secret,
      namespace: c.namespace,
      labels: labels(id, "session-key"),
      annotations: {
        ...(id.session ? { [A.sessionId]: id.session.id } : {}),
        [A.request]: JSON.stringify(stored),
        ...overrides.annotations,
        [A.state]: "running",
        [A.generation]: "1",
        [A.startedAt]: at,
        [A.lastActivity]: at,
      },
    },
    type: "Opaque",
    data,
  };
}

/** The workspace PVC. */
export function desiredPvc(c: Config, id: SandboxIdentity, anchor: KubeObject): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: childNames(id.base).pvc, namespace: c.namespace, labels: labels(id, "workspace"), ownerReferences: ownerRef(anchor) },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: c.workspace.size } },
      ...(c.workspace.storageClassName ? { storageClassName: c.workspace.storageClassName } : {}),
    },
  };
}

/** The agent-server and worker Service, and the VS Code Service. */
export function desiredServices(c: Config, id: SandboxIdentity, anchor: KubeObject): KubeObject[] {
  const n = childNames(id.base);
  const selector = { "openhands.ai/runtime-id": id.base, "app.kubernetes.io/component": "sandbox" };
  const svc = (name: string, ports: Array<{ name: string; port: number }>): KubeObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: c.namespace, labels: labels(id, "service"), ownerReferences: ownerRef(anchor) },
    spec: { type: "ClusterIP", selector, ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: "TCP" })) },
  });
  return [
    svc(n.service, [
      { name: "agent", port: AGENT_PORT },
      { name: "work-1", port: WORKER_PORTS[0] },
      { name: "work-2", port: WORKER_PORTS[1] },
    ]),
    svc(n.codeService, [{ name: "vscode", port: VSCODE_PORT }]),
  ];
}

/**
 * The sandbox hosts: `<s>.<domain>` for the agent server and, in the app's subdomain mode,
 * `vscode-<s>`, `work-1-<s>`, `work-2-<s>` under the same domain (one wildcard certificate
 * covers them all).
 */
export function sandboxHosts(c: Config, sessionPart: string) {
  return {
    agent: `${sessionPart}.${c.domain}`,
    vscode: `vscode-${sessionPart}.${c.domain}`,
    work1: `work-1-${sessionPart}.${c.domain}`,
    work2: `work-2-${sessionPart}.${c.domain}`,
  };
}

/**
 * The host sets a session sandbox is served at: its session part and, when the runtime id is
 * not `openhands-runtime-<session part>` (an adopted warm sandbox, `openhands-runtime-warm-<id>`),
 * also the part of the runtime id, since a URL derived from the runtime id (the in-cluster
 * `{runtimeId}-svc` one, rewritten by the platform's gateway) names that one.
 */
export function ingressHostSets(c: Config, id: SandboxIdentity): Array<ReturnType<typeof sandboxHosts>> {
  if (!id.session) return [];
  const sets = [sandboxHosts(c, id.session.part)];
  const runtimePart = id.base.startsWith(PREFIX) ? id.base.slice(PREFIX.length) : "";
  if (runtimePart !== "" && runtimePart !== id.session.part) sets.push(sandboxHosts(c, runtimePart));
  return sets;
}

/** The Ingress `<session base>-ingress-code`; only for a sandbox with a session. */
export function desiredIngress(c: Config, id: SandboxIdentity, anchor: KubeObject): KubeObject | undefined {
  if (!c.ingress.enabled || !id.session) return undefined;
  const n = childNames(id.base);
  const sets = ingressHostSets(c, id);
  const rule = (host: string, service: string, port: number) => ({
    host,
    http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service, port: { number: port } } } }] },
  });
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: `openhands-runtime-${id.session.part}-ingress-code`,
      namespace: c.namespace,
      labels: labels(id, "ingress"),
      ...(Object.keys(c.ingress.annotations).length > 0 ? { annotations: { ...c.ingress.annotations } } : {}),
      ownerReferences: ownerRef(anchor),
    },
    spec: {
      ...(c.ingress.className ? { ingressClassName: c.ingress.className } : {}),
      ...(c.ingress.tlsSecretName ? { tls: [{ hosts: sets.flatMap((h) => Object.values(h)), secretName: c.ingress.tlsSecretName }] } : {}),
      rules: sets.flatMap((h) => [rule(h.agent, n.service, AGENT_PORT), rule(h.vscode, n.codeService, VSCODE_PORT), rule(h.work1, n.service, WORKER_PORTS[0]), rule(h.work2, n.service, WORKER_PORTS[1])]),
    },
  };
}

/**
 * The runtime class a spec gets: the configured default whenever there is one (the class the
 * namespace enforces; a request cannot pick another), else the request's when allowed.
 */
export function runtimeClassFor(c: Config, spec: SandboxSpec): string | undefined {
  if (c.runtimeClass.default) return c.runtimeClass.default;
  if (spec.runtime_class && c.runtimeClass.allowed.includes(spec.runtime_class)) return spec.runtime_class;
  return undefined;
}

/** The container's command and args: a list keeps the image ENTRYPOINT, a string runs in bash. */
export function commandFor(spec: SandboxSpec): { command?: string[]; args?: string[] } {
  if (Array.isArray(spec.command)) return { args: [...spec.command] };
  if (typeof spec.command === "string") return { command: ["bash", "-c", spec.command] };
  return {};
}

/**
 * The sandbox pod (restartPolicy Always: the agent server is a server; crash loops become `error`).
 * `overrides` are the config `environment` overrides as recorded on the anchor (the current
 * config's by default, which is what desiredSecret records); they win over the request's
 * variables, the secret-looking ones by reference to `override.<NAME>` in the Secret.
 */
export function desiredPod(c: Config, id: SandboxIdentity, spec: SandboxSpec, anchor: KubeObject, generation: number, overrides: StoredOverrides = splitOverrides(c.environment, c.secretEnvPatterns).stored): KubeObject {
  const n = childNames(id.base);
  const keyRef = (key: string) => ({ secretKeyRef: { name: n.secret, key } });
  const env: Array<Record<string, unknown>> = [
    { name: "OH_SESSION_API_KEYS_0", valueFrom: keyRef(SESSION_KEY) },
    { name: "SESSION_API_KEY", valueFrom: keyRef(SESSION_KEY) },
  ];
  const secretOverrides = new Set(overrides.secret_env);
  const names = new Set([...Object.keys(spec.environment), ...Object.keys(overrides.environment), ...secretOverrides]);
  for (const k of [...names].sort()) {
    if (RESERVED_ENV.includes(k)) continue;
    if (secretOverrides.has(k)) env.push({ name: k, valueFrom: keyRef(secretOverrideKey(k)) });
    else if (Object.hasOwn(overrides.environment, k)) env.push({ name: k, value: overrides.environment[k] });
    else env.push(isSecretEnv(k, c.secretEnvPatterns) ? { name: k, valueFrom: keyRef(secretEnvKey(k)) } : { name: k, value: spec.environment[k] });
  }
  const f = spec.resource_factor;
  const scale = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, scaleQuantity(v, f)]));
  const runtimeClassName = runtimeClassFor(c, spec);
  const podLabels = { ...labels(id, "sandbox") };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: n.pod,
      namespace: c.namespace,
      labels: podLabels,
      annotations: { [A.generation]: String(generation) },
      ownerReferences: ownerRef(anchor),
    },
    spec: {
      restartPolicy: "Always",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(c.serviceAccountName ? { serviceAccountName: c.serviceAccountName } : {}),
      ...(runtimeClassName ? { runtimeClassName } : {}),
      ...(c.imagePullSecrets.length > 0 ? { imagePullSecrets: c.imagePullSecrets.map((name) => ({ name })) } : {}),
      ...(Object.keys(c.nodeSelector).length > 0 ? { nodeSelector: { ...c.nodeSelector } } : {}),
      ...(c.tolerations.length > 0 ? { tolerations: c.tolerations.map((t) => ({ ...t })) } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: spec.run_as_user,
        runAsGroup: spec.run_as_group,
        fsGroup: spec.fs_group,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: "agent-server",
          image: spec.image,
          imagePullPolicy: spec.image_pull_policy ?? c.imagePullPolicy,
          ...commandFor(spec),
          ...(spec.working_dir ? { workingDir: spec.working_dir } : {}),
          env,
          ports: [
            { name: "agent", containerPort: AGENT_PORT, protocol: "TCP" },
            { name: "vscode", containerPort: VSCODE_PORT, protocol: "TCP" },
            { name: "work-1", containerPort: WORKER_PORTS[0], protocol: "TCP" },
            { name: "work-2", containerPort: WORKER_PORTS[1], protocol: "TCP" },
          ],
          readinessProbe: { httpGet: { path: "/alive", port: AGENT_PORT }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
          resources: { requests: scale({ ...c.resources.requests }), limits: scale({ ...c.resources.limits }) },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: spec.run_as_user,
            runAsGroup: spec.run_as_group,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
          },
          volumeMounts: [{ name: "workspace", mountPath: c.workspace.mountPath }],
        },
      ],
      volumes: [{ name: "workspace", persistentVolumeClaim: { claimName: n.pvc } }],
    },
  };
}
