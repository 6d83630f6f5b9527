import path from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeLine } from "../src/core/normalize.js";
import { corpusRepo, EXACT_FLOWS } from "./helpers/corpus-repo.js";
import { checkJson, copyCorpusFlows, corpusExpected, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, runCli, snapshotTree, tempDir } from "./helpers/repo.js";

const available = realCompilerAvailable();
const title = available ? "the metaflow compiler (real metaflow-dagster)" : `the metaflow compiler: SKIPPED, ${REAL_COMPILER_SKIP_REASON}`;

describe.skipIf(!available)(title, () => {
  const flows = tempDir();
  copyCorpusFlows(flows);

  for (const expected of corpusExpected()) {
    it(`reproduces the recorded output for ${expected.flow_file}`, async () => {
      const { stdout } = await runCli(["config", path.join(flows, "flows", expected.flow_file), "--root", flows, "--compiler", "metaflow", "--format", "json"]);
      const result = JSON.parse(stdout);
      expect(result.compiler).toBe("metaflow");
      if (expected.exit_code === 0) {
        expect(result.error).toBeNull();
        expect(result.job).toBe(expected.job);
        expect(result.configClass?.map((line: string) => normalizeLine(line, { root: null })) ?? null).toEqual(expected.config_class ?? null);
      } else {
        expect(result.error).toBe(expected.error_tail![expected.error_tail!.length - 1]);
      }
    });
  }

  it("leaves nothing behind in the flows' directory", async () => {
    const before = snapshotTree(flows);
    await checkJson(flows, "--compiler", "metaflow");
    expect(snapshotTree(flows)).toEqual(before);
  });
});

describe.skipIf(!available)(`${title}: check`, () => {
  it("agrees with the static compiler that definitions from another machine are up to date", async () => {
    const root = corpusRepo();
    const { report, exitCode } = await checkJson(root, "--compiler", "metaflow");
    expect(report.flows.map((f: { status: string; compiler: string }) => [f.status, f.compiler])).toEqual(EXACT_FLOWS.map(() => ["up-to-date", "metaflow"]));
    expect(exitCode).toBe(0);
  });
});
