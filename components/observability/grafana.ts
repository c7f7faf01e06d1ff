import type { Values } from "../../lib/merge";
import type { UPSTREAM_IDENTITY_HEADERS } from "../auth";
import { DATASOURCE_UIDS } from "./dashboards";
import { ENDPOINTS, resources, serviceUrl, SIZING } from "./settings";

/** API version of the Grafana Operator's CRs (5.24). */
export const GRAFANA_API = "grafana.integreatly.org/v1beta1";
/** Name of the Grafana CR; the operator derives `grafana-service` and `grafana-deployment` from it. */
export const GRAFANA_NAME = "grafana";
/** Label every GrafanaDatasource/Folder/Dashboard selects the instance by. */
export const INSTANCE_LABELS = { "platform.agents/grafana": "platform" } as const;
/** Secret holding the admin credentials (keys are Grafana's own env var names). */
export const ADMIN_SECRET = "grafana-admin";
/** The folder every platform dashboard goes into. */
export const FOLDER = { name: "platform", uid: "platform", title: "Platform" } as const;

/** The Grafana pods' labels (grafana-operator 5.24 deployment reconciler: `app: <CR name>`). */
export const GRAFANA_POD_LABELS = { app: GRAFANA_NAME } as const;

/**
 * How people sign in to Grafana: its own login form (the admin user), or an authenticating
 * proxy in front of it that sets `header` on every request (oauth2-proxy's
 * X-Forwarded-Email, X-Forwarded-User or X-Forwarded-Preferred-Username). Grafana then
 * trusts that header: only the proxy's pods may reach Grafana's port (the proxy's
 * NetworkPolicy), and Grafana has no Ingress of its own.
 */
export type GrafanaSignIn = { kind: "login" } | { kind: "proxy"; header: keyof typeof UPSTREAM_IDENTITY_HEADERS };

/**
 * Grafana's `[auth.proxy]` (Grafana 12, pkg/setting/setting.go readAuthProxySettings): the
 * header and whether it holds an email or a login name, users created on first sign-in
 * (as Viewers: `users.auto_assign_org_role` defaults to Viewer), no login tokens. Pure.
 */
export function authProxyConfig(header: Extract<GrafanaSignIn, { kind: "proxy" }>["header"]): Record<string, string> {
  return { enabled: "true", header_name: header, header_property: header === "x-forwarded-email" ? "email" : "username", auto_sign_up: "true", enable_login_token: "false" };
}

/** Values for the grafana-operator chart 5.24.0. */
export function renderGrafanaOperatorValues(profile: "dev" | "prod"): Values {
  return { resources: resources(SIZING[profile].grafanaOperator) };
}

/**
 * The `Grafana` CR's spec. Admin credentials come from {@link ADMIN_SECRET} through env
 * vars, and the operator's default admin Secret is disabled: the operator reads the same
 * env vars to log in and reconcile datasources and dashboards (grafana-operator
 * examples/grafana/credential_secret). No persistence: everything in it is declared by CRs.
 */
export function grafanaSpec(host: string, profile: "dev" | "prod", signIn: GrafanaSignIn = { kind: "login" }): Values {
  const fromSecret = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: ADMIN_SECRET, key } } });
  return {
    disableDefaultAdminSecret: true,
    config: {
      server: { root_url: `https://${host}` },
      log: { mode: "console" },
      analytics: { reporting_enabled: "false", check_for_updates: "false" },
      users: { allow_sign_up: "false" },
      "auth.anonymous": { enabled: "false" },
      ...(signIn.kind === "proxy" ? { "auth.proxy": authProxyConfig(signIn.header) } : {}),
    },
    deployment: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "grafana",
                env: [fromSecret("GF_SECURITY_ADMIN_USER"), fromSecret("GF_SECURITY_ADMIN_PASSWORD")],
                resources: resources(SIZING[profile].grafana),
              },
            ],
          },
        },
      },
    },
  };
}

/** Which backends are installed (datasources exist only for those). */
export interface Backends {
  prometheus: boolean;
  loki: boolean;
  jaeger: boolean;
}

/** One GrafanaDatasource CR: its resource role and spec. */
export interface DatasourceCr {
  role: "prometheus" | "loki" | "jaeger";
  spec: Values;
}

/** The datasources for the installed backends; Prometheus is the default. */
export function datasourceSpecs(b: Backends): DatasourceCr[] {
  const selector = { matchLabels: { ...INSTANCE_LABELS } };
  const out: DatasourceCr[] = [];
  const add = (role: DatasourceCr["role"], type: string, url: string, extra: Values = {}) =>
    out.push({
      role,
      spec: {
        instanceSelector: selector,
        uid: DATASOURCE_UIDS[role],
        datasource: { name: role[0].toUpperCase() + role.slice(1), type, access: "proxy", url, ...extra },
      },
    });
  if (b.prometheus) {
    add("prometheus", "prometheus", serviceUrl(ENDPOINTS.prometheus.service, ENDPOINTS.prometheus.port), { isDefault: true });
  }
  if (b.loki) add("loki", "loki", serviceUrl(ENDPOINTS.loki.service, ENDPOINTS.loki.port));
  if (b.jaeger) add("jaeger", "jaeger", serviceUrl(ENDPOINTS.jaeger.service, ENDPOINTS.jaeger.ui));
  return out;
}

/** The GrafanaFolder CR's spec. */
export function folderSpec(): Values {
  return { instanceSelector: { matchLabels: { ...INSTANCE_LABELS } }, uid: FOLDER.uid, title: FOLDER.title };
}

/** A GrafanaDashboard CR's spec for dashboard JSON, filed in the platform folder. */
export function dashboardSpec(json: unknown): Values {
  return { instanceSelector: { matchLabels: { ...INSTANCE_LABELS } }, folderRef: FOLDER.name, json: JSON.stringify(json, null, 2) };
}
