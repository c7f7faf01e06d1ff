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
  /** Namespaces exempt from Pod Security baseline (`disallow-privileged`): node agents that need privileged containers. */
  readonly systemNamespaces: readonly string[];
  /** Namespaces whose containers must set requests and limits. */
  readonly workloadNamespaces: readonly string[];
  /** Labels that mark a model-serving pod (all must match). */
  readonly modelPodLabels: Readonly<Record<string, string>>;
  /**
   * The RuntimeClass every pod of a namespace must run with (`require-runtime-class`), by
   * namespace. The config loader adds the sandbox namespace's (`openhands.sandbox.runtimeClass`).
   * Defaults to none.
   */
  readonly runtimeClasses: Readonly<Record<string, string>>;
}

/** Name of a setting. */
export type SettingKey = keyof PolicySettings;

/** Defaults shared by the stack config schema and the pack (used when its config omits a key). */
export const DEFAULT_POLICY_SETTINGS: PolicySettings = {
  pvcQuota: "100Gi",
  pvcQuotaExceptions: {},
  // Namespaces whose node agents need privileged containers and more host access than a
  // narrow exception could name (disallow-privileged.ts' HOST_ACCESS_EXCEPTIONS hold the rest):
  // - gpu-operator: the GPU Operator's driver, container toolkit, device plugin, DCGM exporter,
  //   validators and Node Feature Discovery workers (privileged, hostPID, host paths for the
  //   driver root, /dev, /sys, /run/nvidia);
  // - kube-system: Cilium's agent and Envoy (privileged, hostNetwork, NET_ADMIN, SYS_ADMIN and
  //   more, BPF and CNI host paths), Istio's CNI node agent (privileged, hostNetwork, CNI
  //   directories), and the cluster's own: kube-proxy, kind's kindnet, EKS' aws-node;
  // - longhorn-system: longhorn-manager, the instance managers and the CSI plugin (privileged,
  //   host mounts with bidirectional propagation, /dev, iSCSI);
  // - rook-ceph: the Ceph OSDs, monitors and CSI plugins (privileged, hostNetwork where
  //   configured, dataDirHostPath, /dev, the kubelet's plugin directories).
  // Not istio-system or kyverno: istiod and Kyverno run at Pod Security baseline.
  systemNamespaces: ["gpu-operator", "kube-system", "longhorn-system", "rook-ceph"],
  // Agent sandboxes too: the runtime sets their requests and limits, the LimitRange defaults them.
  workloadNamespaces: ["ollama", "openhands", "openhands-sandboxes"],
  modelPodLabels: { "app.kubernetes.io/component": "model-server" },
  runtimeClasses: {},
};

/** JSON schema of each setting, for the pack's per-policy `configSchema`. */
export const SETTING_SCHEMAS: Record<SettingKey, object> = {
  pvcQuota: { type: "string", description: "Largest storage request of a PersistentVolumeClaim, e.g. 100Gi." },
  pvcQuotaExceptions: { type: "object", additionalProperties: { type: "string" }, description: "Per-namespace quotas." },
  systemNamespaces: { type: "array", items: { type: "string" }, description: "Namespaces exempt from Pod Security baseline: node agents with privileged containers." },
  workloadNamespaces: { type: "array", items: { type: "string" }, description: "Namespaces whose containers must set requests and limits." },
  modelPodLabels: { type: "object", additionalProperties: { type: "string" }, description: "Labels that mark a model-serving pod." },
  runtimeClasses: { type: "object", additionalProperties: { type: "string" }, description: "The RuntimeClass every pod of a namespace must run with, by namespace." },
};
