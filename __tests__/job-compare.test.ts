import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDefinitions, type WriterModel } from "../scripts/definitions-writer.mjs";
import { diffContracts } from "../src/core/contract.js";
import { compareJobs, firstDifference, renameJob } from "../src/core/job-compare.js";
import { jobModelSchema, type JobModel } from "../src/core/job-model.js";

const EXPECTED = path.join(__dirname, "fixtures/corpus-definitions/expected");

/** A recorded real-compiler model (the ground truth files carry diagnostics the model has not). */
function model(version: string, name: string): JobModel {
  const raw = JSON.parse(readFileSync(path.join(EXPECTED, version, `${name}.json`), "utf8")) as Record<string, unknown>;
  return jobModelSchema.parse(raw);
}

const clone = (m: JobModel): JobModel => structuredClone(m);
const kinds = (committed: JobModel, current: JobModel) => compareJobs({ committed, current }).changes.map((c) => c.kind);

describe("compareJobs", () => {
  it("finds nothing between a model and itself, for every recorded model of both versions", () => {
    let compared = 0;
    for (const version of ["0.3.7", "main-af05540"]) {
      for (const file of readdirSync(path.join(EXPECTED, version))) {
        const raw = JSON.parse(readFileSync(path.join(EXPECTED, version, file), "utf8")) as { error?: string };
        if (raw.error) continue;
        const m = model(version, file.replace(/\.json$/, ""));
        expect(compareJobs({ committed: m, current: clone(m) }), file).toEqual({ changes: [], unchecked: [] });
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(80);
  });

  it("reports a step the flow gained, with its place in the graph, and the op whose input moved", () => {
    // g01 is start → process → end; drop `process` from the committed side as if it were older.
    const now = model("0.3.7", "g01_linear");
    const steps = now.ops.map((op) => op.steps[0]);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    const middle = steps[1]!;
    const then = clone(now);
    then.ops = then.ops.filter((op) => op.steps[0] !== middle);
    const first = steps[0]!;
    const last = steps[steps.length - 1]!;
    then.job!.edges = [
      ...then.job!.edges.filter((e) => e.from !== `op_${middle}` && e.to !== `op_${middle}`).map((e) => e),
      ...(steps.length === 3 ? [{ from: `op_${first}`, output: null, to: `op_${last}`, input: first, how: "direct" as const }] : []),
    ];
    const { changes } = compareJobs({ committed: then, current: now });
    const added = changes.find((c) => c.kind === "step-added")!;
    expect(added).toMatchObject({ step: middle, subject: `op_${middle}`, severity: "breaking", upstream: [first] });
    expect(added.downstream.length).toBe(1);
    expect(changes.some((c) => c.kind === "edge-changed" && c.severity === "breaking")).toBe(true);
    // The other direction is a removal.
    expect(kinds(now, then)).toContain("step-removed");
  });

  it("reports retries, timeouts, env and forwarded decorators per step, non-breaking", () => {
    const then = model("0.3.7", "g01_linear");
    const now = clone(then);
    const op = now.ops[1]!;
    op.retry_policy = { max_retries: 3, delay: 120 };
    op.runs[0]!.max_user_code_retries = 3;
    op.timeout = 60;
    op.tags = { "dagster/op_execution_timeout": "60" };
    op.runs[0]!.extra_env = { MODE: "fast" };
    now.step_with_decorators![op.steps[0]!] = ["catch:var=e,print_exception=True"];
    const changes = compareJobs({ committed: then, current: now }).changes;
    expect(changes.map((c) => c.kind).sort()).toEqual(["decorators-changed", "env-changed", "retry-changed", "timeout-changed"]);
    expect(changes.find((c) => c.kind === "retry-changed")).toMatchObject({ committed: "0", current: "3, delay 120 s", severity: "non-breaking", subject: op.name });
    expect(changes.find((c) => c.kind === "timeout-changed")).toMatchObject({ committed: "none", current: "60 s" });
  });

  it("reports schedule and sensor changes as breaking, by comparing recorded flows that differ only there", () => {
    const daily = model("0.3.7", "f01_schedule_daily");
    const none = clone(daily);
    none.schedule = null;
    none.definitions = { ...none.definitions!, schedules: [] };
    const changes = compareJobs({ committed: none, current: daily }).changes;
    expect(changes).toEqual([expect.objectContaining({ kind: "schedule-changed", severity: "breaking", committed: null, current: "0 0 * * *" })]);

    const trigger = model("0.3.7", "f06_trigger_event");
    const other = clone(trigger);
    other.sensors[0]!.event = "something_else";
    expect(compareJobs({ committed: trigger, current: other }).changes).toEqual([expect.objectContaining({ kind: "sensor-changed", severity: "breaking" })]);
  });

  it("reports the dagster create arguments' traces: job tags, run tags, top args", () => {
    const then = model("0.3.7", "x01_kitchen_sink");
    const now = clone(then);
    now.workflow_timeout = 60;
    now.job!.tags = { "dagster/max_runtime": "60" };
    now.run_tags = [["env:dev"]];
    now.top_args = [...now.top_args!.slice(0, -1), "--namespace=other"];
    expect(kinds(then, now).sort()).toEqual(["job-tags-changed", "run-tags-changed", "top-args-changed"]);
  });

  it("never calls two different models equal: an unexplained difference is template-changed", () => {
    const then = model("main-af05540", "g03_split_start");
    const now = clone(then);
    now.ops[0]!.yields = [];
    const changes = compareJobs({ committed: then, current: now }).changes;
    expect(changes).toEqual([expect.objectContaining({ kind: "template-changed", subject: "$.ops[0].yields[0]" })]);
  });

  it("skips what the compiler could not predict and lists it as unchecked", () => {
    const then = model("0.3.7", "g01_linear");
    const now = clone(then);
    now.ops[1]!.retry_policy = { max_retries: 2, delay: 120 };
    const step = now.ops[1]!.steps[0]!;
    const result = compareJobs({ committed: then, current: now, inexact: [{ part: "retry", step, reason: "a StepMutator adds decorators" }] });
    expect(result.changes).toEqual([]);
    expect(result.unchecked).toEqual([{ part: "retry", step, reason: "a StepMutator adds decorators" }]);
  });

  it("reports another generator once, and compares only what does not depend on the version", () => {
    // g09's multi-body foreach is separate ops in 0.3.7 and one compound op on main: not drift.
    const old = model("0.3.7", "g09_multibody_foreach");
    const now = model("main-af05540", "g09_multibody_foreach");
    const result = compareJobs({ committed: old, current: now, generator: { committed: "0.3.7", current: "main@af05540" } });
    expect(result.changes.map((c) => c.kind)).toEqual(["generator-changed"]);
  });

  it("compares a renamed job under its new name", () => {
    const then = model("0.3.7", "f01_schedule_daily");
    const now = renameJob(clone(then), then.job_name!, "nightly");
    expect(compareJobs({ committed: then, current: now }).changes).toEqual([]);
  });
});

describe("firstDifference", () => {
  it("names the first differing path and both values", () => {
    expect(firstDifference({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] }, "$")).toEqual({ path: "$.a[1].b", committed: "2", current: "3" });
    expect(firstDifference({ a: 1 }, { a: 1 }, "$")).toBeNull();
    expect(firstDifference([1], [1, 2], "$")).toEqual({ path: "$[1]", committed: "null", current: "2" });
  });
});

describe("diffContracts: how the committed jobs differ between a PR's base and head", () => {
  const writer = (m: JobModel, generator: "0.3.7" | "main" = "0.3.7") => renderDefinitions({ model: m as unknown as WriterModel, generator, source: "/home/a/flows/f.py" });

  it("lists the job changes a PR commits (a schedule added), and nothing for an untouched file", () => {
    const base = model("0.3.7", "f01_schedule_daily");
    const withoutSchedule = { ...clone(base), schedule: null, definitions: { ...base.definitions!, schedules: [] } };
    const changed = diffContracts([{ path: "dagster/f_dagster.py", base: writer(withoutSchedule), head: writer(base) }]);
    expect(changed).toHaveLength(1);
    expect(changed[0]!.jobChanges).toEqual([expect.objectContaining({ kind: "schedule-changed", current: "0 0 * * *" })]);
    expect(diffContracts([{ path: "dagster/f_dagster.py", base: writer(base), head: writer(base) }])).toEqual([]);
  });

  it("says a file regenerated with another metaflow-dagster is that, not drift of every op", () => {
    const old = model("0.3.7", "g09_multibody_foreach");
    const now = model("main-af05540", "g09_multibody_foreach");
    const changed = diffContracts([{ path: "dagster/g_dagster.py", base: writer(old, "0.3.7"), head: writer(now, "main") }]);
    expect(changed[0]!.jobChanges).toEqual([expect.objectContaining({ kind: "generator-changed", committed: "0.3.7", current: "main@af05540" })]);
  });
});
