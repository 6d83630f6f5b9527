/**
 * The one fix pipeline behind `mfdag fix` and the action's `upload-patch`: the stale definitions
 * files of a report (core/fix.ts), regenerated with the real compiler (fixer.ts), then written over
 * the committed files or made into one patch. The callers only decide where the patch goes.
 */
import { constants } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fixTargets, patchFor } from "../core/fix.js";
import { identifyGenerator } from "../core/generators.js";
import { readJobModel } from "../core/job-reader.js";
import type { CheckReport } from "../core/types.js";
import { regenerateTargets, type Regenerated, type RegenerateOptions } from "./fixer.js";

/**
 * Committed definitions files are replaced in place, never through a symlink: a link committed as a
 * definitions file would otherwise redirect the write to wherever it points.
 */
const WRITE_NO_FOLLOW = constants.O_WRONLY | constants.O_TRUNC | (constants.O_NOFOLLOW ?? 0);

/**
 * Where the regenerated files go: over the committed ones (`tree`), or into one patch whose paths
 * are relative to the repo's top, `prefix` being the checked root's path from there.
 */
export type FixOutput = { to: "tree" } | { to: "patch"; prefix: string };

export interface FixResult {
  /** One per stale file; a file that could not be made or written has its `error`. */
  outcomes: Regenerated[];
  /** The patch (`to: "patch"`), `""` when nothing was regenerated or the files were written. */
  patch: string;
  /** How many files the patch holds. */
  patchedFiles: number;
  /**
   * Files the installed metaflow-dagster rewrote in another version than the committed one's: they
   * change in more than the flow's changes, and the repo's files no longer agree on a version.
   */
  otherGenerators: { definitionsFile: string; committed: string; current: string }[];
}

/** The regenerated files that the installed metaflow-dagster wrote in another version than the committed one's. */
export function otherGenerators(outcomes: readonly Regenerated[]): FixResult["otherGenerators"] {
  return outcomes.flatMap((outcome) => {
    if (outcome.text === null) return [];
    const committed = identifyGenerator(readJobModel(outcome.committed).fingerprint).version;
    const current = identifyGenerator(readJobModel(outcome.text).fingerprint).version;
    return committed !== null && current !== null && committed !== current ? [{ definitionsFile: outcome.target.definitionsFile, committed, current }] : [];
  });
}

/**
 * Regenerates the stale definitions files of `report` (of the flows in `onlyFlows`, or all) and
 * writes them where `output` says. Needs the permit in `options`: regenerating runs the flow files.
 */
export async function fixStaleDefinitions(report: CheckReport, onlyFlows: readonly string[] | null, options: RegenerateOptions, output: FixOutput): Promise<FixResult> {
  const outcomes = await regenerateTargets(fixTargets(report, onlyFlows), options);
  if (output.to === "patch") {
    const patches = outcomes
      .filter((outcome) => outcome.text !== null)
      .map((outcome) => patchFor(output.prefix ? path.posix.join(output.prefix, outcome.target.definitionsFile) : outcome.target.definitionsFile, outcome.committed, outcome.text!));
    return { outcomes, patch: patches.join(""), patchedFiles: patches.length, otherGenerators: otherGenerators(outcomes) };
  }
  for (const outcome of outcomes) {
    if (outcome.text === null) continue;
    try {
      await writeFile(path.join(options.root, outcome.target.definitionsFile), outcome.text, { flag: WRITE_NO_FOLLOW });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      outcome.error = code === "ELOOP" ? `${outcome.target.definitionsFile} is a symbolic link; mfdag fix writes only regular files` : `could not write ${outcome.target.definitionsFile} (${code ?? String(error)})`;
      outcome.text = null;
    }
  }
  return { outcomes, patch: "", patchedFiles: 0, otherGenerators: otherGenerators(outcomes) };
}
