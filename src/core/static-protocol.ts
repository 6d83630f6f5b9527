/**
 * The JSON that python/mfdag_static.py writes, validated at the boundary: a malformed answer is a
 * bug to report, never something to trust. The types of what it answers (`ParameterInfo`,
 * `StaticScanEntry`, `CompiledConfig`) are inferred from these schemas; types.ts and ports.ts
 * re-export them.
 */
import { z } from "zod";
import { inexactPartSchema, jobModelSchema } from "./job-model.js";
import { COMPILER_NAMES } from "./report-schema.js";

/**
 * Why a result is not exact, or what kind of error it has: python/mfstatic/outcomes.py's
 * OutcomeKind, written as `reasonKind` next to `reason` and `errorKind` next to `error`. The
 * messages stay free text for people; code decides on the kind.
 */
export const OUTCOME_KINDS = [
  "budget",
  "limit",
  "unsupported",
  "unresolved-name",
  "python-error",
  "decorator",
  "config",
  "deploy-time",
  "environment",
  "io",
  "syntax",
  "not-reproduced",
  "flow-error",
  "no-flow",
  "compiler-error",
] as const;
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/** What the compiler knows about one `Parameter`/`IncludeFile`/`Config` attribute of a flow. */
const parameterSchema = z.object({
  attribute: z.string(),
  name: z.string(),
  kind: z.string(),
  file: z.string(),
  line: z.number().int(),
  declaredType: z.string().nullable(),
  annotation: z.string().nullable(),
  value: z.string().nullable(),
  help: z.string().nullable(),
  dropped: z.string().nullable(),
  exact: z.boolean(),
  reason: z.string().nullable(),
});

/** What the scan found in one Python file. */
const scanEntrySchema = z.object({
  file: z.string(),
  error: z.string().nullable(),
  errorLine: z.number().int().nullable(),
  flowClasses: z.array(z.object({ name: z.string(), line: z.number().int() })),
  mainClass: z.string().nullable(),
  mainLine: z.number().int().nullable(),
  isFlowFile: z.boolean(),
  /** Discovery only: not a flow candidate (not UTF-8 text mentioning FlowSpec or __main__), not scanned. */
  skipped: z.boolean().optional(),
  /** Discovery only: looks like a flow or a definitions file but is not readable text; `error` says why. */
  textError: z.boolean().optional(),
});

/** One warning about the generated job: `kebab-name`, a message, and where in the flow it comes from. */
const jobLintSchema = z.object({
  lint: z.string().max(64),
  message: z.string().max(100_000),
  file: z.string().max(4096),
  line: z.number().int().nullable(),
});

const jobSourcesSchema = z.object({
  steps: z.record(
    z.string().max(1024),
    z.object({
      file: z.string().max(4096),
      line: z.number().int(),
      nextLine: z.number().int().nullable(),
      decorators: z.record(z.string().max(1024), z.number().int()),
    }),
  ),
  flowDecorators: z.record(z.string().max(1024), z.number().int()),
});

/** The answer to one CompileRequest: what `dagster create` would write now for one flow. */
const compileResultSchema = z.object({
  flowFile: z.string(),
  flowClass: z.string().nullable(),
  job: z.string().nullable(),
  exact: z.boolean(),
  reason: z.string().nullable(),
  /** Absent where the answer is not the static compiler's (the metaflow compiler's results). */
  reasonKind: z.enum(OUTCOME_KINDS).nullable().optional(),
  error: z.string().nullable(),
  errorKind: z.enum(OUTCOME_KINDS).nullable().optional(),
  errorLine: z.number().int().nullable(),
  configClass: z.array(z.string()).nullable(),
  /** Parameter details from the static analysis; empty when unknown. */
  parameters: z.array(parameterSchema),
  /**
   * The job model the static compiler predicts (python/mfstatic/job.py): what `dagster create`
   * writes beyond the Config class, for the requested generator version; null when the flow is
   * refused or nothing could be predicted (jobInexact says why). Absent from older answers and
   * from the metaflow compiler's.
   */
  jobModel: jobModelSchema.nullable().optional(),
  /** The parts of jobModel it could not predict, each with the step it concerns and why. */
  jobInexact: z.array(inexactPartSchema).max(10_000).optional(),
  /** What metaflow-dagster itself gets wrong for this flow (a warning at the flow's line). */
  jobLints: z.array(jobLintSchema).max(10_000).optional(),
  /** Where each step (its def, its self.next, its decorators) and each flow decorator is. */
  jobSources: jobSourcesSchema.nullable().optional(),
});

/**
 * What a compiler (this one, or metaflow-dagster through `dagster create`) says `dagster create`
 * would write now for one flow: the static compiler's answer plus which compiler gave it. Only
 * the answer part crosses a process boundary as JSON and is validated; this schema is the type.
 */
const compiledConfigSchema = compileResultSchema.extend({ compiler: z.enum(COMPILER_NAMES) });

/**
 * What the real compiler wrote, beyond the Config class: its generator's fingerprint and the whole
 * text normalized (definitions-text.ts), so a difference no model key explains is still found.
 * Only the metaflow compiler's results have it; it never crosses a process boundary.
 */
export interface WrittenDefinitions {
  fingerprint: { templateSha: string | null; constants: readonly string[]; helpers: readonly string[] };
  lines: string[];
}

export const staticResponseSchema = z.object({
  protocol: z.literal(1),
  files: z.array(scanEntrySchema),
  results: z.array(compileResultSchema),
});

/** The first line a `--serve` process writes: the interpreter itself, without any wrapper. */
export const staticHelloSchema = z.object({
  protocol: z.literal(1),
  ready: z.literal(true),
  executable: z.string().nullable(),
});

export type ParameterInfo = z.infer<typeof parameterSchema>;
export type StaticScanEntry = z.infer<typeof scanEntrySchema>;
export type CompiledConfig = z.infer<typeof compiledConfigSchema> & { written?: WrittenDefinitions | null };
export type StaticResponse = z.infer<typeof staticResponseSchema>;
export type JobLint = z.infer<typeof jobLintSchema>;
export type JobSources = z.infer<typeof jobSourcesSchema>;
