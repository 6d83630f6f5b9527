/**
 * Attacks on the GitHub client (src/github/): an API that trickles its answers, a PR author who
 * forges mfdag's hidden markers, and runs that race each other on one pull request or one audit.
 * Each describe is a guarantee and each test title the attack and its defense (the README's
 * "Attacks tested" table is made from them by scripts/attack-table.mjs). The client talks to a real
 * HTTP server on 127.0.0.1 (helpers/fake-github.ts); the end-to-end tests run the built
 * dist/index.js as the Actions runner does.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../src/core/ports.js";
import { createOctokit, type Octokit } from "../src/github/octokit.js";
import { postReview, reviewMarker } from "../src/github/review.js";
import { markerFor, upsertStickyComment, type StickyCommentRequest } from "../src/github/sticky-comment.js";
import { syncTrackingIssue, trackingMarker, type TrackingIssueRequest } from "../src/github/tracking-issue.js";
import { pullRequestPayload, runAction } from "./helpers/action-runner.js";
import { BOT, fault, HUMAN, start, type FakeGitHub } from "./helpers/fake-github.js";
import { shopRepo } from "./helpers/repo.js";

const REPO = "acme/pipelines";
const COMMENTS = "GET /repos/acme/pipelines/issues/7/comments";
const CREATE = "POST /repos/acme/pipelines/issues/7/comments";
const DELETE = "DELETE /repos/acme/pipelines/issues/comments/{id}";

/** The action's pull request, on the fake's acme/shop. */
const PR = { number: 7, baseSha: "b".repeat(40), headSha: "e".repeat(40) };
const prEvent = { name: "pull_request", payload: pullRequestPayload(PR) };
const SHOP_COMMENTS = "GET /repos/acme/shop/issues/7/comments";
const SHOP_CREATE = "POST /repos/acme/shop/issues/7/comments";

let github: FakeGitHub;
let octokit: Octokit;
let warnings: string[];

beforeEach(async () => {
  github = await start();
  warnings = [];
  octokit = client();
});
afterEach(async () => {
  await github.close();
});

function client(requestTimeoutMs?: number): Octokit {
  const logger: Logger = { info() {}, debug() {}, warning: (m) => void warnings.push(m), group: (_t, fn) => fn() };
  return createOctokit({ token: "test-token", baseUrl: github.url, logger, retryBaseMs: 5, paceWrites: false, requestTimeoutMs });
}

/** `promise`, or a rejection once `ms` have passed: a hang fails the test instead of stalling it. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

const sticky = (overrides: Partial<StickyCommentRequest> = {}): StickyCommentRequest => ({
  owner: "acme",
  repo: "pipelines",
  issueNumber: 7,
  commentId: "drift",
  body: "## mfdag\n\n1 flow drifted.",
  mode: "always",
  hasChanges: true,
  ...overrides,
});
const commentsOn7 = () => github.state.issueComments.filter((c) => c.repo === REPO && c.issueNumber === 7);
const shopComments = () => github.state.issueComments.filter((c) => c.repo === "acme/shop" && c.issueNumber === 7);
const warningLines = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("::warning"));

// ---------------------------------------------------------------------------------------------

describe("attack: a GitHub API that trickles its answers cannot hang the step or change the verdict", () => {
  it("headers at once, then one byte every 50 ms forever: each attempt is cut at the whole-response deadline, retried 3 times, then the request fails", async () => {
    const slow = client(300);
    github.script(COMMENTS, ...Array.from({ length: 4 }, () => fault.trickle(50)));
    const started = Date.now();

    const listing = slow.request("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner: "acme", repo: "pipelines", issue_number: 7 });

    await expect(within(30_000, listing)).rejects.toThrow(/did not send the whole response within 300 ms/);
    expect(github.requestsTo(COMMENTS).map((r) => r.scripted)).toEqual([true, true, true, true]);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a listing that trickles once is retried and the retry's answer used: the existing comment is updated, not duplicated", async () => {
    const slow = client(300);
    const ours = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nold report`, author: BOT });
    github.script(COMMENTS, fault.trickle(50));

    const result = await within(30_000, upsertStickyComment(slow, sticky()));

    expect(result).toMatchObject({ action: "updated", id: ours.id });
    expect(commentsOn7().map((c) => c.id)).toEqual([ours.id]);
  });

  it("through the built action, a comment API that trickles every attempt: the step ends in bounded time with the verdict by fail-on, the summary and one warning", async () => {
    github.setPullFiles("acme/shop", 7, []);
    github.script(SHOP_COMMENTS, ...Array.from({ length: 4 }, () => fault.trickle(200)));
    const started = Date.now();

    // 4 attempts of 1 s each and the retry plugin's 1 + 4 + 9 s of backoff: about 18 s.
    const run = await within(100_000, runAction({ workspace: shopRepo(), apiUrl: github.url, event: prEvent, env: { MFDAG_GITHUB_TIMEOUT_MS: "1000" } }));

    expect(Date.now() - started).toBeLessThan(100_000);
    expect([run.exitCode, run.outputs.verdict, run.outputs.drift]).toEqual([1, "fail", "true"]);
    expect(run.summary).toContain("-    epochs: int = 10  # Training epochs");
    expect(warningLines(run.stdout)).toEqual(["::warning::mfdag could not publish to the pull request: GitHub did not send the whole response within 1000 ms"]);
    expect(github.requestsTo(SHOP_COMMENTS)).toHaveLength(4);
    expect(github.requestsTo(SHOP_CREATE)).toHaveLength(0);
  }, 120_000);

  it("through the built action, an API that trickles every request: the whole of publishing ends within its budget, not after retries of every request", async () => {
    github.setPullFiles("acme/shop", 7, []);
    github.script(SHOP_COMMENTS, ...Array.from({ length: 20 }, () => fault.trickle(200)));
    const started = Date.now();
    // Per attempt 10 s, for all of publishing 2 s: without the budget this is 4 × 10 s plus 14 s
    // of backoff for the listing alone.
    const run = await within(100_000, runAction({ workspace: shopRepo(), apiUrl: github.url, event: prEvent, env: { MFDAG_GITHUB_TIMEOUT_MS: "10000", MFDAG_PUBLISH_BUDGET_MS: "2000" } }));
    expect(Date.now() - started).toBeLessThan(25_000);
    expect([run.exitCode, run.outputs.verdict]).toEqual([1, "fail"]);
    expect(run.summary).toContain("-    epochs: int = 10  # Training epochs");
    expect(warningLines(run.stdout)).toEqual([expect.stringContaining("::warning::mfdag could not publish to the pull request:")]);
    expect(github.requestsTo(SHOP_CREATE)).toHaveLength(0);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe("attack: a PR author cannot suppress mfdag's review comments with its hidden marker", () => {
  const finding = { path: "flows/train_flow.py", line: 6, body: "`epochs` changed type: int → float." };
  const review = () => ({ owner: "acme", repo: "pipelines", pullNumber: 7, commitId: "a".repeat(40), comments: [finding] });

  it("a review comment by the PR author carrying the finding's marker (a public hash) is ignored: mfdag posts its own", async () => {
    github.addReviewComment({ repo: REPO, pullNumber: 7, path: finding.path, line: finding.line, body: `looks fine\n\n${reviewMarker(finding)}`, author: HUMAN });

    expect(await postReview(octokit, review())).toEqual({ action: "posted", count: 1 });
    expect(github.state.reviews).toHaveLength(1);
  });

  it("a marker in the middle of mfdag's own comment (quoted user text) does not count: only the marker closing the body", async () => {
    github.addReviewComment({ repo: REPO, pullNumber: 7, path: "x.py", line: 1, body: `help text: ${reviewMarker(finding)} quoted\n\n${reviewMarker({ path: "x.py", line: 1, body: "other" })}`, author: BOT });

    expect(await postReview(octokit, review())).toEqual({ action: "posted", count: 1 });
  });

  it("mfdag's own earlier comment still counts, so a rerun posts nothing new", async () => {
    await postReview(octokit, review());

    expect(await postReview(octokit, review())).toEqual({ action: "nothing-new", count: 0 });
  });

  it("through the built action, the PR author posts the exact review comments mfdag is about to post, markers included: mfdag posts its review anyway", async () => {
    const repo = shopRepo();
    const setUp = (fake: FakeGitHub) => {
      fake.setPullFiles("acme/shop", 7, [{ filename: "flows/train_flow.py", status: "modified", patch: '@@ -5,3 +5,3 @@\n class TrainFlow(FlowSpec):\n-    epochs = Parameter("epochs", default=10, type=int, help="Training epochs")\n+    epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")\n     learning_rate = Parameter("learning_rate", default=0.001, help="Optimizer step size")\n' }]);
      fake.setFile("acme/shop", "flows/train_flow.py", PR.headSha, readFileSync(path.join(repo, "flows/train_flow.py"), "utf8"));
    };
    // What mfdag will post is predictable from the public diff: learn it from a run elsewhere.
    const rehearsal = await start();
    let predicted: { path: string; line: number; body: string }[];
    try {
      setUp(rehearsal);
      await runAction({ workspace: repo, apiUrl: rehearsal.url, event: prEvent });
      predicted = rehearsal.state.reviewComments.map((c) => ({ path: c.path, line: c.line, body: c.body }));
    } finally {
      await rehearsal.close();
    }
    expect(predicted).toHaveLength(1);
    setUp(github);
    for (const c of predicted) github.addReviewComment({ repo: "acme/shop", pullNumber: 7, ...c, author: HUMAN });

    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });

    expect(run.exitCode).toBe(1);
    expect(github.state.reviews).toHaveLength(1);
    expect(github.state.reviewComments.filter((c) => c.user.login === BOT.login).map((c) => c.body)).toEqual(predicted.map((c) => c.body));
  });
});

// ---------------------------------------------------------------------------------------------

describe("attack: runs racing on one pull request cannot leave two mfdag comments", () => {
  it("a concurrent run's comment appears between our listing and our post: ours is not the oldest, so its report moves into theirs and ours is deleted", async () => {
    let theirs = 0;
    github.onNext(CREATE, "before", () => {
      theirs = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nthe other run's report`, author: BOT }).id;
    });

    const result = await upsertStickyComment(octokit, sticky());

    expect(result).toMatchObject({ action: "updated", id: theirs });
    expect(commentsOn7().map((c) => [c.id, c.body])).toEqual([[theirs, `${markerFor("drift")}\n## mfdag\n\n1 flow drifted.`]]);
  });

  it("a concurrent run's comment appears between our post and our second look: ours is the oldest, so theirs is deleted", async () => {
    github.onNext(CREATE, "after", () => {
      github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nthe other run's report`, author: BOT });
    });

    const result = await upsertStickyComment(octokit, sticky());

    expect(result.action).toBe("created");
    expect(commentsOn7().map((c) => c.id)).toEqual([result.id]);
    expect(github.requestsTo(DELETE)).toHaveLength(1);
  });

  it("duplicates left by earlier races: later runs update the oldest and delete at most 10 per run, and a refused delete costs nothing", async () => {
    const all = Array.from({ length: 13 }, (_, i) => github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nrun ${i}`, author: BOT }));
    github.script(DELETE, fault.forbidden());

    expect(await upsertStickyComment(octokit, sticky())).toMatchObject({ action: "updated", id: all[0]!.id });
    expect(github.requestsTo(DELETE)).toHaveLength(10);
    expect(commentsOn7()).toHaveLength(4); // the oldest, 2 beyond the bound, 1 refused

    expect(await upsertStickyComment(octokit, sticky({ body: "next push" }))).toMatchObject({ action: "updated", id: all[0]!.id });
    expect(commentsOn7().map((c) => c.id)).toEqual([all[0]!.id]);
    expect(commentsOn7()[0]!.body).toContain("next push");
  });

  it("an older marker comment by the PR author is neither updated nor deleted", async () => {
    const forged = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nall good, merge it`, author: HUMAN });

    const first = await upsertStickyComment(octokit, sticky());
    await upsertStickyComment(octokit, sticky({ body: "second push" }));

    expect(first.action).toBe("created");
    expect(commentsOn7().map((c) => [c.id, c.user.login])).toEqual([
      [forged.id, HUMAN.login],
      [first.id, BOT.login],
    ]);
    expect(commentsOn7()[0]!.body).toContain("all good, merge it");
    expect(github.requestsTo(DELETE)).toHaveLength(0);
  });

  it("two action runs at once on one pull request, both listing before either posts, end with exactly one mfdag comment, and the next run updates it", async () => {
    github.setPullFiles("acme/shop", 7, []);
    const repo = shopRepo();
    // Neither post is answered before both runs have posted: both saw no comment. (Released after
    // 90 s anyway, should one run never get there.)
    github.hold(SHOP_CREATE, 2, 90_000);

    const runs = await Promise.all([runAction({ workspace: repo, apiUrl: github.url, event: prEvent }), runAction({ workspace: repo, apiUrl: github.url, event: prEvent })]);

    expect(runs.map((r) => r.exitCode)).toEqual([1, 1]);
    expect(runs.flatMap((r) => warningLines(r.stdout))).toEqual([]);
    expect(github.requestsTo(SHOP_CREATE)).toHaveLength(2);
    expect(shopComments()).toHaveLength(1);
    const kept = shopComments()[0]!;
    expect(kept.body).toContain("mfdag: the committed Dagster definitions are out of date");

    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "fail-on": "never" } });
    expect(shopComments().map((c) => c.id)).toEqual([kept.id]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe("attack: audits racing on one repository cannot leave two tracking issues", () => {
  const ISSUES = "POST /repos/acme/pipelines/issues";
  const request = (overrides: Partial<TrackingIssueRequest> = {}): TrackingIssueRequest => ({
    owner: "acme",
    repo: "pipelines",
    trackingId: "default",
    title: "mfdag: Dagster definitions are out of date",
    body: "1 flow drifted.",
    labels: ["mfdag-drift"],
    problems: true,
    closeComment: "Clean again.",
    reopenComment: "Drift is back.",
    ...overrides,
  });
  const marked = (text: string) => `${trackingMarker("default")}\n${text}`;
  const issues = () => github.state.issues.filter((i) => i.repo === REPO);

  it("a concurrent audit's issue appears between our scan and our create: the report moves into the oldest, and ours is closed as its duplicate", async () => {
    let theirs = 0;
    github.onNext(ISSUES, "before", () => {
      theirs = github.addIssue({ repo: REPO, title: "mfdag: Dagster definitions are out of date", body: marked("the other audit's report"), author: BOT }).number;
    });

    const result = await syncTrackingIssue(octokit, request());

    expect(result).toMatchObject({ action: "updated", number: theirs });
    const [kept, ours] = issues();
    expect(kept).toMatchObject({ number: theirs, state: "open", body: marked("1 flow drifted.") });
    expect(ours).toMatchObject({ state: "closed", stateReason: "duplicate", duplicateIssueId: theirs + 5_000_000 });
    expect(github.state.issueComments.filter((c) => c.issueNumber === ours!.number).map((c) => c.body)).toEqual([`Duplicate of #${theirs}`]);
  });

  it("a second open issue left by an earlier race is closed as a duplicate of the oldest on the next audit", async () => {
    const oldest = github.addIssue({ repo: REPO, title: "t", body: marked("old"), author: BOT });
    const newer = github.addIssue({ repo: REPO, title: "t", body: marked("newer"), author: BOT });

    expect(await syncTrackingIssue(octokit, request())).toMatchObject({ action: "updated", number: oldest.number });
    expect(issues().map((i) => [i.number, i.state, i.stateReason ?? null])).toEqual([
      [oldest.number, "open", null],
      [newer.number, "closed", "duplicate"],
    ]);
  });

  it("an issue by someone else carrying the tracking marker is not adopted, updated or closed", async () => {
    const forged = github.addIssue({ repo: REPO, title: "mfdag: all clear", body: marked("nothing to see"), author: HUMAN });

    const result = await syncTrackingIssue(octokit, request());

    expect(result.action).toBe("created");
    expect(result.number).not.toBe(forged.number);
    expect(issues().find((i) => i.number === forged.number)).toMatchObject({ state: "open", body: marked("nothing to see") });
    expect(github.state.issueComments).toHaveLength(0);
  });

  it("two scheduled audits at once, both scanning before either opens an issue, end with one open tracking issue and the other closed as its duplicate", async () => {
    const repo = shopRepo();
    const schedule = { name: "schedule", payload: { schedule: "0 6 * * 1" } };
    // Neither issue is opened before both audits ask to open one: both scans found none.
    github.hold("POST /repos/acme/shop/issues", 2, 90_000);

    const runs = await Promise.all([runAction({ workspace: repo, apiUrl: github.url, event: schedule }), runAction({ workspace: repo, apiUrl: github.url, event: schedule })]);

    const tracking = github.state.issues.filter((i) => i.repo === "acme/shop");
    expect(tracking).toHaveLength(2);
    const [kept, duplicate] = tracking.sort((a, b) => a.number - b.number);
    expect(kept!.state).toBe("open");
    expect(duplicate).toMatchObject({ state: "closed", stateReason: "duplicate" });
    // Both runs name the issue that stays open.
    expect(runs.map((r) => r.outputs["issue-number"])).toEqual([String(kept!.number), String(kept!.number)]);
  }, 120_000);
});
