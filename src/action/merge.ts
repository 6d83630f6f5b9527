/** `mode: merge`: the reports of a matrix of `shard: k/n` jobs, as one report and one verdict. */
import { mergeReports } from "../core/shard.js";
import { readReportFile } from "../io/report-file.js";
import { resolveReportPaths } from "../io/report-paths.js";
import { createRenderer } from "../render/index.js";
import { pullRequestOf, rootPrefixOf, type ActionContext } from "./context.js";
import { gateOfInputs, publishReport } from "./pull-request.js";
import type { ModeResult } from "./result.js";

export async function mergeMode(action: ActionContext): Promise<ModeResult> {
  const { inputs, workspace } = action;
  const reports = await resolveReportPaths(inputs.reports, workspace);
  const merged = mergeReports(
    await Promise.all(reports.map(({ file }) => readReportFile(file, "Input 'reports'"))),
    reports.map(({ name }) => name),
  );
  const report = { ...merged, pullRequest: pullRequestOf(), contract: null, contractGate: null };
  const rootPrefix = rootPrefixOf(action);
  const notes: string[] = [];
  // The shards' config file is not read here: the merged run gates by its own input alone.
  const gate = gateOfInputs(inputs);
  const commentUrl = await publishReport(action, report, createRenderer(), notes, { pr: pullRequestOf(), rootPrefix, gate });
  return { report, rootPrefix, notes, patch: null, issueNumber: null, failsStep: true, commentUrl, superseded: null };
}
