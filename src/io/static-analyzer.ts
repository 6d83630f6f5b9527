/**
 * Runs python/mfdag_static.py as one long-lived `--serve` process per check: discovery and
 * compilation go to the same process, so every file is read and parsed once and Python starts
 * once, however many flows there are.
 */
import path from "node:path";
import { createInterface } from "node:readline";
import { execa, type ResultPromise } from "execa";
import { ConfigurationError } from "../core/errors.js";
import type { CompileRequest, StaticAnalyzer } from "../core/ports.js";
import { staticHelloSchema, staticResponseSchema } from "../core/static-protocol.js";
import { childEnvironment } from "./child-env.js";
import { packageRoot } from "./package-root.js";

export interface StaticAnalyzerOptions {
  root: string;
  python: string;
  maxFileBytes: number;
  /**
   * How long a request may go without a sign of life: the server reports progress at least
   * every second while it works, and each file or flow has its own budget of a few seconds
   * (MAX_FLOW_SECONDS in the script), so a healthy server never comes near it.
   */
  timeoutMs: number;
  /** Python processes for large requests (each file always goes to the same one). Default 1. */
  processes?: number;
  /** Repo-relative directories imports resolve from after the flow's own, in order (default: the root). */
  importRoots?: readonly string[];
}

/** Below this many files one process is faster than starting another. */
const SPLIT_THRESHOLD = 200;

export function staticScriptPath(): string {
  return path.join(packageRoot(), "python", "mfdag_static.py");
}

/**
 * The environment the static compiler runs with: ours without any PYTHON* variable. `-I`
 * already makes Python ignore them; dropping them too keeps them from a wrapper (a pyenv shim
 * is a shell script) and from whatever that wrapper runs.
 */
function isolatedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(childEnvironment()).filter(([name]) => !/^(PYTHON|__PYVENV_LAUNCHER__)/i.test(name)));
}

/** What one file or flow of a request gets when the server stopped before answering it. */
function stoppedResults(scan: string[], compile: CompileRequest[], why: string) {
  return {
    files: scan.map((file) => ({ file, error: why, errorLine: null, flowClasses: [], mainClass: null, mainLine: null, isFlowFile: false })),
    results: compile.map((c) => ({
      flowFile: c.flowFile,
      flowClass: c.flowClass,
      job: null,
      compiler: "static" as const,
      exact: false,
      reason: why,
      error: why,
      errorLine: null,
      configClass: null,
      parameters: [],
    })),
  };
}

/** Raised when a server that had started stopped or went silent in the middle of a request. */
class ServerStopped extends Error {}

type Refable = { ref?: () => unknown; unref?: () => unknown } | null | undefined;

/** Whether the child and its pipes keep Node's event loop alive. */
function setRef(child: ResultPromise, keepAlive: boolean): void {
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as Refable[]) {
    if (keepAlive) handle?.ref?.();
    else handle?.unref?.();
  }
}

/**
 * Several `--serve` processes for large repos (Python is single-threaded; CI machines have
 * cores). A file always goes to the same process, chosen by its path, so the module it parsed for
 * discovery is still in that process's cache when the flow is compiled.
 */
export function createStaticAnalyzer(options: StaticAnalyzerOptions): StaticAnalyzer & { expect(files: number): void; close(): Promise<void> } {
  // The first process runs the interpreter as given; the others run the interpreter it names in
  // its greeting. A wrapper (a pyenv shim is a shell script that runs `pyenv exec`) can cost more
  // to start than Python itself, and on a two-core runner that cost competes with the check.
  const first = createStaticWorker(options, async () => options.python);
  const others = Array.from({ length: Math.max(1, options.processes ?? 1) - 1 }, () => createStaticWorker(options, () => first.executable()));
  const workers = [first, ...others];
  // Start Python now: its start-up then overlaps with the file listing that comes first. The other
  // processes are only needed for large repos: they start when the listing says the repo is one.
  first.warm();
  let split = false;
  const pick = (file: string) => {
    let hash = 0;
    for (let i = 0; i < file.length; i++) hash = (hash * 31 + file.charCodeAt(i)) >>> 0;
    return hash % workers.length;
  };
  return {
    async analyze(scan, compile, options) {
      // Once the others run (a large repo), every request is split the same way, however small:
      // a check compiles in batches, and each flow must reach the process that parsed it.
      if (scan.length + compile.length >= SPLIT_THRESHOLD) split = true;
      if (workers.length === 1 || !split) return first.analyze(scan, compile, options);
      const scanParts = workers.map(() => [] as number[]);
      const compileParts = workers.map(() => [] as number[]);
      scan.forEach((file, i) => scanParts[pick(file)]!.push(i));
      compile.forEach((entry, i) => compileParts[pick(entry.flowFile)]!.push(i));
      const answers = await Promise.all(
        workers.map((worker, w) =>
          worker.analyze(
            scanParts[w]!.map((i) => scan[i]!),
            compileParts[w]!.map((i) => compile[i]!),
            options,
          ),
        ),
      );
      const files = new Array<(typeof answers)[number]["files"][number]>(scan.length);
      const results = new Array<(typeof answers)[number]["results"][number]>(compile.length);
      answers.forEach((answer, w) => {
        scanParts[w]!.forEach((i, j) => (files[i] = answer.files[j]!));
        compileParts[w]!.forEach((i, j) => (results[i] = answer.results[j]!));
      });
      return { files, results };
    },
    expect(files) {
      if (files < SPLIT_THRESHOLD) return;
      split = true;
      for (const worker of others) worker.warm();
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}

interface StaticWorker extends StaticAnalyzer {
  /** Starts Python now, so its start-up overlaps with the work that comes before the first request. */
  warm(): void;
  /** The interpreter this worker's Python says it is (starting it if need be). */
  executable(): Promise<string>;
  close(): Promise<void>;
}

interface Server {
  child: ResultPromise;
  /** Callers waiting on it: while there are any, it keeps Node alive (see `held`). */
  holders: number;
  /** The greeting: the interpreter itself, once Python has loaded the static compiler. */
  ready: Promise<string>;
  /** The next line it writes; throws a ConfigurationError saying why when it has exited instead. */
  nextLine(): Promise<string>;
}

function createStaticWorker(options: StaticAnalyzerOptions, interpreter: () => Promise<string>): StaticWorker {
  let server: Promise<Server> | null = null;
  // Requests are answered in order; chaining keeps callers from interleaving their lines.
  let queue: Promise<unknown> = Promise.resolve();

  function notStaticCompiler(line: string): ConfigurationError {
    return new ConfigurationError(`'${options.python}' did not answer like the static compiler (it wrote: ${line.slice(0, 120)}). Pass --python (action input: python) with a Python 3.9 or newer.`);
  }

  async function start(): Promise<Server> {
    const python = await interpreter();
    // The checked repo is hostile: none of its files may be imported by the compiler itself
    // (a json.py or re.py at its root, with PYTHONPATH=. or an empty PYTHONPATH entry).
    // -I: no PYTHON* variables, no user site, neither the script's directory nor the working
    // directory on sys.path. -S: no site, so no .pth files and no sitecustomize/usercustomize
    // (and a faster start: the compiler needs only the standard library). -B: no __pycache__.
    // The working directory is the script's own: not the repo (whose files a PATH entry of "."
    // would find); the script reads the repo only through its own loader, as text.
    const child = execa(python, ["-I", "-S", "-B", staticScriptPath(), "--serve"], {
      stdin: "pipe",
      buffer: false,
      reject: false,
      env: isolatedEnv(),
      extendEnv: false,
      cwd: path.dirname(staticScriptPath()),
    });
    // Idle between requests, the server must not keep Node alive: a caller that forgets close()
    // (or fails before it) would otherwise hang the step. It is held only while a request runs.
    setRef(child, false);
    const stderr: string[] = [];
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const ended = child.then((result) => ({ result, stderr: stderr.join("") }));
    async function nextLine(): Promise<string> {
      // The line, or null at the end of the output. Nothing is raced against the exit: a reaction
      // per line on the exit promise (pending until the process ends) kept every line read alive.
      const line = await lines.next().then((item) => (item.done ? null : item.value));
      if (line !== null) return line;
      const { result, stderr: err } = await ended;
      if ((result as { code?: string }).code === "ENOENT") {
        throw new ConfigurationError(`Python interpreter '${options.python}' was not found. Install Python 3, or pass --python with the path of one (action input: python).`);
      }
      const tooOld = /mfdag_static needs Python [^\n]*/.exec(err);
      if (tooOld) throw new ConfigurationError(`'${options.python}' cannot run the static compiler: ${tooOld[0]}. Pass --python (action input: python) with a Python 3.9 or newer.`);
      // Most often the interpreter is not a Python 3 (a wrapper, `false`, Python 2): say which.
      throw new ConfigurationError(
        `'${options.python}' could not run the static compiler (exit ${result.exitCode ?? result.signal}${err.trim() ? `: ${err.trim().split("\n").slice(-3).join(" / ")}` : ""}). ` +
          `Pass --python (action input: python) with a Python 3.9 or newer; if it is one, this is a bug in mfdag: please report it.`,
      );
    }
    const ready = nextLine().then((line) => {
      let hello;
      try {
        hello = staticHelloSchema.safeParse(JSON.parse(line));
      } catch {
        throw notStaticCompiler(line);
      }
      if (!hello.success) throw notStaticCompiler(line);
      return hello.data.executable || python;
    });
    ready.catch(() => undefined); // awaited by the first request; a warm-up alone must not crash Node
    return { child, holders: 0, ready, nextLine };
  }

  /** Runs `work` with the server held: Node must not exit while someone waits on it. */
  async function held<T>(running: Server, work: () => Promise<T>): Promise<T> {
    if (running.holders++ === 0) setRef(running.child, true);
    try {
      return await work();
    } finally {
      if (--running.holders === 0) setRef(running.child, false);
    }
  }

  function current(): Promise<Server> {
    if (!server) {
      server = start();
      server.catch(() => undefined); // as above: reported to whoever awaits it
    }
    return server;
  }

  async function request(scan: string[], compile: CompileRequest[], discover: boolean) {
    const running = await current();
    const body = {
      root: options.root,
      scan,
      compile: compile.map((c) => ({
        flowFile: c.flowFile,
        flowClass: c.flowClass,
        jobName: c.jobName,
        args: c.args,
        ...(c.generator ? { generator: c.generator } : {}),
        ...(c.topArgs ? { topArgs: c.topArgs } : {}),
      })),
      maxFileBytes: options.maxFileBytes,
      importRoots: options.importRoots ?? ["."],
      ...(discover ? { discover: true } : {}),
      progress: true,
    };
    // A deadline for the next line, pushed back by every progress line: how long the whole
    // request takes grows with its flows, but no single flow can keep the server silent for long.
    let timer: NodeJS.Timeout | undefined;
    let expire: (error: Error) => void = () => undefined;
    const timeout = new Promise<never>((_, reject) => (expire = reject));
    const silent = () => new ServerStopped(`the static compiler gave no sign of life for ${Math.round(options.timeoutMs / 1000)} s`);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => expire(silent()), options.timeoutMs);
    };
    rearm();
    let line: string;
    try {
      line = await held(running, async () => {
        await Promise.race([running.ready, timeout]);
        running.child.stdin?.write(JSON.stringify(body) + "\n");
        for (;;) {
          const next = await Promise.race([
            running.nextLine().catch((error: unknown) => {
              // It had started (it greeted us), so it died while working: say so for each of
              // this request's files and flows instead of losing the whole report.
              throw new ServerStopped(error instanceof Error ? error.message.replace(/ Pass --python[^]*$/, "") : String(error));
            }),
            timeout,
          ]);
          if (!next.startsWith('{"protocol": 1, "progress"')) return next;
          rearm();
        }
      });
    } catch (error) {
      running.child.kill("SIGKILL");
      server = null;
      if (!(error instanceof ServerStopped)) throw error;
      const why = `not checked: the static compiler stopped before answering (${error.message}); the ${scan.length + compile.length} file(s) and flow(s) it was checking together get this error`;
      return stoppedResults(scan, compile, why);
    } finally {
      clearTimeout(timer);
    }
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw notStaticCompiler(line);
    }
    const parsed = staticResponseSchema.safeParse(json);
    if (!parsed.success) throw new Error(`the static compiler's answer has an unexpected shape: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
    return {
      files: parsed.data.files,
      results: parsed.data.results.map((r) => ({ ...r, compiler: "static" as const })),
    };
  }

  return {
    warm() {
      current();
    },
    async executable() {
      const running = await current();
      return held(running, () => running.ready);
    },
    analyze(scan, compile, analyzeOptions) {
      const answer = queue.then(() => request(scan, compile, analyzeOptions?.discover === true));
      queue = answer.catch(() => undefined);
      return answer;
    },
    async close() {
      const closing = server;
      server = null;
      const running = await closing?.catch(() => null);
      if (!running) return;
      setRef(running.child, true); // until it has exited
      running.child.stdin?.end();
      await running.child;
    },
  };
}
