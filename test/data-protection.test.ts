import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { TYPES } from "../tools/types";
import { PROD_SECRETS, resolveOutput, ROOT, runProgram, type ProgramRun, type Recorded, type RunOptions } from "./helpers/program";

/*
 * Every resource of a stack that holds data, with what keeps that data through a
 * `pulumi destroy`, a rename or a removal: Pulumi's `protect` and `retainOnDelete`, the
 * StorageClass's reclaim policy, and the retention of the PVCs a controller creates. prod
 * protects all of it; dev none of it (a laptop's `npm run dev:destroy` cleans up).
 *
 * Pulumi's runtime runs one program per process, so each stack runs in a child process of
 * this file (DATA_PROTECTION_RUN=<RunOptions as JSON>), which prints its rows as JSON; the
 * assertions and the table (README, "Order and teardown") are here. Besides the two stacks,
 * each runs once more with the data layers they leave off by default: Ceph buckets and
 * Longhorn in prod, MinIO in dev.
 */

/** What keeps one item's data. */
type Guard =
  /** Pulumi's `protect`: a destroy or replacement fails before deleting it. */
  | "protect"
  /** Pulumi's `retainOnDelete`: a destroy or rename leaves it in the cluster (namespaces). */
  | "retainOnDelete"
  /** The StorageClass's `reclaimPolicy`: a deleted PVC's volume is kept. */
  | "reclaim"
  /** The PVCs a controller creates are kept when their owner is deleted or scaled down. */
  | "retention";

/** One data-bearing item of a stack. */
interface Row {
  /** `type::name` of the Pulumi resource, or where the item comes from when it is not one. */
  resource: string;
  /** What it is and holds. */
  data: string;
  /** The protection it needs in prod. */
  guard: Guard;
  protect: boolean;
  retainOnDelete: boolean;
  /** StorageClass reclaim policy, or the PVC retention (`whenDeleted/whenScaled`); "-" when none applies. */
  policy: string;
}

/** kind's built-in local-path class (not the platform's): its volumes go with their claims. */
const KIND_CLASSES: Record<string, string> = { standard: "Delete" };

const key = (r: Recorded) => `${r.type}::${r.name}`;

/** The StorageClasses the platform creates, with their reclaim policy: Pulumi resources and those its charts render. */
function storageClasses(run: ProgramRun): { name: string; reclaimPolicy: string; resource: string; data: string }[] {
  const out: { name: string; reclaimPolicy: string; resource: string; data: string }[] = [];
  for (const sc of run.ofType(TYPES.storageClass)) {
    out.push({ name: sc.inputs.metadata.name, reclaimPolicy: sc.inputs.reclaimPolicy ?? "Delete", resource: key(sc), data: "StorageClass" });
  }
  for (const r of run.ofType(TYPES.release)) {
    const v = r.inputs.values ?? {};
    const inRelease = (what: string, sc: any) => {
      // The rook-ceph-cluster chart defaults an unset reclaimPolicy to Delete.
      if (sc?.enabled) out.push({ name: sc.name, reclaimPolicy: sc.reclaimPolicy ?? "Delete", resource: `${key(r)} values`, data: `StorageClass (${what})` });
    };
    if (r.inputs.name === "rook-ceph-cluster") {
      for (const p of v.cephBlockPools ?? []) inRelease(`Ceph block pool ${p.name}`, p.storageClass);
      for (const s of v.cephObjectStores ?? []) inRelease(`buckets of object store ${s.name}`, s.storageClass);
      for (const f of v.cephFileSystems ?? []) inRelease(`file system ${f.name}`, f.storageClass);
    }
    if (r.inputs.name === "longhorn") {
      // The chart's `longhorn` class; its reclaimPolicy defaults to Delete.
      out.push({ name: "longhorn", reclaimPolicy: v.persistence?.reclaimPolicy ?? "Delete", resource: `${key(r)} values`, data: "StorageClass (Longhorn volumes)" });
    }
  }
  return out;
}

/** StatefulSet `persistentVolumeClaimRetentionPolicy` as `whenDeleted/whenScaled`; Kubernetes defaults both to Retain. */
const retention = (p: { whenDeleted?: string; whenScaled?: string } | undefined) => `${p?.whenDeleted ?? "Retain"}/${p?.whenScaled ?? "Retain"}`;

/** The data-bearing Helm releases: what they hold, and the retention of the PVCs their workloads create (when any). */
const DATA_CHARTS: Record<string, (values: any) => { data: string; claims?: { data: string; retention: string; storageClass?: string } } | undefined> = {
  "rook-ceph-cluster": () => ({ data: "the CephCluster: OSD data, mons, pools, RGW" }),
  longhorn: () => ({ data: "Longhorn's volumes and replicas" }),
  "kube-prometheus-stack": (v) => {
    const spec = v.prometheus?.prometheusSpec;
    const tpl = spec?.storageSpec?.volumeClaimTemplate;
    if (!tpl) return undefined;
    return {
      data: "the Prometheus CR (its StatefulSet's TSDB volume)",
      claims: { data: "Prometheus TSDB (volumeClaimTemplate)", retention: retention(spec.persistentVolumeClaimRetentionPolicy), storageClass: tpl.spec?.storageClassName },
    };
  },
  loki: (v) => {
    const p = v.singleBinary?.persistence;
    if (!p?.enabled) return undefined;
    // The chart renders the StatefulSet's policy only with enableStatefulSetAutoDeletePVC.
    const policy = p.enableStatefulSetAutoDeletePVC ? { whenDeleted: p.whenDeleted ?? "Delete", whenScaled: p.whenScaled ?? "Delete" } : undefined;
    return { data: "Loki's StatefulSet (chunks and index volume)", claims: { data: "Loki chunks and index (singleBinary persistence)", retention: retention(policy), storageClass: p.storageClass } };
  },
  // MinIO's pool StatefulSets come from its operator, which sets no PVC retention policy (tenant chart 7.1.1).
  "minio-tenant": (v) => ({ data: `the MinIO Tenant ${v.tenant?.name ?? ""} (its pools' volumes)` }),
};

/** What a child process reports of one stack. */
interface StackReport {
  rows: Row[];
  /** Volumes the rows do not account for: a release rendering volumes that {@link DATA_CHARTS} does not know, or mounting a claim that is not listed. */
  unaccounted: string[];
}

/** Where a release's values ask for volumes: persistence, volume claim templates, pools, mounted claims. */
function volumeKeys(v: unknown, path: string[] = [], out: string[] = []): string[] {
  if (v === null || typeof v !== "object") return out;
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const at = [...path, k];
    if ((k === "persistence" && (x as any)?.enabled === true) || k === "storageSpec" || k === "volumeClaimTemplate" || k === "volumeClaimTemplates" || k === "volumesPerServer") {
      out.push(at.join("."));
    }
    if (k === "persistentVolumeClaim" && typeof (x as any)?.claimName === "string") out.push(`claim:${(x as any).claimName}`);
    volumeKeys(x, at, out);
  }
  return out;
}

/** The rows of one stack (run in the child process). */
async function rowsOf(run: ProgramRun): Promise<StackReport> {
  const rows: Row[] = [];
  const unaccounted: string[] = [];
  const platform = (await resolveOutput<{ defaultStorageClass?: string }>(run.exports.platform)).value;
  const openHands = (await resolveOutput<{ enabled: boolean; sandboxNamespace?: string }>(run.exports.openHands)).value;
  const classes = storageClasses(run);
  const defaultClass = platform.defaultStorageClass;
  /** The reclaim policy of a class by name (the default class when unnamed). */
  const reclaimOf = (name: string | undefined) => {
    const n = name ?? defaultClass ?? "";
    const policy = classes.find((c) => c.name === n)?.reclaimPolicy ?? KIND_CLASSES[n] ?? "unknown";
    return `${policy} (${n})`;
  };
  const dataNamespaces = new Set<string>();
  const pulumiRow = (r: Recorded, data: string, guard: Guard, policy = "-"): Row => ({ resource: key(r), data, guard, protect: r.protect, retainOnDelete: r.retainOnDelete, policy });
  /** The generated keys a Secret's values come from: regenerated keys would lock every client out. */
  const generatedKeys = (secret: Recorded): Row[] =>
    secret.inputDeps
      .filter((d) => d.startsWith("random:"))
      .map((d) => {
        const [type, name] = d.split("::");
        return pulumiRow(run.get(type, name), `generated key ${name} (in Secret ${secret.inputs.metadata.name})`, "protect");
      });
  const notPulumi = (resource: string, data: string, guard: Guard, policy: string): Row => ({ resource, data, guard, protect: false, retainOnDelete: false, policy });

  // StorageClasses the platform creates: the fate of every volume provisioned from them.
  for (const c of classes) rows.push(notPulumi(c.resource, `${c.data} ${c.name}`, "reclaim", c.reclaimPolicy));

  // PVCs the program creates.
  for (const r of run.ofType(TYPES.persistentVolumeClaim)) {
    const md = r.inputs.metadata;
    dataNamespaces.add(md.namespace);
    rows.push(pulumiRow(r, `PVC ${md.namespace}/${md.name}`, "protect", reclaimOf(r.inputs.spec?.storageClassName)));
  }

  // Helm releases whose workloads hold data, and the PVCs those workloads create.
  const claims = new Set(run.ofType(TYPES.persistentVolumeClaim).map((r) => `${r.inputs.metadata.namespace}/${r.inputs.metadata.name}`));
  for (const r of run.ofType(TYPES.release)) {
    const d = DATA_CHARTS[r.inputs.name]?.(r.inputs.values ?? {});
    for (const k of volumeKeys(r.inputs.values ?? {})) {
      const claim = k.startsWith("claim:") ? k.slice("claim:".length) : undefined;
      if (claim ? !claims.has(`${r.inputs.namespace}/${claim}`) : !d) unaccounted.push(`${key(r)}: ${k}`);
    }
    if (!d) continue;
    dataNamespaces.add(r.inputs.namespace);
    rows.push(pulumiRow(r, `Helm release ${r.inputs.name}: ${d.data}`, "protect"));
    if (d.claims) {
      rows.push(notPulumi(`${key(r)} values`, `PVCs in ${r.inputs.namespace}: ${d.claims.data}, class ${reclaimOf(d.claims.storageClass)}`, "retention", d.claims.retention));
    }
  }

  // Postgres: the operator makes the Cluster the owner of its PVCs (deleting it deletes them).
  for (const r of run.ofType(TYPES.postgresCluster)) {
    const md = r.inputs.metadata;
    dataNamespaces.add(md.namespace);
    rows.push(pulumiRow(r, `Postgres Cluster ${md.namespace}/${md.name}`, "protect", reclaimOf(r.inputs.spec?.storage?.storageClass)));
    rows.push(notPulumi(`${key(r)} (CloudNativePG)`, `PVCs in ${md.namespace}: ${md.name}'s data, owned by the Cluster`, "reclaim", reclaimOf(r.inputs.spec?.storage?.storageClass)));
  }

  // Model caches: the operator's StatefulSet volumeClaimTemplates follow spec.storage.retainPolicy.
  for (const r of run.ofType(TYPES.ollamaFleet)) {
    const md = r.inputs.metadata;
    const p = r.inputs.spec?.storage?.retainPolicy ?? "Retain";
    dataNamespaces.add(md.namespace);
    rows.push({
      ...pulumiRow(r, `OllamaFleet ${md.namespace}/${md.name}: model caches (operator's volumeClaimTemplates), class ${reclaimOf(r.inputs.spec?.storage?.class)}`, "retention"),
      policy: `${p}/${p}`,
    });
  }

  // Ceph's object gateway: the user, the keys it is given and the buckets it owns.
  for (const user of run.ofType(TYPES.cephObjectStoreUser)) {
    const md = user.inputs.metadata;
    dataNamespaces.add(md.namespace);
    rows.push(pulumiRow(user, `CephObjectStoreUser ${md.namespace}/${md.name} (owns the platform's buckets)`, "protect"));
    const secretNames = new Set<string>((user.inputs.spec?.keys ?? []).flatMap((k: any) => [k.accessKeyRef?.name, k.secretKeyRef?.name]));
    for (const s of run.ofType(TYPES.secret).filter((x) => x.inputs.metadata.namespace === md.namespace && secretNames.has(x.inputs.metadata.name))) {
      rows.push(pulumiRow(s, `Secret ${md.namespace}/${s.inputs.metadata.name}: the user's S3 keys`, "protect"));
      rows.push(...generatedKeys(s));
    }
  }
  for (const r of run.ofType(TYPES.objectBucketClaim)) {
    const md = r.inputs.metadata;
    dataNamespaces.add(md.namespace);
    rows.push(pulumiRow(r, `ObjectBucketClaim ${md.namespace}/${md.name}: bucket ${r.inputs.spec?.bucketName}`, "protect", reclaimOf(r.inputs.spec?.storageClassName)));
  }
  // MinIO: the root credentials the tenant reads.
  for (const t of run.ofType(TYPES.release).filter((r) => r.inputs.name === "minio-tenant")) {
    const name = t.inputs.values?.tenant?.configSecret?.name;
    for (const s of run.ofType(TYPES.secret).filter((x) => x.inputs.metadata.name === name)) {
      rows.push(pulumiRow(s, `Secret ${t.inputs.namespace}/${name}: MinIO's root credentials`, "protect"));
      rows.push(...generatedKeys(s));
    }
  }

  // Sandbox workspaces: PVCs the sandbox runtime creates at run time in the sandbox namespace.
  if (openHands.enabled && openHands.sandboxNamespace) {
    dataNamespaces.add(openHands.sandboxNamespace);
    const config = run.ofType(TYPES.configMap).find((c) => c.inputs.data?.["config.json"]?.includes('"workspace"'));
    const workspace = config ? JSON.parse(config.inputs.data["config.json"]).workspace : undefined;
    rows.push(notPulumi(`sandbox-runtime (${config ? key(config) : "no config"})`, `PVCs in ${openHands.sandboxNamespace}: sandbox workspaces, created at run time`, "reclaim", reclaimOf(workspace?.storageClassName)));
  }

  // The namespaces holding any of it: deleting a namespace deletes every PVC in it.
  for (const ns of run.ofType(TYPES.namespace).filter((n) => dataNamespaces.has(n.inputs.metadata.name))) {
    rows.push(pulumiRow(ns, `Namespace ${ns.inputs.metadata.name}`, "retainOnDelete"));
  }
  return { rows, unaccounted };
}

/** Whether a row's data is kept by the protection it needs. */
function isProtected(r: Row): boolean {
  switch (r.guard) {
    case "protect":
      return r.protect;
    case "retainOnDelete":
      return r.retainOnDelete;
    case "reclaim":
      return r.policy.startsWith("Retain");
    case "retention":
      return r.policy === "Retain/Retain";
  }
}

/** Whether anything at all keeps a row's data: a protection of any kind. */
const anyProtection = (r: Row) => r.protect || r.retainOnDelete || /Retain/.test(r.policy);

/** The rows as the Markdown table the README quotes. */
function table(stack: string, rows: Row[]): string {
  const yes = (b: boolean) => (b ? "yes" : "no");
  return [
    `data-bearing resources of the ${stack} stack`,
    "",
    "| resource | data | protect | retainOnDelete | reclaim / PVC retention | needs | kept |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| \`${r.resource}\` | ${r.data} | ${yes(r.protect)} | ${yes(r.retainOnDelete)} | ${r.policy} | ${r.guard} | ${yes(isProtected(r))} |`),
  ].join("\n");
}

const MARK = "DATA-PROTECTION-ROWS ";

/** Runs a stack in a child process (one Pulumi program per process) and returns its report. */
function stackReport(opts: RunOptions): StackReport {
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, DATA_PROTECTION_RUN: JSON.stringify(opts) },
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith(MARK));
  assert.ok(r.status === 0 && line, `the ${opts.stack} stack did not run (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(line.slice(MARK.length)) as StackReport;
}

/** The stacks, and each with the data layers it leaves off by default. */
const RUNS: Record<string, RunOptions> = {
  dev: { stack: "dev" },
  prod: { stack: "prod", secrets: PROD_SECRETS },
  "dev with MinIO": { stack: "dev", config: { objectStorage: { minio: { enabled: true } } } },
  "prod with Ceph buckets and Longhorn": {
    stack: "prod",
    secrets: PROD_SECRETS,
    config: { objectStorage: { cephRgw: { enabled: true, buckets: ["agent-artifacts"] } }, storage: { longhorn: { enabled: true, default: false } } },
  },
};

const child = process.env.DATA_PROTECTION_RUN;
if (child) {
  runProgram(JSON.parse(child) as RunOptions)
    .then(rowsOf)
    .then(
      (report) => process.stdout.write(`${MARK}${JSON.stringify(report)}\n`),
      (e: Error) => {
        process.stderr.write(`${e.stack ?? e.message}\n`);
        process.exit(1);
      },
    );
} else {
  describe("data protection", () => {
    const rows: Record<string, Row[]> = {};
    const unaccounted: Record<string, string[]> = {};
    before(() => {
      for (const [run, opts] of Object.entries(RUNS)) {
        ({ rows: rows[run], unaccounted: unaccounted[run] } = stackReport(opts));
        console.log(`\n${table(run, rows[run])}\n`);
      }
    });
    const list = (rs: Row[]) => rs.map((r) => `${r.resource} (${r.data}; needs ${r.guard}, has protect=${r.protect} retainOnDelete=${r.retainOnDelete} policy=${r.policy})`);

    it("finds the data of the prod stack: volumes, releases, Postgres, model caches, S3 user and keys, workspaces, their namespaces and classes", () => {
      const have = rows.prod.map((r) => r.resource);
      for (const expected of [
        `${TYPES.release}::storage-rook-cluster`,
        `${TYPES.release}::storage-rook-cluster values`,
        `${TYPES.release}::observability-kube-prometheus-stack`,
        `${TYPES.release}::observability-loki`,
        `${TYPES.persistentVolumeClaim}::observability-jaeger-badger`,
        `${TYPES.persistentVolumeClaim}::openhands-server-data`,
        `${TYPES.postgresCluster}::openhands-postgres`,
        `${TYPES.cephObjectStoreUser}::object-storage-rgw-user`,
        `${TYPES.secret}::object-storage-rgw-keys`,
        "random:index/randomPassword:RandomPassword::object-storage-access-key",
        "random:index/randomPassword:RandomPassword::object-storage-secret-key",
        `${TYPES.namespace}::storage-rook-ns`,
        `${TYPES.namespace}::observability-namespace`,
        `${TYPES.namespace}::ollama-fleets-ns`,
        `${TYPES.namespace}::openhands-ns`,
        `${TYPES.namespace}::openhands-sandbox-ns`,
      ]) {
        assert.ok(have.includes(expected), `prod: ${expected} is not listed; listed: ${have.join(", ")}`);
      }
      assert.equal(rows.prod.filter((r) => r.resource.startsWith(`${TYPES.ollamaFleet}::`)).length, 2, "prod: both fleets' model caches");
      assert.ok(rows.prod.some((r) => r.data.startsWith("PVCs in openhands-sandboxes: sandbox workspaces")), "prod: the sandbox workspaces");
      assert.deepEqual(
        rows.prod.filter((r) => r.guard === "reclaim" && r.data.startsWith("StorageClass")).map((r) => r.data),
        ["StorageClass (Ceph block pool ceph-blockpool) ceph-block", "StorageClass (buckets of object store ceph-objectstore) ceph-bucket"],
      );
    });

    it("finds the data of the dev stack", () => {
      const have = rows.dev.map((r) => r.resource);
      for (const expected of [
        `${TYPES.release}::observability-kube-prometheus-stack`,
        `${TYPES.release}::observability-loki`,
        `${TYPES.persistentVolumeClaim}::openhands-server-data`,
        `${TYPES.namespace}::observability-namespace`,
        `${TYPES.namespace}::ollama-fleets-ns`,
        `${TYPES.namespace}::openhands-ns`,
        `${TYPES.namespace}::openhands-sandbox-ns`,
      ]) {
        assert.ok(have.includes(expected), `dev: ${expected} is not listed; listed: ${have.join(", ")}`);
      }
      assert.equal(rows.dev.filter((r) => r.resource.startsWith(`${TYPES.ollamaFleet}::`)).length, 1, "dev: the fleet's model cache");
    });

    it("accounts for every volume a release asks for", () => {
      for (const run of Object.keys(RUNS)) assert.deepEqual(unaccounted[run], [], `${run}: volumes the table misses (add the chart to DATA_CHARTS)`);
    });

    it("finds the buckets, Longhorn and MinIO where a stack enables them", () => {
      const prod = rows["prod with Ceph buckets and Longhorn"].map((r) => r.data);
      for (const expected of ["ObjectBucketClaim rook-ceph/agent-artifacts: bucket agent-artifacts", "StorageClass (Longhorn volumes) longhorn", "Namespace longhorn-system"]) {
        assert.ok(prod.includes(expected), `prod with buckets and Longhorn: ${expected} is not listed; listed: ${prod.join(", ")}`);
      }
      assert.ok(prod.some((d) => d.startsWith("Helm release longhorn")));
      const dev = rows["dev with MinIO"].map((r) => r.data);
      for (const expected of ["Secret minio-tenant/platform-minio-root: MinIO's root credentials", "Namespace minio-tenant"]) {
        assert.ok(dev.includes(expected), `dev with MinIO: ${expected} is not listed; listed: ${dev.join(", ")}`);
      }
      assert.ok(dev.some((d) => d.startsWith("Helm release minio-tenant")));
    });

    for (const run of ["prod", "prod with Ceph buckets and Longhorn"]) {
      it(`protects every data-bearing resource of ${run}`, () => {
        assert.deepEqual(list(rows[run].filter((r) => !isProtected(r))), [], `${run}: data a destroy, rename or removal would delete`);
      });
    }

    for (const run of ["dev", "dev with MinIO"]) {
      it(`protects nothing in ${run}, so dev:destroy cleans the laptop up`, () => {
        assert.deepEqual(list(rows[run].filter(anyProtection)), [], `${run}: protected data`);
      });
    }
  });
}
