/**
 * One run of `PYTHON FLOW dagster create OUT [--name JOB] [args]` in its own process group, with a
 * timeout that kills the whole group: a flow may start helpers that outlive it and hold its pipes.
 */
import { execa } from "execa";
import { ConfigurationError } from "../core/errors.js";

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

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export async function runDagsterCreate(run: DagsterCreateRun): Promise<DagsterCreateOutcome> {
  const args = ["-B", run.flowPath, "dagster", "create", run.out];
  if (run.jobName) args.push("--name", run.jobName);
  args.push(...run.args);
  const child = execa(run.python, args, { cwd: run.cwd, env: run.env, extendEnv: run.extendEnv, reject: false, all: true, detached: true, stdin: "ignore" });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, run.timeoutMs);
  const result = await child;
  clearTimeout(timer);
  killGroup(child.pid);
  if ((result as { code?: string }).code === "ENOENT") throw new ConfigurationError(`Python interpreter '${run.python}' was not found: pass --python with the path of one.`);
  return { exitCode: timedOut ? null : (result.exitCode ?? null), signal: result.signal ?? null, output: result.all ?? "", timedOut };
}

/** The last non-empty line of a compiler's output: the compiler's own error message. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? "";
}
