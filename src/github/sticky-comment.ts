/**
 * One pull-request comment per `commentId` that mfdag keeps up to date instead of posting a new one
 * on every push. The comment is found by a hidden marker and by its author, so a user who pastes
 * the marker into their own comment cannot make mfdag overwrite (or hide behind) it.
 */
import { forbiddenMessage, httpStatus, isPermissionDenied, type Octokit } from "./octokit.js";

/** `always`: create or update; `on-change`: only once there is something to say; `never`: nothing. */
export type CommentMode = "always" | "on-change" | "never";

export interface StickyCommentRequest {
  owner: string;
  repo: string;
  issueNumber: number;
  /** Tells several mfdag comments on one pull request apart (e.g. one per job). */
  commentId: string;
  /** Markdown without the marker. Cut with `fitCommentBody` when too long. */
  body: string;
  mode: CommentMode;
  /** Whether the report has something to say; `on-change` creates no comment until it does. */
  hasChanges: boolean;
  /** Appended when the body had to be cut. */
  cutPointer?: string;
}

export interface StickyCommentResult {
  action: "created" | "updated" | "unchanged" | "skipped" | "forbidden";
  id?: number;
  url?: string;
  /** Why nothing was posted, for `forbidden`. */
  message?: string;
}

/** GitHub refuses comment bodies longer than this. */
export const COMMENT_BODY_LIMIT = 65_536;
const MAX_COMMENT_ID_LENGTH = 100;
/** Room for the longest marker and the newline after it. */
const MARKER_ROOM = `<!-- mfdag:comment-id=${"x".repeat(MAX_COMMENT_ID_LENGTH)} -->\n`.length;
const DEFAULT_CUT_POINTER = "…cut: the full report is in the job summary.";
/** The author `GITHUB_TOKEN` comments carry, for when the token cannot tell us who it is. */
const ACTIONS_BOT = "github-actions[bot]";

/**
 * The hidden marker for `commentId`. Only `[A-Za-z0-9_.-]` survive, so an id cannot close the HTML
 * comment early or inject text that other markers would match.
 */
export function markerFor(commentId: string): string {
  const safe = commentId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, MAX_COMMENT_ID_LENGTH) || "default";
  return `<!-- mfdag:comment-id=${safe} -->`;
}

/**
 * `body` unchanged when it fits in `limit` (by default GitHub's limit minus room for the marker);
 * otherwise cut after the last whole line that fits, closing an open code fence, then `pointer`.
 */
export function fitCommentBody(body: string, pointer: string, limit = COMMENT_BODY_LIMIT - MARKER_ROOM): string {
  if (body.length <= limit) return body;
  const tail = `\n${pointer}`;
  const kept: string[] = [];
  let keptLength = 0;
  let fence: string | null = null;
  for (const line of body.split("\n")) {
    const fenceAfter = nextFence(fence, line);
    // What the result would be if we stopped right after this line: the lines, a closing fence
    // when one is open, and the pointer.
    const closing = fenceAfter ? fenceAfter.length + 1 : 0;
    if (keptLength + line.length + 1 + closing + tail.length > limit) break;
    kept.push(line);
    keptLength += line.length + 1;
    fence = fenceAfter;
  }
  if (fence) kept.push(fence);
  return `${kept.join("\n")}\n${tail}`.slice(0, limit);
}

/**
 * The fence open after `line`: a line of 3+ backticks (or tildes) opens one; inside, only a line of
 * the same character, at least as long and with nothing after it, closes it (CommonMark rules).
 */
function nextFence(open: string | null, line: string): string | null {
  const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
  if (!match) return open;
  const [, marks = "", rest = ""] = match;
  if (open === null) {
    // A backtick fence's info string cannot contain backticks (then it is inline code).
    return marks[0] === "`" && rest.includes("`") ? null : marks;
  }
  return marks[0] === open[0] && marks.length >= open.length && rest.trim() === "" ? null : open;
}

/** Creates or updates the comment marked `commentId` on the issue or pull request, per `mode`. */
export async function upsertStickyComment(octokit: Octokit, request: StickyCommentRequest): Promise<StickyCommentResult> {
  const { owner, repo, issueNumber, mode } = request;
  if (mode === "never") return { action: "skipped" };
  const marker = markerFor(request.commentId);
  const body = `${marker}\n${fitCommentBody(request.body, request.cutPointer ?? DEFAULT_CUT_POINTER, COMMENT_BODY_LIMIT - marker.length - 1)}`;

  let existing: { id: number; body: string; url: string } | undefined;
  try {
    const [comments, isMine] = await Promise.all([
      octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: issueNumber, per_page: 100 }),
      tokenIdentity(octokit),
    ]);
    // The marker must open the body: user content quoted further down (a help text holding
    // another id's marker) cannot make this comment look like someone else's.
    const ours = comments.filter((c) => c.body?.startsWith(marker) && c.user && isMine(c.user.login));
    // Several can exist after a race between two runs; the newest is the one people read.
    const newest = ours.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id).at(-1);
    if (newest) existing = { id: newest.id, body: newest.body ?? "", url: newest.html_url };
  } catch (error) {
    // 404 on a read: a private repo the token cannot see.
    if (isPermissionDenied(error) || httpStatus(error) === 404) return { action: "forbidden", message: forbiddenMessage("read the pull request's comments", error) };
    throw error;
  }

  try {
    if (!existing) {
      if (mode === "on-change" && !request.hasChanges) return { action: "skipped" };
      return await create(octokit, request, body);
    }
    if (existing.body === body) return { action: "unchanged", id: existing.id, url: existing.url };
    try {
      const { data } = await octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { owner, repo, comment_id: existing.id, body });
      return { action: "updated", ...commentRef(data) };
    } catch (error) {
      // Deleted between listing and updating: post it again rather than lose the report.
      if (httpStatus(error) === 404) return await create(octokit, request, body);
      throw error;
    }
  } catch (error) {
    if (isPermissionDenied(error)) return { action: "forbidden", message: forbiddenMessage("post the pull request comment", error) };
    throw error;
  }
}

async function create(octokit: Octokit, request: StickyCommentRequest, body: string): Promise<StickyCommentResult> {
  const { owner, repo, issueNumber } = request;
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: issueNumber, body });
  return { action: "created", ...commentRef(data) };
}

/** Octokit hands a body that is not JSON over as text; a "created" without an id would hide that. */
function commentRef(data: unknown): { id: number; url: string } {
  const comment = data as { id?: unknown; html_url?: unknown } | null;
  if (typeof comment !== "object" || comment === null || typeof comment.id !== "number" || typeof comment.html_url !== "string") {
    throw new Error(`GitHub answered with something that is not a comment: ${String(JSON.stringify(data)).slice(0, 200)}`);
  }
  return { id: comment.id, url: comment.html_url };
}

/**
 * Who the token is, as a test on comment authors. GraphQL's `viewer` answers for PATs and app
 * installation tokens alike (`my-app` for the comments' `my-app[bot]`), hence the `[bot]` stripping.
 */
export async function tokenIdentity(octokit: Octokit): Promise<(login: string) => boolean> {
  return identityOf(await tokenLogin(octokit));
}

/** The token's own login, from GraphQL `viewer`; null when the token may not ask. */
export async function tokenLogin(octokit: Octokit): Promise<string | null> {
  try {
    const { viewer } = await octokit.graphql<{ viewer: { login: string } }>("query { viewer { login } }");
    return viewer.login;
  } catch {
    return null;
  }
}

/**
 * Whether a REST author login is the token's: bots are `name` in GraphQL and `name[bot]` in REST.
 * Without a login (some tokens may not query `viewer`), the Actions token is the likely author.
 */
export function identityOf(me: string | null): (login: string) => boolean {
  if (me === null) return (login) => login === ACTIONS_BOT;
  const normalize = (login: string) => login.replace(/\[bot\]$/, "").toLowerCase();
  return (login) => normalize(login) === normalize(me);
}

/** The REST logins the token's own issues and comments may carry (see identityOf). */
export function restLoginsOf(me: string | null): string[] {
  if (me === null) return [ACTIONS_BOT];
  return me.endsWith("[bot]") ? [me] : [me, `${me}[bot]`];
}
