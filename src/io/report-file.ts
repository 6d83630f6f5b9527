/** Reads a report that `mfdag check --format json` or the action wrote (for merge and publish). */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ConfigurationError } from "../core/errors.js";
import type { CheckReport } from "../core/types.js";

// Only what merge and publish rely on is checked; newer fields pass through.
const storedReportSchema = z
  .object({
    schemaVersion: z.literal(1),
    root: z.string(),
    failed: z.boolean(),
    failOn: z.string(),
    compiler: z.string(),
    summary: z.object({ drift: z.number(), typeChanges: z.number(), errors: z.number() }).loose(),
    flows: z.array(z.object({ flowFile: z.string(), status: z.string() }).loose()),
  })
  .loose();

/** `label` names the file in errors (e.g. "Input 'report-file'"). */
export async function readReportFile(file: string, label = file): Promise<CheckReport & Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigurationError(`${label}: ${file} cannot be read as JSON (${(error as Error).message}); pass a report that mfdag check --format json (or the action's report output) wrote.`);
  }
  const parsed = storedReportSchema.safeParse(json);
  if (!parsed.success) throw new ConfigurationError(`${label}: ${file} is not an mfdag report (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}).`);
  return parsed.data as unknown as CheckReport & Record<string, unknown>;
}
