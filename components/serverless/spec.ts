import { mergeValues, type Values } from "../../lib/merge";

/*
 * The KnativeServing resource (operator.knative.dev/v1beta1, knative-operator 1.23.0),
 * rendered purely so it can be table-tested.
 *
 * Autoscaling: the design's class `keda.autoscaling.knative.dev` does not exist. Its intent
 * (request-driven scale to zero) is what Knative's own KPA does, so the KPA stays the
 * default class. Scaling a Knative Service from KEDA triggers instead needs the alpha
 * knative-extensions/autoscaler-keda controller, which reconciles PodAutoscalers of class
 * `hpa.autoscaling.knative.dev` into ScaledObjects; it is not installed by default (and
 * Knative's own autoscaler-hpa must then not run). A Service opts in with the annotation
 * `autoscaling.knative.dev/class: <KEDA_AUTOSCALER_CLASS>` once that controller runs.
 */

/** Knative's built-in request-based autoscaler (KPA), the default class. */
export const DEFAULT_AUTOSCALER_CLASS = "kpa.autoscaling.knative.dev";
/** The class autoscaler-keda handles; for Services that opt in to KEDA-driven scaling. */
export const KEDA_AUTOSCALER_CLASS = "hpa.autoscaling.knative.dev";
/** The annotation that picks a Service's autoscaler class. */
export const AUTOSCALER_CLASS_ANNOTATION = "autoscaling.knative.dev/class";

/** Ingress class names Knative's networking layers register. */
export const INGRESS_CLASS = {
  kourier: "kourier.ingress.networking.knative.dev",
  istio: "istio.ingress.networking.knative.dev",
} as const;

/** Serverless settings (`platform:serverless.knative`). */
export interface ServerlessSettings {
  enabled: boolean;
  /** Knative's networking layer. */
  networking: "kourier" | "istio";
  /** Extra values for the knative-operator chart. Defaults to none. */
  values?: Values;
  /** Extra KnativeServing spec, deep-merged over the rendered one. Defaults to none. */
  servingSpec?: Values;
}

/** Options of {@link renderKnativeServingSpec}. */
export interface KnativeServingOptions {
  /** Platform base domain: Services get `<name>.<namespace>.<domain>`. */
  domain: string;
  /**
   * Labels of the Istio ingress gateway pods Knative's gateways select (networking
   * `istio`). Defaults to Knative's own `istio: ingressgateway`.
   */
  istioGatewaySelector?: Record<string, string>;
}

/** Spec of the KnativeServing resource. */
export function renderKnativeServingSpec(s: ServerlessSettings, o: KnativeServingOptions): Values {
  const ingress =
    s.networking === "kourier"
      ? { kourier: { enabled: true } }
      : { istio: { enabled: true, ...(o.istioGatewaySelector ? { "knative-ingress-gateway": { selector: o.istioGatewaySelector } } : {}) } };
  const spec = {
    ingress,
    config: {
      network: { "ingress-class": INGRESS_CLASS[s.networking] },
      // An empty value makes the domain the default for every Service.
      domain: { [o.domain]: "" },
      autoscaler: { "pod-autoscaler-class": DEFAULT_AUTOSCALER_CLASS, "enable-scale-to-zero": "true" },
    },
  };
  return s.servingSpec ? mergeValues(spec, s.servingSpec) : spec;
}
