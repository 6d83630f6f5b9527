/**
 * One pull-request comment per `commentId` that mfdag keeps up to date instead of posting a new one
 * on every push. The comment is found by a hidden marker and by its author, so a user who pastes
 * the marker into their own comment cannot make mfdag overwrite (or hide behind) it.
 */
import { fitMarkdown } from "../render/fit.js";
import { tokenIdentity } from "./identity.js";
import { firstPages, forbiddenMessage, httpStatus, isPermissionDenied, type Octokit } from "./octokit.js";

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
 * otherwise cut after the last whole line that fits, closing an open code fence and HTML elements
 * (`<details>`), then `pointer`.
 */
export function fitCommentBody(body: string, pointer: string, limit = COMMENT_BODY_LIMIT - MARKER_ROOM): string {
  return fitMarkdown(body, { limit, pointer });
}

/** One of our marker comments, as the listing shows it. */
interface OurComment {
  id: number;
  body: string;
  url: string;
}

/** Issue comments read while looking for ours: 50 pages of 100, so a flood of comments cannot stall the job. */
const MAX_COMMENT_PAGES = 50;
/** Duplicates deleted per run; more (only after many concurrent runs) go on the next run. */
const MAX_DELETES = 10;

/**
 * Creates or updates the comment marked `commentId` on the issue or pull request, per `mode`.
 * Of several (two runs at once each create one), the oldest is kept and the others deleted, so
 * every run converges on the same comment.
 */
export async function upsertStickyComment(octokit: Octokit, request: StickyCommentRequest): Promise<StickyCommentResult> {
  const { owner, repo, mode } = request;
  if (mode === "never") return { action: "skipped" };
  const marker = markerFor(request.commentId);
  const body = `${marker}\n${fitCommentBody(request.body, request.cutPointer ?? DEFAULT_CUT_POINTER, COMMENT_BODY_LIMIT - marker.length - 1)}`;

  let ours: OurComment[];
  try {
    ours = await listOurComments(octokit, request, marker);
  } catch (error) {
    // 404 on a read: a private repo the token cannot see.
    if (isPermissionDenied(error) || httpStatus(error) === 404) return { action: "forbidden", message: forbiddenMessage("read the pull request's comments", error) };
    throw error;
  }

  try {
    const [oldest, ...duplicates] = ours;
    if (!oldest) {
      if (mode === "on-change" && !request.hasChanges) return { action: "skipped" };
      return await createAndConverge(octokit, request, marker, body);
    }
    await deleteComments(octokit, request, duplicates);
    if (oldest.body === body) return { action: "unchanged", id: oldest.id, url: oldest.url };
    try {
      const { data } = await octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { owner, repo, comment_id: oldest.id, body });
      return { action: "updated", ...commentRef(data) };
    } catch (error) {
      // Deleted between listing and updating: post it again rather than lose the report.
      if (httpStatus(error) === 404) return await createAndConverge(octokit, request, marker, body);
      throw error;
    }
  } catch (error) {
    if (isPermissionDenied(error)) return { action: "forbidden", message: forbiddenMessage("post the pull request comment", error) };
    throw error;
  }
}

/**
 * Our comments marked `marker`, oldest first. Ours means written by the token's identity: a user
 * who pastes the marker into their own comment cannot make mfdag overwrite, delete or hide
 * behind it. Sorted by id, which grows with creation (`created_at` has one-second resolution).
 */
async function listOurComments(octokit: Octokit, request: StickyCommentRequest, marker: string): Promise<OurComment[]> {
  const { owner, repo, issueNumber } = request;
  const [comments, isMine] = await Promise.all([
    octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: issueNumber, per_page: 100 }, firstPages(MAX_COMMENT_PAGES)),
    tokenIdentity(octokit),
  ]);
  return (
    comments
      // The marker must open the body: user content quoted further down (a help text holding
      // another id's marker) cannot make this comment look like someone else's.
      .filter((c) => c.body?.startsWith(marker) && isMine(c.user?.login))
      .sort((a, b) => a.id - b.id)
      .map((c) => ({ id: c.id, body: c.body ?? "", url: c.html_url }))
  );
}

/**
 * Posts the comment, then looks again: a run on the same pull request at the same time may have
 * posted one too, unseen by both listings. Every run keeps the oldest, so they agree; a run whose
 * comment is not the oldest moves its report into the oldest and deletes its own.
 */
async function createAndConverge(octokit: Octokit, request: StickyCommentRequest, marker: string, body: string): Promise<StickyCommentResult> {
  const { owner, repo, issueNumber } = request;
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: issueNumber, body });
  const ref = commentRef(data);
  const created: StickyCommentResult = { action: "created", ...ref };
  let ours: OurComment[];
  try {
    ours = await listOurComments(octokit, request, marker);
  } catch {
    return created; // The report is posted; the next run tidies up.
  }
  const oldest = ours[0];
  if (!oldest || oldest.id === ref.id) {
    await deleteComments(octokit, request, ours.slice(1));
    return created;
  }
  try {
    const { data: kept } = await octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", { owner, repo, comment_id: oldest.id, body });
    // Ours first, even when the listing did not show it yet: it is the one this run must not leave.
    const others = ours.slice(1).filter((c) => c.id !== ref.id);
    await deleteComments(octokit, request, [{ ...ref, body }, ...others]);
    return { action: "updated", ...commentRef(kept) };
  } catch {
    // The oldest could not take the report (deleted meanwhile, or GitHub failing): keep ours,
    // which holds it; the next run converges.
    return created;
  }
}

/**
 * Deletes duplicates of our comment, best effort: at most MAX_DELETES, and a failure (already
 * deleted by the other run, no permission, GitHub down) leaves a duplicate, never a lost report.
 */
async function deleteComments(octokit: Octokit, request: StickyCommentRequest, comments: OurComment[]): Promise<void> {
  const { owner, repo } = request;
  for (const comment of comments.slice(0, MAX_DELETES)) {
    try {
      await octokit.request("DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}", { owner, repo, comment_id: comment.id });
    } catch {
      // best effort, see above
    }
  }
}

/** Octokit hands a body that is not JSON over as text; a "created" without an id would hide that. */
function commentRef(data: unknown): { id: number; url: string } {
  const comment = data as { id?: unknown; html_url?: unknown } | null;
  if (typeof comment !== "object" || comment === null || typeof comment.id !== "number" || typeof comment.html_url !== "string") {
    throw new Error(`GitHub answered with something that is not a comment: ${String(JSON.stringify(data)).slice(0, 200)}`);
  }
  return { id: comment.id, url: comment.html_url };
}
