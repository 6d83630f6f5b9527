/**
 * `mfdag` on the command line. With main.ts, the only place that touches process.argv, stdout
 * and exit codes.
 */
import { execFileSync } from "node:child_process";
import { constants, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultConcurrency, parseCommandLine, USAGE, type CliCommand } from "./cli-args.js";
import { check } from "./core/check.js";
import { ConfigurationError, isConfigurationError, REPORT_BUG_URL } from "./core/errors.js";
import { fixTargets, patchFor } from "./core/fix.js";
import { mergeReports, parseShard } from "./core/shard.js";
import type { CheckReport } from "./core/types.js";
import { readReportFile } from "./io/report-file.js";
import { configOf, listRepo, repoRelative } from "./core/inspect.js";
import type { Logger } from "./core/ports.js";
import { regenerateTargets } from "./io/fixer.js";
import { checkedRoot, createPorts, loadRepoConfig, type OpenPorts, type PortSettings } from "./io/setup.js";
import type { RepoConfig } from "./core/config-file.js";
import { permitMetaflow, resolveSettings, UNTRUSTED_BY_FLAG, type MetaflowPermit, type Settings } from "./core/settings.js";
import { trustFromEnvironment } from "./io/github-event.js";
import { createRenderer, neutralizeWorkflowCommands } from "./render/index.js";
import { checkView } from "./render/views.js";

export const EXIT = { ok: 0, policy: 1, couldNotCheck: 2 } as const;

/**
 * `mfdag fix` replaces committed definitions files in place, never through a symlink: a link
 * committed as a definitions file would otherwise redirect the write to wherever it points.
 */
const WRITE_NO_FOLLOW = constants.O_WRONLY | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0);

const VERSION = "0.1.0";

const terminalLogger: Logger = {
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

/** The git work tree containing `dir`, else `dir` itself: imports resolve inside the repo. */
function defaultRoot(dir: string): string {
  try {
    return execFileSync("git", ["-C", dir, "rev-parse", "--show-toplevel"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 }).trim() || dir;
  } catch {
    return dir;
  }
}

/** `mfdag config FLOW_FILE`: a file that is not there is a missing input (exit 2), not a broken flow. */
function existingFlowFile(file: string): string {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new ConfigurationError(`${file} does not exist; pass the path of a flow file.`);
  }
  if (!stat.isFile()) throw new ConfigurationError(`${file} is not a file; pass the path of a flow file.`);
  return file;
}

async function run(cli: CliCommand): Promise<number> {
  const { options } = cli;
  const write = (text: string) => process.stdout.write(text);
  if (cli.command === "help") return write(`${USAGE}\n`), EXIT.ok;
  if (cli.command === "version") return write(`${VERSION}\n`), EXIT.ok;

  if (cli.command === "merge") return mergeCommand(cli);

  const flowArg = cli.command === "config" ? existingFlowFile(cli.positionals[0]!) : null;
  // Without --root, the repo's top level: checking only the current directory would hide the
  // drift of the rest of the repo. The text and JSON reports name the root that was checked.
  const root = options.root
    ? checkedRoot(path.resolve(options.root), "--root")
    : checkedRoot(defaultRoot(flowArg ? path.dirname(path.resolve(flowArg)) : process.cwd()), "The root");
  const { config, file: configFile } = await loadRepoConfig(root, options.config);
  const resolved = resolveSettings({
    explicit: { compiler: options.compiler, python: options.python, failOn: options["fail-on"], timeout: options.timeout, concurrency: options.concurrency },
    config,
    configFile,
    trust: options.untrusted ? UNTRUSTED_BY_FLAG : trustFromEnvironment(),
    defaultConcurrency: defaultConcurrency(),
    explicitName: (setting) => `--${setting}`,
  });
  for (const notice of resolved.notices) terminalLogger.warning(notice);
  const settings: PortSettings = {
    root,
    python: resolved.python,
    timeoutSeconds: resolved.timeoutSeconds,
    maxFileBytes: resolved.maxFileBytes,
    ignore: resolved.ignore,
    logger: terminalLogger,
    concurrency: resolved.concurrency,
    metaflowForbidden: resolved.metaflowForbidden,
  };
  // Refuse before starting anything: fix exists to run the real compiler.
  const permit = cli.command === "fix" ? permitMetaflow(resolved, "mfdag fix") : null;
  const ports = createPorts(settings);
  try {
    return await runWith(cli, root, config, resolved, settings, ports, flowArg, permit);
  } finally {
    await ports.close();
  }
}

async function runWith(
  cli: CliCommand,
  root: string,
  config: RepoConfig,
  resolved: Settings,
  settings: PortSettings,
  ports: OpenPorts,
  flowArg: string | null,
  permit: MetaflowPermit | null,
): Promise<number> {
  const { options } = cli;
  const write = (text: string) => process.stdout.write(text);
  const color = options.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  const renderer = createRenderer({ color });
  const compiler = resolved.compiler;

  if (cli.command === "list") {
    const listing = await listRepo(config, settings.maxFileBytes, ports);
    write(options.format === "json" ? JSON.stringify(listing, null, 2) + "\n" : renderer.render("list.txt.njk", { listing }));
    return EXIT.ok;
  }
  if (cli.command === "config") {
    const result = await configOf(repoRelative(root, flowArg!), compiler, ports);
    if (options.format === "json") {
      const { flowFile, flowClass, job, compiler: used, exact, reason, error, configClass, parameters } = result;
      write(JSON.stringify({ flowFile, flowClass, job, compiler: used, exact, reason, error, configClass, parameters }, null, 2) + "\n");
    } else {
      write(renderer.render("config.txt.njk", { result }));
    }
    return result.error ? EXIT.policy : EXIT.ok;
  }

  if (cli.command === "fix" && permit) {
    // Regenerating needs the real compiler; refuse before looking at anything else.
    await ports.metaflow.ensureAvailable("mfdag fix regenerates files with the real compiler, so it");
    const only = options.flow?.map((file) => repoRelative(root, file)) ?? null;
    const report = await check({ compiler: "auto", failOn: "never", concurrency: settings.concurrency, maxFileBytes: settings.maxFileBytes, config, allowEmpty: options["allow-empty"] ?? false }, ports);
    const unknown = only?.filter((file) => !report.flows.some((flow) => flow.flowFile === file)) ?? [];
    if (unknown.length > 0) throw new ConfigurationError(`--flow: ${unknown.join(", ")} is not a flow file that mfdag found under ${root} (see mfdag list).`);
    const outcomes = await regenerateTargets(fixTargets(report, only), { root, python: settings.python, timeoutMs: settings.timeoutSeconds * 1000, permit });
    const patches: string[] = [];
    for (const outcome of outcomes) {
      if (outcome.text === null) continue;
      if (options.patch) {
        patches.push(patchFor(outcome.target.definitionsFile, outcome.committed, outcome.text));
        continue;
      }
      try {
        await writeFile(path.join(root, outcome.target.definitionsFile), outcome.text, { flag: WRITE_NO_FOLLOW });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        outcome.error = code === "ELOOP" ? `${outcome.target.definitionsFile} is a symbolic link; mfdag fix writes only regular files` : `could not write ${outcome.target.definitionsFile} (${code ?? String(error)})`;
        outcome.text = null;
      }
    }
    if (options.patch && patches.length > 0) await writeFile(path.resolve(options.patch), patches.join(""));
    write(renderer.render("fix.txt.njk", { outcomes, patch: options.patch ?? null, written: patches.length, skipped: report.flows.filter((flow) => flow.status === "error") }));
    return outcomes.some((outcome) => outcome.error) ? EXIT.policy : EXIT.ok;
  }

  const report = await check(
    {
      compiler,
      failOn: resolved.failOn,
      concurrency: settings.concurrency,
      maxFileBytes: settings.maxFileBytes,
      config,
      allowEmpty: options["allow-empty"] ?? false,
      ...(options.shard ? { shard: parseShard(options.shard) } : {}),
    },
    ports,
  );
  return writeReport(report, cli);
}

function writeReport(report: CheckReport, cli: CliCommand): number {
  const { options } = cli;
  const renderer = createRenderer({ color: options.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR) });
  if (options.format === "json") process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  else process.stdout.write(renderer.render(options.format === "markdown" ? "check.md.njk" : "check.txt.njk", { report, view: checkView(report), contract: null, notes: [] }));
  return report.failed ? EXIT.policy : EXIT.ok;
}

/** `mfdag merge`: one report and one verdict from the reports of the shards of a check. */
async function mergeCommand(cli: CliCommand): Promise<number> {
  const reports = await Promise.all(cli.positionals.map((file) => readReportFile(file)));
  return writeReport(mergeReports(reports, cli.positionals), cli);
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
