/**
 * Everything people read is a nunjucks template in templates/; this module only sets up the
 * environment and the escaping filters, defined once so every template escapes user content
 * (help texts, defaults, file names) the same way.
 *
 * Every `{{ ... }}` in a template ends in one of the escaping filters of its kind (MARKDOWN_FILTERS
 * or TEXT_FILTERS below); __tests__/attacks-render.test.ts parses the templates and fails on any
 * that does not. The filters take any value, so a string where a count belongs is escaped too.
 * Everything rendered is finally passed through neutralizeWorkflowCommands (but for the suggestion,
 * which must stay exact), so no template can print a line that a GitHub Actions runner would run as
 * a workflow command.
 */
import path from "node:path";
import nunjucks from "nunjucks";
import pc from "picocolors";
import { packageRoot } from "../io/package-root.js";
import { columnWidths, padColumn } from "./columns.js";
import { escapeHtml, fence, inlineCode, linkUrl, markdownText, neutralizeWorkflowCommands, plainText, tableCell } from "./escape.js";

export { escapeHtml, fence, inlineCode, linkUrl, markdownText, neutralizeWorkflowCommands, plainText, tableCell } from "./escape.js";

export interface RenderOptions {
  /** ANSI colors for terminal output. */
  color?: boolean;
}

/** Filters that may end a `{{ ... }}` in a Markdown template (`*.md.njk`), by context. */
export const MARKDOWN_FILTERS = {
  /** Inline Markdown text: paragraphs, headings, blockquotes, list items. */
  md: "inline text",
  cell: "table cell",
  code: "inline code",
  /** Text inside an HTML block such as `<summary>`. */
  html: "HTML block text",
  fence: "fenced code block",
  url: "link destination",
} as const;

/** Filters that may end a `{{ ... }}` in a terminal template (`*.txt.njk`). */
export const TEXT_FILTERS = {
  text: "terminal text",
  color: "terminal text, colored",
  column: "terminal text, padded to a column's width and optionally colored",
} as const;

/**
 * Templates whose text GitHub writes into a file (a suggestion is applied as written), so it must
 * stay byte for byte what dagster create writes. They are only ever posted through the API, never
 * printed where a runner reads commands.
 */
const EXACT_TEMPLATES = new Set(["review-suggestion.md.njk"]);

// Enabled unconditionally: whether to color is the caller's decision (RenderOptions.color), not the
// one picocolors makes from the environment and process.argv when it loads.
const pcOn = pc.createColors(true);
const COLORS = {
  red: pcOn.red,
  green: pcOn.green,
  yellow: pcOn.yellow,
  cyan: pcOn.cyan,
  dim: pcOn.dim,
  bold: pcOn.bold,
  plain: (text: string) => text,
} as const;

export function createRenderer(options: RenderOptions = {}) {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(packageRoot(), "templates")), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  // Markdown contexts.
  env.addFilter("md", (value: unknown) => markdownText(value));
  env.addFilter("cell", (value: unknown) => tableCell(value));
  env.addFilter("code", (value: unknown) => inlineCode(value));
  env.addFilter("html", (value: unknown) => escapeHtml(value));
  env.addFilter("fence", (value: unknown, lang?: string) => fence(value, lang ?? ""));
  env.addFilter("url", (value: unknown) => linkUrl(value));
  // Terminal contexts: no escape sequence or carriage return of the content reaches the terminal.
  env.addFilter("text", (value: unknown) => plainText(value));
  env.addFilter("color", (value: unknown, name: keyof typeof COLORS) => {
    const text = plainText(value);
    return options.color ? (COLORS[name] ?? COLORS.plain)(text) : text;
  });
  // Padded before it is colored: escape codes take no room on the screen.
  env.addFilter("column", (value: unknown, width: unknown, name?: keyof typeof COLORS) => {
    const text = padColumn(value, width);
    return options.color && name ? (COLORS[name] ?? COLORS.plain)(text) : text;
  });
  env.addGlobal("columnWidths", columnWidths);
  // Helpers whose result still goes through one of the filters above.
  env.addFilter("plural", (count: unknown, singular: string, plural?: string) => `${String(count)} ${count === 1 ? singular : (plural ?? singular + "s")}`);
  env.addFilter("json", (value: unknown) => JSON.stringify(value));
  return {
    render(template: string, context: object): string {
      const text = env.render(template, context).trimEnd() + "\n";
      return EXACT_TEMPLATES.has(template) ? text : neutralizeWorkflowCommands(text);
    },
  };
}

export type Renderer = ReturnType<typeof createRenderer>;
