import { describe, expect, it } from "vitest";
import { ANNOTATION_RULES, type Annotation } from "../src/core/annotations.js";
import { severityOf } from "../src/core/compare.js";
import { FINDING_KINDS, LINTS } from "../src/core/lints/index.js";
import { toSarif } from "../src/core/sarif.js";
import { CHANGE_KINDS } from "../src/core/types.js";

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
