/**
 * Regenerates a definitions file with the real compiler, the way the user's own
 * `python flow.py dagster create` would: with the user's environment (their datastore settings end
 * up in the file's constants, as they would), plus PYTHONHASHSEED=0 for repeatable output.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FixTarget } from "../core/fix.js";
import type { MetaflowPermit } from "../core/settings.js";
import { lastLine, runDagsterCreate } from "./dagster-create.js";
import { withImportRoots } from "./metaflow-compiler.js";

export interface RegenerateOptions {
  root: string;
  python: string;
  timeoutMs: number;
  /** Regenerating runs the flow files: only where the guard in core/settings.ts allows it. */
  permit: MetaflowPermit;
  /** Repo-relative directories put on PYTHONPATH in front of the user's (Settings.importRoots); default none. */
  importRoots?: readonly string[];
  /**
   * When regenerating must be over (epoch ms), e.g. the step's budget: no file is started after
   * it, and each `dagster create` is cut off at it. Default none.
   */
  deadline?: number;
}

/** The error of a file left out because the deadline came first. */
export const TIME_BUDGET = "not regenerated (time budget): the step's timeout-minutes was near";

export async function regenerateDefinitions(target: FixTarget, options: RegenerateOptions): Promise<{ text: string } | { error: string }> {
  const temp = await mkdtemp(path.join(os.tmpdir(), "mfdag-fix-"));
  try {
    const out = path.join(temp, path.basename(target.definitionsFile));
    const outcome = await runDagsterCreate({
      python: options.python,
      flowPath: path.join(options.root, target.flowFile),
      cwd: path.join(options.root, target.dagsterCreate.cwd),
      out,
      jobName: target.dagsterCreate.name,
      args: target.dagsterCreate.args,
      topArgs: target.dagsterCreate.topArgs,
      env: withImportRoots({ PYTHONHASHSEED: "0", PYTHONDONTWRITEBYTECODE: "1", USER: process.env.USER || "mfdag" }, options.root, options.importRoots),
      extendEnv: true,
      timeoutMs: options.timeoutMs,
    });
    if (outcome.timedOut) return { error: `dagster create did not finish within ${Math.round(options.timeoutMs / 1000)} s` };
    if (outcome.exitCode !== 0) return { error: lastLine(outcome.output) || `dagster create exited with ${outcome.exitCode}` };
    return { text: await readFile(out, "utf8") };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

export interface Regenerated {
  target: FixTarget;
  /** The new file's text, or why it could not be made. */
  text: string | null;
  error: string | null;
  /** The committed text, for patches. */
  committed: string;
}

/** Less time than this is no time to start a `dagster create` in (an import of metaflow alone takes about as long). */
const MIN_RUN_MS = 1000;

/** Regenerates each target in turn (the real compiler is heavy; fix is not the hot path). */
export async function regenerateTargets(targets: readonly FixTarget[], options: RegenerateOptions): Promise<Regenerated[]> {
  const out: Regenerated[] = [];
  for (const target of targets) {
    const committed = await readFile(path.join(options.root, target.definitionsFile), "utf8");
    const left = options.deadline === undefined ? Infinity : options.deadline - Date.now();
    if (left < MIN_RUN_MS) {
      out.push({ target, text: null, error: TIME_BUDGET, committed });
      continue;
    }
    const result = await regenerateDefinitions(target, { ...options, timeoutMs: Math.min(options.timeoutMs, left) });
    // Cut off by the deadline rather than by its own timeout: the budget is why, not the flow.
    if ("error" in result && left < options.timeoutMs && Date.now() >= options.deadline!) {
      out.push({ target, text: null, error: TIME_BUDGET, committed });
      continue;
    }
    out.push("error" in result ? { target, text: null, error: result.error, committed } : { target, text: result.text, error: null, committed });
  }
  return out;
}
