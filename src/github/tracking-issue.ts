/**
 * The scheduled audit's memory: one issue per tracking id, found by a hidden marker (not its title,
 * which people edit) and by its author. Opened when drift or compile errors appear, updated while
 * they last, closed with a comment when the repo is clean, reopened when drift comes back.
 */
import { fitCommentBody, identityOf, restLoginsOf, tokenLogin } from "./sticky-comment.js";
import { forbiddenMessage, httpStatus, isPermissionDenied, type Octokit } from "./octokit.js";

export interface TrackingIssueRequest {
  owner: string;
  repo: string;
  trackingId: string;
  title: string;
  /** Markdown without the marker. */
  body: string;
  labels: string[];
  /** Drift or errors exist: the issue should be open. */
  problems: boolean;
  /** Comment posted when the issue is closed or reopened. */
  closeComment: string;
  reopenComment: string;
}

export interface TrackingIssueResult {
  action: "created" | "updated" | "unchanged" | "reopened" | "closed" | "none" | "forbidden";
  number?: number;
  url?: string;
  message?: string;
  /** Labels that could not be created (the issue is still filed). */
  skippedLabels: string[];
}

/** Issues a scan for the marker reads: the newest first, at most this many pages of 100. */
const MAX_PAGES = 20;

export function trackingMarker(trackingId: string): string {
  return `<!-- mfdag:tracking-id=${trackingId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100) || "default"} -->`;
}

interface IssueSummary {
  number: number;
  state: string;
  body: string;
  url: string;
  author: string;
}

async function findIssue(octokit: Octokit, owner: string, repo: string, marker: string): Promise<IssueSummary | null> {
  const login = await tokenLogin(octokit);
  const isMe = identityOf(login);
  const scan = async (creator: string | undefined): Promise<IssueSummary | null> => {
    let pages = 0;
    const query = { owner, repo, state: "all" as const, sort: "created" as const, direction: "desc" as const, per_page: 100, ...(creator ? { creator } : {}) };
    for await (const response of octokit.paginate.iterator(octokit.rest.issues.listForRepo, query)) {
      for (const issue of response.data) {
        if ((issue as { pull_request?: unknown }).pull_request) continue;
        const body = issue.body ?? "";
        const author = issue.user?.login ?? "";
        // Only our own issues count: a user pasting the marker must not redirect the audit.
        if (body.startsWith(marker) && isMe(author)) return { number: issue.number, state: issue.state, body, url: issue.html_url, author };
      }
      if (++pages >= MAX_PAGES) break;
    }
    return null;
  };
  // Our own issues first, filtered by GitHub: in a busy repo the tracking issue can sit behind
  // more newer issues than a scan reads. A login the API does not take as a creator is skipped.
  for (const creator of restLoginsOf(login)) {
    try {
      const found = await scan(creator);
      if (found) return found;
    } catch (error) {
      if (httpStatus(error) !== 422) throw error;
    }
  }
  // Then the newest issues of anyone, should the creator filter not know the token's login.
  return scan(undefined);
}

/** Creates the labels that are missing; a token that may not create them only loses the labels. */
async function ensureLabels(octokit: Octokit, owner: string, repo: string, labels: string[]): Promise<string[]> {
  const skipped: string[] = [];
  for (const name of labels) {
    try {
      await octokit.rest.issues.createLabel({ owner, repo, name, color: "d93f0b", description: "Dagster definitions out of date (mfdag)" });
    } catch (error) {
      if (httpStatus(error) === 422) continue; // already exists
      skipped.push(name);
    }
  }
  return skipped;
}

export async function syncTrackingIssue(octokit: Octokit, request: TrackingIssueRequest): Promise<TrackingIssueResult> {
  const { owner, repo } = request;
  const marker = trackingMarker(request.trackingId);
  const body = `${marker}\n${fitCommentBody(request.body, "…cut: the full report is in the job summary.")}`;
  try {
    const existing = await findIssue(octokit, owner, repo, marker);
    if (!request.problems) {
      if (!existing || existing.state === "closed") return { action: "none", number: existing?.number, skippedLabels: [] };
      await octokit.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: request.closeComment });
      await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: "closed", state_reason: "completed", body });
      return { action: "closed", number: existing.number, url: existing.url, skippedLabels: [] };
    }
    if (!existing) {
      const skippedLabels = await ensureLabels(octokit, owner, repo, request.labels);
      const labels = request.labels.filter((label) => !skippedLabels.includes(label));
      const { data } = await octokit.rest.issues.create({ owner, repo, title: request.title, body, labels });
      return { action: "created", number: data.number, url: data.html_url, skippedLabels };
    }
    if (existing.state === "closed") {
      await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: "open", body });
      await octokit.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: request.reopenComment });
      return { action: "reopened", number: existing.number, url: existing.url, skippedLabels: [] };
    }
    if (existing.body === body) return { action: "unchanged", number: existing.number, url: existing.url, skippedLabels: [] };
    await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, body });
    return { action: "updated", number: existing.number, url: existing.url, skippedLabels: [] };
  } catch (error) {
    if (isPermissionDenied(error)) {
      return { action: "forbidden", message: forbiddenMessage("update the tracking issue", error).replace(/: the token cannot write.*$/, ": give the workflow `permissions: issues: write`."), skippedLabels: [] };
    }
    throw error;
  }
}
