import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalizeLine } from "../src/core/normalize.js";
import type { CompileRequest } from "../src/core/ports.js";
import { createForkServerCompiler, ForkServer, forkServerSupported, type ForkServerCompiler } from "../src/io/fork-server.js";
import { permitMetaflow } from "../src/core/settings.js";
import { compileTimeoutMessage, compilerEnv } from "../src/io/metaflow-compiler.js";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { copyCorpusFlows, corpusExpected, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, tempDir, writeFiles } from "./helpers/repo.js";

const opened: ForkServerCompiler[] = [];
afterAll(async () => {
  await Promise.all(opened.map((compiler) => compiler.close()));
});

function compilerFor(root: string, extra: Partial<Parameters<typeof createForkServerCompiler>[0]> = {}): ForkServerCompiler {
  const compiler = createForkServerCompiler({ root, python: "python3", permit: permitMetaflow({ metaflowForbidden: null }, "The tests"), timeoutMs: 30_000, concurrency: 3, preload: "none", ...extra });
  opened.push(compiler);
  return compiler;
}

function request(flowFile: string, extra: Partial<CompileRequest> = {}): CompileRequest {
  return { flowFile, flowClass: null, jobName: null, args: [], cwd: path.posix.dirname(flowFile), ...extra };
}

/**
 * A plain-Python stand-in for `python flow.py dagster create OUT [--name JOB]`: writes a
 * definitions file whose Config class records what the child saw (cwd, argv, datastore, ...).
 */
function fakeFlow(flow: string, body = ""): string {
  const template = renderDefinitions({ flow, job: "@JOB@", source: `/elsewhere/${flow}.py`, configClass: [`class ${flow}Config(Config):`, "@FIELDS@"] });
  return `import os, sys
${body}
args = sys.argv[1:]
assert args[:2] == ["dagster", "create"], args
rest = args[3:]
job = rest[rest.index("--name") + 1] if "--name" in rest else ${JSON.stringify(flow)}
fields = [
    "    cwd: str = %r" % os.getcwd(),
    "    datastore: str = %r" % os.environ.get("METAFLOW_DATASTORE_SYSROOT_LOCAL"),
    "    file: str = %r" % __file__,
    "    hashseed: str = %r" % os.environ.get("PYTHONHASHSEED"),
    "    main: str = %r" % __name__,
    "    path0: str = %r" % sys.path[0],
    "    rest: str = %r" % " ".join(rest),
]
with open(args[2], "w") as out:
    out.write(${JSON.stringify(template)}.replace("@JOB@", job).replace("@FIELDS@", "\\n".join(fields)))
print("compiled", job)
`;
}

function field(lines: string[] | null, name: string): string | undefined {
  const line = lines?.find((l) => l.startsWith(`    ${name}: str = `));
  return line?.slice(`    ${name}: str = `.length).replace(/^'|'$/g, "");
}

describe(`fork server protocol (plain-Python stand-in flows, runs everywhere${forkServerSupported() ? "" : "; SKIPPED: no os.fork on this platform"})`, () => {
  it("compiles like `python flow.py dagster create`: argv, --name and args, cwd, __main__, sys.path[0], datastore, hash seed", async () => {
    const root = tempDir();
    writeFiles(root, { "flows/shop_flow.py": fakeFlow("ShopFlow"), "flows/sub/other_flow.py": fakeFlow("OtherFlow") });
    const compiler = compilerFor(root);
    const [shop, other] = await Promise.all([
      compiler.compile(request("flows/shop_flow.py", { jobName: "nightly_shop", args: ["--tag", "team:ml"] })),
      compiler.compile(request("flows/sub/other_flow.py", { cwd: "flows" })),
    ]);
    expect(shop.error).toBeNull();
    expect(shop.compiler).toBe("metaflow");
    expect(shop.flowClass).toBe("ShopFlow");
    expect(shop.job).toBe("nightly_shop");
    expect(field(shop.configClass, "rest")).toBe("--name nightly_shop --tag team:ml");
    expect(field(shop.configClass, "cwd")).toBe(path.join(root, "flows"));
    expect(field(shop.configClass, "file")).toBe(path.join(root, "flows/shop_flow.py"));
    expect(field(shop.configClass, "main")).toBe("__main__");
    expect(field(shop.configClass, "path0")).toBe(path.join(root, "flows"));
    expect(field(shop.configClass, "hashseed")).toBe("0");
    const datastore = field(shop.configClass, "datastore")!;
    expect(datastore.startsWith(root)).toBe(false);
    expect(path.basename(datastore)).toBe("datastore");
    expect(other.job).toBe("OtherFlow");
    expect(field(other.configClass, "cwd")).toBe(path.join(root, "flows"));
    expect(field(other.configClass, "path0")).toBe(path.join(root, "flows/sub"));
    expect(field(other.configClass, "datastore")).not.toBe(datastore);
  });

  it("gives each flow a fresh interpreter state: no module or mutation leaks from one flow to another", async () => {
    const root = tempDir();
    const flow = (value: string) =>
      fakeFlow("LeakFlow", `import json\nassert not hasattr(json, "mfdag_mark"), "leaked from another flow"\njson.mfdag_mark = 1\nimport helper\nassert helper.VALUE == ${JSON.stringify(value)}, helper.VALUE`);
    writeFiles(root, { "a/flow.py": flow("a"), "a/helper.py": 'VALUE = "a"\n', "b/flow.py": flow("b"), "b/helper.py": 'VALUE = "b"\n' });
    const compiler = compilerFor(root, { concurrency: 1 });
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(["a/flow.py", "b/flow.py"].map((file) => compiler.compile(request(file))));
      expect(results.map((r) => r.error)).toEqual([null, null]);
    }
  });

  it("confines a crash, a hang, an exception, a SyntaxError and sys.exit('...') to their own flows", async () => {
    const root = tempDir();
    writeFiles(root, {
      "flows/good_flow.py": fakeFlow("GoodFlow"),
      "flows/exit_flow.py": "import os\nos._exit(3)\n",
      "flows/hang_flow.py": "import time\ntime.sleep(600)\n",
      "flows/raise_flow.py": "def load():\n    raise RuntimeError('kaboom at import')\n\nload()\n",
      "flows/syntax_flow.py": "x = (\n",
      "flows/usage_flow.py": "import sys\nsys.exit('Error: Missing option --config')\n",
      "flows/later_flow.py": fakeFlow("LaterFlow"),
    });
    const compiler = compilerFor(root, { timeoutMs: 5_000, concurrency: 3 });
    const files = ["good_flow", "exit_flow", "hang_flow", "raise_flow", "syntax_flow", "usage_flow", "later_flow"].map((name) => `flows/${name}.py`);
    const results = await Promise.all(files.map((file) => compiler.compile(request(file))));
    const errors = Object.fromEntries(files.map((file, i) => [path.basename(file, ".py"), results[i]!.error]));
    expect(errors).toEqual({
      good_flow: null,
      exit_flow: "dagster create exited with 3",
      hang_flow: compileTimeoutMessage(5_000),
      raise_flow: "RuntimeError: kaboom at import",
      syntax_flow: expect.stringMatching(/^SyntaxError: /),
      usage_flow: "Error: Missing option --config",
      later_flow: null,
    });
    expect(results[0]!.job).toBe("GoodFlow");
    expect(results[6]!.job).toBe("LaterFlow");
  });

  it("prints an uncaught exception's traceback like the interpreter, without the server's frames", async () => {
    const root = tempDir();
    writeFiles(root, { "flow.py": "def load():\n    raise KeyError('x')\n\nload()\n" });
    const server = new ForkServer({ python: "python3", concurrency: 1, preload: "none" });
    try {
      const ready = await server.ready;
      expect(ready.ok).toBe(true);
      const out = path.join(tempDir(), "out.py");
      const result = await server.run({ flowPath: path.join(root, "flow.py"), cwd: root, out, args: [], datastore: path.join(tempDir(), "ds"), timeoutMs: 10_000 });
      const fresh = (() => {
        try {
          execFileSync("python3", ["-B", path.join(root, "flow.py"), "dagster", "create", out], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
          return "";
        } catch (error) {
          return String((error as { stderr: Buffer }).stderr);
        }
      })();
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toBe(fresh);
      expect(result.stderr).not.toContain("mfdag_forkserver");
    } finally {
      await server.close();
    }
  });

  it("reports the compiles of a server that died as errors, kills their processes, and restarts once", async () => {
    const root = tempDir();
    const pidFile = path.join(tempDir(), "hang.pid");
    writeFiles(root, { "hang_flow.py": `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\ntime.sleep(600)\n`, "good_flow.py": fakeFlow("GoodFlow") });
    const compiler = compilerFor(root, { timeoutMs: 60_000 });
    const hanging = compiler.compile(request("hang_flow.py"));
    for (let i = 0; i < 400 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const first = compiler.serverPid!;
    process.kill(first, "SIGKILL");
    const result = await hanging;
    expect(result.error).toMatch(/^the fork server exited with SIGKILL/);
    const childPid = Number(readFileSync(pidFile, "utf8"));
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      try {
        process.kill(childPid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        gone = true;
      }
    }
    expect(gone).toBe(true);
    const again = await compiler.compile(request("good_flow.py"));
    expect(again.error).toBeNull();
    expect(compiler.serverPid).not.toBe(first);
  });

  it("close() stops the server and the compiles it is running", async () => {
    const root = tempDir();
    const pidFile = path.join(tempDir(), "hang.pid");
    writeFiles(root, { "hang_flow.py": `import os, time\nopen(${JSON.stringify(pidFile)}, "w").write(str(os.getpid()))\ntime.sleep(600)\n` });
    const compiler = compilerFor(root, { timeoutMs: 60_000 });
    const hanging = compiler.compile(request("hang_flow.py"));
    for (let i = 0; i < 400 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    const server = compiler.serverPid!;
    await compiler.close();
    expect((await hanging).error).toMatch(/^the fork server exited/);
    expect(compiler.serverPid).toBeNull();
    for (const pid of [server, Number(readFileSync(pidFile, "utf8"))]) {
      let alive = true;
      for (let i = 0; i < 200 && alive; i++) {
        try {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 50));
        } catch {
          alive = false;
        }
      }
      expect(alive).toBe(false);
    }
  });

  it("says what to install when the server cannot preload (a missing module)", async () => {
    const root = tempDir();
    writeFiles(root, { "flow.py": fakeFlow("Flow") });
    const compiler = compilerFor(root, { preload: "mfdag_no_such_module_for_tests" });
    expect(await compiler.isAvailable()).toBe(false);
    const error = await compiler.ensureAvailable().catch((e: unknown) => e);
    expect((error as Error).name).toBe("ConfigurationError");
    expect((error as Error).message).toMatch(/needs a Python that can import metaflow and metaflow-dagster, and 'python3' cannot \(ModuleNotFoundError: No module named 'mfdag_no_such_module_for_tests'\)/);
    expect((error as Error).message).toContain("python3 -m pip install metaflow-dagster");
    await expect(compiler.compile(request("flow.py"))).rejects.toThrow(/pip install metaflow-dagster/);
  });

  it("says what to install when the interpreter has no metaflow (the real preload, with site-packages and PYTHONPATH off)", async () => {
    const dir = tempDir();
    const python = path.join(dir, "python-without-metaflow");
    writeFileSync(python, '#!/bin/sh\nexec python3 -E -S "$@"\n');
    chmodSync(python, 0o755);
    const compiler = compilerFor(dir, { python, preload: undefined });
    const error = await compiler.ensureAvailable("mfdag fix").catch((e: unknown) => e);
    expect((error as Error).name).toBe("ConfigurationError");
    expect((error as Error).message).toMatch(/^mfdag fix needs a Python that can import metaflow and metaflow-dagster, and '.*python-without-metaflow' cannot \(ModuleNotFoundError: No module named 'metaflow'\)/);
  });

  it("compiles one process per flow when the preload fails for another reason than a missing module", async () => {
    const root = tempDir();
    writeFiles(root, { "flows/shop_flow.py": fakeFlow("ShopFlow") });
    // A relative module name: a TypeError, not an ImportError (as a Metaflow with another CLI layout would give).
    const compiler = compilerFor(root, { preload: "..not_absolute" });
    const result = await compiler.compile(request("flows/shop_flow.py"));
    expect(result.error).toBeNull();
    expect(result.job).toBe("ShopFlow");
    expect(compiler.serverPid).toBeNull();
  });

  it("says when the interpreter does not exist", async () => {
    const compiler = compilerFor(tempDir(), { python: "/nonexistent/python3" });
    expect(await compiler.isAvailable()).toBe(false);
    await expect(compiler.ensureAvailable()).rejects.toThrow(/'\/nonexistent\/python3' cannot \(the interpreter was not found\)/);
    await expect(compiler.compile(request("flow.py"))).rejects.toThrow(/Python interpreter '\/nonexistent\/python3' was not found/);
  });

  it("compiles one process per flow where there is no fork (the Windows path)", async () => {
    expect(forkServerSupported("win32")).toBe(false);
    expect(forkServerSupported("linux")).toBe(true);
    const root = tempDir();
    writeFiles(root, { "flows/shop_flow.py": fakeFlow("ShopFlow") });
    const compiler = compilerFor(root, { fork: false });
    const result = await compiler.compile(request("flows/shop_flow.py", { jobName: "nightly" }));
    expect(compiler.serverPid).toBeNull();
    expect(result.error).toBeNull();
    expect(result.job).toBe("nightly");
    expect(field(result.configClass, "main")).toBe("__main__");
  });

  it("reports a flow's exit code, its signal and its output the same through the fork server and the per-process compiler (both contain the flow on Linux)", async () => {
    const root = tempDir();
    writeFiles(root, {
      "exit_flow.py": "import os, sys\nprint('to stdout')\nsys.stderr.write('last words\\n')\nsys.stdout.flush()\nos._exit(3)\n",
      "signal_flow.py": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
      "quiet_exit_flow.py": "import os\nos._exit(4)\n",
    });
    const files = ["exit_flow.py", "signal_flow.py", "quiet_exit_flow.py"];
    const errors = async (fork: boolean) => (await Promise.all(files.map((file) => compilerFor(root, { fork }).compile(request(file))))).map((r) => r.error);
    const expected = ["last words", "dagster create exited with SIGSEGV", "dagster create exited with 4"];
    expect(await errors(true)).toEqual(expected);
    expect(await errors(false)).toEqual(expected);
  });

  it("rejects a bad request line without stopping", async () => {
    const server = new ForkServer({ python: "python3", concurrency: 1, preload: "none" });
    try {
      expect((await server.ready).ok).toBe(true);
      const bad = await server.run({ flowPath: "", cwd: "", out: "", args: [], datastore: "", timeoutMs: 1000 });
      expect(bad.error).toMatch(/^bad request: missing or invalid flowPath, cwd, out, datastore/);
      expect(server.alive).toBe(true);
    } finally {
      await server.close();
    }
  });
});

const available = realCompilerAvailable();
const title = available ? "fork server with the real metaflow-dagster" : `fork server with the real metaflow-dagster: SKIPPED, ${REAL_COMPILER_SKIP_REASON}`;

describe.skipIf(!available)(title, () => {
  const dir = tempDir();
  copyCorpusFlows(dir);
  const flowsDir = path.join(dir, "flows");

  it("writes byte-identical definitions files to a fresh `python flow.py dagster create` for every corpus flow (datastore path normalized)", { timeout: 300_000 }, async () => {
    const server = new ForkServer({ python: "python3", concurrency: 2, preload: "metaflow" });
    try {
      const ready = await server.ready;
      expect(ready).toMatchObject({ ok: true });
      const expectations = corpusExpected();
      const forked = await Promise.all(
        expectations.map(async (expected, i) => {
          const out = path.join(dir, "fork", String(i), "out.py");
          mkdirSync(path.dirname(out), { recursive: true });
          const datastore = path.join(dir, "fork", String(i), "datastore");
          const result = await server.run({ flowPath: path.join(flowsDir, expected.flow_file), cwd: flowsDir, out, args: [], datastore, timeoutMs: 120_000 });
          return { result, out, datastore };
        }),
      );
      for (const [i, expected] of expectations.entries()) {
        const { result, out, datastore } = forked[i]!;
        const freshOut = path.join(dir, "fresh", String(i), "out.py");
        const freshDatastore = path.join(dir, "fresh", String(i), "datastore");
        mkdirSync(path.dirname(freshOut), { recursive: true });
        const fresh = spawnSync("python3", ["-B", path.join(flowsDir, expected.flow_file), "dagster", "create", freshOut], {
          cwd: flowsDir,
          env: { ...process.env, ...compilerEnv(freshDatastore) },
          stdio: ["ignore", "pipe", "pipe"],
          encoding: "utf8",
        });
        const [freshExit, freshStdout, freshStderr] = [fresh.status, fresh.stdout, fresh.stderr];
        const label = expected.flow_file;
        expect({ label, exit: result.exitCode }).toEqual({ label, exit: freshExit });
        expect(freshExit).toBe(expected.exit_code);
        const normalize = (text: string, ds: string, o: string) => text.split(ds).join("<DATASTORE>").split(o).join("<OUT>");
        expect({ label, stdout: normalize(result.stdout, datastore, out) }).toEqual({ label, stdout: normalize(freshStdout, freshDatastore, freshOut) });
        expect({ label, stderr: normalize(result.stderr, datastore, out) }).toEqual({ label, stderr: normalize(freshStderr, freshDatastore, freshOut) });
        if (freshExit === 0) {
          const forkText = normalize(readFileSync(out, "utf8"), datastore, out);
          const freshText = normalize(readFileSync(freshOut, "utf8"), freshDatastore, freshOut);
          expect(forkText.includes("<DATASTORE>")).toBe(true);
          expect({ label, same: forkText === freshText }).toEqual({ label, same: true });
        } else {
          expect(existsSync(out)).toBe(false);
        }
      }
    } finally {
      await server.close();
    }
  });

  it("compiles the corpus through the compiler interface as recorded, with a crash, a hang and an exception in the same batch", { timeout: 300_000 }, async () => {
    writeFiles(flowsDir, {
      "zz_exit_flow.py": "from metaflow import FlowSpec\nimport os\nos._exit(3)\n",
      "zz_hang_flow.py": "from metaflow import FlowSpec\nimport time\ntime.sleep(600)\n",
      "zz_raise_flow.py": "from metaflow import FlowSpec\nraise ImportError('cannot import name Missing')\n",
    });
    const compiler = compilerFor(dir, { preload: undefined, timeoutMs: 20_000, concurrency: 2 });
    await compiler.ensureAvailable();
    const expectations = corpusExpected();
    const extra = ["zz_exit_flow.py", "zz_hang_flow.py", "zz_raise_flow.py"];
    const results = await Promise.all([...expectations.map((e) => e.flow_file), ...extra].map((file) => compiler.compile(request(`flows/${file}`))));
    for (const [i, expected] of expectations.entries()) {
      const result = results[i]!;
      const label = expected.flow_file;
      if (expected.exit_code === 0) {
        expect({ label, error: result.error, job: result.job }).toEqual({ label, error: null, job: expected.job });
        expect({ label, config: result.configClass?.map((line) => normalizeLine(line, { root: null })) ?? null }).toEqual({ label, config: expected.config_class ?? null });
      } else {
        expect({ label, error: result.error }).toEqual({ label, error: expected.error_tail![expected.error_tail!.length - 1] });
      }
    }
    expect(results.slice(expectations.length).map((r) => r.error)).toEqual(["dagster create exited with 3", compileTimeoutMessage(20_000), "ImportError: cannot import name Missing"]);
  });

  it("keeps each flow's own helper modules: a `pkg.base` in one directory does not leak into another", { timeout: 120_000 }, async () => {
    const root = tempDir();
    cpSync(flowsDir, path.join(root, "one"), { recursive: true });
    cpSync(flowsDir, path.join(root, "two"), { recursive: true });
    const base = path.join(root, "two/pkg/base.py");
    writeFileSync(base, readFileSync(base, "utf8").replace(/default=(\d+)/, (_m, n: string) => `default=${n}.5`));
    const compiler = compilerFor(root, { preload: undefined, concurrency: 2 });
    const [one, two] = await Promise.all(["one", "two"].map((sub) => compiler.compile(request(`${sub}/inherited_flow.py`))));
    expect(one!.error).toBeNull();
    expect(two!.error).toBeNull();
    expect(one!.configClass).not.toEqual(two!.configClass);
    expect(two!.configClass!.some((line) => /: float = \d+\.5/.test(line))).toBe(true);
    expect(one!.configClass!.some((line) => /: float = \d+\.5/.test(line))).toBe(false);
  });

  it("falls back to a fresh process for a flow whose directory shadows a preloaded module, with the same result", { timeout: 120_000 }, async () => {
    const root = tempDir();
    cpSync(flowsDir, path.join(root, "flows"), { recursive: true });
    // An (empty) namespace portion next to the flow changes which Metaflow extensions load.
    mkdirSync(path.join(root, "flows/metaflow_extensions"), { recursive: true });
    const server = new ForkServer({ python: "python3", concurrency: 1, preload: "metaflow" });
    try {
      expect((await server.ready).ok).toBe(true);
      const result = await server.run({ flowPath: path.join(root, "flows/scalars_flow.py"), cwd: path.join(root, "flows"), out: path.join(tempDir(), "out.py"), args: [], datastore: path.join(tempDir(), "ds"), timeoutMs: 60_000 });
      expect(result.fallback).toMatch(/shadow .*metaflow_extensions/);
    } finally {
      await server.close();
    }
    const compiler = compilerFor(root, { preload: undefined });
    const compiled = await compiler.compile(request("flows/scalars_flow.py"));
    expect(compiled.error).toBeNull();
    expect(compiled.configClass?.[0]).toBe("class ScalarsFlowConfig(Config):");
  });
});
