import { parseConfig, type Config } from "../../sandbox-runtime/src/config";
import { silentLogger } from "../../sandbox-runtime/src/log";
import { RuntimeMetrics } from "../../sandbox-runtime/src/metrics";
import { Sandboxes } from "../../sandbox-runtime/src/sandboxes";
import { FakeKube } from "./fake-kube";

/** A key long enough for the config check. */
export const API_KEY = "test-api-key-0123456789";
export const NS = "sandboxes";

/** The config file the tests start from, plus `file` merged at the top level. */
export function testConfig(file: Record<string, unknown> = {}, env: Record<string, string> = {}): Config {
  return parseConfig({ namespace: NS, domain: "sandbox.example.com", ...file }, { SANDBOX_RUNTIME_API_KEY: API_KEY, ...env }, "test-host");
}

/** The /start body app 1.11.0 sends (observed), for a session id. */
export function appStartBody(sessionId = "AbCdEfGhIjKlMnOpQrStUv", over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: "ghcr.io/openhands/agent-server:1.34.0-python",
    command: ["/usr/local/bin/openhands-agent-server", "--port", "60000"],
    working_dir: "/workspace",
    environment: {
      OPENVSCODE_SERVER_ROOT: "/openhands/.openvscode-server",
      LOG_JSON: "true",
      OH_ENABLE_VNC: "0",
      OH_CONVERSATIONS_PATH: "/workspace/conversations",
      OH_BASH_EVENTS_DIR: "/workspace/bash_events",
      OH_VSCODE_PORT: "60001",
      WORKER_1: "12000",
      WORKER_2: "12001",
      LLM_API_KEY: "sk-test-llm",
      LLM_MODEL: "openai/gpt-test",
    },
    session_id: sessionId,
    resource_factor: 1,
    run_as_user: 10001,
    run_as_group: 10001,
    fs_group: 10001,
    ...over,
  };
}

/** A Sandboxes over a fresh FakeKube with a controllable clock, keys and probe. */
export function harness(file: Record<string, unknown> = {}, probe: (url: string) => Promise<boolean> = async () => true) {
  const kube = new FakeKube();
  const config = testConfig(file);
  const metrics = new RuntimeMetrics();
  let t = new Date("2026-12-01T10:00:00Z").getTime();
  let n = 0;
  const clock = { advance: (s: number) => (t += s * 1000), now: () => new Date(t) };
  kube.now = clock.now;
  const probed: string[] = [];
  const sandboxes = new Sandboxes({
    kube,
    config,
    log: silentLogger,
    metrics,
    probe: async (u) => (probed.push(u), probe(u)),
    now: clock.now,
    newKey: () => `key-${++n}`,
  });
  return { kube, config, metrics, sandboxes, clock, probed };
}

/** A pod status that is Running and Ready. */
export const READY = { phase: "Running", conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "agent-server", ready: true, restartCount: 0, state: { running: {} } }] };
