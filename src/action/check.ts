/**
 * `mode: check` (pull requests and pushes): check the checkout, post the verdict to the pull
 * request, attach a patch when asked. The audit checks the same way (checkRepo).
 */
import path from "node:path";
import * as core from "@actions/core";
import { defaultConcurrency } from "../cli-args.js";
import { check } from "../core/check.js";
import type { RepoConfig } from "../core/config-file.js";
import { resolveSettings, type Settings } from "../core/settings.js";
import { parseShard } from "../core/shard.js";
import { checkedRoot, createPorts, loadRepoConfig, portSettingsOf } from "../io/setup.js";
import { createRenderer } from "../render/index.js";
import { actionsLogger, checkDeadline, pullRequestOf, rootPrefixOf, trustOfRun, writeNotice, type ActionContext } from "./context.js";
import { makePatch } from "./patch.js";
import { publishReport } from "./pull-request.js";
import type { ActionReport, ModeResult } from "./result.js";

export interface CheckedRepo {
  report: ActionReport;
  settings: Settings;
  /** The checked root's path from the workspace. */
  rootPrefix: string;
}

/** The settings of a check or audit: inputs > the repo's config file > defaults, by the event's trust. */
async function resolveActionSettings(action: ActionContext): Promise<{ root: string; config: RepoConfig; settings: Settings }> {
  const { inputs, workspace } = action;
  const root = checkedRoot(path.resolve(workspace, inputs.root), "Input 'root'", " in the workspace (does the workflow run actions/checkout before mfdag?)");
  const { config, file } = await loadRepoConfig(root, inputs.config ? path.resolve(workspace, inputs.config) : undefined);
  const settings = resolveSettings({
    explicit: { compiler: inputs.compiler, python: inputs.python, failOn: inputs.failOn, failOnContract: inputs.failOnContract, timeout: inputs.timeout, concurrency: inputs.concurrency, generator: inputs.generator },
    config,
    configFile: file,
    trust: trustOfRun(),
    defaultConcurrency: defaultConcurrency(),
    audit: action.mode === "audit",
    explicitName: (setting) => `Input '${setting}'`,
  });
  for (const notice of settings.notices) writeNotice(notice);
  return { root, config, settings };
}

/** Checks the checkout (of `shard: k/n`, its share) with the settings of the mode. */
export async function checkRepo(action: ActionContext): Promise<CheckedRepo> {
  const { inputs } = action;
  const { root, config, settings } = await resolveActionSettings(action);
  const shard = inputs.shard ? parseShard(inputs.shard) : undefined;
  const ports = createPorts(portSettingsOf(root, settings, actionsLogger));
  // The ports hold long-lived Python processes: always stop them, or the step never ends.
  const report = await check(
    {
      compiler: settings.compiler,
      failOn: settings.failOn,
      generator: settings.generator,
      concurrency: settings.concurrency,
      maxFileBytes: settings.maxFileBytes,
      config,
      allowEmpty: inputs.allowEmpty,
      deadline: checkDeadline(inputs),
      ...(shard ? { shard } : {}),
    },
    ports,
  ).finally(() => ports.close());
  return { report: { ...report, pullRequest: pullRequestOf(), contract: null, contractGate: null }, settings, rootPrefix: rootPrefixOf(action) };
}

/** `upload-patch`, when there is drift to patch. */
export async function patchIfAsked(action: ActionContext, { report, settings }: CheckedRepo, notes: string[]) {
  return action.inputs.uploadPatch && report.summary.drift > 0 ? makePatch(action, report, settings, notes) : null;
}

export async function checkMode(action: ActionContext): Promise<ModeResult> {
  const checked = await checkRepo(action);
  const { report, rootPrefix } = checked;
  const notes: string[] = [];
  const gate = { failOnContract: checked.settings.failOnContract, approveLabel: action.inputs.approveLabel };
  const commentUrl = await publishReport(action, report, createRenderer(), notes, { pr: pullRequestOf(), rootPrefix, gate });
  const patch = await patchIfAsked(action, checked, notes);
  return { report, rootPrefix, notes, patch, issueNumber: null, failsStep: true, commentUrl, superseded: null };
}
