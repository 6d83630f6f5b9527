import { describe, expect, it } from "vitest";
import { summarize } from "../src/core/report.js";
import { inShard, mergeReports, parseShard, resultShardPath, shardOf, type Shard } from "../src/core/shard.js";
import type { CheckReport, FlowResult } from "../src/core/types.js";
import { flowResult } from "./helpers/flow-result.js";

const flow = flowResult;

function report(flows: FlowResult[], extra: Partial<CheckReport> = {}): CheckReport {
  return { schemaVersion: 1, root: "/repo", failed: false, failOn: "type-change", compiler: "auto", summary: summarize(flows), flows, ...extra };
}

const typeChange = {
  parameter: "epochs",
  kind: "type-changed" as const,
  severity: "breaking" as const,
  committed: { type: "int", default: "10", help: "" },
  current: { type: "float", default: "10.5", help: "" },
  declaredIn: null,
  flowLine: null,
  definitionsLine: null,
};

describe("parseShard", () => {
  it("reads k/n", () => {
    expect(parseShard("1/1")).toEqual({ index: 1, count: 1 });
    expect(parseShard("3/8")).toEqual({ index: 3, count: 8 });
    expect(parseShard(" 2 / 4 ")).toEqual({ index: 2, count: 4 });
  });

  it.each(["", "1", "0/3", "4/3", "-1/3", "1/0", "a/b", "1/2/3", "1.5/3", "1/3x", "99999999999999999999/99999999999999999999"])("rejects '%s' with the expected form", (text) => {
    let error: unknown;
    try {
      parseShard(text);
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe("ConfigurationError");
    expect((error as Error).message).toBe(`--shard: expected k/n with 1 ≤ k ≤ n, got '${text}'`);
  });
});

describe("inShard", () => {
  const paths = Array.from({ length: 1000 }, (_, i) => `flows/team_${i % 7}/flow_${i}.py`);

  it("puts every path in exactly one shard", () => {
    for (const count of [1, 2, 3, 8]) {
      for (const file of paths) {
        const shards = Array.from({ length: count }, (_, k) => k + 1).filter((index) => inShard(file, { index, count }));
        expect(shards).toHaveLength(1);
      }
    }
  });

  it("spreads paths about evenly", () => {
    const count = 4;
    const sizes = Array.from({ length: count }, (_, k) => paths.filter((file) => inShard(file, { index: k + 1, count })).length);
    for (const size of sizes) expect(size).toBeGreaterThan(200);
  });

  it("depends on the path alone: adding flows never moves another one", () => {
    const shard: Shard = { index: 2, count: 5 };
    const before = paths.slice(0, 100).filter((file) => inShard(file, shard));
    const after = [...paths.slice(0, 100), "flows/new_flow.py", "a/b.py"].filter((file) => inShard(file, shard));
    expect(after.filter((file) => paths.includes(file))).toEqual(before);
  });

  it("is stable across versions and machines: sha1 of the POSIX repo-relative path, mod n", () => {
    // sha1("flows/train_flow.py") = d3cf4232…c5ec; pinned so that shards run by different mfdag
    // versions of one CI run never disagree.
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => shardOf("flows/train_flow.py", n))).toEqual([0, 0, 1, 0, 0, 4, 4, 4]);
    expect(shardOf("flows\\train_flow.py", 8)).toBe(shardOf("flows/train_flow.py", 8));
    expect(shardOf("./flows/train_flow.py", 8)).toBe(shardOf("flows/train_flow.py", 8));
  });

  it("shards an orphaned definitions file by its own path", () => {
    expect(resultShardPath(flow("/other/machine/flows/x.py", { status: "orphaned-definitions", definitionsFile: "dagster/x_dagster.py" }))).toBe("dagster/x_dagster.py");
    expect(resultShardPath(flow("flows/x.py"))).toBe("flows/x.py");
  });
});

describe("mergeReports", () => {
  it("concatenates the flows, sorts them like check() and recomputes the summary", () => {
    const a = report([flow("flows/b.py"), flow("flows/d.py", { status: "drift", changes: [typeChange] })]);
    const b = report([flow("flows/a.py", { status: "missing-definitions", definitionsFile: null }), flow("flows/c.py", { status: "error", error: "boom" })]);
    const merged = mergeReports([a, b]);
    expect(merged.flows.map((f) => f.flowFile)).toEqual(["flows/a.py", "flows/b.py", "flows/c.py", "flows/d.py"]);
    expect(merged.summary).toEqual({ flows: 4, upToDate: 1, drift: 1, typeChanges: 1, breaking: 1, missing: 1, orphaned: 0, errors: 1, warnings: 0, jobChanges: 0, unchecked: 0 });
    expect(merged.summary).toEqual(summarize(merged.flows));
    expect(merged).toMatchObject({ schemaVersion: 1, root: "/repo", failOn: "type-change", compiler: "auto", failed: false });
  });

  it("sorts two definitions files of one flow by definitions file", () => {
    const merged = mergeReports([report([flow("flows/a.py", { definitionsFile: "z.py" })]), report([flow("flows/a.py", { definitionsFile: "b.py" })])]);
    expect(merged.flows.map((f) => f.definitionsFile)).toEqual(["b.py", "z.py"]);
  });

  it("fails when any shard failed", () => {
    expect(mergeReports([report([flow("a.py")]), report([flow("b.py")], { failed: true })]).failed).toBe(true);
    expect(mergeReports([report([flow("a.py")]), report([flow("b.py")])]).failed).toBe(false);
  });

  it("returns a single report unchanged but for order", () => {
    const only = report([flow("flows/b.py"), flow("flows/a.py")]);
    expect(mergeReports([only])).toEqual({ ...only, flows: [only.flows[1], only.flows[0]] });
  });

  it("keeps an empty shard", () => {
    const merged = mergeReports([report([]), report([flow("a.py")])]);
    expect(merged.summary.flows).toBe(1);
  });

  it("refuses reports of different policies, naming them", () => {
    expect(() => mergeReports([report([flow("a.py")]), report([flow("b.py")], { failOn: "drift" })], ["shard-1.json", "shard-2.json"])).toThrow(
      "the reports are not from the same check: shard-1.json has failOn 'type-change' but shard-2.json has 'drift'",
    );
    expect(() => mergeReports([report([flow("a.py")]), report([flow("b.py")], { failOn: "drift" })])).toThrow(/report 1 has failOn 'type-change' but report 2 has 'drift'/);
  });

  it("refuses reports of different roots or compilers", () => {
    expect(() => mergeReports([report([]), report([], { root: "/elsewhere" })])).toThrow(/report 1 has root '\/repo' but report 2 has '\/elsewhere'/);
    expect(() => mergeReports([report([]), report([], { compiler: "static" })])).toThrow(/has compiler 'auto' but report 2 has 'static'/);
  });

  it("refuses a flow that is in two shards", () => {
    let error: unknown;
    try {
      mergeReports([report([flow("flows/a.py")]), report([flow("flows/b.py")]), report([flow("flows/a.py")])], ["1.json", "2.json", "3.json"]);
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe("ConfigurationError");
    expect((error as Error).message).toMatch(/^flows\/a\.py → flows\/a_dagster\.py is in both 1\.json and 3\.json: the shards overlap/);
  });

  it("refuses no reports and other schema versions", () => {
    expect(() => mergeReports([])).toThrow("no reports to merge");
    expect(() => mergeReports([{ ...report([]), schemaVersion: 2 } as unknown as CheckReport])).toThrow(/report 1 has schemaVersion 2/);
  });

  it("gives back what one unsharded check would have reported, for any number of shards", () => {
    const all = Array.from({ length: 60 }, (_, i) => flow(`flows/f${i}.py`, i % 9 === 0 ? { status: "drift", changes: [typeChange] } : {}));
    const whole = report(all.slice().sort((a, b) => a.flowFile.localeCompare(b.flowFile)), { failed: true });
    for (const count of [1, 2, 3, 7]) {
      const shards = Array.from({ length: count }, (_, k) => {
        const flows = all.filter((f) => inShard(resultShardPath(f), { index: k + 1, count }));
        return report(flows, { failed: flows.some((f) => f.status === "drift") });
      });
      expect(mergeReports(shards)).toEqual(whole);
      // The same, with each report saying which shard it is, as check() writes them.
      expect(mergeReports(shards.map((shard, k) => ({ ...shard, shard: { index: k + 1, count } })))).toEqual(whole);
    }
  });

  it("refuses the reports of a sharded check when a shard's report is missing, twice or from another split", () => {
    const shardReport = (index: number, count: number, flows: FlowResult[] = []) => report(flows, { shard: { index, count } });
    // A shard that found no flow still has a report: only a missing report is refused.
    expect(mergeReports([shardReport(1, 3, [flow("a.py")]), shardReport(2, 3), shardReport(3, 3)]).flows).toHaveLength(1);
    expect(() => mergeReports([shardReport(1, 3), shardReport(3, 3)], ["s1.json", "s3.json"])).toThrow(/no report for shard 2\/3: every shard's report is needed/);
    expect(() => mergeReports([shardReport(2, 3)])).toThrow(/no report for shard 1\/3, 3\/3:/);
    expect(() => mergeReports([shardReport(1, 50)])).toThrow(/no report for shard 2\/50, 3\/50, .*, 11\/50 and more:/);
    expect(() => mergeReports([shardReport(1, 2), shardReport(1, 2), shardReport(2, 2)], ["a.json", "b.json", "c.json"])).toThrow("a.json and b.json are both shard 1/2");
    expect(() => mergeReports([shardReport(1, 2), shardReport(2, 3)], ["a.json", "b.json"])).toThrow("b.json is shard 2/3, but a.json is one of 2 shards");
    expect(() => mergeReports([report([]), shardReport(1, 1)], ["whole.json", "s.json"])).toThrow("whole.json is a whole check, but s.json is shard 1/1");
  });
});
