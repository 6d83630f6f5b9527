/**
 * The JSON that python/mfdag_static.py writes, validated at the boundary: a malformed answer is a
 * bug to report, never something to trust.
 */
import { z } from "zod";

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

const scanEntrySchema = z.object({
  file: z.string(),
  error: z.string().nullable(),
  errorLine: z.number().int().nullable(),
  flowClasses: z.array(z.object({ name: z.string(), line: z.number().int() })),
  mainClass: z.string().nullable(),
  mainLine: z.number().int().nullable(),
  isFlowFile: z.boolean(),
});

const resultSchema = z.object({
  flowFile: z.string(),
  flowClass: z.string().nullable(),
  job: z.string().nullable(),
  exact: z.boolean(),
  reason: z.string().nullable(),
  error: z.string().nullable(),
  errorLine: z.number().int().nullable(),
  configClass: z.array(z.string()).nullable(),
  parameters: z.array(parameterSchema),
});

export const staticResponseSchema = z.object({
  protocol: z.literal(1),
  files: z.array(scanEntrySchema),
  results: z.array(resultSchema),
});

/** The first line a `--serve` process writes: the interpreter itself, without any wrapper. */
export const staticHelloSchema = z.object({
  protocol: z.literal(1),
  ready: z.literal(true),
  executable: z.string().nullable(),
});

export type StaticResponse = z.infer<typeof staticResponseSchema>;
