import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkKubeVersion, type ChartPin } from "../catalog";
import { kindApiServer, kindNodeVersion, renderKindConfig } from "./kind";
import { fetchServerVersion, serverAddress } from "./preflight";

/** Cluster settings, as validated config gives them. */
export interface ClusterSettings {
  mode: "kind" | "existing";
  kind: { name: string; nodeImage: string; hostPorts: { http: number; https: number }; workers: { labels: Record<string, string>; count: number }[] };
  existing: { context?: string };
  preflight: boolean;
}

/** Arguments of {@link Cluster}. */
export interface ClusterArgs {
  settings: ClusterSettings;
  /** True when Cilium replaces the CNI (kind is then created without its own). */
  cilium: boolean;
  /** The charts this stack installs; the cluster's version must suit all of them. */
  charts: readonly ChartPin[];
  /** kubeconfig for mode `existing` (a secret). Defaults to `$KUBECONFIG` or `~/.kube/config`. */
  kubeconfig?: pulumi.Output<string>;
  /** Reads the server version; replaced in tests. Defaults to a GET of `/version`. */
  probeVersion?: (kubeconfig: string, context?: string) => Promise<string>;
}

/**
 * The Kubernetes cluster and the one provider every platform resource uses. In `kind` mode
 * the program creates (and on destroy deletes) a local kind cluster with `kind` through
 * @pulumi/command; in `existing` mode it connects through a kubeconfig secret or a context.
 * Either way the cluster's Kubernetes version is checked against the pinned charts first.
 */
export class Cluster extends pulumi.ComponentResource {
  /** The provider for every Kubernetes resource of the platform. */
  public readonly provider: k8s.Provider;
  /** kubeconfig of the cluster (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Kubernetes version the cluster runs. */
  public readonly kubernetesVersion: pulumi.Output<string>;
  /**
   * API server address as seen from inside the cluster: kind's control-plane container, or
   * the server URL of the kubeconfig context (not a secret, though the kubeconfig is).
   */
  public readonly apiServer: pulumi.Input<{ host: string; port: number }>;
  /** The kind config the cluster was created from (kind mode only). */
  public readonly kindConfig?: string;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:cluster:Cluster", name, {}, opts);
    const s = args.settings;

    if (s.mode === "kind") {
      const version = kindNodeVersion(s.kind.nodeImage);
      const problem = s.preflight ? checkKubeVersion(version, args.charts) : undefined;
      if (problem) throw new pulumi.ResourceError(`Cluster args.settings.kind.nodeImage: ${problem}`, this);
      this.kindConfig = renderKindConfig({ ...s.kind, cilium: args.cilium });
      const create = new command.local.Command(
        `${name}-kind`,
        {
          // Idempotent: a cluster left by an interrupted run is adopted, not recreated.
          create: `kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --config -`,
          delete: `kind delete cluster --name "$CLUSTER"`,
          stdin: this.kindConfig,
          environment: { CLUSTER: s.kind.name },
          triggers: [this.kindConfig],
          logging: "stderr",
        },
        { parent: this, deleteBeforeReplace: true, customTimeouts: { create: "10m", delete: "5m" } },
      );
      const kubeconfig = new command.local.Command(
        `${name}-kubeconfig`,
        {
          create: `kind get kubeconfig --name "$CLUSTER"`,
          environment: { CLUSTER: s.kind.name },
          triggers: [create.id],
          // The kubeconfig holds the admin key: never echo it into logs.
          logging: "none",
        },
        { parent: this, dependsOn: [create], additionalSecretOutputs: ["stdout"] },
      );
      this.kubeconfig = pulumi.secret(kubeconfig.stdout);
      this.kubernetesVersion = pulumi.output(version);
      this.apiServer = kindApiServer(s.kind.name);
      this.provider = new k8s.Provider(`${name}-provider`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
    } else {
      const raw = args.kubeconfig ?? pulumi.secret(readDefaultKubeconfig());
      const probe = args.probeVersion ?? fetchServerVersion;
      const context = s.existing.context;
      const checked = pulumi.all([raw]).apply(async ([kc]) => {
        if (!s.preflight) return { kc, version: "unchecked" };
        let version: string;
        try {
          version = await probe(kc, context);
        } catch (e) {
          throw new pulumi.ResourceError(
            `preflight: cannot read the Kubernetes version${context ? ` through context "${context}"` : ""}: ${(e as Error).message}. ` +
              `Fix cluster access, or set Cluster args.settings.preflight false to skip the check`,
            this,
          );
        }
        const problem = checkKubeVersion(version, args.charts);
        if (problem) throw new pulumi.ResourceError(`preflight: ${problem}`, this);
        return { kc, version };
      });
      this.kubeconfig = pulumi.secret(checked.apply((c) => c.kc));
      this.kubernetesVersion = checked.apply((c) => c.version);
      // Managed clusters (EKS, GKE, AKS) have no kube-public/cluster-info, so the chart's
      // `auto` lookup fails there; the kubeconfig's server URL is the address clients use.
      this.apiServer = pulumi.unsecret(
        this.kubeconfig.apply((kc) => {
          try {
            return serverAddress(kc, context);
          } catch (e) {
            throw new pulumi.ResourceError(`cluster.mode "existing": cannot read the API server address from the kubeconfig: ${(e as Error).message}`, this);
          }
        }),
      );
      this.provider = new k8s.Provider(
        `${name}-provider`,
        { kubeconfig: this.kubeconfig, context, enableServerSideApply: true },
        { parent: this },
      );
    }
    this.registerOutputs({ kubeconfig: this.kubeconfig, kubernetesVersion: this.kubernetesVersion });
  }
}

/** The kubeconfig kubectl would read: the first file in `$KUBECONFIG`, else `~/.kube/config`. */
export function readDefaultKubeconfig(): string {
  const file = (process.env.KUBECONFIG ?? "").split(path.delimiter).find((f) => f.length > 0) ?? path.join(os.homedir(), ".kube", "config");
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cluster.mode "existing": cannot read kubeconfig ${file} (${(e as NodeJS.ErrnoException).code}); set KUBECONFIG or pass Cluster args.kubeconfig`, {
      cause: e,
    });
  }
}
