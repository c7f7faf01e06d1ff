import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { CHARTS } from "../../../components/catalog";
import type { ClusterLayer } from "../../../components/contracts";
import { platformNamespace, platformRelease } from "../../../components/helm";
import { fleetEndpoints, renderOperatorValues } from "../../../components/ollama";
import { OpenHands, OPENHANDS_NAMESPACE, SERVER_DATA } from "../../../components/openhands";
import { renderValidatingPolicies } from "../../../components/policy";
import { loadPlatformConfig } from "../../../config/load";

/*
 * The integration stack: the platform's real components for everything that needs no chart
 * download and no provider but Kubernetes (random, tls and command cannot be built here),
 * deployed to the local test cluster by test/integration/stack.itest.ts:
 * - platform namespaces (platformNamespace), with Pod Security labels;
 * - the OllamaFleet operator chart from its local path (operator/chart) with its CRD and the
 *   values the Ollama component renders, through platformRelease;
 * - the OpenHands component without its chart (license not accepted): the sandbox contract,
 *   its RBAC, NetworkPolicies, quota and limits, and the sandbox certificate's Contour
 *   TLSCertificateDelegation (Contour's CRD from its Go module, `contourCrd`);
 * - Kyverno's ValidatingPolicy CRD (from the Kyverno Go module) and the rendered policies,
 *   when `kyvernoCrd` names it;
 * - with `violation`, a Pod using a `:latest` image, which the policy pack must reject.
 */

const ROOT = path.resolve(__dirname, "..", "..", "..");
const config = new pulumi.Config();
const kubeconfig = fs.readFileSync(config.require("kubeconfig"), "utf8");

const provider = new k8s.Provider("itest-cluster", { kubeconfig: pulumi.secret(kubeconfig), enableServerSideApply: true });
const cluster: ClusterLayer = { provider, apiServer: { host: "127.0.0.1", port: 6443 } };
// No ingress controller runs here, so nothing ever fills an Ingress's load-balancer status,
// which Pulumi's await waits for: the stack's Ingresses (the agent gateway's) skip that wait.
pulumi.runtime.registerStackTransformation((args) => {
  if (args.type !== "kubernetes:networking.k8s.io/v1:Ingress") return undefined;
  const props = args.props as { metadata?: { annotations?: Record<string, string> } };
  return { props: { ...props, metadata: { ...props.metadata, annotations: { ...props.metadata?.annotations, "pulumi.com/skipAwait": "true" } } }, opts: args.opts };
});
const root = new pulumi.ComponentResource("platform:itest:Stack", "itest", {}, { providers: { kubernetes: provider } });

// The platform's settings as the dev profile resolves them (the same loader as the program),
// with a sandbox TLS Secret named so no cert-manager Certificate (a chart's CRD) is needed.
const platform = loadPlatformConfig(
  { "platform:profile": "dev", "platform:openhands": JSON.stringify({ enabled: true, sandbox: { tlsSecret: "sandbox-wildcard-tls" } }) },
  new Set(),
).config;

// A namespace for the test's own workloads (restricted: nothing privileged runs there).
const apps = platformNamespace("itest-apps-ns", { name: "itest-apps", podSecurity: "restricted", ingress: {} }, root);

// The operator chart from its local path, as the Ollama layer installs it.
const operatorPin = { ...CHARTS.ollamaFleetOperator, chart: path.join(ROOT, CHARTS.ollamaFleetOperator.chart) };
const operatorNs = platformNamespace("itest-operator-ns", { name: operatorPin.namespace, podSecurity: "baseline", ingress: {} }, root);
const fleetNs = platformNamespace("itest-fleets-ns", { name: platform.ollama.namespace, podSecurity: "baseline", ingress: "own" }, root);
const operator = platformRelease(
  "itest-operator",
  {
    pin: operatorPin,
    releaseName: "ollama-fleet-operator",
    namespace: operatorNs,
    values: renderOperatorValues({
      image: { repository: "ghcr.io/agent-platform/ollama-fleet-operator", tag: "0.1.0" },
      replicas: 1,
      mesh: "none",
      fleetNamespace: platform.ollama.namespace,
    }),
    timeoutSeconds: 180,
  },
  { parent: root },
);

// OpenHands without its chart: the sandbox contract. Its upstream layers are stand-ins
// (nothing to wait for); the model layer is the dev profile's fleets, by their endpoints.
const none: pulumi.Resource[] = [];
// Contour's TLSCertificateDelegation CRD (what chart contour installs), for the sandbox certificate's delegation.
const contourCrds = parseAllDocuments(fs.readFileSync(config.require("contourCrd"), "utf8")).map((d) => d.toJS() as Record<string, any>);
const delegationCrd = contourCrds.find((d) => d?.metadata?.name === "tlscertificatedelegations.projectcontour.io");
if (!delegationCrd) throw new Error(`${config.require("contourCrd")} holds no tlscertificatedelegations.projectcontour.io CRD`);
const contourCrd = new k8s.apiextensions.v1.CustomResourceDefinition("itest-contour-tlscertificatedelegations-crd", { metadata: { name: delegationCrd.metadata.name }, spec: delegationCrd.spec }, { parent: root });
const fleets = fleetEndpoints(platform.ollama.fleets, platform.ollama.namespace);
// The local cluster has no storage provisioner: the sandbox server's volume is a PV made for
// its claim (claimRef), which the PV controller binds on its next sync.
const serverData = new k8s.core.v1.PersistentVolume(
  "itest-openhands-app-data",
  {
    metadata: { name: "itest-openhands-app-data", labels: { "itest.openhands.ai/scratch": "true" } },
    spec: {
      capacity: { storage: platform.openhands.server.database.size },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      hostPath: { path: "/tmp/itest-openhands-app-data" },
      claimRef: { namespace: OPENHANDS_NAMESPACE, name: SERVER_DATA.claim },
    },
  },
  { parent: root },
);
const openhands = new OpenHands(
  "itest-openhands",
  {
    cluster,
    network: { ready: none },
    ingress: { className: "contour", namespace: "projectcontour", ready: [contourCrd] },
    certificates: { clusterIssuer: "platform-ca", ready: none, webhookReady: none },
    storage: { defaultStorageClass: "standard", ready: none },
    ollama: {
      namespace: platform.ollama.namespace,
      fleets,
      ready: [fleetNs, operator],
    },
    fleet: Object.keys(fleets)[0],
    settings: platform.openhands,
    domain: "agents.localtest.me",
    issuer: "selfSigned",
    database: undefined,
    sourceDir: path.join(__dirname, "..", "..", ".."),
    // The released images: kwok's nodes run no containers, so nothing is pulled or built.
    devBuild: undefined,
    // Fixed keys (the random provider is not served here); stable, so a second `up` changes nothing.
    secrets: {
      runtimeApiKey: pulumi.secret("itest-runtime-api-key-0123456789abcdef"),
      serverSessionKey: pulumi.secret("itest-app-session-key-0123456789abcdef"),
      gatewayToken: pulumi.secret("itest-gateway-token-0123456789abcdef"),
    },
  },
  // The PV first: a claim made after its pre-bound PV binds at once.
  { parent: root, dependsOn: [serverData] },
);

// Kyverno's policy CRD (what chart kyverno installs) and the platform's ValidatingPolicies.
const kyvernoCrdFile = config.get("kyvernoCrd") ?? "";
const policyNames: string[] = [];
if (kyvernoCrdFile !== "") {
  const crd = parse(fs.readFileSync(kyvernoCrdFile, "utf8")) as Record<string, any>;
  const crdResource = new k8s.apiextensions.v1.CustomResourceDefinition("itest-kyverno-validatingpolicies-crd", { metadata: crd.metadata, spec: crd.spec }, { parent: root });
  for (const p of renderValidatingPolicies({ ...platform.policy, enforcement: "Deny" })) {
    new k8s.apiextensions.CustomResource(`itest-policy-${p.metadata.name}`, { apiVersion: p.apiVersion, kind: p.kind, metadata: p.metadata, spec: p.spec }, { parent: root, dependsOn: [crdResource] });
    policyNames.push(p.metadata.name);
  }
}

// A pinned, compliant workload (kwok runs it: the pod turns Running and Ready).
const labels = { "app.kubernetes.io/name": "itest-web" };
const restricted = {
  securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
  containerSecurity: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
};
const web = new k8s.apps.v1.Deployment(
  "itest-web",
  {
    metadata: { name: "itest-web", namespace: apps.metadata.name, labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: restricted.securityContext,
          containers: [
            {
              name: "web",
              image: "nginxinc/nginx-unprivileged:1.29.3",
              securityContext: restricted.containerSecurity,
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
            },
          ],
        },
      },
    },
  },
  { parent: root },
);

if (config.getBoolean("violation")) {
  new k8s.core.v1.Pod(
    "itest-latest-tag",
    {
      metadata: { name: "latest-tag", namespace: apps.metadata.name },
      spec: {
        securityContext: restricted.securityContext,
        containers: [
          {
            name: "web",
            image: "nginxinc/nginx-unprivileged:latest",
            securityContext: restricted.containerSecurity,
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
          },
        ],
      },
    },
    { parent: root },
  );
}

export const namespaces = [apps.metadata.name, operatorNs.metadata.name, fleetNs.metadata.name, openhands.namespaceResource.metadata.name, openhands.sandboxNamespace];
export const operatorRelease = operator.status.name;
export const deployment = web.metadata.name;
export const policies = policyNames;
