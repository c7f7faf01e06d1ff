import * as http from "node:http";
import * as https from "node:https";

/*
 * The readiness check behind `running`: GET <url>/ready through the route the app will use
 * (the sandbox URL, i.e. Ingress and TLS), so `running` means the app's next calls will
 * reach the agent server. The agent server answers /ready with 503 until it has initialised.
 */

/** Resolves true on a 2xx answer within the timeout, false otherwise (never rejects). */
export type Probe = (url: string) => Promise<boolean>;

const insecureAgent = new https.Agent({ rejectUnauthorized: false, keepAlive: false });

/** A probe over node:http(s). */
export function httpProbe(timeoutMs: number, insecureSkipTlsVerify: boolean): Probe {
  return (url: string) =>
    new Promise((resolve) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        resolve(false);
        return;
      }
      const mod = u.protocol === "https:" ? https : http;
      const req = mod.request(u, { method: "GET", timeout: timeoutMs, ...(u.protocol === "https:" && insecureSkipTlsVerify ? { agent: insecureAgent } : {}) }, (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", () => resolve(false));
      req.end();
    });
}
