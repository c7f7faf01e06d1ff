import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import type { ClusterLayer, NetworkLayer, StorageLayer } from "../../components/contracts";
import {
  minioConfigEnv,
  ObjectStorage,
  renderBucketClaimSpec,
  renderMinioTenantValues,
  renderRgwUserSpec,
  type MinioSettings,
  type ObjectStorageSettings,
  type S3Credentials,
} from "../../components/object-storage";
import { ConfigError } from "../../config/load";
import { stackConfig } from "../../tools/stack-config";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeNetwork, fakeStorage } from "../helpers/layers";
import { mockPassword, recordResources, resolveOutput, type ProgramRun } from "../helpers/program";


const DEV = stackConfig("dev");
const minio: MinioSettings = { ...DEV.objectStorage.minio, enabled: true, buckets: ["agent-artifacts", "loki-chunks"] };
const minioOnly: ObjectStorageSettings = { minio, cephRgw: { enabled: false, buckets: [] } };
const rgwOnly: ObjectStorageSettings = { minio: { ...minio, enabled: false }, cephRgw: { enabled: true, buckets: ["agent-artifacts", "loki-chunks"] } };

const OBJECT_STORE = { name: "ceph-objectstore", namespace: "rook-ceph", bucketStorageClass: "ceph-bucket", endpoint: "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80" };

function layers(objectStore = false): { cluster: ClusterLayer; network: NetworkLayer; storage: StorageLayer } {
  const cluster = fakeCluster();
  const cni = componentMarker("test:network:Cni")("cni");
  const blocks = componentMarker("test:storage:Blocks")("blocks");
  return {
    cluster,
    network: fakeNetwork([cni]),
    storage: fakeStorage({ ready: [blocks], cephObjectStore: objectStore ? OBJECT_STORE : undefined }),
  };
}

async function build(settings: ObjectStorageSettings, objectStore = false): Promise<{ run: ProgramRun; layer: ObjectStorage }> {
  let layer: ObjectStorage | undefined;
  const run = await recordResources(async () => {
    layer = new ObjectStorage("objects", { ...layers(objectStore), settings });
    return {};
  });
  return { run, layer: layer! };
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A registered input that Pulumi marked secret: its value, and whether it was marked. */
function secretInput(v: any): { secret: boolean; value: any } {
  return v && typeof v === "object" && SECRET_SIG in v ? { secret: true, value: v.value } : { secret: false, value: v };
}

/** Every registered input, as text, with the mocked random results in it if they leaked. */
function releaseText(run: ProgramRun): string {
  return JSON.stringify(run.ofType(TYPES.release).map((r) => r.inputs));
}

describe("MinIO tenant values", () => {
  const cases: [string, Partial<MinioSettings>, string, Record<string, unknown>][] = [
    ["dev's single small volume on the default class", {}, "standard", { servers: 1, volumesPerServer: 1, size: "10Gi", storageClassName: "standard" }],
    ["prod sizing", { servers: 4, volumesPerServer: 4, volumeSize: "100Gi" }, "ceph-block", { servers: 4, volumesPerServer: 4, size: "100Gi", storageClassName: "ceph-block" }],
    ["an explicit class over the default", { storageClass: "fast-ssd" }, "standard", { storageClassName: "fast-ssd" }],
  ];
  for (const [what, change, defaultClass, expected] of cases) {
    it(`renders the pool from config: ${what}`, () => {
      const v = renderMinioTenantValues({ ...minio, ...change }, defaultClass) as any;
      assert.equal(v.tenant.pools.length, 1);
      for (const [k, x] of Object.entries(expected)) assert.equal(v.tenant.pools[0][k], x, k);
      assert.equal(v.tenant.pools[0].containerSecurityContext.runAsNonRoot, true);
    });
  }

  it("points configSecret at the platform's Secret and carries no keys", () => {
    const v = renderMinioTenantValues(minio, "standard") as any;
    assert.deepEqual(v.tenant.configSecret, { name: "platform-minio-root", existingSecret: true, accessKey: "", secretKey: "" });
  });

  it("does not use the removed credsSecret or logging.audit.diskCapacityGB", () => {
    const v = renderMinioTenantValues(minio, "standard") as any;
    assert.equal(v.tenant.credsSecret, undefined);
    assert.equal(v.tenant.logging, undefined);
  });

  it("creates the configured buckets", () => {
    const v = renderMinioTenantValues(minio, "standard") as any;
    assert.deepEqual(v.tenant.buckets, [{ name: "agent-artifacts" }, { name: "loki-chunks" }]);
  });

  it("writes config.env in the form MinIO sources", () => {
    assert.equal(minioConfigEnv("AK", "SK"), 'export MINIO_ROOT_USER="AK"\nexport MINIO_ROOT_PASSWORD="SK"\n');
  });
});

describe("Ceph RGW specs", () => {
  it("gives the platform user keys from the platform's Secret", () => {
    assert.deepEqual(renderRgwUserSpec("ceph-objectstore"), {
      store: "ceph-objectstore",
      displayName: "agent platform",
      keys: [{ accessKeyRef: { name: "platform-rgw-keys", key: "access-key" }, secretKeyRef: { name: "platform-rgw-keys", key: "secret-key" } }],
    });
  });

  it("claims each bucket on ceph-bucket, owned by the platform user", () => {
    assert.deepEqual(renderBucketClaimSpec("loki-chunks", "ceph-bucket"), {
      bucketName: "loki-chunks",
      storageClassName: "ceph-bucket",
      additionalConfig: { bucketOwner: "platform" },
    });
  });
});

describe("ObjectStorage with MinIO", () => {
  it("installs the operator, then the tenant, both pinned", async () => {
    const { run } = await build(minioOnly);
    const operator = run.get(TYPES.release, "objects-operator");
    const tenant = run.get(TYPES.release, "objects-tenant");
    assert.deepEqual([operator.inputs.chart, operator.inputs.version, operator.inputs.namespace], ["operator", CHARTS.minioOperator.version, "minio-operator"]);
    assert.deepEqual([tenant.inputs.chart, tenant.inputs.version, tenant.inputs.namespace], ["tenant", CHARTS.minioTenant.version, "minio-tenant"]);
    assert.ok(run.dependsOn(`${TYPES.release}::objects-tenant`, `${TYPES.release}::objects-operator`));
    assert.ok(run.dependsOn(`${TYPES.release}::objects-operator`, "test:network:Cni::cni"));
  });

  it("waits for the storage layer before the tenant's volumes, not before the operator", async () => {
    const { run } = await build(minioOnly);
    assert.ok(run.dependsOn(`${TYPES.release}::objects-tenant`, "test:storage:Blocks::blocks"));
    assert.equal(run.dependsOn(`${TYPES.release}::objects-operator`, "test:storage:Blocks::blocks"), false);
  });

  it("labels the operator namespace restricted and the tenant namespace baseline", async () => {
    const { run } = await build(minioOnly);
    assert.equal(run.get(TYPES.namespace, "objects-operator-ns").inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    assert.equal(run.get(TYPES.namespace, "objects-tenant-ns").inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
  });

  it("keeps the generated root credentials out of release values and in a Secret the tenant waits for", async () => {
    const { run } = await build(minioOnly);
    const secret = run.get(TYPES.secret, "objects-root");
    assert.equal(secret.inputs.metadata.name, "platform-minio-root");
    const data = secretInput(secret.inputs.stringData);
    assert.equal(data.secret, true);
    assert.match(data.value["config.env"], new RegExp(`^export MINIO_ROOT_USER="${mockPassword("objects-access-key", 20)}"`));
    assert.doesNotMatch(releaseText(run), new RegExp(mockPassword("objects-access-key", 20)));
    assert.doesNotMatch(releaseText(run), /minio123/);
    assert.ok(run.dependsOn(`${TYPES.release}::objects-tenant`, `${TYPES.secret}::objects-root`));
  });

  it("exposes the in-cluster endpoint and secret credentials", async () => {
    const { layer } = await build(minioOnly);
    assert.deepEqual(await resolveOutput(layer.s3Endpoint), { value: "http://minio.minio-tenant.svc:80", secret: false });
    const creds = await resolveOutput<S3Credentials>(layer.credentials);
    assert.equal(creds.secret, true);
    assert.deepEqual(creds.value, { accessKey: mockPassword("objects-access-key", 20), secretKey: mockPassword("objects-secret-key", 40) });
    assert.equal(layer.backend, "minio");
  });
});

describe("ObjectStorage with Ceph RGW", () => {
  it("creates the user after the storage layer and one claim per bucket after the user", async () => {
    const { run } = await build(rgwOnly, true);
    const user = run.get(TYPES.cephObjectStoreUser, "objects-rgw-user");
    assert.equal(user.inputs.metadata.namespace, "rook-ceph");
    assert.equal(user.inputs.metadata.annotations["pulumi.com/waitFor"], "jsonpath={.status.phase}=Ready");
    assert.ok(run.dependsOn(`${TYPES.cephObjectStoreUser}::objects-rgw-user`, "test:storage:Blocks::blocks"));
    const claims = run.ofType(TYPES.objectBucketClaim);
    assert.deepEqual(claims.map((c) => [c.inputs.metadata.name, c.inputs.spec.storageClassName]), [
      ["agent-artifacts", "ceph-bucket"],
      ["loki-chunks", "ceph-bucket"],
    ]);
    for (const c of claims) assert.ok(run.dependsOn(`${TYPES.objectBucketClaim}::${c.name}`, `${TYPES.cephObjectStoreUser}::objects-rgw-user`));
    assert.equal(run.ofType(TYPES.release).length, 0);
  });

  it("stores the generated keys only in the Secret Rook reads, and exposes them as a secret", async () => {
    const { run, layer } = await build(rgwOnly, true);
    const keys = run.get(TYPES.secret, "objects-rgw-keys");
    assert.equal(keys.inputs.metadata.namespace, "rook-ceph");
    const data = secretInput(keys.inputs.stringData);
    assert.equal(data.secret, true);
    assert.deepEqual(data.value, { "access-key": mockPassword("objects-access-key", 20), "secret-key": mockPassword("objects-secret-key", 40) });
    assert.doesNotMatch(JSON.stringify(run.ofType(TYPES.cephObjectStoreUser).concat(run.ofType(TYPES.objectBucketClaim)).map((r) => r.inputs)), new RegExp(mockPassword("objects-access-key", 20)));
    assert.deepEqual(await resolveOutput(layer.s3Endpoint), { value: "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80", secret: false });
    assert.equal((await resolveOutput(layer.credentials)).secret, true);
  });

  it("refuses RGW when the storage layer renders no object store", async () => {
    let error: unknown;
    await recordResources(async () => {
      try {
        new ObjectStorage("objects", { ...layers(false), settings: rgwOnly });
      } catch (e) {
        error = e;
      }
      return {};
    });
    assert.equal(
      (error as Error).message,
      "ObjectStorage args.storage.cephObjectStore: missing, but args.settings.cephRgw.enabled is true; build Storage with Rook-Ceph and objectStore: true",
    );
  });
});

describe("MinIO volume size rule", () => {
  function problems(volumeSize: string): string[] {
    try {
      stackConfig("dev", { objectStorage: { minio: { enabled: true, volumeSize } } });
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems;
    }
  }

  for (const ok of ["100Gi", "10Gi", "102400Mi", "0.09765625Ti"]) {
    it(`accepts ${ok}, within the 100Gi PVC quota`, () => assert.deepEqual(problems(ok), []));
  }

  for (const bad of ["1Ti", "101Gi", "200G"]) {
    it(`rejects ${bad}, naming the PVC quota policy`, () => {
      assert.deepEqual(problems(bad), [
        `platform:objectStorage.minio.volumeSize: "${bad}" exceeds the PVC quota of namespace minio-tenant (100Gi, platform:policy.pvcQuota; each MinIO volume is one PVC); use at most 100Gi and add servers or volumesPerServer for capacity, or set platform:policy.pvcQuotaExceptions.minio-tenant`,
      ]);
    });
  }

  it("keeps both profiles' MinIO volumes within the quota", () => {
    assert.deepEqual(problems(DEV.objectStorage.minio.volumeSize), []);
    assert.equal(DEV.objectStorage.minio.volumeSize, "10Gi");
  });
});
