/**
 * Finds flow files and definitions files without importing anything: definitions files by their
 * header, flow files by the static analyzer's reading of the AST.
 *
 * Each file is read once, by one process. Node reads the first bytes of every listed file, which
 * tell a definitions file from any other; it reads the definitions files whole, while the static
 * analyzer (Python) reads every other file itself, keeps those that could be flows and parses
 * them. The two read at the same time.
 */
import { DEFINITIONS_HEADER, isDefinitionsText, parseDefinitionsFile } from "./definitions.js";
import { mapLimit } from "./pool.js";
import type { RepoReader, StaticAnalyzer } from "./ports.js";
import type { DefinitionsFile, FlowFile, StaticScanEntry, UnreadableFlowFile } from "./types.js";

export interface Discovery {
  flows: FlowFile[];
  /** Their job is read when a check compares them (`readJob`): `mfdag list` never needs it. */
  definitions: DefinitionsFile[];
  /** Files that look like flows but could not be read or parsed. */
  unreadable: UnreadableFlowFile[];
  /** Every scanned Python file (for `list`). */
  scanned: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });
/** For a file's first bytes, which may end inside a character. */
const headDecoder = new TextDecoder("utf-8");

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
// but fails to parse is still worth an error entry, since it is probably a broken flow. The static
// analyzer applies the same rule to the files it reads (server.discovery_verdict).
function mightBeFlow(text: string): boolean {
  return text.includes("__main__") || text.includes("FlowSpec");
}

/**
 * Why a file that cannot be read as text still matters: it looks like a flow or a definitions
 * file. Other unreadable files (a large generated module, a stray binary) are skipped quietly.
 * The static analyzer words these messages the same way for the files it reads.
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

/**
 * What a definitions file's first bytes must hold: its header's first line, after a BOM and
 * blank space. More than the header needs, so that leading blank lines rarely need a second read.
 */
const HEAD_BYTES = 512;

/** Definitions files read and parsed between two looks at the event loop, so the analyzer's request goes out. */
const DEFINITIONS_PER_TURN = 64;

/**
 * Whether a file whose first bytes (not the whole file) are `head` may be a definitions file, so
 * that the whole file must be read: false only when it certainly is not (the header is decided
 * within them, and missing); true when it is, and when they end before the header could be told
 * (blank space, part of the opening quotes or of the header line, a character cut in two).
 */
function mayBeDefinitionsByHead(head: string): boolean {
  // The header whole within the head: a definitions file. The checks below only tell a head that
  // ends before the header does, and would call this one certainly not.
  if (isDefinitionsText(head)) return true;
  const start = head.replace(/^\uFEFF/, "").trimStart();
  if (start === "" || '"""'.startsWith(start) || start.startsWith("\uFFFD")) return true;
  if (!start.startsWith('"""')) return false;
  const rest = start.slice(3).trimStart();
  return rest === "" || DEFINITIONS_HEADER.startsWith(rest) || rest.startsWith("\uFFFD");
}

type FileVerdict = { kind: "unreadable"; entry: UnreadableFlowFile } | { kind: "definitions"; file: DefinitionsFile } | { kind: "python" } | { kind: "skip" };

/** A file's first bytes: an error, a (possible) definitions file, or one for the analyzer to read. */
async function classifyHead(repo: RepoReader, file: string, maxFileBytes: number): Promise<FileVerdict | { kind: "whole" }> {
  const read = await repo.read(file, Math.min(HEAD_BYTES, maxFileBytes));
  if ("error" in read) return { kind: "unreadable", entry: { path: file, error: read.error, line: null } };
  const cut = read.size > read.bytes.length;
  // A file within its first bytes is read already: decide as for any whole file.
  if (!cut) return classifyWhole(file, read.bytes, read.size, maxFileBytes);
  return mayBeDefinitionsByHead(headDecoder.decode(read.bytes)) ? { kind: "whole" } : { kind: "python" };
}

/** A whole file (or its first maxFileBytes), as discovery always told them apart. */
function classifyWhole(file: string, bytes: Buffer, size: number, maxFileBytes: number): FileVerdict {
  const text = size > bytes.length ? null : decodeText(bytes);
  if (text === null) {
    const reason = unreadableReason(file, bytes, size, maxFileBytes);
    return reason ? { kind: "unreadable", entry: { path: file, error: reason, line: null } } : { kind: "skip" };
  }
  const parsed = parseDefinitionsFile(file, text, { jobLater: bytes });
  if (parsed) return { kind: "definitions", file: parsed };
  return mightBeFlow(text) ? { kind: "python" } : { kind: "skip" };
}

async function readWhole(repo: RepoReader, file: string, maxFileBytes: number): Promise<FileVerdict> {
  const read = await repo.read(file, maxFileBytes);
  if ("error" in read) return { kind: "unreadable", entry: { path: file, error: read.error, line: null } };
  return classifyWhole(file, read.bytes, read.size, maxFileBytes);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function discover(repo: RepoReader, analyzer: StaticAnalyzer, maxFileBytes: number): Promise<Discovery> {
  const files = await repo.listPythonFiles();
  // A large repo needs more static-compiler processes: they start while the files are read.
  analyzer.expect?.(files.length);

  // Verdicts by the listing's index: the results then do not depend on timing.
  const verdicts: (FileVerdict | { kind: "whole" })[] = await mapLimit(files, READ_CONCURRENCY, (file) => classifyHead(repo, file, maxFileBytes));
  const early = files.filter((_, i) => verdicts[i]!.kind === "python");
  // The analyzer reads and scans those while the definitions files are read here.
  const scanning = early.length > 0 ? analyzer.analyze(early, [], { discover: true }) : Promise.resolve({ files: [] });
  scanning.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  const late: string[] = [];
  let read = 0;
  for (const [i, verdict] of verdicts.entries()) {
    if (verdict.kind !== "whole") continue;
    if (read++ % DEFINITIONS_PER_TURN === 0) await nextTurn();
    verdicts[i] = await readWhole(repo, files[i]!, maxFileBytes);
    // Its first bytes could not tell, and it is not a definitions file: the analyzer reads it after the others.
    if (verdicts[i]!.kind === "python") late.push(files[i]!);
  }
  const entries = [...(await scanning).files, ...(late.length > 0 ? (await analyzer.analyze(late, [], { discover: true })).files : [])];
  const entryOf = new Map(entries.map((entry) => [entry.file, entry]));

  // The order discovery always had: files that cannot be read as text, in the listing's order,
  // then the scan's errors.
  const definitions: DefinitionsFile[] = [];
  const unreadable: UnreadableFlowFile[] = [];
  const scanned: StaticScanEntry[] = [];
  for (const [i, verdict] of verdicts.entries()) {
    if (verdict.kind === "unreadable") unreadable.push(verdict.entry);
    else if (verdict.kind === "definitions") definitions.push(verdict.file);
    else if (verdict.kind === "python") {
      const entry = entryOf.get(files[i]!);
      if (!entry || entry.skipped) continue;
      if (entry.textError && entry.error) unreadable.push({ path: entry.file, error: entry.error, line: null });
      else scanned.push(entry);
    }
  }
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
