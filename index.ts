import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as path from "node:path";
import { readPlatformConfig } from "./config";
import { PreviewAccess } from "./components/access";
import { OIDC_PROXY, OidcProxy, type OidcProxyArgs, type UPSTREAM_IDENTITY_HEADERS } from "./components/auth";
import { Autoscaling, enabled as autoscalingEnabled } from "./components/autoscaling";
import { Certificates } from "./components/certificates";
import { Cluster } from "./components/cluster";
import { Crossplane, enabled as crossplaneEnabled } from "./components/crossplane";
import { Database, enabled as databaseEnabled } from "./components/database";
import { enabled as gpuEnabled, Gpu, NO_GPU_CAPACITY } from "./components/gpu";
import { Ingress } from "./components/ingress";
import { ISTIO_INGRESS_GATEWAY_LABELS, Mesh } from "./components/mesh";
import { HubbleUiIngress, hubbleUiEnabled, Networking, replacesKubeProxy } from "./components/networking";
import { enabled as objectStorageEnabled, ObjectStorage } from "./components/object-storage";
import { ENDPOINTS, GRAFANA_POD_LABELS, MONITORING_NAMESPACE, Observability } from "./components/observability";
import { Ollama } from "./components/ollama";
import { enabled as openhandsEnabled, OpenHands, SERVICES } from "./components/openhands";
import { Policy } from "./components/policy";
import { chartVersions, selectedCharts, selectedPins } from "./components/selection";
import { enabled as serverlessEnabled, Serverless } from "./components/serverless";
import { Storage } from "./components/storage";
import { Workspace } from "./components/workspace";
import { meshKind as selectedMesh, openHandsFleet } from "./config/names";

// 1. Config: validated once; components get plain typed settings.
const { config, secrets } = readPlatformConfig();
const clusterMode = config.cluster.mode;
// What holds data in prod survives `pulumi destroy` and renames (README, "Order and teardown").
const protectData = config.profile === "prod";
const meshKind = selectedMesh(config);

// 2. The cluster and the one Kubernetes provider everything else uses (after the preflight).
const cluster = new Cluster("cluster", {
  settings: config.cluster,
  cilium: config.networking.cilium.enabled,
  charts: selectedPins(config),
  kubeconfig: secrets.kubeconfig,
});

// The view-only account pull-request previews read the cluster with (README.md, "Pull-request
// previews"): on an existing cluster only; dev's kind cluster is never previewed against.
const access = clusterMode === "existing" ? new PreviewAccess("preview-access", { cluster }) : undefined;

// 3. The CNI: every pod waits for it.
const network = new Networking("network", { cluster, clusterMode, settings: config.networking.cilium, mesh: { kind: meshKind } });

// 4. Layers that need only the CNI install in parallel. Kyverno and the ValidatingPolicies
// rendered from policies/rules (the CrossGuard pack evaluates the same rules at preview) are
// one of them: nothing waits for admission control, and its removal cannot hang a destroy
// (Kyverno's pre-delete hook removes its webhooks before its pods stop; see components/policy).
const policy = new Policy("policy", { cluster, network, settings: config.policy });
const mesh = new Mesh("mesh", { cluster, network, clusterMode, kind: meshKind, settings: config.mesh });
const ingress = new Ingress("ingress", { cluster, network, clusterMode, settings: config.ingress });
const storage = new Storage("storage", {
  cluster,
  network,
  settings: config.storage,
  objectStore: config.objectStorage.cephRgw.enabled,
  protectData,
});
const autoscaling = autoscalingEnabled(config) ? new Autoscaling("autoscaling", { cluster, network, settings: config.autoscaling.keda }) : undefined;
const crossplane = crossplaneEnabled(config)
  ? new Crossplane("crossplane", {
      cluster,
      network,
      settings: config.crossplane,
      credentials: { aws: secrets.awsCredentials, gcp: secrets.gcpCredentials, azure: secrets.azureCredentials },
    })
  : undefined;

// 5. Layers with upstream dependencies beyond the CNI.
const certificates = new Certificates("certificates", { cluster, network, ingress, settings: config.certificates });
const objectStorage = objectStorageEnabled(config)
  ? new ObjectStorage("object-storage", { cluster, network, storage, settings: config.objectStorage, protectData })
  : undefined;
const serverless = serverlessEnabled(config)
  ? new Serverless("serverless", { cluster, network, mesh, settings: config.serverless.knative, domain: config.domain, istioGatewaySelector: { ...ISTIO_INGRESS_GATEWAY_LABELS } })
  : undefined;
const hubbleUi = hubbleUiEnabled(config)
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
  kubeProxyReplaced: replacesKubeProxy(config.networking.cilium),
  adminPassword: secrets.grafanaAdminPassword,
  // With OIDC configured, Grafana signs people in through the same provider (its proxy below).
  // (config checked the header is one oauth2-proxy sets: UPSTREAM_IDENTITY_HEADERS).
  grafanaSignIn: config.openhands.oidc ? { kind: "proxy", header: config.openhands.oidc.identityHeader.toLowerCase() as keyof typeof UPSTREAM_IDENTITY_HEADERS } : { kind: "login" },
  protectData,
  kedaNamespace: autoscaling?.namespace,
});

// 6. Model serving: GPU node pools (Crossplane composites) and the GPU Operator where pools
// exist, then the fleet operator and one OllamaFleet per fleet (GPU fleets wait for capacity).
const gpu = crossplane && gpuEnabled(config) ? new Gpu("gpu", { cluster, network, crossplane, observability, settings: config.gpu }) : undefined;
const openhandsFleet = openHandsFleet(config);
const ollama = new Ollama("ollama", {
  cluster,
  network,
  mesh,
  storage,
  observability,
  autoscaling,
  gpu: gpu ?? NO_GPU_CAPACITY,
  settings: config.ollama,
  operatorDir: path.join(__dirname, "operator"),
  devBuild: clusterMode === "kind" ? { kindCluster: config.cluster.kind.name } : undefined,
  protectData,
  cilium: config.networking.cilium.enabled,
  sandboxes: config.openhands.enabled && openhandsFleet !== undefined ? { namespace: config.openhands.sandbox.namespace, fleet: openhandsFleet } : undefined,
});

// 7. The agent platform: Agent Canvas behind our gateway, the OpenHands sandbox server (its
// Postgres in prod), our sandbox runtime and the sandbox contract; the LLM is a fleet.
const database = databaseEnabled(config)
  ? new Database("database", {
      cluster,
      network,
      storage,
      observability,
      settings: { operatorReplicas: config.profile === "prod" ? 2 : 1, monitoring: config.observability.prometheus.enabled },
      protectData,
    })
  : undefined;
/** A generated key: letters and digits, kept in the state as a Pulumi secret. */
const key = (name: string, length: number) => new random.RandomPassword(name, { length, special: false }).result;
const openhands =
  openhandsEnabled(config) && openhandsFleet !== undefined
    ? new OpenHands("openhands", {
        cluster,
        network,
        ingress,
        certificates,
        storage,
        ollama,
        fleet: openhandsFleet,
        cilium: config.networking.cilium.enabled,
        oidcProxy: config.openhands.oidc ? { podLabels: { ...OIDC_PROXY.podLabels }, port: OIDC_PROXY.containerPort } : undefined,
        settings: config.openhands,
        domain: config.domain,
        issuer: config.certificates.issuer,
        database,
        protectData,
        sourceDir: __dirname,
        devBuild: clusterMode === "kind" ? { kindCluster: config.cluster.kind.name } : undefined,
        secrets: {
          runtimeApiKey: key("openhands-runtime-api-key", 48),
          serverSessionKey: key("openhands-app-session-key", 48),
          gatewayToken: key("openhands-gateway-token", 40),
        },
      })
    : undefined;
// Sign-in in front of the agent UI (prod): oauth2-proxy serves openhands.<domain>, the gateway behind it.
const oidcSettings = config.openhands.oidc;
/**
 * An OIDC proxy of the configured provider in front of one UI at `<sub>.<domain>` (its own
 * cookie and cookie secret, redirect URI `https://<sub>.<domain>/oauth2/callback`).
 */
const signInProxy = (sub: string, p: Pick<OidcProxyArgs, "namespace" | "dependsOn" | "upstream" | "ingressName" | "cookieName">) =>
  new OidcProxy(`${sub}-oidc`, {
    ...p,
    cluster,
    network,
    ingress,
    certificates,
    settings: oidcSettings!,
    clientSecret: secrets.openhandsOidcClientSecret!,
    cookieSecret: key(`${sub}-oidc-cookie-secret`, 32),
    host: `${sub}.${config.domain}`,
  });
const oidc =
  openhands && oidcSettings
    ? signInProxy("openhands", {
        namespace: openhands.namespaceResource.metadata.name,
        dependsOn: [openhands.namespaceResource],
        upstream: {
          service: SERVICES.gateway.name,
          port: SERVICES.gateway.port,
          pods: { labels: { "app.kubernetes.io/name": SERVICES.gateway.name }, port: SERVICES.gateway.port },
        },
      })
    : undefined;
// The same sign-in in front of Grafana: Grafana trusts the proxy's identity header
// ([auth.proxy]) and only the proxy reaches it.
const grafanaOidc =
  oidcSettings && observability.grafanaUrl && observability.namespace
    ? signInProxy("grafana", {
        namespace: MONITORING_NAMESPACE,
        dependsOn: [observability.namespace],
        upstream: {
          service: ENDPOINTS.grafana.service,
          port: ENDPOINTS.grafana.port,
          pods: { labels: { ...GRAFANA_POD_LABELS }, port: ENDPOINTS.grafana.port },
        },
        ingressName: "grafana-oidc",
        cookieName: "__Host-grafana-oidc",
      })
    : undefined;
const workspace =
  openhands && config.openhands.workspace.enabled
    ? new Workspace("workspace", { cluster, network, namespace: openhands.namespaceResource.metadata.name, image: config.openhands.workspace.image })
    : undefined;

// Outputs. Optional endpoints are grouped, with only what the stack enables.
export const profile = config.profile;
export const ingressDomain = config.domain;
export const kubernetesVersion = cluster.kubernetesVersion;
export const kubeconfig = cluster.kubeconfig;
/** The view-only account of pull-request previews: names only, never its token. */
export const previewAccess = access
  ? { enabled: true, serviceAccount: access.serviceAccount, namespace: access.namespace, tokenSecretName: access.tokenSecretName }
  : { enabled: false };
export const charts = chartVersions(selectedCharts(config));
/** OpenAI-compatible base URL of each model fleet. */
export const modelEndpoints = ollama.endpoints;
/** Model and context length of each fleet, next to its endpoint (what OpenHands configures). */
export const modelFleets = ollama.fleets;
/** The GPU node pools (Crossplane composites). */
export const gpuPools = gpu?.pools ?? [];
/** The agent platform: the UI, the sandbox domain, the model agents use and how to get in. */
export const openHands = pulumi.output(
  openhands
    ? defined({
        enabled: true,
        url: openhands.url,
        signIn: oidc
          ? `open ${openhands.url} and sign in with your OIDC provider (${oidcSettings!.issuerUrl})`
          : config.openhands.gateway.auth === "bearer"
            ? `open ${openhands.url} and paste the token from: pulumi stack output credentials --show-secrets (credentials.openhands.token)`
            : `open ${openhands.url} through the OIDC proxy in front of it (the gateway trusts its ${config.openhands.gateway.identityHeader} header)`,
        sandboxDomain: openhands.sandboxDomain,
        sandboxNamespace: openhands.sandboxNamespace,
        llmEndpoint: openhands.llmEndpoint,
        llmModel: openhands.llmModel,
        images: openhands.images,
        workspace: workspace?.url,
      })
    : { enabled: false },
);
/** Where people and agents reach the platform's services. */
export const urls = pulumi.output(
  defined({
    grafana: grafanaOidc?.url ?? observability.grafanaUrl,
    hubble: hubbleUi?.url,
    prometheus: observability.prometheusUrl,
    jaeger: observability.jaegerUrl,
    otlp: observability.otlpEndpoint,
    s3: objectStorage?.s3Endpoint,
    openhands: openhands?.url,
  }),
);
/** Credentials people use (secret). */
export const credentials = pulumi.secret(
  defined({
    grafana: observability.grafanaAdminPassword ? pulumi.all([observability.grafanaAdminPassword]).apply(([password]) => ({ user: "admin", password })) : undefined,
    s3: objectStorage?.credentials,
    openhands: openhands && config.openhands.gateway.auth === "bearer" ? pulumi.all([openhands.gatewayToken]).apply(([token]) => ({ token })) : undefined,
  }),
);
/** What workloads on the platform build on. */
export const platform = pulumi.output(
  defined({
    ingressClass: ingress.className,
    clusterIssuer: certificates.clusterIssuer,
    localCaSecret: certificates.caSecret,
    defaultStorageClass: storage.defaultStorageClass,
    knativeIngressClass: serverless?.ingressClass,
    kedaHttpAddon: autoscaling?.httpAddon,
    crossplaneProviderConfigs: crossplane?.providerConfigs,
    policies: policy.policyNames,
  }),
);

/** The entries of `o` that are set (Pulumi warns about, and drops, undefined outputs). */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
