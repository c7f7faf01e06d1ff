import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { parse } from "yaml";

/* Reads the server version through a kubeconfig the way kubectl would, without kubectl. */

interface KubeconfigFile {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: { name: string; cluster: { server: string; "certificate-authority-data"?: string; "certificate-authority"?: string; "insecure-skip-tls-verify"?: boolean } }[];
  users?: {
    name: string;
    user: {
      token?: string;
      "client-certificate-data"?: string;
      "client-key-data"?: string;
      "client-certificate"?: string;
      "client-key"?: string;
      exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] | null };
    };
  }[];
}

/** How to reach the API server selected by a kubeconfig and context. */
export interface ApiEndpoint {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecure: boolean;
  exec?: { command: string; args: string[]; env: Record<string, string> };
}

const b64 = (s: string) => Buffer.from(s, "base64");

type KubeconfigCluster = NonNullable<KubeconfigFile["clusters"]>[number]["cluster"];
type KubeconfigUser = NonNullable<KubeconfigFile["users"]>[number]["user"];

/** The cluster and user `context` (default: current-context) selects. */
function selectContext(kubeconfig: string, context?: string): { cluster: KubeconfigCluster; user: KubeconfigUser } {
  const kc = parse(kubeconfig) as KubeconfigFile;
  const ctxName = context ?? kc["current-context"];
  if (!ctxName) throw new Error("the kubeconfig has no current-context and no context was given (Cluster args.settings.existing.context)");
  const ctx = kc.contexts?.find((c) => c.name === ctxName);
  if (!ctx) throw new Error(`context "${ctxName}" is not in the kubeconfig; it has: ${(kc.contexts ?? []).map((c) => c.name).join(", ") || "none"}`);
  const cluster = kc.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
  if (!cluster) throw new Error(`context "${ctxName}" names cluster "${ctx.context.cluster}", which the kubeconfig does not define`);
  return { cluster, user: kc.users?.find((u) => u.name === ctx.context.user)?.user ?? {} };
}

/**
 * Host and port of the API server `context` selects, from its `server` URL (port 443 when
 * the URL names none, as on EKS, GKE and AKS endpoints; IPv6 literals without brackets).
 */
export function serverAddress(kubeconfig: string, context?: string): { host: string; port: number } {
  const { server } = selectContext(kubeconfig, context).cluster;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new Error(`the kubeconfig's server ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error(`the kubeconfig's server ${JSON.stringify(server)} is not an http(s) URL`);
  return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80 };
}

/** Resolves the endpoint and credentials for `context` (default: current-context). */
export function resolveEndpoint(kubeconfig: string, context?: string): ApiEndpoint {
  const { cluster, user } = selectContext(kubeconfig, context);
  return {
    server: cluster.server,
    ca: cluster["certificate-authority-data"] ? b64(cluster["certificate-authority-data"]) : cluster["certificate-authority"] ? fs.readFileSync(cluster["certificate-authority"]) : undefined,
    cert: user["client-certificate-data"] ? b64(user["client-certificate-data"]) : user["client-certificate"] ? fs.readFileSync(user["client-certificate"]) : undefined,
    key: user["client-key-data"] ? b64(user["client-key-data"]) : user["client-key"] ? fs.readFileSync(user["client-key"]) : undefined,
    token: user.token,
    insecure: cluster["insecure-skip-tls-verify"] === true,
    exec: user.exec
      ? { command: user.exec.command, args: user.exec.args ?? [], env: Object.fromEntries((user.exec.env ?? []).map((e) => [e.name, e.value])) }
      : undefined,
  };
}

async function execCredential(exec: NonNullable<ApiEndpoint["exec"]>): Promise<{ token?: string; cert?: Buffer; key?: Buffer }> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(exec.command, exec.args, { env: { ...process.env, ...exec.env }, timeout: 30_000 }, (err, out) => (err ? reject(err) : resolve(out)));
  });
  const status = (JSON.parse(stdout) as { status?: { token?: string; clientCertificateData?: string; clientKeyData?: string } }).status ?? {};
  return {
    token: status.token,
    cert: status.clientCertificateData ? Buffer.from(status.clientCertificateData) : undefined,
    key: status.clientKeyData ? Buffer.from(status.clientKeyData) : undefined,
  };
}

/** GETs `/version` and returns `gitVersion` (e.g. `v1.35.1`). */
export async function fetchServerVersion(kubeconfig: string, context?: string, timeoutMs = 15_000): Promise<string> {
  const ep = resolveEndpoint(kubeconfig, context);
  const creds = ep.exec ? await execCredential(ep.exec) : {};
  const url = new URL("/version", ep.server);
  const token = creds.token ?? ep.token;
  const headers: Record<string, string> = { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const body = await new Promise<string>((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (data += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(data) : reject(new Error(`GET ${url.href} answered ${res.statusCode}: ${data.slice(0, 200)}`))));
    };
    const req =
      url.protocol === "https:"
        ? https.request(url, { headers, ca: ep.ca, cert: creds.cert ?? ep.cert, key: creds.key ?? ep.key, rejectUnauthorized: !ep.insecure, timeout: timeoutMs }, onResponse)
        : http.request(url, { headers, timeout: timeoutMs }, onResponse);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
  const version = (JSON.parse(body) as { gitVersion?: string }).gitVersion;
  if (!version) throw new Error(`GET ${url.href} returned no gitVersion`);
  return version;
}
