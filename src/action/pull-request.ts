/**
 * Posting a report to its pull request: the contract diff and its gate, the sticky comment and the
 * review. Posting is best effort; the gate is not (policy.ts `judgeContract`).
 */
import * as core from "@actions/core";
import type { Octokit } from "../github/octokit.js";
import { judgeContract, type ContractApproval } from "../core/policy.js";
import type { FailOnContract, PullRequestRef } from "../core/types.js";
import { publishToPullRequest, readPullRequestChanges } from "../github/publish.js";
import { currentLabels, labelAddedBy } from "../github/pull-request.js";
import { neutralizeWorkflowCommands, type Renderer } from "../render/index.js";
import { githubClient, labelAddedByEvent, runUrlOf, warnInNotes, type ActionContext } from "./context.js";
import type { ActionReport } from "./result.js";

/** A pull request as GitHub itself describes it (publish mode): what the event payload would say. */
export interface VerifiedPullRequest {
  pr: PullRequestRef;
  labels: string[];
  author: string | null;
}

/** The contract gate of a run: `fail-on-contract` (inputs > config file) and `approve-label`. */
export interface ContractGateSettings {
  failOnContract: FailOnContract;
  approveLabel: string | null;
}

/** The gate of a run that reads no config file (merge and publish modes): its own inputs alone. */
export function gateOfInputs(inputs: { failOnContract?: FailOnContract | undefined; approveLabel: string | null }): ContractGateSettings {
  return { failOnContract: inputs.failOnContract ?? "never", approveLabel: inputs.approveLabel };
}

export interface PullRequestPublishing {
  pr: PullRequestRef | null;
  rootPrefix: string;
  /**
   * Checks the pull request before anything is posted (publish mode), and reads its labels and
   * author from GitHub, since a workflow_run event has neither; a refusal is thrown.
   */
  verify?: (octokit: Octokit, pr: PullRequestRef) => Promise<VerifiedPullRequest>;
  /** The gate to judge; absent: no gate (`report.contractGate` is left as it is). */
  gate?: ContractGateSettings;
}

/**
 * The gate's verdict. A change the policy fails on is accepted by the label the pull request
 * carries now, as GitHub says (publish mode already has it from `verify`): never by the event
 * payload's labels, stale on a re-run. When they cannot be read the label accepts nothing and the
 * verdict says why. Who added the label: the `labeled` event's sender, else the pull request's
 * events (best effort: the label alone accepts).
 */
async function judgeGate(
  octokit: Octokit | null,
  pr: PullRequestRef,
  gate: ContractGateSettings,
  changes: { contract: ActionReport["contract"]; problem: string | null },
  verified: VerifiedPullRequest | null = null,
) {
  const verdict = judgeContract(changes.contract, gate.failOnContract, { approveLabel: gate.approveLabel, labels: [], labeled: null, author: null }, changes.problem);
  // Only a violation asks for the label: GitHub is asked no more than the verdict needs.
  if (!octokit || verdict?.outcome !== "violated" || gate.approveLabel === null) return verdict;
  const label = gate.approveLabel;
  let current: { labels: readonly string[]; author: string | null };
  try {
    current = verified ?? (await currentLabels(octokit, pr));
  } catch (error) {
    return { ...verdict, problem: `mfdag could not read the pull request's labels from GitHub (${(error as Error).message})` };
  }
  const approval: ContractApproval = { approveLabel: label, labels: current.labels, labeled: verified ? null : labelAddedByEvent(), author: current.author };
  const judged = judgeContract(changes.contract, gate.failOnContract, approval, changes.problem);
  if (judged?.outcome !== "accepted" || judged.acceptedBy !== null) return judged;
  const by = await labelAddedBy(octokit, pr, label).catch((error: Error) => {
    // core.info prints as is: the label is the workflow's and the message the API's, neither may run a workflow command.
    core.info(neutralizeWorkflowCommands(`mfdag could not read who added the label ${label} (${error.message}); the comment names the label alone.`));
    return null;
  });
  return by === null ? judged : judgeContract(changes.contract, gate.failOnContract, { ...approval, labeled: { label, by } }, changes.problem);
}

/**
 * Reads what the pull request changes, judges the contract gate, comments on the pull request
 * and reviews it, where there is one, a token and something to do. Sets `report.contract` and
 * `report.contractGate`; returns the comment's URL, if there is one. Failing to post never changes
 * the verdict: it becomes a warning and a note. Failing to read the contract diff fails a gate
 * that is on: mfdag cannot vouch for it.
 */
export async function publishReport(action: ActionContext, report: ActionReport, renderer: Renderer, notes: string[], { pr, rootPrefix, verify, gate }: PullRequestPublishing): Promise<string | null> {
  const { inputs } = action;
  const gating = gate !== undefined && gate.failOnContract !== "never";
  const posting = inputs.comment !== "never" || inputs.reviewComments;
  if (!pr) {
    if (gating) core.info("fail-on-contract: this run is not for a pull request, so there is no contract change to gate.");
    return null;
  }
  if (!inputs.githubToken) {
    if (gating) report.contractGate = await judgeGate(null, pr, gate, { contract: null, problem: "input 'github-token' is empty, so mfdag cannot read the pull request's base and head" });
    return null;
  }
  if (!gating && !posting) return null;
  const octokit = githubClient(inputs, inputs.githubToken);
  // A report from an untrusted run could name any pull request: comment only where it belongs.
  const verified = verify ? await verify(octokit, pr) : null;
  if (verified) pr = verified.pr;
  const changes = await readPullRequestChanges(octokit, pr);
  report.contract = changes.contract;
  // A comparison that may miss files cannot vouch for the contract: the gate judges it as unread.
  if (gating) report.contractGate = await judgeGate(octokit, pr, gate, changes.incomplete ? { contract: null, problem: changes.incomplete } : changes, verified);
  if (!posting) {
    if (changes.problem) warnInNotes(notes, `${changes.problem}.`);
    return null;
  }
  try {
    const outcome = await publishToPullRequest(
      octokit,
      report,
      renderer,
      {
        pr,
        commentMode: inputs.comment,
        commentId: inputs.commentId,
        reviewComments: inputs.reviewComments,
        rootPrefix,
        summaryUrl: runUrlOf(),
      },
      changes,
    );
    core.info(`PR comment: ${outcome.comment}; review: ${outcome.review}`);
    for (const warning of outcome.warnings) warnInNotes(notes, warning);
    return outcome.commentUrl;
  } catch (error) {
    // Publishing is best effort: the check already has its verdict.
    warnInNotes(notes, `mfdag could not publish to the pull request: ${(error as Error).message}`);
    return null;
  }
}
