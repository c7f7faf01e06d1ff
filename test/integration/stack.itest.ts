import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOT } from "../helpers/program";
import { contourCrdFile, kyvernoPolicyCrdFile, ownCrdFiles } from "./helpers/crds";
import { api, KUBECONFIG, kubectlItems, readManifests, waitUntil } from "./helpers/kube";
import { tail, TestStack } from "./helpers/pulumi";

/*
 * Item 2: `pulumi up` of test/integration/stack against the local cluster, a second `up`
 * with no changes, the policy pack at preview with and without a violating Pod, and a
 * destroy that leaves nothing behind. The tests run in order and share the stack.
 */

const NAMESPACES = ["itest-apps", "ollama-system", "ollama", "openhands", "openhands-sandboxes"];
const POLICY_ARGS = ["--policy-pack", path.join(ROOT, "policies"), "--policy-pack-config", path.join(ROOT, "policies", "config", "prod.json")];
const kyvernoCrd = kyvernoPolicyCrdFile() ?? "";
// Contour's CRDs from its Go module (the proxy serves it): the sandbox certificate's delegation needs one.
const contourCrd = contourCrdFile();
const timings: string[] = [];

const notFound = async (p: string) => (await api("GET", p)).status === 404;
const conditionTrue = (o: Record<string, any>, type: string) => (o.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === type && c.status === "True");

describe("the integration stack on the local cluster", () => {
  let stack: TestStack;
  let destroyed = false;

  before(async () => {
    assert.ok(contourCrd, "github.com/projectcontour/contour (CONTOUR_VERSION in tools/versions.env) could not be downloaded through the Go module proxy");
    // Objects of an earlier run (or of the dry-run tests) must be gone first.
    for (const ns of NAMESPACES) await waitUntil(`namespace ${ns} from an earlier run to be gone`, 120_000, () => notFound(`/api/v1/namespaces/${ns}`));
    stack = new TestStack({ kubeconfig: KUBECONFIG, kyvernoCrd, contourCrd: contourCrd!, violation: false });
    await stack.init();
    if (kyvernoCrd === "") console.log("no Kyverno Go module in the module cache: the stack deploys no ValidatingPolicies (build-tools.sh kyverno downloads it)");
  });

  after(async () => {
    if (!destroyed && stack) {
      stack.configure({ kubeconfig: KUBECONFIG, kyvernoCrd, contourCrd: contourCrd!, violation: false });
      await stack.run(["destroy", "--yes", "--skip-preview"]);
    }
    // Helm never deletes the CRDs of a chart's crds/ directory (by design): remove ours.
    for (const crd of readManifests(ownCrdFiles())) await api("DELETE", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    stack?.dispose();
    console.log(`pulumi timings: ${timings.join(", ")}`);
  });

  it("deploys with pulumi up", async () => {
    const r = await stack.run(["up", "--yes", "--skip-preview"]);
    timings.push(`up ${r.seconds.toFixed(1)}s`);
    assert.equal(r.code, 0, tail(r));
  });

  it("leaves every namespace Active with its Pod Security level", async () => {
    const items = await kubectlItems("namespaces", "-l", "app.kubernetes.io/part-of=agent-platform");
    const byName = new Map(items.map((n) => [n.metadata.name as string, n]));
    for (const ns of NAMESPACES) {
      assert.equal(byName.get(ns)?.status?.phase, "Active", ns);
      assert.ok(byName.get(ns)?.metadata.labels["pod-security.kubernetes.io/enforce"], `${ns} has no Pod Security level`);
    }
    assert.equal(byName.get("itest-apps")!.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("installs the operator chart from its local path, its CRD Established and its Deployments Available", async () => {
    const crds = readManifests(ownCrdFiles());
    assert.ok(crds.length > 0, "operator/chart/crds holds no CRD");
    for (const crd of crds) {
      const r = await api("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
      assert.ok(conditionTrue(r.body, "Established"), `${crd.metadata.name} not Established`);
    }
    const releases = await kubectlItems("secrets", "-n", "ollama-system", "-l", "owner=helm,name=ollama-fleet-operator,status=deployed");
    assert.equal(releases.length, 1, "no deployed Helm release ollama-fleet-operator");
    const deployments = await kubectlItems("deployments", "-n", "ollama-system");
    if (fs.existsSync(path.join(ROOT, "operator", "chart", "templates", "deployment.yaml"))) assert.ok(deployments.length > 0, "the chart's Deployment is missing");
    for (const d of deployments) {
      assert.ok(conditionTrue(d, "Available"), `deployment ${d.metadata.name} not Available`);
    }
  });

  it("runs the workload: its pods Running and Ready on kwok nodes", async () => {
    await waitUntil("itest-web pods Ready", 60_000, async () => {
      const pods = await kubectlItems("pods", "-n", "itest-apps", "-l", "app.kubernetes.io/name=itest-web");
      return pods.length === 2 && pods.every((p) => p.status?.phase === "Running" && conditionTrue(p, "Ready"));
    });
  });

  it("creates the OpenHands sandbox contract: RBAC, NetworkPolicies, quota and limits", async () => {
    const ns = "openhands-sandboxes";
    const [roles, bindings, policies, quotas, limits] = await Promise.all(
      ["roles", "rolebindings", "networkpolicies", "resourcequotas", "limitranges"].map((k) => kubectlItems(k, "-n", ns)),
    );
    assert.ok(roles.some((r) => r.metadata.name === "openhands-sandbox-runtime"), "sandbox Role missing");
    assert.ok(bindings.some((b) => b.subjects?.some((s: { name: string }) => s.name === "openhands-sandbox-runtime")), "RoleBinding to the runtime ServiceAccount missing");
    assert.ok(policies.some((p) => p.metadata.name === "default-deny"), `NetworkPolicies: ${policies.map((p) => p.metadata.name).join(", ")}`);
    assert.equal(quotas.length, 1);
    assert.equal(limits.length, 1);
    const cm = await kubectlItems("configmaps", "-n", "openhands", "--field-selector", "metadata.name=openhands-sandbox-contract");
    assert.equal(cm.length, 1, "sandbox contract ConfigMap missing");
  });

  it("keeps the sandbox wildcard key out of the sandbox namespace: a TLSCertificateDelegation the API server accepts, to that namespace only", async () => {
    const d = await api("GET", "/apis/projectcontour.io/v1/namespaces/openhands/tlscertificatedelegations/sandbox-tls");
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.deepEqual(d.body.spec.delegations, [{ secretName: "sandbox-wildcard-tls", targetNamespaces: ["openhands-sandboxes"] }]);
    const secrets = await kubectlItems("secrets", "-n", "openhands-sandboxes");
    assert.deepEqual(secrets.map((x) => x.metadata.name), [], "the sandbox namespace holds Secrets before any session");
    const runtime = await kubectlItems("configmaps", "-n", "openhands", "--field-selector", "metadata.name=openhands-sandbox-runtime");
    const file = JSON.parse(runtime[0].data["config.json"]);
    assert.equal(file.ingress.annotations["projectcontour.io/tls-cert-namespace"], "openhands");
    assert.equal(file.ingress.tlsSecretName, "sandbox-wildcard-tls");
  });

  it("runs the agent platform: its three Deployments Available under Pod Security restricted, the gateway's Ingress at openhands.<domain>", async () => {
    const ns = await api("GET", "/api/v1/namespaces/openhands");
    assert.equal(ns.body.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const deployments = await kubectlItems("deployments", "-n", "openhands");
    for (const name of ["openhands-app", "openhands-sandbox-runtime", "openhands-gateway"]) {
      const d = deployments.find((x) => x.metadata.name === name);
      assert.ok(d, `deployment ${name} missing`);
      assert.ok(conditionTrue(d, "Available"), `deployment ${name} not Available`);
    }
    // Admitted by the API server's Pod Security admission at restricted: the pods exist and run.
    const pods = await kubectlItems("pods", "-n", "openhands");
    for (const name of ["openhands-app", "openhands-sandbox-runtime", "openhands-gateway"]) {
      assert.ok(pods.some((p) => p.metadata.labels?.["app.kubernetes.io/name"] === name && p.status?.phase === "Running"), `no Running pod of ${name}`);
    }
    const ingress = await api("GET", "/apis/networking.k8s.io/v1/namespaces/openhands/ingresses/openhands");
    assert.equal(ingress.status, 200);
    assert.equal(ingress.body.spec.rules[0].host, "openhands.agents.localtest.me");
  });

  it("creates the platform's ValidatingPolicies on Kyverno's CRD (when its module is present)", async (t) => {
    if (kyvernoCrd === "") return t.skip("Kyverno's Go module is not in the module cache");
    const policies = await kubectlItems("validatingpolicies.policies.kyverno.io");
    assert.deepEqual(policies.map((p) => p.metadata.name).sort(), ["disallow-latest-tag", "disallow-privileged", "pvc-storage-quota", "require-gpu-limits", "require-requests-limits", "require-runtime-class"]);
  });

  it("reports no changes on a second pulumi up", async () => {
    const r = await stack.run(["up", "--yes", "--skip-preview", "--expect-no-changes"]);
    timings.push(`second up ${r.seconds.toFixed(1)}s`);
    assert.equal(r.code, 0, tail(r));
  });

  it("passes the policy pack at preview", async () => {
    const r = await stack.run(["preview", ...POLICY_ARGS]);
    timings.push(`preview with policies ${r.seconds.toFixed(1)}s`);
    assert.equal(r.code, 0, tail(r));
  });

  it("fails the policy pack at preview with a :latest image, naming disallow-latest-tag", async () => {
    stack.configure({ kubeconfig: KUBECONFIG, kyvernoCrd, contourCrd: contourCrd!, violation: true });
    try {
      const r = await stack.run(["preview", ...POLICY_ARGS]);
      timings.push(`violating preview ${r.seconds.toFixed(1)}s`);
      assert.notEqual(r.code, 0, tail(r));
      const out = `${r.stdout}\n${r.stderr}`;
      assert.match(out, /\[mandatory\]\s+disallow-latest-tag\s+\(kubernetes:core\/v1:Pod: itest-latest-tag\)/, tail(r));
      assert.match(out, /unpinned image: web uses nginxinc\/nginx-unprivileged:latest/, tail(r));
    } finally {
      stack.configure({ kubeconfig: KUBECONFIG, kyvernoCrd, contourCrd: contourCrd!, violation: false });
    }
  });

  it("leaves nothing behind after pulumi destroy (but the CRDs Helm keeps by design)", async () => {
    const r = await stack.run(["destroy", "--yes", "--skip-preview"]);
    timings.push(`destroy ${r.seconds.toFixed(1)}s`);
    assert.equal(r.code, 0, tail(r));
    destroyed = true;
    for (const ns of NAMESPACES) await waitUntil(`namespace ${ns} to be deleted`, 120_000, () => notFound(`/api/v1/namespaces/${ns}`));
    assert.deepEqual(await kubectlItems("namespaces", "-l", "app.kubernetes.io/part-of=agent-platform"), []);
    if (kyvernoCrd !== "") assert.ok(await notFound("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/validatingpolicies.policies.kyverno.io"), "Kyverno's CRD is still there");
    const left = (await kubectlItems("customresourcedefinitions")).map((c) => c.metadata.name as string).sort();
    assert.deepEqual(left, readManifests(ownCrdFiles()).map((c) => c.metadata.name as string).sort(), "only the chart's crds/ may stay (Helm never deletes them)");
  });
});
