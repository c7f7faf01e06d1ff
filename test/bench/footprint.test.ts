import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { footprint, INVENTORY as PLATFORM_INVENTORY, lookup, PINNED_VERSIONS, type Installed, type Inventory } from "../../bench/footprint/footprint";
import { stackInstalls, type StackInstalls } from "../../bench/footprint/installs";
import { CHART_INVENTORY, RESOURCE_INVENTORY } from "../../bench/footprint/inventory";
import { DEV_TARGET, stackFootprint } from "../../bench/footprint/report";
import { CHARTS, type ChartKey } from "../../components/catalog";

const Mi = 1024 ** 2;

const k8s = (path: string) => ({ cpu: [`${path}.requests.cpu`], memory: [`${path}.requests.memory`] });

const INVENTORY: Inventory = {
  app: {
    version: "1.0.0",
    source: "test",
    workloads: [
      { name: "api", kind: "Deployment", replicas: { default: 2, path: "api.replicas" }, containers: [{ name: "api", ...k8s("api.resources"), defaults: { cpu: "100m", memory: "128Mi" } }] },
      { name: "agent", kind: "DaemonSet", replicas: { default: 1, path: "agent.replicas" }, containers: [{ name: "agent", ...k8s("agent.resources"), defaults: {} }] },
      { name: "ui", kind: "Deployment", replicas: { default: 1 }, when: [{ path: "ui.enabled", default: false }], containers: [{ name: "ui", ...k8s("ui.resources"), defaults: { cpu: "1" } }] },
      {
        name: "proxy",
        kind: "Deployment",
        replicas: { default: 1 },
        containers: [{ name: "envoy", ...k8s("proxy.resources"), defaults: { cpu: "100m", memory: "128Mi" }, presetUnless: "proxy.resources" }],
      },
    ],
  },
};

const app = (values: Record<string, unknown>): Installed[] => [{ release: "app", chart: "app", values }];
const row = (f: ReturnType<typeof footprint>, workload: string) => f.rows.find((r) => r.workload === workload);

describe("footprint", () => {
  const cases: { name: string; values: Record<string, unknown>; nodes: number; workload: string; cpu: number; memory: number; source: string }[] = [
    { name: "uses the chart default when our values set nothing", values: {}, nodes: 1, workload: "api/api", cpu: 200, memory: 256 * Mi, source: "chart default" },
    { name: "prefers our request over the chart default", values: { api: { resources: { requests: { cpu: "10m" } } } }, nodes: 1, workload: "api/api", cpu: 20, memory: 256 * Mi, source: "ours" },
    { name: "takes replicas from our values", values: { api: { replicas: 1 } }, nodes: 1, workload: "api/api", cpu: 100, memory: 128 * Mi, source: "chart default" },
    { name: "counts a DaemonSet once per node, whatever its replicas value", values: { agent: { replicas: 9, resources: { requests: { cpu: "0.1", memory: "1Gi" } } } }, nodes: 3, workload: "agent/agent", cpu: 300, memory: 3 * 1024 * Mi, source: "ours" },
    { name: "drops a preset's defaults once our resources block replaces it", values: { proxy: { resources: { requests: { cpu: "5m" } } } }, nodes: 1, workload: "proxy/envoy", cpu: 5, memory: 0, source: "ours" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = row(footprint(app(c.values), [], c.nodes, INVENTORY), c.workload);
      assert.ok(r, `no row ${c.workload}`);
      assert.deepEqual({ cpu: r.cpu, memory: r.memory, source: r.source }, { cpu: c.cpu, memory: c.memory, source: c.source });
    });
  }

  it("lists containers with no request anywhere and counts them as zero", () => {
    const f = footprint(app({}), [], 1, INVENTORY);
    assert.equal(row(f, "agent/agent")?.source, "none set");
    assert.deepEqual(f.unset, ["app agent/agent (cpu, memory)"]);
    assert.deepEqual(f.total, { cpu: 200 + 100, memory: 256 * Mi + 128 * Mi });
  });

  it("names the missing request of a partly set container", () => {
    const f = footprint(app({ proxy: { resources: { requests: { cpu: "5m" } } } }), [], 1, INVENTORY);
    assert.deepEqual(f.unset, ["app agent/agent (cpu, memory)", "app proxy/envoy (memory)"]);
  });

  it("skips workloads a toggle turns off and counts them once turned on", () => {
    assert.equal(row(footprint(app({}), [], 1, INVENTORY), "ui/ui"), undefined);
    assert.equal(row(footprint(app({ ui: { enabled: true } }), [], 1, INVENTORY), "ui/ui")?.cpu, 1000);
  });

  it("counts extras like releases and reports what the inventory does not know", () => {
    const f = footprint([], [{ release: "x", chart: "app", values: {} }, { release: "y", chart: "mystery", values: {} }], 1, INVENTORY);
    assert.equal(f.total.cpu, 300);
    assert.deepEqual(f.unknown, ["y (mystery)"]);
  });

  it("looks up dotted paths with index and key selectors", () => {
    const v = { a: { pools: [{ size: 1 }], containers: [{ name: "x" }, { name: "grafana", r: "ok" }] } };
    assert.equal(lookup(v, "a.pools[0].size"), 1);
    assert.equal(lookup(v, "a.containers[name=grafana].r"), "ok");
    assert.equal(lookup(v, "a.containers[name=nope].r"), undefined);
    assert.equal(lookup(v, "a.b.c"), undefined);
  });
});

describe("inventory", () => {
  it("knows the version pinned now for every entry, from the catalog, so a moved pin shows", () => {
    for (const [key, entry] of Object.entries(PLATFORM_INVENTORY)) {
      assert.match(entry!.version, /^v?\d+\.\d+\.\d+$/, `${key}: ${entry!.version} is not the exact version it was read for`);
      assert.ok(PINNED_VERSIONS[key] !== undefined, `${key}: no catalog pin to compare its inventory with`);
    }
    for (const key of Object.keys(CHART_INVENTORY) as ChartKey[]) assert.equal(PINNED_VERSIONS[key], CHARTS[key].version, key);
    assert.equal(PINNED_VERSIONS.KnativeServing, CHARTS.knativeOperator.version);
    assert.equal(PINNED_VERSIONS.Grafana, CHARTS.grafanaOperator.version);
    assert.deepEqual(Object.keys(RESOURCE_INVENTORY).sort(), ["Grafana", "KnativeServing"]);
  });

  it("counts an entry read for an older pin as read and lists it as an estimate, so a bump is one catalog line", () => {
    const current = footprint(app({}), [], 1, INVENTORY, { app: "1.0.0" });
    const bumped = footprint(app({}), [], 1, INVENTORY, { app: "1.1.0" });
    assert.deepEqual(current.stale, []);
    assert.deepEqual(bumped.stale, ["app (app): inventory read for 1.0.0, catalog pins 1.1.0"]);
    assert.deepEqual(bumped.total, current.total);
    assert.deepEqual(footprint(app({}), [], 1, INVENTORY, {}).stale, []);
  });

  it("names a bumped catalog chart and an operator's resources by the operator's pin", () => {
    const pins = { ...PINNED_VERSIONS, certManager: "v9.9.9", grafanaOperator: "9.9.9", Grafana: "9.9.9" };
    const f = footprint([{ release: "cert-manager", chart: "certManager", values: {} }], [{ release: "grafana", chart: "Grafana", values: {} }], 1, PLATFORM_INVENTORY, pins);
    assert.deepEqual(f.stale, [
      `cert-manager (certManager): inventory read for ${CHART_INVENTORY.certManager!.version}, catalog pins v9.9.9`,
      `grafana (Grafana): inventory read for ${RESOURCE_INVENTORY.Grafana.version}, catalog pins 9.9.9`,
    ]);
  });
});

describe("dev stack footprint", () => {
  let dev: StackInstalls;
  before(async () => {
    dev = await stackInstalls("dev");
  });

  it("fits a laptop kind cluster: at most 4 CPU and 8 GiB requested", () => {
    const f = stackFootprint(dev);
    assert.ok(f.total.cpu <= DEV_TARGET.cpu, `dev requests ${f.total.cpu}m CPU, target ${DEV_TARGET.cpu}m`);
    assert.ok(f.total.memory <= DEV_TARGET.memory, `dev requests ${f.total.memory / Mi}Mi, target ${DEV_TARGET.memory / Mi}Mi`);
  });

  it("counts every release the program registers", () => {
    const f = stackFootprint(dev);
    assert.deepEqual(f.unknown, []);
    const moved = [...dev.releases, ...dev.extras].filter((r) => PLATFORM_INVENTORY[r.chart]!.version !== PINNED_VERSIONS[r.chart]);
    assert.equal(f.stale.length, moved.length, `estimates: ${f.stale.join("; ")}`);
    assert.deepEqual(dev.unregistered, []);
    assert.ok(dev.extras.some((e) => e.chart === "KnativeServing") && dev.extras.some((e) => e.chart === "Grafana"));
  });

  it("sets every request itself in the charts that set none or size for HA", () => {
    const f = stackFootprint(dev);
    const ours = ["cilium", "linkerd-control-plane", "linkerd-cni", "cert-manager", "keda", "keda-add-ons-http", "knative-operator", "serverless-serving", "loki"];
    for (const release of ours) {
      const rows = f.rows.filter((r) => r.release === release);
      assert.ok(rows.length > 0, `no rows for ${release}`);
      for (const r of rows) assert.equal(r.source, "ours", `${release} ${r.workload}`);
    }
    // Every dev workload has requests (MinIO, whose operator sidecar had none, is opt-in now).
    assert.deepEqual(f.unset, []);
  });

  it("counts the agent platform's own workloads and one idle sandbox at the requests the program sets", () => {
    const f = stackFootprint(dev);
    const names = new Set(f.rows.map((r) => r.release));
    for (const w of ["Deployment/openhands-app", "Deployment/openhands-sandbox-runtime", "Deployment/openhands-gateway", "Deployment/ubuntu-dev", "sandbox (one idle session)"]) assert.ok(names.has(w), `no rows for ${w}`);
    const sandbox = f.rows.find((r) => r.release === "sandbox (one idle session)")!;
    // The dev profile's sandbox contract: 1 CPU and 1Gi requested.
    assert.deepEqual([sandbox.cpu, sandbox.memory], [1000, 1024 * Mi]);
  });

  it("runs one interceptor and one scaler of the HTTP add-on instead of three each", () => {
    const f = stackFootprint(dev);
    const replicas = Object.fromEntries(f.rows.filter((r) => r.release === "keda-add-ons-http").map((r) => [r.workload, r.replicas]));
    assert.deepEqual(replicas, { "keda-add-ons-http-operator/operator": 1, "keda-add-ons-http-external-scaler/scaler": 1, "keda-add-ons-http-interceptor/interceptor": 1 });
  });
});
