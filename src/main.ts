/**
 * The GitHub Action: read inputs, run the engine, publish, set the result. With cli.ts, the only
 * place that touches @actions/*.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as core from "@actions/core";
import { defaultConcurrency } from "./cli-args.js";
import { check } from "./core/check.js";
import { isConfigurationError, REPORT_BUG_URL } from "./core/errors.js";
import type { Logger } from "./core/ports.js";
import { parseActionInputs } from "./inputs.js";
import { DEFAULTS, createPorts, loadRepoConfig } from "./io/setup.js";
import { createRenderer } from "./render/index.js";
import { checkView } from "./render/views.js";

const actionsLogger: Logger = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
  group: (title, fn) => core.group(title, fn),
};

export async function run(): Promise<void> {
  try {
    const inputs = parseActionInputs((name) => core.getInput(name));
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const root = path.resolve(workspace, inputs.root);
    const { config } = await loadRepoConfig(root, inputs.config ? path.resolve(workspace, inputs.config) : undefined);
    const maxFileBytes = config.maxFileBytes ?? DEFAULTS.maxFileBytes;
    const ports = createPorts({
      root,
      python: inputs.python ?? config.python ?? DEFAULTS.python,
      timeoutSeconds: inputs.timeout ?? config.timeout ?? DEFAULTS.timeoutSeconds,
      maxFileBytes,
      ignore: config.ignore,
      logger: actionsLogger,
    });
    const report = await check(
      {
        compiler: inputs.compiler ?? config.compiler ?? "auto",
        failOn: inputs.failOn ?? config.failOn ?? "type-change",
        concurrency: inputs.concurrency ?? config.concurrency ?? defaultConcurrency(),
        maxFileBytes,
        config,
      },
      ports,
    );

    const reportPath = path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), "mfdag-report.json");
    await writeFile(reportPath, JSON.stringify(report, null, 2));
    const markdown = createRenderer().render("check.md.njk", { report, view: checkView(report) });
    await core.summary.addRaw(markdown).write();

    core.setOutput("drift", String(report.summary.drift > 0));
    core.setOutput("type-changes", String(report.summary.typeChanges));
    core.setOutput("failed", String(report.failed));
    core.setOutput("report", reportPath);
    core.setOutput("stale-files", report.flows.filter((flow) => flow.status === "drift" && flow.definitionsFile).map((flow) => flow.definitionsFile).join("\n"));
    if (report.failed) core.setFailed(`mfdag: the committed definitions violate fail-on ${report.failOn}; see the job summary for the Config diffs.`);
  } catch (error) {
    if (isConfigurationError(error)) core.setFailed(error.message);
    else core.setFailed(`mfdag internal error: ${(error as Error)?.stack ?? String(error)}\nPlease report it at ${REPORT_BUG_URL}.`);
  }
}
