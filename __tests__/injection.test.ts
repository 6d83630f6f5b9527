/**
 * Attacks on what maintainers read: random and hostile user content (help texts, defaults, file
 * and flow names, compiler errors) rendered through every template must not break its structure.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { annotationsFor } from "../src/core/annotations.js";
import { toSarif } from "../src/core/sarif.js";
import type { CheckReport, FieldChange } from "../src/core/types.js";
import { createRenderer } from "../src/render/index.js";
import { checkView } from "../src/render/views.js";
import { flowResult } from "./helpers/flow-result.js";

const renderer = createRenderer();

/** Known-bad inputs, always tried before the random ones. */
const EXAMPLES: [string, string][] = ["`", "```", "````diff", "<!-- mfdag:comment-id=default -->", "<img src=x onerror=alert(1)>", "a | b | c", "line\nbreak", "\\|", "x\r# pwned", "x\u2028![i](https://e.example/i.png) @org/team"].map((text) => [text, text]);

/** Strings biased towards what breaks Markdown, HTML and workflow commands. */
const hostile = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        ...["`", "```", "~~~", "<!--", "-->", "<!-- mfdag:comment-id=default -->", "<script>", "|", "\n", "\r", "\r\n", "%", ":", ",", "::", "::error::x", "##[error]", "\\", "#", "# ", "*", "_", "[x](y)", "<details>", "a"],
        // Line breaks for CommonMark or other readers, hidden characters, and what GitHub links.
        ...["\u2028", "\u2029", "\u0085", "\v", "\f", "\u001b[2J", "\u202e", "@", "@org/team", "![", "![i](https://e.example/i.png)", "https://e.example", "www.e.example", "#1", "$x$", "~~"],
      ),
      { maxLength: 12 },
    )
    .map((parts) => parts.join("")),
);

function reportWith(text: string, other: string): CheckReport {
  const value = { type: "str", default: `'${text}'`, help: other };
  const change = (kind: FieldChange["kind"], severity: FieldChange["severity"]): FieldChange => ({
    parameter: text,
    kind,
    severity,
    committed: { ...value, type: "int" },
    current: value,
    declaredIn: `flows/${other}.py`,
    flowLine: 3,
    definitionsLine: 9,
  });
  return {
    schemaVersion: 1,
    root: "/r",
    failed: true,
    failOn: "type-change",
    compiler: "static",
    summary: { flows: 2, upToDate: 0, drift: 1, typeChanges: 1, breaking: 1, missing: 0, orphaned: 0, errors: 1, warnings: 1, jobChanges: 0, unchecked: 0 },
    flows: [
      {
        flowFile: `flows/${text}.py`,
        flowClass: `F${other}`,
        definitionsFile: `dagster/${other}.py`,
        status: "drift",
        compiler: "static",
        error: null,
        changes: [change("type-changed", "breaking"), change("help-changed", "non-breaking")],
        jobChange: { committed: text, current: other },
        configDiff: `--- a\n+++ b\n@@ -1 +1 @@\n-    x: int = 1  # ${text}\n+    x: str = '${other}'  # ${text}\n`,
        jobChanges: [],
        jobGraph: null,
        unchecked: [],
        regenerate: `cd '${other}' && python x.py dagster create out.py`,
        dagsterCreate: null,
        warnings: [{ lint: "invalid-python", message: text, file: `flows/${other}.py`, line: 3, parameter: text }],
        currentConfig: [`class FConfig(Config):`, `    ${text}: str = '${other}'`],
      },
      flowResult(`flows/${other}.py`, { flowClass: null, definitionsFile: null, status: "error", compiler: null, error: `${text}\n${other}` }),
    ],
  };
}

/** Lines outside code fences, checking that every fence closes with its own opening run. */
function outsideFences(markdown: string): string[] {
  const lines = markdown.split("\n");
  const outside: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})[^`]*$/.exec(lines[i]!);
    if (!open) {
      outside.push(lines[i]!);
      continue;
    }
    const close = lines.findIndex((line, j) => j > i && line === open[1]);
    if (close < 0) throw new Error(`fence opened at line ${i + 1} never closes`);
    i = close;
  }
  return outside;
}

function assertMarkdownIntact(markdown: string, tableRows: number | null): void {
  const outside = outsideFences(markdown);
  const text = outside.join("\n");
  expect(text).not.toMatch(/<!--|<script|<details>(?!<summary>)/);
  // Nothing GitHub would turn into a line break, a mention, an image, a link or math.
  expect(text).not.toMatch(/[\r\u2028\u2029\u0085\v\f]/);
  expect(text).not.toMatch(/(?:^|[^\w`])@[A-Za-z0-9]|!\[|\]\(|https?:\/\/|www\.|\$/);
  // No line but mfdag's own starts a block (heading, quote, list, HTML).
  for (const line of outside) expect(line).toMatch(/^(?:$|[^#<>\-*+=~]|#{3,4} (?:[✅⚠️❌❗]|<code>|What Dagster)|>(?: |$)|- |\*\*mfdag\*\*|<details><summary>|<\/details>)/u);
  if (tableRows !== null) {
    const rows = outside.filter((line) => line.startsWith("| "));
    expect(rows).toHaveLength(tableRows);
    for (const row of rows) expect(row.replace(/\\\|/g, "").split("|").length - 2).toBe(4);
  }
  // Inside fences too: no HTML comment that could pass for a hidden marker.
  expect(markdown.replace(/```suggestion[\s\S]*?```/g, "")).not.toContain("<!--");
}

const templates: [string, (report: CheckReport, text: string) => string, number | null][] = [
  ["the PR comment", (report, text) => renderer.render("check.md.njk", { report, view: checkView(report), contract: [{ definitionsFile: text, flow: text, status: "changed", changes: report.flows[0]!.changes, jobChange: null, configDiff: report.flows[0]!.configDiff }], notes: [text] }), 4],
  ["the audit issue", (report, text) => renderer.render("audit-issue.md.njk", { report, view: checkView(report), contract: null, notes: [], runUrl: null, patchArtifact: text }), 4],
  ["the review comment", (report) => renderer.render("review-parameter.md.njk", { change: report.flows[0]!.changes[0], definitionsFile: report.flows[0]!.definitionsFile, regenerate: report.flows[0]!.regenerate }), null],
  ["the tool-failure summary", (_report, text) => renderer.render("tool-failure.md.njk", { message: text, configuration: true }), null],
];

describe("rendering hostile user content", () => {
  for (const [name, render, rows] of templates) {
    it(`keeps ${name} structurally intact`, () => {
      fc.assert(
        fc.property(hostile, hostile, (text, other) => {
          assertMarkdownIntact(render(reportWith(text, other), text), rows);
        }),
        { numRuns: 150, examples: EXAMPLES },
      );
    });
  }

  it("keeps the suggestion exact while fencing it safely", () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const line = `    x: str = '${text.replace(/\n/g, " ")}'`;
        const body = renderer.render("review-suggestion.md.njk", { change: { kind: "type-changed" }, line, regenerate: "python f.py dagster create d.py" });
        const fenced = /^(`{3,})suggestion\n([\s\S]*?)\n\1$/m.exec(body);
        expect(fenced?.[2]).toBe(line);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps SARIF valid JSON with the messages intact", () => {
    fc.assert(
      fc.property(hostile, hostile, (text, other) => {
        const annotations = annotationsFor(reportWith(text, other));
        const sarif = JSON.parse(JSON.stringify(toSarif(annotations, "0.0.0")));
        expect(sarif.runs[0].results.map((r: { message: { text: string } }) => r.message.text)).toEqual(annotations.map((a) => a.message));
      }),
      { numRuns: 100 },
    );
  });
});
