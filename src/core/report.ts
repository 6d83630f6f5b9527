/**
 * What a report says about its flows as a whole: the order flows are listed in and the summary
 * counts. Shared by check() and by merging the reports of shards, which both build a report.
 */
import type { CheckSummary, FlowResult } from "./types.js";

/** The order check() reports flows in. */
export function compareResults(a: FlowResult, b: FlowResult): number {
  return a.flowFile.localeCompare(b.flowFile) || (a.definitionsFile ?? "").localeCompare(b.definitionsFile ?? "");
}

/** The summary counts of a report's flows. */
export function summarize(results: readonly FlowResult[]): CheckSummary {
  const count = (status: FlowResult["status"]) => results.filter((result) => result.status === status).length;
  return {
    flows: results.length,
    upToDate: count("up-to-date"),
    drift: count("drift"),
    typeChanges: results.reduce((n, result) => n + result.changes.filter((change) => change.kind === "type-changed").length, 0),
    breaking: results.reduce(
      (n, result) =>
        n + result.changes.filter((change) => change.severity === "breaking").length + result.jobChanges.filter((change) => change.severity === "breaking").length + (result.jobChange ? 1 : 0),
      0,
    ),
    jobChanges: results.reduce((n, result) => n + result.jobChanges.length, 0),
    unchecked: results.filter((result) => result.unchecked.length > 0).length,
    missing: count("missing-definitions"),
    orphaned: count("orphaned-definitions"),
    errors: count("error"),
    warnings: results.reduce((n, result) => n + result.warnings.length, 0),
  };
}
