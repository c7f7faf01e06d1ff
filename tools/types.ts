/*
 * Pulumi type tokens of the resources the program registers, as the mocks and a stack's
 * state name them (`kubernetes:<group>/<version>:<Kind>`). Tests, bench and scripts select
 * recorded resources by these instead of spelling the tokens.
 */

/** The type token of a Kubernetes object of `apiVersion` and `kind` (the core group is `core/v1`). */
export function resourceType(apiVersion: string, kind: string): string {
  return `kubernetes:${apiVersion.includes("/") ? apiVersion : `core/${apiVersion}`}:${kind}`;
}

/** Type tokens by resource. */
export const TYPES = {
  release: "kubernetes:helm.sh/v3:Release",
  configFile: "kubernetes:yaml/v2:ConfigFile",
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  service: "kubernetes:core/v1:Service",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  persistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
  resourceQuota: "kubernetes:core/v1:ResourceQuota",
  limitRange: "kubernetes:core/v1:LimitRange",
  deployment: "kubernetes:apps/v1:Deployment",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  ciliumNetworkPolicy: "kubernetes:cilium.io/v2:CiliumNetworkPolicy",
  role: "kubernetes:rbac.authorization.k8s.io/v1:Role",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  clusterRole: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
  clusterRoleBinding: "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
  clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  ollamaFleet: "kubernetes:openhands.ai/v1alpha1:OllamaFleet",
  gpuNodePool: "kubernetes:platform.openhands.ai/v1alpha1:GPUNodePool",
  crossplaneProvider: "kubernetes:pkg.crossplane.io/v1:Provider",
  crossplaneFunction: "kubernetes:pkg.crossplane.io/v1:Function",
  postgresCluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  objectBucketClaim: "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
  cephObjectStoreUser: "kubernetes:ceph.rook.io/v1:CephObjectStoreUser",
  knativeServing: "kubernetes:operator.knative.dev/v1beta1:KnativeServing",
  validatingPolicy: "kubernetes:policies.kyverno.io/v1:ValidatingPolicy",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  telemetry: "kubernetes:telemetry.istio.io/v1:Telemetry",
} as const;
