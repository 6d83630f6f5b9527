/** What `mfdag fix` regenerates, and the patch it writes instead of touching the tree. */
import { createTwoFilesPatch } from "diff";
import { jobChangeLabel } from "./job-compare.js";
import type { CheckReport, DagsterCreateArgs } from "./types.js";

export interface FixTarget {
  flowFile: string;
  definitionsFile: string;
  dagsterCreate: DagsterCreateArgs;
  /** One line on what is stale, for the log. */
  why: string;
}

/** Stale definitions files (drifted Config class or job name), optionally only for some flows. */
export function fixTargets(report: CheckReport, onlyFlows: readonly string[] | null): FixTarget[] {
  return report.flows
    .filter((flow) => flow.status === "drift" && flow.definitionsFile && flow.dagsterCreate)
    .filter((flow) => !onlyFlows || onlyFlows.includes(flow.flowFile))
    .map((flow) => ({
      flowFile: flow.flowFile,
      definitionsFile: flow.definitionsFile!,
      dagsterCreate: flow.dagsterCreate!,
      why:
        [
          ...(flow.jobChange ? [`job ${flow.jobChange.committed} → ${flow.jobChange.current}`] : []),
          ...flow.changes.map((c) => `${c.kind} ${c.parameter}`),
          ...(flow.jobChanges ?? []).map(jobChangeLabel),
        ].join(", ") || "Config class differs",
    }));
}

/** A unified diff `git apply` accepts (paths prefixed a/ and b/, relative to the repo root). */
export function patchFor(file: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 }).replace(/^=+\n/, "").replace(/\t$/gm, "");
}
