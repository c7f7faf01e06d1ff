import { celString, celStringList, containersVariable, nameOf, POD_VARIABLES } from "./cel";
import { EPHEMERAL_CONTAINERS, POD_KINDS } from "./kinds";
import type { NamedExpression, RuleModule } from "./types";

/*
 * Pod Security Standards `baseline`, as Kubernetes 1.35 defines it
 * (k8s.io/pod-security-admission/policy, the checks of level baseline): no host namespaces,
 * no hostPath volumes, no host ports, no privileged containers, no capabilities beyond the
 * default set, /proc unmasked only in a user namespace, seccomp and AppArmor only
 * RuntimeDefault or Localhost, SELinux only the container types without user or role, only
 * the safe sysctls, no Windows host processes, no probe or lifecycle handler aimed at another
 * host. Init, regular and ephemeral containers alike.
 *
 * Outside `policy.systemNamespaces` (node agents that need everything: see
 * rules/settings.ts), host access is allowed only where a platform chart needs it, and only
 * what it needs (HOST_ACCESS_EXCEPTIONS). The namespaces' Pod Security labels say the same
 * (components/*: those namespaces enforce `privileged`, so this rule is what keeps them to
 * the chart's needs); everywhere else Kyverno and the Pod Security admission both refuse.
 */

/** Capabilities baseline lets a container add (the container runtime's default set). */
export const BASELINE_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"] as const;

/** The sysctls baseline allows (namespaced and isolated; Kubernetes 1.32 and later). */
export const SAFE_SYSCTLS = [
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ping_group_range",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.tcp_wmem",
] as const;

/** SELinux types baseline allows (besides none). */
export const SELINUX_TYPES = ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"] as const;

/** Seccomp and AppArmor profile types baseline allows (not `Unconfined`). */
const PROFILE_TYPES = ["RuntimeDefault", "Localhost"] as const;

/** A host namespace a pod may share. */
export type HostNamespace = "hostNetwork" | "hostPID" | "hostIPC";

/**
 * Host access a platform chart's pods need outside the system namespaces, allowed in one
 * namespace only. Granted by namespace because that is what the platform controls (it
 * creates these namespaces and installs nothing else into them); within it, only the
 * listed host namespaces, hostPath paths (exact; a trailing `/` is the same path), host ports
 * and capabilities. Everything else baseline forbids stays forbidden there.
 */
export interface HostAccessException {
  readonly namespace: string;
  /** The chart and workload that need it, and what for. */
  readonly needs: string;
  readonly hostNamespaces?: readonly HostNamespace[];
  readonly hostPaths?: readonly string[];
  readonly hostPorts?: readonly number[];
  readonly capabilities?: readonly string[];
}

// prettier-ignore
/**
 * The platform's host access exceptions. The namespaces are the components' own (a test
 * checks them against components/); a chart whose values move these paths or ports (another
 * node exporter port, k3s' CNI directories) needs its entry changed here too.
 */
export const HOST_ACCESS_EXCEPTIONS: readonly HostAccessException[] = [
  {
    namespace: "monitoring-node-exporter",
    needs: "kube-prometheus-stack's prometheus-node-exporter DaemonSet: the node's network and PID namespaces and its /, /proc and /sys (read-only) to report node metrics, on host port 9100 (a hostNetwork pod's ports are host ports)",
    hostNamespaces: ["hostNetwork", "hostPID"],
    hostPaths: ["/", "/proc", "/sys"],
    hostPorts: [9100],
  },
  {
    namespace: "linkerd-cni",
    needs: "linkerd2-cni's install-cni DaemonSet: writes the linkerd-cni plugin and its configuration into the node's CNI directories",
    hostPaths: ["/etc/cni/net.d", "/opt/cni/bin"],
  },
  {
    namespace: "projectcontour",
    needs: "contour's Envoy on kind: binds the node's ports 80 and 443, which kind maps to the host (elsewhere Envoy is behind a LoadBalancer and the namespace is baseline)",
    hostPorts: [80, 443],
  },
  {
    namespace: "ingress-nginx",
    needs: "ingress-nginx's controller on kind: binds the node's ports 80 and 443, which kind maps to the host (elsewhere it is behind a LoadBalancer and the namespace is baseline)",
    hostPorts: [80, 443],
  },
  {
    namespace: "local-path-storage",
    needs: "kind's local-path provisioner (dev's StorageClass standard): its helper pods create and delete volume directories under the node's /var/local-path-provisioner",
    hostPaths: ["/var/local-path-provisioner"],
  },
];

/** CEL map from namespace to what its exception allows of one kind, `[]` for other namespaces. */
function allowed(name: string, pick: (e: HostAccessException) => readonly (string | number)[] | undefined): NamedExpression {
  const entries = HOST_ACCESS_EXCEPTIONS.filter((e) => (pick(e) ?? []).length > 0)
    .sort((a, b) => a.namespace.localeCompare(b.namespace))
    .map((e) => `${celString(e.namespace)}: [${(pick(e) ?? []).map((v) => (typeof v === "number" ? String(v) : celString(v))).join(", ")}]`);
  const map = `{${entries.join(", ")}}`;
  return { name, expression: `variables.namespace in ${map} ? ${map}[variables.namespace] : []` };
}

const C = nameOf("c");
const sc = (field: string) => `has(c.securityContext) && has(c.securityContext.${field})`;
/** `'container x: ' + detail` for each container that `test` selects. */
const perContainer = (test: string, detail: string) => `variables.containers.filter(c, ${test}).map(c, 'container ' + ${C} + ': ' + ${detail})`;
/** The pod's and each container's profile (`seccompProfile`, `appArmorProfile`) of a type baseline forbids. */
function profiles(field: string): string {
  const bad = (o: string) => `has(${o}.${field}) && !(has(${o}.${field}.type) && ${o}.${field}.type in ${celStringList(PROFILE_TYPES)})`;
  const type = (o: string) => `(has(${o}.${field}.type) ? ${o}.${field}.type : '(no type)')`;
  return `(${bad("variables.podSecurity")} ? ['pod: ${field} ' + ${type("variables.podSecurity")}] : []) + ${perContainer(`has(c.securityContext) && ${bad("c.securityContext")}`, `'${field} ' + ${type("c.securityContext")}`)}`;
}
/** What in a seLinuxOptions object baseline forbids, as a list of strings. */
const seLinuxProblems = (o: string) =>
  `[has(${o}.type) && ${o}.type != '' && !(${o}.type in ${celStringList(SELINUX_TYPES)}) ? 'type ' + ${o}.type : '', ` +
  `has(${o}.user) && ${o}.user != '' ? 'user ' + ${o}.user : '', has(${o}.role) && ${o}.role != '' ? 'role ' + ${o}.role : ''].filter(x, x != '')`;
const hostProcess = (o: string) => `has(${o}.windowsOptions) && has(${o}.windowsOptions.hostProcess) && ${o}.windowsOptions.hostProcess == true`;
/** A container's probes and lifecycle handlers. */
const handlers =
  "['livenessProbe', 'readinessProbe', 'startupProbe'].filter(p, p in c).map(p, c[p]) + (has(c.lifecycle) ? ['postStart', 'preStop'].filter(p, p in c.lifecycle).map(p, c.lifecycle[p]) : [])";
const hostOf = (h: string) => `(has(${h}.httpGet) && has(${h}.httpGet.host) ? ${h}.httpGet.host : '') + (has(${h}.tcpSocket) && has(${h}.tcpSocket.host) ? ${h}.tcpSocket.host : '')`;
const newCapabilities = "c.securityContext.capabilities.add.filter(k, !(k in variables.baselineCapabilities) && !(k in variables.allowedCapabilities))";
const newHostPorts = "c.ports.filter(p, has(p.hostPort) && p.hostPort != 0 && !(p.hostPort in variables.allowedHostPorts))";

/** Pod Security baseline outside the system namespaces, with the platform's named host access exceptions. */
export const disallowPrivileged: RuleModule = {
  name: "disallow-privileged",
  settings: ["systemNamespaces"],
  checksPatches: true,
  build: (s) => ({
    name: "disallow-privileged",
    description:
      "Pods must meet Pod Security baseline (no host namespaces, hostPath volumes, host ports, privileged containers, added capabilities, unmasked /proc, " +
      "unconfined seccomp or AppArmor, custom SELinux types, unsafe sysctls) outside the system namespaces, except the host access the platform's charts need in their own namespaces.",
    match: { resources: [...POD_KINDS, EPHEMERAL_CONTAINERS], namespaces: { exclude: [...s.systemNamespaces].sort() } },
    variables: [
      ...POD_VARIABLES,
      containersVariable({ ephemeral: true }),
      { name: "podSecurity", expression: "has(variables.podSpec.securityContext) ? variables.podSpec.securityContext : {}" },
      { name: "namespace", expression: "has(object.metadata.namespace) ? object.metadata.namespace : ''" },
      { name: "baselineCapabilities", expression: celStringList(BASELINE_CAPABILITIES) },
      allowed("allowedHostNamespaces", (e) => e.hostNamespaces),
      allowed("allowedHostPaths", (e) => e.hostPaths),
      allowed("allowedHostPorts", (e) => e.hostPorts),
      allowed("allowedCapabilities", (e) => e.capabilities),
      {
        name: "hostNamespaces",
        expression: "['hostNetwork', 'hostPID', 'hostIPC'].filter(f, f in variables.podSpec && variables.podSpec[f] == true && !(f in variables.allowedHostNamespaces)).map(f, f + '=true')",
      },
      {
        name: "hostPaths",
        expression:
          "(has(variables.podSpec.volumes) ? variables.podSpec.volumes : []).filter(v, has(v.hostPath) && !(has(v.hostPath.path) && variables.allowedHostPaths.exists(a, v.hostPath.path == a || v.hostPath.path == a + '/')))" +
          `.map(v, 'volume ' + ${nameOf("v")} + ': hostPath ' + (has(v.hostPath.path) ? v.hostPath.path : ''))`,
      },
      { name: "hostPorts", expression: perContainer(`has(c.ports) && size(${newHostPorts}) > 0`, `'hostPort ' + ${newHostPorts}.map(p, string(int(p.hostPort))).join(', ')`) },
      { name: "privileged", expression: perContainer(`${sc("privileged")} && c.securityContext.privileged == true`, "'privileged'") },
      {
        name: "capabilities",
        expression: perContainer(`${sc("capabilities")} && has(c.securityContext.capabilities.add) && size(${newCapabilities}) > 0`, `'adds capabilities ' + ${newCapabilities}.join(', ')`),
      },
      {
        // Any procMount is allowed in a user namespace (hostUsers: false), as of Kubernetes 1.35.
        name: "procMount",
        expression: `has(variables.podSpec.hostUsers) && variables.podSpec.hostUsers == false ? [] : ${perContainer(`${sc("procMount")} && c.securityContext.procMount != 'Default'`, "'procMount ' + c.securityContext.procMount")}`,
      },
      { name: "seccomp", expression: profiles("seccompProfile") },
      {
        name: "appArmor",
        expression:
          `${profiles("appArmorProfile")} + (has(variables.podMetadata.annotations) ? variables.podMetadata.annotations.filter(k, k.startsWith('container.apparmor.security.beta.kubernetes.io/') && ` +
          "!(variables.podMetadata.annotations[k] == '' || variables.podMetadata.annotations[k] == 'runtime/default' || variables.podMetadata.annotations[k].startsWith('localhost/')))" +
          ".map(k, 'annotation ' + k + '=' + variables.podMetadata.annotations[k]) : [])",
      },
      {
        name: "seLinux",
        expression:
          `(has(variables.podSecurity.seLinuxOptions) && size(${seLinuxProblems("variables.podSecurity.seLinuxOptions")}) > 0 ? ['pod: seLinuxOptions ' + ${seLinuxProblems("variables.podSecurity.seLinuxOptions")}.join(', ')] : []) + ` +
          perContainer(`${sc("seLinuxOptions")} && size(${seLinuxProblems("c.securityContext.seLinuxOptions")}) > 0`, `'seLinuxOptions ' + ${seLinuxProblems("c.securityContext.seLinuxOptions")}.join(', ')`),
      },
      {
        name: "sysctls",
        expression: `has(variables.podSecurity.sysctls) ? variables.podSecurity.sysctls.filter(x, !(has(x.name) && x.name in ${celStringList(SAFE_SYSCTLS)})).map(x, 'sysctl ' + ${nameOf("x")}) : []`,
      },
      {
        name: "hostProcess",
        expression: `(${hostProcess("variables.podSecurity")} ? ['pod: windowsOptions.hostProcess'] : []) + ${perContainer(`has(c.securityContext) && ${hostProcess("c.securityContext")}`, "'windowsOptions.hostProcess'")}`,
      },
      {
        name: "handlerHosts",
        expression: perContainer(`(${handlers}).exists(h, ${hostOf("h")} != '')`, `'probe or lifecycle host ' + (${handlers}).map(h, ${hostOf("h")}).filter(x, x != '').join(', ')`),
      },
      {
        name: "violations",
        expression:
          "variables.hostNamespaces + variables.hostPaths + variables.hostPorts + variables.privileged + variables.capabilities + variables.procMount + " +
          "variables.seccomp + variables.appArmor + variables.seLinux + variables.sysctls + variables.hostProcess + variables.handlerHosts",
      },
    ],
    validations: [
      {
        expression: "size(variables.violations) == 0",
        message: "pods must meet Pod Security baseline outside the system namespaces (platform:policy.systemNamespaces)",
        messageExpression:
          "'Pod Security baseline forbids ' + variables.violations.join('; ') + ' in namespace ' + variables.namespace + " +
          "'; only the system namespaces (platform:policy.systemNamespaces) are exempt'",
      },
    ],
  }),
};
