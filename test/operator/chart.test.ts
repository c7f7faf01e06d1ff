import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { validateObject } from "../helpers/validate";
import { helm } from "./helm";

const CHART = join(__dirname, "../../operator/chart");

/** The chart's objects rendered with `--set` values (CRDs included). */
function render(...set: string[]): Record<string, any>[] {
  const out = helm(["template", "ofo", CHART, "--namespace", "ollama-system", "--include-crds", ...set.flatMap((s) => ["--set", s])]);
  return parseAllDocuments(out)
    .map((d) => d.toJS())
    .filter((o) => o);
}
const find = (objs: Record<string, any>[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
const typeOf = (o: Record<string, any>) => `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`;

describe("the ollama-fleet-operator chart", () => {
  it("passes helm lint", () => {
    assert.match(helm(["lint", CHART]), /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("renders the CRD with its CEL rules, and objects the Kubernetes schemas accept", async () => {
    const objs = render("serviceMonitor.enabled=true");
    const crd = find(objs, "CustomResourceDefinition", "ollamafleets.openhands.ai")[0];
    assert.ok(crd);
    const rules = JSON.stringify(crd.spec.versions[0].schema.openAPIV3Schema);
    assert.match(rules, /self\.minReplicas <= self\.maxReplicas/);
    assert.match(rules, /isQuantity\(self\)/);
    assert.match(rules, /!self\.endsWith\(':latest'\)/);
    for (const o of objs) assert.deepEqual(await validateObject(typeOf(o), o), [], `${o.kind} ${o.metadata.name}`);
    assert.deepEqual(objs.map((o) => o.kind).sort(), ["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Deployment", "Role", "RoleBinding", "Service", "ServiceAccount", "ServiceMonitor"]);
  });

  it("grants least privilege: no wildcards, no secrets, leases only in its namespace", () => {
    const objs = render();
    for (const role of [...find(objs, "ClusterRole"), ...find(objs, "Role")]) {
      for (const r of role.rules) {
        for (const field of ["apiGroups", "resources", "verbs"]) assert.ok(!r[field].includes("*"), `${role.metadata.name}: ${field} has *`);
        assert.ok(!r.resources.includes("secrets"), role.metadata.name);
      }
    }
    const cluster = find(objs, "ClusterRole")[0].rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    const verbs = (group: string, resource: string) => cluster.filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource)).flatMap((r) => r.verbs).sort();
    assert.deepEqual(verbs("openhands.ai", "ollamafleets"), ["get", "list", "watch"]);
    assert.deepEqual(verbs("openhands.ai", "ollamafleets/status"), ["patch", "update"]);
    for (const [g, r] of [["apps", "statefulsets"], ["", "services"], ["policy", "poddisruptionbudgets"], ["keda.sh", "scaledobjects"], ["http.keda.sh", "httpscaledobjects"]]) {
      assert.deepEqual(verbs(g, r), ["create", "delete", "get", "list", "patch", "watch"], r);
    }
    assert.deepEqual(verbs("", "pods"), ["get", "list", "watch"]);
    assert.ok(!cluster.some((r) => r.resources.includes("leases")));
    const leases = find(objs, "Role")[0];
    assert.equal(leases.metadata.namespace, "ollama-system");
    assert.ok(leases.rules.every((r: any) => r.resources.join() === "leases"));
  });

  it("binds the ClusterRole per namespace when watchNamespaces is set", () => {
    const objs = render("watchNamespaces={ollama,team-a}");
    assert.equal(find(objs, "ClusterRoleBinding").length, 0);
    assert.deepEqual(find(objs, "RoleBinding", "ofo-ollama-fleet-operator").map((b) => b.metadata.namespace), ["ollama", "team-a"]);
    const env = find(objs, "Deployment")[0].spec.template.spec.containers[0].env;
    assert.equal(env.find((e: any) => e.name === "WATCH_NAMESPACES").value, "ollama,team-a");
  });

  it("runs two non-root replicas of a pinned image with probes on the health port and metrics on their own", () => {
    const d = find(render(), "Deployment")[0];
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(d.spec.replicas, 2);
    assert.equal(c.image, "ghcr.io/agent-platform/ollama-fleet-operator:0.1.0");
    assert.equal(c.imagePullPolicy, "IfNotPresent");
    assert.deepEqual([pod.securityContext.runAsNonRoot, pod.securityContext.runAsUser], [true, 65532]);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(c.ports.map((p: any) => [p.name, p.containerPort]), [["metrics", 8080], ["health", 8081]]);
    assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.port, c.readinessProbe.httpGet.path], ["/healthz", "health", "/readyz"]);
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    const env = Object.fromEntries(c.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
    assert.deepEqual(
      { MESH: env.MESH, PROMETHEUS_URL: env.PROMETHEUS_URL, LEADER_ELECTION: env.LEADER_ELECTION, METRICS_PORT: env.METRICS_PORT, HEALTH_PORT: env.HEALTH_PORT },
      { MESH: "none", PROMETHEUS_URL: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090", LEADER_ELECTION: "true", METRICS_PORT: "8080", HEALTH_PORT: "8081" },
    );
  });

  it("refuses a latest image, an unknown mesh, and two replicas without leader election", () => {
    assert.throws(() => render("image.tag=latest"), /image\.tag: "latest" is not allowed/);
    assert.throws(() => render("mesh=cilium"), /mesh: "cilium" must be istio, linkerd or none/);
    assert.throws(() => render("leaderElection.enabled=false"), /more than one replica needs leaderElection\.enabled=true/);
  });

  it("pulls the released image by digest once one is recorded", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const c = find(render(`image.digest=${digest}`), "Deployment")[0].spec.template.spec.containers[0];
    assert.equal(c.image, `ghcr.io/agent-platform/ollama-fleet-operator:0.1.0@${digest}`);
  });

  it("renders a ServiceMonitor only when asked", () => {
    assert.equal(find(render(), "ServiceMonitor").length, 0);
    const sm = find(render("serviceMonitor.enabled=true"), "ServiceMonitor")[0];
    assert.deepEqual(sm.spec.endpoints, [{ port: "metrics", path: "/metrics", interval: "30s" }]);
  });
});
