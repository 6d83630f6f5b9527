/**
 * Where each problem of a report points in the repo, for workflow annotations and SARIF: breaking
 * drift at the Parameter's line in the flow and at the field's line in the definitions file,
 * compile errors at the flow, lints at the Parameter. GitHub shows only a few annotations per step:
 * planAnnotations chooses which, and the job summary and SARIF keep the full list.
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

/**
 * How useful an error annotation is as a flow's only one (lower is better): the Parameter line of a
 * type change in the flow is where the author acts; else a breaking field in the definitions file;
 * else the Parameter of another breaking change; else what the job changes point at; else the flow
 * file itself (a compile error has no line).
 */
const USEFULNESS = { typeChangeInFlow: 0, breakingFieldInDefinitions: 1, breakingFieldInFlow: 2, job: 3, flowFile: 4 } as const;

/** How severe the problem behind an error is (lower is worse): what decides which flows are annotated first. */
const SEVERITY = { typeChange: 0, breakingField: 1, job: 2, couldNotCheck: 3 } as const;

/** An annotation with how useful it is as its flow's only one, and how severe its problem is. */
interface RankedAnnotation {
  annotation: Annotation;
  usefulness: number;
  severity: number;
}

function rankedFlowAnnotations(flow: FlowResult): RankedAnnotation[] {
  const out: RankedAnnotation[] = [];
  const add = (annotation: Annotation, usefulness: number, severity: number) => out.push({ annotation, usefulness, severity });
  if (flow.status === "error" && flow.error) {
    add({ level: "error", rule: `mfdag/${compileError.id}`, title: "mfdag: cannot check this flow", message: flow.error, file: flow.flowFile, line: null }, USEFULNESS.flowFile, SEVERITY.couldNotCheck);
  }
  const regenerate = flow.regenerate ? ` Regenerate: ${flow.regenerate}` : "";
  if (flow.jobChange && flow.definitionsFile) {
    add(
      {
        level: "error",
        rule: `mfdag/${jobRenamed.id}`,
        title: "mfdag: Dagster job renamed",
        message: `The committed job is ${flow.jobChange.committed}; dagster create now names it ${flow.jobChange.current}.${regenerate}`,
        file: flow.definitionsFile,
        line: 1,
      },
      USEFULNESS.job,
      SEVERITY.job,
    );
  }
  for (const change of flow.changes) {
    if (change.severity !== "breaking") continue;
    const title = `mfdag: ${change.kind} ${change.parameter}`;
    const message = describeChange(change) + regenerate;
    const typeChange = change.kind === "type-changed";
    const severity = typeChange ? SEVERITY.typeChange : SEVERITY.breakingField;
    if (change.declaredIn && change.flowLine) add({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: change.declaredIn, line: change.flowLine }, typeChange ? USEFULNESS.typeChangeInFlow : USEFULNESS.breakingFieldInFlow, severity);
    if (flow.definitionsFile && change.definitionsLine) add({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: flow.definitionsFile, line: change.definitionsLine }, USEFULNESS.breakingFieldInDefinitions, severity);
  }
  // A breaking job change points at what caused it in the flow (the decorator, the `self.next`)
  // and at the op in the committed file.
  for (const change of flow.jobChanges) {
    if (change.severity !== "breaking") continue;
    const title = `mfdag: ${jobChangeLabel(change)}`;
    const message = describeJobChange(change) + regenerate;
    if (change.declaredIn && change.flowLine) add({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: change.declaredIn, line: change.flowLine }, USEFULNESS.job, SEVERITY.job);
    if (flow.definitionsFile && change.definitionsLine) add({ level: "error", rule: `mfdag/${change.kind}`, title, message, file: flow.definitionsFile, line: change.definitionsLine }, USEFULNESS.job, SEVERITY.job);
  }
  for (const warning of flow.warnings) {
    add({ level: "warning", rule: `mfdag/${warning.lint}`, title: `mfdag: ${warning.lint}`, message: warning.message, file: warning.file, line: warning.line }, 0, 0);
  }
  return out;
}

/** Every annotation of the report, flow by flow: what SARIF and the job summary list. */
export function annotationsFor(report: CheckReport): Annotation[] {
  return report.flows.flatMap((flow) => rankedFlowAnnotations(flow).map((ranked) => ranked.annotation));
}

export type AnnotationLevel = Annotation["level"];

/** GitHub shows this many annotations of each level per step, and drops the rest. */
export const ANNOTATIONS_SHOWN_PER_STEP = 10;

/** How many annotations of each level a step may still write. */
export type AnnotationBudget = Record<AnnotationLevel, number>;

/** The annotations of one level that did not fit, for one "+N more in the job summary" annotation. */
export interface OmittedAnnotations {
  level: AnnotationLevel;
  /** Annotations left out. */
  count: number;
  /** Flows none of whose annotations of this level is shown. */
  flows: number;
  title: string;
  message: string;
}

export interface AnnotationPlan {
  shown: Annotation[];
  omitted: OmittedAnnotations[];
}

/** One flow's annotations of one level: the most useful first, and how severe the flow is. */
interface FlowGroup {
  annotations: Annotation[];
  severity: number;
}

/** `rankedByFlow` holds each flow's ranked annotations, in the report's flow order. */
function groupsOf(rankedByFlow: RankedAnnotation[][], level: AnnotationLevel): FlowGroup[] {
  const groups: FlowGroup[] = [];
  for (const flowRanked of rankedByFlow) {
    // filter copies, so the sort below leaves the shared per-flow lists in the report's order.
    const ranked = flowRanked.filter((r) => r.annotation.level === level);
    if (ranked.length === 0) continue;
    // Stable: among equally useful lines, the report's order (the Parameter's order) decides.
    ranked.sort((a, b) => a.usefulness - b.usefulness);
    groups.push({ annotations: ranked.map((r) => r.annotation), severity: Math.min(...ranked.map((r) => r.severity)) });
  }
  // The most severe flows first (a type change before other breaking drift, drift before a compile
  // error); among equals, the report's order, which is the paths' order.
  return groups.sort((a, b) => a.severity - b.severity);
}

/**
 * The wording every "+N more" annotation shares: the action's (omittedText) and `mfdag check
 * --format github`'s (src/render/workflow-commands.ts), which differ only in where they send the
 * reader. `title` is "mfdag: +N more errors", `why` the sentence on GitHub's limit, `more` "N more
 * errors (F flows not annotated at all)".
 */
export function omittedWording(level: AnnotationLevel, count: number, flows: number): { title: string; why: string; more: string } {
  const noun = `${level}${count === 1 ? "" : "s"}`;
  const inFlows = flows > 0 ? ` (${flows} flow${flows === 1 ? "" : "s"} not annotated at all)` : "";
  return {
    title: `mfdag: +${count} more ${noun}`,
    why: `GitHub shows only ${ANNOTATIONS_SHOWN_PER_STEP} ${level} annotations per step, so mfdag annotated the most severe flows first, each at its most useful line.`,
    more: `${count} more ${noun}${inFlows}`,
  };
}

function omittedText(level: AnnotationLevel, count: number, flows: number): { title: string; message: string } {
  const { title, why, more } = omittedWording(level, count, flows);
  return { title: `${title} in the job summary`, message: `${why} ${more} are listed in the job summary and the SARIF file.` };
}

/**
 * The annotations to write within `budget`, per level. When they all fit, all of them, in the
 * report's order. Otherwise one per flow at its most useful line, the most severe flows first, then
 * further lines of those flows while room is left, keeping the last slot for one annotation that
 * says how many more the job summary lists.
 */
export function planAnnotations(report: CheckReport, budget: AnnotationBudget): AnnotationPlan {
  const shown: Annotation[] = [];
  const omitted: OmittedAnnotations[] = [];
  // Ranked once for all three levels rather than once per level (and again when a level all fits).
  const ranked = report.flows.map(rankedFlowAnnotations);
  for (const level of ["error", "warning", "notice"] as const) {
    const groups = groupsOf(ranked, level);
    const total = groups.reduce((sum, group) => sum + group.annotations.length, 0);
    const room = Math.max(0, budget[level]);
    if (total <= room) {
      shown.push(...ranked.flat().map((r) => r.annotation).filter((a) => a.level === level));
      continue;
    }
    const slots = Math.max(0, room - 1);
    const picked: Annotation[] = [];
    // First the most useful line of each flow, then the others, in the same flow order.
    for (const group of groups) if (picked.length < slots) picked.push(group.annotations[0]!);
    for (const group of groups) for (const annotation of group.annotations.slice(1)) if (picked.length < slots) picked.push(annotation);
    shown.push(...picked);
    if (room === 0) continue;
    const unannotatedFlows = groups.length - Math.min(groups.length, slots);
    omitted.push({ level, count: total - picked.length, flows: unannotatedFlows, ...omittedText(level, total - picked.length, unannotatedFlows) });
  }
  return { shown, omitted };
}
