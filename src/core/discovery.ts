/**
 * Finds flow files and definitions files without importing anything: definitions files by their
 * header, flow files by the static analyzer's reading of the AST.
 */
import { isDefinitionsText, parseDefinitionsFile } from "./definitions.js";
import { mapLimit } from "./pool.js";
import type { RepoReader, StaticAnalyzer } from "./ports.js";
import type { DefinitionsFile, FlowFile, UnreadableFlowFile } from "./types.js";

export interface Discovery {
  flows: FlowFile[];
  definitions: DefinitionsFile[];
  /** Files that look like flows but could not be read or parsed. */
  unreadable: UnreadableFlowFile[];
  /** Every scanned Python file (for `list`). */
  scanned: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** `null` when the bytes are not text we can read (NUL bytes, invalid UTF-8). */
export function decodeText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

// Cheap pre-filter: a flow file must run something under __main__; a file that mentions FlowSpec
// but fails to parse is still worth an error entry, since it is probably a broken flow.
function mightBeFlow(text: string): boolean {
  return text.includes("__main__") || text.includes("FlowSpec");
}

/**
 * Why a file that cannot be read as text still matters: it looks like a flow or a definitions
 * file. Other unreadable files (a large generated module, a stray binary) are skipped quietly.
 */
function unreadableReason(file: string, bytes: Buffer, size: number, maxFileBytes: number): string | null {
  const loose = bytes.toString("latin1");
  if (!mightBeFlow(loose) && !isDefinitionsText(loose)) return null;
  if (size > bytes.length) return `${file} is ${size} bytes, over the ${maxFileBytes}-byte limit (raise maxFileBytes in the config file to check it)`;
  if (bytes.includes(0)) return `${file} contains NUL bytes: it is not a Python source file`;
  return `${file} is not valid UTF-8: save it as UTF-8 so Python and mfdag can read it`;
}

/** Files read at once, for readers whose reads wait on I/O (the local reader answers at once). */
const READ_CONCURRENCY = 16;

type FileVerdict = { kind: "unreadable"; entry: UnreadableFlowFile } | { kind: "definitions"; file: DefinitionsFile } | { kind: "candidate" } | { kind: "skip" };

async function classify(repo: RepoReader, file: string, maxFileBytes: number): Promise<FileVerdict> {
  const read = await repo.read(file, maxFileBytes);
  if ("error" in read) return { kind: "unreadable", entry: { path: file, error: read.error, line: null } };
  const text = read.size > read.bytes.length ? null : decodeText(read.bytes);
  if (text === null) {
    const reason = unreadableReason(file, read.bytes, read.size, maxFileBytes);
    return reason ? { kind: "unreadable", entry: { path: file, error: reason, line: null } } : { kind: "skip" };
  }
  const parsed = parseDefinitionsFile(file, text);
  if (parsed) return { kind: "definitions", file: parsed };
  return mightBeFlow(text) ? { kind: "candidate" } : { kind: "skip" };
}

export async function discover(repo: RepoReader, analyzer: StaticAnalyzer, maxFileBytes: number): Promise<Discovery> {
  const files = await repo.listPythonFiles();
  // A large repo needs more static-compiler processes: they start while the files are read.
  analyzer.expect?.(files.length);
  const definitions: DefinitionsFile[] = [];
  const candidates: string[] = [];
  const unreadable: UnreadableFlowFile[] = [];

  // Read in parallel, then take the verdicts in the listing's order (the results do not depend on timing).
  const verdicts = await mapLimit(files, READ_CONCURRENCY, (file) => classify(repo, file, maxFileBytes));
  for (const [i, verdict] of verdicts.entries()) {
    if (verdict.kind === "unreadable") unreadable.push(verdict.entry);
    else if (verdict.kind === "definitions") definitions.push(verdict.file);
    else if (verdict.kind === "candidate") candidates.push(files[i]!);
  }

  const { files: scanned } = candidates.length > 0 ? await analyzer.analyze(candidates, []) : { files: [] };
  const flows: FlowFile[] = [];
  for (const entry of scanned) {
    if (entry.isFlowFile && entry.mainClass) {
      flows.push({ path: entry.file, flowClass: entry.mainClass, line: entry.mainLine ?? 1 });
    } else if (entry.error) {
      unreadable.push({ path: entry.file, error: entry.error, line: entry.errorLine });
    }
  }
  return { flows, definitions, unreadable, scanned: files.length };
}
