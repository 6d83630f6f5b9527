/** A flow's result as a check reports it, for tests of what is made from reports; `extra` overrides any field. */
import type { FlowResult } from "../../src/core/types.js";

export function flowResult(flowFile: string, extra: Partial<FlowResult> = {}): FlowResult {
  return {
    flowFile,
    flowClass: "F",
    definitionsFile: flowFile.replace(/\.py$/, "_dagster.py"),
    status: "up-to-date",
    compiler: "static",
    error: null,
    changes: [],
    jobChange: null,
    configDiff: null,
    jobChanges: [],
    jobGraph: null,
    unchecked: [],
    regenerate: "",
    dagsterCreate: null,
    warnings: [],
    currentConfig: null,
    ...extra,
  };
}
