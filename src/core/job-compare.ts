/**
 * Compares the job a committed definitions file defines with the one `dagster create` writes now,
 * and says what differs in the terms a reviewer thinks in: steps added or removed, wiring, op
 * kinds, retries, timeouts, environment, forwarded decorators, schedule, sensors, tags, top-level
 * options, the flow's config value, the generator. Pure: two job models in, `JobDiff`s out.
 *
 * Both models are read the same way (the reader, or the static compiler predicting the reader's
 * output), so a difference is a difference in the file. What the compiler could not predict is
 * skipped part by part and reported as unchecked, never compared as if known.
 */
import { isDeepStrictEqual } from "node:util";
import type { InexactPart, JobEdge, JobModel, ModelPart, OpModel } from "./job-model.js";
import type { JobChangeKind, JobDiff, Severity, Unchecked } from "./types.js";

const SEVERITY: Record<JobChangeKind, Severity> = {
  "step-added": "breaking",
  "step-removed": "breaking",
  "edge-changed": "breaking",
  "op-kind-changed": "breaking",
  "schedule-changed": "breaking",
  "sensor-changed": "breaking",
  "retry-changed": "non-breaking",
  "timeout-changed": "non-breaking",
  "env-changed": "non-breaking",
  "decorators-changed": "non-breaking",
  "job-tags-changed": "non-breaking",
  "run-tags-changed": "non-breaking",
  "top-args-changed": "non-breaking",
  "config-value-changed": "non-breaking",
  "generator-changed": "non-breaking",
  "template-changed": "non-breaking",
};

/** The kinds that change the graph Dagster runs: `fail-on: type-change` fails on these too. */
export const GRAPH_CHANGE_KINDS: ReadonlySet<JobChangeKind> = new Set(["step-added", "step-removed", "edge-changed", "op-kind-changed"]);

/** What each breaking kind means, in the one line code scanning shows for its rule (`mfdag/<kind>`). */
export const BREAKING_JOB_CHANGE_DESCRIPTIONS = {
  "step-added": "The flow has a step the committed Dagster job does not run.",
  "step-removed": "The committed Dagster job runs a step the flow no longer has.",
  "edge-changed": "The committed Dagster job wires its ops differently from the flow's transitions.",
  "op-kind-changed": "A step's kind (split, join, foreach, switch, ...) changed but the Dagster op was not regenerated.",
  "schedule-changed": "The flow's @schedule differs from the committed Dagster schedule.",
  "sensor-changed": "The flow's @trigger / @trigger_on_finish differs from the committed Dagster sensors.",
} as const satisfies Partial<Record<JobChangeKind, string>>;

/** `dict[key]` for a name from a file (a step, an op): only the dict's own entries, never `__proto__`'s. */
function own<T>(dict: Record<string, T> | null | undefined, key: string): T | undefined {
  return dict && Object.hasOwn(dict, key) ? dict[key] : undefined;
}

/** A job change in a few words for one line: its kind and the step (or else the thing) it concerns. */
export function jobChangeLabel(change: Pick<JobDiff, "kind" | "step" | "subject">): string {
  const about = change.step ?? change.subject;
  return about === null ? change.kind : `${change.kind} ${about}`;
}

export function jobSeverityOf(kind: JobChangeKind): Severity {
  return SEVERITY[kind];
}

/** Where a step and its decorators are written in the flow (the static compiler's `jobSources`). */
export interface JobSources {
  steps: Record<string, { file: string; line: number; nextLine: number | null; decorators: Record<string, number> }>;
  flowDecorators: Record<string, number>;
}

/** Where ops and the rest are in the committed file (the reader's `lines`). */
export interface CommittedLines {
  ops: Record<string, number>;
  job: number | null;
  schedule: number | null;
  sensors: Record<string, number>;
}

export interface JobComparison {
  committed: JobModel;
  current: JobModel;
  /** Parts the current model's producer could not predict. */
  inexact?: readonly InexactPart[];
  sources?: JobSources | null;
  lines?: CommittedLines | null;
  /**
   * The metaflow-dagster version that made the committed file, and the one the check targets,
   * when they differ (`generator-changed`). Then only what does not depend on the version is
   * compared: the ops' layout and helper text legitimately differ between versions.
   */
  generator?: { committed: string | null; current: string | null } | null;
}

export interface JobComparisonResult {
  changes: JobDiff[];
  unchecked: Unchecked[];
}

/** One step as the job runs it: which op, of which kind, with what retries, timeout and env. */
interface StepView {
  op: OpModel;
  retries: number | null;
  extraEnv: unknown;
}

function stepViews(model: JobModel): Map<string, StepView> {
  const views = new Map<string, StepView>();
  for (const op of model.ops) {
    for (const run of op.runs) {
      if (run.step === null || views.has(run.step)) continue;
      views.set(run.step, { op, retries: run.max_user_code_retries, extraEnv: run.extra_env });
    }
  }
  return views;
}

/** Steps feeding and fed by each step, through the job's edges (op level, mapped back to steps). */
function stepNeighbours(model: JobModel): { upstream: Map<string, string[]>; downstream: Map<string, string[]> } {
  const stepsOf = new Map(model.ops.map((op) => [op.name, op.steps.filter((s): s is string => s !== null)]));
  // Sets keep insertion order and make a repeated edge free: a hostile file can wire thousands of edges to one op.
  const upstream = new Map<string, Set<string>>();
  const downstream = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, key: string, value: string) => {
    const set = map.get(key) ?? new Set<string>();
    set.add(value);
    map.set(key, set);
  };
  for (const edge of model.job?.edges ?? []) {
    const from = stepsOf.get(edge.from) ?? [];
    const to = stepsOf.get(edge.to) ?? [];
    // A compound op runs several steps: its first step is what its input feeds, its last what it outputs.
    const last = from[from.length - 1];
    const first = to[0];
    if (last && first) {
      add(downstream, last, first);
      add(upstream, first, last);
    }
  }
  // Steps inside one compound op follow each other.
  for (const steps of stepsOf.values()) {
    for (let i = 1; i < steps.length; i++) {
      add(downstream, steps[i - 1]!, steps[i]!);
      add(upstream, steps[i]!, steps[i - 1]!);
    }
  }
  const lists = (map: Map<string, Set<string>>) => new Map([...map].map(([key, set]) => [key, [...set]]));
  return { upstream: lists(upstream), downstream: lists(downstream) };
}

function retryText(op: OpModel, retries: number | null): string {
  const policy = op.retry_policy;
  if (!policy || !policy.max_retries) return retries ? `${retries} (in the step only, no RetryPolicy)` : "0";
  const delay = policy.delay ? `, delay ${policy.delay} s` : "";
  return `${policy.max_retries}${delay}`;
}

const json = (value: unknown) => JSON.stringify(value ?? null);

function edgeText(edge: NonNullable<JobModel["job"]>["edges"][number]): string {
  const source = edge.output ? `${edge.from}.${edge.output}` : edge.from;
  const how = edge.how === "map" ? " (map)" : edge.how === "collect" ? " (collect)" : "";
  return `${edge.input ?? "?"} ← ${source}${how}`;
}

export function compareJobs(input: JobComparison): JobComparisonResult {
  const { current } = input;
  // A renamed job is reported on its own (the Config comparison's jobChange); compared under the
  // new name, the schedule and sensors named after it are not changes of their own.
  const committed = input.committed.job_name && current.job_name && input.committed.job_name !== current.job_name ? renameJob(input.committed, input.committed.job_name, current.job_name) : input.committed;
  const inexact = input.inexact ?? [];
  const changes: JobDiff[] = [];
  const unchecked: Unchecked[] = inexact.map((part) => ({ part: part.part, step: part.step, reason: part.reason }));
  /** Whether `part` (of `step`, or of the whole flow) was predicted, so may be compared. */
  const known = (part: ModelPart, step: string | null = null) => !inexact.some((p) => p.part === part && (p.step === null || p.step === step));
  const sources = input.sources ?? null;
  const lines = input.lines ?? null;

  const push = (kind: JobChangeKind, fields: Partial<Omit<JobDiff, "kind" | "severity">>) => {
    const step = fields.step ?? null;
    const stepSource = step ? own(sources?.steps, step) : undefined;
    changes.push({
      kind,
      severity: SEVERITY[kind],
      subject: fields.subject ?? null,
      step,
      committed: fields.committed ?? null,
      current: fields.current ?? null,
      upstream: fields.upstream ?? [],
      downstream: fields.downstream ?? [],
      declaredIn: fields.declaredIn ?? stepSource?.file ?? null,
      flowLine: fields.flowLine ?? stepSource?.line ?? null,
      definitionsLine: fields.definitionsLine ?? null,
    });
  };
  const opLine = (op: string | undefined) => (op && own(lines?.ops, op)) || null;
  const decoratorLine = (step: string, decorator: string) => own(own(sources?.steps, step)?.decorators, decorator) ?? own(sources?.steps, step)?.line ?? null;

  if (input.generator) {
    push("generator-changed", { committed: input.generator.committed, current: input.generator.current });
  }
  const sameGenerator = !input.generator;

  // Steps.
  const before = stepViews(committed);
  const after = stepViews(current);
  if (known("graph")) {
    const nowNeighbours = stepNeighbours(current);
    const thenNeighbours = stepNeighbours(committed);
    for (const [step, view] of after) {
      if (before.has(step)) continue;
      push("step-added", {
        subject: view.op.name,
        step,
        upstream: nowNeighbours.upstream.get(step) ?? [],
        downstream: nowNeighbours.downstream.get(step) ?? [],
      });
    }
    for (const [step, view] of before) {
      if (after.has(step)) continue;
      push("step-removed", {
        subject: view.op.name,
        step,
        upstream: thenNeighbours.upstream.get(step) ?? [],
        downstream: thenNeighbours.downstream.get(step) ?? [],
        declaredIn: null,
        flowLine: null,
        definitionsLine: opLine(view.op.name),
      });
    }
  }

  for (const [step, now] of after) {
    const then = before.get(step);
    if (!then) continue;
    const definitionsLine = opLine(then.op.name);
    if (sameGenerator && known("ops", step) && known("graph") && (then.op.kind !== now.op.kind || then.op.name !== now.op.name)) {
      push("op-kind-changed", {
        subject: now.op.name,
        step,
        committed: `${then.op.name} (${then.op.kind})`,
        current: `${now.op.name} (${now.op.kind})`,
        flowLine: own(sources?.steps, step)?.nextLine ?? null,
        definitionsLine,
      });
    }
    if (known("retry", step)) {
      const a = retryText(then.op, then.retries);
      const b = retryText(now.op, now.retries);
      if (a !== b) push("retry-changed", { subject: now.op.name, step, committed: a, current: b, flowLine: decoratorLine(step, "retry"), definitionsLine });
    }
    if (known("timeout", step) && then.op.timeout !== now.op.timeout) {
      push("timeout-changed", {
        subject: now.op.name,
        step,
        committed: then.op.timeout === null ? "none" : `${then.op.timeout} s`,
        current: now.op.timeout === null ? "none" : `${now.op.timeout} s`,
        flowLine: decoratorLine(step, "timeout"),
        definitionsLine,
      });
    }
    if (known("env", step) && !isDeepStrictEqual(then.extraEnv ?? null, now.extraEnv ?? null)) {
      push("env-changed", { subject: now.op.name, step, committed: json(then.extraEnv), current: json(now.extraEnv), flowLine: decoratorLine(step, "environment"), definitionsLine });
    }
    if (known("decorators", step)) {
      const forwarded = (model: JobModel) => own(model.step_with_decorators, step) ?? null;
      const specs = (model: JobModel) => (sameGenerator ? (own(model.step_decorator_specs, step) ?? null) : null);
      const conda = (model: JobModel) => (own(model.step_conda_env_ids, step) ?? null) !== null;
      const a = forwarded(committed);
      const b = forwarded(current);
      if (!isDeepStrictEqual(a, b) || !isDeepStrictEqual(specs(committed), specs(current)) || conda(committed) !== conda(current)) {
        push("decorators-changed", {
          subject: now.op.name,
          step,
          committed: isDeepStrictEqual(a, b) ? json(specs(committed)) : json(a),
          current: isDeepStrictEqual(a, b) ? json(specs(current)) : json(b),
          definitionsLine,
        });
      }
    }
  }

  // Wiring: edges of ops that exist on both sides (an added or removed step already explains its own).
  if (sameGenerator && known("graph")) {
    const thenOps = new Set(committed.ops.map((op) => op.name));
    const nowOps = new Map(current.ops.map((op) => [op.name, op]));
    const stepOfOp = (op: string) => nowOps.get(op)?.steps.find((s): s is string => s !== null) ?? null;
    // Each op's feeding edges, grouped once (not a scan of every edge per op).
    const feeders = (model: JobModel) => {
      const map = new Map<string, JobEdge[]>();
      for (const edge of model.job?.edges ?? []) {
        const list = map.get(edge.to);
        if (list) list.push(edge);
        else map.set(edge.to, [edge]);
      }
      return map;
    };
    const thenFeeders = feeders(committed);
    const nowFeeders = feeders(current);
    const inputsText = (edges: JobEdge[] | undefined) => (edges ?? []).map(edgeText).sort();
    const existed = (edge: JobEdge) => thenOps.has(edge.from) && nowOps.has(edge.from);
    for (const op of new Set([...thenFeeders.keys(), ...nowFeeders.keys()])) {
      if (!thenOps.has(op) || !nowOps.has(op)) continue;
      const a = inputsText(thenFeeders.get(op));
      const b = inputsText(nowFeeders.get(op));
      if (isDeepStrictEqual(a, b)) continue;
      const step = stepOfOp(op);
      // The transition that changed is in the `self.next(...)` of a step that fed this op before
      // and still exists (it now goes elsewhere), else of a step that feeds it now and existed before.
      const parent = thenFeeders.get(op)?.find(existed) ?? nowFeeders.get(op)?.find(existed) ?? nowFeeders.get(op)?.[0];
      const parentStep = parent ? stepOfOp(parent.from) : null;
      const nextLine = parentStep ? own(sources?.steps, parentStep)?.nextLine : null;
      push("edge-changed", {
        subject: op,
        step,
        committed: a.join(", ") || "nothing",
        current: b.join(", ") || "nothing",
        declaredIn: parentStep ? (own(sources?.steps, parentStep)?.file ?? null) : null,
        flowLine: nextLine ?? null,
        definitionsLine: lines?.job ?? null,
      });
    }
  }

  // The flow's own decorators and the job-level options.
  const flowLine = (decorator: string) => sources?.flowDecorators[decorator] ?? null;
  const flowFile = () => Object.values(sources?.steps ?? {})[0]?.file ?? null;
  if (known("schedule")) {
    const a = committed.schedule?.cron ?? null;
    const b = current.schedule?.cron ?? null;
    if (a !== b) push("schedule-changed", { subject: "schedule", committed: a, current: b, declaredIn: flowFile(), flowLine: flowLine("schedule"), definitionsLine: lines?.schedule ?? null });
  }
  if (known("sensors")) {
    const describe = (sensor: JobModel["sensors"][number]) =>
      sensor.kind === "event" ? `event ${json(sensor.event ?? null)}${sensor.parameter_map && Object.keys(sensor.parameter_map).length > 0 ? ` mapping ${json(sensor.parameter_map)}` : ""}` : sensor.kind === "finish" ? `after job ${json(sensor.upstream_job ?? null)}` : "unreadable";
    const thenSensors = new Map(committed.sensors.map((s) => [s.name, s]));
    const nowSensors = new Map(current.sensors.map((s) => [s.name, s]));
    for (const name of new Set([...thenSensors.keys(), ...nowSensors.keys()])) {
      const a = thenSensors.get(name);
      const b = nowSensors.get(name);
      const textA = a ? describe(a) : null;
      const textB = b ? describe(b) : null;
      if (textA === textB && a?.default_status === b?.default_status) continue;
      const decorator = (b ?? a)!.kind === "finish" ? "trigger_on_finish" : "trigger";
      push("sensor-changed", { subject: name, committed: textA, current: textB, declaredIn: flowFile(), flowLine: flowLine(decorator), definitionsLine: a ? (own(lines?.sensors, name) ?? null) : null });
    }
  }
  if (known("job-tags") && !isDeepStrictEqual(committed.job?.tags ?? null, current.job?.tags ?? null)) {
    push("job-tags-changed", { subject: committed.job?.name ?? current.job?.name ?? null, committed: json(committed.job?.tags), current: json(current.job?.tags), definitionsLine: lines?.job ?? null });
  }
  if (known("run-tags") && !isDeepStrictEqual(committed.run_tags, current.run_tags)) {
    push("run-tags-changed", { committed: json(committed.run_tags), current: json(current.run_tags) });
  }
  if (known("top-args") && !isDeepStrictEqual(committed.top_args, current.top_args)) {
    push("top-args-changed", { committed: json(committed.top_args), current: json(current.top_args) });
  }
  if (known("config-value") && !isDeepStrictEqual(committed.flow_config_value ?? null, current.flow_config_value ?? null)) {
    push("config-value-changed", { committed: json(committed.flow_config_value), current: json(current.flow_config_value) });
  }

  // Nothing is ever silently equal: a difference no kind above explains is still a difference.
  if (sameGenerator && changes.length === 0 && unchecked.length === 0) {
    const where = firstDifference(comparable(committed), comparable(current), "$");
    if (where) push("template-changed", { subject: where.path, committed: where.committed, current: where.current });
  }
  return { changes, unchecked };
}

/**
 * The keys that a definitions file's job depends on: the header's regenerate line names the flow
 * file's basename (a rename), and the Config class and job name are compared on their own.
 */
function comparable(model: JobModel): unknown {
  const { header: _header, config_class: _config, job_name_not_identifier: _flag, ...rest } = model;
  return rest;
}

/**
 * The model with job name `from` read as `to`: the job, its schedule (`{job}_schedule`) and its
 * sensors (`{job}_on_event_N`, `{job}_on_finish_N`) are named after it.
 */
export function renameJob(model: JobModel, from: string, to: string): JobModel {
  const rename = (name: string) => (name === from ? to : name.startsWith(`${from}_schedule`) || name.startsWith(`${from}_on_`) ? to + name.slice(from.length) : name);
  return {
    ...model,
    header: { ...model.header, job: model.header.job === null ? null : rename(model.header.job) },
    job_name: model.job_name === null ? null : rename(model.job_name),
    job: model.job ? { ...model.job, name: rename(model.job.name) } : null,
    schedule: model.schedule ? { ...model.schedule, name: model.schedule.name === null ? null : rename(model.schedule.name), job: model.schedule.job === null ? null : rename(model.schedule.job) } : null,
    sensors: model.sensors.map((sensor) => ({ ...sensor, name: rename(sensor.name), job: rename(sensor.job), function: sensor.function === null ? null : rename(sensor.function) })),
    definitions: model.definitions ? Object.fromEntries(Object.entries(model.definitions).map(([key, value]) => [key, Array.isArray(value) ? value.map(rename) : rename(value)])) : null,
  };
}

const MAX_SHOWN = 200;
const clip = (text: string) => (text.length > MAX_SHOWN ? text.slice(0, MAX_SHOWN) + "…" : text);

/** The first place two JSON values differ, as a JSON path and both values. Iterative: models can be deep. */
export function firstDifference(a: unknown, b: unknown, root: string): { path: string; committed: string; current: string } | null {
  const stack: Array<[unknown, unknown, string]> = [[a, b, root]];
  while (stack.length > 0) {
    const [x, y, path] = stack.pop()!;
    if (isDeepStrictEqual(x, y)) continue;
    const bothObjects = x !== null && y !== null && typeof x === "object" && typeof y === "object" && Array.isArray(x) === Array.isArray(y);
    if (!bothObjects) return { path, committed: clip(json(x)), current: clip(json(y)) };
    const keys = Array.isArray(x) ? Array.from({ length: Math.max(x.length, (y as unknown[]).length) }, (_, i) => i) : [...new Set([...Object.keys(x), ...Object.keys(y as object)])];
    for (const key of keys.reverse()) {
      const child = typeof key === "number" ? `${path}[${key}]` : `${path}.${key}`;
      stack.push([(x as Record<string | number, unknown>)[key], (y as Record<string | number, unknown>)[key], child]);
    }
  }
  return null;
}
