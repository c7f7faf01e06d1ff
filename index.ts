import { readPlatformConfig } from "./config";
import { Cluster } from "./components/cluster";
import { chartVersions, selectedCharts, selectedPins } from "./components/selection";

// 1. Config: validated once; components get plain typed settings.
const { config, secrets } = readPlatformConfig();

// 2. The cluster and the one Kubernetes provider everything else uses.
const cluster = new Cluster("cluster", {
  settings: config.cluster,
  cilium: config.networking.cilium.enabled,
  charts: selectedPins(config),
  kubeconfig: secrets.kubeconfig,
});

// Outputs.
export const profile = config.profile;
export const ingressDomain = config.domain;
export const kubeconfig = cluster.kubeconfig;
export const kubernetesVersion = cluster.kubernetesVersion;
export const charts = chartVersions(selectedCharts(config));
