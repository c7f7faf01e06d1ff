import * as fs from "node:fs";
import * as path from "node:path";
import { LOG_LEVELS, type LogLevel } from "./log";

/*
 * The gateway's configuration, from environment variables only (the platform sets them on the
 * Deployment; the token comes from a mounted Secret). Every problem is collected and reported
 * at once, each naming the variable, the bad value and what is allowed.
 */

/** How a request proves who it is. */
export type AuthMode = "bearer" | "oidc-header" | "none";
export const AUTH_MODES: readonly AuthMode[] = ["bearer", "oidc-header", "none"];

/** Where `/api/cloud-proxy` may send requests: `host` exactly or any subdomain of it. */
export interface SandboxDomain {
  /** Lower-case host name (or IP literal). */
  host: string;
  /** When set, only this port. Defaults to any port. */
  port?: number;
}

/** The platform's LLM, seeded into the app when it has no settings yet. */
export interface LlmDefaults {
  /** A LiteLLM model name, e.g. `openai/qwen2.5-coder:0.5b`. */
  model: string;
  /** The OpenAI-compatible endpoint, e.g. `http://qwen.ollama.svc.cluster.local:11434/v1`. */
  baseUrl: string;
  /** Sent as `api_key` when set. Defaults to none. */
  apiKey?: string;
}

/** A Kubernetes namespace name or a sandbox's session part: a DNS-1123 label. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The validated configuration. */
export interface GatewayConfig {
  /** Listen address. Defaults to 0.0.0.0. */
  host: string;
  /** Listen port. Defaults to 8080. */
  port: number;
  /** The sandbox server (`openhands-ai`) base URL, without a trailing slash. Required. */
  appUrl: URL;
  /** Sent upstream as `X-Session-API-Key` when the app runs with `SESSION_API_KEY`. Defaults to none. */
  appSessionApiKey?: string;
  auth: {
    mode: AuthMode;
    /** Accepted bearer tokens (bearer mode; several during a rotation). */
    tokens: string[];
    /** Header carrying the user the OIDC proxy authenticated (oidc-header mode). Defaults to x-auth-request-email. */
    identityHeader: string;
    /** `Secure` on the session cookie. Defaults to true. */
    cookieSecure: boolean;
    /** Session cookie lifetime. Defaults to 43200 s (12 h). */
    sessionSeconds: number;
  };
  /** Extra browser origins allowed to call `/api/*` (CORS). Defaults to none. */
  corsOrigins: string[];
  /** Hosts `/api/cloud-proxy` may reach. Empty disables the route. */
  sandboxDomains: SandboxDomain[];
  /**
   * The namespace of the sandboxes' Services. When set, in-cluster sandbox URLs in the app's
   * JSON answers become public ones under the first sandbox domain, and `/api/cloud-proxy`
   * reaches `<s>.<domain>` through the Service. Defaults to none (no rewriting).
   */
  sandboxNamespace?: string;
  /** The platform's LLM for a fresh app. Defaults to none (nothing is seeded). */
  llmDefaults?: LlmDefaults;
  /** The Canvas SPA (the package's build/). */
  canvasDir: string;
  /** The origin injected as the locked Cloud backend. Defaults to the page's own origin. */
  publicUrl?: string;
  /** Canvas product telemetry (PostHog). Defaults to false. */
  canvasTelemetry: boolean;
  /** Upstream request timeout. Defaults to 300 s. */
  upstreamTimeoutSeconds: number;
  /** Grace for in-flight requests on SIGTERM. Defaults to 20 s. */
  shutdownSeconds: number;
  logLevel: LogLevel;
}

/** Every problem found in the environment. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent-gateway configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** The Canvas build shipped with the package (`node_modules/@openhands/agent-canvas/build`). */
export function defaultCanvasDir(): string {
  return path.resolve(__dirname, "..", "node_modules", "@openhands", "agent-canvas", "build");
}

const MIN_TOKEN_LENGTH = 16;

function list(v: string | undefined): string[] {
  return (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Parses the environment; throws `ConfigError` listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv, readFile: (p: string) => string = (p) => fs.readFileSync(p, "utf8")): GatewayConfig {
  const problems: string[] = [];
  const int = (key: string, def: number, min: number, max: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === "") return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key}: ${JSON.stringify(raw)} is not allowed; use an integer from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const bool = (key: string, def: boolean): boolean => {
    const raw = env[key];
    if (raw === undefined || raw === "") return def;
    if (/^(1|true|yes)$/i.test(raw)) return true;
    if (/^(0|false|no)$/i.test(raw)) return false;
    problems.push(`${key}: ${JSON.stringify(raw)} is not allowed; use true or false`);
    return def;
  };
  const secretFrom = (key: string, fileKey: string): string[] => {
    const out: string[] = [];
    if (env[fileKey]) {
      try {
        out.push(...readFile(env[fileKey] as string).split(/\r?\n/).map((s) => s.trim()).filter(Boolean));
        if (out.length === 0) problems.push(`${fileKey}: ${env[fileKey]} is empty`);
      } catch (e) {
        problems.push(`${fileKey}: cannot read ${env[fileKey]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    out.push(...list(env[key]));
    return out;
  };

  let appUrl = new URL("http://invalid.invalid");
  const rawApp = env.OPENHANDS_APP_URL;
  if (!rawApp) problems.push("OPENHANDS_APP_URL: required; the sandbox server's URL, e.g. http://openhands-app:3000");
  else {
    try {
      appUrl = new URL(rawApp.replace(/\/+$/, ""));
      if (appUrl.protocol !== "http:" && appUrl.protocol !== "https:") problems.push(`OPENHANDS_APP_URL: ${JSON.stringify(rawApp)} is not allowed; use an http:// or https:// URL`);
      if (appUrl.search || appUrl.hash) problems.push(`OPENHANDS_APP_URL: ${JSON.stringify(rawApp)} is not allowed; use a URL without query or fragment`);
    } catch {
      problems.push(`OPENHANDS_APP_URL: ${JSON.stringify(rawApp)} is not a URL; use e.g. http://openhands-app:3000`);
    }
  }

  const rawMode = env.GATEWAY_AUTH_MODE ?? "bearer";
  const mode = (AUTH_MODES as readonly string[]).includes(rawMode) ? (rawMode as AuthMode) : undefined;
  if (!mode) problems.push(`GATEWAY_AUTH_MODE: ${JSON.stringify(rawMode)} is not allowed; use one of ${AUTH_MODES.join(", ")}`);
  const tokens = secretFrom("GATEWAY_TOKEN", "GATEWAY_TOKEN_FILE");
  if (mode === "bearer") {
    if (tokens.length === 0) problems.push("GATEWAY_TOKEN_FILE: required in bearer mode (or GATEWAY_TOKEN); the file holds one token a line");
    for (const t of tokens) if (t.length < MIN_TOKEN_LENGTH) problems.push(`GATEWAY_TOKEN_FILE: a token of ${t.length} characters is not allowed; use at least ${MIN_TOKEN_LENGTH}`);
  } else if (tokens.length > 0) problems.push(`GATEWAY_TOKEN: set, but GATEWAY_AUTH_MODE is ${JSON.stringify(rawMode)}; tokens are only checked in bearer mode`);
  const identityHeader = (env.GATEWAY_IDENTITY_HEADER ?? "x-auth-request-email").toLowerCase();
  if (!/^[a-z0-9-]+$/.test(identityHeader)) problems.push(`GATEWAY_IDENTITY_HEADER: ${JSON.stringify(env.GATEWAY_IDENTITY_HEADER)} is not a header name`);

  const corsOrigins: string[] = [];
  for (const o of list(env.GATEWAY_CORS_ORIGINS)) {
    let ok: boolean;
    try {
      const u = new URL(o);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin === o.replace(/\/+$/, "");
    } catch {
      ok = false;
    }
    if (ok) corsOrigins.push(new URL(o).origin);
    else problems.push(`GATEWAY_CORS_ORIGINS: ${JSON.stringify(o)} is not an origin; use scheme://host[:port], e.g. https://canvas.example.com`);
  }

  const sandboxDomains: SandboxDomain[] = [];
  for (const d of list(env.GATEWAY_SANDBOX_DOMAIN)) {
    const m = /^([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\d{1,5}))?$/i.exec(d);
    const port = m?.[2] === undefined ? undefined : Number(m[2]);
    if (!m || m[1].startsWith(".") || m[1].endsWith(".") || (port !== undefined && (port < 1 || port > 65535))) {
      problems.push(`GATEWAY_SANDBOX_DOMAIN: ${JSON.stringify(d)} is not allowed; use a domain such as sandboxes.example.com (optionally :port)`);
      continue;
    }
    sandboxDomains.push(port === undefined ? { host: m[1].toLowerCase() } : { host: m[1].toLowerCase(), port });
  }

  let sandboxNamespace: string | undefined;
  const rawNs = env.GATEWAY_SANDBOX_NAMESPACE?.trim();
  if (rawNs) {
    if (!DNS_LABEL.test(rawNs) || rawNs.length > 63) problems.push(`GATEWAY_SANDBOX_NAMESPACE: ${JSON.stringify(rawNs)} is not allowed; use a namespace name (lower-case letters, digits and '-', at most 63), e.g. openhands-sandboxes`);
    else if (sandboxDomains.length === 0) problems.push("GATEWAY_SANDBOX_NAMESPACE: set, but GATEWAY_SANDBOX_DOMAIN is not; set GATEWAY_SANDBOX_DOMAIN to the sandboxes' public domain (their URLs are rewritten to it)");
    else if (/^[0-9.]+$|^\[/.test(sandboxDomains[0].host)) problems.push(`GATEWAY_SANDBOX_NAMESPACE: set, but the first GATEWAY_SANDBOX_DOMAIN entry ${JSON.stringify(sandboxDomains[0].host)} is an IP address; sandbox URLs are rewritten to <sandbox>.<domain>, so put a domain first`);
    else sandboxNamespace = rawNs;
  }

  const llmDefaults = parseLlmDefaults(env, readFile, problems);

  const canvasDir = env.GATEWAY_CANVAS_DIR || defaultCanvasDir();
  if (!fs.existsSync(path.join(canvasDir, "index.html"))) problems.push(`GATEWAY_CANVAS_DIR: ${canvasDir} has no index.html; point it at @openhands/agent-canvas's build/`);

  let publicUrl: string | undefined;
  if (env.GATEWAY_PUBLIC_URL) {
    try {
      const u = new URL(env.GATEWAY_PUBLIC_URL);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
      publicUrl = u.origin;
    } catch {
      problems.push(`GATEWAY_PUBLIC_URL: ${JSON.stringify(env.GATEWAY_PUBLIC_URL)} is not allowed; use the origin browsers open, e.g. https://agents.example.com`);
    }
  }

  const rawLevel = env.LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(rawLevel)) problems.push(`LOG_LEVEL: ${JSON.stringify(rawLevel)} is not allowed; use one of ${LOG_LEVELS.join(", ")}`);

  const appKeys = secretFrom("OPENHANDS_APP_SESSION_API_KEY", "OPENHANDS_APP_SESSION_API_KEY_FILE");
  const config: GatewayConfig = {
    host: env.GATEWAY_HOST || "0.0.0.0",
    port: int("GATEWAY_PORT", 8080, 0, 65535),
    appUrl,
    ...(appKeys.length > 0 ? { appSessionApiKey: appKeys[0] } : {}),
    auth: {
      mode: mode ?? "bearer",
      tokens,
      identityHeader,
      cookieSecure: bool("GATEWAY_COOKIE_SECURE", true),
      sessionSeconds: int("GATEWAY_SESSION_SECONDS", 43_200, 60, 2_592_000),
    },
    corsOrigins,
    sandboxDomains,
    ...(sandboxNamespace ? { sandboxNamespace } : {}),
    ...(llmDefaults ? { llmDefaults } : {}),
    canvasDir,
    ...(publicUrl ? { publicUrl } : {}),
    canvasTelemetry: bool("GATEWAY_CANVAS_TELEMETRY", false),
    upstreamTimeoutSeconds: int("GATEWAY_UPSTREAM_TIMEOUT_SECONDS", 300, 1, 3600),
    shutdownSeconds: int("GATEWAY_SHUTDOWN_SECONDS", 20, 0, 600),
    logLevel: (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as LogLevel) : "info",
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** GATEWAY_LLM_*: model and base URL together or not at all, the key optional. */
function parseLlmDefaults(env: NodeJS.ProcessEnv, readFile: (p: string) => string, problems: string[]): LlmDefaults | undefined {
  const model = env.GATEWAY_LLM_MODEL?.trim() ?? "";
  const rawBase = env.GATEWAY_LLM_BASE_URL?.trim() ?? "";
  let apiKey: string | undefined;
  if (env.GATEWAY_LLM_API_KEY && env.GATEWAY_LLM_API_KEY_FILE) problems.push("GATEWAY_LLM_API_KEY and GATEWAY_LLM_API_KEY_FILE: both set; use one");
  else if (env.GATEWAY_LLM_API_KEY_FILE) {
    try {
      apiKey = readFile(env.GATEWAY_LLM_API_KEY_FILE).trim();
      if (apiKey === "") problems.push(`GATEWAY_LLM_API_KEY_FILE: ${env.GATEWAY_LLM_API_KEY_FILE} is empty`);
    } catch (e) {
      problems.push(`GATEWAY_LLM_API_KEY_FILE: cannot read ${env.GATEWAY_LLM_API_KEY_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  } else if (env.GATEWAY_LLM_API_KEY?.trim()) apiKey = env.GATEWAY_LLM_API_KEY.trim();
  if (!model && !rawBase) {
    if (apiKey !== undefined) problems.push("GATEWAY_LLM_API_KEY: set, but GATEWAY_LLM_MODEL and GATEWAY_LLM_BASE_URL are not; the key is only seeded with them");
    return undefined;
  }
  if (!model) problems.push("GATEWAY_LLM_MODEL: required when GATEWAY_LLM_BASE_URL is set; use a LiteLLM model name, e.g. openai/qwen2.5-coder:0.5b");
  else if (/\s/.test(model) || model.length > 256) problems.push(`GATEWAY_LLM_MODEL: ${JSON.stringify(model)} is not allowed; use a LiteLLM model name without spaces, e.g. openai/qwen2.5-coder:0.5b`);
  let baseUrl = "";
  if (!rawBase) problems.push("GATEWAY_LLM_BASE_URL: required when GATEWAY_LLM_MODEL is set; use the LLM's http(s) endpoint, e.g. http://qwen.ollama.svc.cluster.local:11434/v1");
  else {
    let u: URL | undefined;
    try {
      u = new URL(rawBase);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) problems.push(`GATEWAY_LLM_BASE_URL: ${JSON.stringify(rawBase)} is not allowed; use an http:// or https:// URL, e.g. http://qwen.ollama.svc.cluster.local:11434/v1`);
    else if (u.username || u.password) problems.push("GATEWAY_LLM_BASE_URL: credentials in the URL are not allowed; put the key in GATEWAY_LLM_API_KEY_FILE");
    else baseUrl = rawBase;
  }
  if (problems.some((p) => p.startsWith("GATEWAY_LLM_"))) return undefined;
  return apiKey === undefined ? { model, baseUrl } : { model, baseUrl, apiKey };
}
