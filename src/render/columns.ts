/**
 * Aligned columns for the terminal reports (`mfdag check`, `mfdag list`), as eslint and ruff align
 * theirs. Widths are measured on the text as the terminal shows it: after plainText (a control
 * character becomes one visible stand-in) and in display cells (string-width: a CJK character or an
 * emoji takes two, a combining mark none), not in bytes or UTF-16 units.
 */
import stringWidth from "string-width";
import { plainText } from "./escape.js";

/**
 * The widest a column grows. One absurdly long path then overflows its own row only, and the others
 * stay aligned on a screen of ordinary width.
 */
export const MAX_COLUMN_WIDTH = 48;

/** A cell as the terminal shows it: escaped, and on one line (a line break in a file name would break the row). */
function cellText(value: unknown): string {
  return plainText(value, "⏎");
}

/**
 * The cells `text` takes. Default-ignorable characters (zero-width spaces and joiners, the
 * zero-width space neutralizeWorkflowCommands inserts) take none on a terminal, but string-width
 * 5 counts them as one.
 */
function cells(text: string): number {
  return stringWidth(text.replace(/\p{Default_Ignorable_Code_Point}/gu, ""));
}

/** How many terminal cells `value` takes once escaped for the terminal. */
export function displayWidth(value: unknown): number {
  return cells(cellText(value));
}

/** Per column, the width of its widest cell, at most MAX_COLUMN_WIDTH. `rows` are lists of cells. */
export function columnWidths(rows: readonly (readonly unknown[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.min(MAX_COLUMN_WIDTH, Math.max(widths[i] ?? 0, displayWidth(cell)));
    });
  }
  return widths;
}

/** `value` escaped for the terminal, on one line, and padded with spaces to `width` cells (never cut: a longer value overflows). */
export function padColumn(value: unknown, width: unknown): string {
  const text = cellText(value);
  // The width comes from columnWidths (plus a separator's room); anything else pads nothing.
  const room = typeof width === "number" && Number.isInteger(width) && width <= 4 * MAX_COLUMN_WIDTH ? width : 0;
  return text + " ".repeat(Math.max(0, room - cells(text)));
}
