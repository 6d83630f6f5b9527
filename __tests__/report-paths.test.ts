import { mkdirSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_REPORT_FILES, resolveReportPaths } from "../src/io/report-paths.js";
import { tempDir, writeFiles } from "./helpers/repo.js";

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("resolveReportPaths", () => {
  it("expands a glob relative to the workspace, in code-point order, and keeps plain paths as they are", async () => {
    const workspace = tempDir();
    writeFiles(workspace, { "mfdag-3/mfdag-report.json": "{}", "mfdag-10/mfdag-report.json": "{}", "mfdag-1/mfdag-report.json": "{}", "mfdag-B/mfdag-report.json": "{}", "mfdag-a/mfdag-report.json": "{}", "mfdag-1/other.json": "{}" });
    const found = await resolveReportPaths(["mfdag-*/mfdag-report.json", "extra/explicit.json"], workspace);
    expect(found.map((r) => r.name)).toEqual(["mfdag-1/mfdag-report.json", "mfdag-10/mfdag-report.json", "mfdag-3/mfdag-report.json", "mfdag-B/mfdag-report.json", "mfdag-a/mfdag-report.json", "extra/explicit.json"]);
    expect(found.map((r) => r.file)).toEqual(found.map((r) => path.join(workspace, r.name)));
  });

  it("reads a file named by two lines once", async () => {
    const workspace = tempDir();
    writeFiles(workspace, { "r/1.json": "{}", "r/2.json": "{}" });
    expect((await resolveReportPaths(["r/1.json", "r/*.json"], workspace)).map((r) => r.name)).toEqual(["r/1.json", "r/2.json"]);
  });

  it("fails naming a glob that matches nothing: a missing shard must not pass", async () => {
    const workspace = tempDir();
    writeFiles(workspace, { "mfdag-1/mfdag-report.json": "{}" });
    const error = await errorOf(resolveReportPaths(["mfdag-1/mfdag-report.json", "shard-*/mfdag-report.json"], workspace));
    expect(error.name).toBe("ConfigurationError");
    expect(error.message).toContain("Input 'reports': 'shard-*/mfdag-report.json' matches no file in");
  });

  it("does not read a linked file: a link in an artifact cannot make mfdag read a file from elsewhere", async () => {
    const workspace = tempDir();
    const outside = tempDir();
    writeFiles(workspace, { "mfdag-1/mfdag-report.json": "{}" });
    writeFiles(outside, { "secret.json": "{}" });
    mkdirSync(path.join(workspace, "mfdag-2"));
    symlinkSync(path.join(outside, "secret.json"), path.join(workspace, "mfdag-2/mfdag-report.json"));
    expect((await resolveReportPaths(["mfdag-*/mfdag-report.json"], workspace)).map((r) => r.name)).toEqual(["mfdag-1/mfdag-report.json"]);
    // Alone, it leaves the glob without a match: an error, not an empty merge.
    const error = await errorOf(resolveReportPaths(["mfdag-2/*.json"], workspace));
    expect(error.message).toContain("'mfdag-2/*.json' matches no file");
  });

  it("does not search through a linked directory", async () => {
    const workspace = tempDir();
    const outside = tempDir();
    writeFiles(outside, { "deep/mfdag-report.json": "{}" });
    writeFiles(workspace, { "reports/mfdag-1/mfdag-report.json": "{}" });
    symlinkSync(outside, path.join(workspace, "reports/linked"));
    expect((await resolveReportPaths(["reports/**/mfdag-report.json"], workspace)).map((r) => r.name)).toEqual(["reports/mfdag-1/mfdag-report.json"]);
  });

  it("fails when a glob matches more files than any shard matrix writes", async () => {
    const workspace = tempDir();
    writeFiles(workspace, Object.fromEntries(Array.from({ length: MAX_REPORT_FILES + 1 }, (_, i) => [`r/${i}.json`, "{}"])));
    const error = await errorOf(resolveReportPaths(["r/*.json"], workspace));
    expect(error.message).toContain(`'r/*.json' matches more than ${MAX_REPORT_FILES} files`);
  });

  it("refuses a negated glob", async () => {
    const error = await errorOf(resolveReportPaths(["!r/*.json"], tempDir()));
    expect(error.message).toContain("'!r/*.json' is a negated glob");
  });
});
