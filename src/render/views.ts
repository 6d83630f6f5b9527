/** Small derived values the templates need, computed once so templates stay declarative. */
import type { CheckReport, Finding } from "../core/types.js";

export interface CheckView {
  /** Per flow (same order as report.flows), the breaking changes as short phrases. */
  breaking: string[][];
  warnings: Finding[];
}

export function checkView(report: CheckReport): CheckView {
  return {
    breaking: report.flows.map((flow) => [
      ...(flow.jobChange ? ["job renamed"] : []),
      ...flow.changes.filter((change) => change.severity === "breaking").map((change) => `${change.kind} ${change.parameter}`),
    ]),
    warnings: report.flows.flatMap((flow) => flow.warnings),
  };
}
