/**
 * The end of every mode: the report and SARIF files, the job summary, the annotations, the
 * outputs and the verdict; and, when the action could not check, the tool failure instead.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { ANNOTATIONS_SHOWN_PER_STEP, annotationsFor, planAnnotations } from "../core/annotations.js";
import { isConfigurationError, REPORT_BUG_URL } from "../core/errors.js";
import { contractGateFails } from "../core/policy.js";
import { staleFilesOutput } from "../core/outputs.js";
import { toSarif } from "../core/sarif.js";
import type { CheckReport, ContractChange, ContractGate, PullRequestRef } from "../core/types.js";
import { fitMarkdown, utf8Bytes } from "../render/fit.js";
import { createRenderer, type Renderer } from "../render/index.js";
import { checkView } from "../render/views.js";
import { VERSION } from "../version.js";
import { annotationsWritten, writeNotice, type ActionContext } from "./context.js";

/** As in the CLI: 1 means the policy is violated, 2 that mfdag could not check. */
const EXIT_COULD_NOT_CHECK = 2;

/**
 * The report file the action writes: the engine's report (`failed`: by fail-on) plus the pull
 * request it was made for, its contract diff and the contract gate's verdict (`null`: no gate).
 */
export type ActionReport = CheckReport & { pullRequest: PullRequestRef | null; contract: ContractChange[] | null; contractGate: ContractGate | null };

/** The run's verdict: the definitions by fail-on, and the contract by fail-on-contract. */
function runFails(report: ActionReport): boolean {
  return report.failed || contractGateFails(report.contractGate);
}

/** What the failed step ends with: which policy failed, and what to do. */
function failureMessage(report: ActionReport): string {
  const gate = report.contractGate;
  const lines = report.failed ? [`mfdag: the committed definitions violate fail-on ${report.failOn}; see the job summary for the Config diffs.`] : [];
  if (gate?.outcome === "violated") {
    const files = gate.files.map((file) => `${file.definitionsFile} (${file.changes.join(", ")})`).join("; ");
    const accept =
      gate.approveLabel === null
        ? "approve-label is empty, so no label can accept it"
        : gate.problem
          ? `${gate.problem}, so the label '${gate.approveLabel}' cannot accept it on this run: re-run the job (the token needs pull-requests: read)`
          : `a reviewer accepts it by adding the label '${gate.approveLabel}'`;
    lines.push(`mfdag: this pull request changes the Dagster contract (fail-on-contract ${gate.failOnContract}): ${files}; ${accept}.`);
  } else if (gate?.outcome === "unknown") {
    lines.push(`mfdag: fail-on-contract ${gate.failOnContract}: ${gate.problem ?? "base and head could not be compared"}, so mfdag cannot vouch that the contract is unchanged (the job summary says more).`);
  }
  return lines.join("\n");
}

/** The patch of `upload-patch`: where it was written, and the artifact it is attached as (null when it could not be). */
export interface MadePatch {
  path: string;
  artifact: string | null;
}

/** What a mode did, for the outputs and the summary. */
export interface ModeResult {
  report: ActionReport;
  /** The checked root's path from the workspace, for annotations and `stale-files`. */
  rootPrefix: string;
  /** What went wrong on the way (publishing, the patch, the issue), for the summary. */
  notes: string[];
  patch: MadePatch | null;
  issueNumber: number | null;
  /** A failed report fails the step, but in publish mode, where the check run already carries the verdict. */
  failsStep: boolean;
  /** The pull request comment holding this report (created, updated or already up to date), if any. */
  commentUrl: string | null;
  /**
   * Why the report's findings are not annotated: publish mode with a report for a commit the pull
   * request has moved past (its lines point at old code). A notice says so instead.
   */
  superseded: string | null;
  /** `fix: pull-request` of an audit: the open repair pull request, and why a repair asked for was not made (which fails the step). */
  repair?: { pullRequest: { number: number; url: string } | null; error: string | null };
}

/** GitHub keeps this much of the job summary file of one step (1 MiB) and drops the rest. */
const SUMMARY_LIMIT_BYTES = 1024 * 1024;
/**
 * The `markdown` output's share of a job's outputs (about 1 MiB in all, shared with the other
 * steps): a quarter, so that other steps, and more mfdag steps, keep room for theirs.
 */
const MARKDOWN_OUTPUT_LIMIT_BYTES = 256 * 1024;

/**
 * The report's annotations within what GitHub shows of this step (10 per level, less those already
 * written, and less the error that fails the step), then "+N more" where some did not fit.
 */
function annotate(report: ActionReport, rootPrefix: string, stepFails: boolean): void {
  const stepFailure = stepFails ? 1 : 0;
  const room = (level: keyof typeof annotationsWritten) => ANNOTATIONS_SHOWN_PER_STEP - annotationsWritten[level] - (level === "error" ? stepFailure : 0);
  const { shown, omitted } = planAnnotations(report, { error: room("error"), warning: room("warning"), notice: room("notice") });
  const write = { error: core.error, warning: core.warning, notice: core.notice };
  for (const a of shown) write[a.level](a.message, { title: a.title, file: rootPrefix ? path.posix.join(rootPrefix, a.file) : a.file, ...(a.line ? { startLine: a.line } : {}) });
  for (const more of omitted) write[more.level](more.message, { title: more.title });
}

/** The report's Markdown cut to `limit` bytes between blocks, with a line saying where the full report is. */
function fitReportMarkdown(renderer: Renderer, markdown: string, limit: number, where: string, files: { reportFile: string; sarifFile: string }): string {
  const size = limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MiB` : `${limit / 1024} KiB`;
  const pointer = renderer.render("cut-pointer.md.njk", { where, limit: size, ...files });
  return fitMarkdown(markdown, { limit, pointer, measure: utf8Bytes, boundary: "blocks" });
}

/** Writes the report and the SARIF, the job summary and the annotations; sets the outputs and the verdict. */
export async function setResult(action: ActionContext, { report, rootPrefix, notes, patch, issueNumber, failsStep, commentUrl, superseded, repair }: ModeResult): Promise<void> {
  const reportPath = path.join(action.outDir, "mfdag-report.json");
  const sarifPath = path.join(action.outDir, "mfdag.sarif");
  await writeFile(reportPath, JSON.stringify(report, null, 2));
  await writeFile(sarifPath, JSON.stringify(toSarif(annotationsFor(report), VERSION, rootPrefix), null, 2));

  if (patch?.artifact) notes.push(`The regenerated definitions are attached to this run as the artifact ${patch.artifact}: download it and git apply it.`);
  const renderer = createRenderer();
  // A superseded report's verdict is about code the pull request no longer has: the summary says only why nothing was posted.
  const markdown = superseded ? renderer.render("superseded.md.njk", { message: superseded }) : renderer.render("check.md.njk", { report, view: checkView(report), contract: report.contract, notes });
  const files = { reportFile: reportPath, sarifFile: sarifPath };
  const summary = fitReportMarkdown(renderer, markdown, SUMMARY_LIMIT_BYTES, "The job summary", files);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary).write();
  // The step's own failure line (fail-on, the contract gate or the repair) is an error annotation too.
  const failed = !superseded && runFails(report);
  if (superseded) writeNotice(superseded);
  else if (action.inputs.annotations) annotate(report, rootPrefix, (failed && failsStep) || Boolean(repair?.error));

  core.setOutput("drift", String(report.summary.drift > 0));
  core.setOutput("type-changes", String(report.summary.typeChanges));
  core.setOutput("failed", String(failed));
  core.setOutput("verdict", superseded ? "superseded" : failed ? "fail" : "pass");
  core.setOutput("report", reportPath);
  core.setOutput("sarif", sarifPath);
  core.setOutput("issue-number", issueNumber === null ? "" : String(issueNumber));
  core.setOutput("patch", patch?.path ?? "");
  core.setOutput("stale-files", staleFilesOutput(report, rootPrefix));
  core.setOutput("comment-url", commentUrl ?? "");
  // The job summary's Markdown; cut shorter, since a job's outputs share about 1 MiB.
  core.setOutput("markdown", fitReportMarkdown(renderer, markdown, MARKDOWN_OUTPUT_LIMIT_BYTES, "This report", files));
  core.setOutput("pull-request-number", repair?.pullRequest ? String(repair.pullRequest.number) : "");
  core.setOutput("pull-request-url", repair?.pullRequest?.url ?? "");
  if (failed && failsStep) core.setFailed(failureMessage(report));
  // The repair was asked for: a scheduled run that quietly made none would look like it had.
  else if (repair?.error) core.setFailed("mfdag: fix: pull-request made no pull request; see the error above and the job summary.");
}

/** A tool failure must not look like a policy failure: its own verdict, summary and exit code. */
export async function setToolFailure(error: unknown): Promise<void> {
  const message = isConfigurationError(error) ? error.message : `mfdag internal error: ${(error as Error)?.stack ?? String(error)}\nPlease report it at ${REPORT_BUG_URL}.`;
  core.setOutput("verdict", "error");
  core.setFailed(message);
  try {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(createRenderer().render("tool-failure.md.njk", { message, configuration: isConfigurationError(error) })).write();
  } catch {
    // The summary is a courtesy; the failure itself is already reported.
  }
  process.exitCode = EXIT_COULD_NOT_CHECK;
}
