/**
 * Reads a committed definitions file back into the job model (job-model.ts), the way the
 * reference reader of the shared corpus (`extract.py`, "Reading a committed file back
 * tolerantly", section 5 of metaflow-dagster-definitions.md) does, without evaluating anything.
 *
 * The real compiler writes files that are not Python (every `@trigger` sensor is mis-indented with
 * a column-0 `yield`; dashed parameter names; multi-line help; `def 2024_backfill():`), and a pull
 * request can commit anything, so this reader never parses the file as a whole: it cuts the same
 * regions as extract.py (docstring, Config class, sensors) by lines, reads the sensors and the
 * Config class by lines, and everything else with a small Python tokenizer and a bounded
 * expression reader over one statement at a time. Every scan is linear in the text; nothing
 * throws; what cannot be read becomes a `problems` entry and the rest is still returned.
 */
import { createHash } from "node:crypto";

/**
 * `obj[key] = value` as an own property whatever the key: a file's dict key `__proto__` would
 * otherwise set the object's prototype, hiding the entry and lending inherited values to lookups.
 * JSON.parse (the static compiler's answers) makes such keys own properties too, so both sides match.
 * `__proto__` is the only key an assignment to a plain object does not store as its own (the one
 * accessor of Object.prototype), so every other key takes the plain assignment, which a cold
 * process runs far faster than defineProperty with a descriptor object per entry.
 */
function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
import type { JobEdge, JobModel, OpModel, SensorModel, StepRun } from "./job-model.js";

export interface JobReading {
  /** `null` only when nothing of a definitions file could be read. */
  model: JobModel | null;
  /** The metaflow-dagster version's own text: `template_sha` as extract.py computes it, and the names it found. */
  fingerprint: { templateSha: string | null; constants: string[]; helpers: string[] };
  problems: string[];
  /** 1-based lines in the file, for annotations: each op's `def`, the job's `def`, the schedule, each sensor function. */
  lines: { ops: Record<string, number>; job: number | null; schedule: number | null; sensors: Record<string, number> };
}

/** Bounds: the model schema's list cap, the nesting a literal may have, and the tokens one statement may hold. */
const MAX_ITEMS = 10_000;
const MAX_DEPTH = 100;
const MAX_STATEMENT_TOKENS = 200_000;
const MAX_PROBLEMS = 50;

const JOB_TAG_TIMEOUT = "dagster/max_runtime";
const OP_TAG_TIMEOUT = "dagster/op_execution_timeout";
/** Top-level options that come from the machine's configuration (normalized in extract.py's `top_options`). */
const MACHINE_TOP_ARGS = ["--metadata=", "--environment=", "--datastore=", "--datastore-root=", "--event-logger=", "--monitor="];
/** Each of those but the datastore root (normalized apart) with its `top_options` key: `--event-logger=` → `event_logger`. */
const MACHINE_TOP_OPTIONS = MACHINE_TOP_ARGS.filter((prefix) => prefix !== "--datastore-root=").map((prefix) => [prefix, prefix.slice(2, -1).replace(/-/g, "_")] as const);
const PY_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(" "),
);

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Characters

const WORD_CHAR = /[\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]/u;
function isWordCode(code: number, ch: string): boolean {
  if (code < 128) return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
  return WORD_CHAR.test(ch);
}
function isWordAt(s: string, i: number): boolean {
  if (i < 0 || i >= s.length) return false;
  const code = s.charCodeAt(i);
  return isWordCode(code, code < 128 ? "" : String.fromCodePoint(s.codePointAt(i)!));
}
/** The end of the run of word characters at `j` (`while (isWordAt(s, j)) j++`), one UTF-16 unit at a time, ASCII without a call. */
function wordEnd(s: string, j: number): number {
  for (; j < s.length; j++) {
    const code = s.charCodeAt(j);
    if (code < 128 ? (ASCII_CLASS[code]! & WORD) === 0 : !isWordAt(s, j)) break;
  }
  return j;
}
/** Python's `\s` on str (ASCII and the Unicode spaces the corpus could hold); the regex only for non-ASCII. */
function isSpaceCode(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/u.test(String.fromCharCode(code));
}
function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && isSpaceCode(ch.charCodeAt(0));
}
function isIdentifier(name: string): boolean {
  return /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(name);
}
function isUpperConstantName(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name);
}
/** Python's `str.strip()`/`rstrip()` for the whitespace a file can hold (`s.replace(/\s+$/u, "")`). */
function rstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isSpaceCode(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Python repr and json.dumps (the model holds ast.unparse text and json-sorted lists)

function isPrintable(ch: string): boolean {
  return ch === " " || !/[\p{C}\p{Z}]/u.test(ch);
}

/** `repr(s)` for a Python str. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (isPrintable(ch)) out += ch;
    else {
      const code = ch.codePointAt(0)!;
      out += code < 0x100 ? "\\x" + code.toString(16).padStart(2, "0") : code < 0x10000 ? "\\u" + code.toString(16).padStart(4, "0") : "\\U" + code.toString(16).padStart(8, "0");
    }
  }
  return out + quote;
}

/** `repr(float)` for the values a literal can hold. */
function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return n.toFixed(1);
  const text = String(n);
  if (/e/.test(text)) return text.replace(/e([+-])(\d)$/, "e$10$2");
  if (Math.abs(n) >= 1e16) return n.toExponential().replace(/e([+-])(\d)$/, "e$10$2");
  return text;
}

/** `json.dumps(value)` with Python's default separators and `ensure_ascii`: extract.py sorts run tags by it. */
function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => "\\u" + ch.charCodeAt(0).toString(16).padStart(4, "0"));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "[" + value.map(pyJsonDumps).join(", ") + "]";
  return "{" + Object.entries(value as Record<string, unknown>).map(([k, v]) => pyJsonDumps(k) + ": " + pyJsonDumps(v)).join(", ") + "}";
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Tokens

type TokenType = "name" | "number" | "string" | "op";
interface Token {
  type: TokenType;
  text: string;
  /** 1-based line and 0-based column of its first character. */
  line: number;
  col: number;
  /** For strings: the decoded value, `null` when it is not a plain str literal (bytes, f-string, bad escape). */
  value?: string | null;
}

interface LogicalLine {
  line: number;
  indent: number;
  tokens: Token[];
  /** More tokens than a statement may hold: the statement is not read. */
  truncated: boolean;
  /** Its tokens were kept (the reader wanted them). */
  kept: boolean;
  /** Python would refuse it: an unexpected indent, an unclosed bracket or string. */
  broken: boolean;
}

const OPENERS = "([{";
const CLOSERS = ")]}";

/**
 * Decodes the body of a Python str literal (no prefix, no quotes); `null` for what literal_eval would refuse.
 * Copies the runs between backslashes whole: most bodies have none.
 */
function decodeStringBody(body: string, raw: boolean): string | null {
  if (raw) return body;
  let escape = body.indexOf("\\");
  if (escape === -1) return body;
  let out = "";
  let from = 0;
  while (escape !== -1) {
    out += body.slice(from, escape);
    let i = escape + 1;
    if (i >= body.length) return null;
    const next = body[i]!;
    switch (next) {
      case "\\":
      case "'":
      case '"':
        out += next;
        break;
      case "n":
        out += "\n";
        break;
      case "t":
        out += "\t";
        break;
      case "r":
        out += "\r";
        break;
      case "a":
        out += "\x07";
        break;
      case "b":
        out += "\b";
        break;
      case "f":
        out += "\f";
        break;
      case "v":
        out += "\v";
        break;
      case "\n":
        break;
      case "x":
      case "u":
      case "U": {
        const width = next === "x" ? 2 : next === "u" ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + width);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) return null;
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) return null;
        out += String.fromCodePoint(code);
        i += width;
        break;
      }
      case "N":
        return null; // a named escape: not resolvable without Python's name table
      default:
        if (next >= "0" && next <= "7") {
          let digits = next;
          while (digits.length < 3 && body[i + 1] !== undefined && body[i + 1]! >= "0" && body[i + 1]! <= "7") digits += body[++i];
          out += String.fromCodePoint(parseInt(digits, 8));
        } else out += "\\" + next;
    }
    from = i + 1;
    escape = body.indexOf("\\", from);
  }
  return out + body.slice(from);
}

// The tokenizer reads a file one UTF-16 unit at a time through charCodeAt and this table for ASCII;
// only a non-ASCII character goes through the Unicode rules (isWordAt), so a cold process (a CLI
// run) does not pay a regex or a string per character.
const WORD = 1;
const STRING_PREFIX = 2;
const ASCII_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isWordCode(c, "")) ASCII_CLASS[c] = WORD;
}
for (const ch of "rRbBuUfF") ASCII_CLASS[ch.charCodeAt(0)] = WORD | STRING_PREFIX;
/** The first characters of the two-character operators ending in `=` (`==`, `!=`, `<=`, `+=`, …, `@=`). */
const BEFORE_EQUALS = new Set([..."=!<>:+-*/%&|^@"].map((ch) => ch.charCodeAt(0)));

const enum Code {
  Tab = 9,
  Newline = 10,
  VerticalTab = 11,
  FormFeed = 12,
  CarriageReturn = 13,
  Space = 32,
  DoubleQuote = 34,
  Hash = 35,
  Quote = 39,
  OpenParen = 40,
  CloseParen = 41,
  Star = 42,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  Digit0 = 48,
  Digit9 = 57,
  Colon = 58,
  Less = 60,
  Equals = 61,
  Greater = 62,
  OpenBracket = 91,
  Backslash = 92,
  CloseBracket = 93,
  OpenBrace = 123,
  CloseBrace = 125,
}

/** The length of the operator at `i` (`...`, a two-character one, else one character). */
function operatorLength(text: string, i: number, c: number): number {
  const c1 = text.charCodeAt(i + 1);
  if (c === Code.Dot) return c1 === Code.Dot && text.charCodeAt(i + 2) === Code.Dot ? 3 : 1;
  if (c1 === Code.Equals) return BEFORE_EQUALS.has(c) ? 2 : 1;
  if (c === Code.Minus) return c1 === Code.Greater ? 2 : 1;
  return c1 === c && (c === Code.Star || c === Code.Slash || c === Code.Less || c === Code.Greater) ? 2 : 1;
}

/**
 * Splits `text` into Python logical lines, one pass. Blank lines and comments are skipped; a
 * bracket or a string left open by a truncated or hand-edited statement is closed at the next
 * line that starts a statement at column 0 (what extract.py's chunked fallback does), with a
 * problem, so one bad statement never swallows the rest of the file. `wanted` says, at the first
 * token of a statement, whether its tokens are kept: the others are scanned (brackets, strings,
 * indentation) but never built.
 */
/** What the tokenizer does with a statement's tokens. */
const enum Keep {
  /** Scans them (brackets, strings, indentation) without building them. */
  None,
  /** Counts them only, for the bound on a statement's tokens: the statement is delivered without them. */
  Count,
  Tokens,
}

function logicalLines(text: string, problems: Problems, wanted: (indent: number, startsWithDef: boolean) => Keep, deliver: (line: LogicalLine) => void): void {
  const n = text.length;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  let current: LogicalLine | null = null;
  let keep = Keep.Tokens;
  let counted = 0;
  let atLineStart = true;
  let indent = 0;

  // Python's indentation rules: a deeper line only after a line ending in `:`, which needs one.
  const indents = [0];
  /** The statement's last token is the operator `:`. */
  let endsWithColon = false;
  let afterColon = false;
  const finish = () => {
    if (current) {
      const line: LogicalLine = current;
      while (indents.length > 1 && indents[indents.length - 1]! > line.indent) indents.pop();
      const top = indents[indents.length - 1]!;
      if (line.indent > top) {
        if (!afterColon) line.broken = true;
        indents.push(line.indent);
      } else if (afterColon || line.indent !== top) line.broken = true;
      afterColon = endsWithColon;
      deliver(line);
    }
    current = null;
    depth = 0;
  };
  /** Starts the statement at its first token when none is open. */
  const open = (tokenLine: number, startsWithDef: boolean): LogicalLine => {
    if (current === null) {
      keep = wanted(indent, startsWithDef);
      counted = 0;
      current = { line: tokenLine, indent, tokens: [], truncated: false, kept: keep === Keep.Tokens, broken: false };
    }
    return current;
  };
  /**
   * Takes the open statement's next token: kept under Keep.Tokens, only counted under Keep.Count
   * (`token` null), so both modes meet the bound, and report it, at the same token. `counted` is
   * the statement's token count in both modes: under Keep.Tokens it equals `statement.tokens.length`,
   * as this is the only place tokens are added and `open` resets both for a new statement.
   */
  const take = (statement: LogicalLine, token: Token | null) => {
    if (counted >= MAX_STATEMENT_TOKENS) {
      if (!statement.truncated) problems.add(`line ${statement.line}: a statement of more than ${MAX_STATEMENT_TOKENS} tokens was not read`);
      statement.truncated = true;
      return;
    }
    counted++;
    if (token !== null) statement.tokens.push(token);
  };
  /** A line at column 0 that starts with something other than a closing bracket starts a statement. */
  const startsStatement = (at: number) => {
    if (at >= n) return false;
    const c = text.charCodeAt(at);
    return c !== Code.Space && c !== Code.Tab && c !== Code.Newline && c !== Code.CarriageReturn && c !== Code.Hash && c !== Code.CloseParen && c !== Code.CloseBracket && c !== Code.CloseBrace;
  };

  while (i < n) {
    if (atLineStart) {
      // Measure the indentation; skip blank and comment-only lines outside brackets.
      let j = i;
      let width = 0;
      for (; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === Code.Space || c === Code.FormFeed) width++;
        else if (c === Code.Tab) width += 8 - (width % 8);
        else break;
      }
      if (current !== null && depth > 0 && width === 0 && startsStatement(j)) {
        problems.add(`line ${(current as LogicalLine).line}: a bracket is never closed`);
        (current as LogicalLine).broken = true;
        finish();
      }
      if (current === null) indent = width;
      i = j;
      atLineStart = false;
      continue;
    }
    const c = text.charCodeAt(i);
    const col = i - lineStart;
    if (c === Code.Newline) {
      line++;
      lineStart = i + 1;
      i++;
      atLineStart = true;
      if (depth === 0) finish();
      continue;
    }
    if (c === Code.Space || c === Code.Tab || c === Code.CarriageReturn || c === Code.FormFeed || c === Code.VerticalTab) {
      i++;
      continue;
    }
    if (c === Code.Hash) {
      const end = text.indexOf("\n", i);
      i = end === -1 ? n : end;
      continue;
    }
    if (c === Code.Backslash) {
      const c1 = text.charCodeAt(i + 1);
      if (c1 === Code.Newline || (c1 === Code.CarriageReturn && text.charCodeAt(i + 2) === Code.Newline)) {
        i += c1 === Code.Newline ? 2 : 3;
        line++;
        lineStart = i;
        continue;
      }
    }
    // String literal, with an optional prefix (r, u, b, f, br, rb, fr, rf in either case).
    let prefixEnd = i;
    while (prefixEnd < n && prefixEnd - i < 2) {
      const p = text.charCodeAt(prefixEnd);
      if (p >= 128 || (ASCII_CLASS[p]! & STRING_PREFIX) === 0) break;
      prefixEnd++;
    }
    const quote = text.charCodeAt(prefixEnd);
    if (quote === Code.Quote || quote === Code.DoubleQuote) {
      // Lower case (the prefix letters are ASCII letters): `u` alone, or `r` with `b`/`f` or alone.
      const p0 = prefixEnd > i ? text.charCodeAt(i) | 0x20 : 0;
      const p1 = prefixEnd > i + 1 ? text.charCodeAt(i + 1) | 0x20 : 0;
      const R = 0x72;
      if (p1 === 0 || (p0 === R && p1 !== R && p1 !== 0x75) || (p1 === R && p0 !== R && p0 !== 0x75)) {
        const raw = p0 === R || p1 === R;
        const notStr = p0 === 0x62 || p1 === 0x62 || p0 === 0x66 || p1 === 0x66;
        const triple = text.charCodeAt(prefixEnd + 1) === quote && text.charCodeAt(prefixEnd + 2) === quote;
        const bodyStart = prefixEnd + (triple ? 3 : 1);
        const startLine = line;
        let j = bodyStart;
        let closed = false;
        while (j < n) {
          const s = text.charCodeAt(j);
          if (s === Code.Backslash) {
            if (text.charCodeAt(j + 1) === Code.Newline) {
              line++;
              lineStart = j + 2;
            }
            j += 2;
            continue;
          }
          if (s === Code.Newline) {
            if (!triple) break;
            line++;
            lineStart = j + 1;
            // A statement at column 0 ends a string that was never closed.
            if (startsStatement(j + 1) && !(text.charCodeAt(j + 1) === quote && text.charCodeAt(j + 2) === quote && text.charCodeAt(j + 3) === quote)) break;
            j++;
            continue;
          }
          if (s === quote && (!triple || (text.charCodeAt(j + 1) === quote && text.charCodeAt(j + 2) === quote))) {
            closed = true;
            break;
          }
          j++;
        }
        const bodyEnd = Math.min(j, n);
        const end = closed ? bodyEnd + (triple ? 3 : 1) : bodyEnd;
        if (!closed) problems.add(`line ${startLine}: a string is never closed`);
        const statement = open(startLine, false);
        endsWithColon = false;
        if (keep === Keep.Tokens) {
          const value = notStr || !closed ? null : decodeStringBody(text.slice(bodyStart, bodyEnd), raw);
          take(statement, { type: "string", text: text.slice(i, end), line: startLine, col, value });
        } else if (keep === Keep.Count) take(statement, null);
        if (!closed) statement.broken = true;
        i = end;
        continue;
      }
    }
    if (c < 128 ? (ASCII_CLASS[c]! & WORD) !== 0 || (c === Code.Dot && text.charCodeAt(i + 1) >= Code.Digit0 && text.charCodeAt(i + 1) <= Code.Digit9) : isWordAt(text, i)) {
      // A name, or a number (`.5` among them); `2024_backfill` (a job name the compiler allows) is
      // read as a name. A leading `.` is no word character, so the loop below leaves j at i for it.
      let j = i;
      while (j < n) {
        const w = text.charCodeAt(j);
        if (w < 128) {
          if ((ASCII_CLASS[w]! & WORD) === 0) break;
          j++;
        } else if (isWordAt(text, j)) j += text.codePointAt(j)! > 0xffff ? 2 : 1;
        else break;
      }
      const numeric = (c <= Code.Digit9 && c >= Code.Digit0) || c === Code.Dot;
      if (numeric) j = numberEnd(text, i, j);
      const statement = open(line, j === i + 3 && c === 0x64 && text.charCodeAt(i + 1) === 0x65 && text.charCodeAt(i + 2) === 0x66);
      endsWithColon = false;
      if (keep === Keep.Tokens) {
        const word = text.slice(i, j);
        const isNumber = numeric && NUMBER.test(word);
        take(statement, { type: isNumber ? "number" : "name", text: word, line, col, value: undefined });
      } else if (keep === Keep.Count) take(statement, null);
      i = j;
      continue;
    }
    const length = operatorLength(text, i, c);
    if (c === Code.OpenParen || c === Code.OpenBracket || c === Code.OpenBrace) depth++;
    else if ((c === Code.CloseParen || c === Code.CloseBracket || c === Code.CloseBrace) && depth > 0) depth--;
    const statement = open(line, false);
    endsWithColon = c === Code.Colon && length === 1;
    if (keep === Keep.Tokens) take(statement, { type: "op", text: length === 1 ? text[i]! : text.slice(i, i + length), line, col, value: undefined });
    else if (keep === Keep.Count) take(statement, null);
    i += length;
  }
  if (current !== null && depth > 0) {
    problems.add(`line ${(current as LogicalLine).line}: a bracket is never closed (file truncated?)`);
    (current as LogicalLine).broken = true;
  }
  finish();
}

const NUMBER = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?[jJ]?)$/;

/**
 * Where a number that starts with a digit or `.` at `start` ends, its word characters read up to
 * `wordsEnd`: past a fraction (`1.5`, `.5`) and a signed exponent (`1e-3`).
 */
function numberEnd(text: string, start: number, wordsEnd: number): number {
  let j = wordsEnd;
  if (text.charCodeAt(j) === Code.Dot && /^[0-9_]*$/.test(text.slice(start, j))) j = wordEnd(text, j + 1);
  const sign = text.charCodeAt(j);
  if ((sign === 0x2b || sign === Code.Minus) && /^[0-9_.]+[eE]$/.test(text.slice(start, j))) j = wordEnd(text, j + 1);
  return j;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Expressions: a bounded reader of the Python a definitions file holds

type Expr =
  | { k: "name"; id: string }
  | { k: "num"; text: string; value: number | null; float: boolean }
  | { k: "str"; value: string | null; raw: string }
  | { k: "const"; text: "None" | "True" | "False" | "..." }
  | { k: "attr"; obj: Expr; attr: string }
  | { k: "call"; func: Expr; args: Expr[]; kws: { arg: string | null; value: Expr }[] }
  | { k: "sub"; obj: Expr; index: Expr }
  | { k: "list" | "tuple" | "set"; elts: Expr[] }
  | { k: "dict"; keys: (Expr | null)[]; values: Expr[] }
  | { k: "unary"; op: string; operand: Expr }
  | { k: "bin"; op: string; left: Expr; right: Expr }
  | { k: "star"; op: "*" | "**"; value: Expr }
  | { k: "yield"; value: Expr | null }
  | { k: "raw"; text: string };

const BINARY_OPS = new Set(["+", "-", "*", "/", "//", "%", "**", "@", "|", "&", "^", "<<", ">>", "==", "!=", "<", ">", "<=", ">=", "in", "is", "and", "or"]);

class ExprReader {
  pos: number;
  private nodes = 0;
  constructor(
    private readonly tokens: Token[],
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }
  peek(offset = 0): Token | undefined {
    return this.pos + offset < this.end ? this.tokens[this.pos + offset] : undefined;
  }
  isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t !== undefined && t.type === "op" && t.text === text;
  }
  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** Skips to just past the bracket that closes the one opened before `pos` (or to the end). */
  private skipBracket(): void {
    let depth = 1;
    while (this.pos < this.end && depth > 0) {
      const t = this.tokens[this.pos++]!;
      if (t.type === "op" && OPENERS.includes(t.text)) depth++;
      else if (t.type === "op" && CLOSERS.includes(t.text)) depth--;
    }
  }

  expr(depth: number): Expr | null {
    if (++this.nodes > MAX_STATEMENT_TOKENS || depth > MAX_DEPTH) return null;
    if (this.peek()?.type === "name" && this.peek()!.text === "yield") {
      this.pos++;
      if (this.peek()?.text === "from") return null;
      const value = this.atEnd() || this.isOp(")") || this.isOp(",") ? null : this.expr(depth + 1);
      return { k: "yield", value };
    }
    if (this.isOp("*") || this.isOp("**")) {
      const op = this.peek()!.text as "*" | "**";
      this.pos++;
      const value = this.expr(depth + 1);
      return value ? { k: "star", op, value } : null;
    }
    let left = this.unary(depth);
    if (!left) return null;
    for (;;) {
      const t = this.peek();
      if (!t || !BINARY_OPS.has(t.text) || (t.type === "name" && !["in", "is", "and", "or"].includes(t.text))) break;
      this.pos++;
      const right = this.unary(depth + 1);
      if (!right) return null;
      left = { k: "bin", op: t.text, left, right };
    }
    return left;
  }

  private unary(depth: number): Expr | null {
    const t = this.peek();
    if (t && ((t.type === "op" && (t.text === "-" || t.text === "+" || t.text === "~")) || (t.type === "name" && t.text === "not"))) {
      this.pos++;
      const operand = this.unary(depth + 1);
      return operand ? { k: "unary", op: t.text, operand } : null;
    }
    return this.postfix(depth);
  }

  private postfix(depth: number): Expr | null {
    let node = this.atom(depth);
    while (node) {
      if (this.isOp(".") && this.peek(1)?.type === "name") {
        node = { k: "attr", obj: node, attr: this.peek(1)!.text };
        this.pos += 2;
      } else if (this.isOp("(")) {
        this.pos++;
        node = this.callArgs(node, depth + 1);
      } else if (this.isOp("[")) {
        this.pos++;
        const items = this.sequence("]", depth + 1);
        if (!items) return null;
        node = { k: "sub", obj: node, index: items.elts.length === 1 && !items.trailingComma ? items.elts[0]! : { k: "tuple", elts: items.elts } };
      } else break;
    }
    return node;
  }

  private callArgs(func: Expr, depth: number): Expr | null {
    if (depth > MAX_DEPTH) {
      this.skipBracket();
      return null;
    }
    const args: Expr[] = [];
    const kws: { arg: string | null; value: Expr }[] = [];
    while (!this.atEnd() && !this.isOp(")")) {
      if (this.peek()?.type === "name" && this.isOp("=", 1)) {
        const arg = this.peek()!.text;
        this.pos += 2;
        const value = this.expr(depth + 1);
        if (!value) return this.fail();
        kws.push({ arg, value });
      } else if (this.isOp("**")) {
        this.pos++;
        const value = this.expr(depth + 1);
        if (!value) return this.fail();
        kws.push({ arg: null, value });
      } else {
        const value = this.expr(depth + 1);
        if (!value) return this.fail();
        args.push(value);
      }
      if (args.length + kws.length > MAX_ITEMS) return this.fail();
      if (this.isOp(",")) this.pos++;
      else if (!this.isOp(")")) return this.fail();
    }
    if (!this.isOp(")")) return null;
    this.pos++;
    return { k: "call", func, args, kws };
  }

  /** Gives up on the bracket being read: skips to its end so the reader stays linear. */
  private fail(): null {
    this.skipBracket();
    return null;
  }

  private sequence(close: string, depth: number): { elts: Expr[]; trailingComma: boolean } | null {
    if (depth > MAX_DEPTH) {
      this.skipBracket();
      return null;
    }
    const elts: Expr[] = [];
    let trailingComma = false;
    while (!this.atEnd() && !this.isOp(close)) {
      const value = this.expr(depth + 1);
      if (!value || elts.length >= MAX_ITEMS) return this.fail();
      elts.push(value);
      trailingComma = false;
      if (this.isOp(",")) {
        this.pos++;
        trailingComma = true;
      } else if (!this.isOp(close)) return this.fail();
    }
    if (!this.isOp(close)) return null;
    this.pos++;
    return { elts, trailingComma };
  }

  private atom(depth: number): Expr | null {
    const t = this.peek();
    if (!t) return null;
    if (t.type === "name") {
      this.pos++;
      if (t.text === "None" || t.text === "True" || t.text === "False") return { k: "const", text: t.text };
      if (t.text === "lambda" || PY_KEYWORDS.has(t.text)) return null;
      return { k: "name", id: t.text };
    }
    if (t.type === "number") {
      this.pos++;
      return numberExpr(t.text);
    }
    if (t.type === "string") {
      // Adjacent literals concatenate.
      let value: string | null = t.value ?? null;
      let raw = t.text;
      this.pos++;
      while (this.peek()?.type === "string") {
        const next = this.peek()!;
        value = value !== null && next.value !== null && next.value !== undefined ? value + next.value : null;
        raw += " " + next.text;
        this.pos++;
      }
      return { k: "str", value, raw };
    }
    if (t.text === "...") {
      this.pos++;
      return { k: "const", text: "..." };
    }
    if (t.text === "(") {
      this.pos++;
      const items = this.sequence(")", depth + 1);
      if (!items) return null;
      return items.elts.length === 1 && !items.trailingComma ? items.elts[0]! : { k: "tuple", elts: items.elts };
    }
    if (t.text === "[") {
      this.pos++;
      const items = this.sequence("]", depth + 1);
      return items ? { k: "list", elts: items.elts } : null;
    }
    if (t.text === "{") {
      this.pos++;
      return this.braces(depth + 1);
    }
    return null;
  }

  private braces(depth: number): Expr | null {
    if (depth > MAX_DEPTH) {
      this.skipBracket();
      return null;
    }
    const keys: (Expr | null)[] = [];
    const values: Expr[] = [];
    const elts: Expr[] = [];
    while (!this.atEnd() && !this.isOp("}")) {
      if (keys.length + elts.length >= MAX_ITEMS) return this.fail();
      if (this.isOp("**")) {
        this.pos++;
        const value = this.expr(depth + 1);
        if (!value) return this.fail();
        keys.push(null);
        values.push(value);
      } else {
        const key = this.expr(depth + 1);
        if (!key) return this.fail();
        if (this.isOp(":")) {
          this.pos++;
          const value = this.expr(depth + 1);
          if (!value) return this.fail();
          keys.push(key);
          values.push(value);
        } else elts.push(key);
      }
      if (this.isOp(",")) this.pos++;
      else if (!this.isOp("}")) return this.fail();
    }
    if (!this.isOp("}")) return null;
    this.pos++;
    if (elts.length > 0 && keys.length > 0) return null;
    return elts.length > 0 ? { k: "set", elts } : { k: "dict", keys, values };
  }
}

function numberExpr(text: string): Expr {
  const clean = text.replace(/_/g, "");
  if (/[jJ]$/.test(clean)) return { k: "num", text, value: null, float: false };
  if (/^0[xX]/.test(clean)) return { k: "num", text, value: parseInt(clean.slice(2), 16), float: false };
  if (/^0[oO]/.test(clean)) return { k: "num", text, value: parseInt(clean.slice(2), 8), float: false };
  if (/^0[bB]/.test(clean)) return { k: "num", text, value: parseInt(clean.slice(2), 2), float: false };
  const float = /[.eE]/.test(clean);
  const value = Number(clean);
  return { k: "num", text, value: Number.isNaN(value) ? null : value, float };
}

/** Reads one expression from `tokens[start, end)`; `null` when it is not all one expression. */
function readExpr(tokens: Token[], start: number, end: number): { expr: Expr | null; next: number } {
  const reader = new ExprReader(tokens, start, end);
  const expr = reader.expr(0);
  return { expr, next: reader.pos };
}

/** `ast.unparse` of the expressions above. */
function unparse(e: Expr | null, depth = 0): string | null {
  if (!e || depth > MAX_DEPTH) return null;
  const u = (x: Expr | null) => unparse(x, depth + 1);
  const all = (xs: (Expr | null)[]) => {
    const parts = xs.map(u);
    return parts.every((p) => p !== null) ? (parts as string[]) : null;
  };
  switch (e.k) {
    case "name":
      return e.id;
    case "num":
      if (e.value === null) return e.text;
      return e.float ? pyFloatRepr(e.value) : String(e.value);
    case "str":
      return e.value === null ? e.raw : pyRepr(e.value);
    case "const":
      return e.text === "..." ? "..." : e.text;
    case "attr": {
      const obj = u(e.obj);
      return obj === null ? null : `${obj}.${e.attr}`;
    }
    case "call": {
      const func = u(e.func);
      const args = all(e.args);
      const kws = e.kws.map((k) => {
        const v = u(k.value);
        return v === null ? null : k.arg === null ? `**${v}` : `${k.arg}=${v}`;
      });
      if (func === null || args === null || kws.some((k) => k === null)) return null;
      return `${func}(${[...args, ...(kws as string[])].join(", ")})`;
    }
    case "sub": {
      const obj = u(e.obj);
      const index = e.index.k === "tuple" ? all(e.index.elts)?.join(", ") ?? null : u(e.index);
      return obj === null || index === null ? null : `${obj}[${index}]`;
    }
    case "list": {
      const elts = all(e.elts);
      return elts && `[${elts.join(", ")}]`;
    }
    case "tuple": {
      const elts = all(e.elts);
      return elts && (elts.length === 1 ? `(${elts[0]},)` : `(${elts.join(", ")})`);
    }
    case "set": {
      const elts = all(e.elts);
      return elts && `{${elts.join(", ")}}`;
    }
    case "dict": {
      const parts = e.keys.map((k, i) => {
        const v = u(e.values[i]!);
        if (v === null) return null;
        if (k === null) return `**${v}`;
        const key = u(k);
        return key === null ? null : `${key}: ${v}`;
      });
      return parts.some((p) => p === null) ? null : `{${parts.join(", ")}}`;
    }
    case "unary": {
      const operand = u(e.operand);
      return operand === null ? null : e.op === "not" ? `not ${operand}` : `${e.op}${operand}`;
    }
    case "bin": {
      const left = u(e.left);
      const right = u(e.right);
      return left === null || right === null ? null : `${left} ${e.op} ${right}`;
    }
    case "star": {
      const value = u(e.value);
      return value === null ? null : `${e.op}${value}`;
    }
    case "yield": {
      const value = e.value ? u(e.value) : "";
      return value === null ? null : value ? `(yield ${value})` : "(yield)";
    }
    case "raw":
      return e.text;
  }
}

const NOT_LITERAL = Symbol("not a literal");
type Literal = unknown;

/** `ast.literal_eval` of an expression, as JSON would carry it; NOT_LITERAL when it is not one (extract.py then has `None`). */
function literal(e: Expr | null, depth = 0): Literal | typeof NOT_LITERAL {
  if (!e || depth > MAX_DEPTH) return NOT_LITERAL;
  switch (e.k) {
    case "str":
      return e.value === null ? NOT_LITERAL : e.value;
    case "num":
      return e.value === null ? NOT_LITERAL : e.value;
    case "const":
      return e.text === "None" ? null : e.text === "True" ? true : e.text === "False" ? false : NOT_LITERAL;
    case "unary": {
      if (e.op !== "-" && e.op !== "+") return NOT_LITERAL;
      if (e.operand.k !== "num" || e.operand.value === null) return NOT_LITERAL;
      return e.op === "-" ? -e.operand.value : e.operand.value;
    }
    case "list":
    case "tuple": {
      const out: unknown[] = [];
      for (const x of e.elts) {
        const v = literal(x, depth + 1);
        if (v === NOT_LITERAL) return NOT_LITERAL;
        out.push(v);
      }
      return out;
    }
    case "dict": {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < e.keys.length; i++) {
        const k = e.keys[i];
        if (!k) return NOT_LITERAL;
        const key = literal(k, depth + 1);
        const value = literal(e.values[i]!, depth + 1);
        if (key === NOT_LITERAL || value === NOT_LITERAL || (typeof key === "object" && key !== null)) return NOT_LITERAL;
        // json.dumps turns None/True/False/number keys into text.
        setOwn(out, key === null ? "null" : typeof key === "number" && k.k === "num" && k.float ? pyFloatRepr(key) : String(key), value);
      }
      return out;
    }
    default:
      return NOT_LITERAL;
  }
}
const lit = (e: Expr | null): unknown => {
  const v = literal(e);
  return v === NOT_LITERAL ? null : v;
};

function funcName(e: Expr | null): string | null {
  const f = e && e.k === "call" ? e.func : e;
  if (!f) return null;
  if (f.k === "name") return f.id;
  if (f.k === "attr") return f.attr;
  return null;
}
function keyword(call: Expr | null, name: string): Expr | null {
  if (!call || call.k !== "call") return null;
  for (const k of call.kws) if (k.arg === name) return k.value;
  return null;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Problems

class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(problem);
    else if (this.list.length === MAX_PROBLEMS) this.list.push("more problems were not listed");
  }
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Regions (by lines, as extract.py cuts them)

interface Regions {
  docEnd: number;
  preambleEnd: number;
  config: [number, number] | null;
  configName: string | null;
  sensors: [number, number] | null;
}

function startsWithOp(line: string): boolean {
  return line.startsWith("@op") && !isWordAt(line, 3);
}
/** `^class (\w+)\(Config\):\s*$` */
function configClassName(line: string): string | null {
  if (!line.startsWith("class ")) return null;
  let j = 6;
  j = wordEnd(line, j);
  if (j === 6 || !line.startsWith("(Config):", j)) return null;
  return line.slice(j + 9).trim() === "" && !/[^\s]/u.test(line.slice(j + 9)) ? line.slice(6, j) : null;
}
/** `^\s*@sensor\(` */
function isSensorStart(line: string): boolean {
  let j = 0;
  while (isSpace(line[j])) j++;
  return line.startsWith("@sensor(", j);
}
/** `^defs\s*=\s*Definitions\(` */
function isDefsStart(line: string): boolean {
  if (!line.startsWith("defs")) return false;
  let j = 4;
  while (isSpace(line[j])) j++;
  if (line[j] !== "=") return false;
  j++;
  while (isSpace(line[j])) j++;
  return line.startsWith("Definitions(", j);
}

function splitRegions(lines: string[], text: string): Regions {
  let docEnd = 0;
  if (lines.length > 0 && lines[0]!.startsWith('"""')) {
    for (let i = 1; i < lines.length; i++) {
      if (rstrip(lines[i]!).endsWith('"""')) {
        docEnd = i + 1;
        break;
      }
    }
  }
  let firstOp = lines.findIndex(startsWithOp);
  if (firstOp === -1) firstOp = lines.length;
  let config: [number, number] | null = null;
  let configName: string | null = null;
  for (let i = docEnd; i < firstOp; i++) {
    const name = configClassName(lines[i]!);
    if (name !== null) {
      config = [i, firstOp];
      configName = name;
      break;
    }
  }
  const preambleEnd = config ? config[0] : firstOp;
  let sensors: [number, number] | null = null;
  // Only a file that holds `@sensor(` has a line that starts with it.
  const s0 = text.includes("@sensor(") ? lines.findIndex(isSensorStart) : -1;
  if (s0 !== -1) {
    let s1 = lines.length;
    for (let i = s0; i < lines.length; i++) {
      if (isDefsStart(lines[i]!)) {
        s1 = i;
        break;
      }
    }
    sensors = [s0, s1];
  }
  return { docEnd, preambleEnd, config, configName, sensors };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Header, template fingerprint, Config class (line based, as extract.py)

const HEADER_KEYS = ["Flow", "Job", "Source"] as const;
/** `^(Flow|Job|Source)(\s*:\s*)(.*)$`: the key, the separator and the value. */
function headerField(line: string): { key: string; sep: string; value: string } | null {
  for (const key of HEADER_KEYS) {
    if (!line.startsWith(key)) continue;
    let j = key.length;
    while (isSpace(line[j])) j++;
    if (line[j] !== ":") return null;
    j++;
    while (isSpace(line[j])) j++;
    return { key, sep: line.slice(key.length, j), value: line.slice(j) };
  }
  return null;
}
/** `^(\s+python )(\S+)( dagster create )(.*)$` */
function regenerateLine(line: string): { lead: string; flowFile: string; output: string } | null {
  let j = 0;
  while (isSpace(line[j])) j++;
  if (j === 0 || !line.startsWith("python ", j)) return null;
  const fileStart = j + 7;
  let k = fileStart;
  while (k < line.length && !isSpace(line[k])) k++;
  if (k === fileStart || !line.startsWith(" dagster create ", k)) return null;
  return { lead: line.slice(0, fileStart), flowFile: line.slice(fileStart, k), output: line.slice(k + 16) };
}

function readHeader(lines: string[], docEnd: number): JobModel["header"] {
  const header: JobModel["header"] = { flow: null, job: null, regenerate: null };
  for (const line of lines.slice(0, docEnd)) {
    const field = headerField(line);
    if (field) header[field.key.toLowerCase() as "flow" | "job"] = field.value.trim() as never;
    const regenerate = regenerateLine(line);
    if (regenerate) header.regenerate = { flow_file: regenerate.flowFile, output: regenerate.output.trim() };
  }
  delete (header as Record<string, unknown>).source;
  return header;
}

/** `^([A-Z][A-Z0-9_]*)(\s*:\s*[^=]+?)?\s*=\s*(.*)$`: the name and the annotation part kept by the fingerprint. */
function constantLine(line: string): { name: string; annotation: string } | null {
  const first = line.charCodeAt(0);
  if (!(first >= 65 && first <= 90)) return null;
  let j = 1;
  for (let c = line.charCodeAt(j); (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95; c = line.charCodeAt(++j));
  const name = line.slice(0, j);
  // With an annotation: `\s*:` then the shortest non-empty `[^=]+` before `\s*=`.
  let k = j;
  while (isSpace(line[k])) k++;
  if (line[k] === ":") {
    const eq = line.indexOf("=", k + 1);
    if (eq !== -1) {
      let afterColon = k + 1;
      while (afterColon < eq && isSpace(line[afterColon])) afterColon++;
      let annEnd = eq;
      while (annEnd > afterColon && isSpace(line[annEnd - 1])) annEnd--;
      if (annEnd > afterColon) return { name, annotation: line.slice(j, annEnd) };
      // Only spaces between `:` and `=`: the regex gives one of them to `[^=]+?`.
      if (eq > k + 1) return { name, annotation: line.slice(j, eq) };
    }
    return null;
  }
  return line[k] === "=" ? { name, annotation: "" } : null;
}

/**
 * `template_sha` of the lines it hashes, most recent first. Every file one metaflow-dagster version
 * wrote has the same lines (the values are blanked), so a run over a repo hashes them once per
 * version, and a file's lines are compared one by one instead of being joined. Bounded in entries
 * and in the length of the lines kept, so a repo of distinct or huge preambles cannot grow it, and
 * a lookup compares at most that many texts.
 */
const templateShas: { lines: string[]; sha: string; constants: string[]; helpers: string[] }[] = [];
const MAX_TEMPLATE_SHAS = 4;
const MAX_TEMPLATE_TEXT = 256 * 1024;

function sameLines(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function templateFingerprint(lines: string[], docEnd: number, preambleEnd: number): JobReading["fingerprint"] {
  const doc: string[] = [];
  for (const line of lines.slice(0, docEnd)) {
    const field = headerField(line);
    let out = field ? `${field.key}${field.sep}<V>` : line;
    const regenerate = regenerateLine(out);
    if (regenerate) out = `${regenerate.lead}<FLOW> dagster create <OUT>`;
    doc.push(out);
  }
  const body: string[] = [];
  const constants: string[] = [];
  for (const raw of lines.slice(docEnd, preambleEnd)) {
    let line = raw;
    const constant = constantLine(line);
    if (constant) {
      constants.push(constant.name);
      line = `${constant.name}${constant.annotation} = <V>`;
    }
    body.push(rstrip(line));
  }
  while (body.length > 0 && body[body.length - 1] === "") body.pop();
  const hashed = doc.concat(body);
  const known = templateShas.findIndex((entry) => sameLines(entry.lines, hashed));
  if (known !== -1) {
    // The helpers are read from the same lines.
    const entry = templateShas[known]!;
    if (known > 0) templateShas.unshift(...templateShas.splice(known, 1));
    // The same constant names too (their lines are hashed): the memo's copies, not this file's slices.
    return { templateSha: entry.sha, constants: entry.constants.slice(), helpers: entry.helpers.slice() };
  }
  const helpers: string[] = [];
  for (const line of body) {
    if (!line.startsWith("def ")) continue;
    const j = wordEnd(line, 4);
    if (j > 4) helpers.push(line.slice(4, j));
  }
  const text = hashed.join("\n") + "\n";
  const templateSha = createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);
  // Names of their own: a check keeps every file's fingerprint, and a name cut from a file's
  // lines would keep the whole file alive (V8 slices share their parent string).
  const fingerprint = { templateSha, constants: constants.map(ownString), helpers: helpers.map(ownString) };
  if (text.length <= MAX_TEMPLATE_TEXT) {
    // Its own copy of the lines, for the same reason.
    templateShas.unshift({ lines: text.slice(0, -1).split("\n"), sha: templateSha, constants: fingerprint.constants.slice(), helpers: fingerprint.helpers.slice() });
    if (templateShas.length > MAX_TEMPLATE_SHAS) templateShas.pop();
  }
  return fingerprint;
}

/**
 * The same text in a string of its own, not a view of the string it was cut from: V8 keeps a slice
 * as a view of its parent, so a short value kept for a whole check (a header value, a name) cut
 * from a file's text would keep the whole text alive.
 */
export function ownString(value: string): string {
  return JSON.parse(JSON.stringify(value)) as string;
}

/** extract.py's read_config: `^    ([^:\s][^:]*?): (\w+) = (.*?)(?:  # (.*))?$`, other non-blank lines are stray. */
function readConfig(lines: string[], span: [number, number] | null, name: string | null): JobModel["config_class"] {
  if (!span || name === null) return null;
  const fields: NonNullable<JobModel["config_class"]>["fields"] = [];
  const stray: string[] = [];
  for (const line of lines.slice(span[0] + 1, span[1])) {
    if (line.trim() === "" && !/[^\s]/u.test(line)) continue;
    const field = configFieldLine(line);
    if (field) fields.push(field);
    else stray.push(line);
  }
  return { name, fields, stray_lines: stray };
}

function configFieldLine(line: string): { name: string; type: string; default: string; help: string | null } | null {
  if (!line.startsWith("    ") || line[4] === undefined || line[4] === ":" || isSpace(line[4])) return null;
  const colon = line.indexOf(":", 5);
  if (colon === -1 || line[colon + 1] !== " ") return null;
  let j = colon + 2;
  j = wordEnd(line, j);
  if (j === colon + 2 || !line.startsWith(" = ", j)) return null;
  const rest = line.slice(j + 3);
  const hash = rest.indexOf("  # ");
  return { name: line.slice(4, colon), type: line.slice(colon + 2, j), default: hash === -1 ? rest : rest.slice(0, hash), help: hash === -1 ? null : rest.slice(hash + 4) };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Sensors (line based, as extract.py)

/** A quoted string at `at` (`'…'` or `"…"`, with escapes when `escapes`); its end index, or -1. */
function quotedAt(s: string, at: number, escapes: boolean): number {
  const quote = s[at];
  if (quote !== "'" && quote !== '"') return -1;
  for (let j = at + 1; j < s.length; j++) {
    if (escapes && s[j] === "\\") {
      j++;
      continue;
    }
    if (s[j] === quote) return j + 1;
  }
  return -1;
}

/** `literal_eval` of one quoted string (no prefix). */
function evalQuoted(text: string): string | null {
  const trimmed = text.replace(/^[ \t]+/, "").replace(/\s+$/u, "");
  if (quotedAt(trimmed, 0, true) !== trimmed.length) return null;
  return decodeStringBody(trimmed.slice(1, -1), false);
}

function readSensors(lines: string[], span: [number, number] | null, sensorLines: Record<string, number>): SensorModel[] {
  if (!span) return [];
  const sensors: SensorModel[] = [];
  let block: number[] = [];
  const blocks: number[][] = [];
  for (let i = span[0]; i < span[1]; i++) {
    if (isSensorStart(lines[i]!) && block.length > 0) {
      blocks.push(block);
      block = [];
    }
    block.push(i);
  }
  if (block.length > 0) blocks.push(block);
  for (const indexes of blocks) {
    if (sensors.length >= MAX_ITEMS) break;
    const decorator = sensorDecorator(indexes.map((i) => lines[i]!));
    if (!decorator) continue;
    const first = lines[indexes[0]!]!;
    const sensor: SensorModel = { name: decorator.name, job: decorator.job, default_status: decorator.status, function: null, indent: first.length - first.replace(/^ +/, "").length, kind: "unknown" };
    let eventFound = false;
    let finishJob: string | null | undefined;
    const parameterMap: Record<string, string> = {};
    let runConfigOp: string | null = null;
    for (let n = 0; n < indexes.length; n++) {
      const line = lines[indexes[n]!]!;
      if (sensor.function === null) {
        const def = line.indexOf("def ");
        if (def !== -1) {
          let j = def + 4;
          j = wordEnd(line, j);
          if (j > def + 4 && line.startsWith("(context", j)) {
            sensor.function = line.slice(def + 4, j);
            setOwn(sensorLines, decorator.name, indexes[n]! + 1);
          }
        }
      }
      if (!eventFound) {
        const start = line.indexOf("when the '");
        const end = line.lastIndexOf("' event is detected");
        if (start !== -1 && start + 10 <= end) {
          eventFound = true;
          sensor.event = line.slice(start + 10, end);
        }
      }
      const mapping = parameterMapping(line);
      if (mapping) setOwn(parameterMap, mapping[0], mapping[1]);
      if (runConfigOp === null) {
        const at = line.indexOf('"ops": {"');
        if (at !== -1) {
          let j = at + 9;
          j = wordEnd(line, j);
          if (j > at + 9 && line.startsWith('": {"config"', j)) runConfigOp = line.slice(at + 9, j);
        }
      }
      if (finishJob === undefined) {
        const at = line.indexOf("RunsFilter(");
        if (at !== -1) finishJob = runsFilterJob(lines, indexes, n, at + 11);
      }
    }
    if (!Object.hasOwn(sensorLines, decorator.name)) setOwn(sensorLines, decorator.name, indexes[0]! + 1);
    if (eventFound) {
      sensor.kind = "event";
      sensor.parameter_map = parameterMap;
      sensor.run_config_op = runConfigOp;
    } else {
      sensor.kind = finishJob ? "finish" : "unknown";
      sensor.upstream_job = finishJob ?? null;
    }
    sensors.push(sensor);
  }
  return sensors;
}

/** `@sensor\(job=(\w+), name=('[^']*'|"[^"]*")(?:, default_status=([\w.]+))?\)`, searched in the block's lines. */
function sensorDecorator(block: string[]): { job: string; name: string; status: string | null } | null {
  for (const line of block) {
    let at = line.indexOf("@sensor(job=");
    while (at !== -1) {
      let j = at + 12;
      j = wordEnd(line, j);
      if (j > at + 12 && line.startsWith(", name=", j)) {
        const job = line.slice(at + 12, j);
        const nameStart = j + 7;
        const nameEnd = quotedAt(line, nameStart, false);
        if (nameEnd !== -1) {
          const name = evalQuoted(line.slice(nameStart, nameEnd));
          if (line[nameEnd] === ")" && name !== null) return { job, name, status: null };
          if (line.startsWith(", default_status=", nameEnd) && name !== null) {
            let k = nameEnd + 17;
            for (k = wordEnd(line, k); line[k] === "."; k = wordEnd(line, k + 1));
            if (k > nameEnd + 17 && line[k] === ")") return { job, name, status: line.slice(nameEnd + 17, k) };
          }
        }
      }
      at = line.indexOf("@sensor(job=", at + 1);
    }
  }
  return null;
}

/** `^\s*('…'|"…"): context\.cursor or "",\s+# mapped from event field (.*)$` */
function parameterMapping(line: string): [string, string] | null {
  let j = 0;
  while (isSpace(line[j])) j++;
  const end = quotedAt(line, j, true);
  if (end === -1 || !line.startsWith(': context.cursor or "",', end)) return null;
  let k = end + 23;
  const spaces = k;
  while (isSpace(line[k])) k++;
  if (k === spaces || !line.startsWith("# mapped from event field ", k)) return null;
  const key = evalQuoted(line.slice(j, end));
  const field = line.slice(k + 26);
  const value = evalQuoted(field);
  return key === null ? null : [key, value ?? field];
}

/** `RunsFilter\(\s*job_name=('[^']*'|"[^"]*")`, where the spaces may run over lines. */
function runsFilterJob(lines: string[], indexes: number[], n: number, at: number): string | null {
  let line = lines[indexes[n]!]!;
  let j = at;
  for (;;) {
    while (j < line.length && isSpace(line[j])) j++;
    if (j < line.length || n + 1 >= indexes.length) break;
    line = lines[indexes[++n]!]!;
    j = 0;
  }
  if (!line.startsWith("job_name=", j)) return null;
  const end = quotedAt(line, j + 9, false);
  return end === -1 ? null : evalQuoted(line.slice(j + 9, end));
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Statements

/** Index of the single top-level `=` of an assignment statement, or -1. */
function assignmentEquals(tokens: Token[]): number {
  let depth = 0;
  let found = -1;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type !== "op") continue;
    if (OPENERS.includes(t.text)) depth++;
    else if (CLOSERS.includes(t.text)) depth = Math.max(0, depth - 1);
    else if (t.text === "=" && depth === 0) {
      if (found !== -1) return -2;
      found = i;
    }
  }
  return found;
}

interface FunctionDef {
  name: string;
  line: number;
  decorators: Expr[];
  params: { name: string; annotation: Expr | null }[];
  returns: Expr | null;
  body: LogicalLine[];
}

/** Reads `def NAME(params) [-> expr]:` from a logical line. */
function readDef(tokens: Token[], decorators: Expr[], body: LogicalLine[], problems: Problems): FunctionDef | null {
  if (tokens[0]?.text !== "def" || !tokens[1] || tokens[1].type === "op" || tokens[2]?.text !== "(") return null;
  const name = tokens[1].text;
  const params: FunctionDef["params"] = [];
  let i = 3;
  let keywordOnly = false;
  while (i < tokens.length && tokens[i]!.text !== ")") {
    const t = tokens[i]!;
    if (t.text === "/") {
      params.length = 0; // positional-only parameters are not in `args.args`
      i++;
    } else if (t.text === "*" || t.text === "**") {
      keywordOnly = true;
      i++;
      if (tokens[i]?.type === "name") i++;
    } else if (t.type === "name") {
      i++;
      let annotation: Expr | null = null;
      if (tokens[i]?.text === ":") {
        const read = readExpr(tokens, i + 1, tokens.length);
        annotation = read.expr;
        i = read.next;
      }
      if (tokens[i]?.text === "=") {
        const read = readExpr(tokens, i + 1, tokens.length);
        i = read.next;
      }
      if (!keywordOnly) params.push({ name: t.text, annotation });
    } else {
      problems.add(`line ${t.line}: the parameters of \`${name}\` could not be read`);
      return null;
    }
    if (tokens[i]?.text === ",") i++;
    else if (tokens[i]?.text !== ")") {
      problems.add(`line ${tokens[0]!.line}: the parameters of \`${name}\` could not be read`);
      return null;
    }
  }
  i++;
  let returns: Expr | null = null;
  if (tokens[i]?.text === "->") {
    const read = readExpr(tokens, i + 1, tokens.length);
    returns = read.expr;
  }
  return { name, line: tokens[0]!.line, decorators, params, returns, body };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Ops and the job

function readRunStep(call: Extract<Expr, { k: "call" }>): StepRun {
  const step = call.args.length > 1 ? lit(call.args[1]!) : null;
  const retries = keyword(call, "max_user_code_retries");
  const tags = keyword(call, "tags");
  const env = keyword(call, "extra_env");
  const retriesValue = retries ? lit(retries) : null;
  const tagsValue = tags ? lit(tags) : null;
  return {
    step: typeof step === "string" ? step : null,
    max_user_code_retries: typeof retriesValue === "number" && Number.isInteger(retriesValue) ? retriesValue : null,
    tags: Array.isArray(tagsValue) && tagsValue.every((x) => typeof x === "string") ? (tagsValue as string[]) : null,
    extra_env: env ? lit(env) : null,
    split_index: keyword(call, "split_index") !== null,
  };
}

function readOut(e: Expr | null): OpModel["out"] {
  if (!e) return null;
  if (e.k === "dict") {
    const out: Record<string, string> = {};
    e.keys.forEach((k, i) => {
      const key = lit(k);
      setOwn(out, key === null ? "null" : String(key), unparse(e.values[i]!) ?? "");
    });
    return out;
  }
  return unparse(e);
}

/** Python's int() of a tag value: the timeout seconds, or `null` when it is not a whole number. */
function pyInt(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && /^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) return Number(value.trim().replace(/_/g, ""));
  return null;
}

/** `parameters = {...}` as extract.py reads it: from the line text, since `config.max-items` parses as a subtraction. */
function readParameters(line: string, dict: Extract<Expr, { k: "dict" }>): Record<string, string> {
  const pairs: Record<string, string> = {};
  let found = false;
  let i = line.indexOf('"');
  while (i !== -1) {
    const end = quotedAt(line, i, true);
    if (end !== -1 && line.startsWith(": config.", end)) {
      let j = end + 9;
      while (j < line.length && line[j] !== "," && line[j] !== "}") j++;
      setOwn(pairs, line.slice(i + 1, end - 1), line.slice(end + 2, j));
      found = true;
      i = line.indexOf('"', j);
      continue;
    }
    i = line.indexOf('"', i + 1);
  }
  if (found) return pairs;
  const fallback: Record<string, string> = {};
  dict.keys.forEach((k, n) => {
    const key = lit(k);
    setOwn(fallback, key === null ? "null" : String(key), unparse(dict.values[n]!) ?? "");
  });
  return fallback;
}

function opKind(op: Omit<OpModel, "kind">): string {
  const out = op.out;
  const ins = op.ins ?? {};
  if (op.name.endsWith("__body")) return op.reads_foreach_splits ? "compound-nested-foreach" : "compound-multibody-foreach";
  if (op.init) {
    if (out === "DynamicOut(str)") return "start-foreach";
    if (out !== null && typeof out === "object") return op.reads_condition_branch ? "start-switch" : "start-split";
    return "start";
  }
  if (op.returns === "None" && out === null) return "end";
  if (out === "DynamicOut(str)") return "foreach";
  if (op.reads_condition_branch) return "switch";
  if (out !== null && typeof out === "object") return "split";
  const inValues = Object.values(ins);
  if (inValues.some((v) => v && v.startsWith("In(list"))) return "foreach-join";
  if (inValues.some((v) => v && v.includes("Optional"))) return "switch-merge";
  if (inValues.length > 1) return "join";
  if (op.runs.some((r) => r.split_index)) return "foreach-body";
  return "linear";
}

function readOp(fn: FunctionDef, deco: Expr, lines: string[]): OpModel {
  const call = deco.k === "call" ? deco : null;
  const ins = keyword(call, "ins");
  const out = keyword(call, "out");
  const rp = keyword(call, "retry_policy");
  const tg = keyword(call, "tags");
  let retry: OpModel["retry_policy"] = null;
  if (rp && rp.k === "call") {
    const mr = keyword(rp, "max_retries");
    const dl = keyword(rp, "delay");
    retry = { max_retries: mr ? pyInt(lit(mr)) : null, delay: dl ? pyInt(lit(dl)) : null };
  }
  const tagsValue = tg ? lit(tg) : null;
  const tags = tagsValue !== null && typeof tagsValue === "object" && !Array.isArray(tagsValue) ? (Object.fromEntries(Object.entries(tagsValue).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])) as Record<string, string>) : null;
  const timeout = tags && OP_TAG_TIMEOUT in tags ? pyInt(tags[OP_TAG_TIMEOUT]) : null;
  const params = fn.params.map((p) => p.name);
  const configParam = fn.params.find((p) => p.name === "config" && p.annotation !== null);

  const runs: StepRun[] = [];
  const yields: { depth: number; type: string | null; output_name: string | null }[] = [];
  const calls = new Set<string>();
  let parameters: Record<string, string> | undefined;
  for (const statement of fn.body) {
    const tokens = statement.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.type !== "name") continue;
      if (tokens[i + 1]?.text === "(" && tokens[i - 1]?.text !== "." && tokens[i - 1]?.text !== "def") {
        calls.add(t.text);
        if (t.text === "_run_step" && runs.length < MAX_ITEMS) {
          const read = readExpr(tokens, i, tokens.length);
          let e = read.expr;
          while (e && e.k !== "call") e = e.k === "attr" ? e.obj : null;
          if (e && e.k === "call" && funcName(e.func) === "_run_step") runs.push(readRunStep(e));
        }
      }
      if (t.text === "yield" && tokens[i + 1]?.text !== "from" && yields.length < MAX_ITEMS) {
        const read = readExpr(tokens, i + 1, tokens.length);
        const value = read.expr;
        if (value && value.k === "call") {
          const on = keyword(value, "output_name");
          const name = on === null ? null : on.k === "str" ? on.value : on.k === "num" || on.k === "const" ? (lit(on) as string | null) : `<${unparse(on)}>`;
          yields.push({ depth: statement.indent, type: value.func.k === "name" ? value.func.id : null, output_name: name === null ? null : String(name) });
        }
      }
    }
    // `parameters = {...}`
    if (tokens[0]?.text === "parameters" && tokens[1]?.text === "=" && tokens[2]?.text === "{") {
      const read = readExpr(tokens, 2, tokens.length);
      if (read.expr && read.expr.k === "dict" && read.next === tokens.length) parameters = readParameters(lines[statement.line - 1] ?? "", read.expr);
    }
  }
  // extract.py walks the function breadth first: shallower yields come first.
  yields.sort((a, b) => a.depth - b.depth);
  const op: Omit<OpModel, "kind"> = {
    name: fn.name,
    steps: runs.map((r) => r.step),
    ins: ins ? (readOut(ins) as Record<string, string> | string | null as never) : null,
    out: readOut(out),
    out_names: out && out.k === "dict" ? out.keys.map((k) => (k ? (lit(k) as string | null) : null)).map((k) => (k === null ? null : String(k))) : null,
    params: params[0] === "context" ? params.slice(1) : params,
    config: configParam ? unparse(configParam.annotation) : null,
    returns: fn.returns ? unparse(fn.returns) : null,
    retry_policy: retry,
    tags,
    timeout,
    decorator_keys: call ? call.kws.map((k) => k.arg).filter((k): k is string => k !== null) : [],
    runs,
    yields: yields.map(({ type, output_name }) => ({ type, output_name })),
    init: calls.has("_run_init"),
    reads_foreach_splits: calls.has("_get_foreach_splits"),
    reads_condition_branch: calls.has("_get_condition_branch"),
  };
  if (parameters !== undefined) op.parameters = parameters;
  return { ...op, kind: opKind(op) } as OpModel;
}

function readJob(fn: FunctionDef, deco: Expr, opsByName: Map<string, OpModel>): NonNullable<JobModel["job"]> {
  const tagsExpr = deco.k === "call" ? keyword(deco, "tags") : null;
  const tagsValue = tagsExpr ? lit(tagsExpr) : null;
  const tags = tagsValue !== null && typeof tagsValue === "object" && !Array.isArray(tagsValue) ? (Object.fromEntries(Object.entries(tagsValue).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])) as Record<string, string>) : null;
  const producer = new Map<string, string>();
  const edges: JobEdge[] = [];
  const body: string[] = [];
  const bodyIndent = fn.body[0]?.indent;
  const paramNames = (op: string) => (opsByName.get(op)?.params ?? []).filter((p) => p !== "config");
  const sourceOf = (e: Expr): [string, string | null, JobEdge["how"]] => {
    if (e.k === "name") return [producer.get(e.id) ?? "?" + e.id, null, "direct"];
    if (e.k === "attr" && e.obj.k === "name") return [producer.get(e.obj.id) ?? "?" + e.obj.id, e.attr, "output"];
    if (e.k === "call" && e.func.k === "attr" && e.func.attr === "collect" && e.func.obj.k === "name") return [producer.get(e.func.obj.id) ?? "?" + e.func.obj.id, null, "collect"];
    return [unparse(e) ?? "", null, "expr"];
  };
  for (const statement of fn.body) {
    if (statement.indent !== bodyIndent || body.length >= MAX_ITEMS) continue;
    const tokens = statement.tokens;
    const eq = assignmentEquals(tokens);
    let target: string | null = null;
    let value: Expr | null = null;
    let text: string | null = null;
    if (eq > 0) {
      const targetRead = readExpr(tokens, 0, eq);
      const valueRead = readExpr(tokens, eq + 1, tokens.length);
      if (targetRead.next === eq && valueRead.next === tokens.length && targetRead.expr && valueRead.expr) {
        value = valueRead.expr;
        target = targetRead.expr.k === "name" ? targetRead.expr.id : null;
        const targetText = unparse(targetRead.expr);
        const valueText = unparse(value);
        text = targetText !== null && valueText !== null ? `${targetText} = ${valueText}` : null;
        if (targetRead.expr.k !== "name") value = null;
      }
    } else if (eq === -1) {
      const read = readExpr(tokens, 0, tokens.length);
      if (read.next === tokens.length && read.expr) {
        value = read.expr;
        text = unparse(value);
      }
    }
    body.push(text ?? tokens.map((t) => t.text).join(" "));
    if (!value || value.k !== "call") continue;
    const f = value.func;
    if (f.k === "attr" && f.attr === "map" && f.obj.k === "name") {
      const first = value.args[0];
      const dst = first ? (first.k === "name" ? first.id : unparse(first) ?? "") : "";
      const names = paramNames(dst);
      edges.push({ from: producer.get(f.obj.id) ?? "?" + f.obj.id, output: null, to: dst, input: names[0] ?? null, how: "map" });
      if (target) producer.set(target, dst);
      continue;
    }
    if (f.k === "name") {
      const dst = f.id;
      const names = paramNames(dst);
      value.args.forEach((a, i) => {
        const [from, output, how] = sourceOf(a);
        edges.push({ from, output, to: dst, input: i < names.length ? names[i]! : `#${i}`, how });
      });
      for (const k of value.kws) {
        const [from, output, how] = sourceOf(k.value);
        edges.push({ from, output, to: dst, input: k.arg, how });
      }
      if (target) producer.set(target, dst);
    }
  }
  const called = new Set<string>([...edges.map((e) => e.to), ...producer.values()]);
  return { name: fn.name, tags, body, edges, ops_called: [...called].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
}

// ─────────────────────────────────────────────────────────────────────────────────────────────
// Constants

function normalizeTopArgs(args: unknown): [JobModel["top_args"], JobModel["top_options"]] {
  if (!Array.isArray(args)) return [null, null];
  const strings = args.map((a) => (typeof a === "string" ? a : String(a)));
  const norm = strings.map((a) => (a.startsWith("--datastore-root=") ? "--datastore-root=<DATASTORE_ROOT>" : a));
  const options: NonNullable<JobModel["top_options"]> = { project_and_flow_options: [], namespace: null };
  const quiet = strings.indexOf("--quiet");
  if (quiet !== -1) options.project_and_flow_options = strings.slice(0, quiet);
  for (const a of strings) {
    for (const [prefix, key] of MACHINE_TOP_OPTIONS) {
      if (a.startsWith(prefix)) (options as Record<string, unknown>)[key] = a.slice(prefix.length);
    }
    if (a.startsWith("--namespace=")) options.namespace = a.slice("--namespace=".length);
  }
  return [norm, options];
}

/** Conda environment ids are machine-specific: keep which steps have one and which share one. */
function labelEnvIds(ids: unknown): JobModel["step_conda_env_ids"] {
  if (ids === null || typeof ids !== "object" || Array.isArray(ids)) return null;
  const labels = new Map<string, string>();
  const out: Record<string, string | null> = {};
  for (const [step, id] of Object.entries(ids as Record<string, unknown>)) {
    if (id === null) setOwn(out, step, null);
    else {
      const key = JSON.stringify(id);
      if (!labels.has(key)) labels.set(key, `env${labels.size + 1}`);
      setOwn(out, step, labels.get(key)!);
    }
  }
  return out;
}

function stringListDict(value: unknown): Record<string, string[]> | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  return value as Record<string, string[]>;
}

// ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The fingerprint alone, as `readJobModel` reads it (line based and cheap): every committed file
 * votes on the repo's generator, including files whose job a check never reads.
 */
export function readFingerprint(text: string): JobReading["fingerprint"] {
  try {
    const source = typeof text === "string" ? text : "";
    const lines = source.split("\n");
    const regions = splitRegions(lines, source);
    return templateFingerprint(lines, regions.docEnd, regions.preambleEnd);
  } catch {
    return { templateSha: null, constants: [], helpers: [] };
  }
}

/**
 * Reads a committed definitions file into the job model, tolerantly (see the module comment).
 * Never throws; `problems` says what could not be read. `fingerprint`: readFingerprint's answer
 * for the same text, when the caller has it already.
 */
export function readJobModel(text: string, fingerprint?: JobReading["fingerprint"]): JobReading {
  const problems = new Problems();
  const lineMarks: JobReading["lines"] = { ops: {}, job: null, schedule: null, sensors: {} };
  try {
    return readUnsafe(typeof text === "string" ? text : "", problems, lineMarks, fingerprint);
  } catch (error) {
    // A bug, not the file's fault; the file still gets a reading that says so.
    problems.add(`the file could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return { model: null, fingerprint: { templateSha: null, constants: [], helpers: [] }, problems: problems.list, lines: lineMarks };
  }
}

function readUnsafe(text: string, problems: Problems, lineMarks: JobReading["lines"], known?: JobReading["fingerprint"]): JobReading {
  const lines = text.split("\n");
  const regions = splitRegions(lines, text);
  const header = readHeader(lines, regions.docEnd);
  const fingerprint = known ?? templateFingerprint(lines, regions.docEnd, regions.preambleEnd);
  if (regions.docEnd === 0) problems.add(lines[0]?.startsWith('"""') ? "the header docstring is not closed (file truncated?)" : "the file does not start with the metaflow-dagster header docstring");

  // Blank the regions read by lines, then read the rest statement by statement, keeping the
  // tokens of one decorated function at a time.
  const kept = lines.slice();
  for (const span of [[0, regions.docEnd] as [number, number], regions.config, regions.sensors]) {
    if (span) for (let i = span[0]; i < span[1]; i++) kept[i] = "";
  }

  // What each top-level chunk defines. When Python cannot parse the file as a whole (0.3.7 writes
  // a split op that is not the start mis-indented, nested into the op before it), extract.py parses
  // chunk by chunk and drops the chunks that fail: so does this reader, for the failures it can see
  // (indentation, unclosed brackets and strings), so that both read the same model.
  interface Chunk {
    broken: boolean;
    constants: Record<string, unknown>;
    ops: { op: OpModel; line: number }[];
    job: { fn: FunctionDef; deco: Expr } | null;
    schedule: { value: NonNullable<JobModel["schedule"]>; line: number } | null;
    definitions: JobModel["definitions"];
  }
  const newChunk = (): Chunk => ({ broken: false, constants: {}, ops: [], job: null, schedule: null, definitions: null });
  const chunks: Chunk[] = [];
  let chunk = newChunk();
  let opCount = 0;
  let decorators: LogicalLine[] = [];
  /** The `@op`/`@job` function being read: its decorators, its `def` line and the body so far. */
  let current: { decorators: Expr[]; def: LogicalLine; body: LogicalLine[]; chunk: Chunk } | null = null;
  let previousWasDecorator = false;

  const flushFunction = () => {
    if (!current) return;
    const fn = readDef(current.def.tokens, current.decorators, current.body, problems);
    const { decorators: decos, chunk: owner } = current;
    current = null;
    if (!fn) return;
    for (const deco of decos) {
      const name = funcName(deco);
      if (name === "op") {
        if (opCount >= MAX_ITEMS) {
          problems.add(`more than ${MAX_ITEMS} ops: the rest were not read`);
          break;
        }
        opCount++;
        owner.ops.push({ op: readOp(fn, deco, lines), line: fn.line });
      } else if (name === "job") owner.job = { fn, deco };
    }
  };

  const topLevel = (statement: LogicalLine) => {
    const tokens = statement.tokens;
    const first = tokens[0]!;
    if (first.text === "@") {
      decorators.push(statement);
      return;
    }
    if (first.text === "def") {
      const exprs: Expr[] = [];
      for (const d of decorators) {
        const read = readExpr(d.tokens, 1, d.tokens.length);
        if (read.expr) exprs.push(read.expr);
        else problems.add(`line ${d.line}: a decorator could not be read`);
      }
      decorators = [];
      if (exprs.some((e) => funcName(e) === "op" || funcName(e) === "job")) current = { decorators: exprs, def: statement, body: [], chunk };
      return;
    }
    decorators = [];
    const eq = assignmentEquals(tokens);
    if (eq <= 0) return;
    // Constants: `NAME[: annotation] = literal`.
    if (first.type === "name" && isUpperConstantName(first.text) && (eq === 1 || tokens[1]?.text === ":")) {
      const read = readExpr(tokens, eq + 1, tokens.length);
      const whole = read.next === tokens.length;
      chunk.constants[first.text] = whole ? lit(read.expr) : null;
      if (!whole || literal(read.expr) === NOT_LITERAL) problems.add(`line ${statement.line}: the value of ${first.text} is not a literal`);
      return;
    }
    const read = readExpr(tokens, eq + 1, tokens.length);
    if (!read.expr || read.expr.k !== "call" || read.next !== tokens.length) return;
    const callee = funcName(read.expr);
    const target = first.type === "name" && (eq === 1 || tokens[1]?.text === "=") ? first.text : null;
    if (callee === "ScheduleDefinition") {
      const job = keyword(read.expr, "job");
      const cron = keyword(read.expr, "cron_schedule");
      const cronValue = cron ? lit(cron) : null;
      chunk.schedule = { value: { name: target, job: job ? unparse(job) : null, cron: typeof cronValue === "string" ? cronValue : cronValue === null ? null : String(cronValue) }, line: statement.line };
    } else if (callee === "Definitions") {
      const definitions: NonNullable<JobModel["definitions"]> = {};
      for (const k of read.expr.kws) {
        if (k.arg === null) continue;
        definitions[k.arg] = k.value.k === "list" ? k.value.elts.map((e) => unparse(e) ?? "") : unparse(k.value) ?? "";
      }
      chunk.definitions = definitions;
    }
  };

  logicalLines(
    kept.join("\n"),
    problems,
    // Indented lines matter only inside an @op/@job function; a `def` at column 0 only after a
    // decorator (helpers: topLevel would read nothing of it but its first token).
    (indent, startsWithDef) => (indent > 0 ? (current !== null ? Keep.Tokens : Keep.None) : startsWithDef && decorators.length === 0 ? Keep.Count : Keep.Tokens),
    (statement) => {
      if (statement.indent > 0) {
        if (statement.broken) (current?.chunk ?? chunk).broken = true;
        if (current && statement.kept && current.body.length < MAX_STATEMENT_TOKENS) current.body.push(statement);
        return;
      }
      flushFunction();
      // A statement at column 0 starts a chunk, unless a decorator line is just above it.
      if (!previousWasDecorator) {
        chunks.push(chunk);
        chunk = newChunk();
      }
      previousWasDecorator = statement.tokens[0]?.text === "@";
      if (statement.broken) chunk.broken = true;
      // A statement delivered without its tokens is an undecorated `def`: it only ends the decorators.
      if (statement.kept && !statement.truncated) topLevel(statement);
      else decorators = [];
    },
  );
  flushFunction();
  chunks.push(chunk);

  const wholeFileParses = chunks.every((c) => !c.broken);
  if (!wholeFileParses) problems.add("the file is not valid Python: parts that Python cannot parse were not read");
  const constants: Record<string, unknown> = {};
  const ops: OpModel[] = [];
  const opsByName = new Map<string, OpModel>();
  let jobFn: { fn: FunctionDef; deco: Expr } | null = null;
  let schedule: JobModel["schedule"] = null;
  let definitions: JobModel["definitions"] = null;
  for (const c of chunks) {
    if (c.broken) continue;
    Object.assign(constants, c.constants);
    for (const { op, line } of c.ops) {
      ops.push(op);
      opsByName.set(op.name, op);
      lineMarks.ops[op.name] = line;
    }
    if (c.job) {
      jobFn = c.job;
      lineMarks.job = c.job.fn.line;
    }
    if (c.schedule) {
      schedule = c.schedule.value;
      lineMarks.schedule = c.schedule.line;
    }
    if (c.definitions) definitions = c.definitions;
  }

  // Assigned in the callbacks above, which the compiler's narrowing does not follow.
  const jobFound = jobFn as { fn: FunctionDef; deco: Expr } | null;
  const job = jobFound ? readJob(jobFound.fn, jobFound.deco, opsByName) : null;
  const [topArgs, topOptions] = normalizeTopArgs(constants.METAFLOW_TOP_ARGS);
  const stepEnv = constants.METAFLOW_STEP_ENV;
  let flowConfigValue: unknown = null;
  if (stepEnv !== null && typeof stepEnv === "object" && !Array.isArray(stepEnv) && "METAFLOW_FLOW_CONFIG_VALUE" in stepEnv) {
    const raw = (stepEnv as Record<string, unknown>).METAFLOW_FLOW_CONFIG_VALUE;
    try {
      flowConfigValue = typeof raw === "string" ? JSON.parse(raw) : raw;
    } catch {
      flowConfigValue = raw;
    }
  }
  const runTagTexts = new Map<string, string[] | null>();
  for (const op of ops) for (const run of op.runs) runTagTexts.set(pyJsonDumps(run.tags), run.tags);
  const runTags = [...runTagTexts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, tags]) => tags);
  const workflowTimeout = job && job.tags && JOB_TAG_TIMEOUT in job.tags ? pyInt(job.tags[JOB_TAG_TIMEOUT]) : null;
  const jobHeader = header.job;
  const badJob = !!jobHeader && (!isIdentifier(jobHeader) || PY_KEYWORDS.has(jobHeader));
  const flowName = constants.FLOW_NAME;
  const originRunId = constants.ORIGIN_RUN_ID;

  const model: JobModel = {
    header,
    flow_name: typeof flowName === "string" ? flowName : null,
    job_name: job ? job.name : header.job,
    config_class: readConfig(lines, regions.config, regions.configName),
    origin_run_id: typeof originRunId === "string" ? originRunId : null,
    top_args: topArgs,
    top_options: topOptions,
    flow_config_value: flowConfigValue,
    step_with_decorators: stringListDict(constants.STEP_WITH_DECORATORS),
    step_conda_env_ids: labelEnvIds(constants.STEP_CONDA_ENV_IDS),
    // Lists of the `tags=` of the runs; a run without `tags=` counts as `null`, as in extract.py.
    run_tags: runTags as string[][],
    workflow_timeout: workflowTimeout,
    ops,
    job,
    schedule,
    sensors: readSensors(lines, regions.sensors, lineMarks.sensors),
    definitions,
  };
  if ("STEP_DECORATOR_SPECS" in constants) model.step_decorator_specs = stringListDict(constants.STEP_DECORATOR_SPECS) ?? {};
  if (badJob) model.job_name_not_identifier = true;

  if (!job) problems.add("no `@job` function was found (file truncated or edited?)");
  if (!definitions) problems.add("there is no `defs = Definitions(...)` (file truncated?)");
  const nothing = !header.flow && !header.job && Object.keys(constants).length === 0 && ops.length === 0 && !job && !model.config_class && !definitions && model.sensors.length === 0;
  return { model: nothing ? null : model, fingerprint, problems: problems.list, lines: lineMarks };
}
