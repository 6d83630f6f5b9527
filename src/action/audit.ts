/**
 * `mode: audit` (schedules, manual runs): check the whole repo and keep one tracking issue open
 * while drift or compile errors last, closing it when the repo is clean; with `fix: pull-request`,
 * keep one pull request open that regenerates the stale files (repair.ts), linked from the issue.
 */
import * as core from "@actions/core";
import { syncTrackingIssue } from "../github/tracking-issue.js";
import { createRenderer, type Renderer } from "../render/index.js";
import { checkView } from "../render/views.js";
import { checkRepo, patchIfAsked } from "./check.js";
import { describeRepair, repairIfAsked } from "./repair.js";
import { githubClient, repositoryOf, runUrlOf, warnInNotes, writeWarning, type ActionContext } from "./context.js";
import type { ActionReport, ModeResult } from "./result.js";

/** A one-line template's text: the renderer ends every text with a line break. */
function renderLine(renderer: Renderer, template: string, context: object): string {
  return renderer.render(template, context).slice(0, -1);
}

/** The tracking issue's title, and the comments that close and reopen it, linking the audit run. */
export function trackingIssueTexts(renderer: Renderer, trackingId: string, runUrl: string | null): { title: string; closeComment: string; reopenComment: string } {
  return {
    title: renderLine(renderer, "tracking-issue-title.txt.njk", { commentId: trackingId }),
    closeComment: renderLine(renderer, "tracking-issue-closed.md.njk", { runUrl }),
    reopenComment: renderLine(renderer, "tracking-issue-reopened.md.njk", { runUrl }),
  };
}

/** Opens, updates, closes or reopens the tracking issue; its number, or null. Best effort, like publishing. */
async function updateTrackingIssue(
  action: ActionContext,
  report: ActionReport,
  token: string,
  links: { patchArtifact: string | null; repairPullRequest: { number: number; url: string } | null },
  notes: string[],
): Promise<number | null> {
  const { inputs } = action;
  const octokit = githubClient(inputs, token);
  const renderer = createRenderer();
  const runUrl = runUrlOf();
  try {
    const { owner, repo } = repositoryOf();
    const { title, closeComment, reopenComment } = trackingIssueTexts(renderer, inputs.commentId, runUrl);
    const outcome = await syncTrackingIssue(octokit, {
      owner,
      repo,
      trackingId: inputs.commentId,
      title,
      body: renderer.render("audit-issue.md.njk", { report, view: checkView(report), contract: null, notes: [], runUrl, ...links }),
      labels: inputs.labels,
      problems: report.summary.drift > 0 || report.summary.errors > 0,
      closeComment,
      reopenComment,
    });
    core.info(`Tracking issue: ${outcome.action}${outcome.number ? ` #${outcome.number}` : ""}`);
    if (outcome.skippedLabels.length > 0) writeWarning(`mfdag could not create the label(s) ${outcome.skippedLabels.join(", ")}; the issue was filed without them.`);
    if (outcome.message) warnInNotes(notes, outcome.message);
    return outcome.number ?? null;
  } catch (error) {
    warnInNotes(notes, `mfdag could not update the tracking issue: ${(error as Error).message}`);
    return null;
  }
}

export async function auditMode(action: ActionContext): Promise<ModeResult> {
  const checked = await checkRepo(action);
  const { report, rootPrefix } = checked;
  const notes: string[] = [];
  const patch = await patchIfAsked(action, checked, notes);
  const repaired = await repairIfAsked(action, checked, notes);
  const token = action.inputs.githubToken;
  const issueNumber = token ? await updateTrackingIssue(action, report, token, { patchArtifact: patch?.artifact ?? null, repairPullRequest: repaired?.pullRequest ?? null }, notes) : null;
  const repair = repaired && (await describeRepair(action, repaired, issueNumber, notes));
  return { report, rootPrefix, notes, patch, issueNumber, failsStep: true, commentUrl: null, superseded: null, ...(repair ? { repair } : {}) };
}
