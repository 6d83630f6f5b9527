/**
 * `upload-patch`: the stale files regenerated with the real compiler into one patch (the fix
 * pipeline of `mfdag fix`), attached to the run as an artifact.
 */
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { DefaultArtifactClient } from "@actions/artifact";
import { permitMetaflow, type MetaflowPermit, type Settings } from "../core/settings.js";
import { fixStaleDefinitions } from "../io/fix-pipeline.js";
import { createMetaflowCompiler } from "../io/metaflow-compiler.js";
import { rootPrefixOf, warnInNotes, type ActionContext } from "./context.js";
import type { ActionReport, MadePatch } from "./result.js";

/**
 * Regenerates the stale files with the real compiler into one patch and attaches it to the run.
 * Best effort: where the guard forbids the real compiler, or without metaflow-dagster or the
 * artifact service, a note says why there is none.
 */
export async function makePatch(action: ActionContext, report: ActionReport, settings: Settings, notes: string[]): Promise<MadePatch | null> {
  const { inputs, workspace, outDir } = action;
  const warn = (message: string) => warnInNotes(notes, message);
  let permit: MetaflowPermit;
  try {
    permit = permitMetaflow(settings, "upload-patch");
  } catch (error) {
    warn(`${(error as Error).message} No patch was made.`);
    return null;
  }
  const options = { root: path.resolve(workspace, inputs.root), python: settings.python, timeoutMs: settings.timeoutSeconds * 1000, permit, importRoots: settings.importRoots };
  if (!(await createMetaflowCompiler(options).isAvailable())) {
    warn(`upload-patch: '${options.python}' cannot import metaflow-dagster, so no patch was made; install it in an earlier step.`);
    return null;
  }
  // The patch applies from the repository's top, where `git apply` is run.
  const { patch } = await fixStaleDefinitions(report, null, options, { to: "patch", prefix: rootPrefixOf(action) });
  if (!patch) return null;
  const file = path.join(outDir, "mfdag-fix.patch");
  await writeFile(file, patch);
  const artifact = `mfdag-fix-${inputs.commentId}`;
  try {
    await new DefaultArtifactClient().uploadArtifact(artifact, [file], outDir, { retentionDays: 14 });
    return { path: file, artifact };
  } catch (error) {
    warn(`upload-patch: the patch is at ${file} but could not be attached to the run (${(error as Error).message}).`);
    return { path: file, artifact: null };
  }
}
