import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SandboxIdentity } from "../../sandbox-runtime/src/desired";
import { adopt, maintainPools } from "../../sandbox-runtime/src/pool";
import { appStartBody, harness, READY } from "./fixtures";

/*
 * The platform's settings: the app calls each sandbox on its in-cluster Service, and the
 * route check goes to the same Service. The gateway rewrites the in-cluster URL to
 * `https://<runtime id without openhands-runtime->.<domain>` for browsers, which the Ingress
 * serves for adopted warm sandboxes too.
 */
const PLATFORM = { namespace: "openhands-sandboxes", urlTemplate: "http://{runtimeId}-svc.{namespace}.svc.cluster.local:60000", probe: { via: "service" } };
const SESSION = { id: "AbCdEfGhIjKlMnOpQrStUv", part: "abcdefghijklmnopqrstuv" };

describe("sandbox URLs with the in-cluster template", () => {
  const cases: Array<[string, SandboxIdentity, string, string]> = [
    [
      "a sandbox named after its session",
      { base: "openhands-runtime-abcdefghijklmnopqrstuv", session: SESSION, specHash: "h" },
      "http://openhands-runtime-abcdefghijklmnopqrstuv-svc.openhands-sandboxes.svc.cluster.local:60000",
      "http://openhands-runtime-abcdefghijklmnopqrstuv-svc.openhands-sandboxes.svc:60000/ready",
    ],
    [
      "an adopted warm sandbox",
      { base: "openhands-runtime-warm-0123456789", session: SESSION, pool: "default", specHash: "h" },
      "http://openhands-runtime-warm-0123456789-svc.openhands-sandboxes.svc.cluster.local:60000",
      "http://openhands-runtime-warm-0123456789-svc.openhands-sandboxes.svc:60000/ready",
    ],
  ];
  for (const [what, id, url, readyUrl] of cases) {
    it(`gives ${what} its Service's URL without a trailing slash, and probes the same Service`, () => {
      const { sandboxes } = harness(PLATFORM);
      assert.equal(sandboxes.urlFor(id), url);
      assert.equal(sandboxes.readyUrlFor(id), readyUrl);
    });
  }

  it("answers an adopting /start with the warm Service's URL and derived hosts, and probes that Service", async () => {
    const template = appStartBody();
    delete template.session_id;
    const h = harness({ ...PLATFORM, warmPools: [{ name: "default", size: 1, template }] });
    await maintainPools(h.sandboxes);
    const [pod] = h.kube.all("pods");
    h.kube.setPodStatus("openhands-sandboxes", pod.metadata.name, READY);
    const r = await h.sandboxes.start(appStartBody(SESSION.id), (s, sid) => adopt(h.sandboxes, s, sid));
    const svc = `${r.runtime_id}-svc.openhands-sandboxes.svc.cluster.local:60000`;
    assert.match(r.runtime_id, /^openhands-runtime-warm-[0-9a-f]{10}$/);
    assert.equal(r.url, `http://${svc}`);
    assert.deepEqual(r.work_hosts, { [`http://work-1-${svc}`]: 12000, [`http://work-2-${svc}`]: 12001 });
    assert.equal(r.vscode_url, `http://vscode-${svc}/?tkn=${r.session_api_key}&folder=%2Fworkspace%2Fproject`);
    assert.deepEqual(h.probed, [`http://${r.runtime_id}-svc.openhands-sandboxes.svc:60000/ready`]);
    assert.equal(r.status, "running");
  });
});
