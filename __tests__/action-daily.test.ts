/**
 * The action in daily use, run from the built dist/index.js as the runner runs it: the annotation
 * budget, the job summary and the `markdown` output at their size limits, the `comment-url` output,
 * globs in merge mode, and a publish run for a report the pull request has moved past.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { pullRequestPayload, runAction } from "./helpers/action-runner.js";
import { start, type FakeGitHub } from "./helpers/fake-github.js";
import { gitRepo, shopRepo, tempDir, writeFiles } from "./helpers/repo.js";

const PR = { number: 7, baseSha: "b".repeat(40), headSha: "d".repeat(40) };
const prEvent = { name: "pull_request", payload: pullRequestPayload(PR) };

let github: FakeGitHub;
beforeEach(async () => {
  github = await start();
  github.setPullFiles("acme/shop", 7, []);
});
afterEach(async () => {
  await github.close();
});

const botComments = () => github.state.issueComments.filter((c) => c.repo === "acme/shop" && c.issueNumber === 7);

/** The workflow commands of one kind (`error`, `warning`, `notice`) that start a line of the step's output. */
const commands = (stdout: string, kind: string) => stdout.split("\n").filter((line) => line.startsWith(`::${kind} `) || line.startsWith(`::${kind}::`));

/**
 * A repo of 15 drifted flows, each with a lint (`retries` declares type=int with a float default):
 * f01-f05 only still offer a removed parameter (one error each, at the field in the definitions
 * file); f06-f15 changed `epochs` from int to float (two errors each: the Parameter at line 5 and
 * the field).
 */
function fifteenDriftedFlows(): string {
  const files: Record<string, string> = {};
  for (let i = 1; i <= 15; i++) {
    const n = String(i).padStart(2, "0");
    const flowClass = `F${n}Flow`;
    const typeChange = i > 5;
    files[`flows/f${n}_flow.py`] = `from metaflow import FlowSpec, Parameter, step


class ${flowClass}(FlowSpec):
    epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")
    retries = Parameter("retries", default=3.5, type=int, help="Retries")

    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ${flowClass}()
`;
    const fields = typeChange ? ["    epochs: int = 10  # Training epochs", "    retries: float = 3.5  # Retries"] : ["    epochs: float = 10.5  # Training epochs", "    old: int = 1  # Gone", "    retries: float = 3.5  # Retries"];
    files[`dagster/f${n}_dagster.py`] = renderDefinitions({ flow: flowClass, source: `/home/alice/shop/flows/f${n}_flow.py`, steps: ["start", "end"], configClass: [`class ${flowClass}Config(Config):`, ...fields] });
  }
  return gitRepo(files);
}

describe("annotations within GitHub's 10 per level and step", () => {
  it("annotates the 8 most severe of 15 drifted flows once each, then says how many more the summary lists", async () => {
    const repo = fifteenDriftedFlows();
    const run = await runAction({ workspace: repo, apiUrl: github.url });
    expect(run.exitCode).toBe(1);

    const errors = commands(run.stdout, "error");
    expect(errors).toHaveLength(10);
    // Eight flows with a type change, each once, at its Parameter; the flows that only still offer
    // a removed parameter are less severe and wait.
    const annotated = errors.filter((line) => line.includes("title=mfdag%3A type-changed epochs"));
    expect(annotated.map((line) => /file=([^,]+),line=(\d+)/.exec(line)!.slice(1).join(":"))).toEqual(["06", "07", "08", "09", "10", "11", "12", "13"].map((n) => `flows/f${n}_flow.py:5`));
    expect(errors).toContainEqual(expect.stringMatching(/^::error title=mfdag%3A \+17 more errors in the job summary::.*17 more errors \(7 flows not annotated at all\) are listed in the job summary and the SARIF file/));
    // The tenth is the step's failure.
    expect(errors).toContainEqual(expect.stringMatching(/^::error::mfdag: the committed definitions violate fail-on type-change/));

    const warnings = commands(run.stdout, "warning");
    expect(warnings).toHaveLength(10);
    expect(warnings.filter((line) => line.includes("title=mfdag%3A declared-type-mismatch"))).toHaveLength(9);
    expect(warnings).toContainEqual(expect.stringMatching(/^::warning title=mfdag%3A \+6 more warnings in the job summary::/));

    // The full list stays in SARIF and in the job summary.
    const sarif = JSON.parse(readFileSync(run.outputs.sarif!, "utf8"));
    expect(sarif.runs[0].results.filter((r: { level: string }) => r.level === "error")).toHaveLength(25);
    expect(sarif.runs[0].results.filter((r: { level: string }) => r.level === "warning")).toHaveLength(15);
    for (let i = 1; i <= 15; i++) expect(run.summary).toContain(`flows/f${String(i).padStart(2, "0")}_flow.py:6`);
  });

  it("leaves one error for the step's failure, and writes every annotation when they fit", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url });
    expect(run.exitCode).toBe(1);
    // The shop's one type change, at the Parameter and at the field, and the failure: no "+N more".
    expect(commands(run.stdout, "error")).toHaveLength(3);
    expect(run.stdout).not.toContain("more errors in the job summary");
  });
});

/** A report of `count` drifted flows, made from a real check of the shop repo: its drifted flow, copied under other names. */
async function bigReport(count: number): Promise<{ shards: object[]; flows: number }> {
  const run = await runAction({ workspace: shopRepo(), apiUrl: github.url });
  const report = JSON.parse(readFileSync(run.outputs.report!, "utf8"));
  const drifted = report.flows.find((f: { status: string }) => f.status === "drift");
  const copies = Array.from({ length: count }, (_, i) => ({ ...drifted, flowFile: `flows/copy_${i}/train_flow.py`, definitionsFile: `dagster/copy_${i}/train_dagster.py` }));
  const half = Math.ceil(count / 2);
  const shard = (flows: object[], index: number) => ({ ...report, flows, pullRequest: null, contract: null, shard: { index, count: 2 } });
  return { shards: [shard(copies.slice(0, half), 1), shard(copies.slice(half), 2)], flows: count };
}

/** Whether every code fence and `<details>` element of a Markdown text is closed. */
function balanced(markdown: string): boolean {
  const fences = markdown.split("\n").filter((line) => /^ {0,3}```/.test(line)).length;
  return fences % 2 === 0 && (markdown.match(/<details>/g) ?? []).length === (markdown.match(/<\/details>/g) ?? []).length;
}

describe("merge mode, the job summary and the outputs at their limits", () => {
  it("merges the reports a glob matches, cuts the summary cleanly at 1 MiB and the markdown output at 256 KiB, and outputs the comment's URL", async () => {
    const { shards, flows } = await bigReport(2500);
    const workspace = tempDir();
    writeFiles(workspace, { "mfdag-1/mfdag-report.json": JSON.stringify(shards[0]), "mfdag-2/mfdag-report.json": JSON.stringify(shards[1]), "mfdag-2/other.json": "not a report" });
    github.setPullFiles("acme/shop", 7, []);
    const run = await runAction({ workspace, apiUrl: github.url, event: prEvent, inputs: { mode: "merge", reports: "mfdag-*/mfdag-report.json" } });

    expect(run.exitCode).toBe(1); // the shards failed under their fail-on type-change
    const merged = JSON.parse(readFileSync(run.outputs.report!, "utf8"));
    expect(merged.flows).toHaveLength(flows);

    const summaryBytes = Buffer.byteLength(run.summary);
    expect(summaryBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(summaryBytes).toBeGreaterThan(1024 * 1024 - 4096);
    expect(balanced(run.summary)).toBe(true);
    expect(run.summary).toMatch(/\n_The job summary was cut here at GitHub's size limit \(1 MiB\)\. The full report is the JSON report file <code>[^<]+mfdag-report\.json<\/code>/);
    expect(run.summary.trimEnd().split("\n").at(-1)).toContain("SARIF file");

    const markdown = run.outputs.markdown!;
    expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(256 * 1024);
    expect(Buffer.byteLength(markdown)).toBeGreaterThan(256 * 1024 - 4096);
    expect(balanced(markdown)).toBe(true);
    expect(markdown).toContain("_This report was cut here at GitHub's size limit (256 KiB).");
    // The same report as the summary, up to the earlier cut.
    const kept = markdown.slice(0, markdown.lastIndexOf("\n_This report was cut"));
    expect(run.summary.startsWith(kept.trimEnd())).toBe(true);

    expect(botComments()).toHaveLength(1);
    expect(run.outputs["comment-url"]).toBe(`https://github.com/acme/shop/pull/7#issuecomment-${botComments()[0]!.id}`);
  }, 120_000);

  it("fails naming a glob that matches nothing, so a missing shard's report cannot pass", async () => {
    const workspace = tempDir();
    const { shards } = await bigReport(2);
    writeFiles(workspace, { "mfdag-1/mfdag-report.json": JSON.stringify(shards[0]) });
    const run = await runAction({ workspace, apiUrl: github.url, inputs: { mode: "merge", reports: "mfdag-1/mfdag-report.json\nshard-*/mfdag-report.json" } });
    expect(run.exitCode).toBe(2);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toContain("::error::Input 'reports': 'shard-*/mfdag-report.json' matches no file in");
  });

  it("fails naming the shard whose report a glob did not find, so a lost upload cannot pass", async () => {
    const workspace = tempDir();
    const { shards } = await bigReport(2);
    writeFiles(workspace, { "mfdag-2/mfdag-report.json": JSON.stringify(shards[1]) });
    const run = await runAction({ workspace, apiUrl: github.url, inputs: { mode: "merge", reports: "mfdag-*/mfdag-report.json" } });
    expect(run.exitCode).toBe(2);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toContain("::error::no report for shard 1/2: every shard's report is needed");
  });

  it("writes the whole report as the markdown output when it is small, and an empty comment-url without a comment", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: prEvent, inputs: { comment: "never", "review-comments": "false" } });
    expect(run.outputs.markdown).toBe(run.summary);
    expect(run.outputs.markdown).toContain("mfdag: the committed Dagster definitions are out of date");
    expect(run.outputs["comment-url"]).toBe("");
  });

  it("outputs the URL of the comment it updated", async () => {
    const repo = shopRepo();
    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    writeFileSync(path.join(repo, "flows/train_flow.py"), readFileSync(path.join(repo, "flows/train_flow.py"), "utf8").replace('default="two-tower"', 'default="deep"'));
    const second = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(botComments()).toHaveLength(1);
    expect(second.outputs["comment-url"]).toBe(`https://github.com/acme/shop/pull/7#issuecomment-${botComments()[0]!.id}`);
  });
});

describe("publish mode for a report of an older commit of the pull request", () => {
  const workflowRun = (headSha: string) => ({ name: "workflow_run", payload: { action: "completed", workflow_run: { id: 99, head_sha: headSha, pull_requests: [] } } });

  it("ends neutral with a notice and posts nothing when the pull request has moved on", async () => {
    const checkRun = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: prEvent, inputs: { comment: "never", "review-comments": "false" } });
    github.state.pulls.set("acme/shop#7", { headSha: "c".repeat(40), baseSha: PR.baseSha });
    const publish = await runAction({ workspace: tempDir(), apiUrl: github.url, event: workflowRun(PR.headSha), inputs: { mode: "publish", "report-file": checkRun.outputs.report! } });

    expect(publish.exitCode).toBe(0);
    expect(botComments()).toHaveLength(0);
    expect(github.state.reviews).toHaveLength(0);
    expect(commands(publish.stdout, "notice")).toContainEqual(
      expect.stringMatching(/^::notice::mfdag: the report is for dddddddddddd, an older commit of pull request #7, which is now at cccccccccccc\. Nothing was posted: the run for the newer commit publishes its own report\./),
    );
    // The old report's lines point at old code: no annotations, no failure.
    expect(commands(publish.stdout, "error")).toEqual([]);
    expect(publish.outputs["comment-url"]).toBe("");
    // The old report's verdict is about code the pull request no longer has: neither the outputs nor the summary give it.
    expect(publish.outputs).toMatchObject({ verdict: "superseded", failed: "false" });
    // (`#7` is unlinked in Markdown with a zero-width space.)
    expect(publish.summary).toMatch(/an older commit of pull request #\u200b7/);
    expect(publish.summary).toContain("mfdag: nothing published, the pull request has moved on");
    expect(publish.summary).not.toContain("out of date");
  });

  it("refuses to publish one shard's report as the pull request's verdict", async () => {
    const checkRun = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: prEvent, inputs: { comment: "never", "review-comments": "false", shard: "1/2" } });
    expect(JSON.parse(readFileSync(checkRun.outputs.report!, "utf8")).shard).toEqual({ index: 1, count: 2 });
    const publish = await runAction({ workspace: tempDir(), apiUrl: github.url, event: workflowRun(PR.headSha), inputs: { mode: "publish", "report-file": checkRun.outputs.report! } });
    expect(publish.exitCode).toBe(2);
    expect(publish.stdout).toMatch(/::error::Input 'report-file': .* is shard 1\/2 of a check: combine the shards' reports with mode: merge and publish that/);
    expect(botComments()).toHaveLength(0);
  });

  it("still refuses a report for another commit than the triggering run checked", async () => {
    const checkRun = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: prEvent, inputs: { comment: "never", "review-comments": "false" } });
    github.state.pulls.set("acme/shop#7", { headSha: PR.headSha, baseSha: PR.baseSha });
    const publish = await runAction({ workspace: tempDir(), apiUrl: github.url, event: workflowRun("e".repeat(40)), inputs: { mode: "publish", "report-file": checkRun.outputs.report! } });
    expect(publish.exitCode).toBe(2);
    expect(publish.stdout).toContain(`refusing to publish: the report was made for commit ${PR.headSha}, but the triggering run checked ${"e".repeat(40)}`);
    expect(botComments()).toHaveLength(0);
  });
});
