import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../catalog";
import type { CephObjectStoreRef, ClusterLayer, NetworkLayer, StorageLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import {
  CEPH_BUCKET_CLASS,
  CEPH_OBJECT_STORE,
  defaultStorageClass,
  renderLonghornValues,
  renderRookClusterValues,
  renderRookOperatorValues,
  reclaimPolicyFor,
  type StorageSettings,
  LONGHORN_INGRESS,
  renderCephCsiDriversValues,
  ROOK_INGRESS,
} from "./values";

export * from "./values";

/** Arguments of {@link Storage}. */
export interface StorageArgs {
  cluster: ClusterLayer;
  /** Storage daemons are pods: they wait for the CNI. */
  network: NetworkLayer;
  settings: StorageSettings;
  /** Render a Ceph object store (RGW) in the Rook cluster, for `objectStorage.cephRgw`. Defaults to false. */
  objectStore?: boolean;
  /**
   * Keep the data (prod). Defaults to false (dev: a destroy
   * removes everything). When set: the releases that hold data (Rook's CephCluster,
   * Longhorn) are `protect`ed, so `pulumi destroy` fails instead of removing them; their
   * namespaces are `retainOnDelete`, so nothing deletes them and the objects in them; and
   * the StorageClasses this layer creates (`ceph-block`, `ceph-bucket`, `longhorn`) reclaim
   * with `Retain`, so a deleted claim leaves its volume or bucket behind.
   */
  protectData?: boolean;
}

/**
 * Block storage with exactly one default StorageClass: kind's local-path class `standard`
 * (no chart), Rook-Ceph (operator, then the cluster chart) or Longhorn.
 *
 * Teardown: the Rook cluster release depends on the operator release, and Pulumi deletes
 * in reverse dependency order, so on destroy the CephCluster goes first while the operator
 * is still running to process its finalizers; the other way round the CephCluster would
 * keep its finalizer forever and the namespace would hang in Terminating.
 *
 * Data in prod: `protectData` sets `protect` (not `retainOnDelete`) on the cluster release
 * and on Longhorn. `retainOnDelete` would let a destroy "succeed", drop the release from
 * the state and then delete the operator under a still-running CephCluster; `protect`
 * stops the destroy before anything is deleted, and removing storage becomes a deliberate
 * `pulumi state unprotect`. The cluster's cleanupPolicy never wipes hosts or disks. The
 * namespaces get `retainOnDelete` instead (deleting a namespace deletes every object in
 * it, the CephCluster and Longhorn's volumes included; a rename must not block on them),
 * and the classes reclaim with Retain.
 */
export class Storage extends pulumi.ComponentResource implements StorageLayer {
  /** Name of the default StorageClass. */
  public readonly defaultStorageClass: string;
  /** The provisioners' releases; empty for local-path (kind ships it). */
  public readonly ready: pulumi.Resource[];
  /** The Ceph object store, when `objectStore` is set; undefined otherwise. */
  public readonly cephObjectStore?: CephObjectStoreRef;

  constructor(name: string, args: StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:storage:Storage", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const s = args.settings;
    const protect = args.protectData ?? false;
    const reclaimPolicy = reclaimPolicyFor(protect);
    const objectStore = args.objectStore ?? false;

    const chosen = defaultStorageClass(s);
    if ("error" in chosen) throw new pulumi.ResourceError(chosen.error, this);
    if (objectStore && !s.rookCeph.enabled) {
      throw new pulumi.ResourceError(`Storage args.objectStore: true, but args.settings.rookCeph.enabled is false; the object store (RGW) runs in the Ceph cluster`, this);
    }
    this.defaultStorageClass = chosen.storageClass;
    const ready: pulumi.Resource[] = [];

    if (s.rookCeph.enabled) {
      const pin = CHARTS.rookCeph;
      // Ceph daemons and the CSI plugins run privileged with host paths and devices.
      const ns = platformNamespace(`${name}-rook-ns`, { name: pin.namespace, podSecurity: "privileged", ingress: ROOK_INGRESS }, this, { retainOnDelete: protect });
      const operator = platformRelease(
        `${name}-rook-operator`,
        { pin, releaseName: "rook-ceph", namespace: ns, values: renderRookOperatorValues({ objectStore }), overrides: s.rookCeph.values, dependsOn: args.network.ready },
        { parent: this },
      );
      // The CSI drivers' CRs (the CRDs and the CSI operator come with rook-ceph); without them
      // no ceph-block volume is provisioned or mounted.
      const drivers = platformRelease(
        `${name}-ceph-csi-drivers`,
        { pin: CHARTS.cephCsiDrivers, releaseName: "ceph-csi-drivers", namespace: ns, values: renderCephCsiDriversValues(pin.namespace), overrides: s.rookCeph.csiDriversValues, dependsOn: [operator] },
        { parent: this },
      );
      const cluster = platformRelease(
        `${name}-rook-cluster`,
        {
          pin: CHARTS.rookCephCluster,
          releaseName: "rook-ceph-cluster",
          namespace: ns,
          values: renderRookClusterValues(s.rookCeph, { objectStore, operatorNamespace: pin.namespace, reclaimPolicy }),
          overrides: s.rookCeph.clusterValues,
          // The cluster chart's CRs need the operator's CRDs; on destroy this edge deletes
          // the CephCluster before the operator that removes its finalizer. The drivers
          // first, as Rook's Helm guide orders them: the cluster's volumes need them.
          dependsOn: [operator, drivers],
        },
        { parent: this, protect },
      );
      ready.push(cluster);
      if (objectStore) {
        this.cephObjectStore = {
          name: CEPH_OBJECT_STORE,
          namespace: CHARTS.rookCephCluster.namespace,
          bucketStorageClass: CEPH_BUCKET_CLASS,
          // Rook names the gateway Service rook-ceph-rgw-<store>.
          endpoint: `http://rook-ceph-rgw-${CEPH_OBJECT_STORE}.${CHARTS.rookCephCluster.namespace}.svc:80`,
        };
      }
    }

    if (s.longhorn.enabled) {
      const pin = CHARTS.longhorn;
      // longhorn-manager and the instance managers run privileged (iSCSI, host mounts).
      const ns = platformNamespace(`${name}-longhorn-ns`, { name: pin.namespace, podSecurity: "privileged", ingress: LONGHORN_INGRESS }, this, { retainOnDelete: protect });
      const longhorn = platformRelease(
        `${name}-longhorn`,
        { pin, releaseName: "longhorn", namespace: ns, values: renderLonghornValues(s.longhorn, { reclaimPolicy }), overrides: s.longhorn.values, dependsOn: args.network.ready },
        { parent: this, protect },
      );
      ready.push(longhorn);
    }

    this.ready = ready;
    this.registerOutputs({ defaultStorageClass: this.defaultStorageClass, cephObjectStore: this.cephObjectStore });
  }
}
