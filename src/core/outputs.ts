/**
 * Values of the action's outputs that list file names. A name may hold any byte but NUL and `/`
 * means a separator, so a list "one per line" is only unambiguous when names with line breaks are
 * quoted. They are quoted the way git quotes paths (`core.quotePath`, as in `git diff` and
 * `git ls-files`): tools and people already know how to read it.
 */
import path from "node:path";
import type { CheckReport } from "./types.js";

const C_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\" };

/**
 * What git quotes (control characters, DEL, `"` and `\`), plus what other readers take for a line
 * break or cannot show: C1 controls and the Unicode line and paragraph separators.
 */
const MUST_QUOTE = /[\u0000-\u001f"\\\u007f-\u009f\u2028\u2029]/;

/** Octal escapes of the UTF-8 bytes of `ch`, as git writes bytes it quotes (`\342\200\250`). */
function octalBytes(ch: string): string {
  return [...Buffer.from(ch, "utf8")].map((byte) => `\\${byte.toString(8).padStart(3, "0")}`).join("");
}

/**
 * `name` as is, or in double quotes with C escapes when it holds a character that could break a
 * line-based reader, exactly like `git ls-files` does with core.quotePath=false (other non-ASCII
 * stays as is). An unquoted name never starts with `"`, so every line reads one way.
 */
export function quotePath(name: string): string {
  if (!MUST_QUOTE.test(name)) return name;
  return `"${name.replace(new RegExp(MUST_QUOTE.source, "g"), (ch) => C_ESCAPES[ch] ?? octalBytes(ch))}"`;
}

/** The `stale-files` output: repo paths of the drifted definitions files, one per line, quoted as by quotePath. */
export function staleFilesOutput(report: CheckReport, rootPrefix: string): string {
  return report.flows
    .filter((flow) => flow.status === "drift" && flow.definitionsFile)
    .map((flow) => quotePath(rootPrefix ? path.posix.join(rootPrefix, flow.definitionsFile!) : flow.definitionsFile!))
    .join("\n");
}
