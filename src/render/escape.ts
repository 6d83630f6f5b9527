/**
 * The escaping behind the template filters, one function per output context. Everything here
 * takes any value (a report read from disk may carry a string where a count belongs) and returns
 * text that cannot change the structure of its context, whatever the value holds.
 *
 * What GitHub does with a comment, and so what has to be made inert:
 * - CommonMark ends a line at `\n`, `\r` and `\r\n`: a lone `\r` in a name would start a heading,
 *   a list or an HTML block. Other tools also break lines at VT, FF, U+0085, U+2028 and U+2029.
 * - Inside `<code>...</code>` (inline HTML) the text is still Markdown: emphasis, links, images,
 *   autolinks and math apply there too, so inline code escapes like any other text.
 * - Mentions (`@user`, `@org/team`), issue references (`#12`) and autolinks (`https://`, `www.`)
 *   are found in the text after rendering, so entities and backslashes do not stop them (`&#64;`
 *   decodes back to `@` first); a zero-width space after the `@`, `#` or scheme does.
 * - Code blocks are left alone by all of these; their content only has to stay inside the block.
 */

/** Line endings for CommonMark (`\r\n`, `\r`, `\n`) and for other readers (VT, FF, NEL, LS, PS). */
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;

/**
 * Characters a reader cannot see or that act on the terminal or on the order of the text: C0 and C1
 * controls other than tab and line breaks, DEL, and the bidirectional embeddings, overrides and
 * isolates (which can make a name read as something else).
 */
const HIDDEN = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u202a-\u202e\u2066-\u2069]/g;

const ZWSP = "\u200B";

/** A visible stand-in: the Unicode control pictures for C0 and DEL (␀ … ␟, ␡), else U+FFFD. */
function visibleControl(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return "\uFFFD";
}

/** Any value as text with hidden characters made visible and every line break spelled `lineBreak`. */
export function plainText(value: unknown, lineBreak = "\n"): string {
  return String(value).replace(LINE_BREAK, lineBreak).replace(HIDDEN, visibleControl);
}

/**
 * Markdown and HTML specials as numeric character references. References work the same in
 * Markdown text, inside `<code>` and inside HTML blocks (`<details>`), where backslash escapes
 * would show. `_` between two letters or digits cannot emphasize, so `learning_rate` stays as it is.
 */
const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "|": "&#124;",
  "`": "&#96;",
  "\\": "&#92;",
  "*": "&#42;",
  "_": "&#95;",
  "~": "&#126;",
  "[": "&#91;",
  "]": "&#93;",
  $: "&#36;",
};
const SPECIAL = /[&<>"|`\\*~[\]$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g;

/** Breaks what GitHub links after rendering: mentions, issue references and URL or www autolinks. */
function unlink(text: string): string {
  return text
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`)
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/:(?=\/\/)/g, `:${ZWSP}`)
    .replace(/(www)(?=\.)/gi, `$1${ZWSP}`);
}

/**
 * One line of inert Markdown text: valid in a paragraph, a table cell, a heading, inside `<code>`
 * and inside an HTML block. Line breaks become `lineBreak` (never a real one).
 */
export function markdownText(value: unknown, lineBreak = " ⏎ "): string {
  // Unlink first: the references written next contain `#` and digits.
  return unlink(plainText(value, "\n"))
    .replace(SPECIAL, (ch) => ENTITIES[ch]!)
    .replace(/\n/g, lineBreak);
}

/** Escapes HTML so `<!--` or tags in user content render as text and cannot hide or spoof anything. */
export function escapeHtml(value: unknown): string {
  return markdownText(value);
}

/** Inline code for Markdown: HTML `<code>` (backticks and pipes cannot break out), on one line. */
export function inlineCode(value: unknown): string {
  return `<code>${markdownText(value, "⏎")}</code>`;
}

/** Text for a Markdown table cell (or any other inline Markdown): one line, nothing live. */
export function tableCell(value: unknown): string {
  return markdownText(value, " ⏎ ");
}

/** The longest run of backticks in `text`. */
function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const match of text.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return longest;
}

/**
 * A fenced block that the content cannot close: the fence is longer than any backtick run inside.
 * Line breaks are made `\n`, so the block has the lines CommonMark sees, and hidden characters
 * visible. `<!--` is broken with a zero-width space, so quoted content never carries an HTML
 * comment that could pass for one of mfdag's hidden markers; suggestion blocks are left exact,
 * since GitHub applies them to the file as written.
 */
export function fence(value: unknown, lang = ""): string {
  const text = String(value);
  const ticks = "`".repeat(Math.max(3, longestBacktickRun(text) + 1));
  const body = lang === "suggestion" ? text : plainText(text).replace(/<!--/g, `<${ZWSP}!--`);
  return `${ticks}${lang}\n${body.replace(/\n$/, "")}\n${ticks}`;
}

/**
 * A link target (mfdag's own run URL): http(s) only, with what could end the destination or the
 * link (spaces, parentheses, angle brackets, backslashes) percent-encoded.
 */
export function linkUrl(value: unknown): string {
  const url = String(value);
  if (!/^https?:\/\//i.test(url)) return "#";
  return url.replace(/[\u0000-\u0020\u007f-\u009f()<>\\"'`\u2028\u2029]/g, (ch) => encodeURIComponent(ch).replace(/[()'`]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
}

/**
 * Makes text safe to print in a GitHub Actions step: the runner reads a line as a workflow command
 * when it starts with `::` after any leading whitespace (`TrimStart`, so Unicode spaces and NEL
 * count), and as a legacy command wherever `##[` appears in it. A zero-width space between the two
 * characters stops both and leaves the text reading the same. The runner splits lines at a lone
 * `\r` too, and so does this.
 */
export function neutralizeWorkflowCommands(text: string): string {
  // With the m flag, ^ also matches after a lone \r (and after U+2028/U+2029, which is only stricter).
  return text.replace(/^([\s\u0085]*):(?=:)/gm, `$1:${ZWSP}`).replace(/##\[/g, `##${ZWSP}[`);
}
