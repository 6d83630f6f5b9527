/**
 * The GitHub Action: read inputs, run the engine, publish, set the result. With cli.ts, the only
 * place that touches @actions/*. The verdict is decided by the check alone: failing to post a
 * comment never changes it.
 */
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as core from "@actions/core";
import { context } from "@actions/github";
import { defaultConcurrency } from "./cli-args.js";
import { annotationsFor } from "./core/annotations.js";
import { check } from "./core/check.js";
import type { ContractChange } from "./core/contract.js";
import { ConfigurationError, isConfigurationError, REPORT_BUG_URL } from "./core/errors.js";
import type { Logger } from "./core/ports.js";
import { toSarif } from "./core/sarif.js";
import type { CheckReport } from "./core/types.js";
import { createOctokit, type Octokit } from "./github/octokit.js";
import { publishToPullRequest, type PullRequestRef } from "./github/publish.js";
import { syncTrackingIssue } from "./github/tracking-issue.js";
import { fixTargets, patchFor } from "./core/fix.js";
import { regenerateTargets } from "./io/fixer.js";
import { createMetaflowCompiler } from "./io/metaflow-compiler.js";
import { DefaultArtifactClient } from "@actions/artifact";
import { parseActionInputs, type ActionInputs } from "./inputs.js";
import { checkedRoot, createPorts, loadRepoConfig } from "./io/setup.js";
import type { RepoConfig } from "./core/config-file.js";
import { permitMetaflow, resolveSettings, trustOfEvent, type MetaflowPermit, type Settings } from "./core/settings.js";
import { readReportFile } from "./io/report-file.js";
import { staleFilesOutput } from "./core/outputs.js";
import { mergeReports, parseShard } from "./core/shard.js";
import { createRenderer } from "./render/index.js";
import { checkView } from "./render/views.js";

export const VERSION = "0.1.0";
const STARTED = Date.now();
/** As in the CLI: 1 means the policy is violated, 2 that mfdag could not check. */
const EXIT_COULD_NOT_CHECK = 2;

/** The report file the action writes: the engine's report plus the pull request it was made for. */
export type ActionReport = CheckReport & { pullRequest: PullRequestRef | null; contract: ContractChange[] | null };

/** Publishing without `timeout-minutes`: long enough for rate-limit waits, short of a stalled job. */
const DEFAULT_PUBLISH_BUDGET_MS = 5 * 60_000;

/**
 * When publishing must be over: the step's budget (`timeout-minutes`, less a few seconds to write
 * the summary), else a few minutes from now. `MFDAG_PUBLISH_BUDGET_MS` shortens it for tests.
 */
function publishDeadline(inputs: ActionInputs): number {
  const fromEnv = Number(process.env.MFDAG_PUBLISH_BUDGET_MS);
  const budget = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_PUBLISH_BUDGET_MS;
  const stepEnd = inputs.timeoutMinutes ? STARTED + inputs.timeoutMinutes * 60_000 - 10_000 : Infinity;
  return Math.min(Date.now() + budget, stepEnd);
}

function runUrlOf(): string | null {
  return process.env.GITHUB_RUN_ID ? `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${context.repo.owner}/${context.repo.repo}/actions/runs/${process.env.GITHUB_RUN_ID}` : null;
}

/**
 * Regenerates the stale files with the real compiler into one patch and attaches it to the run.
 * Best effort: where the guard forbids the real compiler, or without metaflow-dagster or the
 * artifact service, a note says why there is none.
 */
async function makePatch(report: ActionReport, inputs: ActionInputs, settings: Settings, workspace: string, outDir: string, notes: string[]): Promise<{ path: string; artifact: string | null } | null> {
  const warn = (message: string) => {
    core.warning(message);
    notes.push(message);
  };
  let permit: MetaflowPermit;
  try {
    permit = permitMetaflow(settings, "upload-patch");
  } catch (error) {
    warn(`${(error as Error).message} No patch was made.`);
    return null;
  }
  const root = path.resolve(workspace, inputs.root);
  const { python } = settings;
  const compiler = createMetaflowCompiler({ root, python, timeoutMs: settings.timeoutSeconds * 1000, permit });
  if (!(await compiler.isAvailable())) {
    warn(`upload-patch: '${python}' cannot import metaflow-dagster, so no patch was made; install it in an earlier step.`);
    return null;
  }
  const outcomes = await regenerateTargets(fixTargets(report, null), { root, python, timeoutMs: settings.timeoutSeconds * 1000, permit });
  const prefix = path.relative(workspace, root).split(path.sep).join("/");
  const patch = outcomes
    .filter((o) => o.text !== null)
    .map((o) => patchFor(prefix ? path.posix.join(prefix, o.target.definitionsFile) : o.target.definitionsFile, o.committed, o.text!))
    .join("");
  if (!patch) return null;
  const file = path.join(outDir, "mfdag-fix.patch");
  await writeFile(file, patch);
  const artifact = `mfdag-fix-${inputs.commentId}`;
  try {
    await new DefaultArtifactClient().uploadArtifact(artifact, [file], outDir, { retentionDays: 14 });
    return { path: file, artifact };
  } catch (error) {
    warn(`upload-patch: the patch is at ${file} but could not be attached to the run (${(error as Error).message}).`);
    return { path: file, artifact: null };
  }
}

const actionsLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
  group: (title, fn) => core.group(title, fn),
};

function pullRequestOf(): PullRequestRef | null {
  const pr = context.payload.pull_request as { number?: number; base?: { sha?: string }; head?: { sha?: string } } | undefined;
  if (!pr?.number || !pr.base?.sha || !pr.head?.sha) return null;
  return { owner: context.repo.owner, repo: context.repo.repo, number: pr.number, baseSha: pr.base.sha, headSha: pr.head.sha };
}

type Mode = "check" | "audit" | "publish" | "merge";

/** `auto`: scheduled and manual runs audit the whole repo; everything else is a check. */
function resolveMode(inputs: ActionInputs): Mode {
  if (inputs.mode !== "auto") return inputs.mode;
  return context.eventName === "schedule" || context.eventName === "workflow_dispatch" ? "audit" : "check";
}

/** The settings of a check or audit: inputs > the repo's config file > defaults, by the event's trust. */
async function resolveActionSettings(inputs: ActionInputs, workspace: string, mode: Mode): Promise<{ root: string; config: RepoConfig; settings: Settings }> {
  const root = checkedRoot(path.resolve(workspace, inputs.root), "Input 'root'", " in the workspace (does the workflow run actions/checkout before mfdag?)");
  const { config, file } = await loadRepoConfig(root, inputs.config ? path.resolve(workspace, inputs.config) : undefined);
  const settings = resolveSettings({
    explicit: { compiler: inputs.compiler, python: inputs.python, failOn: inputs.failOn, timeout: inputs.timeout, concurrency: inputs.concurrency },
    config,
    configFile: file,
    trust: trustOfEvent(context.eventName, context.payload),
    defaultConcurrency: defaultConcurrency(),
    audit: mode === "audit",
    explicitName: (setting) => `Input '${setting}'`,
  });
  for (const notice of settings.notices) core.notice(notice);
  return { root, config, settings };
}

async function runCheck(inputs: ActionInputs, root: string, config: RepoConfig, settings: Settings): Promise<ActionReport> {
  const shard = inputs.shard ? parseShard(inputs.shard) : undefined;
  const ports = createPorts({
    root,
    python: settings.python,
    timeoutSeconds: settings.timeoutSeconds,
    maxFileBytes: settings.maxFileBytes,
    ignore: settings.ignore,
    logger: actionsLogger,
    concurrency: settings.concurrency,
    metaflowForbidden: settings.metaflowForbidden,
  });
  // The ports hold long-lived Python processes: always stop them, or the step never ends.
  const report = await check(
    {
      compiler: settings.compiler,
      failOn: settings.failOn,
      concurrency: settings.concurrency,
      maxFileBytes: settings.maxFileBytes,
      config,
      allowEmpty: inputs.allowEmpty,
      // Keep a minute for publishing, so the run ends with a report instead of being killed.
      deadline: inputs.timeoutMinutes ? STARTED + inputs.timeoutMinutes * 60_000 - 60_000 : undefined,
      ...(shard ? { shard } : {}),
    },
    ports,
  ).finally(() => ports.close());
  return { ...report, pullRequest: pullRequestOf(), contract: null };
}

/** `mode: merge`: the reports of a matrix of `shard: k/n` jobs, as one report and one verdict. */
async function mergeShardReports(inputs: ActionInputs, workspace: string): Promise<ActionReport> {
  const files = inputs.reports.map((file) => path.resolve(workspace, file));
  const merged = mergeReports(await Promise.all(files.map((file) => readReportFile(file, "Input 'reports'"))), inputs.reports);
  return { ...merged, pullRequest: pullRequestOf(), contract: null };
}

/** `mode: publish` (the trusted half of the workflow_run pattern) posts a report made elsewhere. */
async function readStoredReport(file: string): Promise<ActionReport> {
  const report = (await readReportFile(file, "Input 'report-file'")) as unknown as ActionReport;
  return { ...report, pullRequest: report.pullRequest ?? null, contract: report.contract ?? null };
}

/**
 * In publish mode the report comes from a run of untrusted code. Its pull request must be one of
 * this repository's, and its head must be the commit the triggering run checked.
 */
async function verifyReportPullRequest(octokit: Octokit, pr: PullRequestRef): Promise<PullRequestRef> {
  const refuse = (why: string) => new ConfigurationError(`Input 'report-file': refusing to publish: ${why}.`);
  const { owner, repo } = context.repo;
  if (pr.owner !== owner || pr.repo !== repo) throw refuse(`the report is for ${pr.owner}/${pr.repo}, not ${owner}/${repo}`);
  const runHead = (context.payload.workflow_run as { head_sha?: string } | undefined)?.head_sha;
  if (runHead && runHead !== pr.headSha) throw refuse(`the report was made for commit ${pr.headSha}, but the triggering run checked ${runHead}`);
  const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: pr.number });
  if (data.head.sha !== pr.headSha) throw refuse(`pull request #${pr.number} is at ${data.head.sha}, not at the report's ${pr.headSha}`);
  // The base comes from GitHub, not from the report: it chooses the commit the contract diff reads.
  return { ...pr, baseSha: data.base.sha };
}

function annotate(report: ActionReport, rootPrefix: string): void {
  for (const a of annotationsFor(report)) {
    const properties = { title: a.title, file: rootPrefix ? path.posix.join(rootPrefix, a.file) : a.file, ...(a.line ? { startLine: a.line } : {}) };
    if (a.level === "error") core.error(a.message, properties);
    else if (a.level === "warning") core.warning(a.message, properties);
    else core.notice(a.message, properties);
  }
}

export async function run(): Promise<void> {
  try {
    const inputs = parseActionInputs((name) => core.getInput(name));
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const mode = resolveMode(inputs);
    const checked = mode === "check" || mode === "audit" ? await resolveActionSettings(inputs, workspace, mode) : null;
    const report =
      mode === "publish"
        ? await readStoredReport(path.resolve(workspace, inputs.reportFile!))
        : mode === "merge"
          ? await mergeShardReports(inputs, workspace)
          : await runCheck(inputs, checked!.root, checked!.config, checked!.settings);
    const rootPrefix = mode === "publish" ? "" : path.relative(workspace, path.resolve(workspace, inputs.root)).split(path.sep).join("/");
    const renderer = createRenderer();
    const notes: string[] = [];

    let pr = mode === "publish" ? report.pullRequest : mode === "check" || mode === "merge" ? pullRequestOf() : null;
    if (pr && inputs.githubToken && (inputs.comment !== "never" || inputs.reviewComments)) {
      const octokit = createOctokit({ token: inputs.githubToken, baseUrl: process.env.GITHUB_API_URL ?? "https://api.github.com", logger: actionsLogger, deadline: publishDeadline(inputs) });
      // A report from an untrusted run could name any pull request: comment only where it belongs.
      if (mode === "publish") pr = await verifyReportPullRequest(octokit, pr);
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
        for (const warning of outcome.warnings) {
          core.warning(warning);
          notes.push(warning);
        }
      } catch (error) {
        // Publishing is best effort: the check already has its verdict.
        const message = `mfdag could not publish to the pull request: ${(error as Error).message}`;
        core.warning(message);
        notes.push(message);
      }
    }

    const outDir = process.env.RUNNER_TEMP ?? os.tmpdir();
    const runUrl = runUrlOf();
    let patchArtifact: string | null = null;
    let patchPath: string | null = null;
    if (checked && inputs.uploadPatch && report.summary.drift > 0) {
      const made = await makePatch(report, inputs, checked.settings, workspace, outDir, notes);
      patchPath = made?.path ?? null;
      patchArtifact = made?.artifact ?? null;
    }
    let issueNumber: number | null = null;
    if (mode === "audit" && inputs.githubToken) {
      const octokit = createOctokit({ token: inputs.githubToken, baseUrl: process.env.GITHUB_API_URL ?? "https://api.github.com", logger: actionsLogger, deadline: publishDeadline(inputs) });
      try {
        const outcome = await syncTrackingIssue(octokit, {
          owner: context.repo.owner,
          repo: context.repo.repo,
          trackingId: inputs.commentId,
          title: `mfdag: Dagster definitions are out of date${inputs.commentId === "default" ? "" : ` (${inputs.commentId})`}`,
          body: renderer.render("audit-issue.md.njk", { report, view: checkView(report), contract: null, notes: [], runUrl, patchArtifact }),
          labels: inputs.labels,
          problems: report.summary.drift > 0 || report.summary.errors > 0,
          closeComment: `All Dagster definitions are up to date again${runUrl ? ` ([audit run](${runUrl}))` : ""}. Closing.`,
          reopenComment: `The drift is back${runUrl ? ` ([audit run](${runUrl}))` : ""}: see the updated description.`,
        });
        issueNumber = outcome.number ?? null;
        core.info(`Tracking issue: ${outcome.action}${outcome.number ? ` #${outcome.number}` : ""}`);
        if (outcome.skippedLabels.length > 0) core.warning(`mfdag could not create the label(s) ${outcome.skippedLabels.join(", ")}; the issue was filed without them.`);
        if (outcome.message) {
          core.warning(outcome.message);
          notes.push(outcome.message);
        }
      } catch (error) {
        const message = `mfdag could not update the tracking issue: ${(error as Error).message}`;
        core.warning(message);
        notes.push(message);
      }
    }

    const reportPath = path.join(outDir, "mfdag-report.json");
    const sarifPath = path.join(outDir, "mfdag.sarif");
    await writeFile(reportPath, JSON.stringify(report, null, 2));
    await writeFile(sarifPath, JSON.stringify(toSarif(annotationsFor(report), VERSION), null, 2));

    if (patchArtifact) notes.push(`The regenerated definitions are attached to this run as the artifact ${patchArtifact}: download it and git apply it.`);
    const markdown = renderer.render("check.md.njk", { report, view: checkView(report), contract: report.contract, notes });
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
    if (inputs.annotations) annotate(report, rootPrefix);

    core.setOutput("drift", String(report.summary.drift > 0));
    core.setOutput("type-changes", String(report.summary.typeChanges));
    core.setOutput("failed", String(report.failed));
    core.setOutput("verdict", report.failed ? "fail" : "pass");
    core.setOutput("report", reportPath);
    core.setOutput("sarif", sarifPath);
    core.setOutput("issue-number", issueNumber === null ? "" : String(issueNumber));
    core.setOutput("patch", patchPath ?? "");
    core.setOutput("stale-files", staleFilesOutput(report, rootPrefix));
    // In publish mode the check run already carries the verdict; failing here again is noise.
    if (report.failed && mode !== "publish") core.setFailed(`mfdag: the committed definitions violate fail-on ${report.failOn}; see the job summary for the Config diffs.`);
  } catch (error) {
    // A tool failure must not look like a policy failure: its own verdict, summary and exit code.
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
}
