/**
 * In-memory ports for `check()`: a repo reader over a dict of files, a static analyzer and a
 * metaflow compiler that answer what the test scripts for each flow, and a logger that records.
 * No process, no file system: the engine's decisions (which compiler, the time budget, orphans)
 * are tested on their own. Built only on `check()`'s public signature, so they follow it.
 */
import type { check } from "../../src/core/check.js";
import { ConfigurationError } from "../../src/core/errors.js";
import type { CompiledConfig, ParameterInfo } from "../../src/core/types.js";

export type CheckPorts = Parameters<typeof check>[1];
type RepoReader = CheckPorts["repo"];
type StaticAnalyzer = CheckPorts["analyzer"];
type MetaflowCompiler = CheckPorts["metaflow"];
type Logger = CheckPorts["logger"];
export type CompileRequest = Parameters<MetaflowCompiler["compile"]>[0];
type StaticScanEntry = Awaited<ReturnType<StaticAnalyzer["analyze"]>>["files"][number];

/** A file's text, or `{ error }` for a file the reader cannot read at all. */
export type MemoryFile = string | { error: string };

export function memoryRepo(files: Record<string, MemoryFile>, root = "/repo"): RepoReader & { reads: string[]; readLimits: number[] } {
  const reads: string[] = [];
  /** The byte limit of each read in `reads`. */
  const readLimits: number[] = [];
  return {
    root,
    reads,
    readLimits,
    listPythonFiles: async () => Object.keys(files).filter((file) => file.endsWith(".py")).sort(),
    async read(file, maxBytes) {
      reads.push(file);
      readLimits.push(maxBytes);
      const content = files[file];
      if (content === undefined) return { error: `${file} does not exist` };
      if (typeof content !== "string") return { error: content.error };
      const bytes = Buffer.from(content, "utf8");
      return { bytes: bytes.subarray(0, maxBytes), size: bytes.length };
    },
    exists: async (file) => file in files,
  };
}

/** A flow file's source as the discovery's pre-filter sees it (the scripted analyzer decides the rest). */
export function flowText(flowClass: string): string {
  return `from metaflow import FlowSpec, step\n\nclass ${flowClass}(FlowSpec):\n    pass\n\nif __name__ == "__main__":\n    ${flowClass}()\n`;
}

export function parameter(name: string, overrides: Partial<ParameterInfo> = {}): ParameterInfo {
  return { attribute: name, name, kind: "Parameter", file: "flows/x.py", line: 1, declaredType: null, annotation: "int", value: "1", help: null, dropped: null, exact: true, reason: null, ...overrides };
}

/** What the scripted static compiler says about one flow file. */
export interface StaticScript {
  /** The scan's view of the file: a flow running `flowClass` (the default), or a parse error. */
  scan?: { flowClass: string } | { error: string; line?: number };
  /** Its compile result; `flowFile`, `flowClass` and `compiler` are filled in. */
  compile?: Partial<CompiledConfig>;
}

/** An exact static result with these Config class lines. */
export function exact(configClass: string[] | null, extra: Partial<CompiledConfig> = {}): Partial<CompiledConfig> {
  return { exact: true, configClass, ...extra };
}

/** A result the static compiler cannot reproduce exactly, for `reason`. */
export function inexact(reason: string, extra: Partial<CompiledConfig> = {}): Partial<CompiledConfig> {
  return { exact: false, reason, configClass: null, ...extra };
}

function compiled(request: CompileRequest, compiler: CompiledConfig["compiler"], answer: Partial<CompiledConfig> | undefined): CompiledConfig {
  return {
    flowFile: request.flowFile,
    flowClass: request.flowClass,
    job: request.flowClass,
    compiler,
    exact: true,
    reason: null,
    error: null,
    errorLine: null,
    configClass: null,
    parameters: [],
    ...answer,
  };
}

export function scriptedAnalyzer(script: Record<string, StaticScript>): StaticAnalyzer & { scans: string[][]; compiles: CompileRequest[][] } {
  const scans: string[][] = [];
  const compiles: CompileRequest[][] = [];
  return {
    scans,
    compiles,
    async analyze(scan, compile) {
      scans.push([...scan]);
      compiles.push([...compile]);
      const files = scan.map((file): StaticScanEntry => {
        const said = script[file]?.scan;
        if (said && "error" in said) return { file, error: said.error, errorLine: said.line ?? null, flowClasses: [], mainClass: null, mainLine: null, isFlowFile: false };
        if (!script[file]) return { file, error: null, errorLine: null, flowClasses: [], mainClass: null, mainLine: null, isFlowFile: false };
        const flowClass = said?.flowClass ?? "Flow";
        return { file, error: null, errorLine: null, flowClasses: [{ name: flowClass, line: 3 }], mainClass: flowClass, mainLine: 7, isFlowFile: true };
      });
      const results = compile.map((request) => {
        const answer = script[request.flowFile]?.compile;
        if (!answer) throw new Error(`the scripted static compiler has no answer for ${request.flowFile}`);
        return compiled(request, "static", answer);
      });
      return { files, results };
    },
  };
}

export interface MetaflowScript {
  /** Whether the interpreter can import metaflow-dagster (default: yes). */
  available?: boolean;
  /** The real compiler's answer per flow file; a flow without one fails the test when compiled. */
  flows?: Record<string, Partial<CompiledConfig>>;
  /** Runs before each compile (e.g. to move a fake clock). */
  onCompile?: (request: CompileRequest) => void;
}

export const METAFLOW_MISSING = "needs a Python that can import metaflow and metaflow-dagster (scripted)";

export function scriptedMetaflow(script: MetaflowScript = {}): MetaflowCompiler & { compiled: string[]; availabilityChecks: number } {
  const available = script.available ?? true;
  const fake = {
    compiled: [] as string[],
    availabilityChecks: 0,
    async ensureAvailable() {
      fake.availabilityChecks++;
      if (!available) throw new ConfigurationError(METAFLOW_MISSING);
    },
    async isAvailable() {
      fake.availabilityChecks++;
      return available;
    },
    async compile(request: CompileRequest) {
      if (!available) throw new Error(`compile(${request.flowFile}) called on an unavailable metaflow compiler`);
      fake.compiled.push(request.flowFile);
      script.onCompile?.(request);
      const answer = script.flows?.[request.flowFile];
      if (!answer) throw new Error(`the scripted metaflow compiler has no answer for ${request.flowFile}`);
      return compiled(request, "metaflow", answer);
    },
  };
  return fake;
}

export interface LogEntry {
  level: "info" | "warning" | "debug" | "group";
  message: string;
}

export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (message) => void entries.push({ level: "info", message }),
    warning: (message) => void entries.push({ level: "warning", message }),
    debug: (message) => void entries.push({ level: "debug", message }),
    group(title, fn) {
      entries.push({ level: "group", message: title });
      return fn();
    },
  };
}

export interface MemoryCheck {
  files: Record<string, MemoryFile>;
  static: Record<string, StaticScript>;
  metaflow?: MetaflowScript;
  root?: string;
}

/** All four ports for one in-memory repo, with the fakes kept typed for the test's assertions. */
export function memoryPorts(setup: MemoryCheck) {
  const ports = {
    repo: memoryRepo(setup.files, setup.root),
    analyzer: scriptedAnalyzer(setup.static),
    metaflow: scriptedMetaflow(setup.metaflow),
    logger: recordingLogger(),
  };
  return ports satisfies CheckPorts;
}
