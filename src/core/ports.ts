/**
 * The engine's only ways to touch the outside world. Edges (`cli.ts`, `main.ts`) pass real
 * implementations from `src/io/`; the engine stays testable and free of process/file-system calls.
 */
import type { GeneratorProfile } from "./job-model.js";
import type { CompiledConfig, StaticScanEntry } from "./types.js";

/** Read access to the checked repo. Paths are repo-relative POSIX paths. */
export interface RepoReader {
  readonly root: string;
  /** Every `.py` file worth looking at (tracked or trackable; no venvs, node_modules, ...). */
  listPythonFiles(): Promise<string[]>;
  /**
   * At most `maxBytes` of the file; `size` is the whole file's size, so `size > bytes.length` means
   * the file was cut. An error message when it cannot be read at all.
   */
  read(file: string, maxBytes: number): Promise<{ bytes: Buffer; size: number } | { error: string }>;
  exists(file: string): Promise<boolean>;
}

export interface CompileRequest {
  flowFile: string;
  flowClass: string | null;
  /** `--name` for `dagster create`, when the job name is not the default one. */
  jobName: string | null;
  /** Extra `dagster create` arguments from the config file, and those read back from the committed file. */
  args: string[];
  /** metaflow's top-level options, between `FLOW.py` and `dagster` (`--environment=conda`, `--branch b`): config file `topArgs`. */
  topArgs?: string[];
  /** Which metaflow-dagster's output the static compiler predicts (default "0.3.7"). */
  generator?: GeneratorProfile;
  /** Repo-relative working directory of the compile (default: the flow file's directory). */
  cwd: string;
}

/** The static compiler (python/mfdag_static.py): one process for many files. */
export interface StaticAnalyzer {
  /**
   * With `discover`, `scan` is every listed file that is not a definitions file: the analyzer
   * reads each, scans those that could be flows and marks the others `skipped` (discovery.ts).
   */
  analyze(scan: string[], compile: CompileRequest[], options?: { discover?: boolean }): Promise<{ files: StaticScanEntry[]; results: CompiledConfig[] }>;
  /**
   * Told how many files are coming as soon as they are listed, so the analyzer can start what a
   * request that large needs (more processes) while the files are being read.
   */
  expect?(files: number): void;
}

/** The real metaflow-dagster compiler. */
export interface MetaflowCompiler {
  /**
   * Throws a ConfigurationError that says what to install when the interpreter lacks
   * metaflow-dagster; `purpose` replaces the default "use --compiler static" way out.
   */
  ensureAvailable(purpose?: string): Promise<void>;
  /** `false` instead of throwing, for `auto`. */
  isAvailable(): Promise<boolean>;
  compile(request: CompileRequest): Promise<CompiledConfig>;
}

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

/** Everything check() (and `mfdag list`/`config`) reaches the outside world through. */
export interface CheckPorts {
  repo: RepoReader;
  analyzer: StaticAnalyzer;
  metaflow: MetaflowCompiler;
  logger: Logger;
}

export const silentLogger: Logger = {
  info() {},
  warning() {},
  debug() {},
  group: (_title, fn) => fn(),
};
