import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { normalizeLine } from "../src/core/normalize.js";
import { corpusRepo, EXACT_FLOWS } from "./helpers/corpus-repo.js";
import { checkJson, copyCorpusFlows, corpusExpected, gitRepo, installedGenerator, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, runCli, snapshotTree, tempDir } from "./helpers/repo.js";

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
  /**
   * The exact corpus flows with the definitions the installed metaflow-dagster writes for them in
   * another directory (another machine: other paths, another datastore root).
   */
  function realCorpusRepo(): string {
    const elsewhere = tempDir("mfdag-elsewhere-");
    copyCorpusFlows(elsewhere);
    const files: Record<string, string | Buffer> = {};
    for (const name of [...EXACT_FLOWS, "pkg/__init__.py", "pkg/base.py", "pkg/settings.py", "data.csv"]) files[`flows/${name}`] = readFileSync(path.join(elsewhere, "flows", name));
    for (const flowFile of EXACT_FLOWS) {
      const out = path.join(elsewhere, `${flowFile.replace(/\.py$/, "")}_dagster.py`);
      execFileSync("python3", [flowFile, "dagster", "create", out], {
        cwd: path.join(elsewhere, "flows"),
        env: { ...process.env, METAFLOW_DATASTORE_SYSROOT_LOCAL: path.join(elsewhere, "ds"), PYTHONHASHSEED: "0", USER: process.env.USER || "me" },
        stdio: "ignore",
        timeout: 120_000,
      });
      files[`dagster/${path.basename(out)}`] = readFileSync(out, "utf8");
    }
    return gitRepo(files);
  }

  it("agrees with the static compiler that definitions the real compiler made on another machine are up to date, whole files compared", async () => {
    const root = realCorpusRepo();
    for (const compiler of ["metaflow", "static"]) {
      const { report, exitCode } = await checkJson(root, "--compiler", compiler, "--fail-on", "drift");
      expect(report.flows.map((f: { status: string; compiler: string; jobChanges: unknown[] }) => [f.status, f.compiler, f.jobChanges])).toEqual(EXACT_FLOWS.map(() => ["up-to-date", compiler, []]));
      expect(exitCode).toBe(0);
    }
  });

  it("finds only the template text different in files our fixture writer made from the real compiler's models", async () => {
    // The writer imitates the names of the release's constants and helpers, not their text: the
    // real compiler's whole-text comparison must notice, and nothing else may differ.
    const { report } = await checkJson(corpusRepo(), "--compiler", "metaflow", "--fail-on", "never");
    const expected = installedGenerator() === "0.3.7" ? "template-changed" : "generator-changed";
    expect(report.flows.map((f: { status: string; jobChanges: { kind: string }[] }) => [f.status, f.jobChanges.map((c) => c.kind)])).toEqual(EXACT_FLOWS.map(() => ["drift", [expected]]));
  });
});
