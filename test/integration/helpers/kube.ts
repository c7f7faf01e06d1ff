import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";

/*
 * A small client for the local test cluster (test/integration/tools/cluster.sh): requests
 * straight to the API server with the kubeconfig's client certificate, API discovery, and
 * server-side apply. kubectl is used where its output is what a user would look at.
 */

/** Where cluster.sh keeps its state (and the kubeconfig). */
export const STATE_DIR = process.env.CLUSTER_STATE_DIR ?? "/tmp/platform-cluster";
/** The kubeconfig cluster.sh writes. */
export const KUBECONFIG = path.join(STATE_DIR, "kubeconfig");
/** Field manager of every apply the integration tests make. */
export const FIELD_MANAGER = "platform-itest";

interface Credentials {
  server: URL;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

let creds: Credentials | undefined;

function credentials(): Credentials {
  if (creds) return creds;
  if (!fs.existsSync(KUBECONFIG)) {
    throw new Error(`no kubeconfig at ${KUBECONFIG}: the local cluster is not running (npm run test:integration starts it; or test/integration/tools/cluster.sh start)`);
  }
  const kc = parse(fs.readFileSync(KUBECONFIG, "utf8")) as Record<string, any>;
  const cluster = kc.clusters[0].cluster;
  const user = kc.users[0].user;
  creds = {
    server: new URL(cluster.server),
    ca: fs.readFileSync(cluster["certificate-authority"]),
    cert: fs.readFileSync(user["client-certificate"]),
    key: fs.readFileSync(user["client-key"]),
  };
  return creds;
}

/** An API response: HTTP status and the parsed JSON body. */
export interface ApiResponse {
  status: number;
  body: Record<string, any>;
}

/** One request to the API server; never throws on HTTP errors (the status says). */
export function api(method: string, urlPath: string, body?: unknown, contentType = "application/json"): Promise<ApiResponse> {
  const c = credentials();
  const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: c.server.hostname,
        port: c.server.port,
        path: urlPath,
        method,
        ca: c.ca,
        cert: c.cert,
        key: c.key,
        headers: { accept: "application/json", ...(data !== undefined ? { "content-type": contentType, "content-length": Buffer.byteLength(data) } : {}) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: Record<string, any>;
          try {
            parsed = text ? (JSON.parse(text) as Record<string, any>) : {};
          } catch {
            parsed = { message: text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
    req.on("error", reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/** What waitUntil and watchUntil throw at their deadline. */
const timedOut = (what: string, timeoutMs: number) => new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);

/**
 * Lists the collection at `collectionPath` and then watches it (bookmarks on, relisting after
 * 410 Gone), keeping every object by namespace/name; `done` is asked after the list and after
 * every event, and the watch ends when it returns true. Throws `what` after `timeoutMs`.
 * One list and one stream instead of polling: a poll of a large collection every 250 ms is
 * load of its own on a small API server.
 */
export async function watchUntil(what: string, collectionPath: string, timeoutMs: number, done: (objects: Map<string, Record<string, any>>) => boolean): Promise<void> {
  const c = credentials();
  const end = Date.now() + timeoutMs;
  const objects = new Map<string, Record<string, any>>();
  const keyOf = (o: Record<string, any>) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;
  for (;;) {
    const list = await api("GET", collectionPath);
    if (list.status !== 200) throw new Error(`list ${collectionPath}: ${list.status} ${list.body.message}`);
    objects.clear();
    for (const o of list.body.items ?? []) objects.set(keyOf(o), o);
    if (done(objects)) return;
    let rv: string = list.body.metadata?.resourceVersion ?? "";
    // Watch until done (true), the deadline (throws), or 410 Gone (false: list again).
    const finished = await new Promise<boolean>((resolve, reject) => {
      const left = end - Date.now();
      if (left <= 0) return reject(timedOut(what, timeoutMs));
      const q = new URLSearchParams({ watch: "1", allowWatchBookmarks: "true", resourceVersion: rv, timeoutSeconds: String(Math.ceil(left / 1000)) });
      const sep = collectionPath.includes("?") ? "&" : "?";
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        f();
      };
      const timer = setTimeout(() => settle(() => reject(timedOut(what, timeoutMs))), left);
      const req = https.request({ host: c.server.hostname, port: c.server.port, path: `${collectionPath}${sep}${q}`, method: "GET", ca: c.ca, cert: c.cert, key: c.key, headers: { accept: "application/json" } }, (res) => {
        if (res.statusCode !== 200) return settle(() => reject(new Error(`watch ${collectionPath}: HTTP ${res.statusCode}`)));
        let buf = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buf += chunk;
          for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: Record<string, any> };
            if (ev.type === "ERROR") return settle(() => (ev.object?.code === 410 ? resolve(false) : reject(new Error(`watch ${collectionPath}: ${ev.object?.message}`))));
            rv = ev.object?.metadata?.resourceVersion ?? rv;
            if (ev.type === "BOOKMARK") continue;
            if (ev.type === "DELETED") objects.delete(keyOf(ev.object));
            else objects.set(keyOf(ev.object), ev.object);
            if (done(objects)) return settle(() => resolve(true));
          }
        });
        // The server closed the stream (its timeout): watch again from the last version.
        res.on("end", () => settle(() => resolve(false)));
      });
      req.on("error", (e) => settle(() => reject(e)));
      req.end();
    });
    if (finished) return;
    if (Date.now() > end) throw timedOut(what, timeoutMs);
  }
}

/** A kind the API server serves. */
export interface ServedKind {
  /** Plural resource name in the URL. */
  plural: string;
  namespaced: boolean;
}

/** Every kind the server serves, keyed `apiVersion/Kind` (`apps/v1/Deployment`, `v1/Pod`). */
export async function discover(): Promise<Map<string, ServedKind>> {
  const kinds = new Map<string, ServedKind>();
  const addGroupVersion = async (gv: string, prefix: string) => {
    const r = await api("GET", `${prefix}/${gv}`);
    if (r.status !== 200) return;
    for (const res of r.body.resources as { name: string; kind: string; namespaced: boolean }[]) {
      if (res.name.includes("/")) continue; // subresources
      kinds.set(`${gv}/${res.kind}`, { plural: res.name, namespaced: res.namespaced });
    }
  };
  await addGroupVersion("v1", "/api");
  const groups = await api("GET", "/apis");
  const gvs = (groups.body.groups as { versions: { groupVersion: string }[] }[]).flatMap((g) => g.versions.map((v) => v.groupVersion));
  await Promise.all(gvs.map((gv) => addGroupVersion(gv, "/apis")));
  return kinds;
}

/** The URL of one object (`name` given) or of its collection. */
export function objectPath(obj: Record<string, any>, kind: ServedKind, name?: string): string {
  const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = kind.namespaced ? `/namespaces/${obj.metadata?.namespace ?? "default"}` : "";
  return `${base}${ns}/${kind.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ""}`;
}

/** Options of {@link serverSideApply}. */
export interface ApplyOptions {
  /** Server-side dry run (`dryRun=All`): validated and admitted, never stored. */
  dryRun: boolean;
}

/**
 * Server-side apply of one object with strict field validation: unknown or duplicate
 * fields are errors, as `kubectl apply --server-side --validate=strict` makes them.
 */
export function serverSideApply(obj: Record<string, any>, kind: ServedKind, opts: ApplyOptions): Promise<ApiResponse> {
  const q = new URLSearchParams({ fieldManager: FIELD_MANAGER, fieldValidation: "Strict", force: "true" });
  if (opts.dryRun) q.set("dryRun", "All");
  return api("PATCH", `${objectPath(obj, kind, obj.metadata.name)}?${q}`, obj, "application/apply-patch+yaml");
}

/** Polls `check` every 250 ms until it returns true; throws `what` after `timeoutMs`. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw timedOut(what, timeoutMs);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Applies CRD manifests for real and waits until the API server serves them (Established). */
export async function installCrds(crds: Record<string, any>[]): Promise<void> {
  const crdKind: ServedKind = { plural: "customresourcedefinitions", namespaced: false };
  for (const crd of crds) {
    const r = await serverSideApply(crd, crdKind, { dryRun: false });
    if (r.status >= 300) throw new Error(`CRD ${crd.metadata.name}: ${r.status} ${r.body.message}`);
  }
  for (const crd of crds) {
    await waitUntil(`CRD ${crd.metadata.name} to be Established`, 30_000, async () => {
      const r = await api("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      return (r.body.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Established" && c.status === "True");
    });
  }
}

/** The documents of YAML files (empty documents dropped). */
export function readManifests(files: string[]): Record<string, any>[] {
  return files.flatMap((f) =>
    fs
      .readFileSync(f, "utf8")
      .split(/^---\s*$/m)
      .map((d) => parse(d) as Record<string, any> | null)
      .filter((d): d is Record<string, any> => d !== null && typeof d === "object"),
  );
}

const run = promisify(execFile);

/** `kubectl <args>` against the local cluster; resolves stdout, rejects with stderr. */
export async function kubectl(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("kubectl", ["--kubeconfig", KUBECONFIG, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(" ")}: ${err.stderr?.trim() || err.message}`, { cause: e });
  }
}

/** `kubectl get -o json` items. */
export async function kubectlItems(...args: string[]): Promise<Record<string, any>[]> {
  return (JSON.parse(await kubectl("get", ...args, "-o", "json")) as { items: Record<string, any>[] }).items;
}
