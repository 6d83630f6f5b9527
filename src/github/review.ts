/**
 * Line comments on a pull request, posted as one review so people get one notification, and never
 * twice: each comment carries a hidden hash of what it says and where, and a rerun skips the ones
 * already there that the token itself wrote.
 */
import { createHash } from "node:crypto";
import { tokenIdentity } from "./identity.js";
import { firstPages, forbiddenMessage, httpStatus, isPermissionDenied, type Octokit } from "./octokit.js";

export interface ReviewLineComment {
  /** Repo-relative path of a file the pull request changes. */
  path: string;
  /** RIGHT-side line shown in the diff (see `listPullRequestFiles`). */
  line: number;
  body: string;
}

export interface ReviewRequest {
  owner: string;
  repo: string;
  pullNumber: number;
  /** The head commit the line numbers refer to. */
  commitId: string;
  comments: ReviewLineComment[];
  /** Optional text of the review itself. */
  body?: string;
}

export interface ReviewResult {
  action: "posted" | "nothing-new" | "forbidden" | "failed";
  /** Line comments posted (or that would have been, for `forbidden`/`failed`). */
  count: number;
  message?: string;
}

/** Review comments read to find ours: 50 pages of 100, so a flood of comments cannot stall the job. */
const MAX_COMMENT_PAGES = 50;
/** A review marker closing a comment body, as `postReview` writes it. */
const REVIEW_MARKER_AT_END = /<!-- mfdag:review [0-9a-f]{40} -->$/;

/** The hidden marker appended to a line comment; the same finding at the same place gets the same one. */
export function reviewMarker({ path, line, body }: ReviewLineComment): string {
  const digest = createHash("sha1").update(`${path}\n${line}\n${body}`).digest("hex");
  return `<!-- mfdag:review ${digest} -->`;
}

/** Posts the comments not already on the pull request as one `COMMENT` review. */
export async function postReview(octokit: Octokit, request: ReviewRequest): Promise<ReviewResult> {
  const { owner, repo, pullNumber } = request;
  let fresh: { path: string; line: number; side: "RIGHT"; body: string }[];
  try {
    const [existing, isMine] = await Promise.all([
      octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/comments", { owner, repo, pull_number: pullNumber, per_page: 100 }, firstPages(MAX_COMMENT_PAGES)),
      tokenIdentity(octokit),
    ]);
    const seen = new Set<string>();
    for (const c of existing) {
      // Only a marker mfdag wrote counts, at the end where mfdag puts it: a PR author's comment
      // (or text of theirs quoted in one of ours) carrying a marker must not suppress the finding.
      const marker = REVIEW_MARKER_AT_END.exec(c.body)?.[0];
      if (marker && isMine(c.user?.login)) seen.add(marker);
    }
    fresh = [];
    for (const comment of request.comments) {
      const marker = reviewMarker(comment);
      if (seen.has(marker)) continue;
      seen.add(marker); // the same comment twice in one batch is posted once
      fresh.push({ path: comment.path, line: comment.line, side: "RIGHT", body: `${comment.body}\n\n${marker}` });
    }
  } catch (error) {
    if (isPermissionDenied(error) || httpStatus(error) === 404) {
      return { action: "forbidden", count: 0, message: forbiddenMessage("read the pull request's review comments", error) };
    }
    throw error;
  }
  if (fresh.length === 0) return { action: "nothing-new", count: 0 };

  try {
    await octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
      owner,
      repo,
      pull_number: pullNumber,
      commit_id: request.commitId,
      event: "COMMENT",
      ...(request.body ? { body: request.body } : {}),
      comments: fresh,
    });
    return { action: "posted", count: fresh.length };
  } catch (error) {
    if (isPermissionDenied(error)) return { action: "forbidden", count: fresh.length, message: forbiddenMessage("post the review comments", error) };
    // Usually a line outside the diff or a commit that is no longer the head: report, do not fail the check.
    if (httpStatus(error) === 422) {
      const detail = (error instanceof Error ? error.message : String(error)).split("\n")[0];
      return { action: "failed", count: fresh.length, message: `GitHub refused the review (HTTP 422): ${detail}` };
    }
    throw error;
  }
}
