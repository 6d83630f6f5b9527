/**
 * The edges that touch the machine, tested on their own: the repo reader against real files and
 * links (a FIFO is an attack test: were it opened blocking, it would hang the test run), and the static analyzer against real Python processes.
 */
import { chmodSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRepoReader } from "../src/io/repo.js";
import { createStaticAnalyzer } from "../src/io/static-analyzer.js";
import { flowSource, tempDir, writeFiles } from "./helpers/repo.js";

const ALPHA = '    alpha = Parameter("alpha", default=1)';

describe("the local repo reader", () => {
  it("reads a file, and a link to a file inside the root, with their sizes", async () => {
    const root = tempDir();
    writeFiles(root, { "flows/a_flow.py": "print('a')\n" });
    symlinkSync("a_flow.py", path.join(root, "flows/b_flow.py"));
    const reader = createRepoReader(root);
    for (const file of ["flows/a_flow.py", "flows/b_flow.py"]) {
      const read = await reader.read(file, 1000);
      expect(read).toEqual({ bytes: Buffer.from("print('a')\n"), size: 11 });
    }
  });

  it("cuts a file at the byte limit and says how large it is", async () => {
    const root = tempDir();
    writeFiles(root, { "big.py": "x".repeat(5000) });
    const read = await createRepoReader(root).read("big.py", 100);
    expect(read).toEqual({ bytes: Buffer.from("x".repeat(100)), size: 5000 });
  });

  it("refuses a file under a directory link that leads out of the root, and a file link that does", async () => {
    const outside = tempDir();
    writeFiles(outside, { "secret_flow.py": "SECRET = 1\n" });
    const root = tempDir();
    mkdirSync(path.join(root, "flows"));
    symlinkSync(outside, path.join(root, "flows/elsewhere"));
    symlinkSync(path.join(outside, "secret_flow.py"), path.join(root, "flows/linked_flow.py"));
    const reader = createRepoReader(root);
    expect(await reader.read("flows/elsewhere/secret_flow.py", 1000)).toEqual({ error: "flows/elsewhere/secret_flow.py is a link to a file outside the repo root; it is not checked" });
    expect(await reader.read("flows/linked_flow.py", 1000)).toEqual({ error: "flows/linked_flow.py is a link to a file outside the repo root; it is not checked" });
  });

  it("names a file that is gone", async () => {
    const root = tempDir();
    mkdirSync(path.join(root, "flows"));
    expect(await createRepoReader(root).read("flows/gone_flow.py", 1000)).toEqual({ error: "flows/gone_flow.py cannot be read: ENOENT" });
  });
});

describe("the static analyzer's processes", () => {
  /** An interpreter wrapper like a pyenv shim: it logs each start, then runs python3. */
  function loggingWrapper(dir: string, body = 'exec python3 "$@"'): { python: string; starts: () => number } {
    const log = path.join(dir, "starts.log");
    const python = path.join(dir, "python-wrapper");
    writeFiles(dir, { "python-wrapper": `#!/bin/sh\necho start >> '${log}'\n${body}\n` });
    chmodSync(python, 0o755);
    return { python, starts: () => readFileSync(log, "utf8").split("\n").filter(Boolean).length };
  }

  it("a large request is split across processes; a wrapper interpreter starts once, the others run the interpreter it names", async () => {
    const root = tempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 240; i++) files[`flows/f${i}_flow.py`] = flowSource(`F${i}Flow`, ALPHA);
    writeFiles(root, files);
    const wrapper = loggingWrapper(tempDir());
    const analyzer = createStaticAnalyzer({ root, python: wrapper.python, maxFileBytes: 100_000, timeoutMs: 120_000, processes: 2 });
    try {
      const scan = Object.keys(files);
      analyzer.expect(scan.length);
      const compile = scan.map((flowFile) => ({ flowFile, flowClass: null, jobName: null, args: [], cwd: path.posix.dirname(flowFile) }));
      const { files: scanned, results } = await analyzer.analyze(scan, compile);
      // Answers come back in request order, whichever process gave them.
      expect(scanned.map((entry) => [entry.file, entry.mainClass])).toEqual(scan.map((file, i) => [file, `F${i}Flow`]));
      expect(results.map((result) => [result.flowFile, result.configClass?.[1]])).toEqual(scan.map((file) => [file, "    alpha: int = 1"]));
    } finally {
      await analyzer.close();
    }
    expect(wrapper.starts()).toBe(1);
  });

  it("an interpreter that does not greet like the static compiler is a configuration error naming it", async () => {
    const root = tempDir();
    writeFiles(root, { "a_flow.py": flowSource("AFlow", ALPHA) });
    const impostor = loggingWrapper(tempDir(), "echo 'Python 2.7.18'\ncat > /dev/null");
    const analyzer = createStaticAnalyzer({ root, python: impostor.python, maxFileBytes: 100_000, timeoutMs: 60_000 });
    try {
      await expect(analyzer.analyze(["a_flow.py"], [])).rejects.toThrow(`'${impostor.python}' did not answer like the static compiler (it wrote: Python 2.7.18)`);
    } finally {
      await analyzer.close();
    }
  });
});
