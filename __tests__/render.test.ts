import { describe, expect, it } from "vitest";
import { escapeHtml, fence, inlineCode, tableCell } from "../src/render/index.js";

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

