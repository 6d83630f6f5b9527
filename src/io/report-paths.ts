/**
 * The report files of `mode: merge`, named one per line, each a path or a glob
 * (`mfdag-*\/mfdag-report.json`, for the artifacts of a shard matrix). The files under a glob came
 * from other jobs, some of which ran untrusted code: the search is bounded in time, depth and
 * matches, follows no link (linked files and directories are not matched), and a glob that matches
 * nothing fails, so a missing report cannot make the merge pass.
 */
import { realpath } from "node:fs/promises";
import path from "node:path";
import picomatch from "picomatch";
import { glob } from "tinyglobby";
import { ConfigurationError } from "../core/errors.js";

/** Far more reports than any shard matrix makes; more means a glob that matches the wrong files. */
export const MAX_REPORT_FILES = 256;
/** How deep a glob's `**` searches below its directory. */
const MAX_GLOB_DEPTH = 16;
/** How long one glob may search. */
const GLOB_TIMEOUT_MS = 30_000;

export interface ReportPath {
  /** Absolute path of the file. */
  file: string;
  /** How the input names it (its path from the workspace), for messages. */
  name: string;
}

/**
 * The files that the `reports` lines name, resolved against `workspace`: a plain path as it is (a
 * missing file fails when it is read), a glob as its matches in path order. A file named twice is
 * read once.
 */
export async function resolveReportPaths(lines: readonly string[], workspace: string, label = "Input 'reports'"): Promise<ReportPath[]> {
  const found: ReportPath[] = [];
  for (const line of lines) {
    const scan = picomatch.scan(line);
    if (!scan.isGlob) {
      found.push({ file: path.resolve(workspace, line), name: line });
      continue;
    }
    if (scan.negated) throw new ConfigurationError(`${label}: '${line}' is a negated glob; list the report files, or globs that match them, one per line.`);
    found.push(...(await expandGlob(line, scan.base, scan.glob, workspace, label)));
    if (found.length > MAX_REPORT_FILES) break;
  }
  const unique = [...new Map(found.map((report) => [report.file, report])).values()];
  if (unique.length > MAX_REPORT_FILES) throw new ConfigurationError(`${label}: the lines match more than ${MAX_REPORT_FILES} files; make the globs match only the shards' report files.`);
  return unique;
}

async function expandGlob(line: string, base: string, pattern: string, workspace: string, label: string): Promise<ReportPath[]> {
  const directory = path.resolve(workspace, base || ".");
  const signal = AbortSignal.timeout(GLOB_TIMEOUT_MS);
  const matches = await glob(pattern, { cwd: directory, absolute: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false, deep: MAX_GLOB_DEPTH, signal });
  // An aborted search returns what it found so far: a partial list must not pass as all the shards.
  if (signal.aborted) throw new ConfigurationError(`${label}: searching for '${line}' took over ${GLOB_TIMEOUT_MS / 1000} s; make the glob narrower.`);
  if (matches.length === 0) throw new ConfigurationError(`${label}: '${line}' matches no file in ${directory}. Is a shard's report missing (did its job upload it, and did this job download the artifacts)?`);
  if (matches.length > MAX_REPORT_FILES) throw new ConfigurationError(`${label}: '${line}' matches more than ${MAX_REPORT_FILES} files; make it match only the shards' report files.`);
  const root = await realpathOr(directory);
  const reports: ReportPath[] = [];
  // Code-point order, not the locale's: the same files merge in the same order on every runner.
  for (const file of matches.map((match) => path.normalize(match)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const name = path.relative(workspace, file).split(path.sep).join("/");
    // The search follows no link (tinyglobby leaves linked files out, too); should a link ever be
    // among the matches, it must not read a file from outside the glob's directory.
    const real = await realpathOr(file);
    if (real !== root && !real.startsWith(root + path.sep)) throw new ConfigurationError(`${label}: ${name} (matched by '${line}') links to a file outside ${directory}; refusing to read it.`);
    reports.push({ file, name });
  }
  return reports;
}

async function realpathOr(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return path.resolve(file);
  }
}
