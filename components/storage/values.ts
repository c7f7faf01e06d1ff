import type { Values } from "../../lib/merge";
import type { NamespaceIngress } from "../namespace-ingress";

/*
 * Pure renderers of the storage charts' values, checked against the pinned charts'
 * values.yaml (rook-ceph and rook-ceph-cluster v1.20.6, longhorn 1.12.1). Helm replaces
 * lists instead of merging them, so the lists rendered here (block pools, object stores,
 * file systems) are complete entries, not patches of the chart's defaults.
 */

/** StorageClass of kind's built-in local-path provisioner. */
export const LOCAL_PATH_CLASS = "standard";
/** StorageClass of the Rook-Ceph block pool (named explicitly: the raw examples say `rook-ceph-block`). */
export const CEPH_BLOCK_CLASS = "ceph-block";
/** StorageClass of Longhorn's default class (fixed by the chart). */
export const LONGHORN_CLASS = "longhorn";
/** The Ceph object store (RGW) the cluster chart renders when asked for one. */
export const CEPH_OBJECT_STORE = "ceph-objectstore";
/** StorageClass through which ObjectBucketClaims get buckets of {@link CEPH_OBJECT_STORE}. */
export const CEPH_BUCKET_CLASS = "ceph-bucket";

/** Storage settings, as validated config gives them. */
export interface StorageSettings {
  localPath: { enabled: boolean; default: boolean };
  rookCeph: {
    enabled: boolean;
    default: boolean;
    dataDirHostPath: string;
    mons: number;
    dashboard: boolean;
    useAllNodes: boolean;
    useAllDevices: boolean;
    osdsPerDevice: number;
    values: Values;
    clusterValues: Values;
    csiDriversValues: Values;
  };
  longhorn: { enabled: boolean; default: boolean; replicas: number; values: Values };
}

type Provider = "localPath" | "rookCeph" | "longhorn";

const CLASS_OF: Record<Provider, string> = {
  localPath: LOCAL_PATH_CLASS,
  rookCeph: CEPH_BLOCK_CLASS,
  longhorn: LONGHORN_CLASS,
};

/**
 * The one default StorageClass among the enabled providers. Two default classes make
 * Kubernetes pick the newest one for PVCs without a class, so "exactly one" is asserted
 * here as well as in config. Returns the class or an error message naming the keys.
 */
export function defaultStorageClass(s: StorageSettings): { storageClass: string } | { error: string } {
  const providers = (Object.keys(CLASS_OF) as Provider[]).filter((p) => s[p].enabled);
  const defaults = providers.filter((p) => s[p].default);
  if (providers.length === 0) {
    return { error: `Storage args.settings: nothing enabled; enable one of localPath, rookCeph, longhorn` };
  }
  if (defaults.length !== 1) {
    return {
      error: `Storage args.settings: ${defaults.length === 0 ? "no enabled provider is" : `${defaults.join(" and ")} are`} the default StorageClass; exactly one of ${providers.join(", ")} must set default: true`,
    };
  }
  return { storageClass: CLASS_OF[defaults[0]] };
}

/** Defaults of the Rook operator chart. */
const ROOK_OPERATOR_DEFAULTS: Values = {
  // The operator chart owns the Ceph CRDs (kept on uninstall by the chart's resource policy).
  crds: { enabled: true },
};

/** Values of the `rook-ceph` (operator) chart. */
export function renderRookOperatorValues(opts: { objectStore: boolean }): Values {
  return {
    ...ROOK_OPERATOR_DEFAULTS,
    // bucketOwner lets each ObjectBucketClaim hand its bucket to the platform's RGW user, so
    // one key pair reaches every platform bucket. The chart allows only maxObjects,maxSize.
    ...(opts.objectStore ? { obcAllowAdditionalConfigFields: "maxObjects,maxSize,bucketOwner" } : {}),
  };
}

/**
 * What happens to a volume (or a bucket) when its claim is deleted: `Retain` keeps it
 * (Released, for an administrator to reclaim or delete), `Delete` removes it with the claim.
 */
export type ReclaimPolicy = "Retain" | "Delete";

/** The reclaim policy of the StorageClasses the platform creates: Retain where data is protected (prod). */
export function reclaimPolicyFor(protectData: boolean): ReclaimPolicy {
  return protectData ? "Retain" : "Delete";
}

/**
 * Values for ceph-csi-drivers 1.0.4 (the chart's defaults do not work with Rook: Rook's
 * deploy/charts/ceph-csi-drivers/values.yaml at v1.20.6 is the model). The OperatorConfig in
 * the operator's namespace points at the image set the rook-ceph chart renders; the RBD driver
 * is named `<operator namespace>.rbd.csi.ceph.com`, the provisioner of the cluster chart's
 * `ceph-block` class. CephFS, NFS and NVMe-oF drivers are off: the platform has no CephFS
 * file system or NFS export (`cephFileSystems: []`). Rook creates the CephConnection and
 * ClientProfile itself.
 */
export function renderCephCsiDriversValues(operatorNamespace: string): Values {
  const driver = (kind: string, enabled: boolean) => ({ enabled, name: `${operatorNamespace}.${kind}.csi.ceph.com` });
  return {
    operatorConfig: {
      namespace: operatorNamespace,
      driverSpecDefaults: {
        imageSet: { name: ROOK_CSI_IMAGE_SET },
        nodePlugin: { priorityClassName: "system-node-critical" },
        controllerPlugin: { priorityClassName: "system-cluster-critical" },
      },
    },
    drivers: { rbd: driver("rbd", true), cephfs: driver("cephfs", false), nfs: driver("nfs", false), nvmeof: driver("nvmeof", false) },
  };
}

/** The ConfigMap of CSI images the rook-ceph chart renders (templates/configmap.yaml, v1.20.6). */
export const ROOK_CSI_IMAGE_SET = "rook-csi-operator-image-set-configmap";

/** Options of {@link renderRookClusterValues}. */
export interface RookClusterOptions {
  /** Render a CephObjectStore (RGW) and its `ceph-bucket` StorageClass. */
  objectStore: boolean;
  /** Namespace of the operator (the chart's `operatorNamespace`). */
  operatorNamespace: string;
  /**
   * Reclaim policy of the `ceph-block` and `ceph-bucket` classes. Defaults to Delete.
   * Kubernetes refuses to change a StorageClass's reclaimPolicy in place, and a class's
   * policy applies only to volumes provisioned after it: see README, "Order and teardown".
   */
  reclaimPolicy?: ReclaimPolicy;
}

/** Values of the `rook-ceph-cluster` chart: the CephCluster, its block pool and optional object store. */
export function renderRookClusterValues(s: StorageSettings["rookCeph"], opts: RookClusterOptions): Values {
  const reclaimPolicy = opts.reclaimPolicy ?? "Delete";
  return {
    operatorNamespace: opts.operatorNamespace,
    toolbox: { enabled: false },
    cephClusterSpec: {
      dataDirHostPath: s.dataDirHostPath,
      mon: { count: s.mons, allowMultiplePerNode: false },
      dashboard: { enabled: s.dashboard, ssl: true },
      storage: {
        useAllNodes: s.useAllNodes,
        useAllDevices: s.useAllDevices,
        // OSD config values are strings in the CephCluster API.
        config: { osdsPerDevice: String(s.osdsPerDevice) },
        // `storage.config.storeType` and `journalSizeMB` are gone; the store is chosen here.
        store: { type: "bluestore" },
      },
      // Uninstalling never wipes hosts or disks: an empty confirmation keeps the data on
      // dataDirHostPath and the OSD devices, and deletion waits while PVs still exist.
      cleanupPolicy: {
        confirmation: "",
        allowUninstallWithVolumes: false,
        sanitizeDisks: { method: "quick", dataSource: "zero", iteration: 1 },
      },
    },
    cephBlockPools: [
      {
        name: "ceph-blockpool",
        spec: { failureDomain: "host", replicated: { size: 3 } },
        storageClass: {
          enabled: true,
          name: CEPH_BLOCK_CLASS,
          isDefault: s.default,
          reclaimPolicy,
          allowVolumeExpansion: true,
          volumeBindingMode: "Immediate",
          parameters: {
            imageFormat: "2",
            imageFeatures: "layering",
            "csi.storage.k8s.io/provisioner-secret-name": "rook-csi-rbd-provisioner",
            "csi.storage.k8s.io/provisioner-secret-namespace": "{{ .Release.Namespace }}",
            "csi.storage.k8s.io/controller-expand-secret-name": "rook-csi-rbd-provisioner",
            "csi.storage.k8s.io/controller-expand-secret-namespace": "{{ .Release.Namespace }}",
            "csi.storage.k8s.io/controller-publish-secret-name": "rook-csi-rbd-provisioner",
            "csi.storage.k8s.io/controller-publish-secret-namespace": "{{ .Release.Namespace }}",
            "csi.storage.k8s.io/node-stage-secret-name": "rook-csi-rbd-node",
            "csi.storage.k8s.io/node-stage-secret-namespace": "{{ .Release.Namespace }}",
            "csi.storage.k8s.io/fstype": "ext4",
          },
        },
      },
    ],
    // The platform needs block volumes only; a CephFS (and its MDS daemons) is opt-in
    // through `clusterValues`.
    cephFileSystems: [],
    cephObjectStores: opts.objectStore ? [cephObjectStore(reclaimPolicy)] : [],
  };
}

/** The object store; the bucket class's policy is what Rook does with a bucket whose claim is deleted (Retain: keep it). */
function cephObjectStore(reclaimPolicy: ReclaimPolicy): Values {
  return {
    name: CEPH_OBJECT_STORE,
    spec: {
      metadataPool: { failureDomain: "host", replicated: { size: 3 } },
      dataPool: { failureDomain: "host", erasureCoded: { dataChunks: 2, codingChunks: 1 }, parameters: { bulk: "true" } },
      // Deleting the store object leaves its pools (and the objects in them) in Ceph.
      preservePoolsOnDelete: true,
      gateway: {
        port: 80,
        instances: 1,
        priorityClassName: "system-cluster-critical",
        resources: { requests: { cpu: "1000m", memory: "1Gi" }, limits: { memory: "2Gi" } },
      },
    },
    storageClass: {
      enabled: true,
      name: CEPH_BUCKET_CLASS,
      reclaimPolicy,
      volumeBindingMode: "Immediate",
      parameters: { region: "us-east-1" },
    },
    ingress: { enabled: false },
  };
}

/** Values of the `longhorn` chart; `reclaimPolicy` is the `longhorn` class's (defaults to Delete). */
export function renderLonghornValues(s: StorageSettings["longhorn"], opts: { reclaimPolicy?: ReclaimPolicy } = {}): Values {
  const replicas = String(s.replicas);
  return {
    persistence: {
      defaultClass: s.default,
      defaultClassReplicaCount: s.replicas,
      reclaimPolicy: opts.reclaimPolicy ?? "Delete",
    },
    defaultSettings: {
      // Without the flag Longhorn's uninstall job refuses to run and `pulumi destroy` hangs.
      deletingConfirmationFlag: true,
      // Since 1.8 the setting is per data engine.
      defaultReplicaCount: { v1: replicas, v2: replicas },
    },
  };
}

/**
 * Who reaches Rook's namespace (v1.20, pod network): Ceph's clients are the CSI node plugins
 * and the kernel on each node (host network) and RGW's users in any namespace, so the Ceph
 * daemons' own ports are open to every source: the monitors (msgr2 3300, msgr1 6789), the
 * OSDs and the manager (Ceph's daemon range 6800-7300) and RGW (8080 in the pod, behind its
 * Service's 80). The dashboard (8443) and metrics (9283, 9926) are for the namespace and
 * Prometheus only.
 */
export const ROOK_INGRESS: NamespaceIngress = {
  flows: [
    {
      name: "ceph-daemons",
      to: { matchExpressions: [{ key: "app", operator: "In", values: ["rook-ceph-mon", "rook-ceph-osd", "rook-ceph-mgr"] }] },
      from: "any",
      ports: [
        { protocol: "TCP", port: 3300 },
        { protocol: "TCP", port: 6789 },
        { protocol: "TCP", port: 6800, endPort: 7300 },
      ],
      why: "Ceph's clients (the CSI node plugins and each node's kernel) talk to the monitors, OSDs and manager.",
    },
    {
      name: "rgw",
      to: { matchLabels: { app: "rook-ceph-rgw" } },
      from: "any",
      ports: [{ protocol: "TCP", port: 8080 }],
      why: "Buckets' users call the object store's S3 API.",
    },
  ],
};

/**
 * Who reaches Longhorn's namespace (1.12): longhorn-manager serves the Longhorn API (9500,
 * called by the CSI plugin and the UI), the conversion and admission webhooks (9501, 9502,
 * called by the API server) and the recovery backend (9503); engines, replicas and instance
 * managers talk within the namespace, and each node's iSCSI initiator is the host.
 */
export const LONGHORN_INGRESS: NamespaceIngress = {
  flows: [
    {
      name: "manager",
      to: { matchLabels: { app: "longhorn-manager" } },
      from: "any",
      ports: [{ protocol: "TCP", port: 9500, endPort: 9503 }],
      why: "The API server calls longhorn-manager's webhooks; its API serves the CSI plugin.",
    },
  ],
};
