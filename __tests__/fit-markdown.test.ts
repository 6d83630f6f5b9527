import { describe, expect, it } from "vitest";
import { fitMarkdown, utf8Bytes } from "../src/render/fit.js";

const POINTER = "_cut: the full report is in mfdag-report.json_";

/** A report-like Markdown text: a table, then per flow a heading, a list, a ```diff block, and a <details> block. */
function reportMarkdown(flows: number): string {
  const parts = ["### ❌ mfdag: out of date", "", "| Flow | Status |", "| --- | --- |", ...Array.from({ length: flows }, (_, i) => `| \`flows/f${i}.py\` | drift ✗ |`)];
  for (let i = 0; i < flows; i++) {
    parts.push("", `#### \`flows/f${i}.py\` → \`dagster/f${i}.py\``, "", "- **type-changed** (breaking): `epochs`", "", "```diff", ...Array.from({ length: 6 }, (_, j) => `-    p${j}: int = ${j}  # é help\n+    p${j}: float = ${j}.5  # é help`), "```");
    parts.push("", `<details><summary>${i} warnings</summary>`, "", "- `flows/x.py:3` lint ü", "", "</details>");
  }
  return parts.join("\n");
}

/** Whether every code fence and <details> element of `text` is closed. */
function balanced(text: string): boolean {
  const lines = text.split("\n");
  const fences = lines.filter((l) => /^```/.test(l)).length;
  const opened = (text.match(/<details>/g) ?? []).length;
  const closed = (text.match(/<\/details>/g) ?? []).length;
  return fences % 2 === 0 && opened === closed;
}

describe("fitMarkdown", () => {
  it("returns a text that fits unchanged", () => {
    const text = reportMarkdown(3);
    expect(fitMarkdown(text, { limit: utf8Bytes(text), pointer: POINTER, measure: utf8Bytes, boundary: "blocks" })).toBe(text);
  });

  it("cuts between blocks within the byte limit, counting multi-byte characters, and ends with the pointer", () => {
    const text = reportMarkdown(400);
    for (const limit of [2_000, 10_007, 50_000, 123_457]) {
      const fitted = fitMarkdown(text, { limit, pointer: POINTER, measure: utf8Bytes, boundary: "blocks" });
      expect(utf8Bytes(fitted), `limit ${limit}`).toBeLessThanOrEqual(limit);
      // Multi-byte characters make the UTF-16 length smaller than the bytes: the cut counts bytes.
      expect(fitted.length).toBeLessThan(utf8Bytes(fitted));
      expect(fitted.endsWith(`\n\n${POINTER}`)).toBe(true);
      const kept = fitted.slice(0, -(POINTER.length + 2));
      // A prefix of whole lines of the original, and nothing left open: no fence or element was added.
      expect(text.startsWith(kept + "\n")).toBe(true);
      expect(balanced(kept)).toBe(true);
      // Not cut much earlier than needed: at most one flow's section (under 1 KB) is given up.
      expect(utf8Bytes(fitted)).toBeGreaterThan(limit - 1_000);
    }
  });

  it("drops a block too big to fit whole instead of cutting into it", () => {
    const block = ["<details><summary>big</summary>", "", "```diff", ...Array.from({ length: 500 }, (_, i) => `+line ${i}`), "```", "", "</details>"];
    const fitted = fitMarkdown(["intro", "", ...block, "", "after"].join("\n"), { limit: 1_000, pointer: POINTER, measure: utf8Bytes, boundary: "blocks" });
    expect(fitted).toBe(`intro\n\n\n${POINTER}`);
  });

  it("closes what is open, fence first, when the text starts with a block too big to fit", () => {
    const text = ["<details><summary>big</summary>", "", "```diff", ...Array.from({ length: 500 }, (_, i) => `+line ${i}`), "```", "", "</details>"].join("\n");
    const fitted = fitMarkdown(text, { limit: 1_000, pointer: POINTER, measure: utf8Bytes, boundary: "blocks" });
    expect(utf8Bytes(fitted)).toBeLessThanOrEqual(1_000);
    expect(utf8Bytes(fitted)).toBeGreaterThan(900);
    expect(fitted.split("\n").slice(-4)).toEqual(["```", "</details>", "", POINTER]);
    expect(balanced(fitted)).toBe(true);
  });

  it("ignores tag-like text inside code blocks", () => {
    const text = ["```", "<details>", "```", ...Array.from({ length: 200 }, (_, i) => `line ${i}`)].join("\n");
    const fitted = fitMarkdown(text, { limit: 300, pointer: POINTER, measure: utf8Bytes, boundary: "blocks" });
    expect(fitted).not.toContain("</details>");
    expect(utf8Bytes(fitted)).toBeLessThanOrEqual(300);
  });

  it("stays within the limit even when the pointer alone does not fit", () => {
    const fitted = fitMarkdown("x".repeat(100), { limit: 10, pointer: "é".repeat(50), measure: utf8Bytes });
    expect(utf8Bytes(fitted)).toBeLessThanOrEqual(10);
  });
});
