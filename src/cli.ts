/**
 * `mfdag` on the command line: parses the arguments, runs the command's module (src/cli/*.ts) and
 * maps its errors to exit codes. With main.ts and src/action/, the only place that touches
 * process.argv, stdout and exit codes.
 */
import { parseCommandLine, usageOf, USAGE, type CliCommand, type CommandName } from "./cli-args.js";
import { isConfigurationError, REPORT_BUG_URL } from "./core/errors.js";
import { neutralizeWorkflowCommands } from "./render/index.js";
import { checkCommand } from "./cli/check.js";
import { configCommand } from "./cli/config.js";
import { fixCommand } from "./cli/fix.js";
import { inspectCommand } from "./cli/inspect.js";
import { listCommand } from "./cli/list.js";
import { mergeCommand } from "./cli/merge.js";
import { versionText } from "./cli/version.js";
import { EXIT, write } from "./cli/terminal.js";

export { EXIT } from "./cli/terminal.js";

const COMMANDS: Record<CommandName, (cli: CliCommand) => Promise<number>> = {
  check: checkCommand,
  config: configCommand,
  inspect: inspectCommand,
  list: listCommand,
  merge: mergeCommand,
  fix: fixCommand,
};

async function run(cli: CliCommand): Promise<number> {
  if (cli.command === "help") return write(`${cli.helpTopic ? usageOf(cli.helpTopic) : USAGE}\n`), EXIT.ok;
  if (cli.command === "version") return write(versionText()), EXIT.ok;
  return COMMANDS[cli.command](cli);
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await run(parseCommandLine(argv));
  } catch (error) {
    if (isConfigurationError(error)) {
      process.stderr.write(neutralizeWorkflowCommands(`mfdag: ${error.message}\n`));
    } else {
      process.stderr.write(neutralizeWorkflowCommands(`mfdag: internal error: ${(error as Error)?.stack ?? String(error)}\nThis is a bug in mfdag; please report it at ${REPORT_BUG_URL} with the command you ran.\n`));
    }
    return EXIT.couldNotCheck;
  }
}

process.exitCode = await main(process.argv.slice(2));
