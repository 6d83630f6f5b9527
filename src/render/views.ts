/** Small derived values the templates need, computed once so templates stay declarative. */
import type { GeneratorIdentification } from "../core/generators.js";
import type { JobModel } from "../core/job-model.js";
import type { CheckReport, Finding, Unchecked } from "../core/types.js";
import { asJobGraph, MERMAID_LIMITS, mermaidOf } from "./mermaid.js";

export interface CheckView {
  /** Per flow (same order as report.flows), the breaking changes as short phrases. */
  breaking: string[][];
  warnings: Finding[];
  /** The parts of up-to-date flows that could not be compared (drifted flows list theirs with their changes). */
  unchecked: (Unchecked & { flowFile: string })[];
  /**
   * Per flow, the Mermaid diagram of its job after regeneration when it has job changes to show;
   * `leftOut` when the diagrams of the flows before it filled the report's room (MERMAID_LIMITS.report).
   */
  diagrams: { mermaid: string | null; leftOut: boolean }[];
  /** Definitions files made by another metaflow-dagster than the repo's (audits put them first). */
  otherGenerators: { definitionsFile: string; committed: string | null; current: string | null }[];
}

/** The diagrams of the flows the report details (drift, error) that have job changes, first come first drawn. */
function diagramsOf(report: CheckReport): CheckView["diagrams"] {
  let room: number = MERMAID_LIMITS.report;
  return report.flows.map((flow) => {
    if (!(flow.status === "drift" || flow.status === "error") || !flow.jobGraph || !(flow.jobChanges ?? []).length) return { mermaid: null, leftOut: false };
    const mermaid = mermaidOf(asJobGraph(flow.jobGraph));
    if (mermaid.length > room) return { mermaid: null, leftOut: true };
    room -= mermaid.length;
    return { mermaid, leftOut: false };
  });
}

export function checkView(report: CheckReport): CheckView {
  return {
    breaking: report.flows.map((flow) => [
      ...(flow.jobChange ? ["job renamed"] : []),
      ...flow.changes.filter((change) => change.severity === "breaking").map((change) => `${change.kind} ${change.parameter}`),
      // A report from before job changes (or a hand-made one) may not have them.
      ...(flow.jobChanges ?? []).filter((change) => change.severity === "breaking").map((change) => [change.kind, change.subject ?? change.step].filter((part) => part !== null).join(" ")),
    ]),
    warnings: report.flows.flatMap((flow) => flow.warnings),
    diagrams: diagramsOf(report),
    unchecked: report.flows.filter((flow) => flow.status === "up-to-date").flatMap((flow) => (flow.unchecked ?? []).map((part) => ({ ...part, flowFile: flow.flowFile }))),
    otherGenerators: report.flows.flatMap((flow) =>
      (flow.jobChanges ?? []).filter((change) => change.kind === "generator-changed" && flow.definitionsFile).map((change) => ({ definitionsFile: flow.definitionsFile!, committed: change.committed, current: change.current })),
    ),
  };
}

/** One op as `mfdag inspect` lists it: what Dagster runs differently per op. */
export interface InspectOp {
  name: string;
  kind: string;
  /** The steps it runs, when not just the one its name says (compound ops). */
  steps: string[] | null;
  retries: string | null;
  timeout: string | null;
  /** Per step it runs: `step: WORKERS=8` style environment and user-code retries, when set. */
  env: string[];
}

export interface InspectView {
  flow: string | null;
  job: string | null;
  generator: string;
  ops: InspectOp[];
  edges: string[];
  schedule: string | null;
  sensors: string[];
  topArgs: string[];
  jobTags: string | null;
  runTags: string[];
  decorators: string[];
}

const shown = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value));

/** Which metaflow-dagster wrote a file, from the reader's fingerprint, whatever its shape. */
/** Which metaflow-dagster made a file, and how mfdag knows. */
export type InspectedGenerator = GeneratorIdentification & { templateSha: string | null };

function generatorLabel(generator: InspectedGenerator): string {
  if (generator.version === null) return `an unknown metaflow-dagster (template ${generator.templateSha ?? "unreadable"})`;
  const alike = generator.alike.length > 0 ? ` (or ${generator.alike.join(", ")})` : "";
  return `metaflow-dagster ${generator.version}${alike}, by its ${generator.how === "template" ? "template text" : "constant and helper names"}`;
}

/** What `mfdag inspect --format text` prints of a model read back from a definitions file; `null` fields when there is no model. */
export function inspectView(model: JobModel | null, fingerprint: InspectedGenerator): InspectView | null {
  if (!model) return null;
  return {
    flow: model.flow_name,
    job: model.job_name,
    generator: generatorLabel(fingerprint),
    ops: model.ops.map((op) => ({
      name: op.name,
      kind: op.kind,
      steps: op.steps.length === 1 && `op_${op.steps[0]}` === op.name ? null : op.steps.map((step) => step ?? "?"),
      retries: op.retry_policy ? `${op.retry_policy.max_retries ?? "?"}${op.retry_policy.delay ? ` (delay ${op.retry_policy.delay} s)` : ""}` : null,
      timeout: op.timeout === null ? null : `${op.timeout} s`,
      env: op.runs.flatMap((run) => [
        ...(run.extra_env !== null && run.extra_env !== undefined ? [`${run.step ?? "?"}: env ${shown(run.extra_env)}`] : []),
        ...(run.max_user_code_retries ? [`${run.step ?? "?"}: max_user_code_retries ${run.max_user_code_retries}`] : []),
      ]),
    })),
    edges: (model.job?.edges ?? []).map((edge) => `${edge.from}${edge.output ? `.${edge.output}` : ""} → ${edge.to}${edge.input ? ` (${edge.input})` : ""}${edge.how === "map" || edge.how === "collect" ? ` [${edge.how}]` : ""}`),
    schedule: model.schedule ? `${model.schedule.name ?? "?"}: ${model.schedule.cron ?? "?"}` : null,
    sensors: model.sensors.map((sensor) =>
      sensor.kind === "event" ? `${sensor.name}: on event ${sensor.event ?? "?"}` : sensor.kind === "finish" ? `${sensor.name}: after job ${sensor.upstream_job ?? "?"}` : `${sensor.name}: ${sensor.kind}`,
    ),
    topArgs: model.top_args ?? [],
    jobTags: model.job?.tags ? shown(model.job.tags) : null,
    runTags: model.run_tags.filter((tags) => tags.length > 0).map((tags) => tags.join(", ")),
    decorators: Object.entries(model.step_with_decorators ?? {})
      .filter(([, specs]) => specs.length > 0)
      .map(([step, specs]) => `${step}: ${specs.join(" ")}`),
  };
}
