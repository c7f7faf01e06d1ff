import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { HttpKubeClient, KubeError, kubeconfigConnection, matchesSelector, selectorText } from "../../sandbox-runtime/src/kube";
import { parseKubeconfigYaml } from "../../sandbox-runtime/src/yaml";

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: pki/ca.crt
    server: https://127.0.0.1:6443
  name: local
contexts:
- context:
    cluster: local
    user: admin
  name: local
- context: {cluster: other, user: "token-user"}
  name: flow
- context: {cluster: [nested]}
  name: broken
current-context: local  # a comment
users:
- name: admin
  user:
    client-certificate: pki/admin.crt
    client-key: "pki/admin.key"
- name: token-user
  user:
    token: 'abc''def'
`;

describe("kubeconfig", () => {
  it("parses the block-style YAML kubectl writes", () => {
    const kc = parseKubeconfigYaml(KUBECONFIG.replace("- context: {cluster: [nested]}\n  name: broken\n", "")) as any;
    assert.equal(kc["current-context"], "local");
    assert.equal(kc.clusters[0].cluster.server, "https://127.0.0.1:6443");
    assert.equal(kc.clusters[0].name, "local");
    assert.equal(kc.users[0].user["client-key"], "pki/admin.key");
    assert.equal(kc.users[1].user.token, "abc'def");
    assert.deepEqual(kc.contexts[1], { context: { cluster: "other", user: "token-user" }, name: "flow" });
  });

  it("rejects YAML it does not understand, with the line", () => {
    assert.throws(() => parseKubeconfigYaml(KUBECONFIG), /kubeconfig line 15: unsupported YAML/);
  });

  it("resolves the current context's files relative to the kubeconfig", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "srt-kc-"));
    fs.mkdirSync(path.join(dir, "pki"));
    for (const f of ["ca.crt", "admin.crt", "admin.key"]) fs.writeFileSync(path.join(dir, "pki", f), `${f}\n`);
    fs.writeFileSync(path.join(dir, "config"), KUBECONFIG.replace("- context: {cluster: [nested]}\n  name: broken\n", ""));
    const c = kubeconfigConnection(path.join(dir, "config"));
    assert.equal(c.server.href, "https://127.0.0.1:6443/");
    assert.equal(c.ca?.toString(), "ca.crt\n");
    assert.equal(c.cert?.toString(), "admin.crt\n");
    assert.equal(c.key?.toString(), "admin.key\n");
    assert.equal(c.token, undefined);
  });

  it("reads the kubeconfig test/integration/tools/cluster.sh writes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "srt-kc-"));
    const file = path.join(dir, "kubeconfig");
    fs.writeFileSync(path.join(dir, "ca.crt"), "ca");
    fs.writeFileSync(path.join(dir, "admin.crt"), "crt");
    fs.writeFileSync(path.join(dir, "admin.key"), "key");
    fs.writeFileSync(
      file,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: platform-test\n  cluster:\n    server: https://127.0.0.1:6443\n    certificate-authority: ${dir}/ca.crt\nusers:\n- name: platform-admin\n  user:\n    client-certificate: ${dir}/admin.crt\n    client-key: ${dir}/admin.key\ncontexts:\n- name: platform-test\n  context: {cluster: platform-test, user: platform-admin}\ncurrent-context: platform-test\n`,
    );
    const c = kubeconfigConnection(file);
    assert.deepEqual([c.server.host, c.ca?.toString(), c.cert?.toString(), c.key?.toString()], ["127.0.0.1:6443", "ca", "crt", "key"]);
  });
});

describe("label selectors", () => {
  it("renders equality and set selectors in the API's syntax", () => {
    assert.equal(selectorText({ a: "1", b: ["x", "y"] }), "a=1,b in (x,y)");
  });
  it("matches the same way", () => {
    assert.ok(matchesSelector({ a: "1", b: "y" }, { a: "1", b: ["x", "y"] }));
    assert.ok(!matchesSelector({ a: "1" }, { a: "1", b: ["x"] }));
  });
});

describe("HttpKubeClient", () => {
  it("sends paths, selectors, tokens and merge patches the API server expects, and maps errors", async () => {
    const seen: Array<{ method: string; url: string; auth?: string; type?: string; body: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (d: Buffer) => chunks.push(d));
      req.on("end", () => {
        seen.push({ method: req.method as string, url: req.url as string, auth: req.headers.authorization, type: req.headers["content-type"], body: Buffer.concat(chunks).toString() });
        if (req.url?.includes("/missing")) res.writeHead(404).end(JSON.stringify({ message: "not found", reason: "NotFound" }));
        else if (req.method === "POST") res.writeHead(409).end(JSON.stringify({ message: "already exists", reason: "AlreadyExists" }));
        else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ metadata: { name: "x" }, items: [{ metadata: { name: "i" } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const kube = new HttpKubeClient({ server: new URL(`http://127.0.0.1:${port}`), token: () => "tkn" });
    try {
      assert.equal(await kube.get("pods", "ns", "missing"), undefined);
      assert.deepEqual(await kube.list("secrets", "ns", { a: "1", b: ["x", "y"] }), [{ metadata: { name: "i" } }]);
      await assert.rejects(kube.create("ingresses", "ns", { metadata: { name: "n" } }), (e: unknown) => e instanceof KubeError && e.status === 409);
      await kube.patch("leases", "ns", "l", { spec: {} });
      assert.equal(await kube.delete("pods", "ns", "missing"), false);
      assert.equal(seen[0].url, "/api/v1/namespaces/ns/pods/missing");
      const listed = new URL(seen[1].url, "http://x");
      assert.equal(listed.pathname, "/api/v1/namespaces/ns/secrets");
      assert.equal(listed.searchParams.get("labelSelector"), "a=1,b in (x,y)");
      assert.equal(seen[2].url, "/apis/networking.k8s.io/v1/namespaces/ns/ingresses");
      assert.equal(seen[3].url, "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l");
      assert.equal(seen[3].type, "application/merge-patch+json");
      assert.equal(JSON.parse(seen[4].body).propagationPolicy, "Background");
      assert.ok(seen.every((s) => s.auth === "Bearer tkn"));
    } finally {
      kube.close();
      server.close();
    }
  });
});
