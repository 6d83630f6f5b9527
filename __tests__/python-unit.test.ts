/**
 * The static compiler's Python unit tests (python/tests, unittest, in-process on the package
 * python/mfstatic), run with the real python3 so that `npm test` stays the single entry point.
 */
import { execa } from "execa";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PROJECT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("python/tests", () => {
  it("passes `python3 -m unittest discover -s python/tests -t python` (the static compiler package's unit tests)", async () => {
    const run = await execa("python3", ["-I", "-S", "-B", "-m", "unittest", "discover", "-s", "python/tests", "-t", "python"], {
      cwd: PROJECT,
      reject: false,
      all: true,
      timeout: 120_000,
    });
    // On failure the message is unittest's own output: which test, and why.
    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toMatch(/^OK/m);
  }, 180_000);
});
