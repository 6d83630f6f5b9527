import { describe, expect, it } from "vitest";
import { escapeHtml, fence, inlineCode, tableCell } from "../src/render/index.js";

describe("escaping filters", () => {
  it("fences content with more backticks than it contains", () => {
    const block = fence("a ``` b ```` c", "diff");
    expect(block.startsWith("`````diff\n")).toBe(true);
    expect(block.endsWith("\n`````")).toBe(true);
  });

  it("keeps table cells on one line with pipes escaped", () => {
    expect(tableCell("a|b\nc")).toBe("a&#124;b ⏎ c");
  });

  it("leaves ordinary names, paths and defaults as they are", () => {
    expect(inlineCode("learning_rate: float = 0.001")).toBe("<code>learning_rate: float = 0.001</code>");
    expect(tableCell("TrainFlow")).toBe("TrainFlow");
    expect(fence("-    epochs: int = 10  # Training epochs\n", "diff")).toBe("```diff\n-    epochs: int = 10  # Training epochs\n```");
  });

  it("turns HTML comment markers and tags into text", () => {
    expect(escapeHtml("<!-- mfdag --> <img>")).toBe("&lt;!-- mfdag --&gt; &lt;img&gt;");
    expect(inlineCode("`x` | <b>")).toBe("<code>&#96;x&#96; &#124; &lt;b&gt;</code>");
  });
});

