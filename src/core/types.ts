/**
 * The vocabulary of the engine. Every shape here is plain data so that a report can be written as
 * JSON, merged, re-read and rendered by templates without knowing how it was produced.
 *
 * A shape that crosses a boundary as JSON has one definition, inferred from the zod schema that
 * validates it there: the report (report-schema.ts) and the static compiler's answers
 * (static-protocol.ts). They are re-exported here so the engine imports its vocabulary from one place.
 */

export {
  CHANGE_KINDS,
  COMPILERS,
  COMPILER_NAMES,
  CONTRACT_GATE_OUTCOMES,
  FAIL_ON,
  FAIL_ON_CONTRACT,
  SEVERITIES,
  STATUSES,
  type ChangeKind,
  type CheckReport,
  type CheckSummary,
  type CompilerChoice,
  type CompilerName,
  type ContractChange,
  type ContractGate,
  type ContractGateOutcome,
  type DagsterCreateArgs,
  type FailOn,
  type FailOnContract,
  type FieldChange,
  type FieldValue,
  type Finding,
  type FlowResult,
  type FlowStatus,
  type JobChange,
  type JobChangeKind,
  type JobDiff,
  type JobGraph,
  type Unchecked,
  JOB_CHANGE_KINDS,
  type PullRequestRef,
  type Severity,
} from "./report-schema.js";
export type { CompiledConfig, ParameterInfo, StaticScanEntry } from "./static-protocol.js";
import type { JobReading } from "./job-reader.js";

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
  /** The job the file defines beyond its Config class, read back (job-reader.ts); see `readJob`. */
  reading?: JobReading;
  /** Until `reading` is read: the metaflow-dagster fingerprint alone, and the file's bytes to read it from. */
  fingerprint?: JobReading["fingerprint"];
  bytes?: Uint8Array;
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
