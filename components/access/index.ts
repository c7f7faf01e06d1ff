import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link PreviewAccess}. */
export interface PreviewAccessArgs {
  cluster: { provider: k8s.Provider };
}

/**
 * The names {@link PreviewAccess} uses. kube-system, not a namespace of its own: it exists on
 * every cluster and is never deleted with the stack, it needs no Pod Security or mesh labels
 * (nothing runs as this account), and whoever can read Secrets there is already a cluster
 * administrator, so the token Secret gains no new readers.
 */
export const PREVIEW_ACCESS = {
  namespace: "kube-system",
  serviceAccount: "platform-preview",
  tokenSecret: "platform-preview-token",
  binding: "platform-preview-view",
  /**
   * The built-in read-only role. Kubernetes aggregates it from `system:aggregate-to-view`,
   * whose rules are get/list/watch only and leave out `secrets` (Secrets are in
   * `system:aggregate-to-edit`): reading Secrets would hand out the ServiceAccount tokens in
   * them, which is why `view` excludes them (kubernetes/kubernetes,
   * plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml). It still
   * reads ConfigMaps, pod logs and the specs of workloads, and whatever ClusterRoles a chart
   * labels `rbac.authorization.k8s.io/aggregate-to-view` (read-only by convention).
   */
  clusterRole: "view",
} as const;

/**
 * A read-only identity for pull-request previews (`.github/workflows/preview.yml`): a
 * ServiceAccount bound cluster-wide to the built-in `view` ClusterRole, and a long-lived token
 * Secret for it that the token controller fills. The token never leaves the cluster through
 * the program: the component exposes only names, and an administrator turns the Secret into
 * the `PREVIEW_KUBECONFIG` repository secret once (README.md, "Pull-request previews").
 */
export class PreviewAccess extends pulumi.ComponentResource {
  /** Name of the ServiceAccount (in {@link PREVIEW_ACCESS}.namespace). */
  public readonly serviceAccount: pulumi.Output<string>;
  /** Namespace of the ServiceAccount and its token Secret. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of the Secret holding the account's token (not the token). */
  public readonly tokenSecretName: pulumi.Output<string>;

  constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:access:PreviewAccess", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const labels = { "app.kubernetes.io/name": PREVIEW_ACCESS.serviceAccount, "app.kubernetes.io/managed-by": "pulumi" };

    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: { name: PREVIEW_ACCESS.serviceAccount, namespace: PREVIEW_ACCESS.namespace, labels },
        // No pod runs as this account: it is only a token for previews.
        automountServiceAccountToken: false,
      },
      { parent: this },
    );

    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-view`,
      {
        metadata: { name: PREVIEW_ACCESS.binding, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: PREVIEW_ACCESS.clusterRole },
        subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace: sa.metadata.namespace }],
      },
      { parent: this },
    );

    // A long-lived token: the token controller fills data.token and data["ca.crt"] of a Secret
    // of this type that names an existing ServiceAccount (and deletes the Secret if the account
    // does not exist, hence the account's name as an output: the Secret waits for it). Deleting
    // the Secret revokes the token.
    const token = new k8s.core.v1.Secret(
      `${name}-token`,
      {
        metadata: {
          name: PREVIEW_ACCESS.tokenSecret,
          namespace: sa.metadata.namespace,
          labels,
          annotations: { "kubernetes.io/service-account.name": sa.metadata.name },
        },
        type: "kubernetes.io/service-account-token",
      },
      { parent: this, dependsOn: [sa] },
    );

    this.serviceAccount = sa.metadata.name;
    this.namespace = sa.metadata.namespace;
    this.tokenSecretName = token.metadata.name;
    this.registerOutputs({ serviceAccount: this.serviceAccount, namespace: this.namespace, tokenSecretName: this.tokenSecretName });
  }
}
