/**
 * The vocabulary of the engine. Every shape here is plain data so that a report can be written as
 * JSON, merged, re-read and rendered by templates without knowing how it was produced.
 */

export const FAIL_ON = ["never", "type-change", "breaking", "drift"] as const;
export type FailOn = (typeof FAIL_ON)[number];

export const COMPILERS = ["auto", "static", "metaflow"] as const;
export type CompilerChoice = (typeof COMPILERS)[number];
/** The compiler that actually produced a result (`auto` resolves to one of these). */
export type CompilerName = "static" | "metaflow";

/** One line of a `class <Flow>Config(Config):` block, split into what Dagster shows. */
export interface ConfigField {
  name: string;
  type: string;
  default: string;
  /** `""` when the line has no `  # help` comment. */
  help: string;
  /** 0-based index of the field's first line inside the class block. */
  index: number;
}

/** The Config class block exactly as written, plus its parsed fields. */
export interface ConfigClass {
  className: string;
  /** Lines from the `class` line to the line before the first empty line. */
  lines: string[];
  fields: ConfigField[];
  /** Lines inside the block that are neither a field nor a continuation of one. */
  unparsed: string[];
}

/** A generated Dagster definitions file as committed in the repo. */
export interface DefinitionsFile {
  /** Repo-relative POSIX path. */
  path: string;
  flow: string | null;
  job: string | null;
  /** Absolute path of the flow file on the machine that generated the file. */
  source: string | null;
  /** 1-based line of the `class ...Config(Config):` line, when present. */
  configLine: number | null;
  /** `null` when the file has no Config class (a flow without parameters). */
  configClass: ConfigClass | null;
  /** Why the file could not be fully read, when it could not. */
  problem: string | null;
}

/** A Python file that runs a FlowSpec subclass under `if __name__ == "__main__":`. */
export interface FlowFile {
  path: string;
  flowClass: string;
  line: number;
}

/** A file that looked like a flow (mentions FlowSpec or __main__) but could not be read or parsed. */
export interface UnreadableFlowFile {
  path: string;
  error: string;
  line: number | null;
}

/** What the compiler knows about one `Parameter`/`IncludeFile`/`Config` attribute of a flow. */
export interface ParameterInfo {
  attribute: string;
  name: string;
  kind: string;
  file: string;
  line: number;
  declaredType: string | null;
  annotation: string | null;
  value: string | null;
  help: string | null;
  dropped: string | null;
  exact: boolean;
  reason: string | null;
}

/** What `dagster create` would write now for one flow. */
export interface CompiledConfig {
  flowFile: string;
  flowClass: string | null;
  job: string | null;
  compiler: CompilerName;
  exact: boolean;
  reason: string | null;
  error: string | null;
  errorLine: number | null;
  configClass: string[] | null;
  /** Parameter details from the static analysis; empty when unknown. */
  parameters: ParameterInfo[];
}

export const CHANGE_KINDS = ["added", "removed", "type-changed", "default-changed", "help-changed", "reordered"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
export type Severity = "breaking" | "non-breaking";

export interface FieldValue {
  type: string;
  default: string;
  help: string;
}

export interface FieldChange {
  parameter: string;
  kind: ChangeKind;
  severity: Severity;
  committed: FieldValue | null;
  current: FieldValue | null;
  /** The file that declares the parameter (the flow file, or a base class's module), when known. */
  declaredIn: string | null;
  /** Line of the `Parameter(...)` in `declaredIn`, when known. */
  flowLine: number | null;
  /** 1-based line of the field in the committed definitions file, when it exists there. */
  definitionsLine: number | null;
}

export interface JobChange {
  committed: string;
  current: string;
}

export interface Finding {
  lint: string;
  message: string;
  file: string;
  line: number | null;
  parameter: string | null;
}

export const STATUSES = ["up-to-date", "drift", "missing-definitions", "orphaned-definitions", "error"] as const;
export type FlowStatus = (typeof STATUSES)[number];

export interface FlowResult {
  flowFile: string;
  flowClass: string | null;
  definitionsFile: string | null;
  status: FlowStatus;
  compiler: CompilerName | null;
  error: string | null;
  changes: FieldChange[];
  jobChange: JobChange | null;
  configDiff: string | null;
  regenerate: string;
  /** The `dagster create` invocation behind `regenerate`, for `mfdag fix`; `null` when there is none. */
  dagsterCreate: DagsterCreateArgs | null;
  warnings: Finding[];
  /** The Config class lines `dagster create` would write now, when known. */
  currentConfig: string[] | null;
}

export interface DagsterCreateArgs {
  /** Repo-relative working directory. */
  cwd: string;
  /** `--name`, when the job name is not the default one. */
  name: string | null;
  args: string[];
}

export interface CheckSummary {
  flows: number;
  upToDate: number;
  drift: number;
  typeChanges: number;
  breaking: number;
  missing: number;
  orphaned: number;
  errors: number;
  warnings: number;
}

export interface CheckReport {
  schemaVersion: 1;
  root: string;
  failed: boolean;
  failOn: FailOn;
  compiler: CompilerChoice;
  summary: CheckSummary;
  flows: FlowResult[];
}
