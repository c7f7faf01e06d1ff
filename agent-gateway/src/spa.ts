import * as fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as path from "node:path";

/*
 * The Agent Canvas SPA from the package's prebuilt build/, served the way its own
 * scripts/static-server.mjs does (1.20.0): files as they are, `/assets/*` cached for good,
 * index.html for every other non-asset path, and a small script injected before </head>.
 * The script sets `window.__AGENT_CANVAS_LOCK_TO_CLOUD__` (what `--lock-to-cloud` injects).
 * When that host is the page's own origin, Canvas (`makeLockedCloudBackend`) replaces
 * `localStorage["openhands-backends"]` with the single backend
 * `{id: "locked-cloud", host: <origin>, kind: "cloud", authMode: "cookie"}` and selects it,
 * which is the "pre-registered" backend: no onboarding, no other backends, same-origin calls.
 * Without a configured public URL the script uses `window.location.origin`, so the match
 * holds behind any ingress host.
 */

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "application/javascript; charset=utf-8",
  ".mjs": "application/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
  ".webmanifest": "application/manifest+json",
  ".wasm": "application/wasm",
};

/** What to inject into index.html. */
export interface SpaOptions {
  /** The locked Cloud host; undefined means the page's own origin. */
  lockToCloud?: string;
  /** Leave Canvas's PostHog telemetry on. */
  telemetry: boolean;
}

/** Serializes a value into a JS literal safe inside an inline <script>. */
export function inlineLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** The inline script injected before </head>. */
export function injectionScript(opts: SpaOptions): string {
  const parts = [`window.__AGENT_CANVAS_LOCK_TO_CLOUD__=${opts.lockToCloud ? inlineLiteral(opts.lockToCloud) : "window.location.origin"};`];
  if (!opts.telemetry) parts.push("window.__AGENT_CANVAS_DO_NOT_TRACK__=true;");
  return `<script>(function(){${parts.join("")}}());</script>`;
}

/** index.html with the script injected. */
export function injectIndex(html: string, opts: SpaOptions): string {
  const script = injectionScript(opts);
  if (html.includes("</head>")) return html.replace("</head>", `${script}\n</head>`);
  return `${script}${html}`;
}

/** Whether the last path segment has a file extension (an asset, never the SPA fallback). */
export function looksLikeAsset(urlPath: string): boolean {
  return path.extname(urlPath.split("/").pop() ?? "") !== "";
}

/** A static server for one build directory. */
export class Spa {
  private readonly root: string;
  private readonly index: Buffer;

  constructor(dir: string, opts: SpaOptions) {
    this.root = path.resolve(dir);
    this.index = Buffer.from(injectIndex(fs.readFileSync(path.join(this.root, "index.html"), "utf8"), opts), "utf8");
  }

  /** The file under the root for a URL path, or undefined (outside the root, missing, not a file). */
  resolveFile(urlPath: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (decoded.includes("\0")) return undefined;
    const file = path.resolve(this.root, `.${path.posix.normalize(`/${decoded}`)}`);
    if (file !== this.root && !file.startsWith(`${this.root}${path.sep}`)) return undefined;
    try {
      return fs.statSync(file).isFile() ? file : undefined;
    } catch {
      return undefined;
    }
  }

  /** Serves a GET/HEAD; resolves with the status sent. */
  serve(req: IncomingMessage, res: ServerResponse, urlPath: string): number {
    const head = req.method === "HEAD";
    const common = { "x-content-type-options": "nosniff", "referrer-policy": "same-origin" };
    const file = urlPath === "/" || urlPath === "/index.html" ? undefined : this.resolveFile(urlPath);
    if (file) {
      const type = TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
      const size = fs.statSync(file).size;
      res.writeHead(200, { ...common, "content-type": type, "content-length": size, "cache-control": urlPath.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache" });
      if (head) res.end();
      else fs.createReadStream(file).pipe(res);
      return 200;
    }
    if (looksLikeAsset(urlPath) && urlPath !== "/index.html") {
      res.writeHead(404, { ...common, "content-type": "text/plain; charset=utf-8" }).end("Not Found\n");
      return 404;
    }
    res.writeHead(200, { ...common, "content-type": "text/html; charset=utf-8", "content-length": this.index.length, "cache-control": "no-cache", "x-frame-options": "DENY" });
    res.end(head ? undefined : this.index);
    return 200;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A relative path to return to after login (anything else becomes "/"). */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

/** The login page of bearer mode: one field for the access token. */
export function loginPage(next: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · OpenHands</title>
<style>body{font-family:system-ui,sans-serif;background:#0d0f11;color:#e6e6e6;display:flex;min-height:100vh;align-items:center;justify-content:center;margin:0}
form{background:#1b1d21;padding:2rem;border-radius:12px;width:22rem;display:flex;flex-direction:column;gap:.75rem}
input,button{font:inherit;padding:.6rem;border-radius:8px;border:1px solid #3a3d44;background:#0d0f11;color:inherit}button{background:#c9b974;color:#0d0f11;border:0;cursor:pointer}
.err{color:#ff7b72}</style></head>
<body><form method="post" action="/auth/login"><h1 style="margin:0;font-size:1.25rem">OpenHands</h1>
<label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${escapeHtml(next)}">${error ? `<div class="err" role="alert">${escapeHtml(error)}</div>` : ""}
<button type="submit">Sign in</button></form></body></html>
`;
}
