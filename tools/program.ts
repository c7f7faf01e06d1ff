import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { encodeConfigValue, ROOT, stackFileConfig } from "./stack-config";
import { TYPES } from "./types";

/*
 * Runs the real index.ts for a stack under Pulumi's mocks and records every resource it
 * registers. Pulumi's mocks only see type, name, inputs and provider; a stack
 * transformation adds what they hide: the parent and the dependsOn edges.
 *
 * Pulumi's runtime is process-global, so a process runs one program: node's test runner
 * gives each test file its own process. Tests, bench and scripts import it from here.
 */

/** One registered resource. */
export interface Recorded {
  type: string;
  name: string;
  /** Inputs as the provider would receive them (resolved). */
  inputs: Record<string, any>;
  /** `type::name` of the parent, if any (the stack is not recorded). */
  parent?: string;
  /** `type::name` of every explicit dependsOn. */
  dependsOn: string[];
  /** `type::name` of the resources whose outputs its inputs use (implicit dependencies). */
  inputDeps: string[];
  /** `type::name` of its explicit provider resource, if any (it waits for the provider too). */
  providerDep?: string;
  /** Provider reference (`urn::id`) for custom resources. */
  provider?: string;
  custom: boolean;
  /** Pulumi's `protect` as the engine applies it: the resource's own option, else its parent's (inherited). */
  protect: boolean;
  /** Pulumi's `retainOnDelete` (not inherited from the parent). */
  retainOnDelete: boolean;
  /** When the mocked engine started and finished creating it (ms since process start). */
  startedMs?: number;
  endedMs?: number;
}

/** What a program run produced. */
export interface ProgramRun {
  resources: Recorded[];
  /** The program module's exports (stack outputs), as Outputs. */
  exports: Record<string, unknown>;
  /** Resources of a type (`kubernetes:core/v1:Namespace`). */
  ofType(type: string): Recorded[];
  /** The one resource with this type and name; throws naming what exists when absent. */
  get(type: string, name: string): Recorded;
  /** Whether `from` (`type::name`) waits for `to`: through dependsOn edges, transitively. */
  dependsOn(from: string, to: string): boolean;
  /**
   * Whether `from` waits for `to` through any real dependency, transitively: explicit
   * dependsOn, outputs used as inputs, and the provider. What the engine orders by.
   */
  waitsFor(from: string, to: string): boolean;
  /** Direct dependencies of one resource: explicit, inputs and provider. */
  directWaits(k: string): string[];
}

/** Options of {@link runProgram}. */
export interface RunOptions {
  /** Stack whose `Pulumi.<stack>.yaml` is loaded. */
  stack: string;
  /** Extra or replacing config, keys without namespace, objects as objects. */
  config?: Record<string, unknown>;
  /** Secret config values, keys without namespace. */
  secrets?: Record<string, string>;
  /** Kubernetes version the fake API server reports (existing mode). Defaults to v1.35.1. */
  serverVersion?: string;
  /** Run as a preview. Defaults to false. */
  preview?: boolean;
  /** Milliseconds each resource takes to create (simulated deploys). Defaults to none. */
  latency?: (type: string, inputs: Record<string, any>) => number;
}

/** Serves `/version` on loopback, as an API server would, for the preflight. */
async function fakeApiServer(version: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/version") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ major: "1", minor: version.split(".")[1], gitVersion: version }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** A kubeconfig with one context pointing at `server`. */
export function fixtureKubeconfig(server: string, context: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `current-context: ${context}`,
    "clusters:",
    `- name: ${context}`,
    `  cluster: { server: "${server}" }`,
    "contexts:",
    `- name: ${context}`,
    `  context: { cluster: ${context}, user: ${context} }`,
    "users:",
    `- name: ${context}`,
    "  user: { token: fixture-token }",
    "",
  ].join("\n");
}

/** Outputs the mocks return for resources whose outputs the program reads. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
  if (type === "command:local:Command" && typeof inputs.create === "string" && inputs.create.includes("kind get kubeconfig")) {
    return { ...inputs, stdout: fixtureKubeconfig("https://127.0.0.1:6443", `kind-${inputs.environment?.CLUSTER ?? name}`) };
  }
  if (type === "command:local:Command") return { ...inputs, stdout: "", stderr: "" };
  if (type === "random:index/randomPassword:RandomPassword") return { ...inputs, result: mockPassword(name, typeof inputs.length === "number" ? inputs.length : 16) };
  if (type === TYPES.release) return { ...inputs, status: { status: "deployed", namespace: inputs.namespace, name: inputs.name } };
  return inputs;
}

const key = (type: string, name: string) => `${type}::${name}`;

// Internal to Pulumi, but exactly what the language host awaits before it disconnects.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** Runs index.ts for `opts.stack` under mocks; see the module comment. */
export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const config: Record<string, string> = stackFileConfig(opts.stack);
  for (const [k, v] of Object.entries(opts.config ?? {})) config[`platform:${k}`] = encodeConfigValue(v);
  const secretKeys: string[] = [];
  for (const [k, v] of Object.entries(opts.secrets ?? {})) {
    config[`platform:${k}`] = v;
    secretKeys.push(`platform:${k}`);
  }

  const api = await fakeApiServer(opts.serverVersion ?? "v1.35.1");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "platform-test-"));
  const cluster = config["platform:cluster"] ? (JSON.parse(config["platform:cluster"]) as { existing?: { context?: string } }) : {};
  const kubeconfigPath = path.join(tmp, "kubeconfig");
  fs.writeFileSync(kubeconfigPath, fixtureKubeconfig(api.url, cluster.existing?.context ?? "fixture"));
  process.env.KUBECONFIG = kubeconfigPath;
  try {
    return await recordResources(
      () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(path.join(ROOT, "index.ts")) as Record<string, unknown>;
      },
      { stack: opts.stack, config, secretKeys, preview: opts.preview, latency: opts.latency },
    );
  } finally {
    await api.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Runs `program` inside a mocked Pulumi stack and records every resource it registers.
 * Component tests call it with a function that constructs components directly.
 */
export async function recordResources(
  program: () => Record<string, unknown> | Promise<Record<string, unknown>>,
  opts: {
    stack?: string;
    config?: Record<string, string>;
    secretKeys?: string[];
    preview?: boolean;
    /** Milliseconds a resource takes to create, for simulated deploys. Defaults to none. */
    latency?: (type: string, inputs: Record<string, any>) => number;
  } = {},
): Promise<ProgramRun> {
  const mocked = new Map<string, { inputs: Record<string, any>; provider?: string; custom: boolean }>();
  const meta = new Map<
    string,
    { parent?: pulumi.Resource; dependsOn: unknown[]; inputs: Promise<Set<pulumi.Resource>>; provider?: pulumi.ProviderResource; protect?: boolean; retainOnDelete?: boolean }
  >();
  const names = new WeakMap<pulumi.Resource, string>();
  const order: string[] = [];
  const timeline = new Map<string, { startedMs: number; endedMs: number }>();

  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs) {
        const startedMs = performance.now();
        const k = key(args.type, args.name);
        mocked.set(k, { inputs: args.inputs, provider: args.provider, custom: args.custom ?? true });
        const ms = opts.latency?.(args.type, args.inputs) ?? 0;
        if (ms > 0) await new Promise((r) => setTimeout(r, ms));
        timeline.set(k, { startedMs, endedMs: performance.now() });
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs;
      },
    },
    "platform",
    opts.stack ?? "test",
    opts.preview ?? false,
  );

  let exportsObj: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      const k = key(args.type, args.name);
      names.set(args.resource, k);
      order.push(k);
      const deps = args.opts.dependsOn;
      meta.set(k, {
        parent: args.opts.parent,
        dependsOn: deps === undefined ? [] : Array.isArray(deps) ? deps : [deps],
        inputs: outputResources(args.props),
        provider: (args.opts as pulumi.CustomResourceOptions).provider,
        // Mocks do not see resource options; transformations see them before inheritance.
        protect: args.opts.protect,
        retainOnDelete: args.opts.retainOnDelete,
      });
      return undefined;
    });
    exportsObj = await program();
    return exportsObj;
  });
  // Registrations that wait on outputs (the provider waits for the preflight) finish after
  // the stack's outputs resolve: drain them, as the language host does before exiting.
  await waitForRPCs();
  const resources: Recorded[] = [];
  // Parents register before their children: a child without its own `protect` inherits the parent's.
  const protect = new Map<string, boolean>();
  for (const k of order) {
    const m = meta.get(k)!;
    const parentKey = m.parent ? names.get(m.parent) : undefined;
    protect.set(k, m.protect ?? (parentKey ? (protect.get(parentKey) ?? false) : false));
    const deps: string[] = [];
    for (const d of m.dependsOn) {
      const r = (pulumi.Output.isInstance(d) ? await (d as any).promise() : await d) as pulumi.Resource | pulumi.Resource[];
      for (const x of Array.isArray(r) ? r : [r]) {
        const n = names.get(x);
        if (n) deps.push(n);
      }
    }
    const inputDeps = [...(await m.inputs)].map((x) => names.get(x)).filter((n): n is string => n !== undefined && n !== k);
    const [type, name] = k.split("::");
    const mk = mocked.get(k);
    resources.push({
      type,
      name,
      inputs: mk?.inputs ?? {},
      parent: m.parent ? names.get(m.parent) : undefined,
      dependsOn: deps,
      inputDeps: [...new Set(inputDeps)].sort(),
      // Inherited providers are not in the options; the mock sees the reference `urn::id`.
      providerDep: m.provider ? names.get(m.provider) : providerKey(mk?.provider),
      provider: mk?.provider,
      custom: mk?.custom ?? false,
      protect: protect.get(k)!,
      retainOnDelete: m.retainOnDelete ?? false,
      ...timeline.get(k),
    });
  }
  const byKey = new Map(resources.map((r) => [key(r.type, r.name), r]));

  const dependsOn = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const visit = (k: string): boolean => {
      if (seen.has(k)) return false;
      seen.add(k);
      const r = byKey.get(k);
      if (!r) return false;
      // A dependency on a component means on all of its children (Pulumi waits for them).
      // A parent's dependsOn is not inherited by its children, so parents are not walked.
      for (const d of r.dependsOn) {
        if (d === to || isAncestor(to, d) || visit(d)) return true;
      }
      return false;
    };
    return visit(from);
  };
  const directWaits = (k: string): string[] => {
    const r = byKey.get(k);
    if (!r) return [];
    return [...new Set([...r.dependsOn, ...r.inputDeps, ...(r.providerDep ? [r.providerDep] : [])])];
  };
  const waitsFor = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const visit = (k: string): boolean => {
      if (seen.has(k)) return false;
      seen.add(k);
      for (const d of directWaits(k)) {
        if (d === to || isAncestor(to, d) || visit(d) || descendants(d).some(visit)) return true;
      }
      return false;
    };
    return visit(from);
  };
  const children = new Map<string, string[]>();
  for (const r of resources) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), `${r.type}::${r.name}`]);
  const descendants = (k: string): string[] => (children.get(k) ?? []).flatMap((c) => [c, ...descendants(c)]);
  const isAncestor = (child: string, ancestor: string): boolean => {
    let p = byKey.get(child)?.parent;
    while (p) {
      if (p === ancestor) return true;
      p = byKey.get(p)?.parent;
    }
    return false;
  };

  return {
    resources,
    exports: exportsObj,
    ofType: (type) => resources.filter((r) => r.type === type),
    get(type, name) {
      const r = byKey.get(key(type, name));
      if (!r) {
        const same = resources.filter((x) => x.type === type).map((x) => x.name);
        throw new Error(`no ${type} named ${name}; registered: ${same.join(", ") || "none of that type"}`);
      }
      return r;
    },
    dependsOn,
    waitsFor,
    directWaits,
  };
}

/** `pulumi:providers:kubernetes::<name>` from a provider reference `urn::id`. */
function providerKey(ref: string | undefined): string | undefined {
  const m = ref ? /[:$](pulumi:providers:[^:]+)::([^:]+)::[^:]*$/.exec(ref) : null;
  return m ? `${m[1]}::${m[2]}` : undefined;
}

/** The resources whose outputs appear anywhere in `props` (Pulumi's own dependency tracking). */
async function outputResources(props: unknown): Promise<Set<pulumi.Resource>> {
  const found = new Set<pulumi.Resource>();
  const pending: Promise<void>[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 50 || v === null || typeof v !== "object") return;
    if (pulumi.Output.isInstance(v)) {
      const all = (v as unknown as { allResources?: () => Promise<Set<pulumi.Resource>> }).allResources;
      if (all) pending.push(all().then((rs) => rs.forEach((r) => found.add(r))));
      return;
    }
    if (pulumi.Resource.isInstance(v)) return;
    if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else Object.values(v as Record<string, unknown>).forEach((x) => walk(x, depth + 1));
  };
  walk(props, 0);
  await Promise.all(pending);
  return found;
}

/** Resolves an Output (or plain value) and whether it is secret. */
export async function resolveOutput<T>(o: unknown): Promise<{ value: T; secret: boolean }> {
  if (!pulumi.Output.isInstance(o)) return { value: o as T, secret: false };
  const out = o as pulumi.Output<T>;
  const secret = await (out as any).isSecret;
  const value = await (out as any).promise();
  return { value, secret };
}

/** What a RandomPassword `name` of `length` resolves to under the mocks: as long as asked (consumers check lengths), deterministic. */
export function mockPassword(name: string, length: number): string {
  const seed = `pw${name.replace(/[^A-Za-z0-9]/g, "")}0123456789abcdef`;
  return seed.repeat(Math.ceil(length / seed.length)).slice(0, length);
}

/** Pulumi's marker of a secret value in serialized inputs (`{ [SECRET_SIG]: SECRET_VALUE, value }`). */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";
export const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** `value` with every secret marker replaced by the value it wraps. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (o[SECRET_SIG] === SECRET_VALUE) return unwrapSecrets(o.value);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
}
