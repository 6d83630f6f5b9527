/** Posting a report to its pull request: the sticky comment and the review, best effort. */
import * as core from "@actions/core";
import type { Octokit } from "../github/octokit.js";
import type { PullRequestRef } from "../core/types.js";
import { publishToPullRequest } from "../github/publish.js";
import type { Renderer } from "../render/index.js";
import { githubClient, runUrlOf, warnInNotes, type ActionContext } from "./context.js";
import type { ActionReport } from "./result.js";

export interface PullRequestPublishing {
  pr: PullRequestRef | null;
  rootPrefix: string;
  /** Checks the pull request before anything is posted (publish mode); a refusal is thrown. */
  verify?: (octokit: Octokit, pr: PullRequestRef) => Promise<PullRequestRef>;
}

/**
 * Comments on the pull request and reviews it, where there is one, a token and something to post.
 * Sets `report.contract`; returns the comment's URL, if there is one. Failing to post never changes
 * the verdict: it becomes a warning and a note.
 */
export async function publishReport(action: ActionContext, report: ActionReport, renderer: Renderer, notes: string[], { pr, rootPrefix, verify }: PullRequestPublishing): Promise<string | null> {
  const { inputs } = action;
  if (!pr || !inputs.githubToken || (inputs.comment === "never" && !inputs.reviewComments)) return null;
  const octokit = githubClient(inputs, inputs.githubToken);
  // A report from an untrusted run could name any pull request: comment only where it belongs.
  if (verify) pr = await verify(octokit, pr);
  try {
    const outcome = await publishToPullRequest(octokit, report, renderer, {
      pr,
      commentMode: inputs.comment,
      commentId: inputs.commentId,
      reviewComments: inputs.reviewComments,
      rootPrefix,
      summaryUrl: runUrlOf(),
    });
    report.contract = outcome.contract;
    core.info(`PR comment: ${outcome.comment}; review: ${outcome.review}`);
    for (const warning of outcome.warnings) warnInNotes(notes, warning);
    return outcome.commentUrl;
  } catch (error) {
    // Publishing is best effort: the check already has its verdict.
    warnInNotes(notes, `mfdag could not publish to the pull request: ${(error as Error).message}`);
    return null;
  }
}
