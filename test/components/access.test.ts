import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { PREVIEW_ACCESS, PreviewAccess } from "../../components/access";
import { TYPES } from "../../tools/types";
import { fakeProvider } from "../helpers/layers";
import { recordResources, resolveOutput, type ProgramRun } from "../helpers/program";
import { validateAll } from "../helpers/validate";

const READ_VERBS = new Set(["get", "list", "watch"]);

describe("preview access (a read-only ServiceAccount for pull-request previews)", () => {
  let run: ProgramRun;
  let access: PreviewAccess;
  before(async () => {
    run = await recordResources(async () => {
      access = new PreviewAccess("preview-access", { cluster: { provider: fakeProvider() } });
      return {};
    });
  });

  it("creates a ServiceAccount platform-preview in kube-system that mounts no token into pods", () => {
    const sa = run.get(TYPES.serviceAccount, "preview-access-sa");
    assert.equal(sa.inputs.metadata.name, "platform-preview");
    assert.equal(sa.inputs.metadata.namespace, "kube-system");
    assert.equal(sa.inputs.automountServiceAccountToken, false);
    assert.equal(run.ofType(TYPES.serviceAccount).length, 1);
  });

  it("binds it to the built-in view ClusterRole, and to nothing else", () => {
    const bindings = run.resources.filter((r) => /:(Cluster)?RoleBinding$/.test(r.type));
    assert.deepEqual(
      bindings.map((b) => b.type),
      [TYPES.clusterRoleBinding],
      "one ClusterRoleBinding, no RoleBinding",
    );
    const b = run.get(TYPES.clusterRoleBinding, "preview-access-view");
    assert.deepEqual(b.inputs.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" });
    assert.deepEqual(b.inputs.subjects, [{ kind: "ServiceAccount", name: "platform-preview", namespace: "kube-system" }]);
  });

  it("creates no Role or ClusterRole: no write verbs and no Secrets access of its own", () => {
    const roles = run.resources.filter((r) => /^kubernetes:rbac\.authorization\.k8s\.io\/v1:(Cluster)?Role$/.test(r.type));
    assert.deepEqual(
      roles.map((r) => r.name),
      [],
    );
    // Any rules anywhere in what it registers (a role added later, an aggregated one) must be
    // read-only and leave Secrets out.
    const rules = run.resources.flatMap((r) => (Array.isArray(r.inputs.rules) ? r.inputs.rules : []) as { verbs?: string[]; resources?: string[] }[]);
    for (const rule of rules) {
      assert.deepEqual(
        (rule.verbs ?? []).filter((v) => !READ_VERBS.has(v)),
        [],
        "write verbs",
      );
      assert.ok(!(rule.resources ?? []).some((x) => x === "secrets" || x === "*"), "Secrets access");
    }
    for (const r of run.resources) {
      const aggregate = r.inputs.metadata?.labels?.["rbac.authorization.k8s.io/aggregate-to-view"];
      assert.equal(aggregate, undefined, `${r.type} ${r.name} aggregates into view`);
    }
  });

  it("creates a long-lived token Secret for the account, with no data of its own", () => {
    const s = run.get(TYPES.secret, "preview-access-token");
    assert.equal(s.inputs.type, "kubernetes.io/service-account-token");
    assert.equal(s.inputs.metadata.name, "platform-preview-token");
    assert.equal(s.inputs.metadata.namespace, "kube-system");
    assert.equal(s.inputs.metadata.annotations["kubernetes.io/service-account.name"], "platform-preview");
    assert.equal(s.inputs.data, undefined);
    assert.equal(s.inputs.stringData, undefined);
    // The token controller deletes a token Secret whose account does not exist yet.
    assert.ok(run.waitsFor(`${TYPES.secret}::preview-access-token`, `${TYPES.serviceAccount}::preview-access-sa`));
  });

  it("exposes the account's and the Secret's names, never the token", async () => {
    assert.equal((await resolveOutput<string>(access.serviceAccount)).value, PREVIEW_ACCESS.serviceAccount);
    assert.equal((await resolveOutput<string>(access.namespace)).value, PREVIEW_ACCESS.namespace);
    assert.equal((await resolveOutput<string>(access.tokenSecretName)).value, PREVIEW_ACCESS.tokenSecret);
    const exposed = Object.entries(access).filter(([k]) => !k.startsWith("__") && k !== "urn");
    for (const [k, v] of exposed) {
      assert.ok(!(v instanceof k8s.core.v1.Secret), `${k} exposes the token Secret resource`);
      assert.ok(!/token$/i.test(k), `${k} looks like the token`);
    }
    assert.deepEqual(exposed.map(([k]) => k).sort(), ["namespace", "serviceAccount", "tokenSecretName"]);
  });

  it("is a platform:access:PreviewAccess on the cluster's provider, with schema-valid objects", async () => {
    assert.equal(run.ofType("platform:access:PreviewAccess").length, 1);
    for (const r of run.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
      assert.equal(r.providerDep, "pulumi:providers:kubernetes::fake", r.name);
      assert.equal(r.parent, "platform:access:PreviewAccess::preview-access", r.name);
    }
    assert.deepEqual(await validateAll(run.resources), []);
    assert.ok(pulumi.ComponentResource.isInstance(access));
  });
});
