/**
 * A fixed, representative check report for the template goldens (__tests__/golden.test.ts): one
 * flow of each status, every change kind, a job rename, a Config diff, warnings, and a contract.
 * Written out as data, so the goldens change only when a template (or this fixture) does.
 */
import type { CheckReport, ContractChange, FieldChange, FlowResult, JobDiff, JobGraph } from "../../src/core/types.js";

const TRAIN_DIFF =
  "--- a/dagster/train_dagster.py\tcommitted\n+++ b/dagster/train_dagster.py\tdagster create now\n@@ -1,4 +1,4 @@\n class TrainFlowConfig(Config):\n" +
  "-    dropout: float = 0.1  # Dropout rate\n-    epochs: int = 10  # Training epochs\n-    learning_rate: float = 0.001  # Step size\n" +
  "+    batch_size: int = 32  # Rows per batch\n+    epochs: int = 20  # Training epochs\n+    learning_rate: str = '0.001'  # Step size for the optimizer\n";

function change(parameter: string, kind: FieldChange["kind"], severity: FieldChange["severity"], committed: FieldChange["committed"], current: FieldChange["current"], lines: { flowLine: number | null; definitionsLine: number | null }): FieldChange {
  return { parameter, kind, severity, committed, current, declaredIn: "flows/train_flow.py", ...lines };
}

export const TRAIN_CHANGES: FieldChange[] = [
  change("batch_size", "added", "non-breaking", null, { type: "int", default: "32", help: "Rows per batch" }, { flowLine: 12, definitionsLine: null }),
  change("dropout", "removed", "breaking", { type: "float", default: "0.1", help: "Dropout rate" }, null, { flowLine: null, definitionsLine: 30 }),
  change("epochs", "default-changed", "non-breaking", { type: "int", default: "10", help: "Training epochs" }, { type: "int", default: "20", help: "Training epochs" }, { flowLine: 14, definitionsLine: 31 }),
  change("learning_rate", "type-changed", "breaking", { type: "float", default: "0.001", help: "Step size" }, { type: "str", default: "'0.001'", help: "Step size" }, { flowLine: 15, definitionsLine: 32 }),
  change("learning_rate", "help-changed", "non-breaking", { type: "float", default: "0.001", help: "Step size" }, { type: "str", default: "'0.001'", help: "Step size for the optimizer" }, { flowLine: 15, definitionsLine: 32 }),
  change("seed", "reordered", "non-breaking", { type: "int", default: "7", help: "" }, { type: "int", default: "7", help: "" }, { flowLine: 16, definitionsLine: 33 }),
];

function jobChange(kind: JobDiff["kind"], severity: JobDiff["severity"], fields: Partial<JobDiff>): JobDiff {
  return { kind, severity, subject: null, step: null, committed: null, current: null, upstream: [], downstream: [], declaredIn: null, flowLine: null, definitionsLine: null, ...fields };
}

/** One change of every kind, as job-compare.ts reports them for TrainFlow gaining a `validate` step, a retry, a timeout and a schedule. */
export const TRAIN_JOB_CHANGES: JobDiff[] = [
  jobChange("step-added", "breaking", { subject: "op_validate", step: "validate", upstream: ["train"], downstream: ["end"], declaredIn: "flows/train_flow.py", flowLine: 40 }),
  jobChange("step-removed", "breaking", { subject: "op_report", step: "report", upstream: ["train", "tune"], downstream: ["end"], definitionsLine: 88 }),
  jobChange("edge-changed", "breaking", { subject: "op_end", step: "end", committed: "r_train", current: "r_validate", definitionsLine: 120 }),
  jobChange("op-kind-changed", "breaking", { subject: "op_train", step: "train", committed: "linear", current: "foreach" }),
  jobChange("retry-changed", "non-breaking", { subject: "op_train", step: "train", committed: "0", current: "3", declaredIn: "flows/train_flow.py", flowLine: 25 }),
  jobChange("timeout-changed", "non-breaking", { subject: "op_train", step: "train", committed: null, current: "3600" }),
  jobChange("env-changed", "non-breaking", { subject: "op_train", step: "train", committed: "{'WORKERS': 4}", current: "{'WORKERS': 8}" }),
  jobChange("decorators-changed", "non-breaking", { subject: "op_train", step: "train", committed: "[]", current: "['catch:var=e,print_exception=True']" }),
  jobChange("schedule-changed", "breaking", { subject: "TrainFlow_schedule", committed: null, current: "0 0 * * *", declaredIn: "flows/train_flow.py", flowLine: 9 }),
  jobChange("sensor-changed", "breaking", { subject: "TrainFlow_on_finish_0", committed: "LabelsFlow", current: null }),
  jobChange("job-tags-changed", "non-breaking", { committed: null, current: "{'dagster/max_runtime': '7200'}" }),
  jobChange("run-tags-changed", "non-breaking", { committed: "['team:ml']", current: "['team:ml', 'nightly']" }),
  jobChange("top-args-changed", "non-breaking", { committed: "--namespace=dev", current: "--namespace=prod" }),
  jobChange("config-value-changed", "non-breaking", { committed: '{"settings": {"retries": 1}}', current: '{"settings": {"retries": 3}}' }),
  jobChange("generator-changed", "non-breaking", { committed: "0.3.5", current: "0.3.7" }),
  jobChange("template-changed", "non-breaking", { subject: "line 42", committed: "    # edited by hand", current: null, definitionsLine: 42 }),
];

/** TrainFlow's job after regeneration: `validate` added between `train` and `end`, `report` gone, `train` changed. */
export const TRAIN_JOB_GRAPH: JobGraph = {
  nodes: [
    { op: "op_start", steps: ["start"], kind: "start-foreach", status: "same" },
    { op: "op_train", steps: ["train"], kind: "foreach-body", status: "changed" },
    { op: "op_validate", steps: ["validate"], kind: "linear", status: "added" },
    { op: "op_end", steps: ["end"], kind: "end", status: "same" },
    { op: "op_report", steps: ["report"], kind: "linear", status: "removed" },
  ],
  edges: [
    { from: "op_start", to: "op_train", how: "map", output: null, status: "same" },
    { from: "op_train", to: "op_validate", how: "direct", output: null, status: "added" },
    { from: "op_validate", to: "op_end", how: "direct", output: null, status: "added" },
    { from: "op_train", to: "op_report", how: "direct", output: null, status: "removed" },
    { from: "op_report", to: "op_end", how: "direct", output: null, status: "removed" },
  ],
};

const notCompared: Pick<FlowResult, "changes" | "jobChange" | "configDiff" | "jobChanges" | "jobGraph" | "unchecked"> = { changes: [], jobChange: null, configDiff: null, jobChanges: [], jobGraph: null, unchecked: [] };

export const GOLDEN_FLOWS: FlowResult[] = [
  {
    flowFile: "flows/broken_flow.py",
    flowClass: "BrokenFlow",
    definitionsFile: "dagster/broken_dagster.py",
    status: "error",
    compiler: null,
    error: "flows/broken_flow.py:4: '(' was never closed",
    ...notCompared,
    regenerate: "cd flows && python broken_flow.py dagster create ../dagster/broken_dagster.py",
    dagsterCreate: null,
    warnings: [],
    currentConfig: null,
  },
  {
    flowFile: "flows/etl_flow.py",
    flowClass: "EtlFlow",
    definitionsFile: "dagster/etl_dagster.py",
    status: "up-to-date",
    compiler: "static",
    error: null,
    ...notCompared,
    unchecked: [{ part: "env", step: null, reason: "@conda environment ids depend on the machine" }],
    regenerate: "cd flows && python etl_flow.py dagster create ../dagster/etl_dagster.py",
    dagsterCreate: { cwd: "flows", name: null, args: [], topArgs: [] },
    warnings: [{ lint: "declared-type-mismatch", message: "Parameter 'retries' declares type=int but its default 3.0 makes Dagster show `retries: float`. Write the default as a int.", file: "flows/etl_flow.py", line: 9, parameter: "retries" }],
    currentConfig: ["class EtlFlowConfig(Config):", "    retries: float = 3.0  # Retry budget"],
  },
  {
    flowFile: "flows/score_flow.py",
    flowClass: "ScoreFlow",
    definitionsFile: null,
    status: "missing-definitions",
    compiler: "static",
    error: null,
    ...notCompared,
    regenerate: "cd flows && python score_flow.py dagster create score_flow_dagster.py",
    dagsterCreate: { cwd: "flows", name: null, args: [], topArgs: [] },
    warnings: [{ lint: "compile-error", message: "this flow does not compile, so no definitions file can be generated for it: name 'THRESHOLD' is not defined", file: "flows/score_flow.py", line: 6, parameter: null }],
    currentConfig: null,
  },
  {
    flowFile: "flows/train_flow.py",
    flowClass: "TrainFlow",
    definitionsFile: "dagster/train_dagster.py",
    status: "drift",
    compiler: "metaflow",
    error: null,
    changes: TRAIN_CHANGES,
    jobChange: { committed: "TrainFlow", current: "ml_TrainFlow" },
    configDiff: TRAIN_DIFF,
    jobChanges: TRAIN_JOB_CHANGES,
    jobGraph: TRAIN_JOB_GRAPH,
    unchecked: [{ part: "decorators", step: "train", reason: "a StepMutator adds decorators" }],
    regenerate: "cd flows && python train_flow.py dagster create ../dagster/train_dagster.py",
    dagsterCreate: { cwd: "flows", name: null, args: [], topArgs: [] },
    warnings: [],
    currentConfig: ["class TrainFlowConfig(Config):", "    batch_size: int = 32  # Rows per batch", "    epochs: int = 20  # Training epochs", "    learning_rate: str = '0.001'  # Step size for the optimizer"],
  },
  {
    flowFile: "/home/ci/shop/flows/old_flow.py",
    flowClass: "OldFlow",
    definitionsFile: "dagster/old_dagster.py",
    status: "orphaned-definitions",
    compiler: null,
    error: "no flow file in the repo runs OldFlow and matches its Source /home/ci/shop/flows/old_flow.py: delete dagster/old_dagster.py, or map it in the config file",
    ...notCompared,
    regenerate: "",
    dagsterCreate: null,
    warnings: [],
    currentConfig: null,
  },
];

/** Fails under `type-change`: a drift with a type change, an error, a missing and an orphaned file. */
export const FAILING_REPORT: CheckReport = {
  schemaVersion: 1,
  root: "/home/runner/work/shop/shop",
  failed: true,
  failOn: "type-change",
  compiler: "auto",
  summary: { flows: 5, upToDate: 1, drift: 1, typeChanges: 1, breaking: 3, missing: 1, orphaned: 1, errors: 1, warnings: 2, jobChanges: 0, unchecked: 0 },
  flows: GOLDEN_FLOWS,
};

/** The same findings under `fail-on: never`: drift that does not fail. */
export const DRIFTING_REPORT: CheckReport = { ...FAILING_REPORT, failed: false, failOn: "never" };

/** Everything up to date. */
export const CLEAN_REPORT: CheckReport = {
  schemaVersion: 1,
  root: "/home/runner/work/shop/shop",
  failed: false,
  failOn: "drift",
  compiler: "static",
  summary: { flows: 1, upToDate: 1, drift: 0, typeChanges: 0, breaking: 0, missing: 0, orphaned: 0, errors: 0, warnings: 0, jobChanges: 0, unchecked: 0 },
  flows: [{ ...GOLDEN_FLOWS[1]!, warnings: [], unchecked: [] }],
};

/** Up to date as far as it could be checked: a StepMutator's decorators were not predicted. */
export const UNCHECKED_REPORT: CheckReport = {
  ...CLEAN_REPORT,
  summary: { ...CLEAN_REPORT.summary, unchecked: 1 },
  flows: [{ ...CLEAN_REPORT.flows[0]!, unchecked: [{ part: "decorators", step: "train", reason: "a StepMutator adds decorators" }] }],
};

/** What a PR changes in the committed Config classes. */
export const CONTRACT: ContractChange[] = [
  {
    definitionsFile: "dagster/train_dagster.py",
    flow: "TrainFlow",
    status: "changed",
    changes: TRAIN_CHANGES.slice(0, 4),
    jobChange: { committed: "TrainFlow", current: "ml_TrainFlow" },
    configDiff: TRAIN_DIFF,
    jobChanges: [TRAIN_JOB_CHANGES[0]!, TRAIN_JOB_CHANGES[8]!],
  },
  { definitionsFile: "dagster/score_dagster.py", flow: "ScoreFlow", status: "added", changes: [TRAIN_CHANGES[0]!], jobChange: null, configDiff: null },
];
