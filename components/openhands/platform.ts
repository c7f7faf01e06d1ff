import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { imageString, RELEASE_REGISTRY, resolveImage, type BuiltImage, type ImageRef } from "../images";
import { HTTPS_REDIRECT, tlsIngress } from "../ingress/tls-ingress";
import { INGRESS_CLASS } from "../ingress/values";
import type { CertificatesLayer, DatabaseLayer, IngressLayer, NetworkLayer, StorageLayer } from "../contracts";
import { PART_OF } from "../platform-names";
import { CONTOUR_TLS_CERT_NAMESPACE, OPENHANDS_NAMESPACE, RUNTIME_SERVICE_ACCOUNT, type OpenHandsSettings, type ResolvedSandbox } from "./settings";
import {
  gatewayContainer,
  gatewayVolumes,
  hardenedPod,
  publicUrl,
  runtimeConfig,
  runtimeContainer,
  SECRETS,
  SERVER_DATA,
  serverContainer,
  SERVICES,
  type ServerDatabase,
} from "./workloads";

/** The agent platform's own images: each built from its folder in dev, published by .github/workflows/images-release.yml. */
export const PLATFORM_IMAGES = {
  server: { folder: "sandbox-server", argPath: "OpenHands args.settings.server.image", user: 10001, inputs: ["requirements.lock", "Dockerfile", ".dockerignore", "package.json"] },
  runtime: { folder: "sandbox-runtime", argPath: "OpenHands args.settings.runtime.image", user: 65532, inputs: ["src", "package.json", "package-lock.json", "tsconfig.json", "Dockerfile", ".dockerignore"] },
  gateway: { folder: "agent-gateway", argPath: "OpenHands args.settings.gateway.image", user: 65532, inputs: ["src", "package.json", "package-lock.json", "tsconfig.json", "Dockerfile", ".dockerignore"] },
} as const;

/** The version in `<folder>/package.json`: the release tag `<folder>-v<version>` publishes it. */
export function folderVersion(dir: string): string {
  const file = path.join(dir, "package.json");
  const v = (JSON.parse(fs.readFileSync(file, "utf8")) as { version?: unknown }).version;
  if (typeof v !== "string" || v === "") throw new Error(`${file}: no version; the release workflow tags images <folder>-v<version>`);
  return v;
}

/** The published image of a folder: `ghcr.io/agent-platform/openhands-<folder>:<version>`. */
export function releasedServiceImage(dir: string): ImageRef {
  return { repository: `${RELEASE_REGISTRY}/openhands-${path.basename(dir)}`, tag: folderVersion(dir) };
}

/** Arguments of {@link agentPlatform}. */
export interface AgentPlatformArgs {
  network: NetworkLayer;
  ingress: IngressLayer;
  certificates: CertificatesLayer;
  /** The default StorageClass the server's volume binds to. */
  storage: StorageLayer;
  settings: OpenHandsSettings;
  sandbox: ResolvedSandbox;
  domain: string;
  llm: { model: string; endpoint: string };
  /** The repository root: the images' folders are under it. */
  sourceDir: string;
  /** On kind: build the images and load them into this cluster. */
  kindCluster: string | undefined;
  /** The generated keys (Pulumi secrets). */
  secrets: { runtimeApiKey: pulumi.Input<string>; serverSessionKey: pulumi.Input<string>; gatewayToken: pulumi.Input<string> };
  /** Keep the server's volume on destroy and renames (prod). */
  protectData: boolean;
  /** Postgres, when `settings.server.database.kind` is postgres. */
  database: DatabaseLayer | undefined;
  /** What every workload waits for besides the CNI (the namespaces, the sandbox contract). */
  dependsOn: pulumi.Resource[];
  provider: k8s.Provider;
}

/** What {@link agentPlatform} exposes. */
export interface AgentPlatform {
  url: string;
  images: Record<keyof typeof PLATFORM_IMAGES, string>;
}

const meta = (name: string, extra: Record<string, string> = {}) => ({
  name,
  namespace: OPENHANDS_NAMESPACE,
  labels: { "app.kubernetes.io/name": name, ...PART_OF, ...extra },
});

/**
 * The sandbox server, our sandbox runtime and our gateway in `openhands`, with their
 * Secrets, the runtime's config, the server's volume (and its Postgres in prod) and the
 * gateway's Ingress at `https://openhands.<domain>`.
 */
export function agentPlatform(name: string, a: AgentPlatformArgs, parent: pulumi.Resource): AgentPlatform {
  const opts = { parent };
  const images = platformImages(name, a, parent);
  const builds = Object.values(images).flatMap((i) => (i.build ? [i.build] : []));
  const after = [...a.network.ready, ...a.dependsOn, ...builds];

  const secret = (key: keyof typeof SECRETS, value: pulumi.Input<string>) =>
    new k8s.core.v1.Secret(`${name}-${SECRETS[key].name}`, { metadata: meta(SECRETS[key].name), type: "Opaque", stringData: { [SECRETS[key].key]: value } }, opts);
  const secrets = [secret("runtimeApiKey", a.secrets.runtimeApiKey), secret("serverSessionKey", a.secrets.serverSessionKey), secret("gatewayTokens", a.secrets.gatewayToken)];

  const config = new k8s.core.v1.ConfigMap(
    `${name}-runtime-config`,
    {
      metadata: meta(SERVICES.runtime.name),
      data: {
        "config.json": JSON.stringify(
          runtimeConfig({
            sandbox: a.sandbox,
            runtime: a.settings.runtime,
            webUrl: publicUrl(a.domain),
            ingressAnnotations: {
              ...(HTTPS_REDIRECT[a.sandbox.ingressClass] ?? {}),
              ...(a.sandbox.ingressClass === INGRESS_CLASS.contour ? { "projectcontour.io/websocket-routes": "/", [CONTOUR_TLS_CERT_NAMESPACE]: a.sandbox.tlsSecretNamespace } : {}),
            },
          }),
          null,
          2,
        ),
      },
    },
    opts,
  );
  const runtimePod = hardenedPod(runtimeContainer({ image: images.runtime.ref, resources: a.settings.runtime.resources }), {
    user: PLATFORM_IMAGES.runtime.user,
    serviceAccount: RUNTIME_SERVICE_ACCOUNT,
    volumes: [{ name: "config", configMap: { name: SERVICES.runtime.name } }],
  });
  deployment(`${name}-runtime`, SERVICES.runtime, a.settings.runtime.replicas, runtimePod, "RollingUpdate", { deployment: [...after, config, ...secrets], service: a.dependsOn }, opts);

  const database = serverDatabase(name, a, parent, after);
  const data = new k8s.core.v1.PersistentVolumeClaim(
    `${name}-server-data`,
    { metadata: meta(SERVER_DATA.claim), spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: a.settings.server.database.size } } } },
    { ...opts, dependsOn: [...a.dependsOn, ...a.storage.ready], protect: a.protectData },
  );
  const serverPod = hardenedPod(serverContainer({ image: images.server.ref, domain: a.domain, database: database.spec, resources: a.settings.server.resources }), {
    user: PLATFORM_IMAGES.server.user,
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: SERVER_DATA.claim } }],
  });
  // One writer of the volume at a time: Recreate, never two pods on it during a rollout.
  deployment(`${name}-server`, SERVICES.server, a.settings.server.replicas, serverPod, "Recreate", { deployment: [...after, data, ...secrets, ...database.ready], service: a.dependsOn }, opts);

  const gatewayPod = hardenedPod(gatewayContainer({ image: images.gateway.ref, domain: a.domain, sandbox: a.sandbox, gateway: a.settings.gateway, llm: a.llm }), {
    user: PLATFORM_IMAGES.gateway.user,
    volumes: gatewayVolumes(a.settings.gateway.auth),
  });
  const gateway = deployment(`${name}-gateway`, SERVICES.gateway, a.settings.gateway.replicas, gatewayPod, "RollingUpdate", { deployment: [...after, ...secrets], service: a.dependsOn }, opts);
  const host = `openhands.${a.domain}`;
  // Behind an OIDC proxy the proxy's Ingress serves the host; the gateway gets none (a route
  // around the proxy would skip sign-in).
  if (a.settings.gateway.auth !== "oidc-header") tlsIngress(
    `${name}-gateway`,
    {
      namespace: OPENHANDS_NAMESPACE,
      name: "openhands",
      host,
      service: { name: SERVICES.gateway.name, port: SERVICES.gateway.port },
      annotations: a.ingress.className === INGRESS_CLASS.contour ? { "projectcontour.io/websocket-routes": "/" } : {},
    },
    a.certificates,
    a.ingress,
    parent,
    { dependsOn: [gateway.service] },
  );
  return { url: publicUrl(a.domain), images: { server: images.server.ref, runtime: images.runtime.ref, gateway: images.gateway.ref } };
}

/** The three images: configured, built on kind, or released. */
function platformImages(name: string, a: AgentPlatformArgs, parent: pulumi.Resource) {
  const one = (key: keyof typeof PLATFORM_IMAGES, configured: string | undefined) => {
    const p = PLATFORM_IMAGES[key];
    const dir = path.join(a.sourceDir, p.folder);
    const b: BuiltImage = {
      argPath: p.argPath,
      configured,
      dir,
      inputs: p.inputs,
      devRepository: `localhost/openhands-${p.folder}`,
      version: folderVersion(dir),
      released: () => releasedServiceImage(dir),
    };
    const r = resolveImage(`${name}-${p.folder}-image`, b, a.kindCluster, { parent, dependsOn: [a.provider] });
    return { ref: imageString(r.image), build: r.build };
  };
  return { server: one("server", a.settings.server.image), runtime: one("runtime", a.settings.runtime.image), gateway: one("gateway", a.settings.gateway.image) };
}

/** SQLite on the server's volume, or a CloudNativePG cluster `openhands-db` in `openhands`. */
function serverDatabase(name: string, a: AgentPlatformArgs, parent: pulumi.Resource, after: pulumi.Resource[]): { spec: ServerDatabase; ready: pulumi.Resource[] } {
  const d = a.settings.server.database;
  if (d.kind === "sqlite") return { spec: { kind: "sqlite" }, ready: [] };
  if (a.database === undefined) throw new pulumi.ResourceError(`OpenHands args.database: undefined, but args.settings.server.database.kind is "postgres"; pass the Database layer`, parent);
  const pg = a.database.postgres(
    "openhands-db",
    {
      namespace: OPENHANDS_NAMESPACE,
      database: "openhands",
      owner: "openhands",
      instances: d.instances,
      size: d.size,
      resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
    },
    { parent, dependsOn: after, resourceName: `${name}-postgres` },
  );
  return {
    spec: { kind: "postgres", host: `openhands-db-rw.${OPENHANDS_NAMESPACE}.svc.cluster.local`, port: pg.port, database: pg.database, user: pg.user, passwordSecret: { name: pg.secretName, key: "password" } },
    ready: [pg.resource],
  };
}

/** A Deployment and its ClusterIP Service, named `svc.name`, serving port `http`. */
function deployment(
  resourceName: string,
  svc: { name: string; port: number },
  replicas: number,
  pod: k8s.types.input.core.v1.PodSpec,
  strategy: "Recreate" | "RollingUpdate",
  dependsOn: { deployment: pulumi.Resource[]; service: pulumi.Resource[] },
  opts: { parent: pulumi.Resource },
): { deployment: k8s.apps.v1.Deployment; service: k8s.core.v1.Service } {
  const selector = { "app.kubernetes.io/name": svc.name };
  const d = new k8s.apps.v1.Deployment(
    resourceName,
    {
      metadata: meta(svc.name),
      spec: {
        replicas,
        selector: { matchLabels: selector },
        strategy: { type: strategy },
        template: { metadata: { labels: meta(svc.name).labels }, spec: pod },
      },
    },
    { ...opts, dependsOn: dependsOn.deployment },
  );
  const s = new k8s.core.v1.Service(
    `${resourceName}-svc`,
    { metadata: meta(svc.name), spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: svc.port, targetPort: "http", protocol: "TCP" }] } },
    { ...opts, dependsOn: dependsOn.service },
  );
  return { deployment: d, service: s };
}
