import { createServer, type Server } from "node:http";
import { METRICS_CONTENT_TYPE } from "./metrics";

/*
 * Two HTTP servers on separate ports (the chart's `metrics.port` and `health.port`), so
 * the probes keep answering when a scrape is slow and the metrics port can be exposed
 * without the health endpoints.
 *  - /healthz: the process is alive (event loop turning).
 *  - /readyz: informers synced (a standby that is not leading is still ready: it serves
 *    metrics and takes over at once when the leader goes).
 */

/** Starts a server answering `routes` (path → [status, content type, body]); 404 otherwise. */
export function serve(port: number, host: string, routes: Record<string, () => [number, string, string]>): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const route = routes[path];
    if (!route || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const [status, type, body] = route();
    res.writeHead(status, { "content-type": type }).end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** The metrics server. */
export function serveMetrics(port: number, host: string, render: () => string): Promise<Server> {
  return serve(port, host, { "/metrics": () => [200, METRICS_CONTENT_TYPE, render()] });
}

/** The health server. */
export function serveHealth(port: number, host: string, ready: () => boolean): Promise<Server> {
  return serve(port, host, {
    "/healthz": () => [200, "text/plain", "ok\n"],
    "/readyz": () => (ready() ? [200, "text/plain", "ok\n"] : [503, "text/plain", "informers not synced\n"]),
  });
}
