/**
 * The command line, parsed once: `node:util` parseArgs for the words, zod for the values, so a bad
 * value fails with one line that names the option and the allowed values.
 */
import { GENERATOR_PROFILES } from "./core/job-model.js";
import os from "node:os";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { z } from "zod";
import { ConfigurationError } from "./core/errors.js";
import { COMPILERS, FAIL_ON } from "./core/types.js";
import { plainText } from "./render/escape.js";
import { didYouMean } from "./cli/did-you-mean.js";

export const COMMANDS = ["check", "config", "inspect", "list", "merge", "fix"] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Each command's lines of the usage, in the order `mfdag --help` lists them. */
const COMMAND_USAGE: Record<CommandName, string> = {
  check: `  mfdag check  [--root DIR] [--compiler auto|static|metaflow] [--python PATH]
               [--fail-on never|type-change|breaking|drift] [--config FILE]
               [--format text|json|markdown|github|sarif] [--color|--no-color]
               [--concurrency N] [--timeout SECONDS] [--shard k/n]
               [--generator 0.3.7|main] [--allow-empty] [--untrusted]`,
  config: `  mfdag config FLOW_FILE [--root DIR] [--compiler auto|static|metaflow] [--python PATH]
               [--generator 0.3.7|main] [--format text|json|mermaid]
               the Config class and the job dagster create would write for one flow`,
  inspect: `  mfdag inspect DEFINITIONS_FILE [--format text|json|mermaid]
               what a committed definitions file defines: ops, edges, schedule, sensors, options`,
  list: `  mfdag list   [--root DIR] [--format text|json] [--config FILE]`,
  merge: `  mfdag merge  REPORT.json... [--format text|json|markdown|github|sarif]
               combines the JSON reports of \`check --shard k/n\` runs into one verdict`,
  fix: `  mfdag fix    [--root DIR] [--python PATH] [--flow FILE]... [--patch FILE] [--config FILE]
               regenerates stale definitions files with the real compiler (or writes a patch)`,
};

const ROOT_NOTE = "The root defaults to the git top level of the current directory (of FLOW_FILE for config).";
const ALLOW_EMPTY_NOTE = "--allow-empty    a root without flows and definitions files passes (otherwise exit 2)";
const UNTRUSTED_NOTE = `--untrusted      the checkout is not trusted (a pull request's): the config file may not set
                 python, maxFileBytes, timeout or concurrency, and the metaflow compiler never
                 runs. Automatic on GitHub Actions pull request events (see SECURITY.md).`;
const FORMAT_NOTE = `--format github  the action's annotations as GitHub workflow commands (::error file=...::msg)
                 for a run: step; --format sarif: the SARIF 2.1.0 log the action writes.`;
const COLOR_NOTE = `--color          colors whatever the environment; --no-color: none. Without either, colors
                 on a terminal, none when NO_COLOR is set (non-empty), and always when
                 FORCE_COLOR is set, unless to 0 or false.`;
const EXIT_CODES_NOTE = "Exit codes: 0 checked and the policy holds, 1 the policy is violated, 2 could not check.";

/** The notes under a command's usage: those of the options its usage lines name, and colors, which every command's text has. */
const COMMAND_NOTES: Record<CommandName, string[]> = {
  check: [ROOT_NOTE, ALLOW_EMPTY_NOTE, UNTRUSTED_NOTE, FORMAT_NOTE, COLOR_NOTE],
  config: [ROOT_NOTE, COLOR_NOTE],
  inspect: [COLOR_NOTE],
  list: [ROOT_NOTE, COLOR_NOTE],
  merge: [FORMAT_NOTE, COLOR_NOTE],
  fix: [ROOT_NOTE, COLOR_NOTE],
};

/** `mfdag --help`: every command. */
export const USAGE = `Usage:
${COMMANDS.map((command) => COMMAND_USAGE[command]).join("\n")}

${[ROOT_NOTE, ALLOW_EMPTY_NOTE, UNTRUSTED_NOTE, FORMAT_NOTE, COLOR_NOTE].join("\n")}

${EXIT_CODES_NOTE}`;

/** `mfdag COMMAND --help`: that command's usage and notes only. */
export function usageOf(command: CommandName): string {
  const notes = COMMAND_NOTES[command];
  return `Usage:\n${COMMAND_USAGE[command]}\n\n${notes.length > 0 ? `${notes.join("\n")}\n\n` : ""}${EXIT_CODES_NOTE}`;
}

const emptyToUndefined = (value: unknown) => (value === "" ? undefined : value);

function choice<T extends readonly [string, ...string[]]>(option: string, values: T) {
  return z.preprocess(
    emptyToUndefined,
    z.enum(values, { error: (issue) => `--${option}: '${plainText(issue.input)}' is not one of ${values.join(", ")}.${didYouMean(String(issue.input), values)}` }).optional(),
  );
}

function positiveInt(option: string, max: number) {
  return z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: () => `--${option}: expected a number` })
      .int({ error: () => `--${option}: expected a whole number` })
      .min(1, { error: () => `--${option}: must be at least 1` })
      .max(max, { error: () => `--${option}: must be at most ${max}` })
      .optional(),
  );
}

const optionsSchema = z.object({
  root: z.preprocess(emptyToUndefined, z.string().optional()),
  compiler: choice("compiler", COMPILERS),
  python: z.preprocess(emptyToUndefined, z.string().optional()),
  "fail-on": choice("fail-on", FAIL_ON),
  generator: choice("generator", GENERATOR_PROFILES),
  // Checked once the command is known, against that command's formats (FORMATS), so a suggestion is never a format the command refuses.
  format: z.preprocess(emptyToUndefined, z.string().optional()),
  concurrency: positiveInt("concurrency", 256),
  timeout: positiveInt("timeout", 3600),
  config: z.preprocess(emptyToUndefined, z.string().optional()),
  flow: z.array(z.string().min(1, { error: () => "--flow: expected a flow file path" })).optional(),
  patch: z.preprocess(emptyToUndefined, z.string().optional()),
  shard: z.preprocess(emptyToUndefined, z.string().optional()),
  color: z.boolean().optional(),
  "allow-empty": z.boolean().optional(),
  untrusted: z.boolean().optional(),
  help: z.boolean().optional(),
  version: z.boolean().optional(),
});

const ALL_FORMATS = ["text", "json", "markdown", "github", "sarif", "mermaid"] as const;
export type OutputFormat = (typeof ALL_FORMATS)[number];
export type CliOptions = Omit<z.infer<typeof optionsSchema>, "format"> & { format?: OutputFormat };

export interface CliCommand {
  command: CommandName | "help" | "version";
  positionals: string[];
  options: CliOptions;
  /** For `help`: the command whose usage was asked for (`mfdag check --help`, `mfdag help check`); none for all. */
  helpTopic?: CommandName;
}

/** The `--format`s each command prints. */
const FORMATS: Record<CommandName, readonly OutputFormat[]> = {
  check: ["text", "json", "markdown", "github", "sarif"],
  config: ["text", "json", "mermaid"],
  inspect: ["text", "json", "mermaid"],
  list: ["text", "json"],
  merge: ["text", "json", "markdown", "github", "sarif"],
  fix: ["text", "json", "markdown"],
};

/** Every option `mfdag` knows, for node:util parseArgs. */
const OPTIONS = {
  root: { type: "string" },
  compiler: { type: "string" },
  python: { type: "string" },
  "fail-on": { type: "string" },
  generator: { type: "string" },
  format: { type: "string" },
  concurrency: { type: "string" },
  timeout: { type: "string" },
  config: { type: "string" },
  flow: { type: "string", multiple: true },
  patch: { type: "string" },
  shard: { type: "string" },
  color: { type: "boolean" },
  "allow-empty": { type: "boolean" },
  untrusted: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/** What an unknown option may have been meant as: every long option, and `--no-color` for the negation people type. */
const OPTION_NAMES = [...Object.keys(OPTIONS).map((name) => `--${name}`), "--no-color"];

/** The arguments read leniently: to explain a parse error, never to run anything. */
function lenientTokens(argv: readonly string[]) {
  return parseArgs({ args: [...argv], allowPositionals: true, allowNegative: true, strict: false, tokens: true, options: OPTIONS }).tokens;
}

/** The usage to show under a parse error: that of the command on the line (its first positional), when there is one. */
function usageFor(argv: readonly string[]): string {
  const first = lenientTokens(argv).find((token) => token.kind === "positional");
  return first?.kind === "positional" && isCommand(first.value) ? usageOf(first.value) : USAGE;
}

/**
 * The message for an option parseArgs does not know, with the option it most likely meant. The
 * arguments are read again leniently only to learn which word it was (its message quotes it, but
 * a quote inside the word would make that ambiguous).
 */
function unknownOptionMessage(argv: readonly string[]): string | null {
  const isKnown = (name: string, rawName: string) => {
    const option = (OPTIONS as Record<string, { type: string }>)[name];
    // `--no-X` is only the negation of a boolean option.
    return option !== undefined && (rawName !== `--no-${name}` || option.type === "boolean");
  };
  const unknown = lenientTokens(argv).find((token) => token.kind === "option" && !isKnown(token.name, token.rawName));
  if (unknown?.kind !== "option") return null;
  return `Unknown option '${plainText(unknown.rawName)}'.${didYouMean(unknown.rawName, OPTION_NAMES)}`;
}

const isCommand = (word: string | undefined): word is CommandName => (COMMANDS as readonly string[]).includes(word ?? "");

export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: OPTIONS,
    });
  } catch (error) {
    const unknown = (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? unknownOptionMessage(argv) : null;
    throw new ConfigurationError(`${unknown ?? plainText((error as Error).message)}\n\n${usageFor(argv)}`);
  }
  const result = optionsSchema.safeParse(parsed.values);
  if (!result.success) throw new ConfigurationError(result.error.issues.map((issue) => issue.message).join("\n"));
  const options = result.data as CliOptions;
  const [command, ...positionals] = parsed.positionals;
  if (options.help || command === "help") {
    const topic = command === "help" ? positionals[0] : command;
    checkFormat(options.format, isCommand(topic) ? topic : undefined);
    return { command: "help", positionals, options, ...(isCommand(topic) ? { helpTopic: topic } : {}) };
  }
  if (options.version) return { command: "version", positionals, options };
  if (!isCommand(command)) {
    throw new ConfigurationError(`${command ? `Unknown command '${plainText(command)}'.${didYouMean(command, COMMANDS)}` : "No command given."}\n\n${USAGE}`);
  }
  if (command === "config" && positionals.length !== 1) throw new ConfigurationError(`mfdag config takes exactly one FLOW_FILE.\n\n${USAGE}`);
  if (command === "inspect" && positionals.length !== 1) throw new ConfigurationError(`mfdag inspect takes exactly one DEFINITIONS_FILE.\n\n${usageOf("inspect")}`);
  if (command === "merge" && positionals.length === 0) throw new ConfigurationError(`mfdag merge takes the JSON reports to merge.\n\n${USAGE}`);
  if (command !== "check" && command !== "fix" && options["allow-empty"]) throw new ConfigurationError(`--allow-empty belongs to mfdag check.\n\n${USAGE}`);
  if (command !== "check" && options.shard) throw new ConfigurationError(`--shard belongs to mfdag check.\n\n${USAGE}`);
  if (command !== "config" && command !== "inspect" && command !== "merge" && positionals.length > 0) throw new ConfigurationError(`Unexpected argument '${positionals[0]}'.\n\n${USAGE}`);
  if (command !== "fix" && (options.flow || options.patch)) throw new ConfigurationError(`--flow and --patch belong to mfdag fix.\n\n${USAGE}`);
  checkFormat(options.format, command);
  if (command === "inspect" && (options.root || options.compiler || options.python || options.config)) throw new ConfigurationError(`mfdag inspect reads only the file it is given: it takes no --root, --compiler, --python or --config.\n\n${usageOf("inspect")}`);
  return { command, positionals, options };
}

/** `--format` against what `command` prints (any command's formats when none is known), suggesting only those. */
function checkFormat(format: string | undefined, command: CommandName | undefined): void {
  const formats: readonly string[] = command ? FORMATS[command] : ALL_FORMATS;
  if (format === undefined || formats.includes(format)) return;
  throw new ConfigurationError(`--format: '${plainText(format)}' is not one of ${formats.join(", ")}${command ? ` for mfdag ${command}` : ""}.${didYouMean(format, formats)}`);
}

export function defaultConcurrency(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
