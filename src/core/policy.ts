/** Whether a check result violates the `fail-on` policy (README, "What fails a check"). */
import { GRAPH_CHANGE_KINDS } from "./job-compare.js";
import type { FailOn, FlowResult } from "./types.js";

/** A flow that could not be compiled violates every policy but `never`: we cannot vouch for it. */
export function violatesPolicy(result: FlowResult, failOn: FailOn): boolean {
  if (failOn === "never") return false;
  if (result.status === "error") return true;
  switch (failOn) {
    case "type-change":
      // A stale graph breaks runs as surely as a stale type: Dagster runs the old ops against the new code.
      return result.changes.some((change) => change.kind === "type-changed") || result.jobChanges.some((change) => GRAPH_CHANGE_KINDS.has(change.kind));
    case "breaking":
      return result.jobChange !== null || result.changes.some((change) => change.severity === "breaking") || result.jobChanges.some((change) => change.severity === "breaking");
    case "drift":
      return result.status === "drift";
  }
}
