/**
 * One run of `PYTHON FLOW [topArgs] dagster create OUT [--name JOB] [args]` in its own process group, with a
 * timeout. A flow may start helpers that outlive it (even double-forked, in a session of their
 * own): on Linux the run goes through python/mfdag_contain.py, a subreaper that kills everything
 * the flow started when the flow exits or the timeout stops it; elsewhere the timeout and the end
 * of the run kill the process group, which a process that called setsid has left.
 */
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { childEnvironment } from "./child-env.js";
import { ConfigurationError } from "../core/errors.js";
import { packageRoot } from "./package-root.js";

export interface DagsterCreateRun {
  python: string;
  /** Absolute path of the flow file. */
  flowPath: string;
  /** Absolute working directory. */
  cwd: string;
  /** Absolute path of the definitions file to write. */
  out: string;
  jobName: string | null;
  args: readonly string[];
  /** metaflow's options, between the flow file and `dagster`. */
  topArgs?: readonly string[];
  env: Record<string, string>;
  /** `false`: only `env` (plus PATH) is passed; `true`: the caller's environment too. */
  extendEnv: boolean;
  timeoutMs: number;
}

export interface DagsterCreateOutcome {
  exitCode: number | null;
  /** The signal that ended it, when one did. */
  signal: string | null;
  /** stdout and stderr interleaved. */
  output: string;
  timedOut: boolean;
}

/** How long a keeper asked to stop may take to kill what it contains before its group is SIGKILLed. */
export const KEEPER_GRACE_MS = 3000;

export function containScriptPath(): string {
  return path.join(packageRoot(), "python", "mfdag_contain.py");
}

/** A subreaper (prctl PR_SET_CHILD_SUBREAPER) exists on Linux only. */
export function containmentSupported(platform: NodeJS.Platform = process.platform): boolean {
  return platform === "linux";
}

function killGroup(pid: number | null | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/**
 * Stops a keeper (mfdag_contain.py, or a fork server's per-compile keeper): SIGTERM makes it kill
 * everything below it, SIGCONT wakes it if the flow stopped it; its process group is SIGKILLed
 * after KEEPER_GRACE_MS in case it cannot (a SIGKILL to the keeper itself would orphan what it holds).
 * Returns what cancels that SIGKILL (call it once the keeper is known to have exited).
 */
function stopKeeper(pid: number | null | undefined): () => void {
  if (!pid) return () => {};
  for (const signal of ["SIGTERM", "SIGCONT"] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return () => {}; // Already gone.
    }
  }
  const timer = setTimeout(() => killGroup(pid), KEEPER_GRACE_MS).unref();
  return () => clearTimeout(timer);
}

const launcherInterpreters = new Map<string, Promise<string>>();

/**
 * The interpreter behind `python` that runs the keeper: it needs only the standard library, and a
 * pyenv shim costs 0.4 to 0.8 s per start. Asked once per `python`; `python` itself when it cannot say.
 */
function launcherInterpreter(python: string): Promise<string> {
  let found = launcherInterpreters.get(python);
  if (!found) {
    found = execa(python, ["-I", "-S", "-B", "-c", "import sys; print(sys.executable)"], { reject: false, timeout: 30_000, stdin: "ignore", cwd: os.tmpdir() }).then(
      (result) => {
        const executable = result.exitCode === 0 ? result.stdout.trim() : "";
        return path.isAbsolute(executable) ? executable : python;
      },
      () => python,
    );
    launcherInterpreters.set(python, found);
  }
  return found;
}

/** What the keeper writes when PROGRAM cannot be started (mfdag_contain.py, _exec). */
const LAUNCH_FAILED = /^mfdag: cannot run .*: No such file or directory\s*$/;

export async function runDagsterCreate(run: DagsterCreateRun): Promise<DagsterCreateOutcome> {
  const args = ["-B", run.flowPath, ...(run.topArgs ?? []), "dagster", "create", run.out];
  if (run.jobName) args.push("--name", run.jobName);
  args.push(...run.args);
  const contained = containmentSupported();
  const [file, argv] = contained ? [await launcherInterpreter(run.python), ["-I", "-S", "-B", containScriptPath(), "--", run.python, ...args]] : [run.python, args];
  const env = run.extendEnv ? { ...childEnvironment(), ...run.env } : run.env;
  const child = execa(file, argv, { cwd: run.cwd, env, extendEnv: false, reject: false, all: true, detached: true, stdin: "ignore" });
  let timedOut = false;
  let cancelKill = () => {};
  const timer = setTimeout(() => {
    timedOut = true;
    // The keeper kills the flow and everything it started, then exits; a SIGKILL of the group
    // would kill the keeper first and orphan what left the group.
    if (contained) cancelKill = stopKeeper(child.pid);
    else killGroup(child.pid);
  }, run.timeoutMs);
  const result = await child;
  clearTimeout(timer);
  cancelKill();
  killGroup(child.pid);
  const output = result.all ?? "";
  if ((result as { code?: string }).code === "ENOENT" || (contained && result.exitCode === 127 && LAUNCH_FAILED.test(output))) {
    throw new ConfigurationError(`Python interpreter '${run.python}' was not found: pass --python with the path of one.`);
  }
  return { exitCode: timedOut ? null : (result.exitCode ?? null), signal: result.signal ?? null, output, timedOut };
}

/** The last non-empty line of a compiler's output: the compiler's own error message. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? "";
}
