/**
 * The real compiler: `PYTHON FLOW dagster create OUT [--name JOB] [args]`, one process per flow,
 * from the flow's directory (relative IncludeFile/Config paths resolve there), with its datastore
 * and output in a temp dir so nothing is written into the repo.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { childEnvironment } from "./child-env.js";
import { parseDefinitionsFile } from "../core/definitions.js";
import { normalizedDefinitionsLines } from "../core/definitions-text.js";
import { lastLine, runDagsterCreate } from "./dagster-create.js";
import { ConfigurationError } from "../core/errors.js";
import type { CompileRequest, MetaflowCompiler } from "../core/ports.js";
import type { CompiledConfig } from "../core/types.js";
import type { MetaflowPermit } from "../core/settings.js";

export interface MetaflowCompilerOptions {
  root: string;
  python: string;
  timeoutMs: number;
  /** The compiler runs the flow files: it cannot be made without the guard's permit (core/settings.ts). */
  permit: MetaflowPermit;
  /** Repo-relative directories put on PYTHONPATH, in order, in front of the user's (default: none). */
  importRoots?: readonly string[];
}

/** The import roots as absolute directories, in order. */
export function absoluteImportRoots(root: string, importRoots: readonly string[] | undefined): string[] {
  return (importRoots ?? []).map((dir) => path.resolve(root, dir));
}

/**
 * PYTHONPATH for a compile: the import roots in front of what the user's PYTHONPATH has (an empty
 * variable adds nothing: an empty entry would put the working directory on sys.path).
 */
export function compilerPythonPath(roots: readonly string[], inherited: string | undefined): string | undefined {
  const entries = [...roots, ...(inherited ? [inherited] : [])];
  return entries.length > 0 ? entries.join(path.delimiter) : inherited;
}

/** Environment for every run: repeatable (PYTHONHASHSEED, see the docs) and writing nothing into the repo. */
export function compilerEnv(datastore: string): Record<string, string> {
  return {
    METAFLOW_DATASTORE_SYSROOT_LOCAL: datastore,
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONHASHSEED: "0",
    USER: process.env.USER || "mfdag",
  };
}

/** The ConfigurationError for an interpreter that cannot import metaflow-dagster (`why`: what it said). */
export function metaflowUnavailableError(python: string, why: string, purpose?: string): ConfigurationError {
  return new ConfigurationError(
    `${purpose ?? "The metaflow compiler"} needs a Python that can import metaflow and metaflow-dagster, and '${python}' cannot (${why}).\n` +
      `Install them there with \`${python} -m pip install metaflow-dagster\`, or pass --python with an interpreter that has them (action input: python)${purpose ? "." : ", or use --compiler static."}`,
  );
}

/** The error of a compile stopped at the timeout. */
export function compileTimeoutMessage(timeoutMs: number): string {
  return `dagster create did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped (raise the timeout, or look for a flow that waits at import time)`;
}

/**
 * What a finished (not timed out) `dagster create` means: the Config class of the file it wrote to
 * `out`, or its error (the last line of its output, which is the compiler's own message).
 */
export async function compiledFromRun(request: CompileRequest, run: { exitCode: number | null; signal: string | null; output: string }, out: string, root: string): Promise<CompiledConfig> {
  const base = { flowFile: request.flowFile, flowClass: request.flowClass, compiler: "metaflow" as const, parameters: [], exact: true, reason: null, errorLine: null };
  if (run.exitCode !== 0) {
    return { ...base, job: null, configClass: null, error: lastLine(run.output) || `dagster create exited with ${run.exitCode ?? run.signal}` };
  }
  const text = await readFile(out, "utf8").catch(() => null);
  const parsed = text === null ? null : parseDefinitionsFile(request.flowFile, text);
  if (!parsed) return { ...base, job: null, configClass: null, error: "dagster create exited 0 but wrote no definitions file" };
  // The same reader as for committed files, so both sides of a comparison are read alike.
  const reading = parsed.reading;
  return {
    ...base,
    flowClass: parsed.flow ?? request.flowClass,
    job: parsed.job,
    configClass: parsed.configClass?.lines ?? null,
    error: null,
    jobModel: reading?.model ?? null,
    written: reading ? { fingerprint: reading.fingerprint, lines: normalizedDefinitionsLines(text!, { root }) } : null,
  };
}

/** `env` with the PYTHONPATH a `dagster create` of this repo runs with: its import roots before the inherited path. */
export function withImportRoots(env: Record<string, string>, root: string, importRoots: readonly string[] | undefined): Record<string, string> {
  const pythonPath = compilerPythonPath(absoluteImportRoots(root, importRoots), childEnvironment().PYTHONPATH);
  return pythonPath === undefined ? env : { ...env, PYTHONPATH: pythonPath };
}

export function createMetaflowCompiler(options: MetaflowCompilerOptions): MetaflowCompiler {
  let probe: Promise<{ ok: true } | { ok: false; why: string }> | null = null;
  // `-c` puts the working directory on sys.path: an empty directory of our own, so no
  // `metaflow.py` planted in a shared temp directory can answer for the real package.
  const check = () =>
    (probe ??= mkdtemp(path.join(os.tmpdir(), "mfdag-probe-")).then((cwd) =>
      execa(options.python, ["-B", "-c", "import metaflow, metaflow_extensions.dagster"], {
        reject: false,
        timeout: 60_000,
        env: { ...childEnvironment(), PYTHONDONTWRITEBYTECODE: "1", USER: process.env.USER || "mfdag" },
        extendEnv: false,
        stdin: "ignore",
        cwd,
      })
        .then((child) => {
          if (child.exitCode === 0) return { ok: true as const };
          const why = (child as { code?: string }).code === "ENOENT" ? "the interpreter was not found" : lastLine(child.stderr) || `exit code ${child.exitCode}`;
          return { ok: false as const, why };
        })
        .finally(() => rm(cwd, { recursive: true, force: true })),
    ));

  return {
    async isAvailable() {
      return (await check()).ok;
    },
    async ensureAvailable(purpose) {
      const result = await check();
      if (!result.ok) throw metaflowUnavailableError(options.python, result.why, purpose);
    },
    async compile(request: CompileRequest): Promise<CompiledConfig> {
      const temp = await mkdtemp(path.join(os.tmpdir(), "mfdag-compile-"));
      const out = path.join(temp, "definitions.py");
      const base = { flowFile: request.flowFile, flowClass: request.flowClass, compiler: "metaflow" as const, parameters: [], exact: true, reason: null, errorLine: null };
      try {
        const run = await runDagsterCreate({
          python: options.python,
          flowPath: path.join(options.root, request.flowFile),
          cwd: path.join(options.root, request.cwd),
          out,
          jobName: request.jobName,
          args: request.args,
          topArgs: request.topArgs ?? [],
          env: withImportRoots(compilerEnv(path.join(temp, "datastore")), options.root, options.importRoots),
          extendEnv: true,
          timeoutMs: options.timeoutMs,
        });
        if (run.timedOut) return { ...base, job: null, configClass: null, error: compileTimeoutMessage(options.timeoutMs) };
        return await compiledFromRun(request, run, out, options.root);
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    },
  };
}
