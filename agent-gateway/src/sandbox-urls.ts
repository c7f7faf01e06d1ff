import type { SandboxDomain } from "./config";

/*
 * Sandbox URLs, in-cluster and public. The runtime service reports each sandbox as
 * `http://openhands-runtime-<s>-svc.<namespace>.svc.cluster.local:60000`, the address the app
 * itself calls. The app hands that URL to browsers as it is (`conversation_url`,
 * `exposed_urls[].url`, `agent_server_url`), and in its subdomain mode derives
 * `http://vscode-…`, `http://work-1-…` and `http://work-2-…` from it (openhands-ai 1.11.0
 * `remote_sandbox_service.py` `_to_sandbox_info`).
 * Browsers cannot reach any of them. The runtime's Ingress serves the same sandbox at
 * `https://<s>.<domain>` and `https://vscode-<s>.<domain>`, `work-1-`, `work-2-`. So:
 * - `publicSandboxUrls` rewrites the in-cluster form to the public one in the app's JSON;
 * - `sandboxServiceUrl` maps a public agent-server host back to its Service, for
 *   `/api/cloud-proxy` (the gateway pod need not resolve the public names).
 */

/** The agent server's port on a sandbox's Service. */
export const SANDBOX_SERVICE_PORT = 60000;
/** Every in-cluster sandbox URL contains this; a text without it has nothing to rewrite. */
export const SANDBOX_URL_NEEDLE = "openhands-runtime-";
/** Host prefixes the app derives for VS Code and the two worker ports (subdomain mode). */
export const SERVICE_PREFIXES = ["vscode-", "work-1-", "work-2-"] as const;
/** A sandbox's session part: a DNS label, as in the runtime's object names. */
const LABEL = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Matches `http://[vscode-|work-1-|work-2-]openhands-runtime-<s>-svc.<ns>.svc[.cluster.local][:port]`
 * where the host ends (not inside a longer name or port). Group 1: the prefix, group 2: `<s>`.
 */
export function inClusterPattern(namespace: string): RegExp {
  const prefixes = SERVICE_PREFIXES.map(escapeRegExp).join("|");
  return new RegExp(`(?<![A-Za-z0-9+.-])http://(${prefixes})?openhands-runtime-(${LABEL})-svc\\.${escapeRegExp(namespace)}\\.svc(?:\\.cluster\\.local)?(?::\\d{1,5})?(?![-A-Za-z0-9_:]|\\.[A-Za-z0-9])`, "g");
}

/** Rewrites in-cluster sandbox URLs in `text` to `https://<prefix><s>.<domain>[:port]`. */
export function publicSandboxUrls(namespace: string, domain: SandboxDomain): (text: string) => string {
  const re = inClusterPattern(namespace);
  const suffix = `${domain.host}${domain.port === undefined ? "" : `:${domain.port}`}`;
  return (text) => (text.includes(SANDBOX_URL_NEEDLE) ? text.replace(re, (_m, prefix: string | undefined, s: string) => `https://${prefix ?? ""}${s}.${suffix}`) : text);
}

/** What a public sandbox host stands for. */
export type PublicHost = { ok: true; session: string; domain: SandboxDomain } | { ok: false; reason: string };

/**
 * The sandbox behind `url` (`<s>.<domain>`, exactly one label under one of `domains`, the
 * port matching when one is configured). VS Code and worker hosts are refused: the cloud
 * proxy reaches agent servers only.
 */
export function sandboxOfHost(domains: readonly SandboxDomain[], url: URL): PublicHost {
  const host = url.hostname.toLowerCase();
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  for (const d of domains) {
    if (!host.endsWith(`.${d.host}`) || (d.port !== undefined && d.port !== port)) continue;
    const label = host.slice(0, -(d.host.length + 1));
    if (label.includes(".") || !new RegExp(`^${LABEL}$`).test(label)) continue;
    const prefix = SERVICE_PREFIXES.find((p) => label.startsWith(p));
    if (prefix) return { ok: false, reason: `host: ${url.host} is a sandbox's ${prefix === "vscode-" ? "VS Code" : "worker"} host; the cloud proxy only reaches agent servers (<sandbox>.${d.host})` };
    return { ok: true, session: label, domain: d };
  }
  return { ok: false, reason: `host: ${url.host} is not a sandbox host; use <sandbox>.<domain>, one label under the sandbox domain (${domains.map((d) => (d.port ? `${d.host}:${d.port}` : d.host)).join(", ")})` };
}

/** The in-cluster Service of sandbox `<s>` in `namespace` (the agent server's port). */
export function sandboxServiceUrl(namespace: string): (session: string) => URL {
  return (session) => new URL(`http://openhands-runtime-${session}-svc.${namespace}.svc.cluster.local:${SANDBOX_SERVICE_PORT}`);
}
