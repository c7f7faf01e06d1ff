import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { mergeValues, type Values } from "../lib/merge";
import type { ChartPin } from "./catalog";
import { type IngressDeclaration, namespaceIngressPolicies, WHY_ANNOTATION } from "./namespace-ingress";
import { PART_OF } from "./platform-names";

/** Pod Security Standards level enforced on a namespace. */
export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/** Labels and annotations that put a namespace into the service mesh. */
export interface MeshInjection {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Settings shared by every namespace the platform creates. */
export interface NamespaceArgs {
  /** Namespace name (fixed: never derived from values that change). */
  name: string;
  /** Pod Security Standards level enforced (and warned/audited at the same level). */
  podSecurity: PodSecurityLevel;
  /** Mesh injection to apply; omit for namespaces that must stay out of the mesh. */
  mesh?: MeshInjection;
  /** Extra labels. */
  labels?: Record<string, string>;
}

/** The labels and annotations a platform namespace carries; pure, for tests. */
export function namespaceMetadata(args: NamespaceArgs): { labels: Record<string, string>; annotations: Record<string, string> } {
  return {
    labels: {
      ...PART_OF,
      "pod-security.kubernetes.io/enforce": args.podSecurity,
      "pod-security.kubernetes.io/audit": args.podSecurity,
      "pod-security.kubernetes.io/warn": args.podSecurity,
      ...(args.mesh?.labels ?? {}),
      ...(args.labels ?? {}),
    },
    annotations: { ...(args.mesh?.annotations ?? {}) },
  };
}

/** Arguments of {@link platformNamespace}: the namespace and who may reach its pods. */
export interface PlatformNamespaceArgs extends NamespaceArgs {
  /** Its ingress (components/namespace-ingress.ts), or `"own"` where its component writes its policies. */
  ingress: IngressDeclaration;
}

/**
 * Creates a labelled Namespace as a child of `parent`, named `${resourceName}`, and, unless
 * its component writes its own, the NetworkPolicies of its declared ingress (children of
 * `parent` too, `${resourceName}-<policy>`).
 */
export function platformNamespace(resourceName: string, args: PlatformNamespaceArgs, parent: pulumi.Resource, opts?: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
  const md = namespaceMetadata(args);
  const ns = new k8s.core.v1.Namespace(
    resourceName,
    { metadata: { name: args.name, labels: md.labels, annotations: md.annotations } },
    { parent, ...opts },
  );
  if (args.ingress !== "own") {
    for (const p of namespaceIngressPolicies(args.name, args.ingress)) {
      new k8s.networking.v1.NetworkPolicy(
        `${resourceName}-${p.metadata.name}`,
        { metadata: { name: p.metadata.name, namespace: ns.metadata.name, labels: { ...PART_OF }, annotations: { [WHY_ANNOTATION]: p.why } }, spec: p.spec },
        { parent },
      );
    }
  }
  return ns;
}

/** Arguments of {@link platformRelease}. */
export interface PlatformReleaseArgs {
  /** The pinned chart (from `catalog.ts`). */
  pin: ChartPin;
  /** Helm release name; stable, so renaming never re-installs. */
  releaseName: string;
  /** Namespace the release installs into, created by the caller. */
  namespace: k8s.core.v1.Namespace | pulumi.Input<string>;
  /** Values the component renders (or an Output of them); deep-merged once with `overrides`. */
  values: Values | pulumi.Output<Values>;
  /** The stack's extra values for this chart (`platform:<layer>.values`). */
  overrides?: Values;
  /** Seconds Helm waits for the release's resources to be ready. Defaults to 600. */
  timeoutSeconds?: number;
  /** Resources that must be ready first: only real dependencies (see README, "Order"). */
  dependsOn?: pulumi.Resource[];
  /** Skip installing the chart's CRDs (when a separate release owns them). Defaults to false. */
  skipCrds?: boolean;
  /**
   * Adopt objects the release renders that already exist, whoever created them (Helm's
   * `--take-ownership`): for charts whose objects an earlier install created. Defaults to false.
   */
  takeOwnership?: boolean;
}

/** Default seconds a release may take before Helm gives up. */
export const DEFAULT_RELEASE_TIMEOUT = 600;

/**
 * Installs a pinned chart with the platform's release settings:
 * - real Helm (`helm.v3.Release`), so chart hooks run (cert-manager, Contour certgen,
 *   Kyverno, kube-prometheus-stack, gpu-operator and others need them);
 * - the caller creates the namespace, with labels (`createNamespace: false`);
 * - `atomic: false`: a failed install stays in place for `helm status` and events instead
 *   of being rolled back and losing the evidence; `cleanupOnFail: true` removes what a
 *   failed upgrade created, and the next `pulumi up` retries;
 * - Pulumi waits for readiness (`skipAwait: false`, `waitForJobs: true`) with a per-chart
 *   timeout, so downstream layers start only when this one is serving;
 * - values merged once and key-sorted, so a second `pulumi up` registers identical inputs.
 */
export function platformRelease(
  resourceName: string,
  args: PlatformReleaseArgs,
  opts: Omit<pulumi.CustomResourceOptions, "dependsOn">,
): k8s.helm.v3.Release {
  const { pin } = args;
  const isOci = pin.chart.startsWith("oci://");
  const isLocal = pin.repo === "" && !isOci;
  const namespace = args.namespace instanceof k8s.core.v1.Namespace ? args.namespace.metadata.name : args.namespace;
  const dependsOn = [...(args.namespace instanceof k8s.core.v1.Namespace ? [args.namespace] : []), ...(args.dependsOn ?? [])];
  return new k8s.helm.v3.Release(
    resourceName,
    {
      name: args.releaseName,
      chart: pin.chart,
      version: isLocal ? undefined : pin.version,
      repositoryOpts: pin.repo ? { repo: pin.repo } : undefined,
      namespace,
      createNamespace: false,
      values: pulumi.Output.isInstance(args.values) ? args.values.apply((v) => mergeValues(v, args.overrides)) : mergeValues(args.values, args.overrides),
      atomic: false,
      cleanupOnFail: true,
      skipCrds: args.skipCrds ?? false,
      skipAwait: false,
      waitForJobs: true,
      timeout: args.timeoutSeconds ?? DEFAULT_RELEASE_TIMEOUT,
      maxHistory: 10,
      // Only when set: a new `false` input would show as a change on every existing release.
      ...(args.takeOwnership ? { takeOwnership: true } : {}),
    },
    { ...opts, dependsOn },
  );
}
