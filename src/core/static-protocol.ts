/**
 * The JSON that python/mfdag_static.py writes, validated at the boundary: a malformed answer is a
 * bug to report, never something to trust. The types of what it answers (`ParameterInfo`,
 * `StaticScanEntry`, `CompiledConfig`) are inferred from these schemas; types.ts and ports.ts
 * re-export them.
 */
import { z } from "zod";
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
});

/**
 * What a compiler (this one, or metaflow-dagster through `dagster create`) says `dagster create`
 * would write now for one flow: the static compiler's answer plus which compiler gave it. Only
 * the answer part crosses a process boundary as JSON and is validated; this schema is the type.
 */
const compiledConfigSchema = compileResultSchema.extend({ compiler: z.enum(COMPILER_NAMES) });

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
export type CompiledConfig = z.infer<typeof compiledConfigSchema>;
export type StaticResponse = z.infer<typeof staticResponseSchema>;
