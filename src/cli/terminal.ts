/** What every `mfdag` command shares on the terminal: exit codes, the logger on stderr, the report on stdout. */
import path from "node:path";
import type { CliOptions } from "../cli-args.js";
import type { Logger } from "../core/ports.js";
import type { CheckReport } from "../core/types.js";
import { ANNOTATIONS_SHOWN_PER_STEP, annotationsFor, planAnnotations, type Annotation } from "../core/annotations.js";
import { toSarif } from "../core/sarif.js";
import { createRenderer, neutralizeWorkflowCommands } from "../render/index.js";
import { checkView } from "../render/views.js";
import { annotationCommands, omittedCommand, workflowCommand } from "../render/workflow-commands.js";
import { VERSION } from "../version.js";

export const EXIT = { ok: 0, policy: 1, couldNotCheck: 2 } as const;

export const terminalLogger: Logger = {
  // Everything on stderr can carry PR content (file names, compiler messages), and a `run:` step's
  // stderr is read for workflow commands like its stdout.
  info: (message) => process.env.MFDAG_VERBOSE && process.stderr.write(neutralizeWorkflowCommands(`${message}\n`)),
  warning: (message) => process.stderr.write(neutralizeWorkflowCommands(`warning: ${message}\n`)),
  debug: () => {},
  // With MFDAG_VERBOSE, each phase says how long it took: the first thing to look at when a check is slow.
  group: async (title, fn) => {
    if (!process.env.MFDAG_VERBOSE) return fn();
    const started = performance.now();
    try {
      return await fn();
    } finally {
      process.stderr.write(`${title}: ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    }
  },
};

export function write(text: string): void {
  process.stdout.write(text);
}

/**
 * Whether the text report is colored: `--color`/`--no-color` first (the last one given), then
 * NO_COLOR (https://no-color.org: any non-empty value turns colors off, and it wins over
 * FORCE_COLOR, so no environment can force escape codes on someone who asked for none), then
 * FORCE_COLOR (`0` or `false` off, anything else, empty too, on: the convention of Node.js and
 * supports-color), then whether stdout is a terminal that is not `TERM=dumb`.
 */
export function colorWanted(options: CliOptions, env: NodeJS.ProcessEnv = process.env, isTerminal = process.stdout.isTTY === true): boolean {
  if (options.color !== undefined) return options.color;
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false"].includes(force.trim().toLowerCase());
  return isTerminal && env.TERM !== "dumb";
}

export function terminalRenderer(options: CliOptions) {
  return createRenderer({ color: colorWanted(options) });
}

/**
 * A check's report in the `--format` asked for; the exit code is its verdict. `elapsedSeconds`, when
 * the report was made here (not merged), goes into the summary line.
 */
export function writeReport(report: CheckReport, options: CliOptions, elapsedSeconds?: number): number {
  const timing = elapsedSeconds === undefined ? {} : { elapsedSeconds };
  if (options.format === "json") write(JSON.stringify(report, null, 2) + "\n");
  else if (options.format === "sarif") write(JSON.stringify(toSarif(annotationsFor(report), VERSION, sarifRootPrefix(report.root)), null, 2) + "\n");
  else if (options.format === "github") write(githubCommands(report, timing));
  else write(terminalRenderer(options).render(options.format === "markdown" ? "check.md.njk" : "check.txt.njk", { report, view: checkView(report), contract: null, notes: [], ...timing }));
  return report.failed ? EXIT.policy : EXIT.ok;
}

/**
 * SARIF paths start at the top of the checkout, which the CLI takes to be GITHUB_WORKSPACE (else the
 * current directory) when the checked root is inside it, and the root itself otherwise.
 */
function sarifRootPrefix(root: string): string {
  const relative = path.relative(process.env.GITHUB_WORKSPACE || process.cwd(), root).split(path.sep).join("/");
  return relative.startsWith("../") || relative === ".." || path.isAbsolute(relative) ? "" : relative;
}

/**
 * `--format github`: a workflow command per annotation, chosen as the action chooses them
 * (planAnnotations: GitHub shows 10 per level and step, so the most severe flows first, each at its
 * most useful line, then "+N more"), and the summary line as one more: an error when the check
 * fails, a warning when something could not be checked, else a notice. Files are given from
 * GITHUB_WORKSPACE (else the current directory), where the runner looks for them. Nothing here goes
 * through neutralizeWorkflowCommands: these lines are meant as commands, and workflowCommand
 * escapes every field so that each stays one command.
 */
function githubCommands(report: CheckReport, timing: { elapsedSeconds?: number }): string {
  const base = process.env.GITHUB_WORKSPACE || process.cwd();
  const summary = createRenderer({ color: false }).render("_check-summary.txt.njk", { report, ...timing }).trim();
  const s = report.summary;
  const summaryLevel = report.failed ? "error" : s.errors || s.unchecked ? "warning" : "notice";
  const room = (level: Annotation["level"]) => ANNOTATIONS_SHOWN_PER_STEP - (level === summaryLevel ? 1 : 0);
  const { shown, omitted } = planAnnotations(report, { error: room("error"), warning: room("warning"), notice: room("notice") });
  return annotationCommands(shown, report.root, base) + omitted.map(omittedCommand).join("") + workflowCommand(summaryLevel, { title: "mfdag check" }, summary) + "\n";
}
