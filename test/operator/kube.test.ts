import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { type Connection, inClusterConnection, kubeconfigConnection } from "../../operator/src/client/connection";
import { KubeClient } from "../../operator/src/client/http";
import { Informer } from "../../operator/src/client/informer";
import { ApiError } from "../../operator/src/errors";
import { type Caches, kubeFleetApi, microTime } from "../../operator/src/kube";

/*
 * The operator's API client (operator/src/client) and the FleetApi over it: one keep-alive
 * pool, authentication per request, API errors as ApiError, kubeconfig resolution, the
 * informer's list/watch/relist, and discovery that does not ask about an unserved kind on
 * every pass.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;
const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => void res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
const notFound = (res: ServerResponse) => json(res, 404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "the server could not find the requested resource" });

/** A local HTTP API server; returns a client of it, the sockets it saw, and a stop function. */
async function serve(handler: Handler, token = "t0ken"): Promise<{ client: KubeClient; sockets: () => number; close: () => Promise<void> }> {
  let sockets = 0;
  const server = createServer(handler);
  server.on("connection", () => sockets++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const connection: Connection = { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: false, authorize: async () => ({ authorization: `Bearer ${token}` }), describe: "test" };
  const client = new KubeClient(connection);
  return {
    client,
    sockets: () => sockets,
    close: async () => {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe("KubeClient", () => {
  it("sends every request over one kept-alive connection, authenticated each time", async () => {
    const auth: (string | undefined)[] = [];
    const s = await serve((req, res) => {
      auth.push(req.headers.authorization);
      json(res, 200, { kind: "Pod", metadata: { name: req.url } });
    });
    try {
      for (let i = 0; i < 5; i++) assert.equal((await s.client.request<{ metadata: { name: string } }>("GET", `/api/v1/namespaces/x/pods/p${i}`)).metadata.name, `/api/v1/namespaces/x/pods/p${i}`);
      assert.equal(s.sockets(), 1);
      assert.deepEqual(auth, Array(5).fill("Bearer t0ken"));
    } finally {
      await s.close();
    }
  });

  it("turns a Status answer into an ApiError with its code, reason, message and Retry-After", async () => {
    const s = await serve((_req, res) => json(res, 429, { kind: "Status", code: 429, reason: "TooManyRequests", message: "slow down" }, { "retry-after": "3" }));
    try {
      await assert.rejects(s.client.request("GET", "/api/v1/pods"), (e: unknown) => {
        assert.ok(e instanceof ApiError);
        assert.deepEqual([e.code, e.reason, e.message, e.retryAfterSeconds], [429, "TooManyRequests", "slow down", 3]);
        return true;
      });
    } finally {
      await s.close();
    }
  });
});

describe("KubeClient bounds", () => {
  /** `p`, or a failure after `ms`: a request that is not bounded fails the test (and lets it clean up) instead of hanging it. */
  const within = <T>(ms: number, p: Promise<T>) =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new assert.AssertionError({ message: `still pending after ${ms} ms` })), ms))]);
  /** A server that accepts requests and never answers (or, with `drip`, sends headers and a byte at a time); records when the client gave up. */
  const hanging = (drip: boolean, closed: number[]) =>
    serve((_req, res) => {
      res.on("close", () => closed.push(performance.now()));
      if (!drip) return;
      res.writeHead(200, { "content-type": "application/json" });
      const t = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(t));
    });

  for (const drip of [false, true]) {
    it(`ends a request ${drip ? "whose body never ends (a byte at a time)" : "the server never answers"} after timeoutMs, with a retryable ETIMEDOUT, closing the connection`, { timeout: 5_000 }, async () => {
      const closed: number[] = [];
      const s = await hanging(drip, closed);
      try {
        const t0 = performance.now();
        await assert.rejects(within(1_000, s.client.request("PUT", "/apis/coordination.k8s.io/v1/namespaces/x/leases/l", { body: {}, timeoutMs: 200 })), (e: Error & { code?: string }) => {
          assert.equal(e.code, "ETIMEDOUT");
          assert.match(e.message, /ETIMEDOUT: PUT \/apis\/coordination.k8s.io\/v1\/namespaces\/x\/leases\/l took over 200 ms/);
          return true;
        });
        const took = performance.now() - t0;
        assert.ok(took >= 190 && took < 500, `took ${Math.round(took)} ms`);
        const deadline = performance.now() + 500;
        while (closed.length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        assert.equal(closed.length, 1, "the server saw the connection closed");
      } finally {
        await s.close();
      }
    });
  }

  it("ends a request at once when its signal aborts, with the signal's reason, and sends nothing once aborted", { timeout: 5_000 }, async () => {
    const closed: number[] = [];
    let seen = 0;
    const s = await serve((_req, res) => {
      seen++;
      res.on("close", () => closed.push(performance.now()));
    });
    try {
      const c = new AbortController();
      const pending = s.client.request("PATCH", "/api/v1/namespaces/x/services/s", { body: {}, signal: c.signal });
      await new Promise((r) => setTimeout(r, 50));
      const why = new Error("workers stopped");
      c.abort(why);
      await assert.rejects(within(500, pending), (e) => e === why);
      await assert.rejects(within(500, s.client.request("GET", "/api/v1/namespaces/x/services/s", { signal: c.signal })), (e) => e === why);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(seen, 1, "the second request was not sent");
      assert.equal(closed.length, 1);
    } finally {
      await s.close();
    }
  });

  it("bounds authentication too (an exec credential plugin that hangs)", { timeout: 5_000 }, async () => {
    const s = await serve((_req, res) => json(res, 200, {}));
    try {
      const stuck = new KubeClient({ ...s.client.connection, authorize: () => new Promise(() => {}) });
      await assert.rejects(within(1_000, stuck.request("GET", "/api/v1/pods", { timeoutMs: 100 })), /ETIMEDOUT/);
    } finally {
      await s.close();
    }
  });
});

describe("kubeconfigConnection", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
  fs.writeFileSync(path.join(dir, "ca.crt"), "CA");
  fs.writeFileSync(path.join(dir, "admin.crt"), "CERT");
  fs.writeFileSync(path.join(dir, "admin.key"), "KEY");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, user: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: { server: "https://127.0.0.1:6443/", certificate-authority: ca.crt }
users:
- name: admin
  user: ${user}
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
`,
    );
    return file;
  };

  it("reads the current context's files relative to the kubeconfig, as kubectl does", async () => {
    const c = kubeconfigConnection([write("certs.yaml", "{ client-certificate: admin.crt, client-key: admin.key }")]);
    assert.equal(c.server, "https://127.0.0.1:6443");
    assert.deepEqual([c.ca?.toString(), c.cert?.toString(), c.key?.toString()], ["CA", "CERT", "KEY"]);
    assert.deepEqual(await c.authorize(), { authorization: undefined });
  });

  it("sends a static token as a bearer token", async () => {
    const c = kubeconfigConnection([write("token.yaml", "{ token: abc }")]);
    assert.deepEqual(await c.authorize(), { authorization: "Bearer abc" });
  });

  it("in a pod, uses the service account's token and CA", async () => {
    const sa = fs.mkdtempSync(path.join(dir, "sa-"));
    fs.writeFileSync(path.join(sa, "token"), "sa-token\n");
    fs.writeFileSync(path.join(sa, "ca.crt"), "POD-CA");
    const c = inClusterConnection({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, sa)!;
    assert.equal(c.server, "https://10.96.0.1:443");
    assert.equal(c.ca?.toString(), "POD-CA");
    assert.deepEqual(await c.authorize(), { authorization: "Bearer sa-token" });
    assert.equal(inClusterConnection({}, sa), undefined, "outside a pod: none");
  });

  it("refuses an auth-provider user, naming it and what to use instead", () => {
    assert.throws(() => kubeconfigConnection([write("oidc.yaml", "{ auth-provider: { name: oidc } }")]), /user admin: auth-provider "oidc" is not supported; use an exec credential plugin/);
  });
});

describe("Informer", () => {
  const pod = (name: string, rv: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "x", resourceVersion: rv, managedFields: [{ manager: "kubelet" }] } });

  it("lists, follows the watch, and on 410 Gone lists again, reporting what changed meanwhile", async () => {
    const queries: string[] = [];
    let lists = 0;
    const s = await serve((req, res) => {
      const url = new URL(req.url!, "http://x");
      queries.push(`${url.searchParams.get("watch") ? "watch" : "list"} rv=${url.searchParams.get("resourceVersion") ?? ""} ${url.searchParams.get("labelSelector")}`);
      if (!url.searchParams.get("watch")) {
        lists++;
        return json(res, 200, { metadata: { resourceVersion: lists === 1 ? "10" : "30" }, items: lists === 1 ? [pod("a", "5"), pod("b", "6")] : [pod("a", "25")] });
      }
      if (url.searchParams.get("resourceVersion") === "10") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write(`${JSON.stringify({ type: "MODIFIED", object: pod("b", "12") })}\n`);
        res.end(`${JSON.stringify({ type: "BOOKMARK", object: { kind: "Pod", metadata: { resourceVersion: "15" } } })}\n`);
        return;
      }
      if (url.searchParams.get("resourceVersion") === "15") return json(res, 410, { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 15 (20)" });
      res.writeHead(200, { "content-type": "application/json" }); // the last watch stays open
      return undefined;
    });
    const informer = new Informer(s.client, "/api/v1/namespaces/x/pods", "app=a");
    const seen: string[] = [];
    informer.on("add", (o) => seen.push(`add ${o.metadata!.name}@${o.metadata!.resourceVersion}`));
    informer.on("update", (o) => seen.push(`update ${o.metadata!.name}@${o.metadata!.resourceVersion}`));
    informer.on("delete", (o) => seen.push(`delete ${o.metadata!.name}`));
    informer.on("error", (e) => seen.push(`error ${(e as Error).message}`));
    try {
      await informer.start();
      const deadline = Date.now() + 5_000;
      while (!queries.includes("watch rv=30 app=a") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(queries, ["list rv= app=a", "watch rv=10 app=a", "watch rv=15 app=a", "list rv= app=a", "watch rv=30 app=a"]);
      assert.deepEqual(seen, ["add a@5", "add b@6", "update b@12", "update a@25", "delete b"]);
      assert.deepEqual(
        informer.list("x").map((o) => o.metadata!.name),
        ["a"],
      );
      assert.equal(informer.get("a", "x")?.metadata?.managedFields, undefined, "the cache drops managedFields");
    } finally {
      await informer.stop();
      await s.close();
    }
  });

  it("stops with an error its owner can restart on, when the watch is refused", async () => {
    const s = await serve((req, res) => (req.url!.includes("watch=true") ? json(res, 403, { kind: "Status", code: 403, reason: "Forbidden", message: "no" }) : json(res, 200, { metadata: { resourceVersion: "1" }, items: [] })));
    const informer = new Informer(s.client, "/api/v1/pods");
    try {
      const error = new Promise<unknown>((r) => informer.on("error", r));
      await informer.start();
      const e = await error;
      assert.ok(e instanceof ApiError && e.code === 403);
    } finally {
      await informer.stop();
      await s.close();
    }
  });
});

describe("kubeFleetApi", () => {
  it("remembers a kind the server does not serve, but asks again for a missing object of a served kind", async () => {
    const seen: string[] = [];
    const s = await serve((req, res) => {
      seen.push(req.url!.split("?")[0]);
      if (req.url === "/apis/apps/v1") json(res, 200, { kind: "APIResourceList", groupVersion: "apps/v1", resources: [{ name: "statefulsets", kind: "StatefulSet", namespaced: true }] });
      else notFound(res);
    });
    try {
      const api = kubeFleetApi(s.client, {} as Caches, "test");
      const scaledObject = { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", namespace: "ollama", name: "coder" };
      const statefulSet = { apiVersion: "apps/v1", kind: "StatefulSet", namespace: "ollama", name: "coder" };
      for (let i = 0; i < 3; i++) {
        assert.equal(await api.get(scaledObject), undefined);
        assert.equal(await api.get(statefulSet), undefined);
      }
      assert.equal(seen.filter((u) => u === "/apis/keda.sh/v1alpha1").length, 1, "one discovery request for the unserved kind");
      assert.equal(seen.filter((u) => u === "/apis/apps/v1").length, 1, "one discovery request for a served group");
      assert.equal(seen.filter((u) => u === "/apis/apps/v1/namespaces/ollama/statefulsets/coder").length, 3, "every look at a served kind reaches the server");
      await assert.rejects(api.apply({ ...scaledObject, metadata: { name: "coder", namespace: "ollama" } }), (e: unknown) => e instanceof ApiError && e.code === 404, "applying an unserved kind is a 404 (ScalingUnavailable)");
      assert.equal(seen.filter((u) => u === "/apis/keda.sh/v1alpha1").length, 2, "an apply asks again: KEDA may have been installed since");
    } finally {
      await s.close();
    }
  });

  it("applies children by server-side apply under the operator's field manager", async () => {
    const calls: string[] = [];
    const s = await serve((req, res) => {
      if (req.url === "/api/v1") return json(res, 200, { resources: [{ name: "services", kind: "Service", namespaced: true }, { name: "services/status", kind: "Service", namespaced: true }] });
      calls.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      return json(res, 200, {});
    });
    try {
      await kubeFleetApi(s.client, {} as Caches, "test").apply({ apiVersion: "v1", kind: "Service", metadata: { name: "coder", namespace: "ollama" } });
      assert.deepEqual(calls, ["PATCH /api/v1/namespaces/ollama/services/coder?fieldManager=ollama-fleet-operator&force=true application/apply-patch+yaml"]);
    } finally {
      await s.close();
    }
  });
});

describe("microTime", () => {
  it("writes RFC 3339 with microseconds, as Events and Leases take it", () => {
    assert.equal(microTime(new Date("2026-05-01T12:00:00.123Z")), "2026-05-01T12:00:00.123000Z");
  });
});
