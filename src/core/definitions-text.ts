/**
 * A definitions file's whole text with its machine-specific parts replaced (shared docs, "Checking
 * strategy"): the flow's absolute path, the datastore root, METAFLOW_STEP_ENV (the job model
 * compares its one flow-dependent entry, the config value) and the conda environment ids (the model
 * compares which steps share one). Two files made by the same metaflow-dagster for the same flow
 * and arguments are then byte-identical, so when the real compiler regenerates a file, a
 * difference the job model does not explain is still found (`template-changed`).
 *
 * Line based and single pass: the text is a pull request's.
 */
import { normalizeLine, type NormalizeContext } from "./normalize.js";

const DATASTORE_ROOT = "--datastore-root=";

/** Replaces each `'--datastore-root=…'` (up to the closing quote) by a placeholder. */
function withoutDatastoreRoot(line: string): string {
  let out = "";
  let from = 0;
  for (let at = line.indexOf(DATASTORE_ROOT, from); at !== -1; at = line.indexOf(DATASTORE_ROOT, from)) {
    const quote = line[at - 1];
    const end = quote === "'" || quote === '"' ? line.indexOf(quote, at) : -1;
    if (end === -1) break;
    out += line.slice(from, at) + DATASTORE_ROOT + "<DATASTORE_ROOT>";
    from = end;
  }
  return out + line.slice(from);
}

/** What replaces a whole machine-specific line: its name, and a placeholder. */
const MACHINE_LINES: ReadonlyArray<[prefix: string, replacement: string]> = [
  ["Source :", "Source : <SOURCE>"],
  ["FLOW_FILE", "FLOW_FILE = <FLOW_FILE>"],
  ["METAFLOW_STEP_ENV", "METAFLOW_STEP_ENV = <STEP_ENV>"],
  ["STEP_CONDA_ENV_IDS", "STEP_CONDA_ENV_IDS = <CONDA_ENV_IDS>"],
];

export function normalizedDefinitionsLines(text: string, context: NormalizeContext): string[] {
  return text.split(/\r?\n/).map((line) => {
    for (const [prefix, replacement] of MACHINE_LINES) if (line.startsWith(prefix)) return replacement;
    if (line.startsWith("METAFLOW_TOP_ARGS")) return withoutDatastoreRoot(line);
    return normalizeLine(line, context);
  });
}

/** The first line (1-based, in `committed`) where two normalized texts differ, with both lines; `null` when equal. */
export function firstDifferentLine(committed: readonly string[], current: readonly string[]): { line: number; committed: string | null; current: string | null } | null {
  const length = Math.max(committed.length, current.length);
  for (let i = 0; i < length; i++) {
    if (committed[i] !== current[i]) return { line: i + 1, committed: committed[i] ?? null, current: current[i] ?? null };
  }
  return null;
}
