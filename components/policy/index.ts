import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import { renderValidatingPolicy, type Enforcement, type ValidatingPolicy } from "../../policies/engine/kyverno";
import { ruleEnforcement, RULES, type PolicySettings } from "../../policies/rules";
import { CHARTS } from "../catalog";
import type { ClusterLayer, NetworkLayer } from "../contracts";
import { platformNamespace, platformRelease } from "../helm";
import { apiServerFlow } from "../namespace-ingress";
import { renderKyvernoValues } from "./values";

export { renderKyvernoValues, type KyvernoValuesSettings } from "./values";

/** Policy settings, as validated config gives them (`platform:policy`). */
export interface PolicyConfig extends PolicySettings {
  /** `Deny` rejects violating requests; `Audit` records them in policy reports. */
  enforcement: Enforcement;
  /** Extra values for the Kyverno chart. Defaults to none. */
  values?: Values;
}

/** Arguments of {@link Policy}. */
export interface PolicyArgs {
  cluster: ClusterLayer;
  /** Kyverno's pods need the CNI. */
  network: NetworkLayer;
  settings: PolicyConfig;
}

/**
 * The ValidatingPolicy objects for the settings: the rules in policies/rules, rendered, each
 * with the stack's enforcement unless it has its own (RuleModule.enforcement). Pure.
 */
export function renderValidatingPolicies(settings: PolicyConfig): ValidatingPolicy[] {
  return RULES.map((r) => renderValidatingPolicy(r.build(settings), ruleEnforcement(r, settings.enforcement)));
}

/**
 * Policy as code in the cluster: Kyverno (namespace `kyverno`, Pod Security baseline, out of
 * any mesh) and one `policies.kyverno.io/v1` ValidatingPolicy per rule in policies/rules.
 * The CrossGuard pack in policies/ evaluates the same rendered objects at preview time.
 * The policies wait for the Kyverno release: their CRD and the webhook come with it.
 */
export class Policy extends pulumi.ComponentResource {
  /** The Kyverno release. */
  public readonly release: k8s.helm.v3.Release;
  /** Names of the deployed ValidatingPolicies. */
  public readonly policyNames: string[];
  /** Kyverno ready and every policy created: wait on these to be sure workloads are checked. */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: PolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:policy:Policy", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const pin = CHARTS.kyverno;
    // chart 3.9: the admission and cleanup controllers serve their webhooks (Services kyverno-svc
    // and kyverno-cleanup-controller, 443 -> https) on container port 9443; metrics on 8000.
    const webhook = (c: string) => ({ "app.kubernetes.io/component": c, "app.kubernetes.io/instance": "kyverno" });
    const ingress = {
      flows: [
        apiServerFlow("admission-webhooks", webhook("admission-controller"), [9443], "The API server calls Kyverno's policy, resource and exception webhooks."),
        apiServerFlow("cleanup-webhooks", webhook("cleanup-controller"), [9443], "The API server calls Kyverno's cleanup and TTL validating webhooks."),
      ],
    };
    const ns = platformNamespace(`${name}-namespace`, { name: pin.namespace, podSecurity: "baseline", ingress }, this);
    this.release = platformRelease(
      `${name}-kyverno`,
      {
        pin,
        releaseName: "kyverno",
        namespace: ns,
        values: renderKyvernoValues({ highAvailability: args.settings.enforcement === "Deny" }),
        overrides: args.settings.values,
        dependsOn: args.network.ready,
      },
      { parent: this },
    );
    const rendered = renderValidatingPolicies(args.settings);
    const policies = rendered.map(
      (p) =>
        new k8s.apiextensions.CustomResource(
          `${name}-${p.metadata.name}`,
          { apiVersion: p.apiVersion, kind: p.kind, metadata: p.metadata, spec: p.spec },
          { parent: this, dependsOn: [this.release] },
        ),
    );
    this.policyNames = rendered.map((p) => p.metadata.name);
    this.ready = [this.release, ...policies];
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
