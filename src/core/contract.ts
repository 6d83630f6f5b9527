/**
 * What reviewers care about in a PR: how the committed Config classes (what the Dagster launchpad
 * will offer after merge) differ between the PR's base and head, whether or not anything is stale.
 */
import { compareFields, configDiff } from "./compare.js";
import { parseDefinitionsFile } from "./definitions.js";
import { identifyGenerator } from "./generators.js";
import { compareJobs } from "./job-compare.js";
import { normalizeConfigClass } from "./normalize.js";
import type { ConfigClass, ContractChange, DefinitionsFile, Unchecked } from "./types.js";

export interface DefinitionsVersions {
  path: string;
  /** The file's text at the PR's base, `null` when it did not exist there. */
  base: string | null;
  /** The file's text at the PR's head, `null` when the PR deletes it. */
  head: string | null;
}

/** The generating machine's repo root cannot be known here, so only the Source's directory is cut. */
function normalizedConfig(file: DefinitionsFile | null): ConfigClass | null {
  const sourceDir = file?.source ? file.source.replace(/\\/g, "/").replace(/\/[^/]*$/, "") : null;
  return normalizeConfigClass(file?.configClass ?? null, { root: sourceDir });
}

function unreadableJob(file: DefinitionsFile, side: "base" | "head"): Unchecked | null {
  if (file.reading?.model) return null;
  return { part: "job", step: null, reason: `the ${side} version could not be read as a job (${file.reading?.problems.join("; ") || "no ops or job found"})` };
}

/** Why a definitions file whose head copy lost its header was not compared: the gate and the comment say this. */
export const NO_LONGER_DEFINITIONS = "no longer a definitions file: its head version does not start with the header docstring metaflow-dagster writes, so its Config class and job could not be compared (regenerate it, or restore the header)";

/** Contract changes between base and head, for the files that are definitions files on either side. */
export function diffContracts(versions: readonly DefinitionsVersions[]): ContractChange[] {
  const out: ContractChange[] = [];
  for (const version of versions) {
    const base = version.base === null ? null : parseDefinitionsFile(version.path, version.base);
    const head = version.head === null ? null : parseDefinitionsFile(version.path, version.head);
    if (!base && !head) continue;
    // Text at the head that is no longer a definitions file (a line above the header docstring, a
    // hand edit) hides whatever the PR did to the Config class and job: not compared, never equal.
    const noLongerDefinitions: Unchecked[] = base && !head && version.head !== null ? [{ part: "file", step: null, reason: NO_LONGER_DEFINITIONS }] : [];
    const before = normalizedConfig(base);
    const after = normalizedConfig(head);
    const changes = compareFields(before, after);
    const jobChange = base?.job && head?.job && base.job !== head.job ? { committed: base.job, current: head.job } : null;
    const diff = configDiff(version.path, before?.lines ?? [], after?.lines ?? [], ["base", "head"]);
    // What the job will run after the merge, against what it runs now.
    const baseJob = base?.reading?.model;
    const headJob = head?.reading?.model;
    const baseVersion = base?.reading ? identifyGenerator(base.reading.fingerprint).version : null;
    const headVersion = head?.reading ? identifyGenerator(head.reading.fingerprint).version : null;
    const generator = baseVersion !== headVersion ? { committed: baseVersion, current: headVersion } : null;
    const jobChanges = baseJob && headJob ? compareJobs({ committed: baseJob, current: headJob, lines: base?.reading?.lines ?? null, generator }).changes : [];
    // A side whose job cannot be read hides any change to it: say so rather than call the job equal.
    const unchecked: Unchecked[] = base && head && version.base !== version.head ? [unreadableJob(base, "base"), unreadableJob(head, "head")].filter((u) => u !== null) : noLongerDefinitions;
    if (base && head && !diff && !jobChange && jobChanges.length === 0 && unchecked.length === 0) continue;
    out.push({
      definitionsFile: version.path,
      flow: head?.flow ?? base?.flow ?? null,
      status: !base ? "added" : !head ? "removed" : "changed",
      changes,
      jobChange,
      configDiff: diff,
      jobChanges,
      ...(unchecked.length > 0 ? { unchecked } : {}),
    });
  }
  return out.sort((a, b) => a.definitionsFile.localeCompare(b.definitionsFile));
}
