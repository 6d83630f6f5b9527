/**
 * Where each problem of a report points in the repo, for workflow annotations and SARIF: breaking
 * drift at the Parameter's line in the flow and at the field's line in the definitions file,
 * compile errors at the flow, lints at the Parameter.
 */
import { BREAKING_CHANGE_DESCRIPTIONS } from "./compare.js";
import { BREAKING_JOB_CHANGE_DESCRIPTIONS, jobChangeLabel } from "./job-compare.js";
import { compileError, FINDING_KINDS, type FindingKind } from "./lints/index.js";
import type { CheckReport, FieldChange, FlowResult, JobDiff } from "./types.js";

/** The rule of an annotation for a Dagster job that `dagster create` now names differently. */
const jobRenamed: FindingKind = { id: "job-renamed", description: "dagster create now names the job differently." };

/**
 * Every rule an annotation is filed under (`mfdag/<id>`) with its one-line description, from the
 * registries that define them: the finding kinds (lints and compile errors), the breaking change
 * kinds, and the job rename. SARIF lists these.
 */
export const ANNOTATION_RULES: ReadonlyMap<string, string> = new Map([
  ...[...FINDING_KINDS, jobRenamed].map((kind): [string, string] => [`mfdag/${kind.id}`, kind.description]),
  ...Object.entries(BREAKING_CHANGE_DESCRIPTIONS).map(([kind, description]): [string, string] => [`mfdag/${kind}`, description]),
  ...Object.entries(BREAKING_JOB_CHANGE_DESCRIPTIONS).map(([kind, description]): [string, string] => [`mfdag/${kind}`, description]),
]);

export interface Annotation {
  level: "error" | "warning" | "notice";
  /** Stable id, e.g. `mfdag/type-changed`, used as the SARIF rule. */
  rule: string;
  title: string;
  message: string;
  file: string;
  line: number | null;
}

function describeChange(change: FieldChange): string {
  const show = (v: FieldChange["current"]) => (v ? `${change.parameter}: ${v.type} = ${v.default}` : "(absent)");
  switch (change.kind) {
    case "added":
      return `Dagster does not offer ${show(change.current)} yet: the committed definitions predate this parameter.`;
    case "removed":
      return `The committed definitions still offer ${show(change.committed)}, which the flow no longer has.`;
    case "type-changed":
      return `The committed definitions offer ${show(change.committed)}; dagster create now writes ${show(change.current)}.`;
    default:
      return `${change.kind}: ${show(change.committed)} → ${show(change.current)}`;
  }
}

/** One line for an annotation (plain text: the runner shows it as is). */
function describeJobChange(change: JobDiff): string {
  const between = (change.upstream.length > 0 ? ` after ${change.upstream.join(", ")}` : "") + (change.downstream.length > 0 ? ` before ${change.downstream.join(", ")}` : "");
  switch (change.kind) {
    case "step-added":
      return `The committed Dagster job does not run step ${change.step}${between}: the definitions predate it.`;
    case "step-removed":
      return `The committed Dagster job still runs step ${change.step}, which the flow no longer has.`;
    case "edge-changed":
      return `${change.subject} is wired as ${change.committed} in the committed job; dagster create now wires ${change.current}.`;
    case "op-kind-changed":
      return `Step ${change.step} is ${change.committed} in the committed job; dagster create now writes ${change.current}.`;
    default:
      return `${change.subject ?? change.kind}: ${change.committed ?? "(none)"} → ${change.current ?? "(none)"} in dagster create's output now.`;
  }
}

function flowAnnotations(flow: FlowResult): Annotation[] {
  const out: Annotation[] = [];
  if (flow.status === "error" && flow.error) {
    out.push({ level: "error", rule: `mfdag/${compileError.id}`, title: "mfdag: cannot check this flow", message: flow.error, file: flow.flowFile, line: null });
  }
  const regenerate = flow.regenerate ? ` Regenerate: ${flow.regenerate}` : "";
  if (flow.jobChange && flow.definitionsFile) {
    out.push({
      level: "error",
      rule: `mfdag/${jobRenamed.id}`,
      title: "mfdag: Dagster job renamed",
      message: `The committed job is ${flow.jobChange.committed}; dagster create now names it ${flow.jobChange.current}.${regenerate}`,
      file: flow.definitionsFile,
      line: 1,
    });
  }
  for (const change of flow.changes) {
    if (change.severity !== "breaking") continue;
    const title = `mfdag: ${change.kind} ${change.parameter}`;
    const message = describeChange(change) + regenerate;
    if (change.declaredIn && change.flowLine) out.push({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: change.declaredIn, line: change.flowLine });
    if (flow.definitionsFile && change.definitionsLine) out.push({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: flow.definitionsFile, line: change.definitionsLine });
  }
  // A breaking job change points at what caused it in the flow (the decorator, the `self.next`)
  // and at the op in the committed file.
  for (const change of flow.jobChanges) {
    if (change.severity !== "breaking") continue;
    const title = `mfdag: ${jobChangeLabel(change)}`;
    const message = describeJobChange(change) + regenerate;
    if (change.declaredIn && change.flowLine) out.push({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: change.declaredIn, line: change.flowLine });
    if (flow.definitionsFile && change.definitionsLine) out.push({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: flow.definitionsFile, line: change.definitionsLine });
  }
  for (const warning of flow.warnings) {
    out.push({ level: "warning", rule: `mfdag/${warning.lint}`, title: `mfdag: ${warning.lint}`, message: warning.message, file: warning.file, line: warning.line });
  }
  return out;
}

export function annotationsFor(report: CheckReport): Annotation[] {
  return report.flows.flatMap(flowAnnotations);
}
