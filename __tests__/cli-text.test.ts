/**
 * The pieces of the command line's text that need no process: "did you mean", the column widths,
 * the summary line's wording, the colour decision, and the escaping of `--format github`'s
 * workflow commands (read back here the way the Actions runner reads them). The whole CLI is
 * exercised in cli-output.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../src/cli-args.js";
import { closestName, editDistance } from "../src/cli/did-you-mean.js";
import { colorWanted } from "../src/cli/terminal.js";
import type { CheckReport, CheckSummary } from "../src/core/types.js";
import { columnWidths, displayWidth, MAX_COLUMN_WIDTH, padColumn } from "../src/render/columns.js";
import { createRenderer, plainText } from "../src/render/index.js";
import { annotationCommands, workflowCommand } from "../src/render/workflow-commands.js";
import { runnerCommands } from "./helpers/workflow-commands.js";

describe("did you mean", () => {
  it("counts a swap of neighbours as one edit (Damerau), and stops past the bound", () => {
    expect(editDistance("complier", "compiler", 2)).toBe(1);
    expect(editDistance("chek", "check", 2)).toBe(1);
    expect(editDistance("chekc", "check", 2)).toBe(1);
    expect(editDistance("abc", "abc", 2)).toBe(0);
    expect(editDistance("kitten", "sitting", 5)).toBe(3);
    // Past the bound the answer is only "more than the bound".
    expect(editDistance("kitten", "sitting", 2)).toBe(3);
    expect(editDistance("a", "abcdef", 2)).toBe(3);
  });

  it("offers the closest command or option within two edits, and nothing for another word", () => {
    expect(closestName("chek", ["check", "config", "inspect", "list", "merge", "fix"])).toBe("check");
    expect(closestName("CHECK", ["check", "config"])).toBe("check");
    expect(closestName("lsit", ["check", "list"])).toBe("list");
    expect(closestName("--complier", ["--root", "--compiler", "--config"])).toBe("--compiler");
    expect(closestName("deploy", ["check", "config", "inspect", "list", "merge", "fix"])).toBeNull();
    // Four letters or fewer (an option's without its dashes): one edit at most, or every short word would match.
    expect(closestName("fx", ["fix", "list"])).toBe("fix");
    expect(closestName("ls", ["fix", "list"])).toBeNull();
    expect(closestName("--frob", ["--root", "--flow"])).toBeNull();
    expect(closestName("--flwo", ["--root", "--flow"])).toBe("--flow");
    expect(closestName("--no-colr", ["--color", "--no-color"])).toBe("--no-color");
  });

  it("an unknown option's message shows the usage of the command on the line, not of an option's value", () => {
    expect(() => parseCommandLine(["--root", "check", "list", "--frob"])).toThrow(/^Unknown option '--frob'\.\n\nUsage:\n {2}mfdag list /);
    expect(() => parseCommandLine(["--complier", "static"])).toThrow(/^Unknown option '--complier'\. Did you mean '--compiler'\?\n\nUsage:\n {2}mfdag check .*\n[^]* {2}mfdag fix /);
  });

  it("does not compare an absurdly long word at all", () => {
    expect(closestName("check" + "x".repeat(100), ["check"])).toBeNull();
    expect(closestName("c".repeat(10_000_000), ["check"])).toBeNull();
  });
});

describe("columns", () => {
  it("measures what the terminal shows: wide characters take two cells, a control character its one stand-in", () => {
    expect(displayWidth("flows/a.py")).toBe(10);
    expect(displayWidth("flows/数据.py")).toBe(13);
    expect(displayWidth("a\u001b[2Jb")).toBe(plainText("a\u001b[2Jb").length);
    expect(displayWidth("a\nb")).toBe(3);
    expect(displayWidth("a\u200bb\u200d")).toBe(2);
    expect(padColumn("数据", 6)).toBe("数据  ");
    expect(padColumn("\u001b[31mx", 8)).toBe("\u241b[31mx  ");
    expect(padColumn("a\nb", 4)).toBe("a⏎b ");
  });

  it("caps a column at MAX_COLUMN_WIDTH and never cuts a longer value", () => {
    const long = "flows/" + "x".repeat(200) + ".py";
    expect(columnWidths([["a.py", "x"], [long, "yy"]])).toEqual([MAX_COLUMN_WIDTH, 2]);
    expect(padColumn(long, MAX_COLUMN_WIDTH)).toBe(long);
    expect(columnWidths([["a.py"], ["bb.py", "c"]])).toEqual([5, 1]);
  });
});

describe("the summary line of mfdag check", () => {
  const renderer = createRenderer();
  const zero: CheckSummary = { flows: 0, upToDate: 0, drift: 0, typeChanges: 0, breaking: 0, jobChanges: 0, unchecked: 0, missing: 0, orphaned: 0, errors: 0, warnings: 0 };
  const line = (summary: Partial<CheckSummary>, failed = false, more: object = {}) =>
    renderer.render("_check-summary.txt.njk", { report: { summary: { ...zero, ...summary }, failed } as unknown as CheckReport, ...more }).trimEnd();

  it("names only the counts that are not zero, breaking changes and warnings included, with the time", () => {
    expect(line({ flows: 17, drift: 3, typeChanges: 2, breaking: 3, upToDate: 12, warnings: 2 }, true, { elapsedSeconds: 1.43 })).toBe(
      "✗ 3 stale (2 type changes, 1 other breaking change), 12 up to date, 2 warnings · 17 flows checked in 1.4 s",
    );
    expect(line({ flows: 3, upToDate: 3 })).toBe("✓ 3 up to date · 3 flows checked");
  });

  it("gets singular and plural right", () => {
    expect(line({ flows: 1, drift: 1, typeChanges: 1, breaking: 1, warnings: 1 }, true)).toBe("✗ 1 stale (1 type change), 1 warning · 1 flow checked");
    expect(line({ flows: 2, drift: 2, breaking: 2, errors: 2 }, true)).toBe("✗ 2 stale (2 breaking changes), 2 errors · 2 flows checked");
    expect(line({ flows: 1, drift: 1 })).toBe("! 1 stale · 1 flow checked");
  });

  it("never reads green when something was not checked: errors, missing and orphaned files and unchecked parts show, and the mark is not ✓", () => {
    const partial = line({ flows: 5, upToDate: 1, errors: 1, missing: 1, orphaned: 1, unchecked: 1 });
    expect(partial).toBe("! 1 error, 1 without definitions, 1 orphaned, 1 not fully checked, 1 up to date · 5 flows checked");
    expect(line({ flows: 2, upToDate: 2, unchecked: 1 })).toMatch(/^! 1 not fully checked, 2 up to date/);
    for (const summary of [{ errors: 1 }, { missing: 1 }, { orphaned: 1 }, { unchecked: 1 }]) expect(line({ flows: 2, upToDate: 1, ...summary })).not.toMatch(/^✓/);
  });
});

describe("colours", () => {
  const tty = true;
  it("--color and --no-color win over the environment", () => {
    expect(colorWanted({ color: true }, { NO_COLOR: "1" }, false)).toBe(true);
    expect(colorWanted({ color: false }, { FORCE_COLOR: "1" }, tty)).toBe(false);
  });

  it("NO_COLOR with any non-empty value turns them off, even with FORCE_COLOR; empty, it is not set", () => {
    for (const value of ["1", "0", "false", "yes"]) expect(colorWanted({}, { NO_COLOR: value }, tty), value).toBe(false);
    expect(colorWanted({}, { NO_COLOR: "1", FORCE_COLOR: "1" }, false)).toBe(false);
    expect(colorWanted({}, { NO_COLOR: "" }, tty)).toBe(true);
  });

  it("FORCE_COLOR turns them on off a terminal, but 0 and false turn them off on one", () => {
    for (const value of ["1", "2", "3", "true", ""]) expect(colorWanted({}, { FORCE_COLOR: value }, false), JSON.stringify(value)).toBe(true);
    for (const value of ["0", "false", "FALSE"]) expect(colorWanted({}, { FORCE_COLOR: value }, tty), value).toBe(false);
  });

  it("without any of them: on a terminal, unless TERM=dumb", () => {
    expect(colorWanted({}, {}, tty)).toBe(true);
    expect(colorWanted({}, {}, false)).toBe(false);
    expect(colorWanted({}, { TERM: "dumb" }, tty)).toBe(false);
  });

  it("the renderer colours when told to, whatever picocolors made of this process's environment", () => {
    const row = { listing: { flows: [{ path: "a.py", flowClass: "AFlow", definitions: [] }], orphaned: [], unreadable: [], definitionsCount: 0 } };
    expect(createRenderer({ color: true }).render("list.txt.njk", row)).toContain("\u001b[1mAFlow");
    expect(createRenderer({ color: false }).render("list.txt.njk", row)).not.toContain("\u001b");
  });
});

describe("--format github workflow commands", () => {
  const HOSTILE = "a,b: c %0A %25 ::error::x\r::add-mask::secret\n::warning file=y::z ##[error]legacy \u001b[2J\u001b]0;t\u0007";
  const visible = (value: string) => plainText(value).replace(/##\[/g, "##\u200b[");

  it("escapes every field so the runner reads exactly one command with the values given, shown visibly", () => {
    const out = workflowCommand("error", { title: HOSTILE, file: HOSTILE, line: 3 }, HOSTILE) + "\n";
    expect(out).not.toMatch(/[\r\u001b\u0007]/);
    expect(out.split("\n").filter(Boolean)).toHaveLength(1);
    expect(runnerCommands(out)).toEqual([{ command: "error", properties: { title: visible(HOSTILE), file: visible(HOSTILE), line: "3" }, message: visible(HOSTILE) }]);
  });

  it("gives each annotation's file from the base directory, and an absolute path for a file outside it", () => {
    const annotations = [
      { level: "error" as const, rule: "mfdag/type-changed", title: "mfdag: type-changed epochs", message: "m", file: "flows/a.py", line: 6 },
      { level: "warning" as const, rule: "mfdag/dropped-parameter", title: "mfdag: dropped-parameter", message: "w", file: "flows/b.py", line: null },
    ];
    expect(runnerCommands(annotationCommands(annotations, "/ws/repo/sub", "/ws/repo"))).toEqual([
      { command: "error", properties: { title: "mfdag: type-changed epochs", file: "sub/flows/a.py", line: "6" }, message: "m" },
      { command: "warning", properties: { title: "mfdag: dropped-parameter", file: "sub/flows/b.py" }, message: "w" },
    ]);
    expect(runnerCommands(annotationCommands(annotations, "/elsewhere", "/ws/repo"))[0]!.properties.file).toBe("/elsewhere/flows/a.py");
  });
});
