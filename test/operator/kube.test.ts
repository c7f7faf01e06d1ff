import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { HttpMethod, KubeConfig, RequestContext } from "../../operator/node_modules/@kubernetes/client-node";
import { kubeFleetApi, PooledKubeConfig, type Caches } from "../../operator/src/kube";

/*
 * PooledKubeConfig: every request the clients authenticate goes through one undici Agent
 * (one TLS context, reused keep-alive connections) instead of a new Agent per request.
 * kubeFleetApi.get: a kind the API server does not serve is not asked about on every pass.
 */

const b64 = (s: string) => Buffer.from(s).toString("base64");
const KUBECONFIG = `
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: { server: "https://127.0.0.1:6443", certificate-authority-data: "${b64("ca")}" }
users:
- name: admin
  user: { token: "t0ken", client-certificate-data: "${b64("cert")}", client-key-data: "${b64("key")}" }
contexts:
- name: local
  context: { cluster: local, user: admin }
current-context: local
`;

async function authenticate(kc: KubeConfig, n: number): Promise<RequestContext[]> {
  const out: RequestContext[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = new RequestContext(`https://127.0.0.1:6443/api/v1/pods?i=${i}`, HttpMethod.GET);
    await kc.applySecurityAuthentication(ctx);
    out.push(ctx);
  }
  return out;
}

describe("PooledKubeConfig", () => {
  it("hands every request the same dispatcher", async () => {
    const kc = new PooledKubeConfig();
    kc.loadFromString(KUBECONFIG);
    const contexts = await authenticate(kc, 5);
    const first = contexts[0].getDispatcher();
    assert.ok(first, "a dispatcher carrying the client certificate");
    for (const c of contexts) assert.equal(c.getDispatcher(), first);
  });

  it("still authenticates each request (the bearer token header is set every time)", async () => {
    const kc = new PooledKubeConfig();
    kc.loadFromString(KUBECONFIG);
    for (const c of await authenticate(kc, 3)) assert.equal(c.getHeaders().Authorization, "Bearer t0ken");
  });

  it("is needed: the client's own KubeConfig makes a new dispatcher per request", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(KUBECONFIG);
    const [a, b] = await authenticate(kc, 2);
    assert.notEqual(a.getDispatcher(), b.getDispatcher());
  });
});

describe("kubeFleetApi.get", () => {
  it("remembers a kind the server does not serve, but asks again for a missing object of a served kind", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url!.split("?")[0]);
      const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.url === "/apis/apps/v1") json(200, { kind: "APIResourceList", groupVersion: "apps/v1", resources: [{ name: "statefulsets", kind: "StatefulSet", namespaced: true }] });
      else json(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: "the server could not find the requested resource" });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const kc = new PooledKubeConfig();
      const port = (server.address() as AddressInfo).port;
      kc.loadFromString(KUBECONFIG.replace("https://127.0.0.1:6443", `http://127.0.0.1:${port}`).replace(/certificate-authority-data: "[^"]*"/, "insecure-skip-tls-verify: true"));
      const api = kubeFleetApi(kc, {} as Caches, "test");
      const scaledObject = { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", namespace: "ollama", name: "coder" };
      const statefulSet = { apiVersion: "apps/v1", kind: "StatefulSet", namespace: "ollama", name: "coder" };
      for (let i = 0; i < 3; i++) {
        assert.equal(await api.get(scaledObject), undefined);
        assert.equal(await api.get(statefulSet), undefined);
      }
      assert.equal(seen.filter((u) => u === "/apis/keda.sh/v1alpha1").length, 1, "one discovery request for the unserved kind");
      assert.equal(seen.filter((u) => u === "/apis/apps/v1/namespaces/ollama/statefulsets/coder").length, 3, "every look at a served kind reaches the server");
    } finally {
      server.close();
    }
  });
});
