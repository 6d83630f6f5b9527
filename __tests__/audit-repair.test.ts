/**
 * `fix: pull-request`: the built action, run as the runner runs it, repairs a scheduled audit's
 * drift by pull request. The GitHub API is the local stand-in; `origin` is a real bare git
 * repository on disk (or, for the token's way into git, a local HTTP server that records what git
 * sends); `dagster create` is the stand-in interpreter the upload-patch tests use (the real
 * compiler is not installable here).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execaSync } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { runAction } from "./helpers/action-runner.js";
import { start, type FakeGitHub } from "./helpers/fake-github.js";
import { checkJson, gitRepo, pythonWithoutMetaflow, shopRepo, standInCompiler, tempDir } from "./helpers/repo.js";

const BRANCH = "mfdag/regenerate-default";
const schedule = { name: "schedule", payload: { schedule: "0 6 * * 1" } };
/** What the runner gives a scheduled run: the default branch's ref. The stand-in compiler cannot be preloaded by the fork server. */
const onMain = { GITHUB_REF: "refs/heads/main", MFDAG_NO_FORK_SERVER: "1" };

const git = (cwd: string, ...args: string[]) => execaSync("git", ["-c", "user.name=maintainer", "-c", "user.email=maintainer@example.invalid", ...args], { cwd }).stdout.trim();
/** A git command on the bare remote; `null` when it fails (a ref that does not exist). */
const inRemote = (remote: string, ...args: string[]): string | null => {
  try {
    return execaSync("git", [`--git-dir=${remote}`, ...args]).stdout.trim();
  } catch {
    return null;
  }
};

/** The shop example checked out from a bare `origin` on disk, on main, as actions/checkout leaves it. */
function shopWithRemote(): { repo: string; remote: string } {
  const repo = shopRepo();
  const remote = path.join(tempDir("mfdag-remote-"), "shop.git");
  execaSync("git", ["init", "-q", "--bare", remote]);
  git(repo, "remote", "add", "origin", remote);
  git(repo, "push", "-q", "origin", "HEAD:refs/heads/main");
  github.state.branchHead = (branch) => inRemote(remote, "rev-parse", "--verify", "-q", `refs/heads/${branch}`);
  return { repo, remote };
}

/** A maintainer's commit on main, pushed: train_flow.py's epochs default becomes `value`. */
function commitEpochs(repo: string, value: string): void {
  const file = path.join(repo, "flows/train_flow.py");
  writeFileSync(file, readFileSync(file, "utf8").replace(/default=[0-9.]+, type=\w+, help="Training epochs"/, `default=${value}, type=${value.includes(".") ? "float" : "int"}, help="Training epochs"`));
  git(repo, "commit", "-qam", `epochs ${value}`);
  git(repo, "push", "-q", "origin", "HEAD:refs/heads/main");
}

let github: FakeGitHub;
beforeEach(async () => {
  github = await start();
});
afterEach(async () => {
  await github.close();
});

const trackingIssue = () => github.state.issues.find((issue) => issue.body.includes("<!-- mfdag:tracking-id=default -->"));
const pullsCreated = () => github.requestsTo("POST /repos/acme/shop/pulls");

function repairRun(repo: string, more: { inputs?: Record<string, string>; event?: { name: string; payload: object }; env?: Record<string, string> } = {}) {
  return runAction({
    workspace: repo,
    apiUrl: github.url,
    event: more.event ?? schedule,
    inputs: { fix: "pull-request", python: standInCompiler(repo), ...more.inputs },
    env: { ...onMain, ...more.env },
  });
}

describe("fix: pull-request on a scheduled audit", () => {
  it("opens a pull request whose branch, made from main's head, holds the regenerated files; the checkout is left as it was", async () => {
    const { repo, remote } = shopWithRemote();
    const head = git(repo, "rev-parse", "HEAD");
    const configBefore = readFileSync(path.join(repo, ".git/config"), "utf8");

    const run = await repairRun(repo);
    expect(run.exitCode).toBe(0);

    // The branch: one commit on main's head, changing exactly the stale file, by the Actions bot.
    const branchHead = inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`)!;
    expect(branchHead).toMatch(/^[0-9a-f]{40}$/);
    expect(inRemote(remote, "rev-parse", `${branchHead}^`)).toBe(head);
    expect(inRemote(remote, "diff", "--name-only", head, branchHead)).toBe("dagster/train_dagster.py");
    expect(inRemote(remote, "show", `${branchHead}:dagster/train_dagster.py`)).toContain("    epochs: float = 10.5  # Training epochs");
    expect(inRemote(remote, "show", "-s", "--format=%an <%ae>%n%s", branchHead)).toBe("github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>\nmfdag: regenerate 1 Dagster definitions file");

    // A clone of the branch is up to date.
    const clone = path.join(tempDir(), "clone");
    execaSync("git", ["clone", "-q", "--branch", BRANCH, remote, clone]);
    expect((await checkJson(clone, "--compiler", "static")).report.summary).toMatchObject({ drift: 0, errors: 0 });

    // One pull request into main, linked both ways with the tracking issue.
    expect(github.state.pullRequests).toHaveLength(1);
    const pull = github.state.pullRequests[0]!;
    const issue = trackingIssue()!;
    expect(pull).toMatchObject({ state: "open", head: BRANCH, base: "main", title: "mfdag: regenerate the out-of-date Dagster definitions" });
    expect(pull.body).toContain("- <code>dagster/train_dagster.py</code> from <code>flows/train_flow.py</code>: type-changed epochs");
    expect(pull.body).toContain(`The drift is tracked in #${issue.number}.`);
    expect(issue.body).toContain(`The pull request [#${pull.number}](https://github.com/acme/shop/pull/${pull.number}) regenerates them`);
    expect(run.outputs).toMatchObject({ "pull-request-number": String(pull.number), "pull-request-url": `https://github.com/acme/shop/pull/${pull.number}`, "issue-number": String(issue.number), drift: "true" });

    // The user's checkout: same branch and commit, no change in the tree, the index or .git/config.
    expect(git(repo, "rev-parse", "HEAD")).toBe(head);
    expect(git(repo, "symbolic-ref", "HEAD")).toBe("refs/heads/main");
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(readFileSync(path.join(repo, ".git/config"), "utf8")).toBe(configBefore);
  });

  it("updates the same pull request by force-pushing its branch when main moves, and pushes nothing when the repair is already there", async () => {
    const { repo, remote } = shopWithRemote();
    await repairRun(repo);
    const [pull] = github.state.pullRequests;
    const firstHead = inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`);

    commitEpochs(repo, "12.5");
    const second = await repairRun(repo);
    expect(second.exitCode).toBe(0);
    expect(pullsCreated()).toHaveLength(1);
    expect(github.state.pullRequests).toHaveLength(1);
    expect(second.outputs["pull-request-number"]).toBe(String(pull!.number));
    const secondHead = inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`)!;
    expect(secondHead).not.toBe(firstHead);
    // Remade from main's new head (a force-push: the old commit is not its ancestor).
    expect(inRemote(remote, "rev-parse", `${secondHead}^`)).toBe(git(repo, "rev-parse", "HEAD"));
    expect(inRemote(remote, "merge-base", "--is-ancestor", firstHead!, secondHead)).toBeNull();
    expect(inRemote(remote, "show", `${secondHead}:dagster/train_dagster.py`)).toContain("    epochs: float = 12.5  # Training epochs");

    const patches = github.requestsTo("PATCH /repos/acme/shop/pulls/{n}").length;
    const third = await repairRun(repo);
    expect(third.exitCode).toBe(0);
    expect(inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`)).toBe(secondHead);
    expect(third.stdout).toContain(`Repair branch: ${BRANCH} already holds this repair`);
    expect(github.requestsTo("PATCH /repos/acme/shop/pulls/{n}")).toHaveLength(patches);
    expect(pullsCreated()).toHaveLength(1);
  });

  it("closes the pull request with a comment and deletes its branch when the repo is clean again, and opens a new one when drift returns", async () => {
    const { repo, remote } = shopWithRemote();
    await repairRun(repo);
    const [pull] = github.state.pullRequests;

    commitEpochs(repo, "10");
    const clean = await repairRun(repo);
    expect(clean.exitCode).toBe(0);
    expect(pull!.state).toBe("closed");
    expect(github.state.issueComments.filter((c) => c.issueNumber === pull!.number).map((c) => c.body)).toEqual([
      `The audit ([audit run](https://github.example/acme/shop/actions/runs/4242)) found every Dagster definitions file up to date, with every flow compiled and compared. Closing, and deleting the branch <code>${BRANCH}</code>.`,
    ]);
    expect(inRemote(remote, "rev-parse", "--verify", "-q", `refs/heads/${BRANCH}`)).toBeNull();
    expect(trackingIssue()!.state).toBe("closed");
    expect(clean.outputs["pull-request-number"]).toBe("");

    commitEpochs(repo, "10.5");
    const again = await repairRun(repo);
    expect(github.state.pullRequests.map((p) => p.state)).toEqual(["closed", "open"]);
    expect(again.outputs["pull-request-number"]).toBe(String(github.state.pullRequests[1]!.number));
    expect(inRemote(remote, "rev-parse", "--verify", "-q", `refs/heads/${BRANCH}`)).not.toBeNull();
  });

  it("keeps the pull request and its branch when the drifted flow stops compiling: nothing to regenerate is not clean", async () => {
    const { repo, remote } = shopWithRemote();
    await repairRun(repo);
    const [pull] = github.state.pullRequests;
    const branchHead = inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`);

    const file = path.join(repo, "flows/train_flow.py");
    writeFileSync(file, `${readFileSync(file, "utf8")}\ndef broken(:\n`);
    git(repo, "commit", "-qam", "a syntax error");
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main");
    const run = await repairRun(repo);

    expect(run.outputs).toMatchObject({ drift: "false" });
    expect(pull!.state).toBe("open");
    expect(github.state.issueComments.filter((c) => c.issueNumber === pull!.number)).toEqual([]);
    expect(inRemote(remote, "rev-parse", "--verify", "-q", `refs/heads/${BRANCH}`)).toBe(branchHead);
    expect(run.stdout).toContain(`::warning::fix: pull-request: nothing could be regenerated, but the audit found flows with errors or parts it could not compare, so the repair pull request #${pull!.number} and its branch ${BRANCH} are left as they are`);
    expect(trackingIssue()!.state).toBe("open");
    expect(run.outputs["pull-request-number"]).toBe(String(pull!.number));
  });

  it("does not reopen a pull request a maintainer closed for the same repair, nor push its deleted branch again, and opens a new one when main moves", async () => {
    const { repo, remote } = shopWithRemote();
    await repairRun(repo);
    const [declined] = github.state.pullRequests;
    declined!.state = "closed"; // a maintainer closes it (the fake's own state: GitHub's UI, not the API)
    declined!.headSha = inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`)!;
    inRemote(remote, "update-ref", "-d", `refs/heads/${BRANCH}`); // and deletes its branch, as GitHub offers

    const same = await repairRun(repo);
    expect(same.exitCode).toBe(0);
    expect(pullsCreated()).toHaveLength(1);
    expect(same.outputs["pull-request-number"]).toBe("");
    expect(same.stdout).toContain(`::warning::fix: pull-request: the repair pull request #${declined!.number} was closed without merging`);
    expect(trackingIssue()!.body).not.toContain("regenerates them: review and merge it");
    expect(inRemote(remote, "rev-parse", "--verify", "-q", `refs/heads/${BRANCH}`)).toBeNull();

    commitEpochs(repo, "12.5");
    const moved = await repairRun(repo);
    expect(pullsCreated()).toHaveLength(2);
    expect(github.state.pullRequests.map((p) => p.state)).toEqual(["closed", "open"]);
    expect(moved.outputs["pull-request-number"]).toBe(String(github.state.pullRequests[1]!.number));
  });

  it("commits a stale file whose name is a pathspec, with a quote, a tab and a line break, under exactly that name", async () => {
    const { repo, remote } = shopWithRemote();
    const hostile = 'dagster/:(glob)* "train"\t\n.py';
    git(repo, "mv", "dagster/train_dagster.py", hostile);
    git(repo, "commit", "-qm", "rename");
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main");
    const run = await repairRun(repo);
    expect(run.exitCode).toBe(0);
    const branchHead = inRemote(remote, "rev-parse", `refs/heads/${BRANCH}`)!;
    expect(inRemote(remote, "diff", "-z", "--name-only", "main", branchHead)).toBe(`${hostile}\0`);
    expect(inRemote(remote, "show", `${branchHead}:${hostile}`)).toContain("    epochs: float = 10.5  # Training epochs");
    expect(inRemote(remote, "ls-tree", "-r", "--name-only", branchHead, "dagster/")!.split("\n")).toHaveLength(3);
    // The commit message and the pull request name it without its control characters breaking a line.
    expect(inRemote(remote, "show", "-s", "--format=%B", branchHead)!.split("\n").filter((line) => line.startsWith("- "))).toHaveLength(1);
    expect(github.state.pullRequests[0]!.body.split("\n").filter((line) => line.startsWith("- "))).toHaveLength(1);
  });

  it("is refused on a pull_request event: nothing regenerated, pushed or opened", async () => {
    const { repo, remote } = shopWithRemote();
    // The stand-in, logging every `dagster create` it is asked for (the fix pipeline writes into mfdag-fix-* directories).
    const log = path.join(tempDir(), "creates.log");
    const python = path.join(tempDir(), "python-logging");
    writeFileSync(python, `#!/bin/sh\ncase "$*" in *"dagster create"*) echo "$*" >> '${log}';; esac\nexec '${standInCompiler(repo)}' "$@"\n`, { mode: 0o755 });
    const pullRequest = { name: "pull_request", payload: { action: "synchronize", number: 7, pull_request: { number: 7, base: { sha: "a".repeat(40) }, head: { sha: "b".repeat(40) } } } };
    const run = await repairRun(repo, { event: pullRequest, inputs: { mode: "audit", python }, env: { GITHUB_REF: "refs/pull/7/merge" } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^::error::fix: pull-request runs only on schedule, workflow_dispatch or a push to the default branch, and this run is a pull_request event/m);
    expect(run.summary).toContain("fix: pull-request runs only on schedule");
    expect(inRemote(remote, "for-each-ref", "--format=%(refname)")).toBe("refs/heads/main");
    expect(github.requests.filter((r) => r.path.startsWith("/repos/acme/shop/pulls"))).toEqual([]);
    expect(run.stdout).not.toContain("Repair");
    expect(existsSync(log) ? readFileSync(log, "utf8") : "").not.toContain("mfdag-fix-");
  });

  it("fails as a configuration error, naming the input, on a pull_request run that is a check (no mode: audit)", async () => {
    const { repo, remote } = shopWithRemote();
    const pullRequest = { name: "pull_request", payload: { action: "synchronize", number: 7, pull_request: { number: 7, base: { sha: "a".repeat(40) }, head: { sha: "b".repeat(40) } } } };
    const run = await repairRun(repo, { event: pullRequest, env: { GITHUB_REF: "refs/pull/7/merge" } });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("::error::Input 'fix': pull-request acts only in audits (schedule or workflow_dispatch events, or mode: audit), and this pull_request run is a check;");
    expect(inRemote(remote, "for-each-ref", "--format=%(refname)")).toBe("refs/heads/main");
    expect(github.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("is refused on a manual run of another branch than the default one", async () => {
    const { repo, remote } = shopWithRemote();
    const run = await repairRun(repo, { event: { name: "workflow_dispatch", payload: { ref: "refs/heads/feature" } }, env: { GITHUB_REF: "refs/heads/feature" } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("::error::fix: pull-request runs only on schedule, workflow_dispatch or a push to the default branch (main), and this run checked out refs/heads/feature.");
    expect(inRemote(remote, "for-each-ref", "--format=%(refname)")).toBe("refs/heads/main");
    expect(pullsCreated()).toEqual([]);
  });

  it("is refused when the checkout is another branch than the one the run is for (actions/checkout with ref: release): nothing regenerated or pushed", async () => {
    const { repo, remote } = shopWithRemote();
    git(repo, "checkout", "-qb", "release");
    writeFileSync(path.join(repo, "RELEASE.md"), "release notes\n");
    git(repo, "add", "RELEASE.md");
    git(repo, "commit", "-qm", "release only");
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/release");
    const release = git(repo, "rev-parse", "HEAD");
    const refsBefore = inRemote(remote, "for-each-ref", "--format=%(refname) %(objectname)");

    const run = await repairRun(repo, { env: { GITHUB_SHA: inRemote(remote, "rev-parse", "refs/heads/main")! } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`::error::fix: pull-request builds the repair on the checked-out commit, and ${release.slice(0, 12)} is neither this run's commit`);
    expect(run.stdout).toContain("so the pull request into main would carry other commits.");
    expect(inRemote(remote, "for-each-ref", "--format=%(refname) %(objectname)")).toBe(refsBefore);
    expect(pullsCreated()).toEqual([]);
    expect(run.outputs).toMatchObject({ drift: "true", "pull-request-number": "" });
    expect(trackingIssue()).toMatchObject({ state: "open" });
  });

  it("repairs a checkout of the run's own commit even when main has moved on since", async () => {
    const { repo, remote } = shopWithRemote();
    const eventSha = git(repo, "rev-parse", "HEAD");
    // Another push to main after the run started: the checkout is no longer main's head.
    const other = path.join(tempDir(), "other");
    execaSync("git", ["clone", "-q", "--branch", "main", remote, other]);
    writeFileSync(path.join(other, "NOTES.md"), "later\n");
    git(other, "add", "NOTES.md");
    git(other, "commit", "-qm", "later");
    git(other, "push", "-q", "origin", "HEAD:refs/heads/main");

    const run = await repairRun(repo, { env: { GITHUB_SHA: eventSha } });
    expect(run.exitCode).toBe(0);
    expect(inRemote(remote, "rev-parse", `refs/heads/${BRANCH}^`)).toBe(eventSha);
    expect(github.state.pullRequests).toHaveLength(1);
  });

  it("says what to install without the real compiler, pushes nothing, and still reports and files the tracking issue", async () => {
    const { repo, remote } = shopWithRemote();
    const run = await repairRun(repo, { inputs: { python: pythonWithoutMetaflow() } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/^::error::fix: pull-request regenerates the stale files with the real compiler, and '.*python-plain' cannot import metaflow-dagster: install it in an earlier step \(`pip install metaflow-dagster==0\.3\.7`/m);
    expect(run.outputs).toMatchObject({ drift: "true", verdict: "pass", "pull-request-number": "" });
    expect(run.summary).toContain("cannot import metaflow-dagster");
    expect(trackingIssue()).toMatchObject({ state: "open" });
    expect(inRemote(remote, "for-each-ref", "--format=%(refname)")).toBe("refs/heads/main");
    expect(pullsCreated()).toEqual([]);
  });

  it("keeps its error and the step's failure within GitHub's 10 error annotations, with 12 drifted flows to annotate", async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 12; i++) {
      const flowClass = `F${i}Flow`;
      files[`flows/f${i}_flow.py`] = `from metaflow import FlowSpec, Parameter, step\n\n\nclass ${flowClass}(FlowSpec):\n    epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")\n\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\nif __name__ == "__main__":\n    ${flowClass}()\n`;
      files[`dagster/f${i}_dagster.py`] = renderDefinitions({ flow: flowClass, source: `/home/alice/shop/flows/f${i}_flow.py`, steps: ["start", "end"], configClass: [`class ${flowClass}Config(Config):`, "    epochs: int = 10  # Training epochs"] });
    }
    const repo = gitRepo(files);
    // No origin: the checkout is the run's own commit, as the runner's GITHUB_SHA says.
    const run = await repairRun(repo, { inputs: { python: pythonWithoutMetaflow() }, env: { GITHUB_SHA: git(repo, "rev-parse", "HEAD") } });
    expect(run.exitCode).toBe(1);
    const errors = run.stdout.split("\n").filter((line) => line.startsWith("::error"));
    expect(errors).toHaveLength(10);
    expect(errors.filter((line) => line.startsWith("::error::fix: pull-request regenerates the stale files with the real compiler"))).toHaveLength(1);
    expect(errors.at(-1)).toMatch(/^::error::mfdag: fix: pull-request made no pull request/);
    expect(errors.filter((line) => line.includes("title=mfdag%3A type-changed epochs"))).toHaveLength(7);
    expect(errors).toContainEqual(expect.stringMatching(/^::error title=mfdag%3A \+\d+ more errors in the job summary::/));
  });

  it("names the repository setting when GitHub does not let Actions open pull requests", async () => {
    const { repo } = shopWithRemote();
    github.script("POST /repos/acme/shop/pulls", { status: 403, body: { message: "GitHub Actions is not permitted to create or approve pull requests." } });
    const run = await repairRun(repo);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('"Allow GitHub Actions to create and approve pull requests"');
    expect(run.outputs["pull-request-number"]).toBe("");
  });

  it("cannot be combined with shard", async () => {
    const { repo } = shopWithRemote();
    const run = await repairRun(repo, { inputs: { shard: "1/2" } });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("::error::Input 'fix': pull-request cannot be combined with shard");
  });
});

describe("the token on the way to an HTTP remote", () => {
  /** A git server that answers every request 403 and keeps each request's Authorization headers. */
  async function refusingGitServer() {
    const seen: string[][] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const auth: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === "authorization") auth.push(req.rawHeaders[i + 1]!);
      seen.push(auth);
      res.writeHead(403, { "content-type": "text/plain" }).end("denied\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it("sends only the input token, in place of the header actions/checkout left in .git/config, and writes it nowhere", async () => {
    const server = await refusingGitServer();
    try {
      const repo = shopRepo();
      git(repo, "remote", "add", "origin", `${server.url}/acme/shop`);
      // What actions/checkout persists (persist-credentials: true), with its own token.
      git(repo, "config", `http.${server.url}/.extraheader`, "AUTHORIZATION: basic Y2hlY2tvdXQtdG9rZW4=");
      const configBefore = readFileSync(path.join(repo, ".git/config"), "utf8");
      const token = "ghs_repairTokenOnlyForThePush";
      const run = await repairRun(repo, { inputs: { "github-token": token } });

      const expected = `basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
      expect(server.seen.length).toBeGreaterThan(0);
      for (const headers of server.seen) expect(headers).toEqual([expected]);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(/^::error::fix: pull-request: git ls-remote failed: .*403.* \(the token needs `permissions: contents: write`/m);
      expect(readFileSync(path.join(repo, ".git/config"), "utf8")).toBe(configBefore);
      // The runner masks what ::add-mask:: names in every later line of the log, as for actions/checkout's header.
      expect(run.stdout).toContain(`::add-mask::${Buffer.from(`x-access-token:${token}`).toString("base64")}\n`);
      const log = run.stdout.split("\n").filter((line) => !line.startsWith("::add-mask::")).join("\n");
      for (const secret of [token, Buffer.from(`x-access-token:${token}`).toString("base64")]) {
        expect(log).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
        expect(run.summary).not.toContain(secret);
      }
    } finally {
      await server.close();
    }
  });
});
