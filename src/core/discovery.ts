/**
 * Finds flow files and definitions files without importing anything: definitions files by their
 * header, flow files by the static analyzer's reading of the AST.
 */
import { isDefinitionsText, parseDefinitionsFile } from "./definitions.js";
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

export async function discover(repo: RepoReader, analyzer: StaticAnalyzer, maxFileBytes: number): Promise<Discovery> {
  const files = await repo.listPythonFiles();
  const definitions: DefinitionsFile[] = [];
  const candidates: string[] = [];
  const unreadable: UnreadableFlowFile[] = [];

  for (const file of files) {
    const read = await repo.read(file, maxFileBytes);
    if ("error" in read) {
      unreadable.push({ path: file, error: read.error, line: null });
      continue;
    }
    const text = read.size > read.bytes.length ? null : decodeText(read.bytes);
    if (text === null) {
      const reason = unreadableReason(file, read.bytes, read.size, maxFileBytes);
      if (reason) unreadable.push({ path: file, error: reason, line: null });
      continue;
    }
    const parsed = parseDefinitionsFile(file, text);
    if (parsed) definitions.push(parsed);
    else if (mightBeFlow(text)) candidates.push(file);
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
