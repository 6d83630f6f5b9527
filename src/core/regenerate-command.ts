/** The exact command that regenerates a definitions file, and the `--name` it needs. */
import path from "node:path";
import type { FlowEntry } from "./config-file.js";

const SAFE = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellQuote(word: string): string {
  return SAFE.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `--name` a definitions file was generated with. metaflow-dagster names the job after the flow
 * class, or `<project>_<Flow>` under `@project`; any other committed name must have come from
 * `--name`, so regenerating has to pass it again.
 */
export function jobNameArgument(committedJob: string | null, flowClass: string, entry: FlowEntry | null): string | null {
  if (entry?.name) return entry.name;
  if (!committedJob || committedJob === flowClass) return null;
  if (committedJob.endsWith(`_${flowClass}`) && /^[A-Za-z0-9_.-]+$/.test(committedJob.slice(0, -flowClass.length - 1))) return null;
  return committedJob;
}

/** Where a flow's definitions file should go when it has none: next to it, `<flow>_dagster.py`. */
export function suggestedDefinitionsPath(flowFile: string): string {
  const parsed = path.posix.parse(flowFile);
  return path.posix.join(parsed.dir, `${parsed.name}_dagster.py`);
}

/**
 * A relative path as a command argument that can never read as an option. File names are PR
 * content, and reviewers paste this command into a shell: `python '-cimport os;...#.py'` would run
 * the name as code however well it is quoted, `python ./-cimport...` runs the file.
 */
function pathArgument(p: string): string {
  return p.startsWith("-") ? `./${p}` : p;
}

export function regenerateCommand(flowFile: string, definitionsFile: string, cwd: string, jobName: string | null, args: readonly string[], topArgs: readonly string[] = []): string {
  const relFlow = pathArgument(path.posix.relative(cwd, flowFile) || flowFile);
  const relOut = pathArgument(path.posix.relative(cwd, definitionsFile) || definitionsFile);
  const words = ["python", relFlow, ...topArgs, "dagster", "create", relOut];
  if (jobName) words.push("--name", jobName);
  words.push(...args);
  const command = words.map(shellQuote).join(" ");
  return cwd === "." || cwd === "" ? command : `cd ${shellQuote(pathArgument(cwd))} && ${command}`;
}
