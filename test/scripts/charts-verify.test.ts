import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyKeys,
  coalesce,
  disabledSubcharts,
  findUnread,
  formatPath,
  leafPaths,
  mergedDefaults,
  perturb,
  perturbValues,
  renderBaseline,
  sameAsBaseline,
  type ChartTree,
  type ValuePath,
} from "../../scripts/lib/charts-verify";
import { apiVersionsFor, chartName, nearestOlder } from "../../scripts/lib/charts-verify-helm";
import { classifyHelmError, evaluateManifests, formatDetails, formatReleaseLine, parseManifests, renderReport, type PackConfig, type ReleaseResult } from "../../scripts/lib/charts-verify-output";
import PROD_PACK from "../../policies/config/prod.json";
import DEV_PACK from "../../policies/config/dev.json";

const chart = (values: Record<string, unknown>, deps: ChartTree["deps"] = []): ChartTree => ({ name: "c", version: "1.0.0", values, deps });

describe("charts:verify values as leaf paths", () => {
  it("descends into non-empty maps and keeps lists, empty maps and scalars as leaves", () => {
    assert.deepEqual(
      leafPaths({ a: { b: 1, c: { d: [1, 2] } }, e: {}, f: null, g: "x" }).map((l) => l.path.join("/")),
      ["a/b", "a/c/d", "e", "f", "g"],
    );
  });

  for (const [path, text] of [
    [["replicas"], "replicas"],
    [["image", "tag"], "image.tag"],
    [["podAnnotations", "prometheus.io/scrape"], 'podAnnotations["prometheus.io/scrape"]'],
    [["litellm-helm", "enabled"], "litellm-helm.enabled"],
  ] as [string[], string][]) {
    it(`prints ${JSON.stringify(path)} as ${text}`, () => assert.equal(formatPath(path), text));
  }
});

describe("charts:verify merged defaults", () => {
  it("coalesces as Helm does: maps merge, the override wins, null deletes", () => {
    assert.deepEqual(coalesce({ a: { b: 1, c: 2 }, d: 1 }, { a: { b: 3 }, d: null, e: [1] }), { a: { b: 3, c: 2 }, e: [1] });
  });

  it("puts subchart defaults under the alias, lets the parent win, and lifts the subchart's globals", () => {
    const sub = chart({ replicas: 2, image: { tag: "1" }, global: { registry: "sub.example", pullSecrets: [] } });
    const tree = chart({ global: { registry: "parent.example" }, worker: { replicas: 1 } }, [{ key: "worker", chart: sub }]);
    assert.deepEqual(mergedDefaults(tree), {
      global: { registry: "parent.example", pullSecrets: [] },
      worker: { replicas: 1, image: { tag: "1" } },
    });
  });
});

describe("charts:verify disabled subcharts", () => {
  const sub = chart({ size: 1 });
  const tree = chart({ extra: { enabled: false }, on: { enabled: true } }, [
    { key: "extra", condition: "extra.enabled", chart: sub },
    { key: "on", condition: "on.enabled", chart: sub },
    { key: "either", condition: "either.enabled,global.either.enabled", chart: sub },
  ]);

  it("finds a subchart whose condition is false in the defaults", () => {
    assert.deepEqual(disabledSubcharts(tree, {}), [
      { prefix: ["extra"], condition: ["extra", "enabled"] },
    ]);
  });

  it("follows the values over the defaults", () => {
    assert.deepEqual(disabledSubcharts(tree, { extra: { enabled: true }, on: { enabled: false } }).map((d) => d.prefix.join(".")), ["on"]);
  });

  it("reads the first condition path that exists, including globals", () => {
    assert.deepEqual(disabledSubcharts(tree, { global: { either: { enabled: false } } }).map((d) => d.prefix.join(".")), ["extra", "either"]);
  });
});

describe("charts:verify decides from the defaults which keys are read", () => {
  const tree = chart(
    { replicas: 1, podAnnotations: {}, extraEnv: [], nodeSelector: null, service: { type: "ClusterIP" }, extra: { enabled: false, podMonitor: false, size: 1 } },
    [{ key: "extra", condition: "extra.enabled", chart: chart({ size: 1 }) }],
  );
  const cases: [string, Record<string, unknown>, string][] = [
    ["a key in the defaults", { replicas: 3 }, "default"],
    ["a key under an empty map default", { podAnnotations: { "a.b/c": "x" } }, "free-form"],
    ["a key under a list default", { extraEnv: { x: 1 } }, "free-form"],
    ["a key under a null default", { nodeSelector: { zone: "a" } }, "free-form"],
    ["an unknown key next to known ones", { service: { annotations: { a: "b" } } }, "probe"],
    ["an unknown top-level key", { legacyPort: 81 }, "probe"],
    ["a key of a disabled subchart", { extra: { size: 5 } }, "disabled"],
    ["the condition key of a disabled subchart", { extra: { enabled: false } }, "default"],
    ["a parent's own key under a disabled subchart's alias", { extra: { podMonitor: true } }, "default"],
    ["a subchart key the parent also sets a default for", { extra: { size: 2 } }, "disabled"],
  ];
  for (const [what, values, verdict] of cases) {
    it(`classifies ${what} as ${verdict}`, () => {
      const v = classifyKeys(tree, values);
      assert.equal(v.length, 1);
      assert.equal(v[0].verdict, verdict);
    });
  }
});

describe("charts:verify perturbation", () => {
  for (const [value, changed] of [
    [true, false],
    [false, true],
    [3, 4],
    [0.5, 2],
    ["", "charts-verify-perturbed"],
    ["30s", "30s-charts-verify-perturbed"],
    [[], ["charts-verify-perturbed"]],
    [[1], []],
    [{}, { "charts-verify-perturbed": "charts-verify-perturbed" }],
    [null, "charts-verify-perturbed"],
  ] as [unknown, unknown][]) {
    it(`changes ${JSON.stringify(value)} to ${JSON.stringify(changed)}`, () => assert.deepEqual(perturb(value), changed));
  }

  it("perturbs only the given paths and leaves the input alone", () => {
    const values = { a: { b: 1, c: true }, d: "x" };
    assert.deepEqual(perturbValues(values, [["a", "c"], ["d"]]), { a: { b: 1, c: false }, d: "x-charts-verify-perturbed" });
    assert.deepEqual(values, { a: { b: 1, c: true }, d: "x" });
  });
});

describe("charts:verify compares renders that generate random content", () => {
  const a = "kind: Secret\ntoken: abc\nmode: a";
  const b = "kind: Secret\ntoken: xyz\nmode: a";
  const baseline = renderBaseline(a, b);

  it("ignores the lines that change by themselves", () => {
    assert.notEqual(baseline, "unstable");
    assert.ok(sameAsBaseline(baseline as Exclude<typeof baseline, "unstable">, "kind: Secret\ntoken: qqq\nmode: a"));
  });

  it("still sees a change anywhere else", () => {
    assert.ok(!sameAsBaseline(baseline as Exclude<typeof baseline, "unstable">, "kind: Secret\ntoken: qqq\nmode: b"));
    assert.ok(!sameAsBaseline(baseline as Exclude<typeof baseline, "unstable">, "kind: Secret\ntoken: qqq\nmode: a\nextra: 1"));
  });

  it("gives up when the line count changes by itself", () => {
    assert.equal(renderBaseline("a\nb", "a\nb\nc"), "unstable");
  });
});

describe("charts:verify finds unread keys with few renders", () => {
  const keys: ValuePath[] = [["a"], ["b"], ["c"], ["d"], ["e"]];
  const probeFor = (read: string[]) => {
    const calls: string[][] = [];
    const probe = async (paths: readonly ValuePath[]) => {
      calls.push(paths.map((p) => p[0]));
      return paths.some((p) => read.includes(p[0])) ? ("different" as const) : ("same" as const);
    };
    return { probe, calls };
  };

  it("settles all-unread keys with one render", async () => {
    const { probe, calls } = probeFor([]);
    assert.deepEqual(await findUnread(keys, probe), keys);
    assert.equal(calls.length, 1);
  });

  it("isolates the unread keys among read ones", async () => {
    const { probe, calls } = probeFor(["b", "e"]);
    assert.deepEqual((await findUnread(keys, probe)).map((p) => p[0]), ["a", "c", "d"]);
    assert.ok(calls.length <= 2 * keys.length - 1, `${calls.length} renders`);
  });

  it("renders nothing when nothing needs a probe", async () => {
    const { probe, calls } = probeFor([]);
    assert.deepEqual(await findUnread([], probe), []);
    assert.equal(calls.length, 0);
  });
});

describe("charts:verify helm errors", () => {
  it("tells a values.schema.json violation from a render error, one violation per line", () => {
    const stderr = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nschema:\n- at '/replicas': got string, want integer\nworker:\n- at '/size': minimum: got 0, want 1\n";
    assert.deepEqual(classifyHelmError(stderr), { kind: "schema", violations: ["schema: at '/replicas': got string, want integer", "worker: at '/size': minimum: got 0, want 1"] });
  });

  it("keeps a template failure's message and drops helm's --debug hint", () => {
    const stderr = "Error: execution error at (fails/templates/configmap.yaml:2:4): endpoint is required\n\nUse --debug flag to render out invalid YAML\n";
    assert.deepEqual(classifyHelmError(stderr), { kind: "render", message: "execution error at (fails/templates/configmap.yaml:2:4): endpoint is required" });
  });

  it("reports a missing dependency as a render error", () => {
    assert.equal(classifyHelmError("Error: found in Chart.yaml, but missing in charts/ directory: child\n").kind, "render");
  });
});

describe("charts:verify reads helm's output", () => {
  it("returns each object with its source template and drops empty documents", () => {
    const out = "---\n# Source: a/templates/sa.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: a\n---\n# Source: a/templates/empty.yaml\n---\n# Source: a/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
    assert.deepEqual(
      parseManifests(out).map((m) => [m.source, m.object.kind]),
      [
        ["a/templates/sa.yaml", "ServiceAccount"],
        ["a/templates/cm.yaml", "ConfigMap"],
      ],
    );
  });
});

const deployment = (namespace: string | undefined, container: Record<string, unknown>) => ({
  source: "x/templates/deploy.yaml",
  object: {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", ...(namespace ? { namespace } : {}) },
    spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", ...container }] } } },
  },
});
const pinned = { image: "registry.example/app:1.2.3", resources: { requests: { cpu: "10m", memory: 16 * 1024 * 1024 }, limits: { memory: "32Mi" } } };

describe("charts:verify holds rendered pods to the policy pack", () => {
  it("passes a pinned image with requests and limits in a workload namespace", () => {
    assert.deepEqual(evaluateManifests([deployment(undefined, pinned)], "openhands", PROD_PACK as PackConfig), []);
  });

  it("reports a latest image as mandatory in prod, naming the rule, object and template", () => {
    const f = evaluateManifests([deployment("apps", { ...pinned, image: "registry.example/app:latest" })], "openhands", PROD_PACK as PackConfig);
    assert.deepEqual(
      f.map((x) => [x.rule, x.level, x.object, x.source]),
      [["disallow-latest-tag", "mandatory", "Deployment apps/web", "x/templates/deploy.yaml"]],
    );
    assert.match(f[0].messages[0], /app uses registry\.example\/app:latest/);
  });

  it("puts an object without a namespace into the release's, and dev's findings are advisory", () => {
    const f = evaluateManifests([deployment(undefined, { image: "registry.example/app:1.2.3" })], "ollama", DEV_PACK as PackConfig);
    assert.deepEqual(
      f.map((x) => [x.rule, x.level, x.object]),
      [["require-requests-limits", "advisory", "Deployment ollama/web"]],
    );
  });

  it("skips kinds the pack does not evaluate and rules the config disables", () => {
    const cm = { source: "", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } } };
    const off = Object.fromEntries(Object.entries(PROD_PACK).map(([k, v]) => [k, { ...v, enforcementLevel: "disabled" }]));
    assert.deepEqual(evaluateManifests([cm], "apps", PROD_PACK as PackConfig), []);
    assert.deepEqual(evaluateManifests([deployment("apps", { image: "a:latest" })], "apps", off as PackConfig), []);
  });
});

describe("charts:verify output", () => {
  const result: ReleaseResult = {
    stack: "prod",
    release: "loki",
    chart: "loki",
    version: "18.11.0",
    renderErrors: [],
    schemaViolations: [],
    unread: [
      { path: ["gateway", "replicas"], why: { kind: "probe" } },
      { path: ["minio", "persistence", "size"], why: { kind: "disabled", subchart: ["minio"], condition: ["minio", "enabled"] } },
    ],
    unverified: [],
    policy: [{ rule: "disallow-latest-tag", level: "advisory", object: "Deployment monitoring/loki-gateway", source: "loki/templates/gateway.yaml", messages: ["unpinned image"] }],
    objects: 12,
    keys: 30,
    probes: 2,
  };

  it("prints one line per release with its status and counts", () => {
    assert.match(formatReleaseLine(result), /^prod +loki +loki@18\.11\.0 +FAIL {2}render 0, schema 0, unread 2, policy 0 \(\+1 advisory\)$/);
  });

  it("prints each problem with its full key path", () => {
    assert.deepEqual(formatDetails(result), [
      "    unread        gateway.replicas: not in the chart's defaults, and changing it leaves the render byte-identical",
      "    unread        minio.persistence.size: subchart minio is disabled (minio.enabled is false), so Helm never renders it",
      "    advisory      disallow-latest-tag [advisory] Deployment monitoring/loki-gateway (loki/templates/gateway.yaml): unpinned image",
    ]);
  });

  it("writes a report with the run's facts and one table per stack", () => {
    const md = renderReport({ date: "2026-01-02T03:04:05Z", machine: "x86_64", node: "v24.21.0", helm: "v4.1.4", kubeVersion: "1.35.8", source: "directory /charts" }, [
      { stack: "prod", results: [result] },
    ]);
    assert.ok(md.includes("- Date (UTC): 2026-01-02T03:04:05Z"));
    assert.ok(md.includes("- Machine: x86_64"));
    assert.ok(md.includes("- Chart sources: directory /charts"));
    assert.ok(md.includes("## prod"));
    assert.ok(md.includes("| loki | loki@18.11.0 | FAIL | 0 | 0 | 2 | 0 | 1 | 12 | 30 |"));
    assert.ok(md.includes("- loki: unread `gateway.replicas`: not in the chart's defaults"));
  });
});

describe("charts:verify --nearest", () => {
  for (const [pinned, available, want] of [
    ["1.20.2", ["1.20.0", "1.19.9", "1.21.0"], "1.20.0"],
    ["v1.21.2", ["v1.21.1", "v1.20.6"], "v1.21.1"],
    ["2.4.0", ["2.4.0-rc.0", "2.3.4"], "2.4.0-rc.0"],
    ["89.2.4", ["88.5.3"], "88.5.3"],
    ["1.30.5", ["1.31.0"], undefined],
    ["1.30.5", [], undefined],
  ] as const) {
    it(`picks ${want ?? "nothing"} for pin ${pinned} among ${available.join(", ") || "none"}`, () => {
      assert.equal(nearestOlder(pinned, available), want);
    });
  }

  it("marks a substituted chart as a warning, naming both versions", () => {
    const r: ReleaseResult = { stack: "prod", release: "network-cilium", chart: "cilium", version: "1.20.2", substitute: "1.20.0", renderErrors: [], schemaViolations: [], unread: [], unverified: [], policy: [], objects: 1, keys: 1, probes: 0 };
    assert.match(formatReleaseLine(r), /cilium@1\.20\.2 as 1\.20\.0 +warn/);
    assert.deepEqual(formatDetails(r), ["    substituted   the pinned cilium 1.20.2 had no chart source; rendered 1.20.0, the closest older version (--nearest)"]);
  });
});

describe("charts:verify chart references", () => {
  it("names a chart by the last segment of its reference", () => {
    assert.equal(chartName("oci://ghcr.io/openhands/helm-charts/openhands"), "openhands");
    assert.equal(chartName("cilium"), "cilium");
  });

  it("renders with the CRD API versions of the charts a stack installs", () => {
    const v = apiVersionsFor([{ chart: "kube-prometheus-stack" }, { chart: "cert-manager" }, { chart: "test/fixtures/charts/ok" }]);
    assert.ok(v.includes("monitoring.coreos.com/v1/ServiceMonitor"));
    assert.ok(v.includes("cert-manager.io/v1"));
    assert.ok(!v.includes("gateway.networking.k8s.io/v1"));
    assert.ok(v.includes("resource.k8s.io/v1/DeviceClass"));
  });
});
