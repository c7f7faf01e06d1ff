import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  cookieSecretProblem,
  OAUTH2_PROXY_IMAGE,
  OIDC_PROXY,
  OidcProxy,
  oidcProblems,
  renderOidcProxyValues,
  UPSTREAM_IDENTITY_HEADERS,
  type OidcProxyArgs,
  type OidcSettings,
} from "../../components/auth";
import { CHARTS } from "../../components/catalog";
import { CLUSTER_ISSUER_ANNOTATION } from "../../components/ingress/tls-ingress";
import { evaluateFlow, type NetworkPolicy } from "../../lib/netpol";
import { TYPES } from "../../tools/types";
import { configMapMarker, fakeCertificates, fakeCluster, fakeIngress, fakeNetwork, fakeProvider } from "../helpers/layers";
import { recordResources, type ProgramRun } from "../helpers/program";
import { unwrapSecrets, validateAll } from "../helpers/validate";


const CLIENT_SECRET = "client-secret-fixture-5d1e0c9a";
// 32 letters and digits: 32 raw bytes, as a RandomPassword({ length: 32, special: false }) gives.
const COOKIE_SECRET = "Zq4h7Kp2Wm9Xv3Rt6Ys8Bn1Cd5Fg0Lj2";
const SETTINGS: OidcSettings = {
  issuerUrl: "https://id.agents.example.org/realms/agents",
  clientId: "agent-canvas",
  emailDomains: ["agents.example.org"],
  allowedGroups: ["agent-users", "platform-admins"],
  identityHeader: "x-forwarded-email",
};
const GATEWAY = { service: "openhands-gateway", port: 8080, pods: { labels: { "app.kubernetes.io/name": "openhands-gateway" }, port: 8080 } };
const HOST = "openhands.agents.example.org";

interface Built {
  run: ProgramRun;
  proxy?: OidcProxy;
  error?: unknown;
}

/** The component with fake layers; what it threw is caught inside the program. */
async function build(settings: OidcSettings = SETTINGS, extra: Partial<OidcProxyArgs> = {}): Promise<Built> {
  let proxy: OidcProxy | undefined;
  let error: unknown;
  const run = await recordResources(() => {
    const provider = fakeProvider();
    const m = configMapMarker(provider);
    const ns = new k8s.core.v1.Namespace("openhands-ns", { metadata: { name: "openhands" } }, { provider });
    try {
      proxy = new OidcProxy("auth", {
        cluster: fakeCluster({ provider }),
        network: fakeNetwork([m("cni")]),
        ingress: fakeIngress({ ready: [m("ingress")] }),
        certificates: fakeCertificates({ clusterIssuer: "platform-acme", ready: [m("issuer")], webhookReady: [m("cert-manager")] }),
        namespace: ns.metadata.name,
        dependsOn: [ns],
        settings,
        clientSecret: pulumi.secret(CLIENT_SECRET),
        cookieSecret: pulumi.secret(COOKIE_SECRET),
        upstream: GATEWAY,
        host: HOST,
        ...extra,
      });
    } catch (e) {
      error = e;
    }
    return {};
  });
  return { run, proxy, error };
}

async function buildError(settings: OidcSettings): Promise<string> {
  const { error, run } = await build(settings);
  assert.ok(error !== undefined, "expected the component to throw");
  assert.equal(run.ofType(TYPES.release).length, 0, "nothing is installed with bad settings");
  return String(error);
}

describe("the OIDC proxy (oauth2-proxy)", () => {
  let built: Built;
  before(async () => {
    built = await build();
    assert.equal(built.error, undefined, String(built.error));
  });

  it("installs the pinned chart as release oauth2-proxy in the namespace it is given", () => {
    const r = built.run.get(TYPES.release, "auth-oauth2-proxy");
    assert.equal(r.inputs.chart, "oauth2-proxy");
    assert.equal(r.inputs.version, CHARTS.oauth2Proxy.version);
    assert.equal(r.inputs.repositoryOpts.repo, "https://oauth2-proxy.github.io/manifests");
    assert.equal(r.inputs.name, "oauth2-proxy");
    assert.equal(r.inputs.namespace, "openhands");
    assert.equal(CHARTS.oauth2Proxy.namespace, "openhands");
    assert.equal(r.inputs.createNamespace, false);
    assert.equal(r.providerDep, "pulumi:providers:kubernetes::fake");
    for (const dep of ["kubernetes:core/v1:ConfigMap::cni", "kubernetes:core/v1:Namespace::openhands-ns", `${TYPES.secret}::auth-credentials`]) {
      assert.ok(built.run.dependsOn(`${TYPES.release}::auth-oauth2-proxy`, dep), `release waits for ${dep}`);
    }
  });

  it("runs the OIDC provider against the gateway, with hardened cookies and the identity in X-Forwarded-Email", () => {
    const v = built.run.get(TYPES.release, "auth-oauth2-proxy").inputs.values;
    assert.deepEqual(v.config, {
      existingSecret: OIDC_PROXY.secret.name,
      emailDomains: ["agents.example.org"],
      upstreams: ["http://openhands-gateway.openhands.svc.cluster.local:8080"],
      cookieName: "__Host-openhands-oidc",
    });
    const a = v.extraArgs;
    assert.equal(a.provider, "oidc");
    assert.equal(a["oidc-issuer-url"], SETTINGS.issuerUrl);
    assert.equal(a["redirect-url"], `https://${HOST}/oauth2/callback`);
    assert.equal(a["reverse-proxy"], true);
    assert.equal(a["skip-provider-button"], true);
    assert.equal(a["cookie-secure"], true);
    assert.equal(a["cookie-httponly"], true);
    assert.equal(a["cookie-samesite"], "lax");
    assert.equal(a["pass-user-headers"], true);
    assert.equal(a["skip-auth-strip-headers"], true);
    assert.equal(a["prefer-email-to-user"], false);
    assert.equal(a["set-xauthrequest"], false);
    assert.equal(a["allowed-group"], "agent-users,platform-admins");
    assert.equal(a["code-challenge-method"], "S256");
    assert.equal(a["client-id"], undefined, "the client ID comes from the Secret");
  });

  it("pins the image, runs 2 restricted replicas with a PDB, requests and a memory limit, and no chart Ingress or Redis", () => {
    const v = built.run.get(TYPES.release, "auth-oauth2-proxy").inputs.values;
    assert.deepEqual(v.image, { ...OAUTH2_PROXY_IMAGE, pullPolicy: "IfNotPresent" });
    assert.equal(v.image.tag, "v7.15.3");
    assert.notEqual(v.image.tag, "latest");
    assert.equal(v.replicaCount, 2);
    assert.deepEqual(v.podDisruptionBudget, { enabled: true, minAvailable: 1 });
    assert.deepEqual(v.resources, { requests: { cpu: "25m", memory: "48Mi" }, limits: { memory: "128Mi" } });
    assert.deepEqual(v.securityContext, {
      enabled: true,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsUser: 2000,
      runAsGroup: 2000,
    });
    assert.deepEqual(v.podSecurityContext, { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    assert.equal(v.serviceAccount.automountServiceAccountToken, false);
    assert.equal(v.ingress.enabled, false);
    assert.equal(v.gatewayApi.enabled, false);
    assert.equal(v["redis-ha"].enabled, false);
    assert.equal(v.sessionStorage.type, "cookie");
  });

  it("keeps every secret out of the release's values: only the Secret holds them, as Pulumi secrets", () => {
    const r = built.run.get(TYPES.release, "auth-oauth2-proxy");
    const values = JSON.stringify(unwrapSecrets(r.inputs.values));
    for (const s of [CLIENT_SECRET, COOKIE_SECRET]) assert.ok(!values.includes(s), "a secret value is in the release's values");
    assert.deepEqual(unwrapSecrets(r.inputs.values), r.inputs.values, "the values carry no secret at all");
    for (const k of ["clientSecret", "cookieSecret", "clientID"]) assert.equal(r.inputs.values.config[k], undefined, `config.${k} is not set`);

    const s = built.run.get(TYPES.secret, "auth-credentials");
    assert.equal(s.inputs.metadata.name, OIDC_PROXY.secret.name);
    assert.equal(s.inputs.metadata.namespace, "openhands");
    const data = s.inputs.stringData;
    assert.deepEqual(unwrapSecrets(data), { "client-id": "agent-canvas", "client-secret": CLIENT_SECRET, "cookie-secret": COOKIE_SECRET });
    assert.notDeepEqual(data, unwrapSecrets(data), "the Secret's data is a Pulumi secret in the state");
  });

  it("admits only the ingress controller to the proxy, and only the proxy to the gateway", () => {
    const v = built.run.get(TYPES.release, "auth-oauth2-proxy").inputs.values;
    assert.equal(v.networkPolicy.create, true);
    const chartPolicy: NetworkPolicy = {
      metadata: { name: "oauth2-proxy", namespace: "openhands" },
      spec: { podSelector: { matchLabels: OIDC_PROXY.podLabels }, policyTypes: ["Ingress"], ingress: v.networkPolicy.ingress },
    };
    const p = built.run.get(TYPES.networkPolicy, "auth-upstream-policy");
    assert.equal(p.inputs.metadata.namespace, "openhands");
    const upstream: NetworkPolicy = { metadata: { name: p.inputs.metadata.name, namespace: "openhands" }, spec: p.inputs.spec };
    const policies = [chartPolicy, upstream];
    const proxyPod = { namespace: "openhands", labels: { ...OIDC_PROXY.podLabels, app: "oauth2-proxy" } };
    const envoy = { namespace: "projectcontour", labels: { "app.kubernetes.io/name": "envoy" } };
    const gateway = { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-gateway" } };
    const server = { namespace: "openhands", labels: { "app.kubernetes.io/name": "openhands-app" } };
    assert.equal(evaluateFlow(policies, { from: envoy, to: proxyPod, port: 4180 }).allowed, true);
    assert.equal(evaluateFlow(policies, { from: server, to: proxyPod, port: 4180 }).allowed, false);
    assert.equal(evaluateFlow(policies, { from: proxyPod, to: gateway, port: 8080 }).allowed, true);
    assert.equal(evaluateFlow(policies, { from: envoy, to: gateway, port: 8080 }).allowed, false, "the ingress controller cannot bypass the proxy");
    assert.equal(evaluateFlow(policies, { from: server, to: gateway, port: 8080 }).allowed, false);
  });

  it("serves https://<host> through the platform's Ingress to the chart's Service oauth2-proxy:80", async () => {
    const i = built.run.get(TYPES.ingress, "auth-ingress");
    assert.equal(i.inputs.metadata.name, "openhands-oidc");
    assert.equal(i.inputs.metadata.namespace, "openhands");
    assert.equal(i.inputs.spec.ingressClassName, "contour");
    assert.equal(i.inputs.metadata.annotations[CLUSTER_ISSUER_ANNOTATION], "platform-acme");
    assert.equal(i.inputs.metadata.annotations["projectcontour.io/websocket-routes"], "/");
    assert.deepEqual(i.inputs.spec.tls, [{ hosts: [HOST], secretName: "openhands-oidc-tls" }]);
    const [rule] = i.inputs.spec.rules;
    assert.equal(rule.host, HOST);
    assert.deepEqual(rule.http.paths, [{ path: "/", pathType: "Prefix", backend: { service: { name: "oauth2-proxy", port: { number: 80 } } } }]);
    assert.ok(built.run.dependsOn(`${TYPES.ingress}::auth-ingress`, `${TYPES.release}::auth-oauth2-proxy`));
    assert.ok(built.run.dependsOn(`${TYPES.ingress}::auth-ingress`, "kubernetes:core/v1:ConfigMap::issuer"));

    const p = built.proxy!;
    assert.equal(p.url, `https://${HOST}`);
    assert.deepEqual(p.service, { name: "oauth2-proxy", port: 80 });
    assert.equal(p.identityHeader, "x-forwarded-email");
    assert.equal(p.ready.length, 2);
  });

  it("emits valid objects, all on the cluster's provider", async () => {
    for (const r of built.run.resources.filter((x) => x.custom && x.parent === "platform:auth:OidcProxy::auth")) {
      assert.equal(r.providerDep, "pulumi:providers:kubernetes::fake", r.name);
    }
    assert.deepEqual(await validateAll(built.run.resources), []);
  });

  it("adds no upstream NetworkPolicy when the upstream's pods are not given", async () => {
    const { run, error } = await build(SETTINGS, { upstream: { service: "openhands-gateway", port: 8080 } });
    assert.equal(error, undefined);
    assert.equal(run.ofType(TYPES.networkPolicy).length, 0);
  });
});

describe("OIDC settings", () => {
  it("rejects an issuer that is not https, naming the key", async () => {
    const e = await buildError({ ...SETTINGS, issuerUrl: "http://id.agents.example.org/realms/agents" });
    assert.match(e, /OidcProxy args\.settings\.issuerUrl: "http:\/\/id\.agents\.example\.org\/realms\/agents" must be an https URL/);
    assert.match(await buildError({ ...SETTINGS, issuerUrl: "id.example.org" }), /OidcProxy args\.settings\.issuerUrl: "id\.example\.org" is not a URL/);
  });

  it("rejects an empty client ID, naming the key", async () => {
    assert.match(await buildError({ ...SETTINGS, clientId: "" }), /OidcProxy args\.settings\.clientId: must be set/);
    assert.match(await buildError({ ...SETTINGS, clientId: "  " }), /OidcProxy args\.settings\.clientId: must be set/);
  });

  it("rejects an empty or malformed emailDomains, naming the key", async () => {
    assert.match(await buildError({ ...SETTINGS, emailDomains: [] }), /OidcProxy args\.settings\.emailDomains: must list at least one email domain/);
    assert.match(await buildError({ ...SETTINGS, emailDomains: ["user@example.org"] }), /OidcProxy args\.settings\.emailDomains: "user@example\.org" is not an email domain/);
  });

  it("refuses X-Auth-Request-Email as the identity header: oauth2-proxy never sets it upstream and does not strip it", async () => {
    const e = await buildError({ ...SETTINGS, identityHeader: "x-auth-request-email" });
    assert.match(e, /OidcProxy args\.settings\.identityHeader: "x-auth-request-email": .*impersonated; use one of x-forwarded-email, x-forwarded-user, x-forwarded-preferred-username/);
  });

  it("reports every problem at once", () => {
    const p = oidcProblems({ issuerUrl: "http://x", clientId: "", emailDomains: [], identityHeader: "x-user", allowedGroups: ["a,b"] });
    assert.deepEqual(
      p.map((m) => m.slice(0, m.indexOf(":"))),
      ["issuerUrl", "clientId", "emailDomains", "allowedGroups", "identityHeader"].map((k) => `OidcProxy args.settings.${k}`),
    );
  });

  it("accepts wildcard and subdomain forms of email domains and every header oauth2-proxy passes upstream", () => {
    assert.deepEqual(oidcProblems({ ...SETTINGS, emailDomains: ["*"] }), []);
    assert.deepEqual(oidcProblems({ ...SETTINGS, emailDomains: [".example.org", "*.example.org", "example.com"] }), []);
    for (const h of Object.keys(UPSTREAM_IDENTITY_HEADERS)) assert.deepEqual(oidcProblems({ ...SETTINGS, identityHeader: h.toUpperCase() }), []);
    const v = renderOidcProxyValues({ settings: { ...SETTINGS, allowedGroups: undefined }, upstream: "http://u:1", host: HOST, ingressNamespace: "projectcontour" });
    assert.equal((v.extraArgs as Record<string, unknown>)["allowed-group"], undefined);
  });
});

describe("cookie secret (oauth2-proxy 7.15.3 SecretBytes)", () => {
  it("accepts 16, 24 or 32 raw bytes and URL-safe base64 of that many", () => {
    assert.equal(cookieSecretProblem(COOKIE_SECRET), undefined);
    assert.equal(cookieSecretProblem("a".repeat(16)), undefined);
    assert.equal(cookieSecretProblem("b".repeat(24)), undefined);
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 251) % 256));
    assert.equal(cookieSecretProblem(bytes.toString("base64url")), undefined);
    assert.equal(cookieSecretProblem(`${bytes.toString("base64url")}=`), undefined);
  });

  it("rejects other lengths and standard base64 with + or / (openssl rand -base64 32), without showing the value", () => {
    const std = Buffer.alloc(32, 0xfb).toString("base64");
    assert.ok(/[+/]/.test(std) && std.length === 44);
    for (const bad of [std, "short-secret", "c".repeat(33)]) {
      const p = cookieSecretProblem(bad);
      assert.ok(p, `${bad.length} characters accepted`);
      assert.ok(!p.includes(bad), "the message shows the value");
      assert.match(p, /16, 24 or 32 bytes/);
    }
  });
});
