/**
 * The job graph people are shown: the ops and wiring of the job after regeneration, with what a
 * regeneration adds, removes or changes marked, so the Mermaid diagram (render/mermaid.ts) can draw
 * the drift instead of listing it. Pure: two models in, the report's `JobGraph` out. The verdict
 * (which differences are drift, how severe) is job-compare.ts's; this only marks the picture.
 */
import type { JobEdge, JobModel, OpModel } from "./job-model.js";
import type { JobGraph } from "./types.js";

type Status = JobGraph["nodes"][number]["status"];

/** JSON with object keys sorted: `ins`, `out` and `tags` are dicts whose order Dagster ignores. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === "object" && !Array.isArray(item) ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : item,
  );
}

/**
 * What of an op Dagster runs differently when it differs: its kind, inputs, outputs, retry policy,
 * tags (the timeout lives there), and per step it runs the retries, environment and run tags. The
 * op's body text, parameter names and yields follow from these and are not compared twice.
 */
function comparedFields(op: OpModel): string {
  return canonical({
    kind: op.kind,
    steps: op.steps,
    ins: op.ins,
    out: op.out,
    retry_policy: op.retry_policy,
    tags: op.tags,
    timeout: op.timeout,
    runs: op.runs.map((run) => ({ step: run.step, max_user_code_retries: run.max_user_code_retries, extra_env: run.extra_env, tags: run.tags })),
  });
}

const edgeKey = (edge: JobEdge) => canonical([edge.from, edge.to, edge.input, edge.how, edge.output]);

/** Ops by name, the first of a name kept (a hostile or broken file can repeat one). */
function opsByName(model: JobModel | null): Map<string, OpModel> {
  const ops = new Map<string, OpModel>();
  for (const op of model?.ops ?? []) if (!ops.has(op.name)) ops.set(op.name, op);
  return ops;
}

function edgesByKey(model: JobModel | null): Map<string, JobEdge> {
  const edges = new Map<string, JobEdge>();
  for (const edge of model?.job?.edges ?? []) if (!edges.has(edgeKey(edge))) edges.set(edgeKey(edge), edge);
  return edges;
}

const nodeOf = (op: OpModel, status: Status): JobGraph["nodes"][number] => ({ op: op.name, steps: op.steps.filter((step): step is string => step !== null), kind: op.kind, status });
const edgeOf = (edge: JobEdge, status: Status): JobGraph["edges"][number] => ({ from: edge.from, to: edge.to, how: edge.how, output: edge.output, status });

/**
 * The graph of `current` (what `dagster create` writes now) against `committed` (the file in the
 * repo): current's ops in order, then the ops only the committed file has, marked removed; the
 * same for the job's edges. With no committed model (`mfdag inspect`, `mfdag config`) everything
 * is `same`.
 */
export function jobGraphOf(current: JobModel, committed: JobModel | null): JobGraph {
  const now = opsByName(current);
  const before = opsByName(committed);
  const nodes: JobGraph["nodes"] = [];
  for (const [name, op] of now) {
    const old = before.get(name);
    const status: Status = committed === null ? "same" : !old ? "added" : comparedFields(old) === comparedFields(op) ? "same" : "changed";
    nodes.push(nodeOf(op, status));
  }
  for (const [name, op] of before) if (!now.has(name)) nodes.push(nodeOf(op, "removed"));

  const edgesNow = edgesByKey(current);
  const edgesBefore = edgesByKey(committed);
  const edges: JobGraph["edges"] = [];
  for (const [key, edge] of edgesNow) edges.push(edgeOf(edge, committed === null || edgesBefore.has(key) ? "same" : "added"));
  for (const [key, edge] of edgesBefore) if (!edgesNow.has(key)) edges.push(edgeOf(edge, "removed"));
  return { nodes, edges };
}
