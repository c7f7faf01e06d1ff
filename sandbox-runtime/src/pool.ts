import type { SandboxSpec, WarmPool } from "./config";
import { desiredIngress, desiredSecret, type SandboxIdentity } from "./desired";
import { KubeError, type KubeObject } from "./kube";
import { A, MANAGED_BY, MANAGER, POOL, ROLE, SESSION, SPEC_HASH } from "./labels";
import { childNames, sessionPart, warmBase } from "./names";
import { identityOf, type Sandboxes } from "./sandboxes";
import { podSpecHash, specHash } from "./spec";
import { isPodReady, observe } from "./status";

/*
 * Warm pools. A pod's environment is fixed when it starts, so a warm pod can serve only a
 * /start whose spec it was started with: adoption requires the same spec hash (image,
 * command, every env value, working_dir, resource_factor, run_as_*, runtime class, pull
 * policy; specHash in spec.ts). Anything else is created fresh. The key is not a problem: a
 * warm sandbox is started with a fresh key nobody has seen, which the adopting /start hands
 * out. Kubernetes objects cannot be renamed, so an adopted sandbox keeps its warm names
 * (`openhands-runtime-warm-<id>`, `-svc`, `-pvc`, `-key`) and is found through its
 * `openhands.ai/session-id` label; only its Ingress is new and named after the session
 * (serving both the session's hosts and the ones of its runtime id, `warm-<id>.<domain>`...).
 *
 * The config `environment` overrides are not part of the request, so not of the hash a
 * request is matched on; but a warm pod carries the overrides it started with, so its
 * spec-hash label folds them in (podSpecHash): after a change of `environment` no warm
 * sandbox of the old overrides is adopted, and the next sweep replaces them.
 */

/** The pool whose template equals `spec`, if any. */
export function poolFor(pools: WarmPool[], spec: SandboxSpec): WarmPool | undefined {
  const h = specHash(spec);
  return pools.find((p) => p.size > 0 && specHash(p.template) === h);
}

/** Hands a warm sandbox of a matching pool to `sessionId`; undefined when none is free. */
export async function adopt(s: Sandboxes, spec: SandboxSpec, sessionId: string): Promise<KubeObject | undefined> {
  const pool = poolFor(s.config.warmPools, spec);
  if (!pool) return undefined;
  const h = podSpecHash(pool.template, s.config.environment);
  const [warm, pods] = await Promise.all([
    s.kube.list("secrets", s.ns, { [MANAGED_BY]: MANAGER, [ROLE]: "warm", [POOL]: pool.name, [SPEC_HASH]: h }),
    s.kube.list("pods", s.ns, { [MANAGED_BY]: MANAGER, [POOL]: pool.name }),
  ]);
  const podByBase = new Map(pods.map((p) => [p.metadata.name, p]));
  const score = (a: KubeObject) => {
    const pod = podByBase.get(identityOf(a).base);
    if (!pod || pod.metadata.deletionTimestamp) return 2;
    const o = observe(a, pod, s.config.crash.maxRestarts);
    if (o.status === "error") return 3;
    return isPodReady(pod) ? 0 : 1;
  };
  const candidates = warm
    .filter((a) => !a.metadata.deletionTimestamp && score(a) < 3)
    .sort((a, b) => score(a) - score(b) || String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
  const part = sessionPart(sessionId);
  const at = s.now().toISOString();
  for (const c of candidates) {
    let anchor: KubeObject;
    try {
      // The resourceVersion precondition makes the handover exclusive: of two replicas adopting
      // the same warm sandbox, one gets a 409 and moves on to the next candidate.
      anchor = await s.kube.replace("secrets", s.ns, {
        ...c,
        metadata: {
          ...c.metadata,
          labels: { ...c.metadata.labels, [ROLE]: "session", [SESSION]: part },
          annotations: { ...c.metadata.annotations, [A.sessionId]: sessionId, [A.startedAt]: at, [A.lastActivity]: at },
        },
      });
    } catch (e) {
      if (e instanceof KubeError && (e.status === 409 || e.status === 404)) continue;
      throw e;
    }
    const id = identityOf(anchor);
    const n = childNames(id.base);
    const relabel = { metadata: { labels: { [ROLE]: "session", [SESSION]: part } } };
    await Promise.all(
      [
        s.kube.patch("pods", s.ns, n.pod, relabel),
        s.kube.patch("services", s.ns, n.service, relabel),
        s.kube.patch("services", s.ns, n.codeService, relabel),
        s.kube.patch("persistentvolumeclaims", s.ns, n.pvc, relabel),
      ].map((p) => p.catch((e: Error) => s.log.warn("warm object not relabelled", { runtimeId: id.base, error: e.message }))),
    );
    const ingress = desiredIngress(s.config, id, anchor);
    if (ingress) await s.ensureIngress(ingress);
    if (!podByBase.has(id.base)) await s.ensurePod(anchor);
    s.metrics.adoptions.inc({ pool: pool.name });
    await s.event(anchor, "Normal", "Adopted", `warm sandbox of pool ${pool.name} handed to session ${sessionId}`);
    s.log.info("warm sandbox adopted", { session: sessionId, runtimeId: id.base, pool: pool.name });
    return anchor;
  }
  s.log.info("warm pool empty; creating a sandbox", { session: sessionId, pool: pool.name });
  return undefined;
}

/** Brings every pool to its size: new warm sandboxes, and old-spec, broken or surplus ones deleted. */
export async function maintainPools(s: Sandboxes): Promise<void> {
  const [warm, pods] = await Promise.all([s.kube.list("secrets", s.ns, { [MANAGED_BY]: MANAGER, [ROLE]: "warm" }), s.kube.list("pods", s.ns, { [MANAGED_BY]: MANAGER, [ROLE]: "warm" })]);
  const podByBase = new Map(pods.map((p) => [p.metadata.name, p]));
  const live = warm.filter((a) => !a.metadata.deletionTimestamp);
  for (const a of live) {
    const pool = s.config.warmPools.find((p) => p.name === a.metadata.labels?.[POOL]);
    const pod = podByBase.get(identityOf(a).base);
    const broken = pod !== undefined && observe(a, pod, s.config.crash.maxRestarts).status === "error";
    if (!pool || pool.size === 0 || a.metadata.labels?.[SPEC_HASH] !== podSpecHash(pool.template, s.config.environment) || broken) {
      await s.kube.delete("secrets", s.ns, a.metadata.name);
      s.log.info("warm sandbox removed", { runtimeId: identityOf(a).base, reason: !pool ? "pool removed" : broken ? "pod failed" : "template or environment changed" });
    } else if (!pod) await s.ensurePod(a);
  }
  for (const pool of s.config.warmPools) {
    const h = podSpecHash(pool.template, s.config.environment);
    const mine = live.filter((a) => a.metadata.labels?.[POOL] === pool.name && a.metadata.labels?.[SPEC_HASH] === h).sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    for (const extra of mine.slice(pool.size)) await s.kube.delete("secrets", s.ns, extra.metadata.name);
    for (let i = mine.length; i < pool.size; i++) await createWarm(s, pool);
  }
}

async function createWarm(s: Sandboxes, pool: WarmPool): Promise<void> {
  const id: SandboxIdentity = { base: warmBase(), pool: pool.name, specHash: podSpecHash(pool.template, s.config.environment) };
  const anchor = await s.kube.create("secrets", s.ns, desiredSecret(s.config, id, pool.template, s.newKey(), s.now()));
  await s.ensureChildren(anchor);
  await s.event(anchor, "Normal", "WarmStarted", `warm sandbox for pool ${pool.name} started`);
  s.log.info("warm sandbox started", { runtimeId: id.base, pool: pool.name });
}

/** GET /api/warm-runtime-configs: the pools' templates, for the app's dynamic spec service. */
export function warmRuntimeConfigs(pools: WarmPool[]) {
  return {
    configs: pools.map((p) => ({
      name: p.name,
      image: p.template.image,
      command: p.template.command ?? null,
      environment: p.template.environment,
      working_dir: p.template.working_dir ?? null,
    })),
  };
}
