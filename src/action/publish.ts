/**
 * `mode: publish`, the trusted half of the workflow_run pattern: posts a report made by a run of
 * untrusted code, on the pull request it names once that is checked to be this repository's and
 * at the commit that run checked.
 */
import path from "node:path";
import { ConfigurationError } from "../core/errors.js";
import type { Octokit } from "../github/octokit.js";
import type { PullRequestRef } from "../core/types.js";
import { readReportFile } from "../io/report-file.js";
import { createRenderer } from "../render/index.js";
import { repositoryOf, triggeringRunHead, type ActionContext } from "./context.js";
import { gateOfInputs, publishReport, type VerifiedPullRequest } from "./pull-request.js";
import { currentPullRequest } from "../github/pull-request.js";
import type { ActionReport, ModeResult } from "./result.js";

/**
 * The stored report without what this trusted run works out itself from GitHub: the contract diff
 * and the contract gate (a forged report must not make the bot say a change was accepted).
 */
async function readStoredReport(file: string): Promise<ActionReport> {
  const report = (await readReportFile(file, "Input 'report-file'")) as unknown as ActionReport;
  // One shard's report speaks for some flows only: posted as the pull request's verdict it could
  // pass a pull request whose other shards drifted.
  if (report.shard) {
    throw new ConfigurationError(`Input 'report-file': ${file} is shard ${report.shard.index}/${report.shard.count} of a check: combine the shards' reports with mode: merge and publish that`);
  }
  return { ...report, pullRequest: report.pullRequest ?? null, contract: null, contractGate: null };
}

/**
 * The pull request has moved on since the untrusted run checked it: its report is about old code,
 * and the run for the new head will publish its own. Not an error: the publish run ends neutral.
 */
class ReportSuperseded extends Error {}

/**
 * In publish mode the report comes from a run of untrusted code. Its pull request must be one of
 * this repository's, and its head must be the commit the triggering run checked. A report for an
 * older head of the pull request is superseded, not refused.
 */
async function verifyReportPullRequest(octokit: Octokit, pr: PullRequestRef): Promise<VerifiedPullRequest> {
  const refuse = (why: string) => new ConfigurationError(`Input 'report-file': refusing to publish: ${why}.`);
  const { owner, repo } = repositoryOf();
  if (pr.owner !== owner || pr.repo !== repo) throw refuse(`the report is for ${pr.owner}/${pr.repo}, not ${owner}/${repo}`);
  const runHead = triggeringRunHead();
  if (runHead && runHead !== pr.headSha) throw refuse(`the report was made for commit ${pr.headSha}, but the triggering run checked ${runHead}`);
  const now = await currentPullRequest(octokit, { owner, repo, number: pr.number });
  if (now.headSha !== pr.headSha) {
    throw new ReportSuperseded(
      `mfdag: the report is for ${pr.headSha.slice(0, 12)}, an older commit of pull request #${pr.number}, which is now at ${now.headSha.slice(0, 12)}. Nothing was posted: the run for the newer commit publishes its own report.`,
    );
  }
  // The base comes from GitHub, not from the report: it chooses the commit the contract diff reads.
  // The labels and the author too: the contract gate is judged here again, from GitHub alone.
  return { pr: { ...pr, baseSha: now.baseSha }, labels: now.labels, author: now.author };
}

export async function publishMode(action: ActionContext): Promise<ModeResult> {
  const report = await readStoredReport(path.resolve(action.workspace, action.inputs.reportFile!));
  const notes: string[] = [];
  let commentUrl: string | null = null;
  let superseded: string | null = null;
  try {
    // The report's paths are already relative to the workspace.
    // The gate by this workflow's own inputs: the config file is the pull request's and not checked out here.
    const gate = gateOfInputs(action.inputs);
    commentUrl = await publishReport(action, report, createRenderer(), notes, { pr: report.pullRequest, rootPrefix: "", verify: verifyReportPullRequest, gate });
  } catch (error) {
    if (!(error instanceof ReportSuperseded)) throw error;
    superseded = error.message;
    notes.push(error.message);
  }
  // The check run already carries the verdict; failing here again is noise.
  return { report, rootPrefix: "", notes, patch: null, issueNumber: null, failsStep: false, commentUrl, superseded };
}
