/**
 * The contract gate through the built action (dist/index.js run as the runner runs it), on a real
 * git repo with a pull request's base and head commits; the GitHub stand-in serves that pull
 * request's files and their versions from the repo itself, as GitHub would.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execaSync } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { pullRequestPayload, runAction } from "./helpers/action-runner.js";
import { fault, start, type FakeGitHub, type FakePullFile } from "./helpers/fake-github.js";
import { shopRepo, tempDir } from "./helpers/repo.js";

const LABEL = "mfdag-contract-approved";
const TRAIN_FLOW = "flows/train_flow.py";
const TRAIN_DEFINITIONS = "dagster/train_dagster.py";

const git = (repo: string, ...args: string[]) => execaSync("git", ["-c", "user.name=mfdag tests", "-c", "user.email=tests@example.invalid", ...args], { cwd: repo }).stdout;

const FIELDS = {
  epochsInt: "    epochs: int = 10  # Training epochs",
  epochsFloat: "    epochs: float = 10.5  # Training epochs",
  learningRate: "    learning_rate: float = 0.001  # Optimizer step size",
  model: "    model: str = 'two-tower'  # Model architecture",
  seed: "    seed: int = 1  # Random seed",
};

/** TrainFlow's file and its definitions as `dagster create` writes them (our writer): in sync. */
function writeTrain(repo: string, { epochs, seed = false }: { epochs: "int" | "float"; seed?: boolean }): void {
  let flow = readFileSync(path.join(repo, TRAIN_FLOW), "utf8").replace(/epochs = Parameter\([^\n]*\)/, epochs === "int" ? 'epochs = Parameter("epochs", default=10, type=int, help="Training epochs")' : 'epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")');
  if (seed && !flow.includes('"seed"')) flow = flow.replace("    @step\n    def start", '    seed = Parameter("seed", default=1, help="Random seed")\n\n    @step\n    def start');
  writeFileSync(path.join(repo, TRAIN_FLOW), flow);
  writeFileSync(
    path.join(repo, TRAIN_DEFINITIONS),
    renderDefinitions({
      flow: "TrainFlow",
      source: "/home/alice/shop/flows/train_flow.py",
      steps: ["start", "train", "end"],
      configClass: ["class TrainFlowConfig(Config):", epochs === "int" ? FIELDS.epochsInt : FIELDS.epochsFloat, FIELDS.learningRate, FIELDS.model, ...(seed ? [FIELDS.seed] : [])],
    }),
  );
}

function commit(repo: string, message: string): string {
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

/** What GitHub answers for a pull request from `base` to `head`: its files with their patches, and every version of them. */
function servePullRequest(github: FakeGitHub, repo: string, number: number, base: string, head: string): void {
  const files: FakePullFile[] = [];
  for (const line of git(repo, "diff", "--name-status", "--find-renames", base, head).split("\n").filter(Boolean)) {
    const [status, ...paths] = line.split("\t") as [string, ...string[]];
    const filename = paths.at(-1)!;
    const patch = git(repo, "diff", "--find-renames", base, head, "--", ...paths).replace(/^[\s\S]*?(?=^@@)/m, "");
    const renamed = status.startsWith("R");
    files.push({ filename, status: renamed ? "renamed" : status === "A" ? "added" : status === "D" ? "removed" : "modified", patch, ...(renamed ? { previous_filename: paths[0]! } : {}) });
    for (const [ref, file] of [[base, paths[0]!], [head, filename]] as const) {
      const text = execaSync("git", ["show", `${ref}:${file}`], { cwd: repo, reject: false });
      if (text.exitCode === 0) github.setFile("acme/shop", file, ref, text.stdout + "\n");
    }
  }
  github.setPullFiles("acme/shop", number, files);
}

interface PullRequest {
  repo: string;
  base: string;
  head: string;
}

/** `count` flows whose committed definitions still say `epochs: int` (drift: two error annotations each), at base and head alike. */
function writeStaleFlows(repo: string, count: number): void {
  for (let i = 1; i <= count; i++) {
    const flowClass = `Stale${i}Flow`;
    mkdirSync(path.join(repo, "stale"), { recursive: true });
    writeFileSync(
      path.join(repo, `stale/stale${i}_flow.py`),
      `from metaflow import FlowSpec, Parameter, step\n\n\nclass ${flowClass}(FlowSpec):\n    epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")\n\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\nif __name__ == "__main__":\n    ${flowClass}()\n`,
    );
    writeFileSync(
      path.join(repo, `stale/stale${i}_dagster.py`),
      renderDefinitions({ flow: flowClass, source: `/home/alice/shop/stale/stale${i}_flow.py`, steps: ["start", "end"], configClass: [`class ${flowClass}Config(Config):`, FIELDS.epochsInt] }),
    );
  }
}

/** A shop whose train flow is in sync at base (epochs: int), and a pull request that regenerates it after `change`. */
function regeneratedPullRequest(github: FakeGitHub, change: { epochs: "int" | "float"; seed?: boolean }, { staleFlows = 0 } = {}): PullRequest {
  const repo = shopRepo();
  writeTrain(repo, { epochs: "int" });
  writeStaleFlows(repo, staleFlows);
  const base = commit(repo, "base: train in sync");
  writeTrain(repo, change);
  const head = commit(repo, "head: change train and regenerate");
  servePullRequest(github, repo, 7, base, head);
  return { repo, base, head };
}

/**
 * The event of that pull request, with its labels; `labeled`/`unlabeled` events name the label and
 * who. GitHub's pull request carries the same labels (a test that wants them apart sets them after).
 */
function prEvent(pr: PullRequest, { labels = [] as string[], action = "synchronize", label, sender = "alice" }: { labels?: string[]; action?: string; label?: string; sender?: string } = {}) {
  github.state.pulls.set("acme/shop#7", { headSha: pr.head, baseSha: pr.base, labels, author: "alice" });
  const payload = pullRequestPayload({ number: 7, baseSha: pr.base, headSha: pr.head });
  return {
    name: "pull_request",
    payload: { ...payload, action, ...(label ? { label: { name: label } } : {}), sender: { login: sender }, pull_request: { ...payload.pull_request, user: { login: "alice" }, labels: labels.map((name) => ({ name })) } },
  };
}

let github: FakeGitHub;
beforeEach(async () => {
  github = await start();
});
afterEach(async () => {
  await github.close();
});

const comment = () => {
  const comments = github.state.issueComments.filter((c) => c.repo === "acme/shop" && c.issueNumber === 7);
  expect(comments).toHaveLength(1);
  return comments[0]!.body;
};

describe("fail-on-contract on a regenerated pull request", () => {
  it("type-change fails a regenerated type change though nothing drifted, saying which file and how to accept it", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "type-change" } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ drift: "false", failed: "true", verdict: "fail" });
    expect(run.stdout).toContain(
      `::error::mfdag: this pull request changes the Dagster contract (fail-on-contract type-change): ${TRAIN_DEFINITIONS} (type-changed epochs); a reviewer accepts it by adding the label '${LABEL}'.`,
    );
    for (const text of [comment(), run.summary]) {
      expect(text).toContain("### ❌ mfdag: this pull request changes the Dagster contract");
      expect(text).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): type-changed epochs`);
      expect(text).toContain(`adding the label <code>${LABEL}</code>`);
    }
    const report = JSON.parse(readFileSync(run.outputs.report!, "utf8"));
    expect(report).toMatchObject({ failed: false, contractGate: { outcome: "violated", failOnContract: "type-change", files: [{ definitionsFile: TRAIN_DEFINITIONS }] } });
  });

  it("passes once a reviewer adds the label, says who accepted it, and fails again when the label is removed", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const inputs = { "fail-on-contract": "type-change" };
    const labeled = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { action: "labeled", label: LABEL, labels: ["ml", LABEL], sender: "carol" }), inputs });
    expect(labeled.exitCode).toBe(0);
    expect(labeled.outputs).toMatchObject({ failed: "false", verdict: "pass" });
    expect(comment()).toContain(`✅ **Contract change accepted** by <code>carol</code> with the label <code>${LABEL}</code>`);
    expect(comment()).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): type-changed epochs`);
    expect(labeled.summary).toContain("Contract change accepted");

    const unlabeled = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { action: "unlabeled", label: LABEL, labels: ["ml"], sender: "alice" }), inputs });
    expect(unlabeled.exitCode).toBe(1);
    expect(unlabeled.outputs.verdict).toBe("fail");
    expect(comment()).toContain("### ❌ mfdag: this pull request changes the Dagster contract");
    expect(comment()).not.toContain("accepted");

    const byAuthor = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { action: "labeled", label: LABEL, labels: [LABEL], sender: "alice" }), inputs });
    expect(byAuthor.exitCode).toBe(0);
    expect(comment()).toContain(`✅ **Contract change accepted** by <code>alice</code> (the pull request's author) with the label <code>${LABEL}</code>`);
  });

  it("takes the labels from GitHub, not the event: a re-run of a labeled run whose label was since removed fails", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const inputs = { "fail-on-contract": "type-change" };
    const event = prEvent(pr, { action: "labeled", label: LABEL, labels: ["ml", LABEL], sender: "carol" });
    github.state.pulls.set("acme/shop#7", { headSha: pr.head, baseSha: pr.base, labels: ["ml"], author: "alice" });
    const rerun = await runAction({ workspace: pr.repo, apiUrl: github.url, event, inputs });
    expect(rerun.exitCode).toBe(1);
    expect(rerun.outputs.verdict).toBe("fail");
    expect(github.requestsTo("GET /repos/acme/shop/pulls/7")).toHaveLength(1);
    expect(rerun.stdout).toContain(`::error::mfdag: this pull request changes the Dagster contract (fail-on-contract type-change): ${TRAIN_DEFINITIONS} (type-changed epochs); a reviewer accepts it by adding the label '${LABEL}'.`);
    expect(comment()).toContain("### ❌ mfdag: this pull request changes the Dagster contract");
    expect(comment()).not.toContain("accepted");
  });

  it("accepts nothing by label when GitHub cannot say which labels the pull request carries, saying why", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const event = prEvent(pr, { action: "labeled", label: LABEL, labels: [LABEL], sender: "carol" });
    github.script("GET /repos/acme/shop/pulls/7", fault.notFound());
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event, inputs: { "fail-on-contract": "type-change" } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(run.stdout).toMatch(/^::error::mfdag: this pull request changes the Dagster contract \(fail-on-contract type-change\): dagster\/train_dagster\.py \(type-changed epochs\); mfdag could not read the pull request's labels from GitHub \(Not Found.*\), so the label 'mfdag-contract-approved' cannot accept it on this run: re-run the job/m);
    for (const text of [comment(), run.summary]) {
      expect(text).toContain("### ❌ mfdag: this pull request changes the Dagster contract");
      expect(text).toMatch(/mfdag could not read the pull request's labels from GitHub \(Not Found.*\), so the label <code>mfdag-contract-approved<\/code> does not accept the change on this run/);
    }
    expect(JSON.parse(readFileSync(run.outputs.report!, "utf8")).contractGate).toMatchObject({ outcome: "violated", problem: expect.stringMatching(/^mfdag could not read the pull request's labels from GitHub/) });
  });

  it("on a later push, names who added the label from the pull request's events, and passes on the label alone when they cannot be read", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const inputs = { "fail-on-contract": "type-change" };
    github.state.issueEvents.push(
      { repo: "acme/shop", issueNumber: 7, event: "labeled", label: LABEL, actor: "mallory" },
      { repo: "acme/shop", issueNumber: 7, event: "unlabeled", label: LABEL, actor: "alice" },
      { repo: "acme/shop", issueNumber: 7, event: "labeled", label: "ml", actor: "dave" },
      { repo: "acme/shop", issueNumber: 7, event: "labeled", label: LABEL.toUpperCase(), actor: "bob" },
    );
    const pushed = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { labels: [LABEL] }), inputs });
    expect(pushed.exitCode).toBe(0);
    expect(comment()).toContain("✅ **Contract change accepted** by <code>bob</code> with the label");

    github.script("GET /repos/acme/shop/issues/7/events", fault.notFound());
    const unread = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { labels: [LABEL] }), inputs });
    expect(unread.exitCode).toBe(0);
    expect(comment()).toContain(`✅ **Contract change accepted** with the label <code>${LABEL}</code>`);
  });

  it("compares a moved definitions file with where it was, so moving it does not hide a type change", async () => {
    const repo = shopRepo();
    writeTrain(repo, { epochs: "int" });
    const base = commit(repo, "base: train in sync");
    writeTrain(repo, { epochs: "float" });
    mkdirSync(path.join(repo, "dagster/jobs"));
    git(repo, "mv", TRAIN_DEFINITIONS, "dagster/jobs/train_dagster.py");
    const head = commit(repo, "head: regenerate train, and move its definitions");
    servePullRequest(github, repo, 7, base, head);
    expect(github.state.pullFiles.get("acme/shop#7")).toContainEqual(expect.objectContaining({ filename: "dagster/jobs/train_dagster.py", status: "renamed", previous_filename: TRAIN_DEFINITIONS }));
    const pr = { repo, base, head };
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "type-change" } });
    expect(run.outputs.drift).toBe("false");
    expect(run.exitCode).toBe(1);
    expect(comment()).toContain("- <code>dagster/jobs/train_dagster.py</code> (TrainFlow): type-changed epochs");
  });

  it("fails a hand-edited definitions file whose header is no longer first, under either policy, saying it is no longer one", async () => {
    const repo = shopRepo();
    writeTrain(repo, { epochs: "int" });
    const base = commit(repo, "base: train in sync");
    const definitions = path.join(repo, TRAIN_DEFINITIONS);
    const edited = readFileSync(definitions, "utf8").replace("epochs: int = 10", "epochs: str = '10'");
    expect(edited).toContain("epochs: str = '10'");
    writeFileSync(definitions, `# edited\n${edited}`);
    const head = commit(repo, "head: edit the definitions by hand");
    servePullRequest(github, repo, 7, base, head);
    const pr = { repo, base, head };
    for (const policy of ["type-change", "breaking"]) {
      const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on": "never", "fail-on-contract": policy } });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.verdict).toBe("fail");
      expect(run.stdout).toContain(`::error::mfdag: this pull request changes the Dagster contract (fail-on-contract ${policy}): ${TRAIN_DEFINITIONS} (no longer a definitions file: its head version does not start with the header docstring metaflow-dagster writes`);
      expect(comment()).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): no longer a definitions file: its head version does not start with the header docstring`);
      expect(JSON.parse(readFileSync(run.outputs.report!, "utf8")).contractGate).toMatchObject({ outcome: "violated", files: [{ definitionsFile: TRAIN_DEFINITIONS }] });
    }
  });

  it("accepts nothing by label when approve-label is empty", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { labels: [LABEL] }), inputs: { "fail-on-contract": "type-change", "approve-label": "" } });
    expect(run.exitCode).toBe(1);
    expect(comment()).toContain("No label can accept it (`approve-label` is empty)");
  });

  it("breaking fails an added field that type-change lets through", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "int", seed: true });
    const typeChange = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "type-change" } });
    expect(typeChange.exitCode).toBe(0);
    expect(typeChange.outputs.drift).toBe("false");
    expect(comment()).toContain("✅ **Contract gate** (<code>fail-on-contract type-change</code>): this PR does not change a Config field's type or a job graph.");

    const breaking = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "breaking" } });
    expect(breaking.exitCode).toBe(1);
    expect(comment()).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): added seed`);
  });

  it("passes by default (never) and only shows the contract diff", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr) });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe("pass");
    expect(comment()).toContain("What Dagster will offer after merge");
    expect(comment()).toContain("⚠️ **type change**");
    expect(comment()).not.toContain("Contract gate");
    expect(JSON.parse(readFileSync(run.outputs.report!, "utf8")).contractGate).toBeNull();
  });

  it("takes failOnContract from the config file, and the input wins over it", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    writeFileSync(path.join(pr.repo, ".mfdag.yml"), "failOnContract: breaking\n");
    const fromConfig = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr) });
    expect(fromConfig.exitCode).toBe(1);
    expect(fromConfig.stdout).toContain("(fail-on-contract breaking)");
    const inputWins = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "never" } });
    expect(inputWins.exitCode).toBe(0);
  });

  it("gates without a comment too (comment: never), reading the pull request's files all the same", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "type-change", comment: "never", "review-comments": "false" } });
    expect(run.exitCode).toBe(1);
    expect(github.state.issueComments).toHaveLength(0);
    expect(github.requestsTo("GET /repos/acme/shop/pulls/7/files")).toHaveLength(1);
    expect(run.summary).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): type-changed epochs`);
  });

  it("fails when the pull request's files cannot be read, and the label does not accept that", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    github.script("GET /repos/acme/shop/pulls/7/files", fault.notFound());
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { labels: [LABEL] }), inputs: { "fail-on-contract": "type-change" } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(run.stdout).toMatch(/^::error::mfdag: fail-on-contract type-change: mfdag could not read the pull request's files \(Not Found/m);
    expect(comment()).toContain("### ❌ mfdag: the pull request's Dagster contract could not be compared");
  });

  it("fails a pull request of more files than GitHub lists, where a changed definitions file may be missing", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "int", seed: true });
    const files = github.state.pullFiles.get("acme/shop#7")!;
    github.setPullFiles("acme/shop", 7, [...files, ...Array.from({ length: 3000 - files.length }, (_, i) => ({ filename: `docs/page-${i}.md`, status: "added" as const, patch: "@@ -0,0 +1 @@\n+x" }))]);
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr, { labels: [LABEL] }), inputs: { "fail-on-contract": "type-change" } });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("::error::mfdag: fail-on-contract type-change: GitHub lists only the first 3000 files of a pull request");
    // What it could read is still shown.
    expect(comment()).toContain("What Dagster will offer after merge");
    expect(comment()).toContain("new field");
  });

  it("keeps one of GitHub's 10 error annotations for the gate's failure line when drift fills the rest", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" }, { staleFlows: 12 });
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on": "never", "fail-on-contract": "type-change", comment: "never", "review-comments": "false" } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.drift).toBe("true");
    const errors = run.stdout.split("\n").filter((line) => line.startsWith("::error"));
    expect(errors).toHaveLength(10);
    expect(errors).toContainEqual(expect.stringMatching(/^::error title=mfdag%3A \+\d+ more errors in the job summary::/));
    expect(errors.at(-1)).toMatch(/^::error::mfdag: this pull request changes the Dagster contract \(fail-on-contract type-change\)/);
  });

  it("publish mode judges the gate again from GitHub's labels, by its own input, and does not fail again", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const checkRun = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "type-change", comment: "never", "review-comments": "false" } });
    expect(checkRun.exitCode).toBe(1);
    const workflowRun = { name: "workflow_run", payload: { action: "completed", workflow_run: { id: 99, head_sha: pr.head, pull_requests: [] } } };
    const publish = (inputs: Record<string, string> = {}) => runAction({ workspace: tempDir(), apiUrl: github.url, event: workflowRun, inputs: { mode: "publish", "report-file": checkRun.outputs.report!, ...inputs } });

    github.state.pulls.set("acme/shop#7", { headSha: pr.head, baseSha: pr.base });
    const failing = await publish({ "fail-on-contract": "type-change" });
    expect(failing.exitCode).toBe(0);
    expect(failing.outputs.verdict).toBe("fail");
    expect(comment()).toContain("### ❌ mfdag: this pull request changes the Dagster contract");
    expect(comment()).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): type-changed epochs`);

    github.state.pulls.set("acme/shop#7", { headSha: pr.head, baseSha: pr.base, labels: [LABEL], author: "alice" });
    github.state.issueEvents.push({ repo: "acme/shop", issueNumber: 7, event: "labeled", label: LABEL, actor: "carol" });
    const accepted = await publish({ "fail-on-contract": "type-change" });
    expect(accepted.outputs.verdict).toBe("pass");
    expect(comment()).toContain(`✅ **Contract change accepted** by <code>carol</code> with the label <code>${LABEL}</code>`);

    // Without the input, the publish run shows no gate, whatever the check run decided.
    const ungated = await publish();
    expect(ungated.outputs.verdict).toBe("pass");
    expect(comment()).not.toContain("Contract");
  });

  it("merge mode gates the merged report by its own input", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const shardInputs = { comment: "never", "review-comments": "false" };
    const shards = await Promise.all(["1/2", "2/2"].map((shard) => runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { ...shardInputs, shard } })));
    expect(shards.map((run) => run.exitCode)).toEqual([0, 0]);
    const reports = shards.map((run) => run.outputs.report!).join("\n");
    const ungated = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { mode: "merge", reports, comment: "never" } });
    expect(ungated.exitCode).toBe(0);
    const gated = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { mode: "merge", reports, "fail-on-contract": "type-change" } });
    expect(gated.exitCode).toBe(1);
    expect(comment()).toContain(`- <code>${TRAIN_DEFINITIONS}</code> (TrainFlow): type-changed epochs`);
  });

  it("rejects a bad fail-on-contract, naming the input and the allowed values", async () => {
    const pr = regeneratedPullRequest(github, { epochs: "float" });
    const run = await runAction({ workspace: pr.repo, apiUrl: github.url, event: prEvent(pr), inputs: { "fail-on-contract": "drift" } });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("::error::Input 'fail-on-contract': 'drift' is not one of never, type-change, breaking");
  });
});
