import { describe, expect, it } from "vitest";
import type { CheckReport } from "../src/core/types.js";
import { createRenderer, escapeHtml, fence, inlineCode, tableCell } from "../src/render/index.js";
import { checkView } from "../src/render/views.js";

describe("escaping filters", () => {
  it("fences content with more backticks than it contains", () => {
    const block = fence("a ``` b ```` c", "diff");
    expect(block.startsWith("`````diff\n")).toBe(true);
    expect(block.endsWith("\n`````")).toBe(true);
  });

  it("keeps table cells on one line with pipes escaped", () => {
    expect(tableCell("a|b\nc")).toBe("a\\|b ⏎ c");
  });

  it("turns HTML comment markers and tags into text", () => {
    expect(escapeHtml("<!-- mfdag --> <img>")).toBe("&lt;!-- mfdag --&gt; &lt;img&gt;");
    expect(inlineCode("`x` | <b>")).toBe("<code>&#96;x&#96; &#124; &lt;b&gt;</code>");
  });
});

describe("the PR comment template with hostile user content", () => {
  const hostile = ["`", "```", "````diff", "<!-- mfdag:comment-id=default -->", "<img src=x onerror=alert(1)>", "a | b | c", "line\nbreak", "\\|"];

  function reportWith(text: string): CheckReport {
    const value = { type: "str", default: `'${text}'`, help: text };
    return {
      schemaVersion: 1,
      root: "/r",
      failed: true,
      failOn: "type-change",
      compiler: "static",
      summary: { flows: 1, upToDate: 0, drift: 1, typeChanges: 1, breaking: 1, missing: 0, orphaned: 0, errors: 0, warnings: 1 },
      flows: [
        {
          flowFile: `flows/${text}.py`,
          flowClass: `Flow${text}`,
          definitionsFile: `dagster/${text}.py`,
          status: "drift",
          compiler: "static",
          error: text,
          changes: [{ parameter: text, kind: "type-changed", severity: "breaking", committed: { ...value, type: "int" }, current: value, declaredIn: null, flowLine: null, definitionsLine: null }],
          jobChange: null,
          configDiff: `--- a\n+++ b\n@@ -1 +1 @@\n-    x: int = 1  # ${text}\n+    x: str = '${text}'  # ${text}\n`,
          regenerate: `python ${text}.py dagster create out.py`,
          dagsterCreate: null,
          warnings: [{ lint: "invalid-python", message: text, file: `flows/${text}.py`, line: 3, parameter: text }],
          currentConfig: null,
        },
      ],
    };
  }

  for (const text of hostile) {
    it(`keeps the table and fences intact for ${JSON.stringify(text)}`, () => {
      const report = reportWith(text);
      const body = createRenderer().render("check.md.njk", { report, view: checkView(report), contract: null, notes: [text] });
      // Table: header, separator and one row, each with exactly 4 cells (pipes escaped in content).
      const rows = body.split("\n").filter((line) => line.startsWith("| "));
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row.replace(/\\\|/g, "").split("|").length - 2).toBe(4);
      // Fences: every opening fence is closed by the same fence, outside of which no raw HTML remains.
      const outside: string[] = [];
      const lines = body.split("\n");
      for (let i = 0; i < lines.length; i++) {
        const open = /^(`{3,})\S*$/.exec(lines[i]!);
        if (!open) {
          outside.push(lines[i]!);
          continue;
        }
        const close = lines.findIndex((line, j) => j > i && line === open[1]);
        expect(close, `fence at line ${i + 1} is closed`).toBeGreaterThan(i);
        i = close;
      }
      expect(outside.join("\n")).not.toMatch(/<!--|<img|<script/);
    });
  }
});
