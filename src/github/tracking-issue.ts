/**
 * The scheduled audit's memory: one issue per tracking id, found by a hidden marker (not its title,
 * which people edit) and by its author; of several (two audits at once), the oldest. Opened when drift or compile errors appear, updated while
 * they last, closed with a comment when the repo is clean, reopened when drift comes back.
 */
import { identityOf, restLoginsOf, tokenLogin } from "./identity.js";
import { fitCommentBody } from "./sticky-comment.js";
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
/** Duplicates closed per run; more (only after many concurrent audits) go on the next run. */
const MAX_DUPLICATE_CLOSES = 5;

export function trackingMarker(trackingId: string): string {
  return `<!-- mfdag:tracking-id=${trackingId.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 100) || "default"} -->`;
}

interface IssueSummary {
  number: number;
  /** The REST id, which `duplicate_issue_id` takes. */
  id: number;
  state: string;
  body: string;
  url: string;
}

/**
 * Our issues marked `marker`, oldest first. Ours means opened by the token's identity: a user
 * pasting the marker must not redirect the audit. Two audits at once can each open one; every
 * run keeps the oldest, so they agree on it.
 */
async function findOurIssues(octokit: Octokit, owner: string, repo: string, marker: string): Promise<IssueSummary[]> {
  const login = await tokenLogin(octokit);
  const isMe = identityOf(login);
  const scan = async (creator: string | undefined): Promise<IssueSummary[]> => {
    const found: IssueSummary[] = [];
    let pages = 0;
    let pagesSinceFound = 0;
    const query = { owner, repo, state: "all" as const, sort: "created" as const, direction: "desc" as const, per_page: 100, ...(creator ? { creator } : {}) };
    for await (const response of octokit.paginate.iterator(octokit.rest.issues.listForRepo, query)) {
      for (const issue of response.data) {
        if ((issue as { pull_request?: unknown }).pull_request) continue;
        const body = issue.body ?? "";
        if (body.startsWith(marker) && isMe(issue.user?.login)) found.push({ number: issue.number, id: issue.id, state: issue.state, body, url: issue.html_url });
      }
      // Duplicates are opened seconds apart, so they sit on the page of the first one found or the
      // next; reading further would only cost requests in a busy repository.
      if (found.length > 0 && ++pagesSinceFound >= 2) break;
      if (++pages >= MAX_PAGES) break;
    }
    return found.sort((a, b) => a.number - b.number);
  };
  // Our own issues first, filtered by GitHub: in a busy repo the tracking issue can sit behind
  // more newer issues than a scan reads. A login the API does not take as a creator is skipped.
  for (const creator of restLoginsOf(login)) {
    try {
      const found = await scan(creator);
      if (found.length > 0) return found;
    } catch (error) {
      if (httpStatus(error) !== 422) throw error;
    }
  }
  // Then the newest issues of anyone, should the creator filter not know the token's login.
  return scan(undefined);
}

/**
 * Closes open `duplicates` of `canonical` as duplicates, best effort: at most MAX_DUPLICATE_CLOSES,
 * and a failure leaves a duplicate open for the next run, never the audit failed.
 */
async function closeDuplicates(octokit: Octokit, owner: string, repo: string, canonical: IssueSummary, duplicates: IssueSummary[]): Promise<void> {
  for (const duplicate of duplicates.filter((issue) => issue.state === "open").slice(0, MAX_DUPLICATE_CLOSES)) {
    try {
      // GitHub's own words for marking a duplicate, which links the two issues.
      await octokit.rest.issues.createComment({ owner, repo, issue_number: duplicate.number, body: `Duplicate of #${canonical.number}` });
      try {
        await octokit.rest.issues.update({ owner, repo, issue_number: duplicate.number, state: "closed", state_reason: "duplicate", duplicate_issue_id: canonical.id });
      } catch (error) {
        // A GitHub Enterprise Server that predates the `duplicate` reason refuses it.
        if (httpStatus(error) !== 422) throw error;
        await octokit.rest.issues.update({ owner, repo, issue_number: duplicate.number, state: "closed", state_reason: "not_planned" });
      }
    } catch {
      // best effort, see above
    }
  }
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
    const [existing, ...duplicates] = await findOurIssues(octokit, owner, repo, marker);
    if (existing) await closeDuplicates(octokit, owner, repo, existing, duplicates);
    if (!request.problems) {
      if (!existing || existing.state === "closed") return { action: "none", number: existing?.number, skippedLabels: [] };
      await octokit.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: request.closeComment });
      await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: "closed", state_reason: "completed", body });
      return { action: "closed", number: existing.number, url: existing.url, skippedLabels: [] };
    }
    if (!existing) return await createAndConverge(octokit, request, marker, body);
    return await keepOpen(octokit, request, existing, body);
  } catch (error) {
    if (isPermissionDenied(error)) {
      return { action: "forbidden", message: forbiddenMessage("update the tracking issue", error).replace(/: the token cannot write.*$/, ": give the workflow `permissions: issues: write`."), skippedLabels: [] };
    }
    throw error;
  }
}

/** Reopens or updates `existing` so that it shows `body`. */
async function keepOpen(octokit: Octokit, request: TrackingIssueRequest, existing: IssueSummary, body: string): Promise<TrackingIssueResult> {
  const { owner, repo } = request;
  if (existing.state === "closed") {
    await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, state: "open", body });
    await octokit.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: request.reopenComment });
    return { action: "reopened", number: existing.number, url: existing.url, skippedLabels: [] };
  }
  if (existing.body === body) return { action: "unchanged", number: existing.number, url: existing.url, skippedLabels: [] };
  await octokit.rest.issues.update({ owner, repo, issue_number: existing.number, body });
  return { action: "updated", number: existing.number, url: existing.url, skippedLabels: [] };
}

/**
 * Opens the issue, then looks again: an audit running at the same time may have opened one too,
 * unseen by both scans. Every run keeps the oldest; a run whose issue is not the oldest moves its
 * report into the oldest and closes its own as a duplicate.
 */
async function createAndConverge(octokit: Octokit, request: TrackingIssueRequest, marker: string, body: string): Promise<TrackingIssueResult> {
  const { owner, repo } = request;
  const skippedLabels = await ensureLabels(octokit, owner, repo, request.labels);
  const labels = request.labels.filter((label) => !skippedLabels.includes(label));
  const { data } = await octokit.rest.issues.create({ owner, repo, title: request.title, body, labels });
  const mine: IssueSummary = { number: data.number, id: data.id, state: "open", body, url: data.html_url };
  const created: TrackingIssueResult = { action: "created", number: mine.number, url: mine.url, skippedLabels };
  let ours: IssueSummary[];
  try {
    ours = await findOurIssues(octokit, owner, repo, marker);
  } catch {
    return created; // The issue is filed; the next run tidies up.
  }
  const oldest = ours[0];
  // Ours is the oldest: a newer one is the other run's to close (closing it here too would post
  // "Duplicate of" twice); a run that died before closing it leaves it to the next audit.
  if (!oldest || oldest.number === mine.number) return created;
  try {
    const kept = await keepOpen(octokit, request, oldest, body);
    // Ours first, even when the scan did not show it yet: it is the one this run must not leave open.
    await closeDuplicates(octokit, owner, repo, oldest, [mine, ...ours.slice(1).filter((issue) => issue.number !== mine.number)]);
    return { ...kept, skippedLabels };
  } catch {
    // The oldest could not take the report: keep ours, which holds it; the next run converges.
    return created;
  }
}
