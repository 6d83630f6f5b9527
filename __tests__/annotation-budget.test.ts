import { describe, expect, it } from "vitest";
import { annotationsFor, planAnnotations, type AnnotationBudget } from "../src/core/annotations.js";
import { summarize } from "../src/core/report.js";
import type { CheckReport, FieldChange, FlowResult } from "../src/core/types.js";
import { flowResult } from "./helpers/flow-result.js";

function flow(name: string, extra: Partial<FlowResult> = {}): FlowResult {
  return flowResult(`flows/${name}.py`, { definitionsFile: `dagster/${name}_dagster.py`, status: "drift", ...extra });
}

function report(flows: FlowResult[]): CheckReport {
  return { schemaVersion: 1, root: "/repo", failed: true, failOn: "type-change", compiler: "auto", summary: summarize(flows), flows };
}

function change(parameter: string, kind: FieldChange["kind"], lines: { flowLine?: number; definitionsLine?: number; declaredIn?: string }): FieldChange {
  return {
    parameter,
    kind,
    severity: "breaking",
    committed: kind === "added" ? null : { type: "int", default: "1", help: "" },
    current: kind === "removed" ? null : { type: "float", default: "1.5", help: "" },
    declaredIn: lines.declaredIn ?? null,
    flowLine: lines.flowLine ?? null,
    definitionsLine: lines.definitionsLine ?? null,
  };
}

/** A flow whose `epochs` changed type: annotated at the Parameter (line 6) and at the field (line 30). */
const typeChanged = (name: string) => flow(name, { changes: [change("epochs", "type-changed", { declaredIn: `flows/${name}.py`, flowLine: 6, definitionsLine: 30 })] });
/** A flow whose definitions still offer a removed parameter: annotated at the field only. */
const removed = (name: string) => flow(name, { changes: [change("old", "removed", { definitionsLine: 31 })] });
const broken = (name: string) => flow(name, { status: "error", error: "SyntaxError", definitionsFile: null });
const linted = (name: string, count: number) =>
  flow(name, { status: "up-to-date", warnings: Array.from({ length: count }, (_, i) => ({ lint: "declared-type-mismatch", message: `lint ${i}`, file: `flows/${name}.py`, line: 10 + i, parameter: `p${i}` })) });

const BUDGET: AnnotationBudget = { error: 10, warning: 10, notice: 10 };
const where = (a: { file: string; line: number | null }) => `${a.file}:${a.line ?? "-"}`;

describe("planAnnotations", () => {
  it("shows every annotation, in the report's order, when they fit", () => {
    const r = report([typeChanged("a"), removed("b"), linted("c", 2)]);
    expect(planAnnotations(r, BUDGET)).toEqual({ shown: annotationsFor(r), omitted: [] });
  });

  it("gives each flow one error at its most useful line before any flow gets a second", () => {
    const r = report(["a", "b", "c", "d", "e", "f"].map(typeChanged)); // 12 errors for 10 slots
    const { shown, omitted } = planAnnotations(r, BUDGET);
    const errors = shown.filter((a) => a.level === "error");
    // Nine slots (the tenth says how many more): the six Parameter lines, then three field lines.
    expect(errors.map(where)).toEqual([
      ...["a", "b", "c", "d", "e", "f"].map((n) => `flows/${n}.py:6`),
      ...["a", "b", "c"].map((n) => `dagster/${n}_dagster.py:30`),
    ]);
    expect(omitted).toEqual([expect.objectContaining({ level: "error", count: 3, flows: 0, title: "mfdag: +3 more errors in the job summary" })]);
  });

  it("annotates the most severe flows first: type changes, then other breaking drift, then compile errors", () => {
    const r = report([broken("a"), removed("b"), typeChanged("c"), removed("d"), typeChanged("e")]);
    const { shown, omitted } = planAnnotations(r, { ...BUDGET, error: 4 });
    expect(shown.map(where)).toEqual(["flows/c.py:6", "flows/e.py:6", "dagster/b_dagster.py:31"]);
    expect(omitted).toEqual([expect.objectContaining({ level: "error", count: 4, flows: 2 })]);
    expect(omitted[0]!.message).toContain("4 more errors (2 flows not annotated at all) are listed in the job summary and the SARIF file");
  });

  it("points a flow without a Parameter line at the first breaking field in its definitions file", () => {
    const noFlowLine = flow("a", { changes: [change("x", "added", {}), change("epochs", "type-changed", { definitionsLine: 40 }), change("y", "removed", { definitionsLine: 41 })] });
    const { shown } = planAnnotations(report([noFlowLine, typeChanged("b")]), { ...BUDGET, error: 3 });
    expect(shown.map(where)).toEqual(["dagster/a_dagster.py:40", "flows/b.py:6"]);
  });

  it("budgets warnings on their own, one per flow first", () => {
    const r = report([linted("a", 8), linted("b", 8), typeChanged("c")]);
    const { shown, omitted } = planAnnotations(r, BUDGET);
    const warnings = shown.filter((a) => a.level === "warning");
    expect(warnings).toHaveLength(9);
    expect(warnings.slice(0, 2).map(where)).toEqual(["flows/a.py:10", "flows/b.py:10"]);
    expect(shown.filter((a) => a.level === "error")).toHaveLength(2);
    expect(omitted).toEqual([expect.objectContaining({ level: "warning", count: 7, title: "mfdag: +7 more warnings in the job summary" })]);
  });

  it("keeps within a budget already partly spent, and writes nothing when none is left", () => {
    const r = report(["a", "b", "c"].map(typeChanged));
    const one = planAnnotations(r, { ...BUDGET, error: 1 });
    expect(one.shown).toEqual([]);
    expect(one.omitted).toEqual([expect.objectContaining({ count: 6, flows: 3, title: "mfdag: +6 more errors in the job summary" })]);
    expect(planAnnotations(r, { ...BUDGET, error: 0 })).toEqual({ shown: [], omitted: [] });
    expect(planAnnotations(r, { ...BUDGET, error: -2 })).toEqual({ shown: [], omitted: [] });
  });

  it("never shows more annotations of a level than its budget, whatever the report", () => {
    const flows = [
      ...Array.from({ length: 7 }, (_, i) => typeChanged(`t${i}`)),
      ...Array.from({ length: 5 }, (_, i) => removed(`r${i}`)),
      ...Array.from({ length: 3 }, (_, i) => broken(`x${i}`)),
      ...Array.from({ length: 4 }, (_, i) => linted(`l${i}`, 3)),
    ];
    for (let budget = 0; budget <= 40; budget++) {
      const { shown, omitted } = planAnnotations(report(flows), { error: budget, warning: budget, notice: budget });
      for (const level of ["error", "warning"] as const) {
        const total = annotationsFor(report(flows)).filter((a) => a.level === level).length;
        const shownOfLevel = shown.filter((a) => a.level === level).length;
        const more = omitted.find((o) => o.level === level);
        expect(shownOfLevel + (more ? 1 : 0), `${level} with budget ${budget}`).toBeLessThanOrEqual(budget);
        // Nothing is lost: what is not shown is counted.
        if (budget > 0) expect(shownOfLevel + (more?.count ?? 0)).toBe(total);
      }
    }
  });
});
