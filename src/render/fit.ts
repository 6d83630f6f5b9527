/**
 * Cutting rendered Markdown to a size limit (a PR comment, the job summary, an output) so that what
 * is left still renders: whole lines only, no code block or HTML element left open, and a closing
 * line saying where the rest is.
 */

export interface FitOptions {
  /** The most the result may measure. */
  limit: number;
  /** The line appended after a cut, saying it was cut and where the full report is. */
  pointer: string;
  /** The size of a text: UTF-16 code units by default (comment bodies); `utf8Bytes` for files. */
  measure?: (text: string) => number;
  /**
   * `lines`: keep as many whole lines as fit, closing an open code block or HTML element after the
   * last. `blocks`: cut only where no code block or HTML element is open (a huge block is dropped
   * whole), falling back to `lines` when the first block alone is too big.
   */
  boundary?: "lines" | "blocks";
}

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");

/** `body` unchanged when it fits in `limit`; otherwise cut as `boundary` says, then `pointer`. */
export function fitMarkdown(body: string, { limit, pointer, measure = (text) => text.length, boundary = "lines" }: FitOptions): string {
  if (measure(body) <= limit) return body;
  const tail = `\n${pointer}`;
  const tailSize = measure(tail);
  const kept: string[] = [];
  let keptSize = 0;
  let open: OpenBlocks = { fence: null, tags: [] };
  /** How many kept lines end where nothing is open: the last clean place to cut. */
  let cleanCut = 0;
  for (const line of body.split("\n")) {
    const after = nextOpenBlocks(open, line);
    // What the result would measure if we stopped right after this line: the lines, what closes
    // the blocks still open, and the pointer.
    const closingSize = closersOf(after).reduce((sum, closer) => sum + measure(closer) + 1, 0);
    const lineSize = measure(line) + 1;
    if (keptSize + lineSize + closingSize + tailSize > limit) break;
    kept.push(line);
    keptSize += lineSize;
    open = after;
    if (open.fence === null && open.tags.length === 0) cleanCut = kept.length;
  }
  if (boundary === "blocks" && cleanCut > 0 && cleanCut < kept.length) {
    kept.length = cleanCut;
    open = { fence: null, tags: [] };
  }
  const fitted = `${[...kept, ...closersOf(open)].join("\n")}\n${tail}`;
  return measure(fitted) <= limit ? fitted : cutToMeasure(fitted, limit, measure);
}

/** What is open after a line: a code fence, and the HTML elements opened outside code. */
interface OpenBlocks {
  fence: string | null;
  tags: string[];
}

/** Elements that have no closing tag. */
const VOID_ELEMENTS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);
const TAG = /<(\/?)([A-Za-z][A-Za-z0-9-]*)\b[^<>]*?(\/?)>/g;

function nextOpenBlocks(open: OpenBlocks, line: string): OpenBlocks {
  const fence = nextFence(open.fence, line);
  // Inside a code block (or on its fence lines) `<x>` is text, not HTML.
  if (open.fence !== null || fence !== null) return { fence, tags: open.tags };
  const tags = [...open.tags];
  for (const [, closing, name = "", selfClosing] of line.matchAll(TAG)) {
    const tag = name.toLowerCase();
    if (VOID_ELEMENTS.has(tag) || selfClosing) continue;
    if (!closing) tags.push(tag);
    else if (tags.lastIndexOf(tag) >= 0) tags.length = tags.lastIndexOf(tag);
  }
  return { fence, tags };
}

/** The lines that close what is open: the code fence first, then the elements, innermost first. */
function closersOf(open: OpenBlocks): string[] {
  return [...(open.fence ? [open.fence] : []), ...[...open.tags].reverse().map((tag) => `</${tag}>`)];
}

/**
 * The fence open after `line`: a line of 3+ backticks (or tildes) opens one; inside, only a line of
 * the same character, at least as long and with nothing after it, closes it (CommonMark rules).
 */
function nextFence(open: string | null, line: string): string | null {
  const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
  if (!match) return open;
  const [, marks = "", rest = ""] = match;
  if (open === null) {
    // A backtick fence's info string cannot contain backticks (then it is inline code).
    return marks[0] === "`" && rest.includes("`") ? null : marks;
  }
  return marks[0] === open[0] && marks.length >= open.length && rest.trim() === "" ? null : open;
}

/** The longest prefix of `text` within `limit` (only when even the pointer alone does not fit). */
function cutToMeasure(text: string, limit: number, measure: (text: string) => number): string {
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (measure(text.slice(0, middle)) <= limit) low = middle;
    else high = middle - 1;
  }
  return text.slice(0, low);
}
