import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExecAuth } from "@kubernetes/client-node/dist/exec_auth.js";
import { type Cluster, newClusters, newContexts, newUsers, type User } from "@kubernetes/client-node/dist/config_types.js";
import { load as loadYaml } from "js-yaml";

/*
 * Where the API server is and who the operator is to it, resolved the way
 * @kubernetes/client-node's KubeConfig.loadFromDefault does: $KUBECONFIG (paths joined with
 * ':', merged), else ~/.kube/config, else the pod's service account. Parsing the kubeconfig
 * and running exec credential plugins reuse the client's own modules (config_types.js,
 * exec_auth.js), deep-imported: its KubeConfig class cannot be, because config.js imports the
 * whole generated client (every API group and model, about 80 MiB resident) for
 * `createConfiguration`, which the operator does not use.
 */

/** The service account's files in a pod. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** How to reach and authenticate to the API server. */
export interface Connection {
  /** Base URL, e.g. https://10.96.0.1:443. */
  readonly server: string;
  /** PEM of the CA that signed the serving certificate. Defaults to the system roots. */
  readonly ca?: Buffer;
  /** Client certificate and key (PEM). Defaults to none. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Skip verifying the serving certificate. Defaults to false. */
  readonly skipTLSVerify: boolean;
  /** SNI and verification name. Defaults to the server's host. */
  readonly tlsServerName?: string;
  /** Headers to add to the next request (bearer token, basic auth, or none), asked per request. */
  authorize(): Promise<{ authorization?: string; cert?: string; key?: string }>;
  /** What the log may show: server and user, never a secret. */
  readonly describe: string;
}

const readIf = (file: string | undefined) => (file ? fs.readFileSync(file) : undefined);
const fromB64 = (data: string | undefined) => (data ? Buffer.from(data, "base64") : undefined);

/** A bearer token read from a file, re-read at most once a minute (projected tokens rotate). */
function tokenFile(file: string): () => string {
  let token = "";
  let readAt = 0;
  return () => {
    if (Date.now() - readAt > 60_000) {
      token = fs.readFileSync(file, "utf8").trim();
      readAt = Date.now();
    }
    return token;
  };
}

/** The pod's service account, when the process runs in a pod. */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): Connection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !fs.existsSync(path.join(dir, "token"))) return undefined;
  const token = tokenFile(path.join(dir, "token"));
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    server,
    ca: readIf(path.join(dir, "ca.crt")),
    skipTLSVerify: false,
    authorize: async () => ({ authorization: `Bearer ${token()}` }),
    describe: `${server} (service account)`,
  };
}

/** The current context of one or more kubeconfig files (the first to set it wins, as kubectl merges). */
export function kubeconfigConnection(files: readonly string[]): Connection {
  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: ReturnType<typeof newContexts> = [];
  let current: string | undefined;
  for (const file of files) {
    const doc = (loadYaml(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    const dir = path.dirname(path.resolve(file));
    const abs = (p: string | undefined) => (p && !path.isAbsolute(p) ? path.join(dir, p) : p);
    for (const c of newClusters(doc.clusters ?? [])) if (!clusters.some((x) => x.name === c.name)) clusters.push({ ...c, caFile: abs(c.caFile) });
    for (const u of newUsers(doc.users ?? [])) if (!users.some((x) => x.name === u.name)) users.push({ ...u, certFile: abs(u.certFile), keyFile: abs(u.keyFile) });
    for (const c of newContexts(doc.contexts ?? [])) if (!contexts.some((x) => x.name === c.name)) contexts.push(c);
    current ??= typeof doc["current-context"] === "string" && doc["current-context"] !== "" ? doc["current-context"] : undefined;
  }
  const context = contexts.find((c) => c.name === current);
  if (!context) throw new Error(`kubeconfig ${files.join(":")}: current-context ${JSON.stringify(current ?? "")} is not one of its contexts`);
  const cluster = clusters.find((c) => c.name === context.cluster);
  if (!cluster) throw new Error(`kubeconfig ${files.join(":")}: context ${context.name} names cluster ${JSON.stringify(context.cluster)}, which it does not define`);
  const user = users.find((u) => u.name === context.user);
  if (user?.authProvider) throw new Error(`kubeconfig user ${user.name}: auth-provider ${JSON.stringify(user.authProvider.name)} is not supported; use an exec credential plugin`);
  if (cluster.proxyUrl) throw new Error(`kubeconfig cluster ${cluster.name}: proxy-url is not supported`);
  const exec = user?.exec ? new ExecAuth() : undefined;
  const token = user?.token;
  const basic = user?.username ? `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}` : undefined;
  return {
    server: cluster.server.replace(/\/+$/, ""),
    ca: fromB64(cluster.caData) ?? readIf(cluster.caFile),
    cert: fromB64(user?.certData) ?? readIf(user?.certFile),
    key: fromB64(user?.keyData) ?? readIf(user?.keyFile),
    skipTLSVerify: cluster.skipTLSVerify,
    tlsServerName: cluster.tlsServerName,
    authorize: async () => {
      if (exec && user) {
        const opts: { headers?: Record<string, string>; cert?: string; key?: string } = {};
        await exec.applyAuthentication(user, opts as never);
        return { authorization: opts.headers?.Authorization, cert: opts.cert, key: opts.key };
      }
      // config_types.js has read `token-file` into token already.
      return { authorization: token ? `Bearer ${token.trim()}` : basic };
    },
    describe: `${cluster.server} (kubeconfig context ${context.name})`,
  };
}

/** The connection `loadFromDefault` would make: $KUBECONFIG, ~/.kube/config, the service account. */
export function defaultConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  const files = (env.KUBECONFIG ?? "").split(path.delimiter).filter((f) => f !== "" && fs.existsSync(f));
  if (files.length > 0) return kubeconfigConnection(files);
  const home = path.join(env.HOME ?? os.homedir(), ".kube", "config");
  if (fs.existsSync(home)) return kubeconfigConnection([home]);
  const pod = inClusterConnection(env);
  if (pod) return pod;
  throw new Error("no Kubernetes credentials: set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account token");
}
