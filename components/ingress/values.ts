import type { PlatformConfig } from "../../config/schema";
import type { Values } from "../../lib/merge";
import { tcpPort as tcp } from "../../lib/netpol";
import { apiServerFlow, type NamespaceIngress } from "../namespace-ingress";

/** Ingress settings, as validated config gives them. */
export type IngressSettings = PlatformConfig["ingress"];

/** IngressClass names the platform gives each controller (fixed: Ingresses refer to them). */
export const INGRESS_CLASS = { contour: "contour", ingressNginx: "nginx" } as const;

/** A controller's place in the stack. */
export interface ControllerPlacement {
  clusterMode: "kind" | "existing";
  /** This controller's IngressClass is the cluster default. */
  isDefault: boolean;
}

/** kind's control-plane taint: the ingress node of a kind cluster is its control plane. */
const KIND_CONTROL_PLANE_TOLERATION = { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" } as const;
/** The label kind's config puts on the node whose ports 80/443 are mapped to the host. */
const KIND_INGRESS_NODE = { "ingress-ready": "true" } as const;

/**
 * On kind, only the default controller binds the node's ports 80/443 (the host ports kind
 * maps to the laptop); a second controller would fight it for them.
 */
export function bindsKindHostPorts(p: ControllerPlacement): boolean {
  return p.clusterMode === "kind" && p.isDefault;
}

/**
 * Who reaches Contour's namespace (chart 0.7.0): Envoy's listeners (container ports 8080 and
 * 8443, behind the Service's 80 and 443 or kind's host ports) from anywhere; Contour's xDS
 * (8001) only from Envoy, in the namespace. The chart's own NetworkPolicies, on by default, are
 * turned off (they admit anyone to xDS and metrics): these are the namespace's policies.
 */
export const CONTOUR_INGRESS: NamespaceIngress = {
  flows: [
    {
      name: "envoy",
      to: { matchLabels: { "app.kubernetes.io/component": "envoy", "app.kubernetes.io/instance": "contour" } },
      from: "any",
      ports: [tcp(8080), tcp(8443)],
      why: "Envoy serves every platform Ingress to the internet (HTTP redirects to HTTPS).",
    },
  ],
};

/**
 * Who reaches ingress-nginx's namespace (chart 4.15): the controller's listeners (80, 443)
 * from anywhere, and its admission webhook (8443) from the API server.
 */
export const INGRESS_NGINX_INGRESS: NamespaceIngress = {
  flows: [
    {
      name: "controller",
      to: { matchLabels: { "app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx" } },
      from: "any",
      ports: [tcp(80), tcp(443)],
      why: "The controller serves Ingresses to the internet.",
    },
    apiServerFlow("admission-webhook", { "app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "ingress-nginx" }, [8443], "The API server calls the controller's Ingress validating webhook."),
  ],
};

/**
 * Contour chart values (0.7.x). On an existing cluster Envoy is a DaemonSet behind a
 * LoadBalancer Service. On kind, Envoy runs on the `ingress-ready=true` node with host
 * ports 80/443 and a NodePort Service (a LoadBalancer Service would never get an address,
 * and Helm waits for one); Ingress status reports 127.0.0.1, which is where kind's port
 * mappings land, so anything awaiting an Ingress address (Pulumi does) completes.
 */
export function renderContourValues(p: ControllerPlacement): Values {
  const kind = p.clusterMode === "kind";
  const hostPorts = bindsKindHostPorts(p);
  return {
    contour: {
      ingressClass: { name: INGRESS_CLASS.contour, create: true, default: p.isDefault },
      networkPolicy: { enabled: false },
      ...(kind ? { ingressStatusAddress: "127.0.0.1" } : {}),
    },
    envoy: {
      service: { type: kind ? "NodePort" : "LoadBalancer" },
      networkPolicy: { enabled: false },
      ...(hostPorts
        ? {
            useHostPort: { http: true, https: true, metrics: false },
            hostPorts: { http: 80, https: 443 },
            nodeSelector: { ...KIND_INGRESS_NODE },
            tolerations: [{ ...KIND_CONTROL_PLANE_TOLERATION }],
          }
        : {}),
    },
    // Gateway API CRDs have one owner in the platform (the mesh layer installs the standard
    // channel for Linkerd); Contour's copy is the experimental channel and would conflict.
    gatewayAPI: { manageCRDs: false },
  };
}

/**
 * ingress-nginx chart values (4.15.x, the final release). kind: the controller runs on the
 * `ingress-ready=true` node with host ports, as kind's own ingress guide sets it up, and
 * publishes `localhost` as its Ingress address.
 */
export function renderIngressNginxValues(p: ControllerPlacement): Values {
  const kind = p.clusterMode === "kind";
  const hostPorts = bindsKindHostPorts(p);
  return {
    controller: {
      ingressClassResource: { name: INGRESS_CLASS.ingressNginx, enabled: true, default: p.isDefault },
      // Ingresses created before the default class existed carry no class: the default serves them.
      watchIngressWithoutClass: p.isDefault,
      service: { type: kind ? "NodePort" : "LoadBalancer" },
      ...(hostPorts
        ? {
            hostPort: { enabled: true },
            nodeSelector: { "kubernetes.io/os": "linux", ...KIND_INGRESS_NODE },
            tolerations: [{ ...KIND_CONTROL_PLANE_TOLERATION }],
          }
        : {}),
      ...(kind ? { publishService: { enabled: false }, extraArgs: { "publish-status-address": "localhost" } } : {}),
    },
  };
}

/**
 * The one controller whose IngressClass is the default, or an error message. Config rules
 * enforce the same; this guards components built from hand-written settings.
 */
export function defaultController(s: IngressSettings): { ok: true; controller: keyof typeof INGRESS_CLASS } | { ok: false; message: string } {
  const defaults = (Object.keys(INGRESS_CLASS) as (keyof typeof INGRESS_CLASS)[]).filter((k) => s[k].enabled && s[k].default);
  if (defaults.length === 1) return { ok: true, controller: defaults[0] };
  return {
    ok: false,
    message:
      defaults.length === 0
        ? `Ingress args.settings: no enabled controller is the default IngressClass; set default: true on exactly one of contour, ingressNginx`
        : `Ingress args.settings: ${defaults.join(" and ")} are both the default IngressClass; exactly one may be the default`,
  };
}
