/**
 * Attacks on the settings a pull request controls (its config file, its checkout) and on the one
 * guard in front of the metaflow compiler, through the built CLI (dist/cli.js) and the built action
 * (dist/index.js) as child processes. Each top-level describe is a guarantee; each test names the
 * attack and the defense (scripts/attack-table.mjs puts them in the README).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execaSync } from "execa";
import type { CheckReport } from "../src/core/types.js";
import { pullRequestPayload, runAction } from "./helpers/action-runner.js";
import { start, type FakeGitHub } from "./helpers/fake-github.js";
import { ForkServer } from "../src/io/fork-server.js";
import { flowSource, gitRepo, PER_PROCESS_COMPILER, runCli, shopRepo, standInCompiler, tempDir, writeFiles } from "./helpers/repo.js";

const PR = { number: 7, baseSha: "a".repeat(40), headSha: "b".repeat(40) };
const pullRequest = { name: "pull_request", payload: pullRequestPayload(PR) };
const pullRequestTarget = { name: "pull_request_target", payload: pullRequestPayload(PR) };
const push = { name: "push", payload: {} };

/**
 * An "interpreter" a PR could name in its config file: it leaves a line in `marker` whenever it is
 * started, then behaves like python3, so a check that ran it would still succeed and only the
 * marker tells.
 */
function markingPython(marker: string): string {
  const file = path.join(tempDir(), "x.sh");
  writeFileSync(file, `#!/bin/sh\necho "$*" >> ${JSON.stringify(marker)}\nexec python3 "$@"\n`, { mode: 0o755 });
  return file;
}

/** `python` wrapped so that any `dagster create` it runs leaves a line in `marker` first. */
function markingCompiler(marker: string, python: string): string {
  const file = path.join(tempDir(), "compiler.sh");
  writeFileSync(file, `#!/bin/sh\ncase "$*" in *"dagster create"*) echo "$*" >> ${JSON.stringify(marker)} ;; esac\nexec ${JSON.stringify(python)} "$@"\n`, { mode: 0o755 });
  return file;
}

/** The environment of a `run:` step on `event` (the CLI reads it to apply the action's rules). */
function actionsEnv(event: { name: string; payload: object }): Record<string, string> {
  const eventPath = path.join(tempDir(), "event.json");
  writeFileSync(eventPath, JSON.stringify(event.payload));
  return { GITHUB_ACTIONS: "true", GITHUB_EVENT_NAME: event.name, GITHUB_EVENT_PATH: eventPath };
}

/** A healthy flow of 3 MB: over the 2 MB default of maxFileBytes. */
const BIG_FLOW = flowSource("BigFlow", `    alpha = Parameter("alpha", default=1)\n${"# padding\n".repeat(300_000)}`);

let github: FakeGitHub;
beforeAll(async () => {
  github = await start();
});
afterAll(async () => {
  await github.close();
});

describe("attack: a pull request's config file cannot run programs or widen the bounds", () => {
  it("`python: ./x.sh` in .mfdag.yml is not run by the action on pull_request: a notice names the ignored key", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    writeFiles(repo, { ".mfdag.yml": `python: ${markingPython(marker)}\n` });
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: pullRequest, inputs: { comment: "never", "review-comments": "false", "fail-on": "never" } });
    expect(run.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(run.stdout).toMatch(/::notice::.*python ignored on pull_request/);
  });

  it("`python: ./x.sh` is not run by `mfdag check --compiler static` or `mfdag list` in a run: step on pull_request", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    writeFiles(repo, { ".mfdag.yml": `python: ${markingPython(marker)}\n` });
    const env = actionsEnv(pullRequest);
    const checked = await runCli(["check", "--root", repo, "--compiler", "static", "--format", "json"], { env });
    expect(checked.exitCode).toBe(1); // the shop's stale file, found with the default python3
    expect(checked.stderr).toContain("python ignored on pull_request");
    const listed = await runCli(["list", "--root", repo], { env });
    expect(listed.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("`--untrusted` applies the same rules outside GitHub Actions: the config's python is not run", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    writeFiles(repo, { ".mfdag.yml": `python: ${markingPython(marker)}\n` });
    const checked = await runCli(["check", "--root", repo, "--untrusted", "--fail-on", "never"]);
    expect(checked.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("`maxFileBytes: 100000000` in the config file on pull_request does not make a 3 MB flow readable (on push it does)", async () => {
    const repo = gitRepo({ "flows/big_flow.py": BIG_FLOW, ".mfdag.yml": "maxFileBytes: 100000000\n" });
    const args = ["check", "--root", repo, "--format", "json", "--compiler", "static", "--fail-on", "never"];
    const onPush = await runCli(args, { env: actionsEnv(push) });
    expect((JSON.parse(onPush.stdout) as CheckReport).flows[0]).toMatchObject({ flowFile: "flows/big_flow.py", status: "missing-definitions" });
    const onPr = await runCli(args, { env: actionsEnv(pullRequest) });
    expect(onPr.stderr).toContain("maxFileBytes ignored on pull_request");
    expect((JSON.parse(onPr.stdout) as CheckReport).flows[0]).toMatchObject({ flowFile: "flows/big_flow.py", status: "error", error: expect.stringContaining("2000000") });
  });

  it("the action honours the config file's python and timeout on push, the same resolver as the CLI (inputs > config > defaults)", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    writeFiles(repo, { ".mfdag.yml": `python: ${markingPython(marker)}\ncompiler: static\n` });
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: push, inputs: { "fail-on": "never" } });
    expect(run.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(JSON.parse(readFileSync(run.outputs.report!, "utf8")).compiler).toBe("static");
    // An input still wins over the config file.
    const marker2 = path.join(tempDir(), "ran2");
    const run2 = await runAction({ workspace: repo, apiUrl: github.url, event: push, inputs: { "fail-on": "never", python: markingPython(marker2) } });
    expect(run2.exitCode).toBe(0);
    expect(existsSync(marker2)).toBe(true);
  });

  it("a .mfdag.yml (found, or named by the workflow) that is a symlink to a file outside the repo is refused without echoing the file", async () => {
    const secret = path.join(tempDir(), "secret.txt");
    writeFileSync(secret, "TOKEN=hunter2-not-yaml: [\n");
    const repo = shopRepo();
    symlinkSync(secret, path.join(repo, ".mfdag.yml"));
    const checked = await runCli(["check", "--root", repo]);
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain("is a symbolic link to a file outside the repo");
    expect(checked.stdout + checked.stderr).not.toContain("hunter2");
    // The same link named by the workflow (`config:` input, `--config`): it lies in the repo, so it is the PR's.
    const explicit = await runCli(["check", "--root", repo, "--config", path.join(repo, ".mfdag.yml")]);
    expect(explicit.exitCode).toBe(2);
    expect(explicit.stdout + explicit.stderr).not.toContain("hunter2");
  });

  it("a .mfdag.yml that is a FIFO does not block the check: exit 2 naming it", async () => {
    const repo = shopRepo();
    execaSync("mkfifo", [path.join(repo, ".mfdag.yml")]);
    const checked = await runCli(["check", "--root", repo], { timeout: 30_000 });
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain("not a regular file");
  });
});

describe("attack: only the guard starts the metaflow compiler", () => {
  it("`upload-patch: true` on pull_request_target regenerates nothing: the PR's flows never run, a warning says why", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    const python = markingCompiler(marker, standInCompiler(repo));
    const run = await runAction({
      workspace: repo,
      apiUrl: github.url,
      event: pullRequestTarget,
      inputs: { "upload-patch": "true", python, comment: "never", "review-comments": "false" },
      env: PER_PROCESS_COMPILER,
    });
    expect(run.exitCode).toBe(1); // the shop's stale type change, found by the static compiler
    expect(existsSync(marker)).toBe(false);
    expect(run.outputs.patch).toBe("");
    expect(run.stdout).toMatch(/::warning::upload-patch needs the metaflow compiler, which runs the flow files, and on pull_request_target/);
  });

  it("the same upload-patch on a schedule (trusted) does regenerate, so the guard is what stopped it", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    const python = markingCompiler(marker, standInCompiler(repo));
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: { name: "schedule", payload: {} }, inputs: { "upload-patch": "true", python, "github-token": "" }, env: PER_PROCESS_COMPILER });
    expect(run.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(run.outputs.patch).not.toBe("");
  });

  it("`compiler: metaflow` in a PR's config file on pull_request_target is narrowed to static with a notice, and no flow runs", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    writeFiles(repo, { ".mfdag.yml": "compiler: metaflow\n" });
    const run = await runAction({
      workspace: repo,
      apiUrl: github.url,
      event: pullRequestTarget,
      inputs: { python: markingCompiler(marker, standInCompiler(repo)), "fail-on": "never", comment: "never", "review-comments": "false" },
      env: PER_PROCESS_COMPILER,
    });
    expect(run.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(JSON.parse(readFileSync(run.outputs.report!, "utf8")).compiler).toBe("static");
  });

  it("an issue_comment on a pull request and a workflow_run of a pull_request run narrow auto to static", async () => {
    for (const event of [
      { name: "issue_comment", payload: { issue: { number: 7, pull_request: { url: "x" } }, comment: { body: "/mfdag" } } },
      { name: "workflow_run", payload: { workflow_run: { event: "pull_request", head_sha: PR.headSha } } },
    ]) {
      const repo = shopRepo();
      const marker = path.join(tempDir(), "ran");
      const run = await runAction({
        workspace: repo,
        apiUrl: github.url,
        event,
        inputs: { mode: "check", python: markingCompiler(marker, standInCompiler(repo)), compiler: "auto", "fail-on": "never", comment: "never" },
        env: PER_PROCESS_COMPILER,
      });
      expect(run.exitCode, event.name).toBe(0);
      expect(run.stdout, event.name).toContain("mfdag uses only the static compiler");
      expect(existsSync(marker), event.name).toBe(false);
    }
  });

  it("`mfdag fix` in a run: step on pull_request_target exits 2 before starting any Python", async () => {
    const repo = shopRepo();
    const marker = path.join(tempDir(), "ran");
    const fixed = await runCli(["fix", "--root", repo, "--python", markingPython(marker)], { env: actionsEnv(pullRequestTarget) });
    expect(fixed.exitCode).toBe(2);
    expect(fixed.stderr).toContain("mfdag fix needs the metaflow compiler, which runs the flow files, and on pull_request_target");
    expect(existsSync(marker)).toBe(false);
  });

  it("`mfdag check --compiler metaflow --untrusted` is refused with exit 2 naming --compiler", async () => {
    const checked = await runCli(["check", "--root", shopRepo(), "--compiler", "metaflow", "--untrusted"]);
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain("--compiler: metaflow runs the flow files");
  });
});

describe("attack: never a false green", () => {
  it("`mfdag check --root /nonexistent` and a root that is a file exit 2 naming the root", async () => {
    const missing = path.join(tempDir(), "nonexistent");
    const gone = await runCli(["check", "--root", missing]);
    expect(gone.exitCode).toBe(2);
    expect(gone.stderr).toContain(`--root: ${missing} does not exist`);
    const file = path.join(tempDir(), "file.py");
    writeFileSync(file, "x = 1\n");
    const notDir = await runCli(["check", "--root", file]);
    expect(notDir.exitCode).toBe(2);
    expect(notDir.stderr).toContain("is not a directory");
  });

  it("a root with no flow and no definitions file exits 2 (`--allow-empty` opts in to exit 0)", async () => {
    const empty = gitRepo({ "README.md": "nothing here\n", "tools/util.py": "x = 1\n" });
    const checked = await runCli(["check", "--root", empty]);
    expect(checked.exitCode).toBe(2);
    expect(checked.stdout).toBe("");
    expect(checked.stderr).toContain("No flow file and no definitions file");
    const allowed = await runCli(["check", "--root", empty, "--allow-empty"]);
    expect(allowed.exitCode).toBe(0);
  });

  it("an action root with a typo, or a workflow that forgot actions/checkout, is verdict error with exit 2", async () => {
    const typo = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: push, inputs: { root: "flowz" } });
    expect(typo.exitCode).toBe(2);
    expect(typo.outputs.verdict).toBe("error");
    expect(typo.stdout).toContain("does not exist in the workspace (does the workflow run actions/checkout before mfdag?)");
    const noCheckout = await runAction({ workspace: tempDir(), apiUrl: github.url, event: push });
    expect(noCheckout.exitCode).toBe(2);
    expect(noCheckout.outputs.verdict).toBe("error");
    const allowed = await runAction({ workspace: tempDir(), apiUrl: github.url, event: push, inputs: { "allow-empty": "true" } });
    expect(allowed.exitCode).toBe(0);
    expect(allowed.outputs.verdict).toBe("pass");
  });

  it("`mfdag check` from a subdirectory checks the whole git repo and names its top level as the root", async () => {
    const repo = shopRepo();
    mkdirSync(path.join(repo, "docs"));
    const fromSubdir = await runCli(["check", "--format", "json"], { cwd: path.join(repo, "docs") });
    expect(fromSubdir.exitCode).toBe(1); // the shop's stale train_dagster.py, outside docs/
    const report = JSON.parse(fromSubdir.stdout) as CheckReport;
    expect(report.root).toBe(execaSync("git", ["-C", repo, "rev-parse", "--show-toplevel"]).stdout);
    expect(report.flows.map((flow) => flow.flowFile)).toContain("flows/train_flow.py");
    const text = await runCli(["check"], { cwd: path.join(repo, "docs") });
    expect(text.stdout.split("\n")[0]).toContain(report.root);
  });

  it("a flow without a definitions file that does not compile is a warning with the compiler's message at its line", async () => {
    // metaflow refuses reserved parameter names; the static compiler reproduces its message.
    const broken = flowSource("BrokenFlow", '    alpha = Parameter("alpha", default=1)\n    params = Parameter("params", default=2)');
    const repo = gitRepo({ "flows/broken_flow.py": broken, "flows/ok_flow.py": flowSource("OkFlow", '    a = Parameter("a", default=1)') });
    const checked = await runCli(["check", "--root", repo, "--format", "json", "--compiler", "static"]);
    const report = JSON.parse(checked.stdout) as CheckReport;
    const flow = report.flows.find((f) => f.flowFile === "flows/broken_flow.py")!;
    expect(flow.status).toBe("missing-definitions");
    expect(flow.warnings).toEqual([expect.objectContaining({ lint: "compile-error", file: "flows/broken_flow.py", message: expect.stringContaining("does not compile") })]);
    expect(flow.warnings[0]!.message).toContain("Parameter name 'params' is a reserved word");
    expect(flow.warnings[0]!.line).toBe(6);
    expect(report.flows.find((f) => f.flowFile === "flows/ok_flow.py")!.warnings).toEqual([]);
  });

  it("`mfdag config missing.py` is a missing input: exit 2 naming the file", async () => {
    const missing = path.join(shopRepo(), "flows", "missing.py");
    const result = await runCli(["config", missing]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${missing} does not exist`);
  });
});

describe("attack: nothing on the CLI's stderr is a workflow command", () => {
  it("an error naming a file called `x\\n::error::pwned.py` (and a CR variant) starts no line of stderr with `::`", async () => {
    const dir = tempDir();
    for (const name of ["x\n::error::pwned.py", "x\r::add-mask::secret.py", "x\n  ::warning::indented.py"]) {
      const result = await runCli(["config", path.join(dir, name)]);
      expect(result.exitCode).toBe(2);
      for (const line of result.stderr.split(/\r\n|\r|\n/)) expect(line.trimStart().startsWith("::"), JSON.stringify(line)).toBe(false);
    }
  });
});

describe("attack: the config file's paths stay inside the root, and its globs and lists are bounded", () => {
  it("a config entry `cwd: flows/../..` (which resolves to ..) exits 2 naming the entry", async () => {
    const repo = shopRepo();
    writeFiles(repo, { ".mfdag.yml": "flows:\n  - flow: flows/train_flow.py\n    cwd: flows/../..\n" });
    const checked = await runCli(["check", "--root", repo]);
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain("flows.0.cwd: must stay inside the repo root");
  });

  it("an ignore glob `*a*a*a*a*a*a*a*a*c` (a backtracking regex once compiled) is refused naming ignore.0, before any file is matched", async () => {
    const repo = shopRepo();
    writeFiles(repo, { ".mfdag.yml": 'ignore: ["*a*a*a*a*a*a*a*a*c", "**/x/**/y/**/z"]\n', [`flows/${"a".repeat(120)}.py`]: "x = 1\n" });
    const checked = await runCli(["check", "--root", repo], { timeout: 60_000 });
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain("ignore.0: use at most 3 wildcards");
    expect(checked.stderr).toContain("ignore.1: use at most 2 '**' segments");
    // Globs of the ordinary kind still work.
    writeFiles(repo, { ".mfdag.yml": 'ignore: ["flows/*report*.py", "**/legacy/**"]\n' });
    const listed = await runCli(["list", "--root", repo, "--format", "json"]);
    expect(listed.exitCode).toBe(0);
    const flows = (JSON.parse(listed.stdout) as { flows: { path: string }[] }).flows.map((flow) => flow.path);
    expect(flows).toContain("flows/train_flow.py");
    expect(flows).not.toContain("flows/report_flow.py");
  });

  it("a config file with a 10,000-entry ignore list or a 100 KB glob is refused naming the key, before any glob is compiled", async () => {
    const repo = shopRepo();
    writeFiles(repo, { ".mfdag.yml": `ignore: [${Array.from({ length: 10_000 }, (_, i) => `"a${i}/**"`).join(", ")}]\n` });
    const many = await runCli(["check", "--root", repo]);
    expect(many.exitCode).toBe(2);
    expect(many.stderr).toContain("ignore:");
    writeFiles(repo, { ".mfdag.yml": `ignore: ["${"*{a,b}".repeat(20_000)}"]\n` });
    const long = await runCli(["check", "--root", repo]);
    expect(long.exitCode).toBe(2);
    expect(long.stderr).toContain("ignore.0:");
  });
});

describe("attack: what a reviewer pastes and what mfdag fix writes stay what they say", () => {
  it("a flow named `-cimport os;open('pwned','w')#.py`: its regenerate command, pasted into a shell, runs no code from the name", async () => {
    const name = "-cimport os;open('pwned','w')#.py";
    const repo = gitRepo({ [`flows/${name}`]: flowSource("NameFlow", '    a = Parameter("a", default=1)') });
    const { stdout } = await runCli(["check", "--root", repo, "--format", "json", "--compiler", "static"]);
    const flow = (JSON.parse(stdout) as CheckReport).flows.find((f) => f.flowFile === `flows/${name}`)!;
    expect(flow.regenerate).toContain(`./${name.replace(/'/g, "'\\''")}`);
    // A reviewer's shell, where `python` is a real Python without metaflow: the file is run (and
    // fails to import metaflow), the name is not executed.
    const bin = tempDir();
    writeFileSync(path.join(bin, "python"), '#!/bin/sh\nexec python3 "$@"\n', { mode: 0o755 });
    execaSync("sh", ["-c", flow.regenerate], { cwd: repo, reject: false, env: { PATH: `${bin}:${process.env.PATH}` } });
    expect(existsSync(path.join(repo, "flows", "pwned"))).toBe(false);
    expect(existsSync(path.join(repo, "pwned"))).toBe(false);
  });

  it("a committed definitions file that is a symlink is not written through by `mfdag fix`: the fix names the link", async () => {
    const repo = shopRepo();
    const stale = readFileSync(path.join(repo, "dagster/train_dagster.py"), "utf8");
    writeFiles(repo, { "notes/train.txt": stale });
    execaSync("rm", [path.join(repo, "dagster/train_dagster.py")]);
    symlinkSync("../notes/train.txt", path.join(repo, "dagster/train_dagster.py"));
    const fixed = await runCli(["fix", "--root", repo, "--python", standInCompiler(repo)], { env: PER_PROCESS_COMPILER });
    expect(fixed.exitCode).toBe(1);
    expect(fixed.stdout).toContain("dagster/train_dagster.py is a symbolic link; mfdag fix writes only regular files");
    expect(readFileSync(path.join(repo, "notes/train.txt"), "utf8")).toBe(stale);
  });

  it("a config file built as a YAML billion-laughs bomb exits 2 naming the file instead of expanding it", async () => {
    const repo = shopRepo();
    const levels = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 1; i < 10; i++) levels.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
    writeFiles(repo, { ".mfdag.yml": `${levels.join("\n")}\nignore: *a9\n` });
    const checked = await runCli(["check", "--root", repo], { timeout: 60_000 });
    expect(checked.exitCode).toBe(2);
    expect(checked.stderr).toContain(".mfdag.yml: not valid YAML");
  });
});

describe("attack: a stored report cannot choose what the trusted publish run reads", () => {
  it("a report with a forged baseSha: the contract diff reads the base GitHub names for the pull request, not the report's", async () => {
    const repo = shopRepo();
    const forged = { ...PR, baseSha: "e".repeat(40) };
    const checkRun = await runAction({ workspace: repo, apiUrl: github.url, event: { name: "pull_request", payload: pullRequestPayload(forged) }, inputs: { comment: "never", "review-comments": "false" } });
    expect(checkRun.exitCode).toBe(1);
    github.state.pulls.set("acme/shop#7", { headSha: PR.headSha, baseSha: PR.baseSha });
    github.setPullFiles("acme/shop", 7, [{ filename: "dagster/train_dagster.py", status: "modified", patch: "@@ -1 +1 @@\n-a\n+b" }]);
    const before = github.requests.length;
    const publish = await runAction({
      workspace: tempDir(),
      apiUrl: github.url,
      event: { name: "workflow_run", payload: { action: "completed", workflow_run: { id: 99, head_sha: PR.headSha, pull_requests: [] } } },
      inputs: { mode: "publish", "report-file": checkRun.outputs.report! },
    });
    expect(publish.exitCode).toBe(0);
    const refs = github.requests.slice(before).filter((r) => r.path.includes("/contents/")).map((r) => r.query.ref);
    expect(refs).toContain(PR.baseSha);
    expect(refs).not.toContain(forged.baseSha);
  });

  it("a report claiming a reviewer accepted its contract change: the trusted run judges the gate from GitHub alone and posts no acceptance nobody gave", async () => {
    const pr = { number: 8, baseSha: "c".repeat(40), headSha: "d".repeat(40) };
    const checkRun = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: { name: "pull_request", payload: pullRequestPayload(pr) }, inputs: { comment: "never", "review-comments": "false" } });
    const forged = JSON.parse(readFileSync(checkRun.outputs.report!, "utf8"));
    forged.contractGate = {
      failOnContract: "type-change",
      outcome: "accepted",
      files: [{ definitionsFile: "dagster/train_dagster.py", flow: "TrainFlow", changes: ["type-changed epochs"] }],
      approveLabel: "mfdag-contract-approved",
      acceptedBy: "maintainer",
      acceptedByAuthor: false,
      problem: null,
    };
    const reportFile = path.join(tempDir(), "mfdag-report.json");
    writeFileSync(reportFile, JSON.stringify(forged));
    // The pull request really changes epochs' type, and carries no label.
    const base = readFileSync(path.join(shopRepo(), "dagster/train_dagster.py"), "utf8");
    github.state.pulls.set("acme/shop#8", { headSha: pr.headSha, baseSha: pr.baseSha });
    github.setPullFiles("acme/shop", 8, [{ filename: "dagster/train_dagster.py", status: "modified", patch: "@@ -1 +1 @@\n-a\n+b" }]);
    github.setFile("acme/shop", "dagster/train_dagster.py", pr.baseSha, base);
    github.setFile("acme/shop", "dagster/train_dagster.py", pr.headSha, base.replace("epochs: int = 10", "epochs: float = 10.5"));
    const publish = (inputs: Record<string, string>) =>
      runAction({ workspace: tempDir(), apiUrl: github.url, event: { name: "workflow_run", payload: { action: "completed", workflow_run: { id: 99, head_sha: pr.headSha, pull_requests: [] } } }, inputs: { mode: "publish", "report-file": reportFile, ...inputs } });
    const comment = () => github.state.issueComments.filter((c) => c.repo === "acme/shop" && c.issueNumber === 8).at(-1)!.body;

    const gated = await publish({ "fail-on-contract": "type-change" });
    expect(gated.outputs.verdict).toBe("fail");
    expect(comment()).toContain("❌ **Contract gate** (<code>fail-on-contract type-change</code>)");
    expect(comment()).toContain("- <code>dagster/train_dagster.py</code> (TrainFlow): type-changed epochs");
    expect(comment()).not.toContain("maintainer");
    const ungated = await publish({});
    expect(ungated.outputs.verdict).toBe("fail"); // the check's own verdict: the shop drifts
    expect(comment()).not.toContain("Contract change accepted");
    expect(comment()).not.toContain("maintainer");
  });
});

describe("attack: a flow run by the metaflow compiler never sees mfdag's tokens", () => {
  const TOKENS = { ACTIONS_RUNTIME_TOKEN: "runtime-secret", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "oidc-secret", ACTIONS_ID_TOKEN_REQUEST_URL: "https://oidc.example", GITHUB_TOKEN: "env-secret" };

  it("on pull_request with the metaflow compiler, `dagster create` runs without INPUT_GITHUB-TOKEN, the runtime and OIDC tokens or GITHUB_TOKEN", async () => {
    const repo = shopRepo();
    const dump = path.join(tempDir(), "env.txt");
    const python = path.join(tempDir(), "compiler.sh");
    writeFileSync(python, `#!/bin/sh\ncase "$*" in *"dagster create"*) env >> ${JSON.stringify(dump)} ;; esac\nexec ${JSON.stringify(standInCompiler(repo))} "$@"\n`, { mode: 0o755 });
    const run = await runAction({
      workspace: repo,
      apiUrl: github.url,
      event: pullRequest,
      inputs: { compiler: "metaflow", python, "fail-on": "never", comment: "never", "review-comments": "false" },
      env: { ...PER_PROCESS_COMPILER, ...TOKENS },
    });
    expect(run.exitCode).toBe(0);
    const seen = readFileSync(dump, "utf8");
    expect(seen).toContain("PATH=");
    expect(seen).toContain("GITHUB_EVENT_NAME=pull_request"); // the rest of the environment is there
    for (const secret of ["test-token", ...Object.values(TOKENS)]) expect(seen).not.toContain(secret);
    expect(seen).not.toMatch(/^INPUT_/m);
  });

  it("the fork server's children (each flow's compile) see none of those variables either", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, TOKENS, { "INPUT_GITHUB-TOKEN": "test-token" });
    let server: ForkServer;
    try {
      server = new ForkServer({ python: "python3", concurrency: 1, preload: "none" });
    } finally {
      for (const name of [...Object.keys(TOKENS), "INPUT_GITHUB-TOKEN"]) if (saved[name] === undefined) delete process.env[name];
    }
    try {
      expect((await server.ready).ok).toBe(true);
      const root = tempDir();
      const out = path.join(tempDir(), "env.txt");
      writeFiles(root, { "flow.py": "import os, sys\nopen(sys.argv[3], 'w').write('\\n'.join('%s=%s' % kv for kv in os.environ.items()))\n" });
      const result = await server.run({ flowPath: path.join(root, "flow.py"), cwd: root, out, args: [], datastore: path.join(tempDir(), "ds"), timeoutMs: 10_000 });
      expect(result.exitCode).toBe(0);
      const seen = readFileSync(out, "utf8");
      expect(seen).toContain("PATH=");
      for (const secret of ["test-token", ...Object.values(TOKENS)]) expect(seen).not.toContain(secret);
    } finally {
      await server.close();
    }
  });
});
