import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadPlatformConfig } from "../../config/load";
import { PROD_SECRETS, stackFileConfig, stackSecretConfig } from "../helpers/program";

const DEV = stackFileConfig("dev");
const PROD = stackFileConfig("prod");
const prodSecrets = stackSecretConfig("prod");
const PROD_SECRET_KEYS = Object.keys(prodSecrets);

/** Loads `base` with `changes` applied (objects JSON-encoded), returning the problems. */
function problems(base: Record<string, string>, changes: Record<string, unknown>, secretKeys: string[] = []): string[] {
  const raw = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete raw[k];
    else raw[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  try {
    loadPlatformConfig(raw, new Set(secretKeys));
    return [];
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    return e.problems;
  }
}

describe("shipped stack files", () => {
  it("validates Pulumi.dev.yaml with no secrets", () => {
    const { config, warnings } = loadPlatformConfig(DEV, new Set());
    assert.equal(config.profile, "dev");
    assert.equal(config.cluster.mode, "kind");
    assert.equal(config.mesh.linkerd.enabled, true);
    assert.equal(config.mesh.istio.enabled, false);
    assert.equal(config.storage.localPath.default, true);
    assert.deepEqual(warnings, []);
  });

  it("validates Pulumi.prod.yaml with the secrets its choices require", () => {
    const { config, secrets, warnings } = loadPlatformConfig({ ...PROD, ...prodSecrets }, new Set(PROD_SECRET_KEYS));
    assert.equal(config.profile, "prod");
    assert.equal(config.cluster.mode, "existing");
    assert.equal(config.cluster.existing.context, "platform-prod");
    assert.equal(config.mesh.istio.enabled, true);
    assert.equal(config.storage.rookCeph.default, true);
    assert.equal(secrets.awsCredentials, PROD_SECRETS.awsCredentials);
    // The shipped file names a documentation domain; the program says so loudly.
    assert.match(warnings.join("\n"), /reserved documentation domain/);
  });

  it("tells a prod user which secret is missing and how to set it", () => {
    assert.deepEqual(problems(PROD, {}), [
      "platform:openhandsOidcClientSecret: missing; platform:openhands.oidc is set. Set it with: pulumi config set --secret platform:openhandsOidcClientSecret <client secret>",
      "platform:awsCredentials: missing; crossplane.providers.aws is enabled. Set it with: pulumi config set --secret platform:awsCredentials < credentials-file",
    ]);
  });

  it("holds only differences from the profile defaults", () => {
    assert.deepEqual(Object.keys(DEV), ["platform:profile"]);
  });
});

// Each row: a bad change to the dev (or prod) stack and the exact message it must produce.
const BAD: { name: string; base?: "prod"; change: Record<string, unknown>; secrets?: string[]; expect: string }[] = [
  { name: "unknown top-level key", change: { "platform:meshes": "{}" }, expect: "platform:meshes: unknown key; allowed keys: autoscaling, awsCredentials, azureCredentials, certificates, cluster, crossplane, domain, gcpCredentials, gpu, grafanaAdminPassword, ingress, kubeconfig, mesh, networking, objectStorage, observability, ollama, openhands, openhandsOidcClientSecret, policy, profile, serverless, storage" },
  { name: "missing profile", change: { "platform:profile": undefined }, expect: 'platform:profile: missing; set it to "dev" or "prod"' },
  { name: "unknown profile", change: { "platform:profile": "staging" }, expect: 'platform:profile: "staging" is not allowed; allowed: "dev", "prod"' },
  { name: "unknown nested key", change: { "platform:mesh": { istio: { enabled: false, sidecars: true } } }, expect: "platform:mesh.istio.sidecars: unknown key" },
  { name: "object key given a string", change: { "platform:mesh": "istio" }, expect: "platform:mesh: expected object, got \"istio\"" },
  { name: "both meshes", change: { "platform:mesh": { istio: { enabled: true } } }, expect: "platform:mesh: istio and linkerd are exclusive; enable at most one" },
  { name: "boolean as string", change: { "platform:mesh": { linkerd: { enabled: "yes" } } }, expect: 'platform:mesh.linkerd.enabled: expected boolean, got "yes"' },
  { name: "two default IngressClasses", change: { "platform:ingress": { ingressNginx: { enabled: true, default: true } } }, expect: "platform:ingress: contour and ingressNginx are both the default IngressClass; exactly one may be the default" },
  { name: "no ingress controller", change: { "platform:ingress": { contour: { enabled: false, default: false } } }, expect: "platform:ingress: nothing enabled; enable one of contour, ingressNginx" },
  { name: "default on a disabled controller", change: { "platform:ingress": { contour: { default: false }, ingressNginx: { default: true } } }, expect: "platform:ingress.ingressNginx.default: true, but ingressNginx is not enabled; only an enabled provider can be the default IngressClass" },
  { name: "two default StorageClasses", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:storage": { longhorn: { enabled: true, default: true } } }, expect: "platform:storage: rookCeph and longhorn are both the default StorageClass; exactly one may be the default" },
  { name: "Longhorn on kind", change: { "platform:storage": { localPath: { default: false }, longhorn: { enabled: true, default: true } } }, expect: "platform:storage.longhorn.enabled: true, but Longhorn needs open-iscsi on its nodes and kind nodes have none; use localPath on kind, Longhorn on VMs (cluster.mode \"existing\")" },
  { name: "Rook-Ceph on kind", change: { "platform:storage": { rookCeph: { enabled: true } } }, expect: "platform:storage.rookCeph.enabled: true, but Rook-Ceph needs raw disks and kind nodes have none; use localPath on kind" },
  { name: "local-path outside kind", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:storage": { localPath: { enabled: true } } }, expect: 'platform:storage.localPath.enabled: true, but local-path is kind\'s built-in class; with cluster.mode "existing" enable rookCeph or longhorn' },
  { name: "malformed quantity", change: { "platform:observability": { loki: { storageSize: "10GB" } } }, expect: 'platform:observability.loki.storageSize: "10GB" must be a Kubernetes quantity such as 100Gi, 512Mi, 500m or 2' },
  { name: "malformed proxy quantity", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:mesh": { istio: { proxy: { requests: { cpu: "lots", memory: "128Mi" }, limits: { cpu: "2", memory: "1Gi" } } } } }, expect: 'platform:mesh.istio.proxy.requests.cpu: "lots" must be a Kubernetes quantity such as 100Gi, 512Mi, 500m or 2' },
  { name: "domain with a scheme", change: { "platform:domain": "https://agents.example.org" }, expect: 'platform:domain: "https://agents.example.org" must be a lowercase DNS name such as agents.example.org (no scheme, port, wildcard or trailing dot)' },
  { name: "wildcard domain", change: { "platform:domain": "*.agents.example.org" }, expect: 'platform:domain: "*.agents.example.org" must be a lowercase DNS name such as agents.example.org (no scheme, port, wildcard or trailing dot)' },
  { name: "cluster name not a DNS label", change: { "platform:cluster": { kind: { name: "Local_Hands" } } }, expect: 'platform:cluster.kind.name: "Local_Hands" must be a DNS-1123 label: lowercase letters, digits and \'-\', starting and ending alphanumeric' },
  { name: "kind node image on latest", change: { "platform:cluster": { kind: { nodeImage: "kindest/node:latest" } } }, expect: 'platform:cluster.kind.nodeImage: "kindest/node:latest" must not use the \'latest\' tag: pin a version' },
  { name: "kind node image not kindest", change: { "platform:cluster": { kind: { nodeImage: "example/node:v1.35.1" } } }, expect: 'platform:cluster.kind.nodeImage: "example/node:v1.35.1" must be a kindest/node:vX.Y.Z image' },
  { name: "same host port twice", change: { "platform:cluster": { kind: { hostPorts: { http: 8443, https: 8443 } } } }, expect: "platform:cluster.kind.hostPorts: http and https are both 8443; they must differ" },
  { name: "port out of range", change: { "platform:cluster": { kind: { hostPorts: { http: 80, https: 70000 } } } }, expect: "platform:cluster.kind.hostPorts.https: 70000 must be a port between 1 and 65535" },
  { name: "bad worker label", change: { "platform:cluster": { kind: { workers: [{ labels: { "gpu pool": "a" } }] } } }, expect: 'platform:cluster.kind.workers[0].labels.gpu pool: "gpu pool" must be a label key: [prefix/]name, name at most 63 of [A-Za-z0-9-_.]' },
  { name: "too many workers", change: { "platform:cluster": { kind: { workers: [{ count: 9 }] } } }, expect: "platform:cluster.kind.workers[0].count: 9 must be <=8" },
  { name: "existing without context or kubeconfig", change: { "platform:cluster": { mode: "existing" }, "platform:storage": { localPath: { enabled: false, default: false }, rookCeph: { enabled: true, default: true } } }, expect: 'platform:cluster.existing.context: missing; cluster.mode "existing" needs a kubeconfig context or the secret platform:kubeconfig' },
  { name: "kubeconfig secret with kind", change: { "platform:kubeconfig": "apiVersion: v1" }, secrets: ["platform:kubeconfig"], expect: 'platform:kubeconfig: set, but cluster.mode is "kind" (the program creates the cluster and reads its kubeconfig); unset it or use mode "existing"' },
  { name: "secret stored in plaintext", change: { "platform:grafanaAdminPassword": "hunter2hunter2" }, expect: "platform:grafanaAdminPassword: stored in plaintext; it must be a secret: pulumi config set --secret platform:grafanaAdminPassword (value not shown)" },
  { name: "short Grafana password", change: { "platform:grafanaAdminPassword": "short" }, secrets: ["platform:grafanaAdminPassword"], expect: "platform:grafanaAdminPassword: must be at least 12 characters (value not shown)" },
  { name: "ACME without email", change: { "platform:certificates": { issuer: "acme" } }, expect: "platform:certificates.acme: missing; issuer \"acme\" needs acme.email (the ACME account contact)" },
  { name: "ACME for localhost", change: { "platform:certificates": { issuer: "acme", acme: { email: "ops@agents.dev" } } }, expect: 'platform:domain: "localhost" cannot get ACME certificates; use issuer "selfSigned" for local domains' },
  { name: "bad ACME email", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:certificates": { issuer: "acme", acme: { email: "platform-team" } } }, expect: 'platform:certificates.acme.email: "platform-team" must be an email address' },
  { name: "unknown issuer", change: { "platform:certificates": { issuer: "letsencrypt" } }, expect: 'platform:certificates.issuer: "letsencrypt" is not allowed; allowed: "selfSigned", "acme"' },
  { name: "Knative on Istio without Istio", change: { "platform:serverless": { knative: { networking: "istio" } } }, expect: 'platform:serverless.knative.networking: "istio" needs mesh.istio.enabled: true; use "kourier" otherwise' },
  { name: "both S3 backends", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:objectStorage": { minio: { enabled: true } } }, expect: "platform:objectStorage: minio and cephRgw are exclusive; the platform exposes one S3 endpoint" },
  { name: "Ceph RGW without Rook", change: { "platform:objectStorage": { minio: { enabled: false }, cephRgw: { enabled: true } } }, expect: "platform:objectStorage.cephRgw.enabled: true needs storage.rookCeph.enabled: true (the gateway runs in the Ceph cluster)" },
  { name: "cloud provider without Crossplane", change: { "platform:crossplane": { providers: { gcp: { enabled: true, project: "p" } } } }, expect: "platform:crossplane.providers.gcp.enabled: true needs crossplane.enabled: true" },
  { name: "GCP provider without project", base: "prod", secrets: [...PROD_SECRET_KEYS, "platform:gcpCredentials"], change: { "platform:gcpCredentials": "{}", "platform:crossplane": { providers: { aws: { enabled: true, region: "us-east-1" }, gcp: { enabled: true } } } }, expect: "platform:crossplane.providers.gcp.project: missing; the GCP provider needs a project id" },
  { name: "credentials for a disabled cloud", change: { "platform:azureCredentials": "{}" }, secrets: ["platform:azureCredentials"], expect: "platform:azureCredentials: set, but crossplane.providers.azure is not enabled; remove the secret or enable the provider" },
  { name: "bad Prometheus retention", change: { "platform:observability": { prometheus: { retention: "two weeks" } } }, expect: 'platform:observability.prometheus.retention: "two weeks" must be a Prometheus duration such as 15d or 12h' },
  { name: "even Ceph monitor count", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:storage": { rookCeph: { mons: 2 } } }, expect: "platform:storage.rookCeph.mons: 2 must be odd (1, 3, 5, 7 or 9)" },
  { name: "sampling above 100%", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:mesh": { istio: { tracingSampling: 150 } } }, expect: "platform:mesh.istio.tracingSampling: 150 must be <=100" },
  { name: "an EKS Cilium mode on kind", change: { "platform:networking": { cilium: { enabled: true, mode: "eni" } } }, expect: 'platform:networking.cilium.mode: "eni" is for EKS; on kind Cilium is the only CNI: use "cni"' },
  { name: "Cilium as a second primary CNI on EKS", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:networking": { cilium: { enabled: true, mode: "cni" } } }, expect: 'platform:networking.cilium.mode: "cni" on cluster.existing.distribution "eks": every EKS node already runs the VPC CNI (aws-node), and a second primary CNI breaks pod networking; use "chained" (Cilium on top of aws-node) or "eni" (Cilium replaces aws-node, which must be deleted or patched off the nodes first; README, "Networking modes")' },
  { name: "Cilium on GKE's own dataplane", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:cluster": { mode: "existing", existing: { context: "gke", distribution: "gke" } } }, expect: 'platform:networking.cilium.enabled: true on cluster.existing.distribution "gke": GKE runs its own dataplane (Dataplane V2 is Cilium already); set networking.cilium.enabled false and create the cluster with Dataplane V2 for NetworkPolicy enforcement' },
  { name: "aws-cni chaining outside EKS", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:cluster": { mode: "existing", existing: { context: "lab", distribution: "kubeadm" } } }, expect: 'platform:networking.cilium.mode: "chained" needs cluster.existing.distribution "eks" (it joins the AWS VPC CNI); on kubeadm use "cni"' },
  { name: "unknown distribution", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:cluster": { mode: "existing", existing: { context: "x", distribution: "openshift" } } }, expect: 'platform:cluster.existing.distribution: "openshift" is not allowed; allowed: "kubeadm", "eks", "gke", "aks"' },
  { name: "sandbox egress to everything, cloud metadata included", change: { "platform:openhands": { enabled: true, sandbox: { egress: { cidrs: [{ cidr: "0.0.0.0/0", ports: [443] }] } } } }, expect: 'platform:openhands.sandbox.egress.cidrs[0].cidr: "0.0.0.0/0" includes the link-local range (cloud metadata at 169.254.169.254, which hands out the node\'s credentials); add "169.254.0.0/16" to its except list or use a narrower CIDR' },
  { name: "sandboxes on the platform domain", change: { "platform:openhands": { enabled: true, sandbox: { domain: "localhost" } } }, expect: 'platform:openhands.sandbox.domain: "localhost" would put sandboxes beside the platform\'s own hosts (a wildcard certificate for *.localhost also covers openhands.localhost, grafana.localhost); use a domain of their own such as sandboxes.localhost' },
  { name: "sandboxes behind ingress-nginx (no certificate delegation: the key would sit in the sandbox namespace)", change: { "platform:openhands": { enabled: true }, "platform:ingress": { contour: { enabled: true, default: false }, ingressNginx: { enabled: true, default: true } } }, expect: "platform:ingress.ingressNginx.default: true, but sandbox Ingresses use the default IngressClass and only Contour serves them the wildcard certificate from namespace openhands (TLS certificate delegation; ingress-nginx would need the key in the sandbox namespace, where untrusted code runs); make contour the default" },
  { name: "Hubble UI on a public route of a shared cluster (it has no login)", base: "prod", secrets: PROD_SECRET_KEYS, change: { "platform:networking": { cilium: { enabled: true, mode: "chained", hubble: { uiIngress: true } } } }, expect: 'platform:networking.cilium.hubble.uiIngress: true on cluster.mode "existing", but Hubble UI has no login and shows every flow of the cluster; it gets no public route there. Set uiIngress false and open it with: kubectl -n kube-system port-forward svc/hubble-ui 12000:80' },
  { name: "a fleet tolerating the control plane", change: { "platform:ollama": { fleets: [{ model: "qwen2.5-coder:0.5b", resources: { cpu: "1", memory: "2Gi" }, placement: { tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }] } }] } }, expect: 'platform:ollama.fleets[0].placement.tolerations[0]: tolerates "node-role.kubernetes.io/control-plane", which would schedule model servers onto control-plane nodes; tolerate only the taints of the nodes meant for them (a GPU pool\'s is added by gpuPool)' },
  { name: "prod without OIDC sign-in", base: "prod", secrets: ["platform:awsCredentials"], change: { "platform:openhands": { sandbox: { tlsSecret: "wildcard-tls" } } }, expect: 'platform:openhands.oidc: missing; in prod the agent UI and the sandbox server are reachable only through OIDC sign-in: set issuerUrl, clientId and emailDomains, gateway.auth "oidc-header", and the secret platform:openhandsOidcClientSecret' },
  { name: "OIDC with the gateway's own tokens", change: { "platform:openhands": { enabled: true, oidc: { issuerUrl: "https://login.example.org", clientId: "openhands", emailDomains: ["example.org"] } }, "platform:openhandsOidcClientSecret": "s3cret-client" }, secrets: ["platform:openhandsOidcClientSecret"], expect: 'platform:openhands.gateway.auth: "bearer" with platform:openhands.oidc set; the gateway must trust the proxy\'s header: use "oidc-header"' },
  { name: "OIDC over plain HTTP", change: { "platform:openhands": { enabled: true, gateway: { auth: "oidc-header", identityHeader: "x-forwarded-email" }, oidc: { issuerUrl: "http://login.example.org", clientId: "openhands", emailDomains: ["example.org"] } }, "platform:openhandsOidcClientSecret": "s3cret-client" }, secrets: ["platform:openhandsOidcClientSecret"], expect: 'platform:openhands.oidc.issuerUrl: "http://login.example.org" must be an https URL (the discovery document and tokens are fetched from it)' },
  { name: "two sandbox server replicas", change: { "platform:openhands": { enabled: true, server: { replicas: 2 } } }, expect: "platform:openhands.server.replicas: 2 is not allowed; the sandbox server keeps its settings, keys and conversation events on one ReadWriteOnce volume (and SQLite allows one writer), so it runs 1 replica" },
  { name: "gateway request above its limit", change: { "platform:openhands": { enabled: true, gateway: { resources: { requests: { memory: "1Gi" } } } } }, expect: 'platform:openhands.gateway.resources.requests.memory: "1Gi" is above limits.memory "192Mi"; a request must not exceed its limit' },
  { name: "unknown gateway auth", change: { "platform:openhands": { enabled: true, gateway: { auth: "basic" } } }, expect: 'platform:openhands.gateway.auth: "basic" is not allowed; allowed: "bearer", "oidc-header"' },
  {
    name: "a RuntimeClass for the sandbox namespace that is not the sandboxes'",
    change: { "platform:openhands": { enabled: true, sandbox: { runtimeClass: "gvisor" } }, "platform:policy": { enforcement: "Audit", runtimeClasses: { "openhands-sandboxes": "kata" } } },
    expect: 'platform:policy.runtimeClasses.openhands-sandboxes: "kata", but platform:openhands.sandbox.runtimeClass is "gvisor"; sandbox pods would be refused. Set openhands.sandbox.runtimeClass to "kata" and leave the sandbox namespace out of policy.runtimeClasses (it follows openhands.sandbox.runtimeClass)',
  },
  { name: "Postgres instances with SQLite", change: { "platform:openhands": { enabled: true, server: { database: { instances: 3 } } } }, expect: "platform:openhands.server.database.instances: 3 applies to postgres only; with kind sqlite remove it" },
];

describe("networking modes per distribution", () => {
  it("defaults prod to Cilium chained onto the VPC CNI of the EKS cluster it names", () => {
    const { config } = loadPlatformConfig({ ...PROD, ...prodSecrets }, new Set(PROD_SECRET_KEYS));
    assert.equal(config.cluster.existing.distribution, "eks");
    assert.equal(config.networking.cilium.mode, "chained");
  });

  it("runs Cilium as the only CNI on kind", () => {
    assert.equal(loadPlatformConfig(DEV, new Set()).config.networking.cilium.mode, "cni");
  });

  for (const [dist, mode] of [["eks", "eni"], ["aks", "cni"], ["kubeadm", "cni"]] as const) {
    it(`accepts Cilium mode ${mode} on ${dist}`, () => {
      const raw = { ...PROD, ...prodSecrets, "platform:cluster": JSON.stringify({ mode: "existing", existing: { context: "c", distribution: dist } }), "platform:networking": JSON.stringify({ cilium: { enabled: true, mode } }) };
      assert.equal(loadPlatformConfig(raw, new Set(PROD_SECRET_KEYS)).config.networking.cilium.mode, mode);
    });
  }

  it("accepts GKE with Cilium off, and warns about AKS without BYOCNI", () => {
    const gke = { ...PROD, ...prodSecrets, "platform:cluster": JSON.stringify({ mode: "existing", existing: { context: "c", distribution: "gke" } }), "platform:networking": JSON.stringify({ cilium: { enabled: false } }) };
    assert.equal(loadPlatformConfig(gke, new Set(PROD_SECRET_KEYS)).config.networking.cilium.enabled, false);
    const aks = { ...PROD, ...prodSecrets, "platform:cluster": JSON.stringify({ mode: "existing", existing: { context: "c", distribution: "aks" } }), "platform:networking": JSON.stringify({ cilium: { enabled: true, mode: "cni" } }) };
    assert.match(loadPlatformConfig(aks, new Set(PROD_SECRET_KEYS)).warnings.join("\n"), /only on a cluster created with --network-plugin none/);
  });
});

describe("policy settings that follow from the sandbox contract", () => {
  const policyOf = (changes: Record<string, unknown>) => {
    const raw = { ...DEV, ...Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, JSON.stringify(v)])) };
    return loadPlatformConfig(raw, new Set()).config.policy;
  };

  it("requires openhands.sandbox.runtimeClass of every pod in the sandbox namespace", () => {
    assert.deepEqual(policyOf({ "platform:openhands": { enabled: true, sandbox: { runtimeClass: "gvisor" } } }).runtimeClasses, { "openhands-sandboxes": "gvisor" });
    assert.deepEqual(
      policyOf({ "platform:openhands": { enabled: true, sandbox: { namespace: "agents", runtimeClass: "kata" } }, "platform:policy": { enforcement: "Audit", workloadNamespaces: ["ollama", "openhands", "agents"], runtimeClasses: { batch: "gvisor" } } }).runtimeClasses,
      { agents: "kata", batch: "gvisor" },
    );
  });

  it("requires none without a sandbox RuntimeClass or without OpenHands", () => {
    assert.deepEqual(policyOf({ "platform:openhands": { enabled: true } }).runtimeClasses, {});
    assert.deepEqual(policyOf({ "platform:openhands": { enabled: false, sandbox: { runtimeClass: "gvisor" } } }).runtimeClasses, {});
  });
});

describe("bad config is rejected with the key path, the value and what is allowed", () => {
  it("covers at least 20 distinct mistakes", () => assert.ok(BAD.length >= 20));
  for (const row of BAD) {
    it(`rejects ${row.name}`, () => {
      const base = row.base === "prod" ? { ...PROD, ...prodSecrets } : DEV;
      const secrets = row.secrets ?? (row.base === "prod" ? PROD_SECRET_KEYS : []);
      const got = problems(base, row.change, secrets);
      assert.ok(got.includes(row.expect), `expected the message\n  ${row.expect}\ngot\n  ${got.join("\n  ") || "(no problem)"}`);
    });
  }

  it("reports every problem at once, not only the first", () => {
    const got = problems(DEV, { "platform:mesh": { istio: { enabled: true } }, "platform:ingress": { ingressNginx: { enabled: true, default: true } } });
    // Istio beside Linkerd, two default IngressClasses, and dev's sandboxes behind ingress-nginx.
    assert.deepEqual(got.map((m) => m.slice(0, m.indexOf(": "))).sort(), ["platform:ingress", "platform:ingress.ingressNginx.default", "platform:mesh"]);
  });

  it("never prints a secret's value", () => {
    const secret = "do-not-print-me-123";
    const got = problems(DEV, { "platform:kubeconfig": secret }).join("\n");
    assert.ok(!got.includes(secret));
  });
});
