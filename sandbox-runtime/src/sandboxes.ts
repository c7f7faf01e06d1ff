import { randomBytes } from "node:crypto";
import { readSpec, type Config, type SandboxSpec } from "./config";
import { desiredIngress, desiredPod, desiredPvc, desiredSecret, desiredServices, overrideParts, runtimeClassFor, sandboxHosts, type SandboxIdentity } from "./desired";
import { recordEvent, type EventReason } from "./events";
import { KubeError, type KubeClient, type KubeObject, type Kind, type LabelSelector } from "./kube";
import { A, MANAGED_BY, MANAGER, POOL, ROLE, RUNTIME, SESSION, SPEC_HASH } from "./labels";
import type { Logger } from "./log";
import type { RuntimeMetrics } from "./metrics";
import { baseFromRuntimeId, childNames, sessionBase, sessionPart } from "./names";
import type { Probe } from "./probe";
import { joinSpec, OVERRIDE_PREFIX, podSpecHash, SESSION_KEY, type StoredOverrides, type StoredRequest } from "./spec";
import { isStale, observe, type Observed, type PodStatus, type StatusWord } from "./status";

/*
 * The runtime API's operations on the cluster. No state is kept in memory except a cache of
 * positive route checks: every answer is rebuilt from the anchor Secret and the pod, and
 * every write is either a create that tolerates 409 (someone else created it: read it) or a
 * replace with the read resourceVersion (conflict: re-read and decide again), so replicas
 * and restarts agree.
 */

/** The runtime object the app and the SDK read. */
export interface RuntimeObject {
  runtime_id: string;
  session_id: string;
  url: string;
  session_api_key: string;
  status: StatusWord;
  pod_status: PodStatus;
  restart_count: number;
  restart_reasons: string[];
  work_hosts: Record<string, number>;
  vscode_url: string;
  error?: string;
}

/** An error with the HTTP status the API answers with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the service is built from. */
export interface SandboxesDeps {
  kube: KubeClient;
  config: Config;
  log: Logger;
  metrics: RuntimeMetrics;
  probe: Probe;
  now?: () => Date;
  newKey?: () => string;
}

const MANAGED: LabelSelector = { [MANAGED_BY]: MANAGER };
const decode = (b64: string | undefined) => (b64 ? Buffer.from(b64, "base64").toString("utf8") : "");
const clone = <T>(o: T): T => structuredClone(o);
const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** The sandbox identity recorded on an anchor. */
export function identityOf(anchor: KubeObject): SandboxIdentity {
  const l = anchor.metadata.labels ?? {};
  const id = anchor.metadata.annotations?.[A.sessionId];
  return {
    base: anchor.metadata.name.replace(/-key$/, ""),
    ...(l[SESSION] && id ? { session: { id, part: l[SESSION] } } : {}),
    ...(l[POOL] ? { pool: l[POOL] } : {}),
    specHash: l[SPEC_HASH] ?? "",
  };
}

/** The spec recorded on an anchor. */
export function specOf(anchor: KubeObject): SandboxSpec {
  return joinSpec(JSON.parse(anchor.metadata.annotations?.[A.request] ?? "{}") as StoredRequest, anchor.data);
}

/**
 * The config `environment` overrides recorded on an anchor (the ones its pod is built with);
 * none for an anchor made before the key existed.
 */
export function overridesOf(anchor: KubeObject): StoredOverrides {
  const raw = anchor.metadata.annotations?.[A.overrides];
  if (!raw) return { environment: {}, secret_env: [] };
  const o = JSON.parse(raw) as Partial<StoredOverrides>;
  return { environment: o.environment ?? {}, secret_env: o.secret_env ?? [] };
}

export class Sandboxes {
  readonly kube: KubeClient;
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: RuntimeMetrics;
  private readonly probe: Probe;
  readonly now: () => Date;
  readonly newKey: () => string;
  /** Pods (uid/generation) whose route answered /ready; a pod is probed until it does. */
  private readonly routeOk = new Set<string>();

  constructor(d: SandboxesDeps) {
    this.kube = d.kube;
    this.config = d.config;
    this.log = d.log;
    this.metrics = d.metrics;
    this.probe = d.probe;
    this.now = d.now ?? (() => new Date());
    this.newKey = d.newKey ?? (() => randomBytes(32).toString("base64url"));
  }

  get ns(): string {
    return this.config.namespace;
  }

  // ---- URLs --------------------------------------------------------------------------

  /** The agent-server URL of a sandbox (the configured template). */
  urlFor(id: SandboxIdentity): string {
    const part = id.session?.part ?? id.base;
    return this.config.urlTemplate.replace(/\{session\}/g, part).replace(/\{runtimeId\}/g, id.base).replace(/\{domain\}/g, this.config.domain).replace(/\{namespace\}/g, this.ns);
  }

  /** Where the route check goes: the sandbox URL, or the Service inside the cluster. */
  readyUrlFor(id: SandboxIdentity): string {
    if (this.config.probe.via === "service") return `http://${childNames(id.base).service}.${this.ns}.svc:60000/ready`;
    return `${this.urlFor(id).replace(/\/$/, "")}/ready`;
  }

  /** work_hosts and vscode_url as the app derives them (path mode when the path starts with /<runtime_id>). */
  private exposed(url: string, runtimeId: string, key: string) {
    const u = new URL(url);
    const path = u.pathname.replace(/\/$/, "");
    const named = (name: string) => (path.startsWith(`/${runtimeId}`) ? `${u.protocol}//${u.host}/${runtimeId}/${name}` : `${u.protocol}//${name}-${u.host}${path}`);
    return { work_hosts: { [named("work-1")]: 12000, [named("work-2")]: 12001 }, vscode_url: `${named("vscode")}/?tkn=${encodeURIComponent(key)}&folder=%2Fworkspace%2Fproject` };
  }

  // ---- lookups -------------------------------------------------------------------------

  /** The anchor of the sandbox serving `sessionId`, if any (exact id, not only the lowercased label). */
  async findBySession(sessionId: string): Promise<KubeObject | undefined> {
    const hits = await this.kube.list("secrets", this.ns, { ...MANAGED, [ROLE]: "session", [SESSION]: sessionPart(sessionId) });
    const live = hits.filter((a) => !a.metadata.deletionTimestamp);
    const exact = live.find((a) => a.metadata.annotations?.[A.sessionId] === sessionId);
    if (exact) return exact;
    if (live.length > 0) throw new HttpError(409, `session id ${JSON.stringify(sessionId)} maps to the same sandbox names as the existing session ${JSON.stringify(live[0].metadata.annotations?.[A.sessionId])} (ids are lowercased for DNS names)`);
    return undefined;
  }

  /** The anchor for a runtime_id (session sandboxes only; warm ones are not addressable). */
  async findByRuntime(runtimeId: unknown): Promise<KubeObject | undefined> {
    if (typeof runtimeId !== "string") throw new HttpError(400, "runtime_id: required; use the runtime_id /start returned");
    const base = baseFromRuntimeId(runtimeId);
    if (!base) return undefined;
    const a = await this.kube.get("secrets", this.ns, childNames(base).secret);
    if (!a || a.metadata.deletionTimestamp || a.metadata.labels?.[MANAGED_BY] !== MANAGER || a.metadata.labels?.[ROLE] !== "session") return undefined;
    return a;
  }

  podOf(anchor: KubeObject): Promise<KubeObject | undefined> {
    return this.kube.get("pods", this.ns, identityOf(anchor).base);
  }

  // ---- writes ----------------------------------------------------------------------------

  /** Creates `obj`, or returns what already holds its name (another replica, an earlier try). */
  async ensure(kind: Kind, obj: KubeObject): Promise<KubeObject> {
    try {
      return await this.kube.create(kind, this.ns, obj);
    } catch (e) {
      if (e instanceof KubeError && e.status === 409) return (await this.kube.get(kind, this.ns, obj.metadata.name)) ?? obj;
      throw e;
    }
  }

  /**
   * Rewrites the anchor with `mutate` under its resourceVersion; on a conflict re-reads and
   * asks `mutate` again (it may decide nothing is left to do by returning undefined).
   */
  async updateAnchor(anchor: KubeObject, mutate: (a: KubeObject) => KubeObject | undefined): Promise<KubeObject> {
    let current = anchor;
    for (let attempt = 0; ; attempt++) {
      const next = mutate(clone(current));
      if (!next) return current;
      try {
        return await this.kube.replace("secrets", this.ns, next);
      } catch (e) {
        if (!(e instanceof KubeError && e.status === 409) || attempt >= 4) throw e;
        const fresh = await this.kube.get("secrets", this.ns, anchor.metadata.name);
        if (!fresh) throw new HttpError(404, "the sandbox was deleted meanwhile");
        current = fresh;
      }
    }
  }

  event(anchor: KubeObject, type: "Normal" | "Warning", reason: EventReason, message: string): Promise<void> {
    return recordEvent(this.kube, this.log, this.config.identity, anchor, type, reason, message, this.now());
  }

  /** PVC, Services, Ingress and (when the state is running) the pod of a sandbox. */
  async ensureChildren(anchor: KubeObject): Promise<KubeObject | undefined> {
    const id = identityOf(anchor);
    await this.ensure("persistentvolumeclaims", desiredPvc(this.config, id, anchor));
    await Promise.all(desiredServices(this.config, id, anchor).map((s) => this.ensure("services", s)));
    const ingress = desiredIngress(this.config, id, anchor);
    if (ingress) await this.ensureIngress(ingress);
    if ((anchor.metadata.annotations?.[A.state] ?? "running") !== "running") return undefined;
    return this.ensurePod(anchor);
  }

  /**
   * Creates the Ingress; an existing one that lacks a desired host gets the desired spec (so an
   * adopted sandbox's Ingress made before the runtime-id hosts existed gets them on its next
   * resume). The replace is under the read resourceVersion; a failure is logged, not fatal:
   * the session hosts already route.
   */
  async ensureIngress(want: KubeObject): Promise<KubeObject> {
    const have = await this.ensure("ingresses", want);
    const hosts = new Set<string>((have.spec?.rules ?? []).map((r: { host?: string }) => r.host));
    if (want.spec.rules.every((r: { host: string }) => hosts.has(r.host))) return have;
    try {
      return await this.kube.replace("ingresses", this.ns, { ...have, spec: want.spec });
    } catch (e) {
      this.log.warn("ingress hosts not updated", { ingress: want.metadata.name, error: (e as Error).message });
      return have;
    }
  }

  /**
   * Creates the pod from the anchor's spec and recorded env overrides (not the current
   * config's: a pod recreated without a resume gets the environment it had); a pod still
   * terminating under the name is left to the next call.
   */
  async ensurePod(anchor: KubeObject): Promise<KubeObject | undefined> {
    const generation = Number(anchor.metadata.annotations?.[A.generation] ?? "1");
    return this.ensure("pods", desiredPod(this.config, identityOf(anchor), specOf(anchor), anchor, generation, overridesOf(anchor)));
  }

  // ---- status ------------------------------------------------------------------------------

  /**
   * The runtime object of a sandbox. With `heal`, a running sandbox whose pod is missing gets
   * it back and a pod started with an older key is replaced.
   */
  async describe(anchor: KubeObject, pod: KubeObject | undefined, heal: boolean): Promise<RuntimeObject> {
    const id = identityOf(anchor);
    let obs: Observed = observe(anchor, pod, this.config.crash.maxRestarts);
    if (heal && (anchor.metadata.annotations?.[A.state] ?? "running") === "running") {
      if (!pod) pod = await this.ensurePod(anchor).catch((e: Error) => (this.log.warn("pod not recreated", { runtimeId: id.base, error: e.message }), undefined));
      else if (!pod.metadata.deletionTimestamp && isStale(anchor, pod)) {
        await this.kube.delete("pods", this.ns, id.base);
        pod = undefined;
      }
      obs = observe(anchor, pod, this.config.crash.maxRestarts);
    }
    let status = obs.status;
    if (obs.needsRouteCheck && pod) {
      const key = `${pod.metadata.uid}/${anchor.metadata.annotations?.[A.generation] ?? "1"}`;
      let ok = this.routeOk.has(key);
      if (!ok && (ok = await this.probe(this.readyUrlFor(id)))) {
        this.routeOk.add(key);
        void this.recordReady(anchor);
      }
      if (ok) status = "running";
    }
    const url = this.urlFor(id);
    const key = decode(anchor.data?.[SESSION_KEY]);
    return {
      runtime_id: id.base,
      session_id: id.session?.id ?? "",
      url,
      session_api_key: key,
      status,
      pod_status: status === "running" ? "ready" : obs.podStatus,
      restart_count: obs.restartCount,
      restart_reasons: obs.restartReasons,
      ...this.exposed(url, id.base, key),
      ...(obs.reason ? { error: obs.reason } : {}),
    };
  }

  /** Observes the start latency once per start, conflict-safe across replicas (first writer of ready-at). */
  private async recordReady(anchor: KubeObject): Promise<void> {
    try {
      let won = false;
      const at = this.now();
      await this.updateAnchor(anchor, (a) => {
        if (a.metadata.annotations?.[A.readyAt] || a.metadata.labels?.[ROLE] !== "session") return undefined;
        a.metadata.annotations = { ...a.metadata.annotations, [A.readyAt]: at.toISOString() };
        won = true;
        return a;
      });
      const started = Date.parse(anchor.metadata.annotations?.[A.startedAt] ?? "");
      if (won && Number.isFinite(started)) this.metrics.startSeconds.observe(Math.max(0, (at.getTime() - started) / 1000));
    } catch (e) {
      this.log.debug("ready-at not recorded", { runtimeId: anchor.metadata.name, error: (e as Error).message });
    }
  }

  /** Notes app activity on the anchor, at most every idle.activityWriteSeconds (a merge patch, no conflicts). */
  async touch(anchor: KubeObject): Promise<void> {
    const last = Date.parse(anchor.metadata.annotations?.[A.lastActivity] ?? "");
    const now = this.now();
    if (Number.isFinite(last) && now.getTime() - last < this.config.idle.activityWriteSeconds * 1000) return;
    try {
      await this.kube.patch("secrets", this.ns, anchor.metadata.name, { metadata: { annotations: { [A.lastActivity]: now.toISOString() } } });
    } catch (e) {
      this.log.warn("activity not recorded", { runtimeId: anchor.metadata.name, error: (e as Error).message });
    }
  }

  /** Forgets route checks of pods that no longer exist. */
  pruneRouteCache(livePodUids: Set<string>): void {
    for (const k of this.routeOk) if (!livePodUids.has(k.split("/")[0])) this.routeOk.delete(k);
  }

  // ---- the API -------------------------------------------------------------------------------

  /** POST /start. Returns at once (`starting`), never waits for the pod. */
  async start(body: unknown, adopt?: (spec: SandboxSpec, sessionId: string) => Promise<KubeObject | undefined>): Promise<RuntimeObject> {
    const problems: string[] = [];
    const spec = readSpec(body, "body", problems, this.config.defaultUser, this.config.maxResourceFactor);
    const sessionId = (body as Record<string, unknown> | null)?.session_id;
    if (typeof sessionId !== "string" || sessionId === "" || sessionId.length > 256) problems.push("body.session_id: required; use a non-empty string of at most 256 characters");
    if (problems.length > 0) throw new HttpError(400, problems.join("; "));
    const sid = sessionId as string;

    const existing = await this.findBySession(sid);
    if (existing) return this.restartExisting(existing);

    if (spec.runtime_class && runtimeClassFor(this.config, spec) !== spec.runtime_class) {
      this.log.warn("runtime class not allowed; using the configured default", { session: sid, asked: spec.runtime_class, used: this.config.runtimeClass.default ?? null });
    }
    const adopted = adopt ? await adopt(spec, sid) : undefined;
    if (adopted) return this.describe(adopted, await this.podOf(adopted), false);

    const part = sessionPart(sid);
    const id: SandboxIdentity = { base: sessionBase(sid), session: { id: sid, part }, specHash: podSpecHash(spec, this.config.environment) };
    let anchor: KubeObject;
    try {
      anchor = await this.kube.create("secrets", this.ns, desiredSecret(this.config, id, spec, this.newKey(), this.now()));
    } catch (e) {
      if (!(e instanceof KubeError && e.status === 409)) throw e;
      // Another replica (or an earlier try that timed out) created it: answer for that one.
      const again = await this.findBySession(sid);
      if (!again) throw new HttpError(409, `a sandbox named ${id.base} is being deleted; retry`);
      return this.restartExisting(again);
    }
    const pod = await this.ensureChildren(anchor);
    await this.event(anchor, "Normal", "Created", `sandbox for session ${sid} created (image ${spec.image})`);
    this.log.info("sandbox created", { session: sid, runtimeId: id.base, image: spec.image });
    return this.describe(anchor, pod, false);
  }

  /** A /start for a session we already have: as it is, or resumed when it is in error. */
  private async restartExisting(anchor: KubeObject): Promise<RuntimeObject> {
    const state = anchor.metadata.annotations?.[A.state];
    if (state === "error") return (await this.resume(anchor.metadata.name.replace(/-key$/, ""))) as RuntimeObject;
    await this.touch(anchor);
    return this.describe(anchor, await this.podOf(anchor), true);
  }

  /** GET /sessions/{id}. */
  async get(sessionId: string): Promise<RuntimeObject | undefined> {
    const anchor = await this.findBySession(sessionId);
    if (!anchor) return undefined;
    await this.touch(anchor);
    return this.describe(anchor, await this.podOf(anchor), true);
  }

  /** GET /sessions/batch?ids=...: the known ones, in the order asked, unknown ids left out. */
  async batch(ids: string[]): Promise<RuntimeObject[]> {
    const wanted = [...new Set(ids)];
    const anchors: KubeObject[] = [];
    for (const part of chunks([...new Set(wanted.map(sessionPart))], 50)) anchors.push(...(await this.kube.list("secrets", this.ns, { ...MANAGED, [ROLE]: "session", [SESSION]: part })));
    const bySession = new Map(anchors.filter((a) => !a.metadata.deletionTimestamp).map((a) => [a.metadata.annotations?.[A.sessionId] ?? "", a]));
    const found = wanted.map((id) => bySession.get(id)).filter((a): a is KubeObject => a !== undefined);
    const pods = await this.podsFor(found.map((a) => identityOf(a).base));
    await Promise.all(found.map((a) => this.touch(a)));
    return Promise.all(found.map((a) => this.describe(a, pods.get(identityOf(a).base), false)));
  }

  private async podsFor(bases: string[]): Promise<Map<string, KubeObject>> {
    const out = new Map<string, KubeObject>();
    for (const part of chunks(bases, 50)) for (const p of await this.kube.list("pods", this.ns, { ...MANAGED, [RUNTIME]: part })) out.set(p.metadata.labels?.[RUNTIME] ?? p.metadata.name, p);
    return out;
  }

  /** All session sandboxes with their pods. */
  async all(): Promise<Array<{ anchor: KubeObject; pod?: KubeObject }>> {
    const [anchors, pods] = await Promise.all([this.kube.list("secrets", this.ns, { ...MANAGED, [ROLE]: "session" }), this.kube.list("pods", this.ns, MANAGED)]);
    const byBase = new Map(pods.map((p) => [p.metadata.labels?.[RUNTIME] ?? p.metadata.name, p]));
    return anchors.filter((a) => !a.metadata.deletionTimestamp).map((anchor) => ({ anchor, pod: byBase.get(identityOf(anchor).base) }));
  }

  /** GET /list: live sandboxes only (starting or running); paused ones would count against the app's cap. */
  async list(): Promise<RuntimeObject[]> {
    const rows = await Promise.all((await this.all()).map(({ anchor, pod }) => this.describe(anchor, pod, false)));
    return rows.filter((r) => r.status === "starting" || r.status === "running");
  }

  /** POST /pause: the pod goes, the workspace, key Secret, Services and Ingress stay. */
  async pause(runtimeId: unknown, reason: EventReason = "Paused", stillWanted: (a: KubeObject) => boolean = () => true): Promise<RuntimeObject | undefined> {
    const anchor = await this.findByRuntime(runtimeId);
    if (!anchor) return undefined;
    let changed = false;
    const updated = await this.updateAnchor(anchor, (a) => {
      if (a.metadata.annotations?.[A.state] === "paused" || !stillWanted(a)) return undefined;
      a.metadata.annotations = { ...a.metadata.annotations, [A.state]: "paused" };
      changed = true;
      return a;
    });
    if (!changed && updated.metadata.annotations?.[A.state] !== "paused") return this.describe(updated, await this.podOf(updated), false);
    await this.kube.delete("pods", this.ns, identityOf(anchor).base);
    if (changed) await this.event(updated, "Normal", reason, reason === "IdlePaused" ? `paused after ${this.config.idle.pauseAfterSeconds}s without app activity` : "paused by the app");
    this.log.info("sandbox paused", { runtimeId: identityOf(anchor).base, reason });
    return this.describe(updated, undefined, false);
  }

  /**
   * POST /resume: the same spec from the anchor, a new session key, a new pod, and the
   * current config `environment` overrides (recorded on the anchor, with its spec-hash label).
   */
  async resume(runtimeId: unknown): Promise<RuntimeObject | undefined> {
    const anchor = await this.findByRuntime(runtimeId);
    if (!anchor) return undefined;
    const base = identityOf(anchor).base;
    const pod = await this.podOf(anchor);
    if ((anchor.metadata.annotations?.[A.state] ?? "running") === "running" && pod && !isStale(anchor, pod) && !pod.metadata.deletionTimestamp) {
      return this.describe(anchor, pod, true);
    }
    const key = this.newKey();
    const at = this.now().toISOString();
    const overrides = overrideParts(this.config);
    const updated = await this.updateAnchor(anchor, (a) => {
      const ann = { ...a.metadata.annotations };
      for (const k of [A.readyAt, A.errorSince, A.errorReason, A.overrides]) delete ann[k];
      a.metadata.annotations = { ...ann, ...overrides.annotations, [A.state]: "running", [A.generation]: String(Number(ann[A.generation] ?? "1") + 1), [A.startedAt]: at, [A.lastActivity]: at };
      a.metadata.labels = { ...a.metadata.labels, [SPEC_HASH]: podSpecHash(specOf(a), this.config.environment) };
      const data = Object.fromEntries(Object.entries(a.data ?? {}).filter(([k]) => !k.startsWith(OVERRIDE_PREFIX)));
      a.data = { ...data, ...overrides.data, [SESSION_KEY]: Buffer.from(key, "utf8").toString("base64") };
      return a;
    });
    // A pod left from before (stale key, or a pause whose delete did not finish) must go; while
    // it terminates the create below meets a 409 and the next /sessions call creates the pod.
    if (pod && !pod.metadata.deletionTimestamp) await this.kube.delete("pods", this.ns, base);
    const fresh = await this.ensureChildren(updated);
    await this.event(updated, "Normal", "Resumed", "resumed with a new session key");
    this.log.info("sandbox resumed", { runtimeId: base });
    return this.describe(updated, fresh, false);
  }

  /** POST /stop: everything goes (the anchor's deletion garbage-collects the rest; the pod is deleted at once). */
  async stop(runtimeId: unknown): Promise<boolean> {
    const anchor = await this.findByRuntime(runtimeId);
    if (!anchor) return false;
    const id = identityOf(anchor);
    await this.kube.delete("pods", this.ns, id.base);
    await this.event(anchor, "Normal", "Stopped", "stopped by the app; the workspace is deleted");
    await this.kube.delete("secrets", this.ns, anchor.metadata.name);
    this.log.info("sandbox stopped", { runtimeId: id.base });
    return true;
  }

  /** The hosts of a session sandbox (for the README's curl examples and the tests). */
  hosts(sessionId: string) {
    return sandboxHosts(this.config, sessionPart(sessionId));
  }
}
