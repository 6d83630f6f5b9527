import { describe, expect, it } from "vitest";
import { ANNOTATION_RULES, type Annotation } from "../src/core/annotations.js";
import { severityOf } from "../src/core/compare.js";
import { FINDING_KINDS, LINTS } from "../src/core/lints/index.js";
import { toSarif } from "../src/core/sarif.js";
import { CHANGE_KINDS, JOB_CHANGE_KINDS } from "../src/core/types.js";
import { jobSeverityOf } from "../src/core/job-compare.js";
import { readFileSync } from "node:fs";
import path from "node:path";

// The rule descriptions code scanning has shown since the first SARIF output: they come from the
// lint registry and the change kinds now, and must not change with that move.
const PUBLISHED_RULES: Record<string, string> = {
  "mfdag/type-changed": "A Parameter's type changed but the committed Dagster definitions were not regenerated.",
  "mfdag/added": "A Parameter is missing from the committed Dagster Config class.",
  "mfdag/removed": "The committed Dagster Config class offers a Parameter the flow no longer has.",
  "mfdag/job-renamed": "dagster create now names the job differently.",
  "mfdag/compile-error": "The flow could not be compiled, so its definitions cannot be checked.",
  "mfdag/dropped-parameter": "metaflow-dagster silently leaves this Parameter out of the Config class.",
  "mfdag/declared-type-mismatch": "The declared type= differs from the type Dagster shows.",
  "mfdag/invalid-python": "The generated definitions file would not be valid Python.",
  // Since whole-definitions drift: the breaking job changes.
  "mfdag/step-added": "The flow has a step the committed Dagster job does not run.",
  "mfdag/step-removed": "The committed Dagster job runs a step the flow no longer has.",
  "mfdag/edge-changed": "The committed Dagster job wires its ops differently from the flow's transitions.",
  "mfdag/op-kind-changed": "A step's kind (split, join, foreach, switch, ...) changed but the Dagster op was not regenerated.",
  "mfdag/schedule-changed": "The flow's @schedule differs from the committed Dagster schedule.",
  "mfdag/sensor-changed": "The flow's @trigger / @trigger_on_finish differs from the committed Dagster sensors.",
  // The static compiler's job lints.
  "mfdag/trigger-sensor-invalid-python": "metaflow-dagster writes a @trigger's event sensor mis-indented: the definitions file is not valid Python.",
  "mfdag/trigger-event-dropped": "A @trigger event whose name is computed at deploy time gets no sensor.",
  "mfdag/schedule-daily-wins": "@schedule(weekly=True) or (hourly=True) without daily=False gets the daily cron.",
  "mfdag/compound-op-drops-decorators": "A step inside a compound foreach op loses its @timeout and Dagster RetryPolicy.",
  "mfdag/switch-merge-not-recognised": "metaflow-dagster does not recognise this switch's merge and wires only one branch.",
  "mfdag/switch-duplicate-target": "Two cases of a switch go to one step: the op gets a duplicated output.",
  "mfdag/switch-self-loop-drops-steps": "A switch that loops to itself makes metaflow-dagster leave out the steps after it.",
  "mfdag/split-in-foreach": "A split inside a foreach body is wired without .map: the job fails in Dagster.",
  "mfdag/split-op-misindented": "metaflow-dagster 0.3.7 writes this split's op mis-indented: the definitions file is not valid Python.",
  "mfdag/job-name-not-identifier": "The job name (from --name or @project) is not a Python identifier: the definitions file is not valid Python.",
};

function annotation(rule: string): Annotation {
  return { level: "warning", rule, title: rule, message: "m", file: "f.py", line: 1 };
}

describe("SARIF rules", () => {
  it("are the published rules, with the same descriptions", () => {
    expect(Object.fromEntries(ANNOTATION_RULES)).toEqual(PUBLISHED_RULES);
  });

  it("have a rule for every lint, every finding kind and every breaking change kind", () => {
    for (const kind of [...LINTS, ...FINDING_KINDS]) expect(ANNOTATION_RULES.get(`mfdag/${kind.id}`)).toBe(kind.description);
    for (const kind of CHANGE_KINDS.filter((k) => severityOf(k) === "breaking")) expect(ANNOTATION_RULES.has(`mfdag/${kind}`)).toBe(true);
    for (const kind of JOB_CHANGE_KINDS.filter((k) => jobSeverityOf(k) === "breaking")) expect(ANNOTATION_RULES.has(`mfdag/${kind}`)).toBe(true);
  });

  it("have a rule for every job lint the static compiler can write", () => {
    const source = readFileSync(path.join(__dirname, "../python/mfstatic/job.py"), "utf8");
    const ids = [...source.matchAll(/\.lint\(\s*"([a-z-]+)"/g)].map((match) => match[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) expect(ANNOTATION_RULES.has(`mfdag/${id}`), id).toBe(true);
  });

  it("describe each rule of the run by its registry entry, and an unknown rule by its id", () => {
    const sarif = toSarif([annotation("mfdag/removed"), annotation("mfdag/invalid-python"), annotation("mfdag/not-a-rule"), annotation("mfdag/removed")], "1.2.3") as {
      runs: { tool: { driver: { rules: { id: string; shortDescription: { text: string } }[] } } }[];
    };
    expect(sarif.runs[0]!.tool.driver.rules).toEqual([
      { id: "mfdag/invalid-python", shortDescription: { text: PUBLISHED_RULES["mfdag/invalid-python"] } },
      { id: "mfdag/not-a-rule", shortDescription: { text: "mfdag/not-a-rule" } },
      { id: "mfdag/removed", shortDescription: { text: PUBLISHED_RULES["mfdag/removed"] } },
    ]);
  });
});
