/**
 * The job model: what one definitions file defines beyond its Config class, in the shape of the
 * documented structural model (shared docs, "The structural model", section 8 of
 * metaflow-dagster-definitions.md). Its keys keep that document's snake_case names on purpose: the
 * recorded ground truth, the TypeScript reader (job-reader.ts), the static compiler
 * (python/mfstatic/job.py) and the real compiler's output read back all produce this one shape, so a
 * model from any of them compares with any other key by key, and a fixture's expected model is the
 * ground truth file itself.
 *
 * Only the flow- and argument-dependent keys are here: the reader's diagnostics (`parse_errors`),
 * machine-specific ones (`step_env_keys`, the datastore root) and the version's own template text
 * (`template_sha`, kept apart in `generator`) are not compared.
 *
 * A model can come from a pull request (a committed file read back, or a report uploaded by an
 * untrusted run), so every string and list is bounded.
 */
import { z } from "zod";

/**
 * The metaflow-dagster versions whose output the static compiler predicts (generators.ts has
 * every version mfdag recognises): the release, and the repository's main branch, which writes a
 * different graph for some shapes.
 */
export const GENERATOR_PROFILES = ["0.3.7", "main"] as const;
export type GeneratorProfile = (typeof GENERATOR_PROFILES)[number];
export const DEFAULT_GENERATOR: GeneratorProfile = "0.3.7";

const LIMITS = { name: 1024, text: 100_000, items: 10_000 } as const;
const name = z.string().max(LIMITS.name);
const text = z.string().max(LIMITS.text);
const list = <T extends z.ZodType>(item: T) => z.array(item).max(LIMITS.items);
const dict = <T extends z.ZodType>(value: T) => z.record(name, value);
/** A Python literal read back as JSON (an `extra_env` value, a flow config value). */
const literal: z.ZodType<unknown> = z.unknown();

/** How metaflow-dagster renders an op (documented table "Op rendering, per kind"). */
export const OP_KINDS = [
  "start",
  "start-split",
  "start-foreach",
  "start-switch",
  "linear",
  "foreach-body",
  "split",
  "foreach",
  "switch",
  "join",
  "foreach-join",
  "switch-merge",
  "end",
  "compound-nested-foreach",
  "compound-multibody-foreach",
] as const;
export type OpKind = (typeof OP_KINDS)[number];

/** One `_run_step(...)` call inside an op: one Metaflow step run by it. */
const stepRunSchema = z.object({
  step: name.nullable(),
  max_user_code_retries: z.number().int().nullable(),
  tags: list(text).nullable(),
  extra_env: literal.nullable(),
  split_index: z.boolean(),
});

const opSchema = z.object({
  name,
  /** The steps it runs, in order (one, except in compound ops). */
  steps: list(name.nullable()),
  /** `ins={...}`: parameter → `In(...)` source text. */
  ins: dict(text).nullable(),
  /** `out=Out(str)` / `DynamicOut(str)` as text, or the dict of named outputs. */
  out: z.union([text, dict(text)]).nullable(),
  /** Keys of `out={...}` in order, duplicates kept (a switch with two cases to one step). */
  out_names: list(name.nullable()).nullable(),
  params: list(name),
  config: name.nullable(),
  returns: text.nullable(),
  retry_policy: z.object({ max_retries: z.number().int().nullable(), delay: z.number().int().nullable() }).nullable(),
  tags: dict(text).nullable(),
  /** Seconds of `dagster/op_execution_timeout`, when the op has one. */
  timeout: z.number().int().nullable(),
  decorator_keys: list(name),
  runs: list(stepRunSchema),
  yields: list(z.object({ type: name.nullable(), output_name: name.nullable() })),
  init: z.boolean(),
  reads_foreach_splits: z.boolean(),
  reads_condition_branch: z.boolean(),
  /** The start op's `parameters = {...}`: Config field → expression. */
  parameters: dict(text).optional(),
  kind: z.string().max(64),
});

/** One argument of an op call in the job body: which op's output feeds which parameter, and how. */
const edgeSchema = z.object({
  from: name,
  /** The named output (`r_start.train`), when there is one. */
  output: name.nullable(),
  to: name,
  input: name.nullable(),
  how: z.enum(["direct", "output", "map", "collect", "expr"]),
});

const jobSchema = z.object({
  name,
  /** `@job(tags={...})`: `dagster/max_runtime` from `--workflow-timeout`. */
  tags: dict(text).nullable(),
  /** The job function's statements, as written. */
  body: list(text),
  edges: list(edgeSchema),
  ops_called: list(name),
});

const sensorSchema = z.object({
  name,
  job: name,
  default_status: name.nullable(),
  function: name.nullable(),
  indent: z.number().int(),
  kind: z.enum(["event", "finish", "unknown"]),
  event: text.optional(),
  parameter_map: dict(text).optional(),
  run_config_op: name.nullable().optional(),
  upstream_job: name.nullable().optional(),
});

export const jobModelSchema = z.object({
  header: z.object({
    flow: name.nullable(),
    job: name.nullable(),
    regenerate: z.object({ flow_file: text, output: text }).nullable(),
  }),
  flow_name: name.nullable(),
  job_name: name.nullable(),
  config_class: z
    .object({
      name,
      fields: list(z.object({ name: text, type: text, default: text, help: text.nullable() })),
      stray_lines: list(text),
    })
    .nullable(),
  origin_run_id: name.nullable(),
  /** METAFLOW_TOP_ARGS with the datastore root replaced by `<DATASTORE_ROOT>`. */
  top_args: list(text).nullable(),
  top_options: z
    .object({
      project_and_flow_options: list(text),
      namespace: text.nullable(),
      metadata: text.optional(),
      environment: text.optional(),
      datastore: text.optional(),
      event_logger: text.optional(),
      monitor: text.optional(),
    })
    .nullable(),
  /** `METAFLOW_FLOW_CONFIG_VALUE` of METAFLOW_STEP_ENV, parsed. */
  flow_config_value: literal.nullable(),
  step_with_decorators: dict(list(text)).nullable(),
  /** Only tag ≤ v0.3.7 files have it. */
  step_decorator_specs: dict(list(text)).optional(),
  /** `null` per step without an environment, else `env1`, `env2`, … (which steps share one). */
  step_conda_env_ids: dict(name.nullable()).nullable(),
  /** The distinct `tags=[...]` lists of the `_run_step` calls (`--tag`). */
  run_tags: list(list(text)),
  workflow_timeout: z.number().int().nullable(),
  ops: list(opSchema),
  job: jobSchema.nullable(),
  schedule: z.object({ name: name.nullable(), job: name.nullable(), cron: text.nullable() }).nullable(),
  sensors: list(sensorSchema),
  definitions: z.record(name, z.union([list(text), text])).nullable(),
  job_name_not_identifier: z.boolean().optional(),
});

export type JobModel = z.infer<typeof jobModelSchema>;
export type OpModel = JobModel["ops"][number];
export type StepRun = OpModel["runs"][number];
export type JobEdge = z.infer<typeof edgeSchema>;
export type SensorModel = JobModel["sensors"][number];

/**
 * The parts of a model a producer can be unsure of, one name per group of keys. The static
 * compiler names the part it cannot predict (`{part: "decorators", step: "train", reason: ...}`)
 * rather than guessing; a comparison skips exactly those parts and says so.
 */
export const MODEL_PARTS = ["graph", "ops", "retry", "timeout", "env", "decorators", "schedule", "sensors", "job-tags", "run-tags", "top-args", "config-value", "job-name"] as const;
export type ModelPart = (typeof MODEL_PARTS)[number];

export const inexactPartSchema = z.object({
  part: z.enum(MODEL_PARTS),
  /** The step it concerns, or `null` for the whole flow. */
  step: name.nullable(),
  reason: text,
});
export type InexactPart = z.infer<typeof inexactPartSchema>;
