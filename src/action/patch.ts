/**
 * `upload-patch`: the stale files regenerated with the real compiler into one patch (the fix
 * pipeline of `mfdag fix`), attached to the run as an artifact.
 */
import path from "node:path";
import { writeFile } from "node:fs/promises";
import { DefaultArtifactClient } from "@actions/artifact";
import * as core from "@actions/core";
import { permitMetaflow, type MetaflowPermit, type Settings } from "../core/settings.js";
import { fixStaleDefinitions } from "../io/fix-pipeline.js";
import { createMetaflowCompiler } from "../io/metaflow-compiler.js";
import type { ActionContext } from "./context.js";
import type { ActionReport, MadePatch } from "./result.js";

/**
 * Regenerates the stale files with the real compiler into one patch and attaches it to the run.
 * Best effort: where the guard forbids the real compiler, or without metaflow-dagster or the
 * artifact service, a note says why there is none.
 */
export async function makePatch(action: ActionContext, report: ActionReport, settings: Settings, notes: string[]): Promise<MadePatch | null> {
  const { inputs, workspace, outDir } = action;
  const warn = (message: string) => {
    core.warning(message);
    notes.push(message);
  };
  let permit: MetaflowPermit;
  try {
    permit = permitMetaflow(settings, "upload-patch");
  } catch (error) {
    warn(`${(error as Error).message} No patch was made.`);
    return null;
  }
  const root = path.resolve(workspace, inputs.root);
  const { python } = settings;
  const compiler = createMetaflowCompiler({ root, python, timeoutMs: settings.timeoutSeconds * 1000, permit });
  if (!(await compiler.isAvailable())) {
    warn(`upload-patch: '${python}' cannot import metaflow-dagster, so no patch was made; install it in an earlier step.`);
    return null;
  }
  // The patch applies from the repository's top, where `git apply` is run.
  const prefix = path.relative(workspace, root).split(path.sep).join("/");
  const { patch } = await fixStaleDefinitions(report, null, { root, python, timeoutMs: settings.timeoutSeconds * 1000, permit }, { to: "patch", prefix });
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
