/**
 * The `dagster create` arguments a committed file was made with. The file does not record them
 * (its regenerate line never has them), but most leave a trace that can be read back: `--tag`s in
 * every `_run_step`, `--workflow-timeout` in the job's tags, `--namespace` in METAFLOW_TOP_ARGS,
 * `--with` at the head of every step's forwarded decorators. Regenerating without them would drop
 * them, so the check compiles with them, and the regenerate command and `mfdag fix` pass them.
 * Arguments the config file gives win over what is read back.
 */
import type { JobModel } from "./job-model.js";

/** The option of a `dagster create` word: `--tag` for `--tag` and for `--tag=x`. */
function optionOf(word: string): string {
  const eq = word.indexOf("=");
  return word.startsWith("--") && eq !== -1 ? word.slice(0, eq) : word;
}

/** Options present in an argument list. */
function optionsIn(args: readonly string[]): Set<string> {
  return new Set(args.filter((word) => word.startsWith("--")).map(optionOf));
}

/**
 * `--tag`, `--workflow-timeout` and `--namespace` read back from a committed model, except those
 * the config file's `args` already give. `--with` needs the compiler's prediction: see
 * `dagsterWithOf`.
 */
export function inferredCreateArgs(committed: JobModel, configured: readonly string[]): string[] {
  const given = optionsIn(configured);
  const args: string[] = [];
  // One list in every call; several distinct lists cannot come from one set of arguments.
  if (!given.has("--tag") && committed.run_tags.length === 1) {
    for (const tag of committed.run_tags[0]!) args.push("--tag", tag);
  }
  if (!given.has("--workflow-timeout") && committed.workflow_timeout) args.push("--workflow-timeout", String(committed.workflow_timeout));
  if (!given.has("--namespace") && committed.top_options?.namespace) args.push("--namespace", committed.top_options.namespace);
  return args;
}

/**
 * The `--with` strings a committed file was made with: metaflow-dagster puts them, unvalidated, at
 * the head of every step's STEP_WITH_DECORATORS list, before the step's own decorators. A plain
 * longest common prefix would also take a decorator that every step carries itself, so the prefix
 * is what remains of each committed list once the list predicted without `--with` is removed from
 * its end; it must be the same for every step. `null` when there is none or it is not consistent.
 */
export function dagsterWithOf(committed: JobModel, predicted: JobModel): string[] | null {
  const then = committed.step_with_decorators;
  const now = predicted.step_with_decorators;
  if (!then || !now) return null;
  const steps = Object.keys(now);
  if (steps.length === 0) return null;
  let prefix: string[] | null = null;
  for (const step of steps) {
    const a = then[step];
    const b = now[step]!;
    if (!a || a.length <= b.length) return null;
    const head = a.slice(0, a.length - b.length);
    if (!b.every((entry, i) => a[head.length + i] === entry)) return null;
    if (prefix === null) prefix = head;
    else if (prefix.length !== head.length || prefix.some((entry, i) => entry !== head[i])) return null;
  }
  return prefix;
}

/** `--with` words for a list of decorator strings. */
export function withArgs(decorators: readonly string[]): string[] {
  return decorators.flatMap((decorator) => ["--with", decorator]);
}

/** Whether the config file's `args` give `--with` themselves (then nothing is inferred). */
export function givesWith(configured: readonly string[]): boolean {
  return optionsIn(configured).has("--with");
}
