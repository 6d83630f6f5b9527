/**
 * Everything the action does on a pull request, given an authenticated client: the contract diff
 * between base and head, the sticky comment, the review. Failures to publish never change the
 * check's verdict; they come back as one-line warnings. (A failure to read the contract diff does
 * change the contract gate's: the action decides that, policy.ts `judgeContract`.)
 */
import path from "node:path";
import { diffContracts, type DefinitionsVersions } from "../core/contract.js";
import { isDefinitionsText, parseConfigLines } from "../core/definitions.js";
import { contractGateFails } from "../core/policy.js";
import type { CheckReport, ContractChange, ContractGate, FieldChange, PullRequestRef } from "../core/types.js";
import type { Renderer } from "../render/index.js";
import { checkView } from "../render/views.js";
import type { Octokit } from "./octokit.js";
import { getFileAtRef, listPullRequestFiles } from "./pull-request.js";
import { postReview } from "./review.js";
import { upsertStickyComment } from "./sticky-comment.js";

export type CommentMode = "always" | "on-change" | "never";

export interface PublishOptions {
  pr: PullRequestRef;
  commentMode: CommentMode;
  commentId: string;
  reviewComments: boolean;
  /** The checked root relative to the repository root (`""` for the whole repo). */
  rootPrefix: string;
  /** Where the job summary is, for the pointer in a comment that had to be cut. */
  summaryUrl: string | null;
}

export interface PublishOutcome {
  comment: string;
  /** The comment's html_url when it holds this report (created, updated or unchanged). */
  commentUrl: string | null;
  review: string;
  warnings: string[];
}

type PullRequestFiles = Awaited<ReturnType<typeof listPullRequestFiles>>;

/** Base and head versions of the PR's changed files that are definitions files on either side. */
export async function contractChanges(octokit: Octokit, pr: PullRequestRef, files: PullRequestFiles): Promise<ContractChange[]> {
  const versions: DefinitionsVersions[] = [];
  for (const file of files) {
    // A moved file is one job before and after: compared across the move, not seen as a new file.
    const basePath = file.status === "renamed" && file.previousFilename ? file.previousFilename : file.filename;
    if (!file.filename.endsWith(".py") && !basePath.endsWith(".py")) continue;
    const head = file.status === "removed" || !file.filename.endsWith(".py") ? null : await getFileAtRef(octokit, { owner: pr.owner, repo: pr.repo, path: file.filename, ref: pr.headSha });
    const base = file.status === "added" || !basePath.endsWith(".py") ? null : await getFileAtRef(octokit, { owner: pr.owner, repo: pr.repo, path: basePath, ref: pr.baseSha });
    // Skipped only when neither side is a definitions file: a head copy that lost its header must
    // still be compared with its base (diffContracts says it is no longer one), not pass unseen.
    if (!(head !== null && isDefinitionsText(head)) && !(base !== null && isDefinitionsText(base))) continue;
    versions.push({ path: file.filename, base, head });
  }
  return diffContracts(versions);
}

function repoPath(prefix: string, file: string): string {
  return prefix ? path.posix.join(prefix, file) : file;
}

interface PlannedComment {
  path: string;
  line: number;
  body: string;
}

/**
 * Line comments for drifted parameters whose line is part of the PR's diff, and one-line
 * suggestions on stale field lines of definitions files that the PR touches.
 */
export function planReviewComments(report: CheckReport, files: PullRequestFiles, renderer: Renderer, rootPrefix: string): PlannedComment[] {
  const linesByFile = new Map(files.map((file) => [file.filename, file.addedLines]));
  const planned: PlannedComment[] = [];
  for (const flow of report.flows) {
    if (flow.status !== "drift") continue;
    // The report carries the lines; the one Config parser says which line is which field.
    const currentLines = flow.currentConfig ?? [];
    const currentFields = new Map((parseConfigLines(currentLines)?.fields ?? []).map((field) => [field.name, currentLines[field.index + 1]!]));
    for (const change of flow.changes as FieldChange[]) {
      if (change.kind === "reordered" || change.kind === "removed") continue;
      if (change.declaredIn && change.flowLine) {
        const file = repoPath(rootPrefix, change.declaredIn);
        if (linesByFile.get(file)?.has(change.flowLine)) {
          planned.push({ path: file, line: change.flowLine, body: renderer.render("review-parameter.md.njk", { change, definitionsFile: flow.definitionsFile, regenerate: flow.regenerate }) });
        }
      }
      const newLine = currentFields.get(change.parameter);
      if (flow.definitionsFile && change.definitionsLine && newLine && change.kind !== "added") {
        const file = repoPath(rootPrefix, flow.definitionsFile);
        if (linesByFile.get(file)?.has(change.definitionsLine)) {
          planned.push({ path: file, line: change.definitionsLine, body: renderer.render("review-suggestion.md.njk", { change, line: newLine, regenerate: flow.regenerate }) });
        }
      }
    }
  }
  return planned;
}

/** What the pull request changes: its files (for review comments) and its contract diff. */
export interface PullRequestChanges {
  files: PullRequestFiles;
  /** `null` when base and head could not be compared; `problem` says why. */
  contract: ContractChange[] | null;
  problem: string | null;
  /** Why `contract` may miss files though it was read (GitHub lists only so many of a pull request's files). */
  incomplete: string | null;
}

/** How many files `GET /pulls/{n}/files` lists at most, whatever the pull request changes (GitHub's REST docs). */
const LISTED_PULL_REQUEST_FILES = 3000;

/** Reads the pull request's files and the contract diff; a failure is a `problem`, never an exception. */
export async function readPullRequestChanges(octokit: Octokit, pr: PullRequestRef): Promise<PullRequestChanges> {
  let files: PullRequestFiles = [];
  try {
    files = await listPullRequestFiles(octokit, { owner: pr.owner, repo: pr.repo, pullNumber: pr.number });
    const incomplete =
      files.length >= LISTED_PULL_REQUEST_FILES
        ? `GitHub lists only the first ${LISTED_PULL_REQUEST_FILES} files of a pull request and this one has that many, so changed definitions files may be missing from the comparison: split the pull request`
        : null;
    return { files, contract: await contractChanges(octokit, pr, files), problem: null, incomplete };
  } catch (error) {
    return { files, contract: null, problem: `mfdag could not read the pull request's files (${(error as Error).message})`, incomplete: null };
  }
}

/**
 * Comments and reviews. `changes` comes from readPullRequestChanges; `report` is what the comment
 * shows (the action sets its `contract` and `contractGate` from the same changes first).
 */
export async function publishToPullRequest(octokit: Octokit, report: CheckReport & { contract: ContractChange[] | null; contractGate: ContractGate | null }, renderer: Renderer, options: PublishOptions, changes: PullRequestChanges): Promise<PublishOutcome> {
  const { pr } = options;
  const warnings: string[] = [];
  const { files, contract } = changes;
  if (changes.problem) warnings.push(`${changes.problem}; the comment has no base/head comparison.`);

  // A gate that fails or was accepted is news even without drift: it says what to do, or who did it.
  const gateNews = contractGateFails(report.contractGate) || report.contractGate?.outcome === "accepted";
  const hasChanges = report.summary.drift > 0 || report.summary.errors > 0 || (contract?.length ?? 0) > 0 || gateNews;
  const body = renderer.render("check.md.njk", { report, view: checkView(report), contract, notes: [] });
  const pointer = options.summaryUrl ? `\n\n_The comment was cut at GitHub's size limit: the whole report is in the [job summary](${options.summaryUrl})._\n` : "\n\n_The comment was cut at GitHub's size limit: the whole report is in the job summary._\n";
  const comment = await upsertStickyComment(octokit, {
    owner: pr.owner,
    repo: pr.repo,
    issueNumber: pr.number,
    commentId: options.commentId,
    body,
    cutPointer: pointer,
    mode: options.commentMode,
    hasChanges,
  });
  if (comment.action === "forbidden" && comment.message) warnings.push(comment.message);

  let review = "not requested";
  if (options.reviewComments && files.length > 0) {
    const planned = planReviewComments(report, files, renderer, options.rootPrefix);
    if (planned.length > 0) {
      const outcome = await postReview(octokit, { owner: pr.owner, repo: pr.repo, pullNumber: pr.number, commitId: pr.headSha, comments: planned });
      review = outcome.action;
      if ((outcome.action === "forbidden" || outcome.action === "failed") && outcome.message) warnings.push(outcome.message);
    } else {
      review = "nothing to comment";
    }
  }
  return { comment: comment.action, commentUrl: comment.url ?? null, review, warnings };
}
