import { z } from "zod";
import { keySelector, labelSelector, quantity, stringMap, untranscribed, type KindSchema } from "./meta";

/*
 * grafana.integreatly.org/v1beta1, grafana-operator v5.24.0
 * (config/crd/bases/grafana.integreatly.org_{grafanas,grafanadatasources,grafanafolders,grafanadashboards}.yaml).
 * Every object is strict upstream except Grafana's `config` and a datasource's
 * jsonData/secureJsonData (x-kubernetes-preserve-unknown-fields).
 */

const API = "grafana.integreatly.org/v1beta1";
const UID = z.string().max(40).regex(/^[a-zA-Z0-9-_]+$/, "must match ^[a-zA-Z0-9-_]+$");
const DURATION = z.string().regex(/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/, "must be a Go duration");
const SEMVER_OR_LATEST =
  /^((0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?|latest)$/;
const plugins = z.array(z.strictObject({ name: z.string().min(1), version: z.string().regex(SEMVER_OR_LATEST, "must be a semantic version or latest") }));
const metaLite = z.strictObject({ labels: stringMap.optional(), annotations: stringMap.optional() });

/** The fields every instance-bound CR (datasource, folder, dashboard) shares. */
const common = {
  instanceSelector: labelSelector,
  allowCrossNamespaceImport: z.boolean().optional(),
  resyncPeriod: DURATION.optional(),
  suspend: z.boolean().optional(),
  uid: UID.optional(),
};

const envVar = z.strictObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .strictObject({
      configMapKeyRef: keySelector.optional(),
      secretKeyRef: keySelector.optional(),
      fieldRef: untranscribed.optional(),
      fileKeyRef: untranscribed.optional(),
      resourceFieldRef: untranscribed.optional(),
    })
    .optional(),
});

const resources = z.strictObject({
  limits: z.record(z.string(), quantity).optional(),
  requests: z.record(z.string(), quantity).optional(),
  claims: z.array(untranscribed).optional(),
});

/** The operator's container: every core Container field optional but `name`. */
const container = z.strictObject({
  name: z.string(),
  image: z.string().optional(),
  imagePullPolicy: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(envVar).optional(),
  envFrom: z.array(untranscribed).optional(),
  resources: resources.optional(),
  ports: z.array(untranscribed).optional(),
  volumeMounts: z.array(untranscribed).optional(),
  volumeDevices: z.array(untranscribed).optional(),
  livenessProbe: untranscribed.optional(),
  readinessProbe: untranscribed.optional(),
  startupProbe: untranscribed.optional(),
  lifecycle: untranscribed.optional(),
  securityContext: untranscribed.optional(),
  resizePolicy: z.array(untranscribed).optional(),
  restartPolicy: z.string().optional(),
  restartPolicyRules: z.array(untranscribed).optional(),
  terminationMessagePath: z.string().optional(),
  terminationMessagePolicy: z.string().optional(),
  stdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  tty: z.boolean().optional(),
});

// The operator's partial PodSpec: the core fields, all optional (containers merge by name).
const POD_SPEC_OTHER = [
  "activeDeadlineSeconds", "affinity", "automountServiceAccountToken", "dnsConfig", "dnsPolicy", "enableServiceLinks",
  "ephemeralContainers", "hostAliases", "hostIPC", "hostNetwork", "hostPID", "hostUsers", "hostname", "imagePullSecrets",
  "nodeName", "nodeSelector", "os", "overhead", "preemptionPolicy", "priority", "priorityClassName", "readinessGates",
  "restartPolicy", "runtimeClassName", "schedulerName", "securityContext", "serviceAccount", "serviceAccountName",
  "setHostnameAsFQDN", "shareProcessNamespace", "subdomain", "terminationGracePeriodSeconds", "tolerations",
  "topologySpreadConstraints", "volumes",
] as const;
const podSpec = z.strictObject({
  containers: z.array(container).optional(),
  initContainers: z.array(container).optional(),
  ...Object.fromEntries(POD_SPEC_OTHER.map((k) => [k, z.unknown().optional()])),
});

const deployment = z.strictObject({
  metadata: metaLite.optional(),
  spec: z
    .strictObject({
      replicas: z.int().optional(),
      minReadySeconds: z.int().optional(),
      paused: z.boolean().optional(),
      progressDeadlineSeconds: z.int().optional(),
      revisionHistoryLimit: z.int().optional(),
      selector: labelSelector.optional(),
      strategy: z.strictObject({ type: z.string().optional(), rollingUpdate: untranscribed.optional() }).optional(),
      template: z.strictObject({ metadata: metaLite.optional(), spec: podSpec.optional() }).optional(),
    })
    .optional(),
});

/** A sub-resource the operator renders (Service, Ingress, PVC, Route): metadata and an untranscribed spec. */
const rendered = z.strictObject({ metadata: metaLite.optional(), spec: untranscribed.optional() });

const tls = z
  .strictObject({ certSecretRef: untranscribed.optional(), insecureSkipVerify: z.boolean().optional() })
  .refine((t) => !(t.certSecretRef !== undefined && t.insecureSkipVerify !== undefined), "certSecretRef and insecureSkipVerify are exclusive");

const grafanaSpec = z.strictObject({
  // map[string]map[string]string: grafana.ini sections of string values.
  config: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  client: z
    .strictObject({
      headers: stringMap.optional(),
      preferIngress: z.boolean().nullable().optional(),
      timeout: z.int().nullable().optional(),
      tls: tls.optional(),
      useKubeAuth: z.boolean().optional(),
    })
    .optional(),
  deployment: deployment.optional(),
  disableDefaultAdminSecret: z.boolean().optional(),
  disableDefaultSecurityContext: z.enum(["Pod", "Container", "All"]).optional(),
  external: z
    .strictObject({
      url: z.string().regex(/^https?:\/\/.+$/, "must be an http(s) URL"),
      adminPassword: keySelector.optional(),
      adminUser: keySelector.optional(),
      apiKey: keySelector.optional(),
      tenantNamespace: z.string().optional(),
      tls: tls.optional(),
    })
    .optional(),
  httpRoute: rendered.optional(),
  ingress: rendered.optional(),
  route: rendered.optional(),
  service: rendered.optional(),
  persistentVolumeClaim: rendered.optional(),
  jsonnet: z.strictObject({ libraryLabelSelector: labelSelector.optional() }).optional(),
  preferences: z.strictObject({ homeDashboardUid: z.string().optional() }).optional(),
  serviceAccount: z
    .strictObject({
      automountServiceAccountToken: z.boolean().optional(),
      imagePullSecrets: z.array(untranscribed).optional(),
      metadata: metaLite.optional(),
      secrets: z.array(untranscribed).optional(),
    })
    .optional(),
  suspend: z.boolean().optional(),
  version: z.string().optional(),
});

const datasourceSpec = z.strictObject({
  ...common,
  datasource: z.strictObject({
    access: z.string().optional(),
    basicAuth: z.boolean().optional(),
    basicAuthUser: z.string().optional(),
    database: z.string().optional(),
    editable: z.boolean().optional(),
    isDefault: z.boolean().optional(),
    jsonData: z.looseObject({}).optional(),
    name: z.string().optional(),
    orgId: z.int().optional(),
    secureJsonData: z.looseObject({}).optional(),
    type: z.string().optional(),
    uid: z.string().optional(),
    url: z.string().optional(),
    user: z.string().optional(),
  }),
  plugins: plugins.optional(),
  valuesFrom: z
    .array(
      z.strictObject({
        targetPath: z.string(),
        valueFrom: z
          .strictObject({ configMapKeyRef: keySelector.optional(), secretKeyRef: keySelector.optional() })
          .refine((v) => (v.configMapKeyRef === undefined) !== (v.secretKeyRef === undefined), "exactly one of configMapKeyRef and secretKeyRef"),
      }),
    )
    .max(99)
    .optional(),
});

const folderSpec = z
  .strictObject({
    ...common,
    title: z.string().optional(),
    permissions: z.string().optional(),
    parentFolderRef: z.string().optional(),
    parentFolderUID: z.string().optional(),
  })
  .refine((s) => s.parentFolderRef === undefined || s.parentFolderUID === undefined, "parentFolderRef and parentFolderUID are exclusive");

const dashboardSpec = z
  .strictObject({
    ...common,
    json: z.string().optional(),
    gzipJson: z.string().optional(),
    jsonnet: z.string().optional(),
    jsonnetLib: z.strictObject({ fileName: z.string(), gzipJsonnetProject: z.string(), jPath: z.array(z.string()).optional() }).optional(),
    url: z.string().regex(/^https?:\/\/.+$/, "must be an http(s) URL").optional(),
    urlAuthorization: z.strictObject({ basicAuth: z.strictObject({ username: keySelector.optional(), password: keySelector.optional() }).optional() }).optional(),
    configMapRef: keySelector.optional(),
    grafanaCom: z.strictObject({ id: z.int(), revision: z.int().optional() }).optional(),
    oci: z
      .strictObject({
        path: z.string().min(1).max(512),
        reference: z.string().min(3).max(512),
        insecurePlainHTTP: z.boolean().optional(),
        pullSecretRef: z.strictObject({ name: z.string().optional() }).optional(),
      })
      .optional(),
    contentCacheDuration: z.string().optional(),
    datasources: z.array(z.strictObject({ datasourceName: z.string(), inputName: z.string() })).optional(),
    envFrom: z.array(z.strictObject({ configMapKeyRef: keySelector.optional(), secretKeyRef: keySelector.optional() })).optional(),
    envs: z
      .array(
        z.strictObject({
          name: z.string(),
          value: z.string().optional(),
          valueFrom: z.strictObject({ configMapKeyRef: keySelector.optional(), secretKeyRef: keySelector.optional() }).optional(),
        }),
      )
      .optional(),
    folder: z.string().optional(),
    folderRef: z.string().optional(),
    folderUID: z.string().optional(),
    plugins: plugins.optional(),
  })
  .refine((s) => s.folderRef === undefined || s.folderUID === undefined, "folderRef and folderUID are exclusive")
  .refine((s) => s.folder === undefined || (s.folderRef === undefined && s.folderUID === undefined), "folder excludes folderRef and folderUID");

/** The Grafana Operator kinds the observability layer emits. */
export const GRAFANA_KINDS: KindSchema[] = [
  { apiVersion: API, kind: "Grafana", scope: "Namespaced", spec: grafanaSpec, specRequired: true },
  { apiVersion: API, kind: "GrafanaDatasource", scope: "Namespaced", spec: datasourceSpec, specRequired: true },
  { apiVersion: API, kind: "GrafanaFolder", scope: "Namespaced", spec: folderSpec, specRequired: true },
  { apiVersion: API, kind: "GrafanaDashboard", scope: "Namespaced", spec: dashboardSpec, specRequired: true },
];
