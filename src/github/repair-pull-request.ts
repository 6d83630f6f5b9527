/**
 * The pull request of `fix: pull-request`: one open pull request per repair branch, found by its
 * head branch in this repository (only people and tokens that can push here can make that branch),
 * opened when there is none, its title and body kept current, and closed with a comment when the
 * repo is clean again.
 */
import { forbiddenMessage, httpStatus, isPermissionDenied, type Octokit } from "./octokit.js";
import { fitCommentBody } from "./sticky-comment.js";

export interface RepairPullRequest {
  number: number;
  url: string;
  title: string;
  body: string;
}

interface Repository {
  owner: string;
  repo: string;
}

/** The repository's default branch, which a repair starts from and goes to. */
export async function defaultBranchOf(octokit: Octokit, { owner, repo }: Repository): Promise<string> {
  const { data } = await octokit.rest.repos.get({ owner, repo });
  return data.default_branch;
}

/** The first pull request GitHub lists in `state` from `branch` of this repository itself (not a fork's branch of that name), or `null`. */
async function pullFromBranch(octokit: Octokit, { owner, repo }: Repository, branch: string, state: "open" | "closed") {
  const order = state === "closed" ? ({ sort: "created", direction: "desc" } as const) : {};
  const { data } = await octokit.rest.pulls.list({ owner, repo, state, head: `${owner}:${branch}`, ...order, per_page: 10 });
  // `head` filters on GitHub; the check stays for a server that ignores it.
  return data.find((p) => p.head.ref === branch && p.head.repo?.full_name?.toLowerCase() === `${owner}/${repo}`.toLowerCase()) ?? null;
}

/** The open pull request from `branch` of this repository, or `null`. */
export async function findRepairPullRequest(octokit: Octokit, where: Repository, branch: string): Promise<RepairPullRequest | null> {
  const pull = await pullFromBranch(octokit, where, branch, "open");
  return pull ? { number: pull.number, url: pull.html_url, title: pull.title, body: pull.body ?? "" } : null;
}

/** The newest closed pull request from `branch` of this repository, with the commit it was closed at; `null` when there is none. */
export async function lastClosedRepairPullRequest(octokit: Octokit, where: Repository, branch: string): Promise<{ number: number; merged: boolean; headSha: string } | null> {
  const pull = await pullFromBranch(octokit, where, branch, "closed");
  return pull ? { number: pull.number, merged: pull.merged_at !== null, headSha: pull.head.sha } : null;
}

export interface RepairPullRequestText {
  title: string;
  body: string;
}

/** Opens the pull request from `branch` into `base`, or brings the open one's title and body up to date. */
export async function openOrUpdateRepairPullRequest(
  octokit: Octokit,
  where: Repository & { branch: string; base: string },
  existing: RepairPullRequest | null,
  text: RepairPullRequestText,
): Promise<{ action: "opened" | "updated" | "unchanged"; pullRequest: RepairPullRequest }> {
  const { owner, repo } = where;
  // A repair of thousands of files would pass GitHub's limit on a body; the branch holds them all.
  text = { ...text, body: fitCommentBody(text.body, "…cut: the branch holds every regenerated file; the audit run's summary lists them.") };
  if (!existing) {
    const { data } = await octokit.rest.pulls.create({ owner, repo, head: where.branch, base: where.base, title: text.title, body: text.body });
    return { action: "opened", pullRequest: { number: data.number, url: data.html_url, ...text } };
  }
  if (existing.title === text.title && existing.body === text.body) return { action: "unchanged", pullRequest: existing };
  await octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title: text.title, body: text.body });
  return { action: "updated", pullRequest: { ...existing, ...text } };
}

/** Says why in a comment, then closes the pull request. */
export async function closeRepairPullRequest(octokit: Octokit, { owner, repo }: Repository, pullRequest: RepairPullRequest, comment: string): Promise<void> {
  await octokit.rest.issues.createComment({ owner, repo, issue_number: pullRequest.number, body: comment });
  await octokit.rest.pulls.update({ owner, repo, pull_number: pullRequest.number, state: "closed" });
}

/** One line on a refused or failed request, naming the permission or setting that is missing. */
export function repairRequestMessage(what: string, error: unknown): string {
  const detail = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.replace(/ - https:\/\/\S+$/, "") ?? "";
  if (/not permitted to create or approve pull requests/i.test(detail)) {
    return `Could not ${what}: ${detail}. Allow it in the repository's (or organization's) Settings › Actions › General › "Allow GitHub Actions to create and approve pull requests", or pass a GitHub App or personal token as github-token.`;
  }
  if (isPermissionDenied(error) || httpStatus(error) === 404) {
    return `${forbiddenMessage(what, error).replace(/: the token cannot write.*$/, "")}: give the workflow \`permissions: contents: write, pull-requests: write, issues: write\`.`;
  }
  return `Could not ${what}: ${detail}`;
}
