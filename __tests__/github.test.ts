/**
 * The GitHub publishing layer against a real HTTP server on 127.0.0.1 (helpers/fake-github.ts),
 * through the real Octokit from `createOctokit`, retry and throttling plugins included.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Logger } from "../src/core/ports.js";
import { createOctokit, type Octokit } from "../src/github/octokit.js";
import { getFileAtRef, listPullRequestFiles, rightSideLines } from "../src/github/pull-request.js";
import { postReview, reviewMarker } from "../src/github/review.js";
import { COMMENT_BODY_LIMIT, fitCommentBody, markerFor, upsertStickyComment, type StickyCommentRequest } from "../src/github/sticky-comment.js";
import { BOT, fault, HUMAN, start, type FakeGitHub } from "./helpers/fake-github.js";

const REPO = "acme/pipelines";
const COMMENTS = "GET /repos/acme/pipelines/issues/7/comments";
const CREATE = "POST /repos/acme/pipelines/issues/7/comments";
const UPDATE = "PATCH /repos/acme/pipelines/issues/comments/{id}";

let github: FakeGitHub;
let octokit: Octokit;
let warnings: string[];

function recordingLogger(): Logger {
  return { info() {}, debug() {}, warning: (m) => void warnings.push(m), group: (_t, fn) => fn() };
}

beforeEach(async () => {
  github = await start();
  warnings = [];
  octokit = createOctokit({ token: "test-token", baseUrl: github.url, logger: recordingLogger(), retryBaseMs: 5, paceWrites: false });
});
afterEach(async () => {
  await github.close();
});

const comment = (overrides: Partial<StickyCommentRequest> = {}): StickyCommentRequest => ({
  owner: "acme",
  repo: "pipelines",
  issueNumber: 7,
  commentId: "drift",
  body: "## mfdag\n\n1 flow drifted.",
  mode: "always",
  hasChanges: true,
  ...overrides,
});
const commentsOn7 = () => github.state.issueComments.filter((c) => c.issueNumber === 7);

describe("upsertStickyComment", () => {
  it("creates the comment on the first call, with the marker first", async () => {
    const result = await upsertStickyComment(octokit, comment());

    expect(result).toMatchObject({ action: "created", id: expect.any(Number), url: expect.stringContaining("#issuecomment-") });
    expect(commentsOn7()).toHaveLength(1);
    expect(commentsOn7()[0]!.body).toBe(`${markerFor("drift")}\n## mfdag\n\n1 flow drifted.`);
    expect(github.requestsTo(CREATE)[0]!.headers.authorization).toBe("token test-token");
  });

  it("updates the same comment on the second call instead of posting another", async () => {
    const first = await upsertStickyComment(octokit, comment());
    const second = await upsertStickyComment(octokit, comment({ body: "## mfdag\n\nAll definitions up to date." }));

    expect(second).toMatchObject({ action: "updated", id: first.id });
    expect(commentsOn7()).toHaveLength(1);
    expect(commentsOn7()[0]!.body).toContain("All definitions up to date.");
  });

  it("finds the marker comment on page 3 of the comments", async () => {
    github.addIssueComments({ repo: REPO, issueNumber: 7, count: 230 });
    const ours = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nold report`, author: BOT });
    github.addIssueComments({ repo: REPO, issueNumber: 7, count: 5 });

    const result = await upsertStickyComment(octokit, comment());

    expect(result).toMatchObject({ action: "updated", id: ours.id });
    expect(github.requestsTo(CREATE)).toHaveLength(0);
    expect(github.requestsTo(COMMENTS).map((r) => [r.query.per_page, r.query.page ?? "1"])).toEqual([
      ["100", "1"],
      ["100", "2"],
      ["100", "3"],
    ]);
  });

  it("ignores a comment with the marker from another author", async () => {
    const forged = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nlooks fine to me`, author: HUMAN });

    const result = await upsertStickyComment(octokit, comment());

    expect(result.action).toBe("created");
    expect(result.id).not.toBe(forged.id);
    expect(github.state.issueComments.find((c) => c.id === forged.id)!.body).toContain("looks fine to me");
  });

  it("recognizes its own comments by the token's login when the viewer is an app", async () => {
    github.state.viewerLogin = "mfdag-app";
    github.state.apiAuthor = { login: "mfdag-app[bot]", type: "Bot" };
    github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nby the default bot`, author: BOT });
    const ours = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nold`, author: github.state.apiAuthor });

    expect(await upsertStickyComment(octokit, comment())).toMatchObject({ action: "updated", id: ours.id });
  });

  it("falls back to github-actions[bot] as the author when the token cannot query its login", async () => {
    github.state.viewerLogin = null;
    const ours = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nold`, author: BOT });

    expect(await upsertStickyComment(octokit, comment())).toMatchObject({ action: "updated", id: ours.id });
  });

  it("updates the oldest of several marker comments and deletes the others, so runs converge on one", async () => {
    const older = github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nolder`, author: BOT });
    github.addIssueComment({ repo: REPO, issueNumber: 7, body: `${markerFor("drift")}\nnewer`, author: BOT });

    expect(await upsertStickyComment(octokit, comment())).toMatchObject({ action: "updated", id: older.id });
    expect(commentsOn7().map((c) => c.id)).toEqual([older.id]);
    expect(commentsOn7()[0]!.body).toContain("1 flow drifted.");
  });

  it("keeps separate comments for separate comment ids", async () => {
    await upsertStickyComment(octokit, comment({ commentId: "drift", body: "drift report" }));
    await upsertStickyComment(octokit, comment({ commentId: "lints", body: "lint report" }));
    await upsertStickyComment(octokit, comment({ commentId: "lints", body: "lint report v2" }));

    expect(commentsOn7().map((c) => c.body)).toEqual([`${markerFor("drift")}\ndrift report`, `${markerFor("lints")}\nlint report v2`]);
  });

  it("sanitizes comment ids so user text cannot forge or break the marker", () => {
    expect(markerFor("a -->b<!-- x")).toBe("<!-- mfdag:comment-id=a_--_b__--_x -->");
    expect(markerFor("job.v1_2-x")).toBe("<!-- mfdag:comment-id=job.v1_2-x -->");
  });

  it("does not PATCH when the body is unchanged", async () => {
    const first = await upsertStickyComment(octokit, comment());
    const second = await upsertStickyComment(octokit, comment());

    expect(second).toMatchObject({ action: "unchanged", id: first.id });
    expect(github.requestsTo(UPDATE)).toHaveLength(0);
  });

  it("posts a new comment when the existing one was deleted before the update (404 on PATCH)", async () => {
    const first = await upsertStickyComment(octokit, comment());
    github.onNext(UPDATE, "before", () => github.deleteIssueComment(first.id!));

    const second = await upsertStickyComment(octokit, comment({ body: "newer report" }));

    expect(second.action).toBe("created");
    expect(second.id).not.toBe(first.id);
    expect(github.requestsTo(UPDATE)).toHaveLength(1);
  });

  it("returns a forbidden outcome instead of throwing when the token may not comment (403)", async () => {
    github.script(CREATE, fault.forbidden());

    const result = await upsertStickyComment(octokit, comment());

    expect(result.action).toBe("forbidden");
    expect(result.message).toMatch(/Resource not accessible by integration/);
    expect(result.message).toMatch(/workflow_run/);
    expect(result.message).not.toContain("\n");
    expect(commentsOn7()).toHaveLength(0);
  });

  it("returns a forbidden outcome when the comments cannot even be listed (404)", async () => {
    github.script(COMMENTS, fault.notFound());

    expect((await upsertStickyComment(octokit, comment())).action).toBe("forbidden");
  });

  it("retries server errors: 500 twice, then 200 succeeds", async () => {
    github.script(CREATE, fault.status(500), fault.status(502, "Bad Gateway"));

    const result = await upsertStickyComment(octokit, comment());

    expect(result.action).toBe("created");
    expect(github.requestsTo(CREATE).map((r) => r.scripted)).toEqual([true, true, false]);
    expect(commentsOn7()).toHaveLength(1);
  });

  it("retries after a secondary rate limit, honouring retry-after, and warns", async () => {
    github.script(CREATE, fault.secondaryRateLimit(1));

    const result = await upsertStickyComment(octokit, comment());

    expect(result.action).toBe("created");
    expect(github.requestsTo(CREATE)).toHaveLength(2);
    expect(warnings.join("\n")).toMatch(/secondary rate limit on POST .*retrying in 1 s/);
  });

  it("retries after a primary rate limit (403 with x-ratelimit-remaining: 0)", async () => {
    github.script(COMMENTS, fault.primaryRateLimit(1));

    expect((await upsertStickyComment(octokit, comment())).action).toBe("created");
    // The limited listing and its retry, then the look for a concurrent run's comment after posting.
    expect(github.requestsTo(COMMENTS).map((r) => r.scripted)).toEqual([true, false, false]);
    expect(warnings.join("\n")).toMatch(/primary rate limit/);
  });

  it("throws on a rate limit that persists: it is not a permissions problem", async () => {
    github.script(CREATE, fault.secondaryRateLimit(1), fault.secondaryRateLimit(1), fault.secondaryRateLimit(1));

    await expect(upsertStickyComment(octokit, comment())).rejects.toMatchObject({ status: 403 });
    expect(github.requestsTo(CREATE)).toHaveLength(3);
    expect(warnings.join("\n")).toMatch(/giving up/);
  });

  it("retries a 429 secondary limit through the throttling plugin only (3 requests at most, not 12)", async () => {
    const tooMany = { ...fault.secondaryRateLimit(1), status: 429 };
    github.script(CREATE, tooMany, tooMany, tooMany, tooMany, tooMany);

    await expect(upsertStickyComment(octokit, comment())).rejects.toMatchObject({ status: 429 });
    expect(github.requestsTo(CREATE)).toHaveLength(3);
  });

  it("throws when GitHub answers a write with malformed JSON instead of reporting a comment without an id", async () => {
    github.script(CREATE, fault.malformedJson(201));

    await expect(upsertStickyComment(octokit, comment())).rejects.toThrow(/not a comment/);
  });

  it("throws on other errors", async () => {
    github.script(CREATE, fault.unprocessable("Validation Failed"));

    await expect(upsertStickyComment(octokit, comment())).rejects.toMatchObject({ status: 422 });
  });

  it("posts nothing in on-change mode when there are no changes and no comment yet", async () => {
    const result = await upsertStickyComment(octokit, comment({ mode: "on-change", hasChanges: false }));

    expect(result).toEqual({ action: "skipped" });
    expect(github.requestsTo(CREATE)).toHaveLength(0);
    expect(commentsOn7()).toHaveLength(0);
  });

  it("updates an existing comment to 'up to date' in on-change mode once the drift is fixed", async () => {
    await upsertStickyComment(octokit, comment({ mode: "on-change", hasChanges: true, body: "1 flow drifted." }));
    const result = await upsertStickyComment(octokit, comment({ mode: "on-change", hasChanges: false, body: "All up to date." }));

    expect(result.action).toBe("updated");
    expect(commentsOn7()[0]!.body).toContain("All up to date.");
  });

  it("sends no request at all in never mode", async () => {
    expect(await upsertStickyComment(octokit, comment({ mode: "never" }))).toEqual({ action: "skipped" });
    expect(github.requests).toHaveLength(0);
  });

  it("cuts an oversized body so that GitHub accepts it", async () => {
    const body = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"x".repeat(40)}`).join("\n");

    const result = await upsertStickyComment(octokit, comment({ body, cutPointer: "…cut: see the job summary" }));

    expect(result.action).toBe("created");
    const posted = commentsOn7()[0]!.body;
    expect(posted.length).toBeLessThanOrEqual(COMMENT_BODY_LIMIT);
    expect(posted.endsWith("\n\n…cut: see the job summary")).toBe(true);
  });
});

describe("fitCommentBody", () => {
  const pointer = "…cut: see the job summary";
  const diffBlock = (i: number) =>
    ["", `### flows/flow_${i}.py`, "", "```diff", ...Array.from({ length: 12 }, (_, j) => `-    field_${j}: int = ${j}  # help ${i}\n+    field_${j}: float = ${j}.5  # help ${i}`), "```"].join("\n");

  it("leaves a body that fits alone", () => {
    expect(fitCommentBody("short\n```diff\n+a", pointer)).toBe("short\n```diff\n+a");
  });

  it("cuts many ```diff blocks at a line, closes the open fence and stays within 65,536 with the marker", () => {
    const body = Array.from({ length: 400 }, (_, i) => diffBlock(i)).join("\n");
    expect(body.length).toBeGreaterThan(COMMENT_BODY_LIMIT);

    const fitted = fitCommentBody(body, pointer);

    expect(`${markerFor("x".repeat(300))}\n${fitted}`.length).toBeLessThanOrEqual(COMMENT_BODY_LIMIT);
    expect(fitted.endsWith(`\n\n${pointer}`)).toBe(true);
    const lines = fitted.split("\n");
    expect(lines.filter((l) => l.startsWith("```")).length % 2).toBe(0);
    // Every kept line is a whole line of the original (apart from the added fence and pointer).
    const original = new Set(body.split("\n"));
    expect(lines.slice(0, -3).every((l) => original.has(l))).toBe(true);
    expect(fitted.length).toBeGreaterThan(COMMENT_BODY_LIMIT - 500);
  });

  it("closes a longer fence with the same length, so inner ``` lines do not count", () => {
    const body = ["intro", "````markdown", "```diff", "+x", "```", ...Array.from({ length: 100 }, () => "y".repeat(50))].join("\n");

    const fitted = fitCommentBody(body, pointer, 400);

    expect(fitted.length).toBeLessThanOrEqual(400);
    expect(fitted.split("\n").slice(-3)).toEqual(["````", "", pointer]);
  });

  it("adds no closing fence when the cut falls outside a code block", () => {
    const body = ["```diff", "+a", "```", ...Array.from({ length: 100 }, (_, i) => `paragraph ${i}`)].join("\n");

    const fitted = fitCommentBody(body, pointer, 300);

    expect(fitted.split("\n").filter((l) => l.startsWith("```"))).toEqual(["```diff", "```"]);
  });
});

describe("postReview", () => {
  const review = (comments = [
    { path: "dagster/train_dagster.py", line: 12, body: "`epochs` changed type: int → float." },
    { path: "flows/train_flow.py", line: 4, body: "Regenerate the definitions." },
  ]) => ({ owner: "acme", repo: "pipelines", pullNumber: 7, commitId: "a".repeat(40), comments });
  const REVIEWS = "POST /repos/acme/pipelines/pulls/7/reviews";

  it("posts one COMMENT review with line comments on the RIGHT side", async () => {
    const result = await postReview(octokit, review());

    expect(result).toEqual({ action: "posted", count: 2 });
    const posted = github.requestsTo(REVIEWS);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.body).toMatchObject({
      event: "COMMENT",
      commit_id: "a".repeat(40),
      comments: [
        { path: "dagster/train_dagster.py", line: 12, side: "RIGHT", body: expect.stringContaining("`epochs` changed type") },
        { path: "flows/train_flow.py", line: 4, side: "RIGHT", body: expect.stringMatching(/<!-- mfdag:review [0-9a-f]{40} -->$/) },
      ],
    });
  });

  it("posts nothing new on a rerun, and only the new comment when one is added", async () => {
    await postReview(octokit, review());
    expect(await postReview(octokit, review())).toEqual({ action: "nothing-new", count: 0 });
    expect(github.requestsTo(REVIEWS)).toHaveLength(1);

    const added = { path: "flows/train_flow.py", line: 9, body: "Another finding." };
    expect(await postReview(octokit, review([...review().comments, added]))).toEqual({ action: "posted", count: 1 });
    expect((github.requestsTo(REVIEWS)[1]!.body as { comments: unknown[] }).comments).toHaveLength(1);
    expect(github.state.reviewComments).toHaveLength(3);
  });

  it("recognizes its comments across pages of existing review comments", async () => {
    const finding = review().comments[0]!;
    for (let i = 0; i < 150; i++) {
      github.state.reviewComments.push({ id: i + 1, repo: REPO, pullNumber: 7, reviewId: 1, commitId: "b", path: "x.py", line: 1, side: "RIGHT", body: `human ${i}`, user: HUMAN });
    }
    github.state.reviewComments.push({ id: 999, repo: REPO, pullNumber: 7, reviewId: 2, commitId: "b", path: finding.path, line: finding.line, side: "RIGHT", body: `${finding.body}\n\n${reviewMarker(finding)}`, user: BOT });

    expect(await postReview(octokit, review([finding]))).toEqual({ action: "nothing-new", count: 0 });
  });

  it("returns a failed outcome on 422 (line not in the diff) without throwing", async () => {
    github.script(REVIEWS, fault.unprocessable("Unprocessable Entity", ["Line could not be resolved"]));

    const result = await postReview(octokit, review());

    expect(result.action).toBe("failed");
    expect(result.message).toMatch(/422.*Line could not be resolved/);
    expect(github.state.reviews).toHaveLength(0);
  });

  it("returns a forbidden outcome on 403", async () => {
    github.script(REVIEWS, fault.forbidden());

    expect(await postReview(octokit, review())).toMatchObject({ action: "forbidden", message: expect.stringMatching(/workflow_run/) });
  });
});

describe("pull request files and contents", () => {
  // As GitHub sends it for a regenerated definitions file: two hunks, a deletion, a missing final newline.
  const PATCH = [
    "@@ -1,6 +1,7 @@",
    " from dagster import Config",
    " ",
    "-class TrainFlowConfig(Config):",
    "+class TrainFlowConfig(Config):  # regenerated",
    "+    batch_size: int = 32  # Batch size",
    "     epochs: int = 10  # Training epochs",
    "     learning_rate: float = 0.001  # Optimizer step size",
    "     model: str = 'two-tower'",
    "@@ -40,4 +41,3 @@ def train_job():",
    "     op_a()",
    "-    op_b()",
    "-    op_c()",
    "+    op_d()",
    "     return None",
    "\\ No newline at end of file",
  ].join("\n");

  it("parses hunk headers into RIGHT-side line numbers of added and context lines", async () => {
    github.setPullFiles(REPO, 7, [
      { filename: "dagster/train_dagster.py", status: "modified", patch: PATCH },
      { filename: "assets/logo.png", status: "added" },
    ]);

    const files = await listPullRequestFiles(octokit, { owner: "acme", repo: "pipelines", pullNumber: 7 });

    expect(files.map((f) => [f.filename, f.status, [...f.addedLines]])).toEqual([
      ["dagster/train_dagster.py", "modified", [1, 2, 3, 4, 5, 6, 7, 41, 42, 43]],
      ["assets/logo.png", "added", []],
    ]);
  });

  it("lists files across pages", async () => {
    github.setPullFiles(REPO, 7, Array.from({ length: 120 }, (_, i) => ({ filename: `f${i}.py`, status: "added" as const, patch: "@@ -0,0 +1 @@\n+x" })));

    const files = await listPullRequestFiles(octokit, { owner: "acme", repo: "pipelines", pullNumber: 7 });

    expect(files).toHaveLength(120);
    expect([...files[119]!.addedLines]).toEqual([1]);
  });

  it("counts hunks without lengths and a new file's lines", () => {
    expect([...rightSideLines("@@ -0,0 +1,3 @@\n+a\n+b\n+c\n")]).toEqual([1, 2, 3]);
    expect([...rightSideLines("@@ -5 +5 @@\n-old\n+new")]).toEqual([5]);
    expect([...rightSideLines("@@ -3,2 +3,0 @@\n-gone\n-gone too")]).toEqual([]);
  });

  it("reads a file at a ref, decoding GitHub's base64", async () => {
    const text = "class TrainFlowConfig(Config):\n    epochs: int = 10  # Training épochs ✓\n".repeat(20);
    github.setFile(REPO, "dagster/train_dagster.py", "main", text);

    expect(await getFileAtRef(octokit, { owner: "acme", repo: "pipelines", path: "dagster/train_dagster.py", ref: "main" })).toBe(text);
    expect(github.requestsTo("GET /repos/acme/pipelines/contents/dagster/train_dagster.py")[0]!.query.ref).toBe("main");
  });

  it("reads a file over 1 MB through the raw media type", async () => {
    const text = "# big\n".repeat(200_000);
    github.setFile(REPO, "big.py", "main", text);

    expect(await getFileAtRef(octokit, { owner: "acme", repo: "pipelines", path: "big.py", ref: "main" })).toBe(text);
  });

  it("returns null for a file that does not exist at the ref", async () => {
    github.setFile(REPO, "dagster/train_dagster.py", "main", "x");

    expect(await getFileAtRef(octokit, { owner: "acme", repo: "pipelines", path: "dagster/train_dagster.py", ref: "feature" })).toBeNull();
  });
});

describe("fake GitHub", () => {
  it("listens on 127.0.0.1 only", () => {
    expect(new URL(github.url).hostname).toBe("127.0.0.1");
  });

  it("answers a scripted malformed JSON body, and Octokit surfaces it as text rather than data", async () => {
    github.script("GET /repos/{owner}/{repo}/issues/{n}", fault.malformedJson());

    const { data } = await octokit.request("GET /repos/{owner}/{repo}/issues/{issue_number}", { owner: "acme", repo: "pipelines", issue_number: 1 });

    expect(typeof data).toBe("string");
  });
});
