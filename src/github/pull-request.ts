/**
 * What a pull request changes, as far as review comments care: which files, and on which lines of
 * the new version a comment can be placed (GitHub refuses comments on lines outside the diff).
 */
import { httpStatus, type Octokit } from "./octokit.js";

export interface PullRequestFile {
  filename: string;
  /** `added`, `removed`, `modified`, `renamed`, ... as GitHub reports it. */
  status: string;
  /** Where a `renamed` file was at the pull request's base. */
  previousFilename: string | null;
  /**
   * RIGHT-side (new file) line numbers shown in the diff: added lines and context lines, where a
   * review comment may go. Empty when GitHub sends no patch (binary or very large files).
   */
  addedLines: Set<number>;
}

/** Every file of the pull request (all pages), with the lines a review comment can target. */
export async function listPullRequestFiles(
  octokit: Octokit,
  { owner, repo, pullNumber }: { owner: string; repo: string; pullNumber: number },
): Promise<PullRequestFile[]> {
  const files = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { owner, repo, pull_number: pullNumber, per_page: 100 });
  return files.map((f) => ({ filename: f.filename, status: f.status, previousFilename: f.previous_filename ?? null, addedLines: rightSideLines(f.patch ?? "") }));
}

/**
 * RIGHT-side line numbers in a unified-diff `patch` as GitHub sends it (hunks only, no file
 * header). Hunk lengths bound each hunk, so a trailing newline or an empty context line (some
 * tools strip the leading space) cannot shift the numbering.
 */
export function rightSideLines(patch: string): Set<number> {
  const lines = new Set<number>();
  let next = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const line of patch.split("\n")) {
    const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      oldLeft = Number(hunk[1] ?? 1);
      next = Number(hunk[2]);
      newLeft = Number(hunk[3] ?? 1);
      continue;
    }
    if (oldLeft <= 0 && newLeft <= 0) continue;
    if (line.startsWith("\\")) continue; // "\ No newline at end of file"
    if (line.startsWith("+")) {
      lines.add(next++);
      newLeft--;
    } else if (line.startsWith("-")) {
      oldLeft--;
    } else {
      lines.add(next++);
      newLeft--;
      oldLeft--;
    }
  }
  return lines;
}

/** The text of `path` at `ref`, or `null` when it does not exist there (or is not a file). */
export async function getFileAtRef(
  octokit: Octokit,
  { owner, repo, path, ref }: { owner: string; repo: string; path: string; ref: string },
): Promise<string | null> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { owner, repo, path, ref });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return null;
    if (data.encoding === "base64") return Buffer.from(data.content, "base64").toString("utf8");
    // Above 1 MB GitHub sends no content (`encoding: "none"`); the raw media type still works.
    const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner,
      repo,
      path,
      ref,
      headers: { accept: "application/vnd.github.raw+json" },
    });
    return typeof raw.data === "string" ? raw.data : Buffer.from(raw.data as unknown as ArrayBuffer).toString("utf8");
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

/**
 * The pull request's labels and author as GitHub has them now. The event payload's are as they
 * were when the event was sent, and "Re-run jobs" replays that payload, label since removed or not.
 */
export async function currentLabels(octokit: Octokit, where: { owner: string; repo: string; number: number }): Promise<{ labels: string[]; author: string | null }> {
  const { labels, author } = await currentPullRequest(octokit, where);
  return { labels, author };
}

/** The pull request as GitHub has it now: its head and base commits, labels and author. */
export async function currentPullRequest(
  octokit: Octokit,
  { owner, repo, number }: { owner: string; repo: string; number: number },
): Promise<{ headSha: string; baseSha: string; labels: string[]; author: string | null }> {
  const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
  const labels = (data.labels ?? []).map((label) => label.name).filter((name): name is string => typeof name === "string");
  return { headSha: data.head.sha, baseSha: data.base.sha, labels, author: data.user?.login ?? null };
}

/** Pages of an issue's events read at most when looking for who added a label (100 events each). */
const MAX_EVENT_PAGES = 10;

/**
 * Who last added `label` (any case) to the pull request, from its issue events (oldest first, so
 * the last match is the label it carries now); `null` when they do not say, or when there are
 * more pages than are read: an earlier labeler must not be named for a later one.
 */
export async function labelAddedBy(octokit: Octokit, { owner, repo, number }: { owner: string; repo: string; number: number }, label: string): Promise<string | null> {
  let by: string | null = null;
  let pages = 0;
  for await (const { data } of octokit.paginate.iterator("GET /repos/{owner}/{repo}/issues/{issue_number}/events", { owner, repo, issue_number: number, per_page: 100 })) {
    for (const event of data) {
      if (event.event !== "labeled" || !("label" in event)) continue;
      const name = (event.label as { name?: unknown } | undefined)?.name;
      if (typeof name === "string" && name.toLowerCase() === label.toLowerCase() && event.actor?.login) by = event.actor.login;
    }
    if (++pages >= MAX_EVENT_PAGES) return data.length < 100 ? by : null;
  }
  return by;
}
