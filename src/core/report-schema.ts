/**
 * The whole shape of a stored report (`mfdag check --format json`, the action's report output),
 * for the places that read one back: `merge`, and `mode: publish`, where the report comes from a
 * run of untrusted code and is posted with a write token. Every field is checked: enums for every
 * kind, status and choice, non-negative integers for counts and lines, bounded strings and arrays,
 * no unknown keys. The types in types.ts stay the vocabulary of the engine; the assertions at the
 * end make the build fail when the two disagree, so a field added there must be added here.
 */
import { z } from "zod";
import type { PullRequestRef } from "../github/publish.js";
import type { ContractChange } from "./contract.js";
import { CHANGE_KINDS, COMPILERS, FAIL_ON, STATUSES, type CheckReport } from "./types.js";

/**
 * Bounds well above anything a real check writes (a flow with 5000 parameters stays far below
 * them), so a report over them is not a report: they keep a hostile file from making the trusted
 * run render or post something unbounded.
 */
export const REPORT_LIMITS = {
  /** Characters of a repo path (PATH_MAX on Linux). */
  path: 4096,
  /** Characters of a name: a parameter, class, job or lint. */
  name: 1024,
  /** Characters of a message, type, default, help or command. */
  text: 100_000,
  /** Characters of a whole Config diff. */
  diff: 10_000_000,
  /** Entries of any list (flows, changes, warnings, lines, arguments). */
  items: 100_000,
} as const;

const path = z.string().max(REPORT_LIMITS.path);
const name = z.string().max(REPORT_LIMITS.name);
const text = z.string().max(REPORT_LIMITS.text);
const count = z.number().int().nonnegative();
const line = z.number().int().nonnegative();
const list = <T extends z.ZodType>(item: T) => z.array(item).max(REPORT_LIMITS.items);

const fieldValueSchema = z.strictObject({ type: text, default: text, help: text });

const fieldChangeSchema = z.strictObject({
  parameter: name,
  kind: z.enum(CHANGE_KINDS),
  severity: z.enum(["breaking", "non-breaking"]),
  committed: fieldValueSchema.nullable(),
  current: fieldValueSchema.nullable(),
  declaredIn: path.nullable(),
  flowLine: line.nullable(),
  definitionsLine: line.nullable(),
});

const jobChangeSchema = z.strictObject({ committed: name, current: name });

const findingSchema = z.strictObject({
  lint: name,
  message: text,
  file: path,
  line: line.nullable(),
  parameter: name.nullable(),
});

const flowResultSchema = z.strictObject({
  flowFile: path,
  flowClass: name.nullable(),
  definitionsFile: path.nullable(),
  status: z.enum(STATUSES),
  compiler: z.enum(["static", "metaflow"]).nullable(),
  error: text.nullable(),
  changes: list(fieldChangeSchema),
  jobChange: jobChangeSchema.nullable(),
  configDiff: z.string().max(REPORT_LIMITS.diff).nullable(),
  regenerate: text,
  dagsterCreate: z.strictObject({ cwd: path, name: name.nullable(), args: list(text) }).nullable(),
  warnings: list(findingSchema),
  currentConfig: list(text).nullable(),
});

const summarySchema = z.strictObject({
  flows: count,
  upToDate: count,
  drift: count,
  typeChanges: count,
  breaking: count,
  missing: count,
  orphaned: count,
  errors: count,
  warnings: count,
});

const contractChangeSchema = z.strictObject({
  definitionsFile: path,
  flow: name.nullable(),
  status: z.enum(["added", "removed", "changed"]),
  changes: list(fieldChangeSchema),
  jobChange: jobChangeSchema.nullable(),
  configDiff: z.string().max(REPORT_LIMITS.diff).nullable(),
});

/**
 * The pull request a report was made for, in GitHub's own shapes (owner and repository names,
 * a full SHA-1 or SHA-256 commit id), so the trusted run can only ask GitHub about a real one.
 */
const pullRequestSchema = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, "not a GitHub owner name"),
  repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "not a GitHub repository name"),
  number: z.number().int().positive(),
  baseSha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "not a commit SHA"),
  headSha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, "not a commit SHA"),
});

const checkReportShape = {
  schemaVersion: z.literal(1),
  root: path,
  failed: z.boolean(),
  failOn: z.enum(FAIL_ON),
  compiler: z.enum(COMPILERS),
  summary: summarySchema,
  flows: list(flowResultSchema),
};

/** A report as the engine makes it (`mfdag check --format json`). */
export const checkReportSchema = z.strictObject(checkReportShape);

/** A report file: the engine's report, plus what the action adds when it writes one. */
export const storedReportSchema = z.strictObject({
  ...checkReportShape,
  pullRequest: pullRequestSchema.nullable().optional(),
  contract: list(contractChangeSchema).nullable().optional(),
});

export type StoredReport = z.infer<typeof storedReportSchema>;

/** `$.flows[0].changes[1].kind`: where in the file the first bad field is. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return "$" + path.map((key) => (typeof key === "number" ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(String(key))}]`)).join("");
}

// The schema and the types must describe the same data: each assertion fails to compile when a
// field is added, removed or retyped on one side only.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const reportMatchesTypes: Same<z.infer<typeof checkReportSchema>, CheckReport> = true;
const contractMatchesTypes: Same<z.infer<typeof contractChangeSchema>, ContractChange> = true;
const pullRequestMatchesTypes: Same<z.infer<typeof pullRequestSchema>, PullRequestRef> = true;
void [reportMatchesTypes, contractMatchesTypes, pullRequestMatchesTypes];
