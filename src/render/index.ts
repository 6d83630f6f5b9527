/**
 * Everything people read is a nunjucks template in templates/; this module only sets up the
 * environment and the escaping filters, defined once so every template escapes user content
 * (help texts, defaults, file names) the same way.
 */
import path from "node:path";
import nunjucks from "nunjucks";
import pc from "picocolors";
import { packageRoot } from "../io/package-root.js";

export interface RenderOptions {
  /** ANSI colors for terminal output. */
  color?: boolean;
}

/** The longest run of backticks in `text`. */
function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

/**
 * A fenced block that the content cannot close: the fence is longer than any backtick run inside.
 * `<!--` is broken with a zero-width space, so quoted content never carries an HTML comment that
 * could pass for one of mfdag's hidden markers; suggestion blocks are left exact, since GitHub
 * applies them to the file as written.
 */
export function fence(text: string, lang = ""): string {
  const ticks = "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
  const body = lang === "suggestion" ? text : text.replace(/<!--/g, "<\u200B!--");
  return `${ticks}${lang}\n${body.replace(/\n$/, "")}\n${ticks}`;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/** Escapes HTML so `<!--` or tags in user content render as text and cannot hide or spoof anything. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => HTML_ESCAPES[ch]!);
}

/** Inline code for Markdown: HTML `<code>` with escaping, so backticks and pipes cannot break out. */
export function inlineCode(text: string): string {
  return `<code>${escapeHtml(text).replace(/\|/g, "&#124;").replace(/`/g, "&#96;").replace(/\r?\n/g, "⏎")}</code>`;
}

/** Text for a Markdown table cell: one line, pipes escaped, HTML escaped. */
export function tableCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, "\\|").replace(/\r?\n/g, " ⏎ ");
}

const COLORS = {
  red: pc.red,
  green: pc.green,
  yellow: pc.yellow,
  cyan: pc.cyan,
  dim: pc.dim,
  bold: pc.bold,
  plain: (text: string) => text,
} as const;

export function createRenderer(options: RenderOptions = {}) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(packageRoot(), "templates")), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter("fence", (text: string, lang?: string) => fence(String(text), lang ?? ""));
  env.addFilter("code", (text: unknown) => inlineCode(String(text)));
  env.addFilter("cell", (text: unknown) => tableCell(String(text)));
  env.addFilter("html", (text: unknown) => escapeHtml(String(text)));
  env.addFilter("color", (text: unknown, name: keyof typeof COLORS) => (options.color ? COLORS[name](String(text)) : String(text)));
  env.addFilter("indent_lines", (text: unknown, width: number) =>
    String(text)
      .replace(/\n$/, "")
      .split("\n")
      .map((line) => " ".repeat(width) + line)
      .join("\n"),
  );
  env.addFilter("plural", (count: number, singular: string, plural?: string) => `${count} ${count === 1 ? singular : (plural ?? singular + "s")}`);
  env.addFilter("json", (value: unknown) => JSON.stringify(value));
  return {
    render(template: string, context: object): string {
      return env.render(template, context).trimEnd() + "\n";
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;
