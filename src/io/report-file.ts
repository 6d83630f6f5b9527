/** Reads a report that `mfdag check --format json` or the action wrote (for merge and publish). */
import { open } from "node:fs/promises";
import { ConfigurationError } from "../core/errors.js";
import { jsonPath, storedReportSchema, type StoredReport } from "../core/report-schema.js";

/** Far above the report of a check of thousands of flows; a bigger file is not read into memory. */
export const MAX_REPORT_BYTES = 64 * 1024 * 1024;

async function readBounded(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size > MAX_REPORT_BYTES) throw new Error(`${size} bytes, over the ${MAX_REPORT_BYTES} bytes a report can have`);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * The report in `file`, checked field by field (see report-schema.ts): in publish mode it was
 * written by a run of untrusted code, so nothing in it is rendered or posted unchecked.
 * `label` names the file in errors (e.g. "Input 'report-file'").
 */
export async function readReportFile(file: string, label = file): Promise<StoredReport> {
  let json: unknown;
  try {
    json = JSON.parse(await readBounded(file));
  } catch (error) {
    throw new ConfigurationError(`${label}: ${file} cannot be read as JSON (${(error as Error).message}); pass a report that mfdag check --format json (or the action's report output) wrote.`);
  }
  const parsed = storedReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // An unknown key is reported on its object: name the key itself (quoted by jsonPath, since the
    // file chose it) instead of zod's message, which would repeat it raw.
    const [where, what] = issue.code === "unrecognized_keys" ? [[...issue.path, issue.keys[0]!], "not a field of an mfdag report"] : [issue.path, issue.message];
    throw new ConfigurationError(`${label}: ${file} is not a valid mfdag report: ${jsonPath(where)}: ${what}. Pass a report that this version of mfdag wrote.`);
  }
  return parsed.data;
}
