import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../components/catalog";
import type { ClusterLayer, NetworkLayer } from "../../components/contracts";
import {
  CEPH_BLOCK_CLASS,
  defaultStorageClass,
  renderCephCsiDriversValues,
  renderLonghornValues,
  renderRookClusterValues,
  renderRookOperatorValues,
  Storage,
  type StorageSettings,
} from "../../components/storage";
import { stackConfig } from "../../tools/stack-config";
import { TYPES } from "../../tools/types";
import { componentMarker, fakeCluster, fakeNetwork } from "../helpers/layers";
import { recordResources } from "../helpers/program";


const PROD = stackConfig("prod");
const DEV = stackConfig("dev");

const rook: StorageSettings["rookCeph"] = PROD.storage.rookCeph;
const off = { enabled: false, default: false };
const longhornOnly: StorageSettings = {
  ...PROD.storage,
  rookCeph: { ...rook, ...off },
  longhorn: { ...PROD.storage.longhorn, enabled: true, default: true },
};

function fakeLayers(): { cluster: ClusterLayer; network: NetworkLayer } {
  return { cluster: fakeCluster(), network: fakeNetwork([componentMarker("test:network:Cni")("cni")]) };
}

describe("default StorageClass", () => {
  const cases: [string, StorageSettings, string][] = [
    ["kind's local-path class on dev", DEV.storage, "standard"],
    ["Rook's block class on prod", PROD.storage, "ceph-block"],
    ["Longhorn's class when Longhorn is the default", longhornOnly, "longhorn"],
    ["the default one when two providers run", { ...PROD.storage, longhorn: { ...PROD.storage.longhorn, enabled: true, default: false } }, "ceph-block"],
  ];
  for (const [what, settings, expected] of cases) {
    it(`is ${what}`, () => assert.deepEqual(defaultStorageClass(settings), { storageClass: expected }));
  }

  it("refuses two defaults, naming both", () => {
    const both = { ...PROD.storage, longhorn: { ...PROD.storage.longhorn, enabled: true, default: true } };
    assert.deepEqual(defaultStorageClass(both), {
      error: "Storage args.settings: rookCeph and longhorn are the default StorageClass; exactly one of rookCeph, longhorn must set default: true",
    });
  });

  it("refuses enabled providers with no default", () => {
    assert.deepEqual(defaultStorageClass({ ...PROD.storage, rookCeph: { ...rook, default: false } }), {
      error: "Storage args.settings: no enabled provider is the default StorageClass; exactly one of rookCeph must set default: true",
    });
  });
});

describe("Rook-Ceph values", () => {
  const v = renderRookClusterValues(rook, { objectStore: false, operatorNamespace: "rook-ceph" }) as any;

  it("installs the operator with its CRDs", () => {
    assert.deepEqual(renderRookOperatorValues({ objectStore: false }), { crds: { enabled: true } });
  });

  it("renders the design's CephCluster settings from config", () => {
    const spec = v.cephClusterSpec;
    assert.equal(spec.dataDirHostPath, "/var/lib/rook");
    assert.equal(spec.mon.count, 3);
    assert.equal(spec.dashboard.enabled, true);
    assert.equal(spec.storage.useAllNodes, true);
    assert.equal(spec.storage.useAllDevices, true);
    assert.equal(spec.storage.config.osdsPerDevice, "1");
    assert.deepEqual(spec.storage.store, { type: "bluestore" });
  });

  it("does not use the removed storeType and journalSizeMB OSD settings", () => {
    assert.equal(v.cephClusterSpec.storage.config.storeType, undefined);
    assert.equal(v.cephClusterSpec.storage.config.journalSizeMB, undefined);
  });

  it("passes config changes through (mons, devices, OSDs per device, dashboard)", () => {
    const c = renderRookClusterValues({ ...rook, mons: 5, useAllDevices: false, osdsPerDevice: 2, dashboard: false }, { objectStore: false, operatorNamespace: "rook-ceph" }) as any;
    assert.equal(c.cephClusterSpec.mon.count, 5);
    assert.equal(c.cephClusterSpec.storage.useAllDevices, false);
    assert.equal(c.cephClusterSpec.storage.config.osdsPerDevice, "2");
    assert.equal(c.cephClusterSpec.dashboard.enabled, false);
  });

  it("never wipes hosts or disks on uninstall", () => {
    assert.equal(v.cephClusterSpec.cleanupPolicy.confirmation, "");
    assert.equal(v.cephClusterSpec.cleanupPolicy.allowUninstallWithVolumes, false);
  });

  for (const isDefault of [true, false]) {
    it(`names the block StorageClass ceph-block with isDefault ${isDefault} from config`, () => {
      const c = renderRookClusterValues({ ...rook, default: isDefault }, { objectStore: false, operatorNamespace: "rook-ceph" }) as any;
      assert.equal(c.cephBlockPools.length, 1);
      assert.equal(c.cephBlockPools[0].storageClass.name, CEPH_BLOCK_CLASS);
      assert.equal(c.cephBlockPools[0].storageClass.isDefault, isDefault);
      // The list replaces the chart's: the CSI secret parameters must be restated.
      assert.equal(c.cephBlockPools[0].storageClass.parameters["csi.storage.k8s.io/node-stage-secret-name"], "rook-csi-rbd-node");
    });
  }

  it("renders an object store with the ceph-bucket class only when asked", () => {
    assert.deepEqual(v.cephObjectStores, []);
    const c = renderRookClusterValues(rook, { objectStore: true, operatorNamespace: "rook-ceph" }) as any;
    assert.equal(c.cephObjectStores.length, 1);
    assert.equal(c.cephObjectStores[0].name, "ceph-objectstore");
    assert.equal(c.cephObjectStores[0].storageClass.name, "ceph-bucket");
    assert.equal(c.cephObjectStores[0].spec.preservePoolsOnDelete, true);
    assert.equal(renderRookOperatorValues({ objectStore: true }).obcAllowAdditionalConfigFields, "maxObjects,maxSize,bucketOwner");
  });
});

describe("Ceph CSI drivers values", () => {
  const v = renderCephCsiDriversValues("rook-ceph") as any;

  it("names the RBD driver after the operator namespace, the provisioner of ceph-block", () => {
    assert.deepEqual(v.drivers.rbd, { enabled: true, name: "rook-ceph.rbd.csi.ceph.com" });
    // The cluster chart's class takes `<csiDriverNamePrefix or operatorNamespace>.rbd.csi.ceph.com` (templates/cephblockpool.yaml).
    const cluster = renderRookClusterValues(rook, { objectStore: false, operatorNamespace: "rook-ceph" }) as any;
    assert.equal(cluster.operatorNamespace, "rook-ceph");
    assert.equal(cluster.csiDriverNamePrefix, undefined);
  });

  it("turns off the drivers the platform has nothing for, which the chart enables by default", () => {
    for (const d of ["cephfs", "nfs", "nvmeof"]) assert.equal(v.drivers[d].enabled, false, d);
  });

  it("points the CSI operator's config at its namespace and the image set the rook-ceph chart renders", () => {
    assert.equal(v.operatorConfig.namespace, "rook-ceph");
    assert.equal(v.operatorConfig.driverSpecDefaults.imageSet.name, "rook-csi-operator-image-set-configmap");
  });
});

describe("Longhorn values", () => {
  for (const [replicas, isDefault] of [
    [3, true],
    [2, false],
  ] as const) {
    it(`sets ${replicas} replicas and defaultClass ${isDefault} from config, and lets destroy uninstall`, () => {
      const v = renderLonghornValues({ enabled: true, default: isDefault, replicas, values: {} }) as any;
      assert.equal(v.defaultSettings.deletingConfirmationFlag, true);
      assert.equal(v.persistence.defaultClass, isDefault);
      assert.equal(v.persistence.defaultClassReplicaCount, replicas);
      assert.deepEqual(v.defaultSettings.defaultReplicaCount, { v1: String(replicas), v2: String(replicas) });
    });
  }
});

describe("Storage component", () => {
  it("uses kind's standard class on dev and installs nothing", async () => {
    let storage: Storage | undefined;
    const run = await recordResources(async () => {
      storage = new Storage("storage", { ...fakeLayers(), settings: DEV.storage });
      return {};
    });
    assert.equal(storage!.defaultStorageClass, "standard");
    assert.deepEqual(storage!.ready, []);
    assert.equal(run.ofType(TYPES.release).length, 0);
  });

  it("installs the Rook operator, then the cluster, after the CNI, in a privileged namespace", async () => {
    const run = await recordResources(async () => {
      new Storage("storage", { ...fakeLayers(), settings: PROD.storage, protectData: true });
      return {};
    });
    const operator = run.get(TYPES.release, "storage-rook-operator");
    const cluster = run.get(TYPES.release, "storage-rook-cluster");
    assert.deepEqual([operator.inputs.chart, operator.inputs.version], [CHARTS.rookCeph.chart, CHARTS.rookCeph.version]);
    assert.deepEqual([cluster.inputs.chart, cluster.inputs.version], [CHARTS.rookCephCluster.chart, CHARTS.rookCephCluster.version]);
    assert.equal(cluster.inputs.namespace, "rook-ceph");
    assert.ok(run.dependsOn(`${TYPES.release}::storage-rook-cluster`, `${TYPES.release}::storage-rook-operator`));
    // The CSI drivers' CRs need the operator's CRDs, and come before the cluster (Rook's Helm order).
    const drivers = run.get(TYPES.release, "storage-ceph-csi-drivers");
    assert.deepEqual([drivers.inputs.chart, drivers.inputs.version, drivers.inputs.namespace], [CHARTS.cephCsiDrivers.chart, CHARTS.cephCsiDrivers.version, "rook-ceph"]);
    assert.ok(run.dependsOn(`${TYPES.release}::storage-ceph-csi-drivers`, `${TYPES.release}::storage-rook-operator`));
    assert.ok(run.dependsOn(`${TYPES.release}::storage-rook-cluster`, `${TYPES.release}::storage-ceph-csi-drivers`));
    assert.ok(run.dependsOn(`${TYPES.release}::storage-rook-operator`, "test:network:Cni::cni"));
    assert.equal(run.dependsOn(`${TYPES.release}::storage-rook-operator`, `${TYPES.release}::storage-rook-cluster`), false);
    const ns = run.get(TYPES.namespace, "storage-rook-ns");
    assert.equal(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
    assert.equal(cluster.inputs.values.cephClusterSpec.storage.store.type, "bluestore");
  });

  for (const protectData of [true, false]) {
    it(`${protectData ? "protects" : "does not protect"} the releases that hold data when protectData is ${protectData}`, async () => {
      const protectedNames: string[] = [];
      const both = { ...PROD.storage, longhorn: { ...PROD.storage.longhorn, enabled: true, default: false } };
      await recordResources(async () => {
        pulumi.runtime.registerStackTransformation((a) => {
          if (a.opts.protect) protectedNames.push(a.name);
          return undefined;
        });
        new Storage("storage", { ...fakeLayers(), settings: both, protectData });
        return {};
      });
      assert.deepEqual(protectedNames.sort(), protectData ? ["storage-longhorn", "storage-rook-cluster"] : []);
    });
  }

  it("exposes ceph-block as the default class and the cluster release as ready", async () => {
    let storage: Storage | undefined;
    await recordResources(async () => {
      storage = new Storage("storage", { ...fakeLayers(), settings: PROD.storage });
      return {};
    });
    assert.equal(storage!.defaultStorageClass, "ceph-block");
    assert.equal(storage!.ready.length, 1);
    assert.equal(storage!.cephObjectStore, undefined);
  });

  it("renders the object store and tells the object-storage layer where it is", async () => {
    let storage: Storage | undefined;
    const run = await recordResources(async () => {
      storage = new Storage("storage", { ...fakeLayers(), settings: PROD.storage, objectStore: true });
      return {};
    });
    assert.deepEqual(storage!.cephObjectStore, {
      name: "ceph-objectstore",
      namespace: "rook-ceph",
      bucketStorageClass: "ceph-bucket",
      endpoint: "http://rook-ceph-rgw-ceph-objectstore.rook-ceph.svc:80",
    });
    assert.equal(run.get(TYPES.release, "storage-rook-cluster").inputs.values.cephObjectStores[0].name, "ceph-objectstore");
  });

  it("merges the stack's clusterValues into the cluster release only", async () => {
    const settings = { ...PROD.storage, rookCeph: { ...rook, clusterValues: { toolbox: { enabled: true } }, values: { logLevel: "DEBUG" } } };
    const run = await recordResources(async () => {
      new Storage("storage", { ...fakeLayers(), settings });
      return {};
    });
    assert.equal(run.get(TYPES.release, "storage-rook-cluster").inputs.values.toolbox.enabled, true);
    assert.equal(run.get(TYPES.release, "storage-rook-cluster").inputs.values.logLevel, undefined);
    assert.equal(run.get(TYPES.release, "storage-rook-operator").inputs.values.logLevel, "DEBUG");
  });

  it("installs Longhorn after the CNI with its class as the default", async () => {
    let storage: Storage | undefined;
    const run = await recordResources(async () => {
      storage = new Storage("storage", { ...fakeLayers(), settings: longhornOnly });
      return {};
    });
    const release = run.get(TYPES.release, "storage-longhorn");
    assert.deepEqual([release.inputs.chart, release.inputs.version, release.inputs.namespace], [CHARTS.longhorn.chart, CHARTS.longhorn.version, "longhorn-system"]);
    assert.ok(run.dependsOn(`${TYPES.release}::storage-longhorn`, "test:network:Cni::cni"));
    assert.equal(storage!.defaultStorageClass, "longhorn");
    assert.equal(run.ofType(TYPES.release).length, 1);
  });

  it("refuses an object store without Rook-Ceph", async () => {
    let error: unknown;
    await recordResources(async () => {
      try {
        new Storage("storage", { ...fakeLayers(), settings: DEV.storage, objectStore: true });
      } catch (e) {
        error = e;
      }
      return {};
    });
    assert.ok(error instanceof pulumi.ResourceError);
    assert.equal((error as Error).message, "Storage args.objectStore: true, but args.settings.rookCeph.enabled is false; the object store (RGW) runs in the Ceph cluster");
  });
});
