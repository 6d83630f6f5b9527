/** Whether a check result violates the `fail-on` policy. */
import type { FailOn, FlowResult } from "./types.js";

/** A flow that could not be compiled violates every policy but `never`: we cannot vouch for it. */
export function violatesPolicy(result: FlowResult, failOn: FailOn): boolean {
  if (failOn === "never") return false;
  if (result.status === "error") return true;
  switch (failOn) {
    case "type-change":
      return result.changes.some((change) => change.kind === "type-changed");
    case "breaking":
      return result.jobChange !== null || result.changes.some((change) => change.severity === "breaking");
    case "drift":
      return result.status === "drift";
  }
}
