import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { api } from "./kube";

/*
 * The platform's sandbox network on loopback, for tests that run the sandbox server, the
 * runtime service and the gateway as local processes while the sandbox URLs stay the ones
 * the platform uses (components/openhands/workloads.ts, agent-gateway/README.md "Sandbox
 * URLs"):
 *
 * - `serviceResolver`: cluster DNS and kube-proxy for sandbox Services. A host
 *   `<svc>.<ns>.svc[.cluster.local]` is looked up as the Service `<svc>` in the API; its
 *   selector names the pod (by `openhands.ai/runtime-id`), its port the target port, and the
 *   pod's stand-in process (helpers/sandbox-runtime.ts `PodStandIn`) answers for the agent
 *   server's port 60000.
 * - `ForwardProxy`: what the cluster network is to a client process: an HTTP forward proxy
 *   (absolute-URI requests, WebSocket upgrades with an absolute URI, CONNECT tunnels) that a
 *   process gets through HTTP_PROXY (httpx honours it; Node only with NODE_USE_ENV_PROXY=1,
 *   and then fetch tunnels with CONNECT while http.request sends absolute URIs).
 * - `IngressStandIn`: the Ingress controller: TLS on one port with a self-signed
 *   `*.<domain>` certificate, routing by Host through the Ingress objects the runtime
 *   service created (rule host -> backend Service -> the resolver), HTTP and WebSocket.
 *   Chromium reaches it with `--host-resolver-rules=MAP *.<domain> 127.0.0.1:<port>`.
 *
 * Every request is kept in `records` and logged as a JSON line, so a test can assert which
 * host a client dialled and where it went. No key material is written outside the test's
 * own directory.
 */

/** A local address a cluster address is served at. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Maps host:port as a client in the cluster would dial it to a local endpoint, or says why it cannot. */
export type Resolve = (host: string, port: number) => Promise<{ endpoint: Endpoint; via: string } | { refused: string }>;

/** The agent server's port in a sandbox pod (sandbox-runtime's AGENT_PORT). */
export const AGENT_SERVER_PORT = 60000;

/** `<service>.<namespace>.svc` or `<service>.<namespace>.svc.cluster.local` -> its parts. */
export function parseServiceHost(host: string): { service: string; namespace: string } | undefined {
  const m = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.cluster\.local)?\.?$/.exec(host.toLowerCase());
  return m ? { service: m[1], namespace: m[2] } : undefined;
}

/**
 * Cluster DNS plus kube-proxy for the Services of `namespace`, served by the stand-in
 * processes: `portOf(podName)` is the local port of the agent server of that pod.
 */
export function serviceResolver(namespace: string, portOf: (pod: string) => number | undefined): Resolve {
  return async (host, port) => {
    const s = parseServiceHost(host);
    if (!s) return { refused: `${host} is not a Service host name (<svc>.<ns>.svc[.cluster.local])` };
    if (s.namespace !== namespace) return { refused: `${host}: namespace ${s.namespace} is not the sandbox namespace ${namespace}` };
    const r = await api("GET", `/api/v1/namespaces/${namespace}/services/${s.service}`);
    if (r.status !== 200) return { refused: `${host}: no Service ${namespace}/${s.service} (${r.status})` };
    const pod = r.body.spec?.selector?.["openhands.ai/runtime-id"];
    if (!pod) return { refused: `${host}: Service ${s.service} selects no sandbox pod` };
    const p = (r.body.spec.ports ?? []).find((x: { port: number }) => x.port === port);
    if (!p) return { refused: `${host}: Service ${s.service} has no port ${port}` };
    const target = Number(p.targetPort ?? p.port);
    if (target !== AGENT_SERVER_PORT) return { refused: `${host}:${port}: target port ${target} is not served by the pod stand-in (only the agent server's ${AGENT_SERVER_PORT})` };
    const local = portOf(pod);
    if (local === undefined) return { refused: `${host}: no agent-server process for pod ${pod} (not Running yet?)` };
    return { endpoint: { host: "127.0.0.1", port: local }, via: `Service ${s.service} -> pod ${pod}` };
  };
}

/** Environment that sends a process's plain-HTTP calls through `proxyUrl`, loopback direct. */
export function proxyEnv(proxyUrl: string, opts: { node?: boolean } = {}): Record<string, string> {
  const noProxy = "127.0.0.1,localhost";
  return {
    HTTP_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
    // Node's fetch and http.request ignore HTTP_PROXY unless this is set (Node >= 24: fetch
    // through undici's EnvHttpProxyAgent, http.request's global agent since 24.5).
    ...(opts.node ? { NODE_USE_ENV_PROXY: "1" } : {}),
  };
}

/** One request a proxy or the Ingress stand-in handled. */
export interface NetRecord {
  at: string;
  /** `http` (absolute URI or, at the Ingress, origin form), `upgrade` (WebSocket), `connect` (tunnel). */
  kind: "http" | "upgrade" | "connect";
  method: string;
  /** The host the client asked for (no port). */
  host: string;
  port: number;
  /** Path and query, without `session_api_key` values; "" for CONNECT. */
  path: string;
  /** The upstream's status (101 for a switched WebSocket, 200 for an open tunnel), or 502. */
  status: number;
  /** Where it went, or why not. */
  via?: string;
  refused?: string;
  userAgent?: string;
}

const redact = (p: string) => p.replace(/(session_api_key=)[^&]+/gi, "$1***");
const HOP = ["proxy-connection", "proxy-authorization", "keep-alive"];

class Recorder {
  readonly records: NetRecord[] = [];
  constructor(readonly logFile: string) {}
  add(r: Omit<NetRecord, "at">): NetRecord {
    const rec = { at: new Date().toISOString(), ...r };
    this.records.push(rec);
    fs.appendFileSync(this.logFile, `${JSON.stringify(rec)}\n`);
    return rec;
  }
}

/** `fn` at most once. */
function once<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
  let called = false;
  return (...a: A) => {
    if (called) return;
    called = true;
    fn(...a);
  };
}

/** Sends `req` to `to` with `headers` (the client's Host kept) and reports the answer's status once. */
function relay(req: http.IncomingMessage, res: http.ServerResponse, to: Endpoint, upstreamPath: string, headers: http.OutgoingHttpHeaders, report: (status: number, error?: string) => void): void {
  const done = once(report);
  const up = http.request({ host: to.host, port: to.port, path: upstreamPath, method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
    done(r.statusCode ?? 502);
  });
  up.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(`upstream error: ${e.message}\n`);
    done(502, e.message);
  });
  req.pipe(up);
}

/** Replays an upgrade request on a raw connection to `to` and splices the two sockets. */
function splice(req: http.IncomingMessage, socket: net.Socket, head: Buffer, to: Endpoint, upstreamPath: string, headers: Record<string, string | string[] | undefined>, report: (status: number, error?: string) => void): void {
  const done = once(report);
  const up = net.connect(to.port, to.host, () => {
    const lines = [`${req.method} ${upstreamPath} HTTP/1.1`];
    for (const [k, v] of Object.entries(headers)) if (v !== undefined) lines.push(`${k}: ${Array.isArray(v) ? v.join(", ") : v}`);
    up.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) up.write(head);
    // The status line of the answer, for the record (101 when the WebSocket switched).
    up.once("data", (d: Buffer) => done(Number(/^HTTP\/1\.[01] (\d{3})/.exec(d.toString("latin1"))?.[1] ?? 0)));
    up.pipe(socket).pipe(up);
  });
  up.on("error", (e) => {
    done(502, e.message);
    socket.destroy();
  });
  socket.on("error", () => up.destroy());
}

/** Keeps `srv`'s open sockets, so close() can end tunnels (which closeAllConnections does not see). */
function trackSockets(srv: net.Server): Set<net.Socket> {
  const open = new Set<net.Socket>();
  srv.on("connection", (s: net.Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  srv.on("secureConnection", (s: net.Socket) => {
    open.add(s);
    s.on("close", () => open.delete(s));
  });
  return open;
}

async function closeServer(srv: http.Server | undefined, open: Set<net.Socket>): Promise<void> {
  if (!srv) return;
  for (const s of open) s.destroy();
  srv.closeAllConnections();
  await new Promise<void>((r) => srv.close(() => r()));
}

/** An HTTP forward proxy in front of `resolve` (see the file comment). */
export class ForwardProxy {
  private readonly rec: Recorder;
  private server?: http.Server;
  private open = new Set<net.Socket>();
  port = 0;

  constructor(
    readonly name: string,
    private readonly resolve: Resolve,
    logFile: string,
  ) {
    this.rec = new Recorder(logFile);
  }

  get records(): NetRecord[] {
    return this.rec.records;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const srv = http.createServer((req, res) => void this.onRequest(req, res));
    srv.on("upgrade", (req, socket, head) => void this.onUpgrade(req, socket as net.Socket, head));
    srv.on("connect", (req, socket, head) => void this.onConnect(req, socket as net.Socket, head));
    this.open = trackSockets(srv);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    this.server = srv;
    this.port = (srv.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return closeServer(this.server, this.open);
  }

  private target(req: http.IncomingMessage): URL | undefined {
    try {
      const u = new URL(req.url ?? "");
      return u.protocol === "http:" || u.protocol === "ws:" ? u : undefined;
    } catch {
      return undefined;
    }
  }

  private headersFor(req: http.IncomingMessage): Record<string, string | string[] | undefined> {
    const h: Record<string, string | string[] | undefined> = { ...req.headers };
    for (const k of HOP) delete h[k];
    return h;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = this.target(req);
    const ua = req.headers["user-agent"];
    if (!u) {
      this.rec.add({ kind: "http", method: req.method ?? "", host: "", port: 0, path: redact(req.url ?? ""), status: 400, refused: "not an absolute http:// URI", userAgent: ua });
      res.writeHead(400, { "content-type": "text/plain" }).end("a forward proxy takes absolute http:// URIs\n");
      return;
    }
    const port = Number(u.port || 80);
    const to = await this.resolve(u.hostname, port).catch((e: Error) => ({ refused: e.message }));
    const base = { kind: "http" as const, method: req.method ?? "", host: u.hostname, port, path: redact(u.pathname + u.search), userAgent: ua };
    if ("refused" in to) {
      this.rec.add({ ...base, status: 502, refused: to.refused });
      res.writeHead(502, { "content-type": "text/plain" }).end(`${this.name} proxy: ${to.refused}\n`);
      return;
    }
    relay(req, res, to.endpoint, u.pathname + u.search, this.headersFor(req), (status, error) => this.rec.add({ ...base, status, via: to.via, ...(error ? { refused: error } : {}) }));
  }

  private async onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const u = this.target(req);
    const base = { kind: "upgrade" as const, method: req.method ?? "", host: u?.hostname ?? "", port: Number(u?.port || 80), path: redact(u ? u.pathname + u.search : (req.url ?? "")), userAgent: req.headers["user-agent"] };
    const to = u ? await this.resolve(u.hostname, base.port).catch((e: Error) => ({ refused: e.message })) : { refused: "not an absolute http:// URI" };
    if ("refused" in to) {
      this.rec.add({ ...base, status: 502, refused: to.refused });
      socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    splice(req, socket, head, to.endpoint, (u as URL).pathname + (u as URL).search, this.headersFor(req), (status, error) => this.rec.add({ ...base, status, via: to.via, ...(error ? { refused: error } : {}) }));
  }

  private async onConnect(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? "");
    const base = { kind: "connect" as const, method: "CONNECT", host: m?.[1] ?? "", port: Number(m?.[2] ?? 0), path: "", userAgent: req.headers["user-agent"] };
    const to = m ? await this.resolve(base.host, base.port).catch((e: Error) => ({ refused: e.message })) : { refused: `not host:port: ${req.url}` };
    if ("refused" in to) {
      this.rec.add({ ...base, status: 502, refused: to.refused });
      socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const up = net.connect(to.endpoint.port, to.endpoint.host, () => {
      this.rec.add({ ...base, status: 200, via: to.via });
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) up.write(head);
      up.pipe(socket).pipe(up);
    });
    up.on("error", (e) => {
      this.rec.add({ ...base, status: 502, via: to.via, refused: e.message });
      socket.destroy();
    });
    socket.on("error", () => up.destroy());
  }
}

/** A self-signed certificate for `*.<domain>` and `<domain>` (openssl, EC P-256, one day), in `dir`. */
export function selfSignedCert(dir: string, domain: string): { key: Buffer; cert: Buffer; certFile: string } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, "tls.key");
  const certFile = path.join(dir, "tls.crt");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", `/CN=*.${domain}`, "-addext", `subjectAltName=DNS:*.${domain},DNS:${domain}`],
    { stdio: "pipe", timeout: 30_000 },
  );
  fs.chmodSync(keyFile, 0o600);
  return { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile), certFile };
}

/** Whether `openssl` runs here. */
export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "pipe", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** The Ingress controller's part for the sandbox namespace (see the file comment). */
export class IngressStandIn {
  private readonly rec: Recorder;
  private server?: https.Server;
  private open = new Set<net.Socket>();
  port = 0;

  constructor(
    readonly namespace: string,
    private readonly resolve: Resolve,
    private readonly tls: { key: Buffer; cert: Buffer },
    logFile: string,
  ) {
    this.rec = new Recorder(logFile);
  }

  get records(): NetRecord[] {
    return this.rec.records;
  }

  async start(): Promise<void> {
    const srv = https.createServer({ key: this.tls.key, cert: this.tls.cert }, (req, res) => void this.onRequest(req, res));
    srv.on("upgrade", (req, socket, head) => void this.onUpgrade(req, socket as net.Socket, head));
    this.open = trackSockets(srv);
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    this.server = srv;
    this.port = (srv.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return closeServer(this.server, this.open);
  }

  /** The Ingress rule for `host` and `urlPath` (Prefix paths, longest first), resolved to a stand-in. */
  async route(host: string, urlPath: string): Promise<{ endpoint: Endpoint; via: string } | { refused: string }> {
    const r = await api("GET", `/apis/networking.k8s.io/v1/namespaces/${this.namespace}/ingresses`);
    if (r.status !== 200) return { refused: `listing Ingresses: ${r.status}` };
    for (const ing of r.body.items ?? []) {
      for (const rule of ing.spec?.rules ?? []) {
        if (rule.host !== host) continue;
        const tls = (ing.spec.tls ?? []).find((t: { hosts?: string[] }) => t.hosts?.includes(host));
        if (!tls) return { refused: `Ingress ${ing.metadata.name} serves ${host} without TLS` };
        const paths = [...(rule.http?.paths ?? [])].sort((a: { path?: string }, b: { path?: string }) => (b.path ?? "/").length - (a.path ?? "/").length);
        const p = paths.find((x: { path?: string }) => urlPath.startsWith(x.path ?? "/"));
        const svc = p?.backend?.service;
        if (!svc?.name || !svc.port?.number) return { refused: `Ingress ${ing.metadata.name}: no Service backend for ${host}${urlPath}` };
        const to = await this.resolve(`${svc.name}.${this.namespace}.svc.cluster.local`, svc.port.number);
        return "refused" in to ? to : { endpoint: to.endpoint, via: `Ingress ${ing.metadata.name} -> ${to.via}` };
      }
    }
    return { refused: `no Ingress rule for host ${host}` };
  }

  private hostOf(req: http.IncomingMessage): string {
    return (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  }

  private headersFor(req: http.IncomingMessage): Record<string, string | string[] | undefined> {
    return { ...req.headers, "x-forwarded-proto": "https", "x-forwarded-for": req.socket.remoteAddress ?? "127.0.0.1" };
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const host = this.hostOf(req);
    const p = req.url ?? "/";
    const base = { kind: "http" as const, method: req.method ?? "", host, port: 443, path: redact(p), userAgent: req.headers["user-agent"] };
    const to = await this.route(host, p).catch((e: Error) => ({ refused: e.message }));
    if ("refused" in to) {
      this.rec.add({ ...base, status: 502, refused: to.refused });
      res.writeHead(502, { "content-type": "text/plain" }).end(`ingress: ${to.refused}\n`);
      return;
    }
    relay(req, res, to.endpoint, p, this.headersFor(req), (status, error) => this.rec.add({ ...base, status, via: to.via, ...(error ? { refused: error } : {}) }));
  }

  private async onUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): Promise<void> {
    const host = this.hostOf(req);
    const p = req.url ?? "/";
    const base = { kind: "upgrade" as const, method: req.method ?? "", host, port: 443, path: redact(p), userAgent: req.headers["user-agent"] };
    const to = await this.route(host, p).catch((e: Error) => ({ refused: e.message }));
    if ("refused" in to) {
      this.rec.add({ ...base, status: 502, refused: to.refused });
      socket.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    splice(req, socket, head, to.endpoint, p, this.headersFor(req), (status, error) => this.rec.add({ ...base, status, via: to.via, ...(error ? { refused: error } : {}) }));
  }
}
