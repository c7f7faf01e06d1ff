/**
 * The settings the rules read. The stack config (`platform:policy`, config/schema.ts) holds
 * them for the Kyverno side; the pack config (policies/config/<stack>.json) holds the same
 * values for the preview side, and a test keeps the two equal.
 */
export interface PolicySettings {
  /** Largest storage request a PersistentVolumeClaim may make. Defaults to 100Gi. */
  readonly pvcQuota: string;
  /** Per-namespace quotas that replace `pvcQuota` there. Defaults to none. */
  readonly pvcQuotaExceptions: Readonly<Record<string, string>>;
  /** Namespaces where privileged containers are allowed (CNI, storage, GPU node agents). */
  readonly systemNamespaces: readonly string[];
  /** Namespaces whose containers must set requests and limits. */
  readonly workloadNamespaces: readonly string[];
  /** Labels that mark a model-serving pod (all must match). */
  readonly modelPodLabels: Readonly<Record<string, string>>;
}

/** Name of a setting. */
export type SettingKey = keyof PolicySettings;

/** Defaults shared by the stack config schema and the pack (used when its config omits a key). */
export const DEFAULT_POLICY_SETTINGS: PolicySettings = {
  pvcQuota: "100Gi",
  pvcQuotaExceptions: {},
  // Node agents that need privileged containers: Cilium (kube-system), Rook-Ceph OSDs,
  // Longhorn's instance managers, the GPU operator's driver/toolkit, the Istio CNI agent.
  systemNamespaces: ["gpu-operator", "istio-system", "kube-system", "kyverno", "longhorn-system", "rook-ceph"],
  // Agent sandboxes too: the runtime sets their requests and limits, the LimitRange defaults them.
  workloadNamespaces: ["ollama", "openhands", "openhands-sandboxes"],
  modelPodLabels: { "app.kubernetes.io/component": "model-server" },
};

/** JSON schema of each setting, for the pack's per-policy `configSchema`. */
export const SETTING_SCHEMAS: Record<SettingKey, object> = {
  pvcQuota: { type: "string", description: "Largest storage request of a PersistentVolumeClaim, e.g. 100Gi." },
  pvcQuotaExceptions: { type: "object", additionalProperties: { type: "string" }, description: "Per-namespace quotas." },
  systemNamespaces: { type: "array", items: { type: "string" }, description: "Namespaces allowed to run privileged containers." },
  workloadNamespaces: { type: "array", items: { type: "string" }, description: "Namespaces whose containers must set requests and limits." },
  modelPodLabels: { type: "object", additionalProperties: { type: "string" }, description: "Labels that mark a model-serving pod." },
};
