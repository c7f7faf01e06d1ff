import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers/program";

const workflow = (f: string) => parse(fs.readFileSync(path.join(ROOT, ".github", "workflows", f), "utf8"));
const pulumiStep = (w: any, job: string) => w.jobs[job].steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));

describe("CI workflows", () => {
  it("previews every stack on pull requests with its policy pack config and comments the diff", () => {
    const w = workflow("preview.yml");
    assert.ok(w.on.pull_request);
    assert.deepEqual(w.jobs.preview.strategy.matrix.stack, ["dev", "prod"]);
    for (const stack of w.jobs.preview.strategy.matrix.stack) assert.ok(fs.existsSync(path.join(ROOT, "policies", "config", `${stack}.json`)), stack);
    const step = pulumiStep(w, "preview");
    assert.equal(step.with.command, "preview");
    assert.equal(step.with.policyPacks, "policies");
    assert.equal(step.with.policyPackConfigs, "policies/config/${{ matrix.stack }}.json");
    assert.equal(step.with["comment-on-pr"], true);
    assert.equal(w.permissions["pull-requests"], "write");
  });

  it("runs pulumi up for prod on pushes to main, with the prod pack config", () => {
    const w = workflow("deploy.yml");
    assert.deepEqual(w.on.push.branches, ["main"]);
    const step = pulumiStep(w, "up");
    assert.deepEqual([step.with.command, step.with["stack-name"], step.with.policyPackConfigs], ["up", "prod", "policies/config/prod.json"]);
  });

  it("pins every action and the Pulumi CLI to the SDK's version, and takes the backend from secrets", () => {
    const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/pulumi"];
    for (const f of ["preview.yml", "deploy.yml"]) {
      const w = workflow(f);
      for (const job of Object.values(w.jobs) as any[]) {
        for (const s of job.steps.filter((x: any) => x.uses)) assert.match(s.uses, /^[\w.-]+\/[\w.-]+@v\d+(\.\d+){0,2}$/, `${f}: ${s.uses}`);
        const step = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
        assert.equal(step.with["pulumi-version"], sdk, f);
        assert.equal(step.with["cloud-url"], "${{ secrets.PULUMI_BACKEND_URL }}", f);
      }
    }
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
