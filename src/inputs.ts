/**
 * The action's inputs, read once and validated with zod into one typed object. `''` (an input the
 * workflow did not set) becomes `undefined`; a bad value fails with one line naming the input and
 * the allowed values.
 */
import { GENERATOR_PROFILES } from "./core/job-model.js";
import { z } from "zod";
import { ConfigurationError } from "./core/errors.js";
import { COMPILERS, FAIL_ON, FAIL_ON_CONTRACT } from "./core/types.js";

const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : typeof value === "string" ? value.trim() : value);

function enumInput<T extends readonly [string, ...string[]]>(name: string, values: T) {
  return z.preprocess(blank, z.enum(values, { error: (issue) => `Input '${name}': '${String(issue.input)}' is not one of ${values.join(", ")}` }).optional());
}

function intInput(name: string, max: number) {
  return z.preprocess(
    blank,
    z.coerce
      .number({ error: () => `Input '${name}': expected a whole number` })
      .int({ error: () => `Input '${name}': expected a whole number` })
      .min(1, { error: () => `Input '${name}': must be at least 1` })
      .max(max, { error: () => `Input '${name}': must be at most ${max}` })
      .optional(),
  );
}

function boolInput(name: string, fallback: boolean) {
  return z.preprocess(
    blank,
    z
      .enum(["true", "false", "True", "False", "TRUE", "FALSE"], { error: (issue) => `Input '${name}': '${String(issue.input)}' is not one of true, false` })
      .optional()
      .transform((v) => (v === undefined ? fallback : v.toLowerCase() === "true")),
  );
}

export const actionInputsSchema = z.object({
  root: z.preprocess(blank, z.string().default(".")),
  compiler: enumInput("compiler", COMPILERS),
  python: z.preprocess(blank, z.string().optional()),
  failOn: enumInput("fail-on", FAIL_ON),
  failOnContract: enumInput("fail-on-contract", FAIL_ON_CONTRACT),
  // No default here: action.yml gives one, so an explicit '' is what turns acceptance by label off.
  approveLabel: z.preprocess(
    blank,
    z
      .string()
      .max(50, { error: () => "Input 'approve-label': a GitHub label name has at most 50 characters" })
      .regex(/^[^\p{Cc}]+$/u, { error: () => "Input 'approve-label': one label name, without line breaks or control characters" })
      .nullable()
      .default(null),
  ),
  generator: enumInput("generator", GENERATOR_PROFILES),
  config: z.preprocess(blank, z.string().optional()),
  concurrency: intInput("concurrency", 256),
  timeout: intInput("timeout", 3600),
  comment: enumInput("comment", ["always", "on-change", "never"] as const).transform((v) => v ?? "on-change"),
  commentId: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: () => "Input 'comment-id': use 1 to 64 letters, digits, '_', '.' or '-'" })
      .default("default"),
  ),
  githubToken: z.preprocess(blank, z.string().optional()),
  annotations: boolInput("annotations", true),
  reviewComments: boolInput("review-comments", true),
  mode: enumInput("mode", ["auto", "check", "audit", "publish", "merge"] as const).transform((v) => v ?? "auto"),
  shard: z.preprocess(blank, z.string().optional()),
  reports: z.preprocess(
    blank,
    z
      .string()
      .optional()
      .transform((v) => (v ?? "").split("\n").map((line) => line.trim()).filter(Boolean)),
  ),
  reportFile: z.preprocess(blank, z.string().optional()),
  labels: z.preprocess(
    blank,
    z
      .string()
      .default("mfdag-drift")
      .transform((v) => v.split(/[,\n]/).map((label) => label.trim()).filter(Boolean)),
  ),
  uploadPatch: boolInput("upload-patch", false),
  fix: enumInput("fix", ["none", "pull-request"] as const).transform((v) => v ?? "none"),
  allowEmpty: boolInput("allow-empty", false),
  timeoutMinutes: intInput("timeout-minutes", 24 * 60),
});

export type ActionInputs = z.infer<typeof actionInputsSchema>;

/** `getInput` is passed in so this module stays free of @actions/core. */
export function parseActionInputs(getInput: (name: string) => string): ActionInputs {
  const result = actionInputsSchema.safeParse({
    root: getInput("root"),
    compiler: getInput("compiler"),
    python: getInput("python"),
    failOn: getInput("fail-on"),
    failOnContract: getInput("fail-on-contract"),
    approveLabel: getInput("approve-label"),
    generator: getInput("generator"),
    config: getInput("config"),
    concurrency: getInput("concurrency"),
    timeout: getInput("timeout"),
    comment: getInput("comment"),
    commentId: getInput("comment-id"),
    githubToken: getInput("github-token"),
    annotations: getInput("annotations"),
    reviewComments: getInput("review-comments"),
    mode: getInput("mode"),
    reportFile: getInput("report-file"),
    labels: getInput("labels"),
    uploadPatch: getInput("upload-patch"),
    fix: getInput("fix"),
    allowEmpty: getInput("allow-empty"),
    timeoutMinutes: getInput("timeout-minutes"),
    shard: getInput("shard"),
    reports: getInput("reports"),
  });
  if (!result.success) throw new ConfigurationError(result.error.issues.map((issue) => issue.message).join("\n"));
  if (result.data.mode === "merge" && result.data.reports.length === 0) throw new ConfigurationError("Input 'reports': required when mode is merge (the shards' report files or globs, one per line)");
  if (result.data.mode === "publish" && !result.data.reportFile) throw new ConfigurationError("Input 'report-file': required when mode is publish (the report.json of the check run)");
  // A shard sees only its share of the flows: its repair would close the pull request of the others'.
  if (result.data.fix === "pull-request" && result.data.shard) throw new ConfigurationError("Input 'fix': pull-request cannot be combined with shard (a shard sees only part of the flows); run the repairing audit unsharded");
  return result.data;
}
