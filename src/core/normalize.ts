/**
 * Machine-specific parts of generated Config lines. A definitions file regenerated on another
 * machine differs in these even when nothing changed, so they are replaced by placeholders on both
 * sides before comparing.
 *
 * Every line here can come from a pull request (up to maxFileBytes long), so each step is a single
 * pass: no backtracking regex, and nothing derived from the header is recomputed per line.
 */
import { parseConfigBlock } from "./definitions.js";
import type { ConfigClass } from "./types.js";

export const SYSROOT = "<SYSROOT>";
export const ROOT = "<ROOT>";

export interface NormalizeContext {
  /** Absolute repo root on the machine that produced the lines, when known. */
  root: string | null;
}

/** Replaces datastore roots and the producing machine's repo root with placeholders. */
export function normalizeLine(line: string, context: NormalizeContext): string {
  let out = normalizeIncludeUrls(line);
  const needle = rootNeedle(context.root);
  if (needle && needle.length <= out.length) out = out.split(needle).join(ROOT + "/");
  return out;
}

/**
 * A Config class with every line normalized: the class itself when no line changes (the usual
 * case), else its normalized lines read again by the one parser, since a replaced root can fall
 * anywhere in a line (inside a name, a default or a help text).
 */
export function normalizeConfigClass(configClass: ConfigClass | null, context: NormalizeContext): ConfigClass | null {
  if (!configClass) return null;
  const lines = configClass.lines.map((line) => normalizeLine(line, context));
  return lines.every((line, i) => line === configClass.lines[i]) ? configClass : parseConfigBlock(lines);
}

const URL_SCHEME = "local://";
const DATA_DIR = "/data/";
const SHA1_HEX_LENGTH = 40;
const SLASH = 0x2f;

/**
 * IncludeFile values embed `local://<datastore sysroot>/data/<Flow>/<sha1>`. The sysroot is whatever
 * METAFLOW_DATASTORE_SYSROOT_LOCAL (or `<cwd>/.metaflow`) was when the file was generated, and may
 * itself contain `/data/`, so the URL is cut at the LAST `/data/<Flow>/<sha1>` before the next quote
 * or whitespace. This is what `/local:\/\/[^"'\s]*\/data\/([^/"'\s]+)\/([0-9a-f]{40})/g` matched,
 * but that regex rescanned the rest of the token from every `local://` (quadratic); here each run
 * of URL characters is scanned once. A run holds at most one match: a later `local://` in the same
 * run could only end at a `/data/` tail at or before the last one, which the first one already took.
 */
function normalizeIncludeUrls(line: string): string {
  let start = line.indexOf(URL_SCHEME);
  if (start === -1) return line;
  let out = "";
  let copied = 0;
  while (start !== -1) {
    const sysrootStart = start + URL_SCHEME.length;
    let runEnd = sysrootStart;
    while (runEnd < line.length && !endsUrl(line.charCodeAt(runEnd))) runEnd++;
    const tail = lastDatastoreTail(line, sysrootStart, runEnd);
    if (tail) {
      out += `${line.slice(copied, start)}${URL_SCHEME}${SYSROOT}${DATA_DIR}${tail.flow}/${tail.sha}`;
      copied = tail.end;
    }
    start = line.indexOf(URL_SCHEME, runEnd);
  }
  return out + line.slice(copied);
}

/** `[\s"']` of a JavaScript regex, by UTF-16 code unit: what ends an IncludeFile URL. */
function endsUrl(code: number): boolean {
  if (code === 0x22 || code === 0x27 || code === 0x20) return true;
  if (code < 0xa0) return code >= 0x09 && code <= 0x0d;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

function isLowerHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66);
}

/**
 * The last `/data/<Flow>/<sha1>` that starts in `[from, runEnd)`, where `runEnd` is the first
 * character that ends the URL. Candidates are tried from the end; each one's `<Flow>` stops at the
 * next `/`, where the next candidate (if any) begins, so the whole run is read a bounded number of times.
 */
function lastDatastoreTail(line: string, from: number, runEnd: number): { flow: string; sha: string; end: number } | null {
  for (let at = runEnd - 1; at >= from; at--) {
    if (line.charCodeAt(at) !== SLASH || !line.startsWith(DATA_DIR, at)) continue;
    const flowStart = at + DATA_DIR.length;
    let flowEnd = flowStart;
    while (flowEnd < runEnd && line.charCodeAt(flowEnd) !== SLASH) flowEnd++;
    // An empty flow name, or one that runs into a quote or whitespace, is no datastore path.
    if (flowEnd === flowStart || flowEnd >= runEnd) continue;
    const shaStart = flowEnd + 1;
    const end = shaStart + SHA1_HEX_LENGTH;
    if (end > runEnd) continue;
    let hex = true;
    for (let i = shaStart; i < end && hex; i++) hex = isLowerHex(line.charCodeAt(i));
    if (hex) return { flow: line.slice(flowStart, flowEnd), sha: line.slice(shaStart, end), end };
  }
  return null;
}

// Callers pass the same root for every line of a block; recomputing `<root>/` per line would cost
// the root's length per line, and the root comes from the header's Source (as long as a line).
let cachedRoot: string | null | undefined;
let cachedNeedle: string | null = null;

/** `<root>/` with the root's trailing slashes dropped; `null` for no root, or the filesystem root. */
function rootNeedle(root: string | null): string | null {
  if (root === cachedRoot) return cachedNeedle;
  let end = root?.length ?? 0;
  // A loop, not `/\/+$/`: that regex restarts at every slash of a run of slashes (quadratic).
  while (end > 0 && root!.charCodeAt(end - 1) === SLASH) end--;
  cachedRoot = root;
  cachedNeedle = root && end > 1 ? root.slice(0, end) + "/" : null;
  return cachedNeedle;
}

let cachedSource: string | null = null;
let cachedFlowFile = "";
let cachedMachineRoot: string | null = null;

/**
 * The generating machine's repo root, derived from the header's `Source` and the flow's
 * repo-relative path: `/home/alice/repo/flows/a.py` + `flows/a.py` → `/home/alice/repo`.
 * The last answer is kept: callers ask once per Config line, with the same header.
 */
export function machineRoot(source: string | null, flowFile: string): string | null {
  if (!source) return null;
  if (source === cachedSource && flowFile === cachedFlowFile) return cachedMachineRoot;
  const normalized = source.replace(/\\/g, "/");
  const suffix = "/" + flowFile;
  cachedSource = source;
  cachedFlowFile = flowFile;
  cachedMachineRoot = normalized.endsWith(suffix) ? normalized.slice(0, -suffix.length) || "/" : null;
  return cachedMachineRoot;
}
