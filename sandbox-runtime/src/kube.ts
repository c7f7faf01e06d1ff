import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parseKubeconfigYaml } from "./yaml";

/*
 * A small Kubernetes client on node:https: the seven kinds this service touches, JSON only,
 * keep-alive, in-cluster credentials (service-account token re-read every minute, as bound
 * tokens rotate, and the CA) or a kubeconfig (client certificate and key, token, or CA data).
 * @kubernetes/client-node would add ~120 MiB of resident memory at load (bench/sandbox-runtime.ts
 * measures both); this is the part of it we need.
 */

/** The object kinds the service reads and writes. */
export type Kind = "secrets" | "persistentvolumeclaims" | "pods" | "services" | "ingresses" | "events" | "leases";

const API_PREFIX: Record<Kind, string> = {
  secrets: "/api/v1",
  persistentvolumeclaims: "/api/v1",
  pods: "/api/v1",
  services: "/api/v1",
  events: "/api/v1",
  ingresses: "/apis/networking.k8s.io/v1",
  leases: "/apis/coordination.k8s.io/v1",
};

/** A Kubernetes object, loosely typed: what we build and read is checked by the tests. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
    [k: string]: unknown;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [k: string]: any;
}

/** Equality (`k: v`) or set membership (`k: [a, b]`) on labels. */
export type LabelSelector = Record<string, string | string[]>;

/** Renders a selector in the API's syntax. */
export function selectorText(s: LabelSelector): string {
  return Object.entries(s)
    .map(([k, v]) => (Array.isArray(v) ? `${k} in (${v.join(",")})` : `${k}=${v}`))
    .join(",");
}

/** True when `labels` satisfy `s`. */
export function matchesSelector(labels: Record<string, string> | undefined, s: LabelSelector): boolean {
  return Object.entries(s).every(([k, v]) => (Array.isArray(v) ? v.includes(labels?.[k] ?? "\0") : labels?.[k] === v));
}

/** An API error with its HTTP status (404 absent, 409 conflict or already exists). */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** What the service needs from Kubernetes; the tests use an in-memory implementation. */
export interface KubeClient {
  get(kind: Kind, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(kind: Kind, namespace: string, selector: LabelSelector): Promise<KubeObject[]>;
  /** Throws KubeError 409 when the name is taken. */
  create(kind: Kind, namespace: string, obj: KubeObject): Promise<KubeObject>;
  /** A full update; with metadata.resourceVersion set, throws KubeError 409 when it is stale. */
  replace(kind: Kind, namespace: string, obj: KubeObject): Promise<KubeObject>;
  /** A JSON merge patch. */
  patch(kind: Kind, namespace: string, name: string, patch: unknown): Promise<KubeObject>;
  /** False when there was nothing to delete. Dependents are garbage-collected in the background. */
  delete(kind: Kind, namespace: string, name: string): Promise<boolean>;
}

/** Where and how to reach the API server. */
export interface Connection {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: () => string | undefined;
  insecureSkipTlsVerify?: boolean;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** In-cluster credentials, when running in a pod. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SA_DIR): Connection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host || !fs.existsSync(path.join(dir, "token"))) return undefined;
  let cached: { token: string; at: number } | undefined;
  const token = () => {
    if (!cached || Date.now() - cached.at > 60_000) cached = { token: fs.readFileSync(path.join(dir, "token"), "utf8").trim(), at: Date.now() };
    return cached.token;
  };
  const h = host.includes(":") ? `[${host}]` : host;
  return { server: new URL(`https://${h}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`), ca: fs.readFileSync(path.join(dir, "ca.crt")), token };
}

/** The current context of a kubeconfig file (YAML or JSON). */
export function kubeconfigConnection(file: string): Connection {
  const text = fs.readFileSync(file, "utf8");
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const kc: any = text.trimStart().startsWith("{") ? JSON.parse(text) : parseKubeconfigYaml(text);
  const base = path.dirname(file);
  const byName = (list: unknown, name: string | undefined, what: string) => {
    const items = Array.isArray(list) ? list : [];
    const hit = (name === undefined ? items[0] : items.find((i: { name?: string }) => i.name === name)) as Record<string, unknown> | undefined;
    if (!hit) throw new Error(`${file}: no ${what} ${name ?? "(first)"}`);
    return hit;
  };
  const ctx = byName(kc.contexts, kc["current-context"] || undefined, "context").context as Record<string, string>;
  const cluster = byName(kc.clusters, ctx?.cluster, "cluster").cluster as Record<string, string>;
  const user = (byName(kc.users, ctx?.user, "user").user ?? {}) as Record<string, string>;
  const read = (dataKey: string, fileKey: string, from: Record<string, string>) => {
    if (from[dataKey]) return Buffer.from(from[dataKey], "base64");
    if (from[fileKey]) return fs.readFileSync(path.resolve(base, from[fileKey]));
    return undefined;
  };
  const tokenFile = user.tokenFile ? path.resolve(base, user.tokenFile) : undefined;
  return {
    server: new URL(cluster.server),
    ca: read("certificate-authority-data", "certificate-authority", cluster),
    cert: read("client-certificate-data", "client-certificate", user),
    key: read("client-key-data", "client-key", user),
    token: user.token ? () => user.token : tokenFile ? () => fs.readFileSync(tokenFile, "utf8").trim() : undefined,
    insecureSkipTlsVerify: String(cluster["insecure-skip-tls-verify"]) === "true",
  };
}

/** In-cluster credentials, else $KUBECONFIG (its first file), else ~/.kube/config. */
export function defaultConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  const inCluster = inClusterConnection(env);
  if (inCluster) return inCluster;
  const file = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter)[0] : path.join(os.homedir(), ".kube", "config");
  if (!fs.existsSync(file)) throw new Error(`no Kubernetes credentials: not in a pod and no kubeconfig at ${file}`);
  return kubeconfigConnection(file);
}

/** The KubeClient over HTTP(S). */
export class HttpKubeClient implements KubeClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly conn: Connection,
    private readonly timeoutMs = 15_000,
  ) {
    this.agent =
      conn.server.protocol === "https:"
        ? new https.Agent({ keepAlive: true, maxSockets: 32, ca: conn.ca, cert: conn.cert, key: conn.key, rejectUnauthorized: !conn.insecureSkipTlsVerify })
        : new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  private path(kind: Kind, namespace: string, name?: string, query?: Record<string, string>): string {
    const q = query ? `?${new URLSearchParams(query).toString()}` : "";
    return `${API_PREFIX[kind]}/namespaces/${encodeURIComponent(namespace)}/${kind}${name ? `/${encodeURIComponent(name)}` : ""}${q}`;
  }

  /** One request; resolves with status and parsed body. */
  request(method: string, urlPath: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; body: KubeObject & { items?: KubeObject[]; message?: string; reason?: string } }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const token = this.conn.token?.();
    const mod = this.conn.server.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        {
          hostname: this.conn.server.hostname.replace(/^\[|\]$/g, ""),
          port: this.conn.server.port || (this.conn.server.protocol === "https:" ? 443 : 80),
          path: `${this.conn.server.pathname.replace(/\/$/, "")}${urlPath}`,
          method,
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: {
            accept: "application/json",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(data !== undefined ? { "content-type": contentType, "content-length": Buffer.byteLength(data) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d: Buffer) => chunks.push(d));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed;
            try {
              parsed = text ? JSON.parse(text) : {};
            } catch {
              parsed = { message: text.slice(0, 500) };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${this.timeoutMs} ms`)));
      req.on("error", reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  private async call(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<KubeObject & { items?: KubeObject[] }> {
    const r = await this.request(method, urlPath, body, contentType);
    if (r.status >= 300) throw new KubeError(r.status, `${method} ${urlPath.split("?")[0]}: ${r.status} ${r.body.message ?? ""}`.trim(), r.body.reason);
    return r.body;
  }

  async get(kind: Kind, namespace: string, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.call("GET", this.path(kind, namespace, name));
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list(kind: Kind, namespace: string, selector: LabelSelector): Promise<KubeObject[]> {
    const body = await this.call("GET", this.path(kind, namespace, undefined, { labelSelector: selectorText(selector) }));
    return body.items ?? [];
  }

  create(kind: Kind, namespace: string, obj: KubeObject): Promise<KubeObject> {
    return this.call("POST", this.path(kind, namespace), obj);
  }

  replace(kind: Kind, namespace: string, obj: KubeObject): Promise<KubeObject> {
    return this.call("PUT", this.path(kind, namespace, obj.metadata.name), obj);
  }

  patch(kind: Kind, namespace: string, name: string, patch: unknown): Promise<KubeObject> {
    return this.call("PATCH", this.path(kind, namespace, name), patch, "application/merge-patch+json");
  }

  async delete(kind: Kind, namespace: string, name: string): Promise<boolean> {
    try {
      await this.call("DELETE", this.path(kind, namespace, name), { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" });
      return true;
    } catch (e) {
      if (e instanceof KubeError && e.status === 404) return false;
      throw e;
    }
  }

  /** Closes idle keep-alive sockets (shutdown). */
  close(): void {
    this.agent.destroy();
  }
}
