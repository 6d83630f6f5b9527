/**
 * The command line, parsed once: `node:util` parseArgs for the words, zod for the values, so a bad
 * value fails with one line that names the option and the allowed values.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ConfigurationError } from "./core/errors.js";
import { COMPILERS, FAIL_ON } from "./core/types.js";

export const USAGE = `Usage:
  mfdag check  [--root DIR] [--compiler auto|static|metaflow] [--python PATH]
               [--fail-on never|type-change|breaking|drift] [--format text|json|markdown]
               [--concurrency N] [--timeout SECONDS] [--config FILE] [--shard k/n] [--no-color]
               [--allow-empty] [--untrusted]
  mfdag config FLOW_FILE [--root DIR] [--compiler auto|static|metaflow] [--python PATH] [--format text|json]
  mfdag list   [--root DIR] [--format text|json] [--config FILE]
  mfdag merge  REPORT.json... [--format text|json|markdown]
               combines the JSON reports of \`check --shard k/n\` runs into one verdict
  mfdag fix    [--root DIR] [--python PATH] [--flow FILE]... [--patch FILE] [--config FILE]
               regenerates stale definitions files with the real compiler (or writes a patch)

The root defaults to the git top level of the current directory (of FLOW_FILE for config).
--allow-empty    a root without flows and definitions files passes (otherwise exit 2)
--untrusted      the checkout is not trusted (a pull request's): the config file may not set
                 python, maxFileBytes, timeout or concurrency, and the metaflow compiler never
                 runs. Automatic on GitHub Actions pull request events (see SECURITY.md).

Exit codes: 0 checked and the policy holds, 1 the policy is violated, 2 could not check.`;

const emptyToUndefined = (value: unknown) => (value === "" ? undefined : value);

function choice<T extends readonly [string, ...string[]]>(option: string, values: T) {
  return z.preprocess(
    emptyToUndefined,
    z.enum(values, { error: (issue) => `--${option}: '${String(issue.input)}' is not one of ${values.join(", ")}` }).optional(),
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
  format: choice("format", ["text", "json", "markdown"] as const),
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

export type CliOptions = z.infer<typeof optionsSchema>;

export interface CliCommand {
  command: "check" | "config" | "list" | "fix" | "merge" | "help" | "version";
  positionals: string[];
  options: CliOptions;
}

export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      allowNegative: true,
      strict: true,
      options: {
        root: { type: "string" },
        compiler: { type: "string" },
        python: { type: "string" },
        "fail-on": { type: "string" },
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
      },
    });
  } catch (error) {
    throw new ConfigurationError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const result = optionsSchema.safeParse(parsed.values);
  if (!result.success) throw new ConfigurationError(result.error.issues.map((issue) => issue.message).join("\n"));
  const options = result.data;
  const [command, ...positionals] = parsed.positionals;
  if (options.help || command === "help") return { command: "help", positionals, options };
  if (options.version) return { command: "version", positionals, options };
  if (command !== "check" && command !== "config" && command !== "list" && command !== "fix" && command !== "merge") {
    throw new ConfigurationError(`${command ? `Unknown command '${command}'.` : "No command given."}\n\n${USAGE}`);
  }
  if (command === "config" && positionals.length !== 1) throw new ConfigurationError(`mfdag config takes exactly one FLOW_FILE.\n\n${USAGE}`);
  if (command === "merge" && positionals.length === 0) throw new ConfigurationError(`mfdag merge takes the JSON reports to merge.\n\n${USAGE}`);
  if (command !== "check" && command !== "fix" && options["allow-empty"]) throw new ConfigurationError(`--allow-empty belongs to mfdag check.\n\n${USAGE}`);
  if (command !== "check" && options.shard) throw new ConfigurationError(`--shard belongs to mfdag check.\n\n${USAGE}`);
  if (command !== "config" && command !== "merge" && positionals.length > 0) throw new ConfigurationError(`Unexpected argument '${positionals[0]}'.\n\n${USAGE}`);
  if (command !== "fix" && (options.flow || options.patch)) throw new ConfigurationError(`--flow and --patch belong to mfdag fix.\n\n${USAGE}`);
  if (command === "list" && options.format === "markdown") throw new ConfigurationError("--format: 'markdown' is not one of text, json for mfdag list");
  if (command === "config" && options.format === "markdown") throw new ConfigurationError("--format: 'markdown' is not one of text, json for mfdag config");
  return { command, positionals, options };
}

export function defaultConcurrency(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}
