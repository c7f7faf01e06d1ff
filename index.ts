import { readPlatformConfig } from "./config";
import { Autoscaling } from "./components/autoscaling";
import { Certificates } from "./components/certificates";
import { Cluster } from "./components/cluster";
import { Crossplane } from "./components/crossplane";
import { Ingress } from "./components/ingress";
import { ISTIO_INGRESS_GATEWAY_LABELS, Mesh } from "./components/mesh";
import { HubbleUiIngress, Networking } from "./components/networking";

import { ObjectStorage } from "./components/object-storage";
import { Observability } from "./components/observability";
import { Policy } from "./components/policy";
import type { NetworkLayer } from "./components/contracts";
import { chartVersions, selectedCharts, selectedPins } from "./components/selection";
import { Serverless } from "./components/serverless";
import { Storage } from "./components/storage";

// 1. Config: validated once; components get plain typed settings.
const { config, secrets } = readPlatformConfig();
const clusterMode = config.cluster.mode;
const meshKind = config.mesh.istio.enabled ? "istio" : config.mesh.linkerd.enabled ? "linkerd" : "none";

// 2. The cluster and the one Kubernetes provider everything else uses (after the preflight).
const cluster = new Cluster("cluster", {
  settings: config.cluster,
  cilium: config.networking.cilium.enabled,
  charts: selectedPins(config),
  kubeconfig: secrets.kubeconfig,
});

// 3. The CNI, then admission control: Kyverno and the ValidatingPolicies rendered from
// policies/rules (the CrossGuard pack evaluates the same rules at preview).
const cni = new Networking("network", { cluster, clusterMode, settings: config.networking.cilium, mesh: { kind: meshKind } });
const policy = new Policy("policy", { cluster, network: cni, settings: config.policy });
// Every other layer's pods start once the CNI runs and the policies are in force; on destroy
// the same edges remove Kyverno (and its webhooks) after everything it admits.
const network: NetworkLayer = { ready: [...cni.ready, ...policy.ready] };

// 4. Layers that need only the CNI (and admission) install in parallel.
const mesh = new Mesh("mesh", { cluster, network, clusterMode, settings: config.mesh });
const ingress = new Ingress("ingress", { cluster, network, clusterMode, settings: config.ingress });
const storage = new Storage("storage", {
  cluster,
  network,
  settings: config.storage,
  objectStore: config.objectStorage.cephRgw.enabled,
  protectData: config.profile === "prod",
});
const autoscaling = config.autoscaling.keda.enabled ? new Autoscaling("autoscaling", { cluster, network, settings: config.autoscaling.keda }) : undefined;
const crossplane = config.crossplane.enabled
  ? new Crossplane("crossplane", {
      cluster,
      network,
      settings: config.crossplane,
      credentials: { aws: secrets.awsCredentials, gcp: secrets.gcpCredentials, azure: secrets.azureCredentials },
    })
  : undefined;

// 5. Layers with upstream dependencies beyond the CNI.
const certificates = new Certificates("certificates", { cluster, network, ingress, settings: config.certificates });
const objectStorage =
  config.objectStorage.minio.enabled || config.objectStorage.cephRgw.enabled
    ? new ObjectStorage("object-storage", { cluster, network, storage, settings: config.objectStorage })
    : undefined;
const serverless = config.serverless.knative.enabled
  ? new Serverless("serverless", { cluster, network, mesh, settings: config.serverless.knative, domain: config.domain, istioGatewaySelector: { ...ISTIO_INGRESS_GATEWAY_LABELS } })
  : undefined;
const hubble = config.networking.cilium.hubble;
const hubbleUi =
  config.networking.cilium.enabled && hubble.enabled && hubble.ui && hubble.uiIngress
    ? new HubbleUiIngress("hubble-ui", { cluster, network, ingress, certificates, domain: config.domain })
    : undefined;
const observability = new Observability("observability", {
  cluster,
  network,
  mesh,
  ingress,
  certificates,
  storage,
  settings: config.observability,
  profile: config.profile,
  domain: config.domain,
  clusterMode,
  kubeProxyReplaced: config.networking.cilium.enabled,
  adminPassword: secrets.grafanaAdminPassword,
});

// Outputs.
export const profile = config.profile;
export const ingressDomain = config.domain;
export const kubeconfig = cluster.kubeconfig;
export const kubernetesVersion = cluster.kubernetesVersion;
export const charts = chartVersions(selectedCharts(config));
export const ingressClass = ingress.className;
export const clusterIssuer = certificates.clusterIssuer;
export const localCaSecret = certificates.caSecret;
export const defaultStorageClass = storage.defaultStorageClass;
export const hubbleUrl = hubbleUi?.url;
export const grafanaUrl = observability.grafanaUrl;
export const grafanaAdminPassword = observability.grafanaAdminPassword;
export const prometheusUrl = observability.prometheusUrl;
export const jaegerUrl = observability.jaegerUrl;
export const otlpEndpoint = observability.otlpEndpoint;
export const s3Endpoint = objectStorage?.s3Endpoint;
export const s3Credentials = objectStorage?.credentials;
export const knativeIngressClass = serverless?.ingressClass;
export const crossplaneProviderConfigs = crossplane?.providerConfigs;
export const kedaHttpAddon = autoscaling?.httpAddon;
export const policies = policy.policyNames;
