import { PROD_SECRETS, runProgram } from "../../helpers/program";
import { toObject } from "../../helpers/validate";
import { crdSource, kyvernoPolicyCrdFile, ownCrdFiles } from "./crds";
import { api, discover, installCrds, readManifests, serverSideApply, waitUntil, type ServedKind } from "./kube";

/*
 * Item 1 of the integration suite: every Kubernetes object a stack's program emits (run
 * under mocks, as the unit tests run it) goes to the real API server as a server-side
 * apply with dry run and strict field validation. Namespaces are created for real (objects
 * in them need them), as are the CRDs we have (ours, and Kyverno's policy CRD from its Go
 * module when present); objects of kinds whose CRD comes with a chart are reported as
 * skipped, naming the chart.
 */

/** What happened to one object. */
export interface DryRunResult {
  /** `apiVersion Kind namespace/name`. */
  object: string;
  outcome: "accepted" | "created" | "skipped" | "rejected";
  detail: string;
}

/** `apiVersion/Kind` → the group of the API version (`""` for core). */
function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
}

function describe(o: Record<string, any>): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : "";
  return `${o.apiVersion} ${o.kind} ${ns}${o.metadata?.name}`;
}

/** The objects a stack emits, secrets unwrapped, auto-named ones given their resource name. */
export async function stackObjects(stack: "dev" | "prod"): Promise<Record<string, any>[]> {
  const run = await runProgram({ stack, secrets: stack === "prod" ? PROD_SECRETS : undefined });
  const objects: Record<string, any>[] = [];
  for (const r of run.resources) {
    const o = toObject(r);
    if (!o) continue;
    // Pulumi auto-names objects without a name (resource name + suffix); the mocks do not.
    o.metadata = { ...(o.metadata ?? {}), name: o.metadata?.name ?? r.name.toLowerCase() };
    fillTlsPlaceholders(o, r.inputDeps);
    objects.push(o);
  }
  return objects;
}

/** Marks objects whose placeholders stand in for outputs the mocks do not produce. */
export const PLACEHOLDER_ANNOTATION = "platform-itest/placeholders";

/**
 * A kubernetes.io/tls Secret filled from @pulumi/tls outputs has no `tls.crt`/`tls.key`
 * under the mocks (they echo inputs; certificates are outputs), and the API server requires
 * both keys. Placeholders take their place; the server does not parse them.
 */
function fillTlsPlaceholders(o: Record<string, any>, inputDeps: string[]): void {
  if (o.kind !== "Secret" || o.type !== "kubernetes.io/tls" || !inputDeps.some((d) => d.startsWith("tls:"))) return;
  const filled: string[] = [];
  for (const k of ["tls.crt", "tls.key"]) {
    if (o.data?.[k] === undefined && o.stringData?.[k] === undefined) {
      o.stringData = { ...(o.stringData ?? {}), [k]: "placeholder: an @pulumi/tls output, not produced under mocks" };
      filled.push(k);
    }
  }
  if (filled.length > 0) o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [PLACEHOLDER_ANNOTATION]: filled.join(",") };
}

/** What {@link dryRunAll} created for real, to remove afterwards. */
export interface Created {
  namespaces: string[];
  crds: string[];
}

/** Runs the dry runs; see the module comment. */
export async function dryRunAll(objects: Record<string, any>[]): Promise<{ results: DryRunResult[]; created: Created }> {
  const results: DryRunResult[] = [];
  const created: Created = { namespaces: [], crds: [] };

  const crdFiles = [...ownCrdFiles(), ...[kyvernoPolicyCrdFile()].filter((f): f is string => f !== undefined)];
  const crds = readManifests(crdFiles);
  const existing = new Set<string>();
  for (const c of crds) if ((await api("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${c.metadata.name}`)).status === 200) existing.add(c.metadata.name);
  await installCrds(crds);
  created.crds.push(...crds.map((c) => c.metadata.name as string).filter((n) => !existing.has(n)));
  for (const f of crdFiles) results.push({ object: `CRDs ${f}`, outcome: "created", detail: "applied for real" });

  let kinds = await discover();
  const nsKind = kinds.get("v1/Namespace")!;
  for (const ns of objects.filter((o) => o.kind === "Namespace")) {
    // A namespace that exists already (kube-system) is checked with a dry run and never deleted.
    if ((await api("GET", `/api/v1/namespaces/${ns.metadata.name}`)).status === 200) {
      const r = await serverSideApply(ns, nsKind, { dryRun: true });
      results.push(r.status < 300 ? { object: describe(ns), outcome: "accepted", detail: "exists; server-side apply, dry run" } : { object: describe(ns), outcome: "rejected", detail: `${r.status} ${r.body.message}` });
      continue;
    }
    const r = await serverSideApply(ns, nsKind, { dryRun: false });
    if (r.status >= 300) results.push({ object: describe(ns), outcome: "rejected", detail: `${r.status} ${r.body.message}` });
    else {
      created.namespaces.push(ns.metadata.name);
      results.push({ object: describe(ns), outcome: "created", detail: "applied for real (objects in it need it)" });
    }
  }
  // The namespace controller creates each namespace's `default` ServiceAccount: pods need it.
  kinds = await discover();

  for (const o of objects.filter((x) => x.kind !== "Namespace")) {
    const kind: ServedKind | undefined = kinds.get(`${o.apiVersion}/${o.kind}`);
    if (!kind) {
      const source = crdSource(groupOf(o.apiVersion));
      results.push(
        source
          ? { object: describe(o), outcome: "skipped", detail: `CRD comes from ${source}, not installed here` }
          : { object: describe(o), outcome: "rejected", detail: `the server does not serve ${o.apiVersion}/${o.kind} and no chart is known to provide it (add its group to CRD_CHARTS in test/integration/helpers/crds.ts)` },
      );
      continue;
    }
    const r = await serverSideApply(o, kind, { dryRun: true });
    const placeholders = o.metadata.annotations?.[PLACEHOLDER_ANNOTATION];
    const accepted = `server-side apply, dry run${placeholders ? ` (${placeholders}: placeholders for @pulumi/tls outputs)` : ""}`;
    results.push(r.status < 300 ? { object: describe(o), outcome: "accepted", detail: accepted } : { object: describe(o), outcome: "rejected", detail: `${r.status} ${r.body.message}` });
  }
  return { results, created };
}

/** Deletes what {@link dryRunAll} created and waits until it is gone. */
export async function cleanUp(created: Created): Promise<void> {
  for (const ns of created.namespaces) await api("DELETE", `/api/v1/namespaces/${ns}`);
  for (const crd of created.crds) await api("DELETE", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`);
  for (const ns of created.namespaces) {
    await waitUntil(`namespace ${ns} to be deleted`, 120_000, async () => (await api("GET", `/api/v1/namespaces/${ns}`)).status === 404);
  }
  for (const crd of created.crds) {
    await waitUntil(`CRD ${crd} to be deleted`, 60_000, async () => (await api("GET", `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd}`)).status === 404);
  }
}

/** The report printed by the tests: one line per object, rejections last. */
export function formatReport(stack: string, results: DryRunResult[]): string {
  const order = { created: 0, accepted: 1, skipped: 2, rejected: 3 };
  const sorted = [...results].sort((a, b) => order[a.outcome] - order[b.outcome] || a.object.localeCompare(b.object));
  const counts = Object.keys(order).map((k) => `${results.filter((r) => r.outcome === k).length} ${k}`);
  return [`server-side dry run, stack ${stack}: ${counts.join(", ")}`, ...sorted.map((r) => `  ${r.outcome.padEnd(8)} ${r.object}: ${r.detail}`)].join("\n");
}
