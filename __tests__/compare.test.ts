import { describe, expect, it } from "vitest";
import { compareFields, configDiff } from "../src/core/compare.js";
import { parseConfigLines } from "../src/core/definitions.js";
import { machineRoot, normalizeLine } from "../src/core/normalize.js";

const block = (...fields: string[]) => parseConfigLines(["class FConfig(Config):", ...fields]);

describe("compareFields", () => {
  it("reports a default 3 → 3.5 as one breaking type change", () => {
    const changes = compareFields(block("    count: int = 3  # n"), block("    count: float = 3.5  # n"));
    expect(changes).toEqual([
      expect.objectContaining({ parameter: "count", kind: "type-changed", severity: "breaking", committed: { type: "int", default: "3", help: "n" }, current: { type: "float", default: "3.5", help: "n" } }),
    ]);
  });

  it("reports a help edit alone as non-breaking help-changed", () => {
    const changes = compareFields(block("    count: int = 3  # old"), block("    count: int = 3  # new"));
    expect(changes.map((c) => [c.kind, c.severity])).toEqual([["help-changed", "non-breaking"]]);
  });

  it("reports added and removed fields as breaking and a same-type default change as non-breaking", () => {
    const changes = compareFields(block("    a: int = 1", "    b: str = 'x'"), block("    a: int = 2", "    c: bool = True"));
    expect(changes.map((c) => `${c.kind}:${c.parameter}:${c.severity}`).sort()).toEqual(["added:c:breaking", "default-changed:a:non-breaking", "removed:b:breaking"]);
  });

  it("treats a missing Config class as no fields", () => {
    expect(compareFields(null, block("    a: int = 1")).map((c) => c.kind)).toEqual(["added"]);
    expect(compareFields(block("    a: int = 1"), null).map((c) => c.kind)).toEqual(["removed"]);
    expect(compareFields(null, null)).toEqual([]);
  });

  it("explains a pure reordering instead of reporting nothing", () => {
    const changes = compareFields(block("    a: int = 1", "    b: int = 2"), block("    b: int = 2", "    a: int = 1"));
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.kind === "reordered" && c.severity === "non-breaking")).toBe(true);
  });
});

describe("configDiff", () => {
  it("is null for equal blocks and a unified diff otherwise", () => {
    expect(configDiff("d.py", ["class A(Config):", "    a: int = 1"], ["class A(Config):", "    a: int = 1"])).toBeNull();
    const diff = configDiff("d.py", ["class A(Config):", "    a: int = 1"], ["class A(Config):", "    a: float = 1.5"])!;
    expect(diff).toContain("--- a/d.py");
    expect(diff).toContain("-    a: int = 1\n+    a: float = 1.5");
  });
});

describe("normalizeLine", () => {
  const include = (root: string) =>
    `    table: str = '{"type": "uploader-v2", "url": "local://${root}/data/IncludeFlow/2aa26ec98d674d5160b612c7edad7172d85c9df7", "is_text": true}'  # Input table`;

  it("makes IncludeFile values from two datastores equal", () => {
    expect(normalizeLine(include("/home/alice/repo/.metaflow"), { root: null })).toBe(normalizeLine(include("/tmp/x/data/ds"), { root: null }));
    expect(normalizeLine(include("/tmp/x"), { root: null })).toContain("local://<SYSROOT>/data/IncludeFlow/2aa26ec");
  });

  it("keeps a different content hash different", () => {
    expect(normalizeLine(include("/a"), { root: null })).not.toBe(normalizeLine(include("/a").replace("2aa26ec", "3bb26ec"), { root: null }));
  });

  it("replaces the generating machine's repo root", () => {
    expect(normalizeLine("    cfg: str = '/home/alice/repo/conf/a.json'", { root: "/home/alice/repo" })).toBe("    cfg: str = '<ROOT>/conf/a.json'");
  });
});

describe("machineRoot", () => {
  it("derives the other machine's root from Source and the flow's repo path", () => {
    expect(machineRoot("/home/alice/repo/flows/a.py", "flows/a.py")).toBe("/home/alice/repo");
    expect(machineRoot("/home/alice/repo/flows/a.py", "other/a.py")).toBeNull();
    expect(machineRoot(null, "a.py")).toBeNull();
  });
});
