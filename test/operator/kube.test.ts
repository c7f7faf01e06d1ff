import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HttpMethod, KubeConfig, RequestContext } from "../../operator/node_modules/@kubernetes/client-node";
import { PooledKubeConfig } from "../../operator/src/kube";

/*
 * PooledKubeConfig: every request the clients authenticate goes through one undici Agent
 * (one TLS context, reused keep-alive connections) instead of a new Agent per request.
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
