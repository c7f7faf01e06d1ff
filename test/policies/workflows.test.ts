import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { describe, it } from "node:test";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/program";

const DIR = path.join(ROOT, ".github", "workflows");
const FILES = fs
  .readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const workflow = (f: string) => parse(text(f));
const jobsOf = (w: any) => Object.entries(w.jobs) as [string, any][];
const pulumiSteps = (w: any) => jobsOf(w).flatMap(([, j]) => (j.steps as any[]).filter((s) => String(s.uses).startsWith("pulumi/actions@")));
const pulumiStep = (w: any, job: string) => w.jobs[job].steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command);
/** Names of the secrets the expressions in a value (a step, a job, a whole workflow) reference. */
const secretsIn = (v: unknown) =>
  [...new Set([...JSON.stringify(v ?? null).matchAll(/\$\{\{(.*?)\}\}/g)].flatMap((e) => [...e[1].matchAll(/\bsecrets\.(\w+)/g)].map((m) => m[1])))].sort();
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

/**
 * Third-party actions left on a tag because their repository could not be fetched to resolve
 * the tag's commit: `owner/name@tag`. Every action was resolved when this list was written.
 */
const KNOWN_UNPINNED: string[] = [];

/** The write scopes each job may hold; every other scope is read or none. */
const WRITE_SCOPES: Record<string, Record<string, string[]>> = {
  "deploy.yml": { up: [] },
  "images-release.yml": { release: ["packages"] },
  "operator-release.yml": { release: ["packages"] },
  "preview.yml": { preview: ["pull-requests"] },
};

describe("CI workflows", () => {
  it("previews every stack on pull requests with its policy pack config and comments the plan", () => {
    const w = workflow("preview.yml");
    assert.ok(w.on.pull_request);
    assert.deepEqual(w.jobs.preview.strategy.matrix.stack, ["dev", "prod"]);
    for (const stack of w.jobs.preview.strategy.matrix.stack) assert.ok(fs.existsSync(path.join(ROOT, "policies", "config", `${stack}.json`)), stack);
    const step = pulumiStep(w, "preview");
    assert.equal(step.with.command, "preview");
    assert.equal(step.with.policyPacks, "policies");
    assert.equal(step.with.policyPackConfigs, "policies/config/${{ matrix.stack }}.json");
    assert.equal(step.with["comment-on-pr"], true);
    assert.equal(w.jobs.preview.permissions["pull-requests"], "write");
  });

  it("runs pulumi up for prod on pushes to main, in the production environment, with the prod pack config", () => {
    const w = workflow("deploy.yml");
    assert.deepEqual(Object.keys(w.on), ["push"]);
    assert.deepEqual(w.on.push.branches, ["main"]);
    assert.equal(w.jobs.up.environment, "production");
    const step = pulumiStep(w, "up");
    assert.deepEqual([step.with.command, step.with["stack-name"], step.with.policyPackConfigs], ["up", "prod", "policies/config/prod.json"]);
    assert.equal(step.with["cloud-url"], "${{ secrets.PULUMI_BACKEND_URL }}");
  });

  it("pins every third-party action by commit, with its version in a comment, and the Pulumi CLI to the SDK's version", () => {
    const bySha = new Map<string, string>();
    const byVersion = new Map<string, string>();
    for (const f of FILES) {
      for (const line of text(f).split("\n")) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        const [, ref, rest] = m;
        if (ref.startsWith("./")) continue;
        if (KNOWN_UNPINNED.includes(ref)) continue;
        const pin = /^([\w.-]+\/[\w./-]+)@([0-9a-f]{40})$/.exec(ref);
        assert.ok(pin, `${f}: ${ref} is not pinned by a full commit SHA`);
        const version = /^\s+# (v\d+\.\d+\.\d+)\s*$/.exec(rest);
        assert.ok(version, `${f}: ${ref} has no "# vX.Y.Z" comment naming its release`);
        const [action, sha] = [pin[1].toLowerCase(), pin[2]];
        const tag = `${action}@${version[1]}`;
        assert.equal(byVersion.get(tag) ?? sha, sha, `${f}: ${tag} pinned to two commits`);
        assert.equal(bySha.get(`${action}@${sha}`) ?? tag, tag, `${f}: ${action}@${sha} commented as two versions`);
        byVersion.set(tag, sha);
        bySha.set(`${action}@${sha}`, tag);
      }
    }
    assert.ok(byVersion.size >= 8, "every workflow's actions were seen");
    for (const f of FILES) {
      for (const s of pulumiSteps(workflow(f))) assert.equal(s.with["pulumi-version"], pkg.dependencies["@pulumi/pulumi"], f);
    }
  });

  it("gives pull requests nothing of prod's: a throwaway stack and passphrase, and the view-only kubeconfig", () => {
    const w = workflow("preview.yml");
    assert.deepEqual(secretsIn(w), ["PREVIEW_KUBECONFIG"], "the only secret a preview reads");
    for (const [name, job] of jobsOf(w)) assert.equal(job.environment, undefined, `${name} runs in an environment`);
    const steps = w.jobs.preview.steps as any[];
    const step = pulumiStep(w, "preview");
    assert.equal(step.with["stack-name"], "${{ matrix.stack }}-preview");
    assert.match(step.with["cloud-url"], /^file:\/\/\$\{\{ runner\.temp \}\}\//, "a file backend on the runner, not prod's state");
    assert.equal(step.env, undefined);
    const prep = steps.find((s) => s.name === "Throwaway preview stack");
    assert.match(prep.run, /openssl rand -hex 32 > "\$RUNNER_TEMP\/preview-passphrase"/);
    assert.match(prep.run, /echo "PULUMI_CONFIG_PASSPHRASE_FILE=\$PULUMI_CONFIG_PASSPHRASE_FILE" >> "\$GITHUB_ENV"/);
    assert.match(prep.run, /pulumi login --non-interactive "file:\/\/\$RUNNER_TEMP\/pulumi-state"/);
    assert.match(prep.run, /pulumi stack init --non-interactive --secrets-provider passphrase "\$preview_stack"/);
    assert.ok(steps.indexOf(prep) < steps.indexOf(step));
    const access = steps.find((s) => secretsIn(s).length > 0);
    assert.equal(access.if, "matrix.stack == 'prod'");
    assert.deepEqual(access.env, { PREVIEW_KUBECONFIG: "${{ secrets.PREVIEW_KUBECONFIG }}" });
    assert.ok(steps.indexOf(access) < steps.indexOf(prep), "the kubeconfig is in place before the stack's secrets are set");
  });

  it("keeps the preview stack's config to the committed stack file's, with placeholders for its secrets", () => {
    const prep = workflow("preview.yml").jobs.preview.steps.find((s: any) => s.name === "Throwaway preview stack").run as string;
    const script = /<<'EOF'\n([\s\S]*?)\nEOF\n/.exec(prep)?.[1];
    assert.ok(script, "the config script is a quoted heredoc");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "preview-stack-"));
    const run = (stack: string) =>
      spawnSync(process.execPath, ["-", stack, `${stack}-preview`], { cwd: tmp, input: script, encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") } });
    const salt = "encryptionsalt: v1:preview:salt\n";
    try {
      fs.writeFileSync(
        path.join(tmp, "Pulumi.fixture.yaml"),
        [
          "encryptionsalt: v1:prod:salt",
          "config:",
          "  platform:profile: prod",
          "  platform:cluster: { existing: { context: platform-prod } }",
          "  platform:awsCredentials: { secure: v1:prodciphertext }",
          "  platform:grafanaAdminPassword:",
          "    secure: v1:moreprodciphertext",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(tmp, "Pulumi.fixture-preview.yaml"), salt);
      const r = run("fixture");
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.split("\n").filter(Boolean), ["platform:awsCredentials", "platform:grafanaAdminPassword"]);
      const out = fs.readFileSync(path.join(tmp, "Pulumi.fixture-preview.yaml"), "utf8");
      assert.deepEqual(parse(out), { encryptionsalt: "v1:preview:salt", config: { "platform:profile": "prod", "platform:cluster": { existing: { context: "platform-prod" } } } });
      assert.doesNotMatch(out, /prod:salt|ciphertext|secure/);

      fs.writeFileSync(path.join(tmp, "Pulumi.nested.yaml"), "config:\n  platform:cluster: { existing: { token: { secure: v1:x } } }\n");
      fs.writeFileSync(path.join(tmp, "Pulumi.nested-preview.yaml"), salt);
      const nested = run("nested");
      assert.equal(nested.status, 1);
      assert.match(nested.stderr, /platform:cluster holds a secret inside a value/);

      for (const stack of ["dev", "prod"]) {
        fs.copyFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(tmp, `Pulumi.${stack}.yaml`));
        fs.writeFileSync(path.join(tmp, `Pulumi.${stack}-preview.yaml`), salt);
        const real = run(stack);
        assert.equal(real.status, 0, real.stderr);
        const committed = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")).config as Record<string, any>;
        const plain = Object.fromEntries(Object.entries(committed).filter(([, v]) => !(v && typeof v === "object" && "secure" in v)));
        assert.deepEqual(parse(fs.readFileSync(path.join(tmp, `Pulumi.${stack}-preview.yaml`), "utf8")).config, plain, stack);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("gives the deploy secrets only to jobs in the production environment, which pull requests never run", () => {
    const deploySecrets = secretsIn(workflow("deploy.yml")).filter((s) => s !== "GITHUB_TOKEN");
    assert.deepEqual(deploySecrets, ["AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "PROD_KUBECONFIG", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]);
    for (const f of FILES) {
      const w = workflow(f);
      assert.deepEqual(secretsIn({ env: w.env, on: w.on, concurrency: w.concurrency }), [], `${f}: secrets outside its jobs`);
      for (const [name, job] of jobsOf(w)) {
        const held = secretsIn(job).filter((s) => deploySecrets.includes(s));
        if (held.length === 0) continue;
        assert.equal(job.environment, "production", `${f}: ${name} reads ${held.join(", ")} outside the production environment`);
        assert.deepEqual(Object.keys(w.on), ["push"], `${f}: runs on more than pushes`);
        assert.deepEqual(w.on.push.branches, ["main"], `${f}: runs on pushes to other branches`);
      }
    }
  });

  it("scopes every secret to the step that uses it", () => {
    for (const f of FILES) {
      const w = workflow(f);
      assert.deepEqual(secretsIn(w.env), [], `${f}: workflow-level env`);
      for (const [name, job] of jobsOf(w)) {
        assert.deepEqual(secretsIn(job.env), [], `${f}: ${name}'s job-level env`);
        for (const s of job.steps as any[]) {
          if (/\bnpm\b/.test(String(s.run ?? ""))) assert.deepEqual(secretsIn(s), [], `${f}: ${name}: ${s.name} installs or runs packages with secrets`);
        }
      }
    }
    const steps = workflow("deploy.yml").jobs.up.steps as any[];
    assert.deepEqual(
      steps.filter((s) => secretsIn(s).length > 0).map((s) => [s.name ?? String(s.uses).split("@")[0], secretsIn(s)]),
      [
        ["Cluster access", ["PROD_KUBECONFIG"]],
        ["pulumi/actions", ["AWS_ACCESS_KEY_ID", "AWS_REGION", "AWS_SECRET_ACCESS_KEY", "PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]],
      ],
    );
    const forget = steps.at(-1);
    assert.deepEqual([forget.if, forget.run.trim()], ["always()", 'rm -f "$RUNNER_TEMP/kubeconfig"']);
  });

  it("installs packages without their install scripts, then runs the root's postinstall by hand, and tests without pretest", () => {
    assert.equal(pkg.scripts.postinstall, "node scripts/install.mjs --packages");
    assert.equal(pkg.scripts.pretest, "node scripts/install.mjs");
    const allowed = Object.entries(pkg.allowScripts as Record<string, boolean>)
      .filter(([, v]) => v)
      .map(([k]) => k);
    let roots = 0;
    for (const f of FILES) {
      for (const [name, job] of jobsOf(workflow(f))) {
        for (const s of job.steps as any[]) {
          const lines = String(s.run ?? "")
            .split("\n")
            .map((l) => l.trim());
          lines.forEach((line, i) => {
            if (/^npm (ci|install|i|rebuild)\b/.test(line)) assert.match(line, /\s--ignore-scripts\b/, `${f}: ${name}: ${line}`);
            if (/^npm (ci|install)\b/.test(line) && !/--prefix/.test(line)) {
              roots += 1;
              assert.equal(lines[i + 1], `${pkg.scripts.postinstall} -- --ignore-scripts`, `${f}: ${name}: the root's postinstall, without scripts, after ${line}`);
            }
            if (/^npm (test|t|run test)\b/.test(line)) {
              assert.match(line, /\s--ignore-scripts\b/, `${f}: ${name}: pretest would npm ci with scripts`);
              assert.equal(lines[i - 1], "node scripts/install.mjs --check", `${f}: ${name}: checks the install before ${line}`);
            }
          });
        }
      }
      if (/^\s+npm ci --ignore-scripts --no-audit --no-fund$/m.test(text(f))) {
        // Every package allowed an install script is accounted for where the root installs.
        const comments = text(f)
          .split("\n")
          .filter((l) => /^\s*#/.test(l))
          .join("\n");
        for (const p of allowed) assert.match(comments, new RegExp(`\\b${p}\\b`), `${f}: says nothing of ${p}'s install script`);
      }
    }
    assert.equal(roots, 2, "preview and deploy install the root package");
  });

  it("grants each job only the permissions it needs", () => {
    assert.deepEqual(Object.keys(WRITE_SCOPES).sort(), FILES);
    for (const f of FILES) {
      const w = workflow(f);
      assert.deepEqual(w.permissions, {}, `${f}: the workflow grants nothing; its jobs say what they need`);
      assert.deepEqual(jobsOf(w).map(([n]) => n).sort(), Object.keys(WRITE_SCOPES[f]).sort(), f);
      for (const [name, job] of jobsOf(w)) {
        assert.equal(typeof job.permissions, "object", `${f}: ${name} declares no permissions`);
        assert.equal(job.permissions.contents, "read", `${f}: ${name}`);
        const writes = Object.entries(job.permissions)
          .filter(([, v]) => v === "write")
          .map(([k]) => k)
          .sort();
        assert.deepEqual(writes, WRITE_SCOPES[f][name], `${f}: ${name} write scopes`);
      }
    }
  });

  it("runs on pull_request, never pull_request_target or workflow_run, and interpolates nothing into run scripts", () => {
    for (const f of FILES) {
      const w = workflow(f);
      for (const trigger of ["pull_request_target", "workflow_run"]) assert.equal(w.on[trigger], undefined, `${f}: ${trigger}`);
      for (const [name, job] of jobsOf(w)) {
        for (const s of job.steps as any[]) {
          if (s.run === undefined) continue;
          assert.doesNotMatch(s.run, /\$\{\{/, `${f}: ${name}: "${s.name}" interpolates an expression into its script; pass it through env`);
        }
      }
    }
    assert.doesNotMatch(text("preview.yml"), /github\.event\.(?!pull_request\.number\b)/, "only the PR number, in the concurrency group");
  });

  it("checks out without leaving the job's token in .git/config", () => {
    for (const f of FILES) {
      for (const [name, job] of jobsOf(workflow(f))) {
        for (const s of (job.steps as any[]).filter((x) => String(x.uses).startsWith("actions/checkout@"))) {
          assert.equal(s.with?.["persist-credentials"], false, `${f}: ${name}`);
        }
      }
    }
  });

  it("documents every secret the workflows read, and the environment, in README.md", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = /### Pull-request previews\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? "";
    const all = [...new Set(FILES.flatMap((f) => secretsIn(workflow(f))))].filter((s) => s !== "GITHUB_TOKEN");
    for (const s of all) assert.match(section, new RegExp(`\`${s}\``), s);
    assert.match(section, /environment `production`/);
    assert.match(section, /kubectl/);
  });

  it("releases an image for every service folder of ours with a Dockerfile, checked against its package.json", () => {
    const w = workflow("images-release.yml");
    const services = fs
      .readdirSync(ROOT)
      .filter((d) => d !== "operator" && fs.existsSync(path.join(ROOT, d, "Dockerfile")) && fs.existsSync(path.join(ROOT, d, "package.json")))
      .sort();
    assert.deepEqual(services, ["agent-gateway", "sandbox-runtime", "sandbox-server"]);
    assert.deepEqual([...w.on.push.tags].sort(), services.map((s) => `${s}-v*`));
    const steps = w.jobs.release.steps as any[];
    const check = steps.find((s: any) => String(s.name).startsWith("Service and version")).run as string;
    // A Node service (its own package-lock.json) is built before its image; the sandbox server
    // (Python, a package.json for the version only) has no npm steps to run.
    const nodeSteps = steps.filter((s: any) => String(s.uses).startsWith("actions/setup-node@") || /\bnpm\b/.test(String(s.run ?? "")));
    assert.equal(nodeSteps.length, 2);
    for (const s of nodeSteps) assert.equal(s.if, "steps.version.outputs.node == 'true'", `${s.name ?? s.uses} runs for every service`);
    assert.match(check, /if \[ -f "\$service\/package-lock\.json" \]; then node=true; else node=false; fi/);
    assert.match(check, /echo "node=\$node" >> "\$GITHUB_OUTPUT"/);
    for (const svc of services) {
      assert.match(check, new RegExp(`\\b${svc}\\b`), `${svc} is not in the tag check`);
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, svc, "package.json"), "utf8"));
      if (fs.existsSync(path.join(ROOT, svc, "package-lock.json"))) assert.ok(pkg.scripts?.build, `${svc} has no build script`);
      else assert.equal(pkg.dependencies ?? pkg.scripts, undefined, `${svc} has no package-lock.json, so nothing to install or run`);
    }
    assert.match(check, /sandbox-server\/requirements\.lock/, "the sandbox server's version is checked against the openhands-ai it installs");
    const push = w.jobs.release.steps.find((s: any) => String(s.uses).startsWith("docker/build-push-action@"));
    assert.equal(push.with.context, "${{ steps.version.outputs.service }}", "each image builds from its own folder");
  });
});
