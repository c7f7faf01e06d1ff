import { oidcProblems } from "../../components/auth";
import { OPENHANDS_NAMESPACE, sandboxDomainDefault } from "../../components/openhands/settings";
import { cidrContains } from "../../lib/netpol";
import { compareQuantities } from "../../lib/quantity";
import { fleetName } from "../names";
import type { SecretValues } from "../rules";
import type { PlatformConfig } from "../schema";

const AT = "platform:openhands";

/** Who gets in: an OIDC proxy in prod, whose header the gateway trusts, and its client secret. */
export function agentSignIn(c: PlatformConfig, secrets: SecretValues): string[] {
  const errors: string[] = [];
  const o = c.openhands;
  if (!o.enabled) {
    if (secrets.openhandsOidcClientSecret !== undefined) errors.push(`platform:openhandsOidcClientSecret: set, but openhands.enabled is false; remove the secret or enable the agent platform`);
    return errors;
  }
  if (o.oidc === undefined) {
    if (c.profile === "prod") {
      errors.push(
        `${AT}.oidc: missing; in prod the agent UI and the sandbox server are reachable only through OIDC sign-in: set issuerUrl, clientId and emailDomains, gateway.auth "oidc-header", and the secret platform:openhandsOidcClientSecret`,
      );
    }
    if (secrets.openhandsOidcClientSecret !== undefined) errors.push(`platform:openhandsOidcClientSecret: set, but ${AT}.oidc is not; remove the secret or configure OIDC`);
    return errors;
  }
  errors.push(...oidcProblems({ ...o.oidc }, `${AT}.oidc`));
  if (o.gateway.auth !== "oidc-header") {
    errors.push(`${AT}.gateway.auth: "${o.gateway.auth}" with ${AT}.oidc set; the gateway must trust the proxy's header: use "oidc-header"`);
  } else if (o.gateway.identityHeader !== o.oidc.identityHeader) {
    errors.push(`${AT}.gateway.identityHeader: "${o.gateway.identityHeader}" is not the header the OIDC proxy sets (${AT}.oidc.identityHeader "${o.oidc.identityHeader}"); set both to the same`);
  }
  if (secrets.openhandsOidcClientSecret === undefined) {
    errors.push(`platform:openhandsOidcClientSecret: missing; ${AT}.oidc is set. Set it with: pulumi config set --secret platform:openhandsOidcClientSecret <client secret>`);
  }
  return errors;
}

/** Keys of the removed Polyform-licensed chart are refused, enabled or not. */
export function openHandsRemovedChart(c: PlatformConfig): string[] {
  return (["license", "values"] as const)
    .filter((key) => c.openhands[key] !== undefined)
    .map(
      (key) =>
        `${AT}.${key}: set, but the platform no longer installs the Polyform-licensed openhands chart (its sandbox runtime is closed source and its pods fail the platform's own policies; README, "OpenHands"); remove the key`,
    );
}

/** OpenHands' LLM is one of the model fleets. */
export function openHandsLlm(c: PlatformConfig): string[] {
  const o = c.openhands;
  if (!o.enabled) return [];
  const errors: string[] = [];
  const names = c.ollama.fleets.map(fleetName);
  if (o.llm !== undefined && !names.includes(o.llm.fleet)) {
    errors.push(`${AT}.llm.fleet: "${o.llm.fleet}" is not a fleet of ollama.fleets (${names.length ? names.join(", ") : "none configured"}); name one of them`);
  }
  if (names.length === 0) {
    errors.push(`${AT}.enabled: true, but ollama.fleets is empty; OpenHands needs a model fleet for its LLM (add one to ollama.fleets)`);
  }
  return errors;
}

/** The sandboxes' namespace, domain and certificate: their own, never shared with the platform's. */
export function sandboxIsolation(c: PlatformConfig): string[] {
  const o = c.openhands;
  if (!o.enabled) return [];
  const errors: string[] = [];
  const s = o.sandbox;
  const reserved = [OPENHANDS_NAMESPACE, c.ollama.namespace, "default", "kube-system", "kube-public", "kube-node-lease"];
  if (reserved.includes(s.namespace)) {
    errors.push(`${AT}.sandbox.namespace: "${s.namespace}" is shared with other workloads; sandboxes run untrusted code and need their own namespace (default openhands-sandboxes)`);
  }
  if (c.certificates.issuer === "acme" && s.tlsSecret === undefined) {
    errors.push(
      `${AT}.sandbox.tlsSecret: missing; sandboxes are served at *.${s.domain ?? sandboxDomainDefault(c.domain)} and ACME HTTP-01 cannot issue wildcard certificates. Create a Secret with a wildcard certificate (e.g. from DNS-01) in namespace ${OPENHANDS_NAMESPACE} (never in the sandbox namespace) and name it here`,
    );
  }
  if (c.ingress.ingressNginx.enabled && c.ingress.ingressNginx.default) {
    errors.push(
      `platform:ingress.ingressNginx.default: true, but sandbox Ingresses use the default IngressClass and only Contour serves them the wildcard certificate from namespace ${OPENHANDS_NAMESPACE} (TLS certificate delegation; ingress-nginx would need the key in the sandbox namespace, where untrusted code runs); make contour the default`,
    );
  }
  if (s.domain !== undefined && (s.domain === c.domain || c.domain.endsWith(`.${s.domain}`))) {
    errors.push(
      `${AT}.sandbox.domain: "${s.domain}" would put sandboxes beside the platform's own hosts (a wildcard certificate for *.${s.domain} also covers openhands.${c.domain}, grafana.${c.domain}); use a domain of their own such as sandboxes.${c.domain}`,
    );
  }
  return errors;
}

/** What the policies of the sandbox namespace require of its pods, and what the sandboxes may use. */
export function sandboxPolicy(c: PlatformConfig): string[] {
  const o = c.openhands;
  if (!o.enabled) return [];
  const errors: string[] = [];
  const s = o.sandbox;
  if (s.privileged && !c.policy.systemNamespaces.includes(s.namespace)) {
    errors.push(`${AT}.sandbox.privileged: true, but "${s.namespace}" is not in policy.systemNamespaces, whose policy rejects privileged containers; add it there too, knowing sandboxes run untrusted code`);
  }
  const required = c.policy.runtimeClasses[s.namespace];
  if (required !== undefined && required !== s.runtimeClass) {
    errors.push(
      `platform:policy.runtimeClasses.${s.namespace}: "${required}", but ${AT}.sandbox.runtimeClass is ${s.runtimeClass === undefined ? "unset" : `"${s.runtimeClass}"`}; sandbox pods would be refused. Set openhands.sandbox.runtimeClass to "${required}" and leave the sandbox namespace out of policy.runtimeClasses (it follows openhands.sandbox.runtimeClass)`,
    );
  }
  if (!c.policy.workloadNamespaces.includes(s.namespace)) {
    errors.push(`${AT}.sandbox.namespace: "${s.namespace}" is not in policy.workloadNamespaces (${c.policy.workloadNamespaces.join(", ")}); sandboxes must run where requests and limits are enforced`);
  }
  if (compareQuantities(s.requests.memory, s.limits.memory) > 0) {
    errors.push(`${AT}.sandbox.requests.memory: "${s.requests.memory}" is above limits.memory "${s.limits.memory}"; a request must not exceed its limit`);
  }
  if (s.limits.cpu !== undefined && compareQuantities(s.requests.cpu, s.limits.cpu) > 0) {
    errors.push(`${AT}.sandbox.requests.cpu: "${s.requests.cpu}" is above limits.cpu "${s.limits.cpu}"; a request must not exceed its limit`);
  }
  const quota = c.policy.pvcQuotaExceptions[s.namespace] ?? c.policy.pvcQuota;
  if (compareQuantities(s.pvcSize, quota) > 0) {
    errors.push(`${AT}.sandbox.pvcSize: "${s.pvcSize}" exceeds the PVC quota of namespace ${s.namespace} (${quota}, platform:policy.pvcQuota); use at most ${quota}`);
  }
  s.egress.cidrs.forEach((e, i) => {
    // Link-local holds every cloud's instance metadata service (credentials of the node).
    const metadata = "169.254.169.254";
    if (cidrContains(e.cidr, metadata) && !e.except.some((x) => cidrContains(x, metadata))) {
      errors.push(
        `${AT}.sandbox.egress.cidrs[${i}].cidr: "${e.cidr}" includes the link-local range (cloud metadata at ${metadata}, which hands out the node's credentials); add "169.254.0.0/16" to its except list or use a narrower CIDR`,
      );
    }
  });
  return errors;
}

/** The sandbox server, runtime and gateway: what their storage and requests allow. */
export function agentWorkloads(c: PlatformConfig): string[] {
  const o = c.openhands;
  if (!o.enabled) return [];
  const errors: string[] = [];
  if (o.server.replicas !== 1) {
    errors.push(
      `${AT}.server.replicas: ${o.server.replicas} is not allowed; the sandbox server keeps its settings, keys and conversation events on one ReadWriteOnce volume (and SQLite allows one writer), so it runs 1 replica`,
    );
  }
  if (o.server.database.kind === "sqlite" && o.server.database.instances !== 1) {
    errors.push(`${AT}.server.database.instances: ${o.server.database.instances} applies to postgres only; with kind sqlite remove it`);
  }
  for (const key of ["server", "runtime", "gateway"] as const) {
    const r = o[key].resources;
    if (compareQuantities(r.requests.memory, r.limits.memory) > 0) {
      errors.push(`${AT}.${key}.resources.requests.memory: "${r.requests.memory}" is above limits.memory "${r.limits.memory}"; a request must not exceed its limit`);
    }
    if (r.limits.cpu !== undefined && compareQuantities(r.requests.cpu, r.limits.cpu) > 0) {
      errors.push(`${AT}.${key}.resources.requests.cpu: "${r.requests.cpu}" is above limits.cpu "${r.limits.cpu}"; a request must not exceed its limit`);
    }
  }
  return errors;
}
