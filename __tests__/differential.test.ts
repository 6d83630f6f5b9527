/**
 * The differential test kit (__tests__/fixtures/differential/): scripts/differential.py runs both
 * compilers over it, and the static compiler must never be silently wrong, miss a refusal or
 * refuse a flow the real compiler compiles, for the Config class and for the job model. It needs
 * the real compiler (metaflow and metaflow-dagster importable by python3): skipped without it.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROJECT, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, snapshotTree } from "./helpers/repo.js";

const KIT = path.join(PROJECT, "__tests__", "fixtures", "differential");
const SCRIPT = path.join(PROJECT, "scripts", "differential.py");
const available = realCompilerAvailable();
const title = available ? "the differential kit (both compilers)" : `the differential kit: SKIPPED, ${REAL_COMPILER_SKIP_REASON}`;

type Verdict = "exact" | "error-match" | "honest fallback" | "silent mismatch" | "missed refusal" | "false refusal";
interface FlowRecord {
  flow: string;
  real: "compiled" | "refused";
  config: Verdict;
  configDetail: string | null;
  job: Verdict;
  jobDetail: string | null;
}
interface Report {
  generator: string;
  records: FlowRecord[];
  summary: { flows: number; config: { counts: Record<Verdict, number> }; job: { counts: Record<Verdict, number> } };
}

let report: Promise<{ report: Report; before: string[]; after: string[] }> | null = null;
/** One run of the script for the whole file (about 30 s for 70 flows, 6 real compiles at a time). */
function run() {
  report ??= (async () => {
    const before = snapshotTree(KIT);
    const { stdout } = await promisify(execFile)("python3", ["-B", SCRIPT, "--json", "--jobs", "6", KIT], { maxBuffer: 1 << 26, timeout: 900_000 });
    return { report: JSON.parse(stdout) as Report, before, after: snapshotTree(KIT) };
  })();
  return report;
}

/** `flow: detail` for every flow with this verdict in this dimension. */
function withVerdict(records: FlowRecord[], dimension: "config" | "job", verdict: Verdict): string[] {
  return records.filter((r) => r[dimension] === verdict).map((r) => `${r.flow}: ${(dimension === "config" ? r.configDetail : r.jobDetail) ?? ""}`);
}

describe.skipIf(!available)(title, () => {
  it("measures every flow of the kit (45 or more), and writes nothing into it", { timeout: 900_000 }, async () => {
    const { report: r, before, after } = await run();
    const rows = r.records.map((rec) => `${rec.flow.padEnd(40)} ${rec.real.padEnd(9)} ${rec.config.padEnd(16)} ${rec.job}`);
    console.log(`differential kit (metaflow-dagster ${r.generator}):\n${rows.join("\n")}\nconfig: ${JSON.stringify(r.summary.config.counts)}\njob: ${JSON.stringify(r.summary.job.counts)}`);
    expect(r.summary.flows).toBeGreaterThanOrEqual(45);
    expect(r.records.filter((rec) => rec.real === "compiled").length).toBeGreaterThan(0);
    expect(r.records.filter((rec) => rec.real === "refused").length).toBeGreaterThan(0);
    expect(after).toEqual(before);
  });

  for (const dimension of ["config", "job"] as const) {
    const name = dimension === "config" ? "Config class" : "job model";
    it(`is never silently wrong on the ${name}`, { timeout: 900_000 }, async () => {
      expect(withVerdict((await run()).report.records, dimension, "silent mismatch")).toEqual([]);
    });
    it(`misses no refusal of the real compiler (${name})`, { timeout: 900_000 }, async () => {
      expect(withVerdict((await run()).report.records, dimension, "missed refusal")).toEqual([]);
    });
    it(`refuses no flow the real compiler compiles (${name})`, { timeout: 900_000 }, async () => {
      expect(withVerdict((await run()).report.records, dimension, "false refusal")).toEqual([]);
    });
  }
});
