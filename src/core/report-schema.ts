/**
 * The whole shape of a report, and the one definition of its types: `mfdag check --format json`,
 * the action's report output, and what `merge` and `mode: publish` read back. The types are
 * inferred from the schemas (types.ts re-exports them as the engine's vocabulary), so the report
 * the engine builds and the report a reader accepts cannot drift apart. A stored report comes from
 * a run of untrusted code and is posted with a write token, so every field is checked: enums for
 * every kind, status and choice, non-negative integers for counts and lines, bounded strings and
 * arrays, no unknown keys.
 */
import { z } from "zod";

export const FAIL_ON = ["never", "type-change", "breaking", "drift"] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** When a pull request's change of the committed contract (Config classes, jobs) fails the run: policy.ts. */
export const FAIL_ON_CONTRACT = ["never", "type-change", "breaking"] as const;
export type FailOnContract = (typeof FAIL_ON_CONTRACT)[number];

/**
 * What the contract gate decided: `unchanged` (no change the policy fails on), `violated`,
 * `accepted` (violated, but the pull request carries the approve label) or `unknown` (base and
 * head could not be compared, so mfdag cannot vouch for the contract: it fails).
 */
export const CONTRACT_GATE_OUTCOMES = ["unchanged", "violated", "accepted", "unknown"] as const;
export type ContractGateOutcome = (typeof CONTRACT_GATE_OUTCOMES)[number];

export const COMPILERS = ["auto", "static", "metaflow"] as const;
export type CompilerChoice = (typeof COMPILERS)[number];
/** The compilers that actually produce a result (`auto` resolves to one of these). */
export const COMPILER_NAMES = ["static", "metaflow"] as const;
export type CompilerName = (typeof COMPILER_NAMES)[number];

export const CHANGE_KINDS = ["added", "removed", "type-changed", "default-changed", "help-changed", "reordered"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
export const SEVERITIES = ["breaking", "non-breaking"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * What differs in the job Dagster runs (everything in the definitions file beyond the Config
 * class), one kind per thing a reviewer thinks of. Severities are in job-compare.ts.
 */
export const JOB_CHANGE_KINDS = [
  "step-added",
  "step-removed",
  "edge-changed",
  "op-kind-changed",
  "retry-changed",
  "timeout-changed",
  "env-changed",
  "decorators-changed",
  "schedule-changed",
  "sensor-changed",
  "job-tags-changed",
  "run-tags-changed",
  "top-args-changed",
  "config-value-changed",
  "generator-changed",
  "template-changed",
] as const;
export type JobChangeKind = (typeof JOB_CHANGE_KINDS)[number];

export const STATUSES = ["up-to-date", "drift", "missing-definitions", "orphaned-definitions", "error"] as const;
export type FlowStatus = (typeof STATUSES)[number];

/**
 * Bounds well above anything a real check writes (a flow with 5000 parameters stays far below
 * them), so a report over them is not a report: they keep a hostile file from making the trusted
 * run render or post something unbounded.
 */
export const REPORT_LIMITS = {
  /** Characters of a repo path (PATH_MAX on Linux). */
  path: 4096,
  /** Characters of a name: a parameter, class, job or lint. */
  name: 1024,
  /** Characters of a message, type, default, help or command. */
  text: 100_000,
  /** Characters of a whole Config diff. */
  diff: 10_000_000,
  /** Entries of any list (flows, changes, warnings, lines, arguments). */
  items: 100_000,
} as const;

const path = z.string().max(REPORT_LIMITS.path);
const name = z.string().max(REPORT_LIMITS.name);
const text = z.string().max(REPORT_LIMITS.text);
const count = z.number().int().nonnegative();
const line = z.number().int().nonnegative();
const list = <T extends z.ZodType>(item: T) => z.array(item).max(REPORT_LIMITS.items);

const fieldValueSchema = z.strictObject({ type: text, default: text, help: text });

const fieldChangeSchema = z.strictObject({
  parameter: name,
  kind: z.enum(CHANGE_KINDS),
  severity: z.enum(SEVERITIES),
  committed: fieldValueSchema.nullable(),
  current: fieldValueSchema.nullable(),
  /** The file that declares the parameter (the flow file, or a base class's module), when known. */
  declaredIn: path.nullable(),
  /** Line of the `Parameter(...)` in `declaredIn`, when known. */
  flowLine: line.nullable(),
  /** 1-based line of the field in the committed definitions file, when it exists there. */
  definitionsLine: line.nullable(),
});

const jobChangeSchema = z.strictObject({ committed: name, current: name });

/**
 * One difference in the job between the committed file and what `dagster create` writes now.
 * Structured, not prose: templates phrase it per kind ("new step `validate` between `train` and
 * `end`", "`op_train`: retries 0 → 3"), so every name in it is escaped where it is shown.
 */
const jobDiffSchema = z.strictObject({
  kind: z.enum(JOB_CHANGE_KINDS),
  severity: z.enum(SEVERITIES),
  /** The op (`op_train`) or other named thing (a sensor, the schedule) it concerns, if any. */
  subject: name.nullable(),
  /** The Metaflow step it concerns, if any. */
  step: name.nullable(),
  /** The value before and after, rendered as short text (`RetryPolicy(max_retries=3, delay=120)`, a cron). */
  committed: text.nullable(),
  current: text.nullable(),
  /** The steps feeding it and the steps it feeds (an added or removed step's place in the graph). */
  upstream: list(name),
  downstream: list(name),
  /** Where in the flow the change comes from (the decorator or `self.next`), when known. */
  declaredIn: path.nullable(),
  flowLine: line.nullable(),
  /** 1-based line in the committed definitions file, when the thing exists there. */
  definitionsLine: line.nullable(),
});

/** A part of the job the compiler could not predict, so it was not compared (never a silent pass). */
const uncheckedSchema = z.strictObject({ part: name, step: name.nullable(), reason: text });

const JOB_GRAPH_STATUSES = ["same", "added", "removed", "changed"] as const;

/**
 * The job after regeneration, with what changed marked, for the Mermaid diagram: one node per op
 * (the removed ones kept, marked), one edge per op input.
 */
const jobGraphSchema = z.strictObject({
  nodes: list(z.strictObject({ op: name, steps: list(name), kind: name, status: z.enum(JOB_GRAPH_STATUSES) })),
  edges: list(z.strictObject({ from: name, to: name, how: name, output: name.nullable(), status: z.enum(JOB_GRAPH_STATUSES) })),
});

const findingSchema = z.strictObject({
  lint: name,
  message: text,
  file: path,
  line: line.nullable(),
  parameter: name.nullable(),
});

const dagsterCreateSchema = z.strictObject({
  /** Repo-relative working directory. */
  cwd: path,
  /** `--name`, when the job name is not the default one. */
  name: name.nullable(),
  args: list(text),
  /** metaflow's options before `dagster` (`--environment=conda`). */
  topArgs: list(text),
});

const flowResultSchema = z.strictObject({
  flowFile: path,
  flowClass: name.nullable(),
  definitionsFile: path.nullable(),
  status: z.enum(STATUSES),
  compiler: z.enum(COMPILER_NAMES).nullable(),
  error: text.nullable(),
  changes: list(fieldChangeSchema),
  jobChange: jobChangeSchema.nullable(),
  configDiff: z.string().max(REPORT_LIMITS.diff).nullable(),
  /** Differences in the job beyond the Config class. */
  jobChanges: list(jobDiffSchema),
  /** The job after regeneration, changes marked; `null` when the job was not compared. */
  jobGraph: jobGraphSchema.nullable(),
  /** Parts of the job that could not be compared, and why. */
  unchecked: list(uncheckedSchema),
  regenerate: text,
  /** The `dagster create` invocation behind `regenerate`, for `mfdag fix`; `null` when there is none. */
  dagsterCreate: dagsterCreateSchema.nullable(),
  warnings: list(findingSchema),
  /** The Config class lines `dagster create` would write now, when known. */
  currentConfig: list(text).nullable(),
});

const summarySchema = z.strictObject({
  flows: count,
  upToDate: count,
  drift: count,
  typeChanges: count,
  breaking: count,
  /** Differences in the jobs beyond the Config classes. */
  jobChanges: count,
  /** Flows with parts that could not be compared (the verdict says so). */
  unchecked: count,
  missing: count,
  orphaned: count,
  errors: count,
  warnings: count,
});

const contractChangeSchema = z.strictObject({
  definitionsFile: path,
  flow: name.nullable(),
  status: z.enum(["added", "removed", "changed"]),
  changes: list(fieldChangeSchema),
  jobChange: jobChangeSchema.nullable(),
  configDiff: z.string().max(REPORT_LIMITS.diff).nullable(),
  /** How the committed job differs between base and head (steps, wiring, schedule, ...). */
  jobChanges: list(jobDiffSchema).optional(),
  /** The job, when base or head could not be read as one: not compared, so not vouched for. */
  unchecked: list(uncheckedSchema).optional(),
});

/** The contract gate's verdict on a pull request (`fail-on-contract`, `approve-label`). */
const contractGateSchema = z.strictObject({
  failOnContract: z.enum(FAIL_ON_CONTRACT),
  outcome: z.enum(CONTRACT_GATE_OUTCOMES),
  /** The definitions files whose contract change the policy fails on, each with its changes in a few words. */
  files: list(z.strictObject({ definitionsFile: path, flow: name.nullable(), changes: list(text) })),
  /** The label that accepts a contract change; `null` when `approve-label` is empty (no acceptance). */
  approveLabel: name.nullable(),
  /** Who added the label, when known (the `labeled` event, else the pull request's issue events). */
  acceptedBy: name.nullable(),
  /** Whether that is the pull request's own author: the comment says so, for reviewers to weigh. */
  acceptedByAuthor: z.boolean(),
  /** Why base and head could not be compared (`unknown`), or why the label could not be checked (`violated`). */
  problem: text.nullable(),
});

/**
 * The pull request a report was made for, in GitHub's own shapes (owner and repository names,
 * a full SHA-1 or SHA-256 commit id), so the trusted run can only ask GitHub about a real one.
 */
const pullRequestSchema = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "not a GitHub owner name"),
  repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a GitHub repository name"),
  number: z.number().int().positive(),
  baseSha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "not a commit SHA"),
  headSha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "not a commit SHA"),
});

const checkReportShape = {
  schemaVersion: z.literal(1),
  root: path,
  failed: z.boolean(),
  failOn: z.enum(FAIL_ON),
  compiler: z.enum(COMPILERS),
  summary: summarySchema,
  flows: list(flowResultSchema),
  /**
   * The share of the flows this report holds (`--shard k/n`); absent for a whole check. `merge`
   * needs it to tell a missing shard's report from a shard that found nothing.
   */
  shard: z
    .strictObject({ index: z.number().int().min(1), count: z.number().int().min(1).max(REPORT_LIMITS.items) })
    .refine((shard) => shard.index <= shard.count, "a shard k/n needs k ≤ n")
    .optional(),
};

/** A report as the engine makes it (`mfdag check --format json`). */
export const checkReportSchema = z.strictObject(checkReportShape);

/** A report file: the engine's report, plus what the action adds when it writes one. */
export const storedReportSchema = z.strictObject({
  ...checkReportShape,
  pullRequest: pullRequestSchema.nullable().optional(),
  contract: list(contractChangeSchema).nullable().optional(),
  contractGate: contractGateSchema.nullable().optional(),
});

export type FieldValue = z.infer<typeof fieldValueSchema>;
export type FieldChange = z.infer<typeof fieldChangeSchema>;
export type JobChange = z.infer<typeof jobChangeSchema>;
export type JobDiff = z.infer<typeof jobDiffSchema>;
export type JobGraph = z.infer<typeof jobGraphSchema>;
export type Unchecked = z.infer<typeof uncheckedSchema>;
export type Finding = z.infer<typeof findingSchema>;
export type DagsterCreateArgs = z.infer<typeof dagsterCreateSchema>;
export type FlowResult = z.infer<typeof flowResultSchema>;
export type CheckSummary = z.infer<typeof summarySchema>;
export type CheckReport = z.infer<typeof checkReportSchema>;
/** How a committed Config class differs between a pull request's base and head. */
export type ContractChange = z.infer<typeof contractChangeSchema>;
export type PullRequestRef = z.infer<typeof pullRequestSchema>;
export type ContractGate = z.infer<typeof contractGateSchema>;
export type StoredReport = z.infer<typeof storedReportSchema>;

/** `$.flows[0].changes[1].kind`: where in the file the first bad field is. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return "$" + path.map((key) => (typeof key === "number" ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`)).join("");
}
