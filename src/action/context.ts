/**
 * What a run of the action is given: its inputs, the mode they choose, the workspace and the
 * runner's environment, the event (its trust, its pull request) and the time it may take. Only
 * src/main.ts and src/action/* read @actions/* and the runner's environment.
 */
import os from "node:os";
import path from "node:path";
import * as core from "@actions/core";
import { context } from "@actions/github";
import { ConfigurationError } from "../core/errors.js";
import type { ContractApproval } from "../core/policy.js";
import type { Logger } from "../core/ports.js";
import { trustOfEvent, type Trust } from "../core/settings.js";
import { createOctokit, type Octokit } from "../github/octokit.js";
import type { PullRequestRef } from "../core/types.js";
import { parseActionInputs, type ActionInputs } from "../inputs.js";

const STARTED = Date.now();

export type Mode = "check" | "audit" | "publish" | "merge";

export interface ActionContext {
  inputs: ActionInputs;
  mode: Mode;
  /** The checkout: relative inputs (root, config, reports, report-file) are read from here. */
  workspace: string;
  /** Where the report, the SARIF and the patch are written: the runner's temp directory. */
  outDir: string;
}

/** The action's inputs and the mode they choose, read once. */
export function readActionContext(): ActionContext {
  const inputs = parseActionInputs((name) => core.getInput(name));
  const mode = resolveMode(inputs);
  // Only an audit repairs: elsewhere the input would be silently ignored, and the workflow's author
  // would believe the repo is being repaired.
  if (inputs.fix === "pull-request" && mode !== "audit") {
    throw new ConfigurationError(
      `Input 'fix': pull-request acts only in audits (schedule or workflow_dispatch events, or mode: audit), and this ${context.eventName || "unknown"} run is a ${mode}; set fix: pull-request only in the scheduled audit's workflow.`,
    );
  }
  return { inputs, mode, workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(), outDir: process.env.RUNNER_TEMP ?? os.tmpdir() };
}

/** `auto`: scheduled and manual runs audit the whole repo; everything else is a check. */
function resolveMode(inputs: ActionInputs): Mode {
  if (inputs.mode !== "auto") return inputs.mode;
  return context.eventName === "schedule" || context.eventName === "workflow_dispatch" ? "audit" : "check";
}

/**
 * The annotations this step wrote besides the report's own: GitHub shows only a few of each level
 * per step, so the report's annotations get what is left (result.ts).
 */
export const annotationsWritten = { error: 0, warning: 0, notice: 0 };

/** A warning annotation outside the report's (publishing, settings, the tracking issue), counted. */
export function writeWarning(message: string): void {
  annotationsWritten.warning++;
  core.warning(message);
}

/** An error annotation outside the report's (a repair that was asked for and not made), counted. */
export function writeError(message: string): void {
  annotationsWritten.error++;
  core.error(message);
}

/** A notice annotation outside the report's, counted. */
export function writeNotice(message: string): void {
  annotationsWritten.notice++;
  core.notice(message);
}

export const actionsLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => writeWarning(message),
  debug: (message) => core.debug(message),
  group: (title, fn) => core.group(title, fn),
};

/** The checked root's path from the workspace: where annotations and `stale-files` point. */
export function rootPrefixOf({ inputs, workspace }: ActionContext): string {
  return path.relative(workspace, path.resolve(workspace, inputs.root)).split(path.sep).join("/");
}

/**
 * A problem on the way (publishing, the patch, the issue) that does not change the verdict: a
 * warning in the log, and a note in the summary.
 */
export function warnInNotes(notes: string[], message: string): void {
  writeWarning(message);
  notes.push(message);
}

/** The repository the workflow runs in. */
export function repositoryOf(): { owner: string; repo: string } {
  return context.repo;
}

/** How far the triggering event's content may be trusted (core/settings.ts has the rules). */
export function trustOfRun(): Trust {
  return trustOfEvent(context.eventName, context.payload);
}

/** The head commit of the `workflow_run` that triggered this one, if any. */
export function triggeringRunHead(): string | undefined {
  return (context.payload.workflow_run as { head_sha?: string } | undefined)?.head_sha;
}

/** The pull request of the event, if it is one. */
export function pullRequestOf(): PullRequestRef | null {
  const pr = context.payload.pull_request as { number?: number; base?: { sha?: string }; head?: { sha?: string } } | undefined;
  if (!pr?.number || !pr.base?.sha || !pr.head?.sha) return null;
  return { owner: context.repo.owner, repo: context.repo.repo, number: pr.number, baseSha: pr.base.sha, headSha: pr.head.sha };
}

/**
 * On a `labeled` event (pull_request, pull_request_target), the label it added and who added it.
 * Only that: which labels the pull request carries now comes from GitHub (github/pull-request.ts
 * `currentLabels`), since a re-run replays the payload of its event, label since removed or not.
 */
export function labelAddedByEvent(): ContractApproval["labeled"] {
  const payload = context.payload as { action?: unknown; label?: { name?: unknown }; sender?: { login?: unknown } };
  return payload.action === "labeled" && typeof payload.label?.name === "string" && typeof payload.sender?.login === "string" ? { label: payload.label.name, by: payload.sender.login } : null;
}

export function runUrlOf(): string | null {
  return process.env.GITHUB_RUN_ID ? `${process.env.GITHUB_SERVER_URL ?? "https://github.com"}/${context.repo.owner}/${context.repo.repo}/actions/runs/${process.env.GITHUB_RUN_ID}` : null;
}

/** When the check must be over: a minute before the step's `timeout-minutes`, kept for publishing, so the run ends with a report instead of being killed. */
export function checkDeadline(inputs: ActionInputs): number | undefined {
  return inputs.timeoutMinutes ? STARTED + inputs.timeoutMinutes * 60_000 - 60_000 : undefined;
}

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

/** A client for the input token, whose requests end by the publish deadline (counted from now). */
export function githubClient(inputs: ActionInputs, token: string): Octokit {
  return createOctokit({ token, baseUrl: process.env.GITHUB_API_URL ?? "https://api.github.com", logger: actionsLogger, deadline: publishDeadline(inputs) });
}
