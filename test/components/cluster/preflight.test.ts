import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fetchServerVersion, resolveEndpoint } from "../../../components/cluster/preflight";
import { fixtureKubeconfig } from "../../helpers/program";

describe("reading the server version through a kubeconfig", () => {
  let server: http.Server;
  let url = "";
  const seen: (string | undefined)[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (req.url === "/version") res.end(JSON.stringify({ gitVersion: "v1.34.2" }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it("GETs /version with the context's token", async () => {
    assert.equal(await fetchServerVersion(fixtureKubeconfig(url, "ctx"), "ctx"), "v1.34.2");
    assert.equal(seen.at(-1), "Bearer fixture-token");
  });

  it("uses current-context when no context is configured", async () => {
    assert.equal(await fetchServerVersion(fixtureKubeconfig(url, "ctx")), "v1.34.2");
  });

  it("names the contexts a kubeconfig has when the configured one is missing", () => {
    assert.throws(() => resolveEndpoint(fixtureKubeconfig(url, "ctx"), "prod"), /context "prod" is not in the kubeconfig; it has: ctx/);
  });

  it("fails with the address when nothing answers", async () => {
    await assert.rejects(fetchServerVersion(fixtureKubeconfig("http://127.0.0.1:9", "ctx"), "ctx", 2000), /ECONNREFUSED|no answer/);
  });
});
