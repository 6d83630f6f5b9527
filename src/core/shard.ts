/**
 * Splitting one check over several CI jobs (`--shard k/n`) and merging their reports back into one.
 * A flow's shard depends only on its own repo-relative path, so adding or removing a flow never
 * moves another one to a different shard.
 */
import { createHash } from "node:crypto";
import { ConfigurationError } from "./errors.js";
import { compareResults, summarize } from "./report.js";
import type { CheckReport, FlowResult } from "./types.js";

export interface Shard {
  /** 1-based: `k` of `k/n`. */
  index: number;
  /** `n` of `k/n`. */
  count: number;
}

/** Parses `k/n` (1 ≤ k ≤ n). */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 1 || index > count) {
    throw new ConfigurationError(`--shard: expected k/n with 1 ≤ k ≤ n, got '${text}'`);
  }
  return { index, count };
}

/** The 0-based shard of a repo-relative path among `count`: sha1 of the POSIX path, mod count. */
export function shardOf(file: string, count: number): number {
  const key = file.replace(/\\/g, "/").replace(/^(\.\/)+/, "");
  const digest = createHash("sha1").update(key, "utf8").digest("hex");
  return Number(BigInt(`0x${digest}`) % BigInt(count));
}

/** Whether the flow at repo-relative `file` belongs to `shard`. */
export function inShard(file: string, shard: Shard): boolean {
  return shard.count === 1 || shardOf(file, shard.count) === shard.index - 1;
}

/**
 * The path a result is sharded by: its flow file, or for an orphaned definitions file (whose
 * `flowFile` is only the Source recorded in it) the definitions file. Every shard discovers the
 * whole repo, so results that are not compiles of a flow in the shard (orphans, unreadable flow
 * files) must be kept by exactly one shard too, or the merge sees them twice.
 */
export function resultShardPath(result: Pick<FlowResult, "status" | "flowFile" | "definitionsFile">): string {
  return result.status === "orphaned-definitions" && result.definitionsFile ? result.definitionsFile : result.flowFile;
}

/**
 * Reports of shards must be every shard of one split exactly once: a shard whose job was skipped or
 * whose upload was lost (a glob in `reports` cannot tell) would otherwise pass as "no flows there".
 */
function checkShardsComplete(reports: readonly CheckReport[], label: (i: number) => string): void {
  const sharded = reports.findIndex((report) => report.shard);
  if (sharded < 0) return;
  const count = reports[sharded]!.shard!.count;
  const byIndex = new Map<number, number>();
  for (const [i, report] of reports.entries()) {
    if (!report.shard) throw new ConfigurationError(`${label(i)} is a whole check, but ${label(sharded)} is shard ${reports[sharded]!.shard!.index}/${count}: merge the reports of one sharded check`);
    if (report.shard.count !== count) throw new ConfigurationError(`${label(i)} is shard ${report.shard.index}/${report.shard.count}, but ${label(sharded)} is one of ${count} shards: merge the reports of one sharded check`);
    const seen = byIndex.get(report.shard.index);
    if (seen !== undefined) throw new ConfigurationError(`${label(seen)} and ${label(i)} are both shard ${report.shard.index}/${count}`);
    byIndex.set(report.shard.index, i);
  }
  const missing: string[] = [];
  for (let index = 1; index <= count && missing.length < 10; index++) if (!byIndex.has(index)) missing.push(`${index}/${count}`);
  if (missing.length > 0) {
    throw new ConfigurationError(`no report for shard ${missing.join(", ")}${byIndex.size + missing.length < count ? " and more" : ""}: every shard's report is needed (did its job fail before writing it, or its upload not match?)`);
  }
}

/**
 * One report from the reports of all shards of a check: flows concatenated and sorted as check()
 * sorts them, the summary recomputed, failed when any shard failed. The reports must come from the
 * same check (same root, fail-on policy and compiler) and not overlap. `names` label the reports
 * in errors (default: "report 1", "report 2", ...).
 */
export function mergeReports(reports: readonly CheckReport[], names: readonly string[] = []): CheckReport {
  const label = (i: number) => names[i] ?? `report ${i + 1}`;
  if (reports.length === 0) throw new ConfigurationError("no reports to merge");
  const first = reports[0]!;
  for (const [i, report] of reports.entries()) {
    if (report.schemaVersion !== 1) throw new ConfigurationError(`${label(i)} has schemaVersion ${String(report.schemaVersion)}; this mfdag merges schemaVersion 1`);
    for (const key of ["root", "failOn", "compiler"] as const) {
      if (report[key] !== first[key]) {
        throw new ConfigurationError(`the reports are not from the same check: ${label(0)} has ${key} '${first[key]}' but ${label(i)} has '${report[key]}'`);
      }
    }
  }

  checkShardsComplete(reports, label);

  const owner = new Map<string, number>();
  const flows: FlowResult[] = [];
  for (const [i, report] of reports.entries()) {
    for (const flow of report.flows) {
      const key = `${flow.flowFile}\0${flow.definitionsFile ?? ""}`;
      const seen = owner.get(key);
      if (seen !== undefined && seen !== i) {
        const what = flow.definitionsFile ? `${flow.flowFile} → ${flow.definitionsFile}` : flow.flowFile;
        throw new ConfigurationError(`${what} is in both ${label(seen)} and ${label(i)}: the shards overlap (were they run with the same --shard n and the same mfdag version?)`);
      }
      owner.set(key, i);
      flows.push(flow);
    }
  }
  flows.sort(compareResults);
  return {
    schemaVersion: 1,
    root: first.root,
    failed: reports.some((report) => report.failed),
    failOn: first.failOn,
    compiler: first.compiler,
    summary: summarize(flows),
    flows,
  };
}
