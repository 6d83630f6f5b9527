/**
 * A real HTTP server on 127.0.0.1 standing in for the few GitHub REST/GraphQL endpoints mfdag uses,
 * with in-memory state, recorded requests and scripted faults. Tests talk to it through the real
 * Octokit (retry and throttling plugins included), so pagination, `Link` headers, retries and error
 * mapping are exercised for real; only GitHub itself is replaced.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeUser {
  login: string;
  type: "Bot" | "User";
}

export interface FakeIssueComment {
  id: number;
  /** `owner/repo`. */
  repo: string;
  issueNumber: number;
  body: string;
  user: FakeUser;
  createdAt: string;
  updatedAt: string;
}

/** One entry of `GET /pulls/{n}/files`; `patch` is absent for binary or huge files, as on GitHub. */
export interface FakePullFile {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  patch?: string;
  previous_filename?: string;
}

export interface FakeReviewComment {
  id: number;
  repo: string;
  pullNumber: number;
  reviewId: number;
  commitId: string;
  path: string;
  line: number;
  side: string;
  body: string;
  user: FakeUser;
}

export interface FakeReview {
  id: number;
  repo: string;
  pullNumber: number;
  commitId: string;
  event: string;
  body: string;
  comments: { path: string; line: number; side: string; body: string }[];
}

export interface FakeIssue {
  number: number;
  repo: string;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
  user: FakeUser;
  /** The last `state_reason` a PATCH gave (`completed`, `duplicate`, ...). */
  stateReason?: string;
  /** The `duplicate_issue_id` a PATCH closing as `duplicate` gave. */
  duplicateIssueId?: number;
}

/** A pull request opened through `POST /pulls` (the `pulls` map holds the ones tests set up for `GET /pulls/{n}`). */
export interface FakePullRequest {
  number: number;
  repo: string;
  title: string;
  body: string;
  state: "open" | "closed";
  /** Branch names in `repo` (no fork pull requests are opened through the API here). */
  head: string;
  base: string;
  user: FakeUser;
  /** The head commit when it was opened or last closed (an open one shows its branch's current head). */
  headSha: string;
  /** Closed by merging (set by tests: the fake has no merge endpoint). */
  merged?: boolean;
}

export interface FakeLabel {
  repo: string;
  name: string;
  color: string;
  description: string;
}

/** One entry of an issue's or pull request's `GET /issues/{n}/events`: a label added or removed. */
export interface FakeIssueEvent {
  repo: string;
  issueNumber: number;
  event: "labeled" | "unlabeled";
  label: string;
  actor: string;
}

export interface FakeGitHubState {
  /** What `query { viewer { login } }` answers; `null` answers with a GraphQL error instead. */
  viewerLogin: string | null;
  /** Author stamped on comments, reviews and issues created through the API. */
  apiAuthor: FakeUser;
  issueComments: FakeIssueComment[];
  /** Keyed by `owner/repo#number`. */
  pullFiles: Map<string, FakePullFile[]>;
  /** Pull requests for `GET /pulls/{n}`, keyed by `owner/repo#number`. */
  pulls: Map<string, { headSha: string; baseSha: string; labels?: string[]; author?: string }>;
  reviewComments: FakeReviewComment[];
  reviews: FakeReview[];
  /** Keyed by `owner/repo:path@ref`. */
  files: Map<string, string>;
  issues: FakeIssue[];
  labels: FakeLabel[];
  /** Oldest first, as GitHub lists them. */
  issueEvents: FakeIssueEvent[];
  /** Pull requests opened through the API; they share the issues' numbers, as on GitHub. */
  pullRequests: FakePullRequest[];
  /** What `GET /repos/{owner}/{repo}` names as the default branch. */
  defaultBranch: string;
  /**
   * A branch's head commit, `null` when the repository has no such branch: `POST /pulls` refuses a
   * head branch that does not exist, as GitHub does, and an open pull request shows its branch's
   * head. Tests point it at their git remote; `null`: every branch exists, at commit 0000….
   */
  branchHead: ((branch: string) => string | null) | null;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query, e.g. `/repos/o/r/issues/1/comments`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, the raw text when it is not JSON, `undefined` when empty. */
  body: unknown;
  /** `true` when a scripted fault answered instead of the fake's own handler. */
  scripted: boolean;
}

/**
 * An answer queued with `script()`. `rawBody` is sent verbatim (for malformed JSON). With
 * `trickleMs`, the status and headers go out at once and then the body never ends: one space
 * (valid JSON whitespace) every `trickleMs`, until the client gives up.
 */
export interface ScriptedResponse {
  status: number;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  trickleMs?: number;
}

/** Ready-made faults for `script()`. */
export const fault = {
  status: (status: number, message = "Server Error"): ScriptedResponse => ({ status, body: { message } }),
  /** What a read-only `GITHUB_TOKEN` (fork pull request) gets on a write. */
  forbidden: (): ScriptedResponse => ({
    status: 403,
    body: { message: "Resource not accessible by integration", documentation_url: "https://docs.github.com/rest" },
  }),
  notFound: (): ScriptedResponse => ({ status: 404, body: { message: "Not Found" } }),
  secondaryRateLimit: (retryAfterSeconds = 1): ScriptedResponse => ({
    status: 403,
    headers: { "retry-after": String(retryAfterSeconds) },
    body: {
      message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    },
  }),
  primaryRateLimit: (resetInSeconds = 1): ScriptedResponse => ({
    status: 403,
    headers: {
      "x-ratelimit-remaining": "0",
      "x-ratelimit-limit": "1000",
      "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + resetInSeconds),
    },
    body: { message: "API rate limit exceeded for installation." },
  }),
  unprocessable: (message = "Unprocessable Entity", errors: unknown[] = []): ScriptedResponse => ({
    status: 422,
    body: { message, errors },
  }),
  /** Headers at once, then a body of one byte every `intervalMs`, forever (a slowloris in reverse). */
  trickle: (intervalMs = 200): ScriptedResponse => ({
    status: 200,
    trickleMs: intervalMs,
    headers: { "content-type": "application/json; charset=utf-8" },
  }),
  malformedJson: (status = 200): ScriptedResponse => ({
    status,
    rawBody: '{"id": 1, "body": "cut off',
    headers: { "content-type": "application/json; charset=utf-8" },
  }),
};

export interface FakeGitHub {
  /** Base URL to pass as Octokit's `baseUrl` (`http://127.0.0.1:PORT`). */
  url: string;
  close(): Promise<void>;
  /** Every request, in order, including those answered by a scripted fault. */
  requests: RecordedRequest[];
  /** Requests whose `METHOD path` matches `route` (same syntax as `script`). */
  requestsTo(route: string): RecordedRequest[];
  state: FakeGitHubState;
  /**
   * Queues answers for the next requests matching `route`, e.g.
   * `script("PATCH /repos/{owner}/{repo}/issues/comments/{id}", fault.notFound())`. `{x}` matches
   * one path segment, `{x+}` one or more, `*` anything. Each answer is used once, in order; after
   * the queue is empty the fake's own handler answers again.
   */
  script(route: string, ...responses: ScriptedResponse[]): void;
  /**
   * Holds the first `count` requests matching `route` until all `count` have arrived (or
   * `maxWaitMs` passed), then answers them all: makes two concurrent runs really overlap, e.g.
   * both listing before either posts.
   */
  hold(route: string, count: number, maxWaitMs?: number): void;
  /**
   * Runs `fn` once, just before (`"before"`) or just after (`"after"`) the fake handles the next
   * request matching `route`: what another run does in between, e.g. a concurrent run's comment
   * appearing between our create and our re-list.
   */
  onNext(route: string, when: "before" | "after", fn: () => void): void;
  addIssueComment(options: { repo: string; issueNumber: number; body: string; author?: FakeUser }): FakeIssueComment;
  /** A review comment as someone wrote it (default author: the PR author, `HUMAN`). */
  addReviewComment(options: { repo: string; pullNumber: number; path: string; line: number; body: string; author?: FakeUser }): FakeReviewComment;
  /** An issue as someone opened it (default author: `apiAuthor`, as if opened through the API). */
  addIssue(options: { repo: string; title: string; body: string; state?: "open" | "closed"; labels?: string[]; author?: FakeUser }): FakeIssue;
  /** `count` filler comments (to push a comment to a later page). */
  addIssueComments(options: { repo: string; issueNumber: number; count: number; author?: FakeUser }): void;
  deleteIssueComment(id: number): void;
  setPullFiles(repo: string, pullNumber: number, files: FakePullFile[]): void;
  setFile(repo: string, path: string, ref: string, text: string): void;
}

export const BOT: FakeUser = { login: "github-actions[bot]", type: "Bot" };
export const HUMAN: FakeUser = { login: "octocat", type: "User" };

interface Route {
  method: string;
  pattern: RegExp;
  handle(ctx: Context): Reply;
}
interface Context {
  params: Record<string, string>;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  baseUrl: string;
  path: string;
}
interface Reply {
  status: number;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

/** Starts the fake on 127.0.0.1 at a free port. */
export async function start(): Promise<FakeGitHub> {
  const state: FakeGitHubState = {
    viewerLogin: "github-actions",
    apiAuthor: BOT,
    issueComments: [],
    pullFiles: new Map(),
    pulls: new Map(),
    reviewComments: [],
    reviews: [],
    files: new Map(),
    issues: [],
    labels: [],
    issueEvents: [],
    pullRequests: [],
    defaultBranch: "main",
    branchHead: null,
  };
  const requests: RecordedRequest[] = [];
  const scripts: { method: string; pattern: RegExp; responses: ScriptedResponse[] }[] = [];
  const holds: { method: string; pattern: RegExp; count: number; waiting: (() => void)[]; release: () => void }[] = [];
  const hooks: { method: string; pattern: RegExp; when: "before" | "after"; fn: () => void }[] = [];
  let nextId = 1000;
  let clock = Date.parse("2024-01-01T00:00:00Z");
  // Strictly increasing timestamps, so "newest" is well defined even within one millisecond.
  const now = () => new Date((clock += 1000)).toISOString();
  let url = "";

  const addIssueComment = (o: { repo: string; issueNumber: number; body: string; author?: FakeUser }) => {
    const at = now();
    const comment: FakeIssueComment = {
      id: nextId++,
      repo: o.repo,
      issueNumber: o.issueNumber,
      body: o.body,
      user: o.author ?? state.apiAuthor,
      createdAt: at,
      updatedAt: at,
    };
    state.issueComments.push(comment);
    return comment;
  };

  const commentJson = (c: FakeIssueComment) => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    body: c.body,
    user: userJson(c.user),
    html_url: `https://github.com/${c.repo}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    url: `${url}/repos/${c.repo}/issues/comments/${c.id}`,
    issue_url: `${url}/repos/${c.repo}/issues/${c.issueNumber}`,
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  });
  const reviewCommentJson = (c: FakeReviewComment) => ({
    id: c.id,
    pull_request_review_id: c.reviewId,
    commit_id: c.commitId,
    path: c.path,
    line: c.line,
    side: c.side,
    body: c.body,
    user: userJson(c.user),
    html_url: `https://github.com/${c.repo}/pull/${c.pullNumber}#discussion_r${c.id}`,
  });
  const issueJson = (i: FakeIssue) => ({
    id: i.number + 5_000_000,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    labels: i.labels.map((name) => ({ name })),
    user: userJson(i.user),
    html_url: `https://github.com/${i.repo}/issues/${i.number}`,
  });
  const repoOf = (p: Record<string, string>) => `${p.owner}/${p.repo}`;
  const notFound: Reply = { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
  const nextIssueNumber = (repo: string) => Math.max(0, ...[...state.issues, ...state.pullRequests].filter((i) => i.repo === repo).map((i) => i.number)) + 1;
  const headOf = (branch: string) => (state.branchHead ? state.branchHead(branch) : "0".repeat(40));
  const pullJson = (p: FakePullRequest) => {
    const [owner] = p.repo.split("/");
    const repository = { full_name: p.repo, owner: { login: owner } };
    return {
      id: p.number + 7_000_000,
      number: p.number,
      title: p.title,
      body: p.body,
      state: p.state,
      user: userJson(p.user),
      html_url: `https://github.com/${p.repo}/pull/${p.number}`,
      merged_at: p.merged ? "2024-01-02T00:00:00Z" : null,
      head: { ref: p.head, label: `${owner}:${p.head}`, repo: repository, sha: p.state === "open" ? headOf(p.head) ?? p.headSha : p.headSha },
      base: { ref: p.base, label: `${owner}:${p.base}`, repo: repository },
    };
  };

  const routes: Route[] = [
    route("GET /repos/{owner}/{repo}", (ctx) => ({ status: 200, body: { name: ctx.params.repo, full_name: repoOf(ctx.params), default_branch: state.defaultBranch } })),
    route("GET /repos/{owner}/{repo}/pulls", (ctx) => {
      const repo = repoOf(ctx.params);
      const wantState = ctx.query.state ?? "open";
      const items = state.pullRequests
        .filter((p) => p.repo === repo && (wantState === "all" || p.state === wantState))
        // Like GitHub: `head` is `owner:branch`; `base` a branch name.
        .filter((p) => !ctx.query.head || ctx.query.head === `${ctx.params.owner}:${p.head}`)
        .filter((p) => !ctx.query.base || ctx.query.base === p.base)
        .sort((a, b) => b.number - a.number);
      return page(ctx, items.map(pullJson));
    }),
    route("POST /repos/{owner}/{repo}/pulls", (ctx) => {
      const repo = repoOf(ctx.params);
      const { title, head, base } = ctx.body;
      if (typeof title !== "string" || title === "" || typeof head !== "string" || typeof base !== "string") return fault.unprocessable("Validation Failed", [{ resource: "PullRequest", code: "missing_field" }]);
      const headSha = headOf(head);
      if (headSha === null) return fault.unprocessable("Validation Failed", [{ resource: "PullRequest", field: "head", code: "invalid" }]);
      if (state.pullRequests.some((p) => p.repo === repo && p.state === "open" && p.head === head && p.base === base)) {
        return fault.unprocessable("Validation Failed", [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${ctx.params.owner}:${head}.` }]);
      }
      const pull: FakePullRequest = { number: nextIssueNumber(repo), repo, title, body: String(ctx.body.body ?? ""), state: "open", head, base, user: state.apiAuthor, headSha };
      state.pullRequests.push(pull);
      return { status: 201, body: pullJson(pull) };
    }),
    route("PATCH /repos/{owner}/{repo}/pulls/{number}", (ctx) => {
      const pull = state.pullRequests.find((p) => p.repo === repoOf(ctx.params) && p.number === Number(ctx.params.number));
      if (!pull) return notFound;
      if (typeof ctx.body.title === "string") pull.title = ctx.body.title;
      if (typeof ctx.body.body === "string") pull.body = ctx.body.body;
      if (ctx.body.state === "closed" && pull.state === "open") pull.headSha = headOf(pull.head) ?? pull.headSha;
      if (ctx.body.state === "open" || ctx.body.state === "closed") pull.state = ctx.body.state;
      return { status: 200, body: pullJson(pull) };
    }),
    route("POST /graphql", (ctx) => {
      const query = String(ctx.body.query ?? "");
      if (!/\bviewer\b/.test(query)) return { status: 200, body: { errors: [{ message: `fake-github: unsupported query ${query}` }] } };
      if (state.viewerLogin === null) {
        return { status: 200, body: { data: null, errors: [{ type: "FORBIDDEN", path: ["viewer"], message: "Resource not accessible by integration" }] } };
      }
      return { status: 200, body: { data: { viewer: { login: state.viewerLogin } } } };
    }),
    route("GET /repos/{owner}/{repo}/issues/{number}/comments", (ctx) => {
      const repo = repoOf(ctx.params);
      const items = state.issueComments.filter((c) => c.repo === repo && c.issueNumber === Number(ctx.params.number));
      return page(ctx, items.map(commentJson));
    }),
    route("POST /repos/{owner}/{repo}/issues/{number}/comments", (ctx) => {
      const body = ctx.body.body;
      if (typeof body !== "string" || body === "") return fault.unprocessable("Validation Failed", [{ field: "body", code: "missing_field" }]);
      if (body.length > 65_536) return fault.unprocessable("Validation Failed", [{ message: "Body is too long (maximum is 65536 characters)" }]);
      return { status: 201, body: commentJson(addIssueComment({ repo: repoOf(ctx.params), issueNumber: Number(ctx.params.number), body })) };
    }),
    route("PATCH /repos/{owner}/{repo}/issues/comments/{id}", (ctx) => {
      const comment = state.issueComments.find((c) => c.repo === repoOf(ctx.params) && c.id === Number(ctx.params.id));
      if (!comment) return notFound;
      const body = ctx.body.body;
      if (typeof body !== "string" || body === "") return fault.unprocessable("Validation Failed", [{ field: "body", code: "missing_field" }]);
      if (body.length > 65_536) return fault.unprocessable("Validation Failed", [{ message: "Body is too long (maximum is 65536 characters)" }]);
      comment.body = body;
      comment.updatedAt = now();
      return { status: 200, body: commentJson(comment) };
    }),
    route("DELETE /repos/{owner}/{repo}/issues/comments/{id}", (ctx) => {
      const index = state.issueComments.findIndex((c) => c.repo === repoOf(ctx.params) && c.id === Number(ctx.params.id));
      if (index < 0) return notFound;
      state.issueComments.splice(index, 1);
      return { status: 204 };
    }),
    route("GET /repos/{owner}/{repo}/pulls/{number}", (ctx) => {
      const pull = state.pulls.get(`${repoOf(ctx.params)}#${ctx.params.number}`);
      if (!pull) return notFound;
      return {
        status: 200,
        body: {
          number: Number(ctx.params.number),
          state: "open",
          head: { sha: pull.headSha },
          base: { sha: pull.baseSha },
          labels: (pull.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed" })),
          user: userJson({ login: pull.author ?? "alice", type: "User" }),
        },
      };
    }),
    route("GET /repos/{owner}/{repo}/pulls/{number}/files", (ctx) => {
      const files = state.pullFiles.get(`${repoOf(ctx.params)}#${ctx.params.number}`);
      if (!files) return notFound;
      return page(
        ctx,
        files.map((f, i) => ({ sha: `sha${i}`, additions: 0, deletions: 0, changes: 0, ...f })),
      );
    }),
    route("GET /repos/{owner}/{repo}/pulls/{number}/comments", (ctx) => {
      const repo = repoOf(ctx.params);
      const items = state.reviewComments.filter((c) => c.repo === repo && c.pullNumber === Number(ctx.params.number));
      return page(ctx, items.map(reviewCommentJson));
    }),
    route("POST /repos/{owner}/{repo}/pulls/{number}/reviews", (ctx) => {
      const repo = repoOf(ctx.params);
      const pullNumber = Number(ctx.params.number);
      const comments = (Array.isArray(ctx.body.comments) ? ctx.body.comments : []) as FakeReview["comments"];
      // Like GitHub, refuse comments on files the pull request does not touch (when files are known).
      const files = state.pullFiles.get(`${repo}#${pullNumber}`);
      for (const c of comments) {
        if (files && !files.some((f) => f.filename === c.path)) {
          return fault.unprocessable("Unprocessable Entity", ["Path could not be resolved"]);
        }
      }
      const review: FakeReview = {
        id: nextId++,
        repo,
        pullNumber,
        commitId: String(ctx.body.commit_id ?? ""),
        event: String(ctx.body.event ?? "PENDING"),
        body: String(ctx.body.body ?? ""),
        comments,
      };
      state.reviews.push(review);
      for (const c of comments) {
        state.reviewComments.push({ id: nextId++, repo, pullNumber, reviewId: review.id, commitId: review.commitId, path: c.path, line: c.line, side: c.side ?? "RIGHT", body: c.body, user: state.apiAuthor });
      }
      return {
        status: 200,
        body: { id: review.id, state: "COMMENTED", body: review.body, commit_id: review.commitId, user: userJson(state.apiAuthor), html_url: `https://github.com/${repo}/pull/${pullNumber}#pullrequestreview-${review.id}` },
      };
    }),
    route("GET /repos/{owner}/{repo}/contents/{path+}", (ctx) => {
      const ref = ctx.query.ref ?? "main";
      const text = state.files.get(`${repoOf(ctx.params)}:${ctx.params.path}@${ref}`);
      if (text === undefined) return notFound;
      const bytes = Buffer.from(text, "utf8");
      if (/\bvnd\.github(?:\.v3)?\.raw\b/.test(String(ctx.headers.accept ?? ""))) {
        return { status: 200, rawBody: text, headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
      }
      // Like GitHub: base64 wrapped at 60 columns, and no content at all above 1 MB.
      const large = bytes.length > 1_000_000;
      return {
        status: 200,
        body: {
          type: "file",
          path: ctx.params.path,
          name: String(ctx.params.path).split("/").pop(),
          size: bytes.length,
          sha: "0".repeat(40),
          encoding: large ? "none" : "base64",
          content: large ? "" : (bytes.toString("base64").match(/.{1,60}/g) ?? []).join("\n") + "\n",
        },
      };
    }),
    route("GET /repos/{owner}/{repo}/issues", (ctx) => {
      const repo = repoOf(ctx.params);
      const wantState = ctx.query.state ?? "open";
      const wantLabels = ctx.query.labels ? ctx.query.labels.split(",").map((l) => l.trim()) : [];
      const items = state.issues
        .filter((i) => i.repo === repo && (wantState === "all" || i.state === wantState))
        .filter((i) => wantLabels.every((l) => i.labels.includes(l)))
        .filter((i) => !ctx.query.creator || i.user.login === ctx.query.creator)
        .sort((a, b) => b.number - a.number);
      return page(ctx, items.map(issueJson));
    }),
    route("GET /repos/{owner}/{repo}/issues/{number}/events", (ctx) => {
      const repo = repoOf(ctx.params);
      const events = state.issueEvents.filter((e) => e.repo === repo && e.issueNumber === Number(ctx.params.number));
      return page(
        ctx,
        events.map((e, i) => ({ id: i + 1, event: e.event, actor: userJson({ login: e.actor, type: "User" }), label: { name: e.label, color: "ededed" }, created_at: now() })),
      );
    }),
    route("GET /repos/{owner}/{repo}/issues/{number}", (ctx) => {
      const issue = state.issues.find((i) => i.repo === repoOf(ctx.params) && i.number === Number(ctx.params.number));
      return issue ? { status: 200, body: issueJson(issue) } : notFound;
    }),
    route("POST /repos/{owner}/{repo}/issues", (ctx) => {
      const repo = repoOf(ctx.params);
      if (typeof ctx.body.title !== "string" || ctx.body.title === "") return fault.unprocessable("Validation Failed", [{ field: "title", code: "missing_field" }]);
      const issue: FakeIssue = {
        number: nextIssueNumber(repo),
        repo,
        title: ctx.body.title,
        body: String(ctx.body.body ?? ""),
        state: "open",
        labels: labelNames(ctx.body.labels),
        user: state.apiAuthor,
      };
      state.issues.push(issue);
      return { status: 201, body: issueJson(issue) };
    }),
    route("PATCH /repos/{owner}/{repo}/issues/{number}", (ctx) => {
      const issue = state.issues.find((i) => i.repo === repoOf(ctx.params) && i.number === Number(ctx.params.number));
      if (!issue) return notFound;
      if (typeof ctx.body.title === "string") issue.title = ctx.body.title;
      if (typeof ctx.body.body === "string") issue.body = ctx.body.body;
      if (ctx.body.state === "open" || ctx.body.state === "closed") {
        issue.state = ctx.body.state;
        // Like GitHub: the reason counts only with a change of state.
        if (typeof ctx.body.state_reason === "string") issue.stateReason = ctx.body.state_reason;
        if (ctx.body.state_reason === "duplicate" && typeof ctx.body.duplicate_issue_id === "number") issue.duplicateIssueId = ctx.body.duplicate_issue_id;
      }
      if (ctx.body.labels !== undefined) issue.labels = labelNames(ctx.body.labels);
      return { status: 200, body: issueJson(issue) };
    }),
    route("POST /repos/{owner}/{repo}/labels", (ctx) => {
      const repo = repoOf(ctx.params);
      const name = ctx.body.name;
      if (typeof name !== "string" || name === "") return fault.unprocessable("Validation Failed", [{ field: "name", code: "missing_field" }]);
      if (state.labels.some((l) => l.repo === repo && l.name.toLowerCase() === name.toLowerCase())) {
        return fault.unprocessable("Validation Failed", [{ resource: "Label", code: "already_exists", field: "name" }]);
      }
      const label: FakeLabel = { repo, name, color: String(ctx.body.color ?? "ededed"), description: String(ctx.body.description ?? "") };
      state.labels.push(label);
      return { status: 201, body: { name: label.name, color: label.color, description: label.description } };
    }),
  ];

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, { status: 500, body: { message: `fake-github crashed: ${String(error)}` } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const parsedUrl = new URL(req.url ?? "/", url);
    const path = parsedUrl.pathname.split("/").map(safeDecode).join("/");
    const query = Object.fromEntries(parsedUrl.searchParams);
    const body = parseBody(raw);
    const method = req.method ?? "GET";
    const key = `${method} ${path}`;
    const matches = (m: { method: string; pattern: RegExp }) => m.method === method && m.pattern.test(path);
    const hold = holds.find((h) => matches(h) && h.count > 0);
    if (hold) {
      hold.count--;
      const released = new Promise<void>((resolve) => hold.waiting.push(resolve));
      if (hold.count === 0) hold.release();
      await released;
    }
    const takeHook = (when: "before" | "after") => {
      const index = hooks.findIndex((h) => h.when === when && matches(h));
      if (index >= 0) hooks.splice(index, 1)[0]!.fn();
    };
    takeHook("before");
    const scripted = scripts.find((s) => matches(s) && s.responses.length > 0);
    requests.push({ method, path, query, headers: req.headers, body, scripted: scripted !== undefined });
    if (scripted) {
      send(res, scripted.responses.shift()!);
    } else {
      const r = routes.find((candidate) => candidate.method === method && candidate.pattern.test(path));
      const match = r?.pattern.exec(path);
      if (r && match) {
        const ctx: Context = { params: { ...match.groups }, query, headers: req.headers, body: isRecord(body) ? body : {}, baseUrl: url, path };
        send(res, r.handle(ctx));
      } else {
        send(res, { status: 404, body: { message: `fake-github: no route for ${key}` } });
      }
    }
    takeHook("after");
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: the fake must never be reachable from outside this machine.
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://127.0.0.1:${address.port}`;

  return {
    url,
    requests,
    state,
    requestsTo(routeText) {
      const { method, pattern } = compile(routeText);
      return requests.filter((r) => r.method === method && pattern.test(r.path));
    },
    script(routeText, ...responses) {
      const { method, pattern } = compile(routeText);
      scripts.push({ method, pattern, responses: [...responses] });
    },
    hold(routeText, count, maxWaitMs = 30_000) {
      const { method, pattern } = compile(routeText);
      const entry = {
        method,
        pattern,
        count,
        waiting: [] as (() => void)[],
        release: () => {
          clearTimeout(timer);
          for (const resolve of entry.waiting.splice(0)) resolve();
        },
      };
      // Bounded: a run that never comes cannot keep the other waiting past maxWaitMs.
      const timer = setTimeout(() => {
        entry.count = 0;
        entry.release();
      }, maxWaitMs);
      timer.unref();
      holds.push(entry);
    },
    onNext(routeText, when, fn) {
      hooks.push({ ...compile(routeText), when, fn });
    },
    addIssueComment,
    addReviewComment({ repo, pullNumber, path, line, body, author = HUMAN }) {
      const comment: FakeReviewComment = { id: nextId++, repo, pullNumber, reviewId: nextId++, commitId: "0".repeat(40), path, line, side: "RIGHT", body, user: author };
      state.reviewComments.push(comment);
      return comment;
    },
    addIssue({ repo, title, body, state: issueState = "open", labels = [], author = state.apiAuthor }) {
      const issue: FakeIssue = { number: nextIssueNumber(repo), repo, title, body, state: issueState, labels, user: author };
      state.issues.push(issue);
      return issue;
    },
    addIssueComments({ repo, issueNumber, count, author = HUMAN }) {
      for (let i = 0; i < count; i++) addIssueComment({ repo, issueNumber, body: `filler comment ${i + 1}`, author });
    },
    deleteIssueComment(id) {
      const index = state.issueComments.findIndex((c) => c.id === id);
      if (index >= 0) state.issueComments.splice(index, 1);
    },
    setPullFiles(repo, pullNumber, files) {
      state.pullFiles.set(`${repo}#${pullNumber}`, files);
    },
    setFile(repo, path, ref, text) {
      state.files.set(`${repo}:${path}@${ref}`, text);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Octokit's fetch keeps connections alive; without this close() waits for them to time out.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** `per_page` (default 30, at most 100) and `page`, with GitHub's `Link` header. */
function page(ctx: Context, items: unknown[]): Reply {
  const perPage = Math.min(100, Math.max(1, Number(ctx.query.per_page ?? 30) || 30));
  const pageNumber = Math.max(1, Number(ctx.query.page ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (n: number, rel: string) => {
    const target = new URL(ctx.path, ctx.baseUrl);
    for (const [k, v] of Object.entries(ctx.query)) target.searchParams.set(k, v);
    target.searchParams.set("per_page", String(perPage));
    target.searchParams.set("page", String(n));
    return `<${target.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNumber < last) links.push(link(pageNumber + 1, "next"), link(last, "last"));
  if (pageNumber > 1) links.push(link(1, "first"), link(pageNumber - 1, "prev"));
  return {
    status: 200,
    body: items.slice((pageNumber - 1) * perPage, pageNumber * perPage),
    headers: links.length > 0 ? { link: links.join(", ") } : {},
  };
}

function route(text: string, handle: (ctx: Context) => Reply): Route {
  return { ...compile(text), handle };
}

/** `METHOD /a/{x}/b/{rest+}/*` → method and an anchored regex with named groups. */
function compile(text: string): { method: string; pattern: RegExp } {
  const [method = "", path = ""] = text.trim().split(/\s+/, 2);
  const source = path
    .split(/(\{[A-Za-z_]+\+?\}|\*)/)
    .map((part) => {
      const placeholder = /^\{([A-Za-z_]+)(\+?)\}$/.exec(part);
      if (placeholder) return placeholder[2] ? `(?<${placeholder[1]}>.+)` : `(?<${placeholder[1]}>[^/]+)`;
      if (part === "*") return ".*";
      return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return { method: method.toUpperCase(), pattern: new RegExp(`^${source}$`) };
}

function send(res: ServerResponse, reply: Reply & { trickleMs?: number }): void {
  const headers: Record<string, string> = {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-github-request-id": "FAKE:0001",
    ...(reply.rawBody === undefined && reply.body !== undefined ? { "content-type": "application/json; charset=utf-8" } : {}),
    ...reply.headers,
  };
  res.writeHead(reply.status, headers);
  if (reply.trickleMs !== undefined) {
    res.flushHeaders();
    const drip = setInterval(() => res.write(" "), reply.trickleMs);
    // Ends when the client gives up or close() drops the connection.
    res.on("close", () => clearInterval(drip));
    return;
  }
  if (reply.rawBody !== undefined) res.end(reply.rawBody);
  else if (reply.body !== undefined && reply.status !== 204) res.end(JSON.stringify(reply.body));
  else res.end();
}

function userJson(user: FakeUser) {
  return { login: user.login, type: user.type, id: hash(user.login) };
}

function labelNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((l) => (typeof l === "string" ? l : String((l as { name?: unknown }).name ?? "")));
}

function hash(text: string): number {
  let h = 7;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000;
  return h;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseBody(raw: string): unknown {
  if (raw === "") return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
