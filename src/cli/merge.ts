/** `mfdag merge`: one report and one verdict from the reports of the shards of a check. */
import type { CliCommand } from "../cli-args.js";
import { mergeReports } from "../core/shard.js";
import { readReportFile } from "../io/report-file.js";
import { writeReport } from "./terminal.js";

export async function mergeCommand({ options, positionals }: CliCommand): Promise<number> {
  const reports = await Promise.all(positionals.map((file) => readReportFile(file)));
  return writeReport(mergeReports(reports, positionals), options);
}
