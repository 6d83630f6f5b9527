/**
 * The real compiler without paying `import metaflow` per flow: python/mfdag_forkserver.py imports
 * metaflow and metaflow-dagster once, then forks one child per flow that runs the flow file as
 * `python FLOW dagster create OUT` would (same argv, cwd, sys.path, environment, hash seed), in its
 * own process group with its own timeout. Same interface and results as the per-process compiler
 * in metaflow-compiler.ts, which stays the path where os.fork does not exist (Windows) and for the
 * flows the server says it cannot compile faithfully (a module next to the flow shadowing one it
 * preloaded, a `.metaflow/` config in the flow's tree). On Linux the server and its children are
 * subreapers: whatever a flow starts is killed by the server when the flow's child ends (see the
 * script's docstring); that needs the server alive, so if it dies only the children's groups are killed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { ConfigurationError } from "../core/errors.js";
import type { CompileRequest, MetaflowCompiler } from "../core/ports.js";
import type { CompiledConfig } from "../core/types.js";
import { lastLine } from "./dagster-create.js";
import { absoluteImportRoots, compiledFromRun, compileTimeoutMessage, compilerEnv, createMetaflowCompiler, metaflowUnavailableError, type MetaflowCompilerOptions } from "./metaflow-compiler.js";
import { childEnvironment } from "./child-env.js";
import { packageRoot } from "./package-root.js";

export interface ForkServerOptions extends MetaflowCompilerOptions {
  /** Children at once (the CLI's --concurrency). */
  concurrency: number;
  /**
   * What the server imports before forking: `"metaflow"` (the default: metaflow, and what
   * `dagster create` imports that does not depend on the flow), or `"none"`, or module names
   * separated by commas. Tests use `"none"` to run plain-Python stand-in flows.
   */
  preload?: string;
  /** `false` forces the per-process compiler (what happens without os.fork). Default: POSIX. */
  fork?: boolean;
}

export interface ForkServerCompiler extends MetaflowCompiler {
  /** Stops the server and the compiles still running. Also done on process exit. */
  close(): Promise<void>;
  /** The server's pid while it runs (diagnostics, tests). */
  readonly serverPid: number | null;
}

/** One request as the server takes it (absolute paths). */
export interface ForkRequest {
  flowPath: string;
  cwd: string;
  out: string;
  args: string[];
  /** metaflow's options before `dagster`. */
  topArgs?: string[];
  datastore: string;
  timeoutMs: number;
  env?: Record<string, string>;
  /** Absolute directories the child puts on sys.path (and PYTHONPATH) right after the flow's own. */
  importRoots?: string[];
}

/** One result as the server reports it. */
export interface ForkResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  all: string;
  durationMs: number;
  /** Why this flow must be compiled in a fresh process instead, when it must. */
  fallback: string | null;
  /** A problem of the server (it stopped, fork failed, bad request), not of the flow. */
  error: string | null;
}

export function forkServerScriptPath(): string {
  return path.join(packageRoot(), "python", "mfdag_forkserver.py");
}

/** os.fork exists on every platform Node runs on except Windows. */
export function forkServerSupported(platform: NodeJS.Platform = process.platform): boolean {
  return platform !== "win32";
}

/**
 * `no-metaflow`: a module is missing (what to install); `no-fork`: no os.fork; `unsupported`: the
 * preload failed otherwise (a Metaflow whose CLI is laid out differently): compile per process.
 */
type Ready = { ok: true; preloaded: string[] } | { ok: false; why: string; fatal: "no-metaflow" | "no-fork" | "unsupported" | "no-python" | "crashed" };

interface Pending {
  resolve: (result: ForkResult) => void;
  pid: number | null;
}

/** One server process: start, send requests, route results, stop. */
export class ForkServer {
  readonly ready: Promise<Ready>;
  private readonly child: ChildProcessWithoutNullStreams | null;
  private readonly pending = new Map<string, Pending>();
  private readonly home: string;
  private nextId = 0;
  private stderrTail = "";
  private exited = false;
  private readonly onProcessExit = () => this.killNow();

  constructor(private readonly options: { python: string; concurrency: number; preload: string }) {
    // An empty working directory: the server never imports a user module, and Metaflow finds no
    // `.metaflow/` config there. Its datastore is a placeholder each child replaces.
    this.home = mkdtempSync(path.join(os.tmpdir(), "mfdag-forkserver-"));
    let settle!: (ready: Ready) => void;
    this.ready = new Promise((resolve) => (settle = resolve));
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(options.python, ["-B", forkServerScriptPath(), "--concurrency", String(Math.max(1, options.concurrency)), "--preload", options.preload], {
        cwd: this.home,
        env: { ...childEnvironment(), ...compilerEnv(path.join(this.home, "datastore")) },
        stdio: ["pipe", "pipe", "pipe"],
      });
    } catch (error) {
      this.child = null;
      this.exited = true;
      settle({ ok: false, why: String(error), fatal: "crashed" });
      return;
    }
    this.child = child;
    process.once("exit", this.onProcessExit);
    child.stdin.on("error", () => {}); // EPIPE when the server is gone; the exit handler reports it
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-8192);
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on("line", (line) => {
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.stderrTail = (this.stderrTail + line + "\n").slice(-8192);
        return;
      }
      if (message.event === "ready") settle({ ok: true, preloaded: (message.preloaded as string[]) ?? [] });
      else if (message.event === "fatal") {
        const why = String(message.error ?? "the server could not start");
        settle({ ok: false, why, fatal: /os\.fork is not available/.test(why) ? "no-fork" : typeof message.missing === "string" ? "no-metaflow" : "unsupported" });
      } else if (message.event === "started") {
        const entry = this.pending.get(String(message.id));
        if (entry) entry.pid = typeof message.pid === "number" ? message.pid : null;
      } else if (message.event === "result") {
        const id = String(message.id);
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        entry.resolve({
          exitCode: typeof message.exitCode === "number" ? message.exitCode : null,
          signal: typeof message.signal === "string" ? message.signal : null,
          timedOut: message.timedOut === true,
          stdout: String(message.stdout ?? ""),
          stderr: String(message.stderr ?? ""),
          all: String(message.all ?? ""),
          durationMs: typeof message.durationMs === "number" ? message.durationMs : 0,
          fallback: typeof message.fallback === "string" ? message.fallback : null,
          error: typeof message.error === "string" ? message.error : null,
        });
      }
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      settle({ ok: false, why: error.code === "ENOENT" ? "the interpreter was not found" : error.message, fatal: error.code === "ENOENT" ? "no-python" : "crashed" });
      this.handleExit(`could not be started (${error.message})`);
    });
    // "close", not "exit": the results the server wrote before it stopped have been read by then.
    child.on("close", (code, signal) => {
      const why = lastLine(this.stderrTail);
      settle({ ok: false, why: why || `the server exited with ${code ?? signal} before it was ready`, fatal: "crashed" });
      this.handleExit(`exited with ${code ?? signal}${why ? `: ${why}` : ""}`);
    });
  }

  get pid(): number | null {
    return this.exited ? null : (this.child?.pid ?? null);
  }

  get alive(): boolean {
    return !this.exited;
  }

  run(request: ForkRequest): Promise<ForkResult> {
    const id = String(++this.nextId);
    if (this.exited || !this.child) return Promise.resolve(serverError("the fork server is not running"));
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, pid: null });
      this.child!.stdin.write(JSON.stringify({ id, ...request }) + "\n");
    });
  }

  /** Stops the server: SIGTERM (it kills its running children and exits), SIGKILL after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (this.child && !this.exited) {
      const gone = new Promise<void>((resolve) => this.child!.once("close", () => resolve()));
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.killNow("SIGKILL"), graceMs);
      await gone;
      clearTimeout(timer);
    }
    this.cleanup();
  }

  private handleExit(why: string): void {
    if (this.exited && this.pending.size === 0) return this.cleanup();
    this.exited = true;
    for (const [id, entry] of this.pending) {
      killGroup(entry.pid);
      this.pending.delete(id);
      entry.resolve(serverError(`the fork server ${why}`));
    }
    this.cleanup();
  }

  /** Synchronous, for process exit: the server kills its children on SIGTERM; the ones it reported are killed here too. */
  private killNow(signal: NodeJS.Signals = "SIGTERM"): void {
    for (const entry of this.pending.values()) killGroup(entry.pid);
    if (this.child && !this.exited) {
      try {
        this.child.kill(signal);
      } catch {
        // Already gone.
      }
    }
    this.cleanup();
  }

  private cleanup(): void {
    process.removeListener("exit", this.onProcessExit);
    rmSync(this.home, { recursive: true, force: true });
  }
}

function serverError(error: string): ForkResult {
  return { exitCode: null, signal: null, timedOut: false, stdout: "", stderr: "", all: "", durationMs: 0, fallback: null, error };
}

function killGroup(pid: number | null): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * The metaflow compiler on a fork server: started lazily by the first compile (or availability
 * check); if it dies, the compiles it was running get an error, and the next compile starts a new
 * one, once; after that, compiles run one process per flow.
 */
export function createForkServerCompiler(options: ForkServerOptions): ForkServerCompiler {
  const perProcess = createMetaflowCompiler(options);
  const useFork = options.fork ?? forkServerSupported();
  let server: ForkServer | null = null;
  let restarts = 0;
  let gaveUp = false;
  // One scratch directory for every compile's output file and datastore (each its own names),
  // instead of a directory made and removed per compile: that was a third of this side's work.
  let scratch: string | null = null;
  let compiles = 0;
  const removeScratch = () => {
    process.removeListener("exit", removeScratch);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = null;
  };

  const current = async (): Promise<{ server: ForkServer; ready: Ready } | null> => {
    if (!useFork || gaveUp) return null;
    if (server && !server.alive) {
      if (restarts >= 1) {
        gaveUp = true;
        return null;
      }
      restarts += 1;
      server = null;
    }
    server ??= new ForkServer({ python: options.python, concurrency: options.concurrency, preload: options.preload ?? "metaflow" });
    const ready = await server.ready;
    if (!ready.ok && (ready.fatal === "no-fork" || ready.fatal === "unsupported")) {
      gaveUp = true;
      return null;
    }
    return { server, ready };
  };

  const availability = async (): Promise<{ ok: true } | { ok: false; why: string }> => {
    const got = await current();
    if (!got) return perProcess.isAvailable().then((ok) => (ok ? { ok: true as const } : { ok: false as const, why: "it cannot import metaflow-dagster" }));
    if (got.ready.ok) return { ok: true };
    return { ok: false, why: got.ready.why };
  };

  return {
    get serverPid() {
      return server?.pid ?? null;
    },
    async isAvailable() {
      return (await availability()).ok;
    },
    async ensureAvailable(purpose) {
      const got = await current();
      if (!got) return perProcess.ensureAvailable(purpose);
      if (!got.ready.ok) throw metaflowUnavailableError(options.python, got.ready.why, purpose);
    },
    async compile(request: CompileRequest): Promise<CompiledConfig> {
      const got = await current();
      if (!got) return perProcess.compile(request);
      if (!got.ready.ok) {
        if (got.ready.fatal === "no-python") throw new ConfigurationError(`Python interpreter '${options.python}' was not found: pass --python with the path of one.`);
        if (got.ready.fatal === "no-metaflow") throw metaflowUnavailableError(options.python, got.ready.why);
        // The server crashed while starting: this compile fails, the next one restarts it.
        return failed(request, `the fork server could not start: ${got.ready.why}`);
      }
      if (!scratch) {
        scratch = mkdtempSync(path.join(os.tmpdir(), "mfdag-compile-"));
        process.once("exit", removeScratch);
      }
      // The datastore's directory is made by metaflow if the compile writes to it (IncludeFile).
      const stem = path.join(scratch, String(++compiles));
      const out = `${stem}.py`;
      const datastore = path.join(stem, "datastore");
      try {
        const args = request.jobName ? ["--name", request.jobName, ...request.args] : [...request.args];
        const result = await got.server.run({
          flowPath: path.join(options.root, request.flowFile),
          cwd: path.join(options.root, request.cwd),
          out,
          args,
          topArgs: request.topArgs ?? [],
          datastore,
          timeoutMs: options.timeoutMs,
          importRoots: absoluteImportRoots(options.root, options.importRoots),
        });
        if (result.fallback) return await perProcess.compile(request);
        if (result.error) {
          if (/^fork failed/.test(result.error)) return await perProcess.compile(request);
          return failed(request, result.error);
        }
        if (result.timedOut) return failed(request, compileTimeoutMessage(options.timeoutMs));
        return await compiledFromRun(request, { exitCode: result.exitCode, signal: result.signal, output: result.all }, out, options.root);
      } finally {
        await Promise.all([rm(out, { force: true }), rm(stem, { recursive: true, force: true })]);
      }
    },
    async close() {
      const running = server;
      server = null;
      await running?.close();
      removeScratch();
    },
  };
}

function failed(request: CompileRequest, error: string): CompiledConfig {
  return { flowFile: request.flowFile, flowClass: request.flowClass, compiler: "metaflow", parameters: [], exact: true, reason: null, errorLine: null, job: null, configClass: null, error };
}
