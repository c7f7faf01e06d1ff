import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Values } from "../../lib/merge";
import type { NetworkPolicy } from "../../lib/netpol";
import { CHARTS } from "../catalog";
import type { CertificatesLayer, ClusterLayer, IngressLayer, NetworkLayer } from "../contracts";
import { platformRelease } from "../helm";
import { tlsIngress } from "../ingress/tls-ingress";
import { INGRESS_CLASS } from "../ingress/values";
import { PART_OF } from "../platform-names";

/*
 * An authenticating OIDC proxy in front of a platform UI (Agent Canvas behind our gateway):
 * oauth2-proxy 7.15.3 from its chart oauth2-proxy 10.7.0 (oauth2-proxy/manifests tag
 * oauth2-proxy-10.7.0). Every chart key below is in that chart's values.yaml or read by its
 * templates (deployment.yaml, _helpers.tpl, networkpolicy.yaml); oauth2-proxy facts are from
 * oauth2-proxy/oauth2-proxy at v7.15.3.
 *
 * The identity header. In proxy mode oauth2-proxy's headers chain (oauthproxy.go Proxy →
 * buildHeadersChain) injects `InjectRequestHeaders` into the request it forwards upstream and
 * `InjectResponseHeaders` into the response to the browser. The legacy flags fill them
 * (pkg/apis/options/legacy_options.go, LegacyHeaders.getRequestHeaders/getResponseHeaders):
 *
 * - `--pass-user-headers` (default true): request headers X-Forwarded-User, X-Forwarded-Email,
 *   X-Forwarded-Groups and X-Forwarded-Preferred-Username, to the upstream. With
 *   `--skip-auth-strip-headers` (default true) each is first deleted from the client's request
 *   (PreserveRequestValue false, pkg/middleware/headers.go newStripHeaders), so a browser
 *   cannot forge them. `--prefer-email-to-user` would drop X-Forwarded-Email (the email goes
 *   into X-Forwarded-User instead): it stays off.
 * - `--set-xauthrequest`: X-Auth-Request-User/-Email/-Preferred-Username/-Groups as RESPONSE
 *   headers only (for nginx `auth_request` on /oauth2/auth). They never reach an upstream in
 *   proxy mode, and a client-sent X-Auth-Request-Email is NOT stripped: it would pass through
 *   to the upstream untouched. An upstream that trusted it could be impersonated by any
 *   signed-in user. It stays off, and the component refuses that header.
 *
 * So the gateway trusts `x-forwarded-email` (GATEWAY_IDENTITY_HEADER).
 */

/** `platform:openhands.oidc`: the OIDC client the proxy signs users in with. */
export interface OidcSettings {
  /** The provider's issuer (discovery at `<issuerUrl>/.well-known/openid-configuration`); https only. */
  issuerUrl: string;
  /** The OAuth client ID registered at the provider (its redirect URI: `https://<host>/oauth2/callback`). */
  clientId: string;
  /** Email domains allowed in (`example.com`, `.example.com` or `*.example.com` for subdomains, `*` for any); at least one. */
  emailDomains: string[];
  /** Groups (the ID token's `groups` claim) of which a user must be in one. Defaults to none (any user of the domains). */
  allowedGroups?: string[];
  /** The header the upstream reads the user from: one oauth2-proxy sets on the forwarded request ({@link UPSTREAM_IDENTITY_HEADERS}). */
  identityHeader: string;
}

/**
 * The request headers oauth2-proxy 7.15.3 sets (and strips from the client's request) when
 * it proxies with `--pass-user-headers`, and the session field each carries. These, and only
 * these, are safe for an upstream to trust.
 */
export const UPSTREAM_IDENTITY_HEADERS = {
  "x-forwarded-email": "email",
  "x-forwarded-user": "user",
  "x-forwarded-preferred-username": "preferred_username",
} as const;

/** The header the platform's gateway should trust. */
export const DEFAULT_IDENTITY_HEADER = "x-forwarded-email";

/** The chart's image (default `quay.io/oauth2-proxy/oauth2-proxy:v<appVersion>`), pinned here rather than left to the chart. */
export const OAUTH2_PROXY_IMAGE = { registry: "quay.io", repository: "oauth2-proxy/oauth2-proxy", tag: "v7.15.3" } as const;

/** Release, Service, port and Secret names of the proxy. */
export const OIDC_PROXY = {
  /** Helm release name; the chart's fullname is the release name when it contains the chart name. */
  releaseName: "oauth2-proxy",
  /** The Service the chart renders (templates/service.yaml): port `service.portNumber` 80, named http, to the container's 4180. */
  service: { name: "oauth2-proxy", port: 80 },
  /** oauth2-proxy's HTTP listener (`--http-address=0.0.0.0:4180`, the chart's containerPort for httpScheme http). */
  containerPort: 4180,
  /** The chart's selector labels (`oauth2-proxy.selectorLabels`) for release `oauth2-proxy`. */
  podLabels: { "app.kubernetes.io/name": "oauth2-proxy", "app.kubernetes.io/instance": "oauth2-proxy" },
  /** The Secret the component creates (`config.existingSecret`), with the keys the chart's env reads. */
  secret: { name: "oauth2-proxy-credentials", keys: { clientId: "client-id", clientSecret: "client-secret", cookieSecret: "cookie-secret" } },
  /** The Ingress in front of it (and its certificate's Secret, `<name>-tls`), unless {@link OidcProxyArgs.ingressName} names another. */
  ingressName: "openhands-oidc",
  /** Replicas (cookie sessions: any replica serves any user), with a PodDisruptionBudget of minAvailable 1. */
  replicas: 2,
  /** Requests and a memory limit (no CPU limit, as everywhere on the platform). */
  resources: { requests: { cpu: "25m", memory: "48Mi" }, limits: { memory: "128Mi" } },
  /** Session lifetime: the gateway's own session cookie lasts 12h too (GATEWAY_SESSION_SECONDS). */
  cookieExpire: "12h",
  /** `__Host-`: the browser keeps it Secure, host-only and on path `/` (oauth2-proxy sets no Domain by default); unless {@link OidcProxyArgs.cookieName} names another. */
  cookieName: "__Host-openhands-oidc",
} as const;

/** An upstream Service of the proxy's namespace. */
export interface OidcUpstream {
  /** Service name. */
  service: string;
  /** Service port. */
  port: number;
  /**
   * The upstream's pods and the container port they serve on: when given, the component
   * adds a NetworkPolicy that admits only the proxy's pods to that port (the upstream
   * trusts the identity header, so nothing else may reach it). Defaults to none.
   */
  pods?: { labels: Record<string, string>; port: number | string };
}

/** Arguments of {@link OidcProxy}. */
export interface OidcProxyArgs {
  cluster: ClusterLayer;
  /** The CNI: the proxy's pods wait for it. */
  network: NetworkLayer;
  /** The default IngressClass, and its controller's namespace (the only one let in to the proxy). */
  ingress: IngressLayer;
  /** The ClusterIssuer of the Ingress's certificate. */
  certificates: CertificatesLayer;
  /** Namespace the proxy runs in, beside its upstream (created by the caller). */
  namespace: pulumi.Input<string>;
  /** Resources that must be ready first (the namespace). */
  dependsOn: pulumi.Resource[];
  settings: OidcSettings;
  /** The OAuth client secret (a Pulumi secret). */
  clientSecret: pulumi.Input<string>;
  /** The cookie encryption secret (a Pulumi secret): 16, 24 or 32 bytes, raw or URL-safe base64 of that many; see {@link cookieSecretProblem}. */
  cookieSecret: pulumi.Input<string>;
  /** The upstream (our gateway), a Service in `namespace`. */
  upstream: OidcUpstream;
  /** Public host of the proxy (`openhands.<domain>`). */
  host: string;
  /** Name of the proxy's Ingress, when another proxy than the agent UI's: defaults to {@link OIDC_PROXY}.ingressName. */
  ingressName?: string;
  /** Session cookie name (`__Host-<name>`): defaults to {@link OIDC_PROXY}.cookieName. */
  cookieName?: string;
}

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Problems with the settings, each naming its key under `path` (`<path>.<key>`) and what is
 * allowed; empty when valid. Pure. Defaults to the component's own argument path.
 */
export function oidcProblems(s: OidcSettings, path = "OidcProxy args.settings"): string[] {
  const problems: string[] = [];
  const at = (key: string, msg: string) => problems.push(`${path}.${key}: ${msg}`);

  let issuer: URL | undefined;
  try {
    issuer = new URL(s.issuerUrl);
  } catch {
    at("issuerUrl", `${JSON.stringify(s.issuerUrl)} is not a URL; expected the provider's https issuer, e.g. https://accounts.example.com/realms/agents`);
  }
  if (issuer) {
    if (issuer.protocol !== "https:") at("issuerUrl", `${JSON.stringify(s.issuerUrl)} must be an https URL (the discovery document and tokens are fetched from it)`);
    else if (issuer.username || issuer.password || issuer.search || issuer.hash) at("issuerUrl", `${JSON.stringify(s.issuerUrl)} must have no credentials, query or fragment`);
  }

  if (typeof s.clientId !== "string" || s.clientId.trim() === "") at("clientId", "must be set to the OAuth client ID registered at the provider");
  // eslint-disable-next-line no-control-regex
  else if (/[\s\x00-\x1f\x7f]/.test(s.clientId)) at("clientId", `${JSON.stringify(s.clientId)} must not contain whitespace or control characters`);

  if (!Array.isArray(s.emailDomains) || s.emailDomains.length === 0) {
    at("emailDomains", 'must list at least one email domain (e.g. ["example.com"]; "*" lets in any verified email of the provider)');
  } else {
    for (const d of s.emailDomains) {
      const bare = d.replace(/^\*?\./, "");
      if (d !== "*" && !DNS_NAME.test(bare)) at("emailDomains", `${JSON.stringify(d)} is not an email domain (allowed: example.com, .example.com, *.example.com or *)`);
    }
  }

  if (s.allowedGroups !== undefined) {
    if (!Array.isArray(s.allowedGroups)) at("allowedGroups", "must be a list of group names");
    else {
      // Passed as one comma-separated --allowed-group (a StringSlice flag).
      // eslint-disable-next-line no-control-regex
      for (const g of s.allowedGroups) if (typeof g !== "string" || g.trim() === "" || /[,"\x00-\x1f\x7f]/.test(g)) at("allowedGroups", `${JSON.stringify(g)} must be a non-empty group name without commas, quotes or control characters`);
    }
  }

  const header = typeof s.identityHeader === "string" ? s.identityHeader.toLowerCase() : "";
  if (!(header in UPSTREAM_IDENTITY_HEADERS)) {
    const why = header.startsWith("x-auth-request-")
      ? "oauth2-proxy sets X-Auth-Request-* only on its /oauth2/auth responses, never on the request it proxies, and does not strip a client-sent one: an upstream trusting it could be impersonated"
      : "oauth2-proxy does not set it on the request it proxies";
    at("identityHeader", `${JSON.stringify(s.identityHeader)}: ${why}; use one of ${Object.keys(UPSTREAM_IDENTITY_HEADERS).join(", ")} (${DEFAULT_IDENTITY_HEADER} for the gateway)`);
  }
  return problems;
}

/**
 * What is wrong with a cookie secret, or undefined. oauth2-proxy 7.15.3 (pkg/encryption
 * SecretBytes, pkg/validation/cookie.go) decodes the secret as unpadded URL-safe base64 and
 * uses the decoded bytes when there are 16, 24 or 32 of them; otherwise the raw string's
 * bytes, which must then number 16, 24 or 32 (an AES key). Standard base64 with `+` or `/`
 * (`openssl rand -base64 32`: 44 characters) fails both. A 32-character random string of
 * letters and digits passes as is. The message never shows the value.
 */
export function cookieSecretProblem(secret: string): string | undefined {
  const trimmed = secret.replace(/=+$/, "");
  if (/^[A-Za-z0-9_-]*$/.test(trimmed) && trimmed.length % 4 !== 1) {
    const decoded = Buffer.from(trimmed, "base64url").length;
    if (decoded === 16 || decoded === 24 || decoded === 32) return undefined;
  }
  const raw = Buffer.byteLength(secret, "utf8");
  if (raw === 16 || raw === 24 || raw === 32) return undefined;
  return `OidcProxy cookieSecret: ${raw} bytes (value not shown); oauth2-proxy needs 16, 24 or 32 bytes, or URL-safe base64 of that many (e.g. a 32-character random string of letters and digits)`;
}

/** The in-cluster URL of an upstream Service of `namespace`. */
export function upstreamUrl(namespace: string, u: Pick<OidcUpstream, "service" | "port">): string {
  return `http://${u.service}.${namespace}.svc.cluster.local:${u.port}`;
}

/** What {@link renderOidcProxyValues} renders from. */
export interface OidcProxyValuesInput {
  settings: OidcSettings;
  /** The upstream's in-cluster URL. */
  upstream: string;
  host: string;
  /** Namespace of the ingress controller's pods: the only ones let in. */
  ingressNamespace: string;
  /** Session cookie name; defaults to {@link OIDC_PROXY}.cookieName. */
  cookieName?: string;
}

/**
 * Values of the `oauth2-proxy` chart (10.7.0). No secret is among them: client ID, client
 * secret and cookie secret come from the Secret {@link OIDC_PROXY}.secret
 * (`config.existingSecret`; the chart then renders no Secret of its own and the pod reads
 * OAUTH2_PROXY_CLIENT_ID/_CLIENT_SECRET/_COOKIE_SECRET from it, `proxyVarsAsSecrets`).
 * The chart writes `config.emailDomains` and `config.upstreams` into its generated
 * oauth2_proxy.cfg (`email_domains`, `upstreams`: the same options as `--email-domain` and
 * `--upstream`, without the chart's `file:///dev/null` default left beside a flag);
 * `extraArgs` become `--key=value` flags. Pure.
 */
export function renderOidcProxyValues(i: OidcProxyValuesInput): Values {
  const s = i.settings;
  const groups = s.allowedGroups ?? [];
  const restricted = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
  return {
    image: { ...OAUTH2_PROXY_IMAGE, pullPolicy: "IfNotPresent" },
    replicaCount: OIDC_PROXY.replicas,
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { ...OIDC_PROXY.podLabels } } },
    ],
    config: {
      existingSecret: OIDC_PROXY.secret.name,
      emailDomains: [...s.emailDomains],
      upstreams: [i.upstream],
      cookieName: i.cookieName ?? OIDC_PROXY.cookieName,
    },
    extraArgs: {
      provider: "oidc",
      "oidc-issuer-url": s.issuerUrl,
      "redirect-url": `https://${i.host}/oauth2/callback`,
      "code-challenge-method": "S256",
      "reverse-proxy": true,
      "skip-provider-button": true,
      "cookie-secure": true,
      "cookie-httponly": true,
      // Lax, not Strict: the CSRF cookie (SameSite from this one) must come back on the
      // provider's cross-site redirect to /oauth2/callback.
      "cookie-samesite": "lax",
      "cookie-expire": OIDC_PROXY.cookieExpire,
      // The identity reaches the upstream as X-Forwarded-Email (see the header comment).
      "pass-user-headers": true,
      "skip-auth-strip-headers": true,
      "prefer-email-to-user": false,
      "pass-basic-auth": false,
      "pass-access-token": false,
      "pass-authorization-header": false,
      "set-xauthrequest": false,
      "silence-ping-logging": true,
      ...(groups.length > 0 ? { "allowed-group": groups.join(",") } : {}),
    },
    resources: OIDC_PROXY.resources,
    // The chart's container defaults already meet Pod Security restricted; pinned here, and the pod's too.
    podSecurityContext: restricted,
    securityContext: {
      enabled: true,
      ...restricted,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsUser: 2000,
      runAsGroup: 2000,
    },
    // oauth2-proxy never calls the Kubernetes API.
    serviceAccount: { enabled: true, automountServiceAccountToken: false },
    enableServiceLinks: false,
    service: { type: "ClusterIP", portNumber: OIDC_PROXY.service.port },
    // The platform's Ingress (tlsIngress) fronts it; the chart's Ingress and HTTPRoute stay off.
    ingress: { enabled: false },
    gatewayApi: { enabled: false },
    // Sessions in the encrypted cookie: no Redis.
    sessionStorage: { type: "cookie" },
    "redis-ha": { enabled: false },
    // In: only the ingress controller, to the HTTP port.
    networkPolicy: {
      create: true,
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": i.ingressNamespace } } }],
          ports: [{ protocol: "TCP", port: OIDC_PROXY.containerPort }],
        },
      ],
    },
  };
}

/** The NetworkPolicy (name and spec) that lets only the proxy's pods reach the upstream's pods on their port. Pure. */
export function upstreamIngressPolicy(upstream: Pick<OidcUpstream, "service"> & { pods: NonNullable<OidcUpstream["pods"]> }): { name: string; spec: NetworkPolicy["spec"] } {
  return {
    name: `${upstream.service}-from-oidc-proxy`,
    spec: {
      podSelector: { matchLabels: { ...upstream.pods.labels } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ podSelector: { matchLabels: { ...OIDC_PROXY.podLabels } } }], ports: [{ protocol: "TCP", port: upstream.pods.port }] }],
    },
  };
}

/**
 * oauth2-proxy signing users in with an OIDC provider in front of one upstream, at
 * `https://<host>`: the chart's Deployment (2 replicas, PDB, restricted pods, pinned image),
 * a Secret with the client and cookie secrets, the chart's NetworkPolicy admitting only the
 * ingress controller, an Ingress from `tlsIngress`, and (with `upstream.pods`) a
 * NetworkPolicy admitting only the proxy to the upstream. Settings are checked first; each
 * problem names its key.
 */
export class OidcProxy extends pulumi.ComponentResource {
  /** `https://<host>`. */
  public readonly url: string;
  /** The proxy's Service. */
  public readonly service: { name: string; port: number };
  /** The header the upstream reads the user from (lower case). */
  public readonly identityHeader: string;
  /** The release (Pulumi waits for its pods) and the Ingress. */
  public readonly ready: pulumi.Resource[];
  public readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: OidcProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("platform:auth:OidcProxy", name, {}, { ...opts, providers: { kubernetes: args.cluster.provider } });
    const problems = oidcProblems(args.settings);
    if (!DNS_NAME.test(args.host)) problems.push(`OidcProxy host: ${JSON.stringify(args.host)} is not a DNS name (expected openhands.<domain>)`);
    if (args.cookieName !== undefined && !/^__Host-[A-Za-z0-9_-]{1,64}$/.test(args.cookieName)) problems.push(`OidcProxy cookieName: ${JSON.stringify(args.cookieName)} must be __Host- and 1 to 64 letters, digits, _ or - (a host-only, Secure cookie)`);
    if (problems.length > 0) throw new pulumi.ResourceError(problems.join("\n"), this);

    const pin = CHARTS.oauth2Proxy;
    const keys = OIDC_PROXY.secret.keys;
    const cookieSecret = pulumi.output(args.cookieSecret).apply((v) => {
      const p = cookieSecretProblem(v);
      if (p) throw new Error(p);
      return v;
    });
    const clientSecret = pulumi.output(args.clientSecret).apply((v) => {
      if (v.trim() === "") throw new Error(`OidcProxy args.clientSecret: empty (value not shown); set the OAuth client's secret`);
      return v;
    });
    const secret = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: OIDC_PROXY.secret.name, namespace: args.namespace, labels: { ...PART_OF, "app.kubernetes.io/name": "oauth2-proxy" } },
        type: "Opaque",
        stringData: { [keys.clientId]: args.settings.clientId, [keys.clientSecret]: pulumi.secret(clientSecret), [keys.cookieSecret]: pulumi.secret(cookieSecret) },
      },
      { parent: this, dependsOn: args.dependsOn },
    );

    const namespace = pulumi.output(args.namespace);
    const values = namespace.apply((ns) => renderOidcProxyValues({ settings: args.settings, upstream: upstreamUrl(ns, args.upstream), host: args.host, ingressNamespace: args.ingress.namespace, cookieName: args.cookieName }));
    this.release = platformRelease(
      `${name}-oauth2-proxy`,
      { pin, releaseName: OIDC_PROXY.releaseName, namespace: args.namespace, values, dependsOn: [...args.network.ready, ...args.dependsOn, secret] },
      { parent: this },
    );

    const ingress = tlsIngress(
      `${name}-ingress`,
      {
        namespace: args.namespace,
        name: args.ingressName ?? OIDC_PROXY.ingressName,
        host: args.host,
        service: { name: OIDC_PROXY.service.name, port: OIDC_PROXY.service.port },
        // Agent Canvas uses WebSockets; oauth2-proxy proxies them (--proxy-websockets, default true).
        annotations: args.ingress.className === INGRESS_CLASS.contour ? { "projectcontour.io/websocket-routes": "/" } : {},
      },
      args.certificates,
      args.ingress,
      this,
      { dependsOn: [this.release] },
    );

    const pods = args.upstream.pods;
    if (pods) {
      const policy = upstreamIngressPolicy({ service: args.upstream.service, pods });
      new k8s.networking.v1.NetworkPolicy(
        `${name}-upstream-policy`,
        { metadata: { name: policy.name, namespace: args.namespace, labels: { ...PART_OF } }, spec: policy.spec },
        { parent: this, dependsOn: args.dependsOn },
      );
    }

    this.url = `https://${args.host}`;
    this.service = { name: OIDC_PROXY.service.name, port: OIDC_PROXY.service.port };
    this.identityHeader = args.settings.identityHeader.toLowerCase();
    this.ready = [this.release, ingress];
    this.registerOutputs({ url: this.url, service: this.service, identityHeader: this.identityHeader });
  }
}
