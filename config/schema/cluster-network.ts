import { z } from "zod";
import { ARTIFACTS } from "../../components/catalog";
import { EMAIL, dnsLabel, helmValues, labels, pinnedImage, port, quantity } from "./primitives";

/* The cluster, the CNI, the mesh, ingress and certificates. */

export const kindWorker = z.strictObject({
  /** Labels put on the worker node (e.g. a fake GPU pool for scheduling tests). */
  labels: labels.default({}),
  /** How many workers with these labels. */
  count: z.number().int().min(1).max(8).default(1),
});

export const cluster = z.strictObject({
  /** `kind`: the program creates a local kind cluster; `existing`: use a cluster from a kubeconfig. */
  mode: z.enum(["kind", "existing"]),
  kind: z
    .strictObject({
      /** kind cluster name (also the prefix of the control-plane container). Defaults to local-hands. */
      name: dnsLabel.default("local-hands"),
      /** kind node image, pinned; its Kubernetes version is preflighted against the charts. */
      nodeImage: pinnedImage
        .refine((s) => /^kindest\/node:v\d+\.\d+\.\d+/.test(s), { message: "must be a kindest/node:vX.Y.Z image" })
        .default(ARTIFACTS.kindNodeImage.image),
      /** Host ports mapped to the control-plane node's ingress ports. Defaults to 80 and 443. */
      hostPorts: z.strictObject({ http: port.default(80), https: port.default(443) }).default({ http: 80, https: 443 }),
      /** Worker nodes; none runs everything on the control plane. Defaults to none. */
      workers: z.array(kindWorker).max(8).default([]),
    })
    .default({ name: "local-hands", nodeImage: ARTIFACTS.kindNodeImage.image, hostPorts: { http: 80, https: 443 }, workers: [] }),
  existing: z
    .strictObject({
      /** kubeconfig context to use; without it the secret `platform:kubeconfig` must be set. */
      context: z.string().min(1).optional(),
      /**
       * What runs the cluster, which decides what its network already has: `eks` (the AWS VPC
       * CNI, aws-node), `gke` (GKE's own dataplane; Dataplane V2 is Cilium), `aks` (Azure CNI,
       * or none with BYOCNI), `kubeadm` (nothing: the platform's CNI is the only one). Defaults
       * to kubeadm (the prod profile says eks).
       */
      distribution: z.enum(["kubeadm", "eks", "gke", "aks"]).default("kubeadm"),
    })
    .default({ distribution: "kubeadm" }),
  /** Check the cluster's Kubernetes version against the pinned charts before deploying. */
  preflight: z.boolean().default(true),
});

export const cilium = z.strictObject({
  /** Install Cilium. Off: the cluster keeps its own CNI (kindnet, or a provider's Cilium dataplane). */
  enabled: z.boolean(),
  /**
   * How Cilium joins the cluster's network: `cni`, the only CNI (kind, kubeadm, AKS BYOCNI),
   * replacing kube-proxy; `eni`, EKS with Cilium allocating VPC addresses itself (aws-node
   * removed first), replacing kube-proxy; `chained`, EKS with Cilium chained onto aws-node
   * (the VPC CNI keeps IP management, kube-proxy stays, Cilium adds policy and Hubble).
   * Defaults to cni (the prod profile, for EKS, says chained).
   */
  mode: z.enum(["cni", "eni", "chained"]).default("cni"),
  hubble: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Hubble metrics, as Cilium names them. Defaults to dns, drop, tcp, flow, icmp, http. */
      metrics: z.array(z.string().min(1)).default(["dns", "drop", "tcp", "flow", "icmp", "http"]),
      /** Run Hubble Relay and the Hubble UI. Defaults to true. */
      ui: z.boolean().default(true),
      /**
       * Serve the Hubble UI at `https://hubble.<domain>` through the default IngressClass. The
       * UI has no login: only where the network is trusted. Ignored while the UI is off.
       * Defaults to false (the dev profile turns it on).
       */
      uiIngress: z.boolean().default(false),
    })
    .default({ enabled: true, metrics: ["dns", "drop", "tcp", "flow", "icmp", "http"], ui: true, uiIngress: false }),
  values: helmValues,
});

export const proxyResources = z.strictObject({
  requests: z.strictObject({ cpu: quantity, memory: quantity }),
  limits: z.strictObject({ cpu: quantity, memory: quantity }),
});

export const mesh = z.strictObject({
  istio: z.strictObject({
    enabled: z.boolean(),
    egressGateway: z.boolean().default(true),
    proxy: proxyResources.default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "2000m", memory: "1024Mi" } }),
    /** Percentage of requests traced, 0 to 100. */
    tracingSampling: z.number().min(0).max(100).default(1),
    values: helmValues,
    /** Extra values for the Istio CNI chart (`cni`), e.g. `cniBinDir`/`cniConfDir` on k3s. Defaults to none. */
    cniValues: helmValues,
  }),
  linkerd: z.strictObject({
    enabled: z.boolean(),
    /** Validity of the generated trust anchor, in hours. */
    trustAnchorValidityHours: z.number().int().min(24).max(87600).default(87600),
    /** Validity of the generated identity issuer certificate, in hours. */
    issuerValidityHours: z.number().int().min(24).max(87600).default(8760),
    values: helmValues,
    /** Extra values for the linkerd2-cni chart, e.g. `destCNIBinDir`/`destCNINetDir` on k3s. Defaults to none. */
    cniValues: helmValues,
  }),
});

export const ingressController = z.strictObject({
  enabled: z.boolean(),
  /** Make this controller's IngressClass the cluster default. */
  default: z.boolean(),
  values: helmValues,
});

export const acme = z.strictObject({
  email: z.string().regex(EMAIL, { message: "must be an email address" }),
  server: z.url({ protocol: /^https$/, message: "must be an https URL of an ACME directory" }).default("https://acme-v02.api.letsencrypt.org/directory"),
});

export const certificates = z.strictObject({
  /** `selfSigned`: a local CA (dev); `acme`: Let's Encrypt or another ACME CA with HTTP-01 (prod). */
  issuer: z.enum(["selfSigned", "acme"]),
  acme: acme.optional(),
  values: helmValues,
});
