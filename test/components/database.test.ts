import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import type { PostgresConnection, PostgresSpec } from "../../components/contracts";
import {
  Database,
  OPERATOR_RESOURCES,
  POSTGRES_IMAGE,
  POSTGRES_PORT,
  postgresProblems,
  renderCluster,
  renderCnpgValues,
  type DatabaseSettings,
} from "../../components/database";
import { TYPES } from "../../tools/types";
import { configMapMarker, fakeCluster, fakeNetwork, fakeObservability, fakeProvider, fakeStorage } from "../helpers/layers";
import { recordResources, resolveOutput, type ProgramRun } from "../helpers/program";
import { VALID_CLUSTER, validateCnpgCluster } from "../helpers/schemas/cnpg";
import { toObject, validateAll } from "../helpers/validate";

const CALLER = "test:openhands:OpenHands";

const SETTINGS: DatabaseSettings = { operatorReplicas: 2, monitoring: false };
const SPEC: Omit<PostgresSpec, "namespace"> = {
  database: "sandboxes",
  owner: "sandbox_server",
  instances: 2,
  size: "20Gi",
  resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
};

interface Built {
  run: ProgramRun;
  layer?: Database;
  db?: PostgresConnection;
  /** What the component or postgres() threw, caught inside the program (a throw there would outlive the test). */
  error?: unknown;
}

/** The layer with fake dependencies, and (unless `spec` is null) one database created by a caller component. */
async function build(settings: DatabaseSettings = SETTINGS, spec: Partial<PostgresSpec> | null = {}, opts: { monitoring?: boolean; name?: string } = {}): Promise<Built> {
  let layer: Database | undefined;
  let db: PostgresConnection | undefined;
  let error: unknown;
  const run = await recordResources(() => {
    const provider = fakeProvider();
    const cluster = fakeCluster({ provider });
    const m = configMapMarker(provider);
    try {
      layer = new Database("database", {
        cluster,
        network: fakeNetwork([m("cni")]),
        storage: fakeStorage({ defaultStorageClass: "ceph-block", ready: [m("storage")] }),
        observability: opts.monitoring === false ? undefined : fakeObservability({ ready: [m("monitoring-crds")] }),
        settings,
      });
      if (spec !== null) {
        const caller = new pulumi.ComponentResource(CALLER, "openhands", {}, { providers: { kubernetes: provider } });
        const ns = new k8s.core.v1.Namespace("openhands-ns", { metadata: { name: "openhands" } }, { parent: caller });
        db = layer.postgres(opts.name ?? "sandbox-db", { ...SPEC, namespace: ns.metadata.name, ...spec }, { parent: caller });
      }
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, layer, db, error };
}

/** The error a build threw; fails when it threw none. */
async function buildError(...args: Parameters<typeof build>): Promise<string> {
  const { error } = await build(...args);
  assert.ok(error !== undefined, "expected the build to throw");
  return String(error);
}

describe("CloudNativePG values", () => {
  it("sets replicas, the chart's CRDs, bounded resources and the PodMonitor switch", () => {
    assert.deepEqual(renderCnpgValues({ operatorReplicas: 3, monitoring: true }), {
      replicaCount: 3,
      crds: { create: true },
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      monitoring: { podMonitorEnabled: true },
    });
    assert.equal((renderCnpgValues(SETTINGS) as any).monitoring.podMonitorEnabled, false);
  });
});

describe("Database component", () => {
  it("installs the pinned chart as release cnpg in a restricted cnpg-system after the CNI", async () => {
    const { run, layer, error } = await build(SETTINGS, null);
    assert.equal(error, undefined);
    const r = run.get(TYPES.release, "database-cnpg");
    assert.deepEqual([r.inputs.name, r.inputs.chart, r.inputs.version, r.inputs.repositoryOpts.repo, r.inputs.namespace], ["cnpg", "cloudnative-pg", CHARTS.cloudnativePg.version, CHARTS.cloudnativePg.repo, "cnpg-system"]);
    assert.equal(r.inputs.skipCrds, false);
    assert.equal(r.inputs.values.replicaCount, 2);
    assert.deepEqual(r.inputs.values.resources, OPERATOR_RESOURCES);
    assert.ok(run.dependsOn(`${TYPES.release}::database-cnpg`, `${TYPES.configMap}::cni`), "the operator waits for the CNI");
    assert.ok(!run.dependsOn(`${TYPES.release}::database-cnpg`, `${TYPES.configMap}::monitoring-crds`), "no PodMonitor, no wait for its CRDs");
    const ns = run.get(TYPES.namespace, "database-ns");
    assert.equal(ns.inputs.metadata.name, "cnpg-system");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(layer!.ready.length, 1);
    assert.equal(layer!.ready[0], layer!.operator);
  });

  it("waits for the Prometheus Operator CRDs when the PodMonitor is on, and refuses it without them", async () => {
    const { run } = await build({ ...SETTINGS, monitoring: true }, null);
    assert.equal(run.get(TYPES.release, "database-cnpg").inputs.values.monitoring.podMonitorEnabled, true);
    assert.ok(run.dependsOn(`${TYPES.release}::database-cnpg`, `${TYPES.configMap}::monitoring-crds`));
    assert.match(await buildError({ ...SETTINGS, monitoring: true }, null, { monitoring: false }), /Database args\.settings\.monitoring: true, but args\.observability is undefined/);
  });

  it("merges the stack's values over the rendered ones", async () => {
    const { run } = await build({ ...SETTINGS, values: { config: { clusterWide: false } } }, null);
    const v = run.get(TYPES.release, "database-cnpg").inputs.values;
    assert.equal(v.config.clusterWide, false);
    assert.equal(v.crds.create, true);
  });

  it("rejects an operator replica count below 1", async () => {
    assert.match(await buildError({ ...SETTINGS, operatorReplicas: 0 }, null), /Database args\.settings\.operatorReplicas: 0 must be an integer of at least 1/);
  });
});

describe("Database.postgres", () => {
  it("creates a Cluster in the caller's namespace, child of the caller, after the operator and storage", async () => {
    const { run, error } = await build();
    assert.equal(error, undefined);
    const c = run.get(TYPES.postgresCluster, "sandbox-db-postgres");
    assert.equal(c.parent, `${CALLER}::openhands`);
    assert.ok(run.dependsOn(`${TYPES.postgresCluster}::sandbox-db-postgres`, `${TYPES.release}::database-cnpg`), "the Cluster needs the operator's CRD and webhook");
    assert.ok(run.dependsOn(`${TYPES.postgresCluster}::sandbox-db-postgres`, `${TYPES.configMap}::storage`));
    assert.ok(run.waitsFor(`${TYPES.postgresCluster}::sandbox-db-postgres`, `${TYPES.namespace}::openhands-ns`), "the namespace exists first");
    assert.deepEqual(c.inputs.metadata, { name: "sandbox-db", namespace: "openhands", annotations: { "pulumi.com/waitFor": "condition=Ready" } });
    assert.deepEqual(c.inputs.spec, {
      instances: 2,
      imageName: POSTGRES_IMAGE,
      storage: { size: "20Gi", storageClass: "ceph-block" },
      bootstrap: { initdb: { database: "sandboxes", owner: "sandbox_server" } },
      resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { memory: "1Gi" } },
      enablePDB: true,
    });
  });

  it("pins an exact PostgreSQL 17 minor by tag and digest", () => {
    assert.match(POSTGRES_IMAGE, /^ghcr\.io\/cloudnative-pg\/postgresql:17\.\d+-\d{12}-standard-trixie@sha256:[0-9a-f]{64}$/);
  });

  it("emits objects that pass their schemas (the Cluster's transcribed CRD and webhook checks)", async () => {
    const { run } = await build();
    assert.deepEqual(await validateAll(run.resources), []);
    assert.deepEqual(validateCnpgCluster(toObject(run.get(TYPES.postgresCluster, "sandbox-db-postgres"))!), []);
  });

  it("drops the PDB for a single instance and honours a named StorageClass", async () => {
    const { run } = await build(SETTINGS, { instances: 1, storageClass: "longhorn" });
    const spec = run.get(TYPES.postgresCluster, "sandbox-db-postgres").inputs.spec;
    assert.equal(spec.enablePDB, false);
    assert.equal(spec.instances, 1);
    assert.equal(spec.storage.storageClass, "longhorn");
  });

  it("returns how to connect: the rw Service, port 5432, the database, its owner and the app Secret", async () => {
    const { run, db } = await build();
    assert.equal((await resolveOutput<string>(db!.host)).value, "sandbox-db-rw.openhands.svc.cluster.local");
    assert.equal(db!.port, POSTGRES_PORT);
    assert.equal(db!.port, 5432);
    assert.equal(db!.database, "sandboxes");
    assert.equal(db!.user, "sandbox_server");
    assert.equal(db!.secretName, "sandbox-db-app");
    assert.ok(db!.resource instanceof k8s.apiextensions.CustomResource);
    assert.equal(run.ofType(TYPES.postgresCluster).length, 1);
  });

  const bad: [string, Partial<PostgresSpec>, RegExp, string?][] = [
    ["instances 0", { instances: 0 }, /database\.postgres\("sandbox-db"\)\.instances: 0 must be an integer of at least 1/],
    ["fractional instances", { instances: 1.5 }, /\.instances: 1\.5/],
    ["a size that is not a quantity", { size: "twenty gigs" }, /\.size: "twenty gigs" is not a Kubernetes quantity/],
    ["a zero size", { size: "0Gi" }, /\.size: "0Gi" must be greater than zero/],
    ["an owner the operator reserves", { owner: "postgres" }, /\.owner: "postgres" is a role the operator manages/],
    ["a database name that is not an identifier", { database: "Sandbox-DB" }, /\.database: "Sandbox-DB" must be a lowercase PostgreSQL identifier/],
    ["a request above its limit", { resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "1Gi" } } }, /\.resources\.requests\.memory: 2Gi is greater than the limit 1Gi/],
    ["a missing memory limit", { resources: { requests: { cpu: "1", memory: "1Gi" } } as any }, /\.resources\.limits\.memory: missing/],
    ["a cluster name longer than 50 characters", {}, /\.name: "a{51}" must be a DNS-1035 label/, "a".repeat(51)],
  ];
  for (const [what, spec, error, name] of bad) {
    it(`throws naming the key for ${what}`, async () => {
      assert.match(await buildError(SETTINGS, spec, { name }), error);
    });
  }

  it("accepts the spec the tests build on", () => {
    assert.deepEqual(postgresProblems("sandbox-db", { ...SPEC, namespace: "openhands" }), []);
  });
});

describe("CloudNativePG Cluster schema", () => {
  const mutate = (change: (c: any) => void) => {
    const c = structuredClone(VALID_CLUSTER) as any;
    change(c);
    return validateCnpgCluster(c);
  };

  it("accepts the example and what renderCluster emits", () => {
    assert.deepEqual(validateCnpgCluster(VALID_CLUSTER), []);
    const args = renderCluster("openhands-db", { ...SPEC, namespace: "openhands" }, "ceph-block") as any;
    assert.deepEqual(validateCnpgCluster(args), []);
  });

  const cases: [string, (c: any) => void, string][] = [
    ["instances below the CRD minimum", (c) => (c.spec.instances = 0), "data/spec/instances"],
    ["a missing instances", (c) => delete c.spec.instances, "data/spec must have required property instances"],
    ["a field the CRD does not declare", (c) => (c.spec.storage.sizee = "1Gi"), "data/spec/storage must NOT have additional property sizee"],
    ["an unknown spec field", (c) => (c.spec.replicas = 2), "data/spec must NOT have additional property replicas"],
    ["a size the webhook cannot parse", (c) => (c.spec.storage.size = "lots"), "data/spec/storage/size Size value isn't valid"],
    ["a database without an owner", (c) => delete c.spec.bootstrap.initdb.owner, "data/spec/bootstrap/initdb/owner You need to specify the database owner user"],
    ["a request above its limit", (c) => (c.spec.resources.requests.memory = "2Gi"), "data/spec/resources/requests/memory memory request is greater than the limit"],
    ["a resource that is not a quantity", (c) => (c.spec.resources.limits.memory = "1 GB"), "data/spec/resources/limits/memory"],
    ["imageName with an imageCatalogRef", (c) => (c.spec.imageCatalogRef = { apiGroup: "postgresql.cnpg.io", kind: "ClusterImageCatalog", major: 17, name: "postgresql" }), "imageName and imageCatalogRef are mutually exclusive"],
    ["a name that is not a DNS-1035 label", (c) => (c.metadata.name = "1db"), "data/metadata/name cluster name must be a valid DNS label"],
    ["a wrong enablePDB type", (c) => (c.spec.enablePDB = "yes"), "data/spec/enablePDB must be boolean"],
  ];
  for (const [what, change, problem] of cases) {
    it(`rejects ${what}`, () => {
      const problems = mutate(change);
      assert.ok(
        problems.some((p) => p.includes(problem)),
        `expected a problem containing ${JSON.stringify(problem)}, got ${JSON.stringify(problems)}`,
      );
    });
  }
});
