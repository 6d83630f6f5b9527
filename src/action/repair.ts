/**
 * `fix: pull-request`: an audit that finds stale definitions files regenerates them with the real
 * compiler (the fix pipeline of `mfdag fix`), commits them on `mfdag/regenerate-<comment-id>` from
 * the default branch's head, pushes that branch to `origin` and keeps one pull request open from it,
 * the way dependency bots do; when the repo is clean again, it closes the pull request and deletes
 * the branch. Only on the repository's own events (core/repair.ts), and only with the real compiler.
 */
import { realpath } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { context } from "@actions/github";
import { isConfigurationError } from "../core/errors.js";
import { fixTargets } from "../core/fix.js";
import { repairBranch, repairBranchProblem, repairCheckoutRefusal, repairEventRefusal, repairRefRefusal, repairSettled } from "../core/repair.js";
import { permitMetaflow } from "../core/settings.js";
import {
  closeRepairPullRequest,
  defaultBranchOf,
  findRepairPullRequest,
  lastClosedRepairPullRequest,
  openOrUpdateRepairPullRequest,
  repairRequestMessage,
  type RepairPullRequest,
} from "../github/repair-pull-request.js";
import { otherGenerators } from "../io/fix-pipeline.js";
import { basicCredentials, commitRepair, deleteRemoteBranch, forcePush, GitError, headCommit, remoteBranchHead, workTreeTop, type GitSettings, type Remote } from "../io/git.js";
import { regenerateTargets, TIME_BUDGET } from "../io/fixer.js";
import { createMetaflowCompiler } from "../io/metaflow-compiler.js";
import { createRenderer, type Renderer } from "../render/index.js";
import type { CheckedRepo } from "./check.js";
import { checkDeadline, githubClient, repositoryOf, runUrlOf, warnInNotes, writeError, type ActionContext } from "./context.js";

/** The deadline of one git command; a push of a few files takes seconds. */
const GIT_TIMEOUT_MS = 120_000;
const REMOTE = "origin";

/** What the repair did, for the outputs, the tracking issue and the verdict. */
export interface Repair {
  /** The open repair pull request after this run, or `null`. */
  pullRequest: RepairPullRequest | null;
  /** Why the repair that was asked for could not be made: it fails the step. */
  error: string | null;
  /** What the pull request's body is rendered from, but the tracking issue (known later). */
  body: RepairBody | null;
}

interface RepairBody {
  runUrl: string | null;
  regenerated: { file: string; flowFile: string; why: string }[];
  failed: { file: string; error: string }[];
  /** Stale files left for the next audit: the step's budget ran out first. */
  outOfTime: string[];
  otherGenerators: { file: string; committed: string; current: string }[];
  branch: string;
  base: string;
}

/** A repair that cannot be made, with the message that says why (and what to change). */
class RepairRefused extends Error {}

/** Runs a GitHub request; a failure becomes a RepairRefused naming the permission it lacks. */
async function request<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new RepairRefused(repairRequestMessage(what, error));
  }
}

/** A line for the log and the summary from a failed git command, with the likely cause of a refused push. */
function gitMessage(error: GitError): string {
  const refused = /\b403\b|permission .* denied|not allowed|protected branch/i.test(error.message);
  return `fix: pull-request: ${error.message}${refused ? " (the token needs `permissions: contents: write`, and the branch mfdag/regenerate-* must not be protected)" : ""}`;
}

/** The branch the run's event names as the default, else the repository's (one request). */
async function defaultBranch(octokit: ReturnType<typeof githubClient>): Promise<string> {
  const fromEvent = (context.payload.repository as { default_branch?: unknown } | undefined)?.default_branch;
  if (typeof fromEvent === "string" && fromEvent !== "") return fromEvent;
  return request("read the repository's default branch", () => defaultBranchOf(octokit, repositoryOf()));
}

/** `fix: pull-request` of an audit, or `null` when it was not asked for. Never throws: a failure is the result's `error`. */
export async function repairIfAsked(action: ActionContext, checked: CheckedRepo, notes: string[]): Promise<Repair | null> {
  if (action.inputs.fix !== "pull-request") return null;
  try {
    return await repair(action, checked, notes);
  } catch (error) {
    const message =
      error instanceof RepairRefused || isConfigurationError(error)
        ? (error as Error).message
        : error instanceof GitError
          ? gitMessage(error)
          : `fix: pull-request failed: ${(error as Error).message}`;
    writeError(message);
    notes.push(message);
    return { pullRequest: null, error: message, body: null };
  }
}

async function repair(action: ActionContext, { report, settings }: CheckedRepo, notes: string[]): Promise<Repair> {
  const { inputs, workspace } = action;
  // The event first: on a run that must not repair, nothing else happens.
  const eventRefusal = repairEventRefusal(context.eventName);
  if (eventRefusal) throw new RepairRefused(eventRefusal);
  const token = inputs.githubToken;
  if (!token) throw new RepairRefused("fix: pull-request needs github-token (the default, github.token, with `permissions: contents: write, pull-requests: write, issues: write`).");
  core.setSecret(basicCredentials(token));
  const octokit = githubClient(inputs, token);
  const base = await defaultBranch(octokit);
  const refRefusal = repairRefRefusal(context.ref ?? "", base);
  if (refRefusal) throw new RepairRefused(refRefusal);

  const where = repositoryOf();
  const branchProblem = repairBranchProblem(inputs.commentId);
  if (branchProblem) throw new RepairRefused(branchProblem);
  const branch = repairBranch(inputs.commentId);
  const root = await realpath(path.resolve(workspace, inputs.root));
  const git: GitSettings = { cwd: await workTreeTop(root, GIT_TIMEOUT_MS), timeoutMs: GIT_TIMEOUT_MS };
  const remote: Remote = { name: REMOTE, token };
  // What was checked out, not GITHUB_REF: the repair's commit is made on it. The remote is asked
  // only when HEAD is not the event's own commit (actions/checkout with a ref:, or a later main).
  const head = await headCommit(git);
  const eventSha = process.env.GITHUB_SHA || null;
  const checkoutRefusal = repairCheckoutRefusal({ head, eventSha, remoteHead: head === eventSha ? null : await remoteBranchHead(git, remote, base) }, base);
  if (checkoutRefusal) throw new RepairRefused(checkoutRefusal);
  const renderer = createRenderer();
  const existing = await request("find the repair pull request", () => findRepairPullRequest(octokit, where, branch));
  const targets = fixTargets(report, null);

  if (targets.length === 0) {
    if (report.summary.drift > 0) throw new RepairRefused("fix: pull-request: the stale files' dagster create arguments could not be read back from them, so they cannot be regenerated; regenerate them by hand once.");
    // Nothing to regenerate is not the same as clean: a flow that stopped compiling, or a job
    // that could not be compared, may still be stale. Its repair stays until the audit says so.
    if (!repairSettled(report.summary)) {
      if (existing) warnInNotes(notes, `fix: pull-request: nothing could be regenerated, but the audit found flows with errors or parts it could not compare, so the repair pull request #${existing.number} and its branch ${branch} are left as they are until an audit finds the repo clean.`);
      return { pullRequest: existing, error: null, body: null };
    }
    if (existing) {
      const comment = renderer.render("repair-pull-request-closed.md.njk", { runUrl: runUrlOf(), branch }).trimEnd();
      await request("close the repair pull request", () => closeRepairPullRequest(octokit, where, existing, comment));
      core.info(`Repair pull request: closed #${existing.number}`);
    }
    if ((await remoteBranchHead(git, remote, branch)) !== null) {
      await deleteRemoteBranch(git, remote, branch);
      core.info(`Repair branch: deleted ${branch}`);
    }
    return { pullRequest: null, error: null, body: null };
  }

  const permit = permitMetaflow(settings, "fix: pull-request");
  // Regenerating comes after the check, in the same step: it stops where the check would have
  // (timeout-minutes, less a minute for pushing and publishing), and the rest waits for the next audit.
  const deadline = checkDeadline(inputs);
  const options = { root, python: settings.python, timeoutMs: settings.timeoutSeconds * 1000, permit, importRoots: settings.importRoots, ...(deadline === undefined ? {} : { deadline }) };
  if (!(await createMetaflowCompiler(options).isAvailable())) {
    throw new RepairRefused(
      `fix: pull-request regenerates the stale files with the real compiler, and '${options.python}' cannot import metaflow-dagster: install it in an earlier step (\`pip install metaflow-dagster==0.3.7\`, the version your files were made with) or set the input python. Nothing was pushed; the audit's report is complete.`,
    );
  }
  // The files are committed, not patched: the fix pipeline's regeneration alone, of the targets above.
  const outcomes = await regenerateTargets(targets, options);
  const inRepo = (file: string) => path.relative(git.cwd, path.join(root, file)).split(path.sep).join("/");
  const regenerated = outcomes.filter((outcome) => outcome.text !== null);
  const notMade = outcomes.filter((outcome) => outcome.text === null);
  const failed = notMade.filter((outcome) => outcome.error !== TIME_BUDGET).map((outcome) => ({ file: inRepo(outcome.target.definitionsFile), error: outcome.error ?? "not regenerated" }));
  const outOfTime = notMade.filter((outcome) => outcome.error === TIME_BUDGET).map((outcome) => inRepo(outcome.target.definitionsFile));
  for (const { file, error } of failed) warnInNotes(notes, `fix: pull-request: ${file} was not regenerated: ${error}`);
  if (outOfTime.length > 0) warnInNotes(notes, `fix: pull-request: ${outOfTime.length} stale file(s) not regenerated (time budget): the step's timeout-minutes was near, so the next audit regenerates them: ${outOfTime.join(", ")}`);
  if (regenerated.length === 0) throw new RepairRefused("fix: pull-request: no stale file could be regenerated (see the notes above); nothing was pushed.");

  const files = regenerated.map((outcome) => ({ path: inRepo(outcome.target.definitionsFile), text: outcome.text! }));
  const commit = await commitRepair(git, { files, message: renderer.render("repair-commit.txt.njk", { files: files.map((file) => file.path) }) });
  if (commit === null) {
    warnInNotes(notes, "fix: pull-request: dagster create wrote the stale files exactly as they are committed, so there is nothing to push: the check and the real compiler disagree; please report it.");
    return { pullRequest: existing, error: null, body: null };
  }
  // Regenerating may have taken longer than one client's publishing budget: a new one from here.
  const publishing = githubClient(inputs, token);
  if (!existing) {
    // Like a dependency bot: a pull request a maintainer closed unmerged is not opened again for
    // the same repair; a new commit on the default branch or another stale file makes a new one.
    // Asked before pushing, so that a declined repair's branch, deleted with its pull request, stays deleted.
    const closed = await request("look for a closed repair pull request", () => lastClosedRepairPullRequest(publishing, where, branch));
    if (closed && !closed.merged && closed.headSha === commit) {
      warnInNotes(notes, `fix: pull-request: the repair pull request #${closed.number} was closed without merging, and this audit's repair is the same commit; a new pull request is opened when the repair changes.`);
      return { pullRequest: null, error: null, body: null };
    }
  }
  if ((await remoteBranchHead(git, remote, branch)) === commit) core.info(`Repair branch: ${branch} already holds this repair`);
  else {
    await forcePush(git, remote, commit, branch);
    core.info(`Repair branch: pushed ${commit.slice(0, 12)} to ${branch}`);
  }

  const body: RepairBody = {
    runUrl: runUrlOf(),
    regenerated: regenerated.map((outcome) => ({ file: inRepo(outcome.target.definitionsFile), flowFile: inRepo(outcome.target.flowFile), why: outcome.target.why })),
    failed,
    outOfTime,
    otherGenerators: otherGenerators(outcomes).map((g) => ({ file: inRepo(g.definitionsFile), committed: g.committed, current: g.current })),
    branch,
    base,
  };
  // An open pull request is brought up to date once the tracking issue it links is known
  // (describeRepair); a new one is opened now, so that the issue can link it.
  const pullRequest =
    existing ??
    (await request("open the repair pull request", () => openOrUpdateRepairPullRequest(publishing, { ...where, branch, base }, null, repairText(renderer, inputs.commentId, body, null)))).pullRequest;
  core.info(`Repair pull request: ${existing ? "open" : "opened"} #${pullRequest.number}`);
  return { pullRequest, error: null, body };
}

function repairText(renderer: Renderer, trackingId: string, body: RepairBody, trackingIssue: number | null) {
  return {
    title: renderer.render("repair-pull-request-title.txt.njk", { commentId: trackingId }).trimEnd(),
    body: renderer.render("repair-pull-request.md.njk", { ...body, trackingIssue }),
  };
}

/** Brings the repair pull request's title and body up to date, linking the tracking issue. */
export async function describeRepair(action: ActionContext, repair: Repair, trackingIssue: number | null, notes: string[]): Promise<Repair> {
  const { pullRequest, body } = repair;
  if (!pullRequest || !body || !action.inputs.githubToken) return repair;
  const octokit = githubClient(action.inputs, action.inputs.githubToken);
  const { owner, repo } = repositoryOf();
  try {
    const updated = await openOrUpdateRepairPullRequest(octokit, { owner, repo, branch: body.branch, base: body.base }, pullRequest, repairText(createRenderer(), action.inputs.commentId, body, trackingIssue));
    if (updated.action !== "unchanged") core.info(`Repair pull request: updated #${pullRequest.number}`);
    return { ...repair, pullRequest: updated.pullRequest };
  } catch (error) {
    const message = repairRequestMessage("update the repair pull request", error);
    writeError(message);
    notes.push(message);
    return { ...repair, error: message };
  }
}
