/** What every `mfdag` command shares on the terminal: exit codes, the logger on stderr, the report on stdout. */
import type { CliOptions } from "../cli-args.js";
import type { Logger } from "../core/ports.js";
import type { CheckReport } from "../core/types.js";
import { createRenderer, neutralizeWorkflowCommands } from "../render/index.js";
import { checkView } from "../render/views.js";

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

/** `--color`/`--no-color`, else color on a terminal unless NO_COLOR is set. */
export function terminalRenderer(options: CliOptions) {
  return createRenderer({ color: options.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR) });
}

/** A check's report in the `--format` asked for; the exit code is its verdict. */
export function writeReport(report: CheckReport, options: CliOptions): number {
  const renderer = terminalRenderer(options);
  if (options.format === "json") write(JSON.stringify(report, null, 2) + "\n");
  else write(renderer.render(options.format === "markdown" ? "check.md.njk" : "check.txt.njk", { report, view: checkView(report), contract: null, notes: [] }));
  return report.failed ? EXIT.policy : EXIT.ok;
}
