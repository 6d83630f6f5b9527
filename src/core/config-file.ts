/**
 * The optional repo config file (`.mfdag.yml` or `mfdag.config.json`): explicit flow ↔ definitions
 * pairs and per-flow `dagster create` arguments. Validated with zod; every error names the key.
 */
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigurationError } from "./errors.js";
import { COMPILERS, FAIL_ON, FAIL_ON_CONTRACT } from "./types.js";
import { GENERATOR_PROFILES } from "./job-model.js";
import { MAX_IMPORT_ROOTS, type ImportRootsFound } from "./import-roots.js";

export const CONFIG_FILE_NAMES = [".mfdag.yml", ".mfdag.yaml", "mfdag.config.json"] as const;

/** `p` with `\` as `/`, `.` and `..` segments resolved lexically (`flows/../..` is `..`). */
const normalizedRepoPath = (p: string) => path.posix.normalize(p.replace(/\\/g, "/"));

/** The config file is PR content on pull requests: every string and list in it is bounded. */
const MAX_STRING = 4096;

/** Wildcards (`*`, `?`, `**` counting once) one path segment of an `ignore` glob may hold. */
const MAX_SEGMENT_WILDCARDS = 3;
/** `**` segments one glob may hold. */
const MAX_GLOBSTARS = 2;

/**
 * Why an `ignore` glob is refused, or `null`. picomatch turns a glob into a backtracking regex:
 * matching `*a*a*a*a*a*a*c` against a 60-character name takes seconds and each further `*`
 * multiplies it, and both the glob and the file names are a pull request's. A few wildcards per
 * segment keep every match polynomial of low degree in a name's length (at most 255 bytes).
 */
function globProblem(glob: string): string | null {
  const segments = glob.split("/");
  if (segments.filter((segment) => segment === "**").length > MAX_GLOBSTARS) return `use at most ${MAX_GLOBSTARS} '**' segments`;
  for (const segment of segments) {
    const wildcards = segment === "**" ? 1 : (segment.replace(/\*+/g, "*").match(/[*?]/g) ?? []).length;
    if (wildcards > MAX_SEGMENT_WILDCARDS) return `use at most ${MAX_SEGMENT_WILDCARDS} wildcards (* or ?) in one path segment ('${segment.slice(0, 40)}')`;
  }
  return null;
}

const ignoreGlob = z
  .string()
  .min(1)
  .max(256)
  .superRefine((glob, ctx) => {
    const problem = globProblem(glob);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

// Resolve first, then check: the check on the raw text let `flows/../..` (which is `..`) through.
const repoPath = z
  .string()
  .min(1)
  .max(MAX_STRING)
  .refine((p) => !path.posix.isAbsolute(p) && !path.win32.isAbsolute(p), "must be a path relative to the repo root")
  .refine((p) => {
    const normalized = normalizedRepoPath(p);
    return normalized !== ".." && !normalized.startsWith("../");
  }, "must stay inside the repo root")
  .transform(normalizedRepoPath);

/** A directory: a repo path without its trailing `/`. */
const repoDirectory = repoPath.transform((p) => p.replace(/\/+$/, "") || ".");

const flowEntry = z
  .object({
    flow: repoPath,
    definitions: repoPath.optional(),
    name: z.string().min(1).max(MAX_STRING).optional(),
    args: z.array(z.string().max(MAX_STRING)).max(100).default([]),
    /** metaflow's options before `dagster` (`--environment=conda`, `--datastore=s3`, `--branch b`); overrides the top-level `topArgs`. */
    topArgs: z.array(z.string().max(MAX_STRING)).max(100).optional(),
    cwd: repoPath.optional(),
  })
  .strict();

export const repoConfigSchema = z
  .object({
    compiler: z.enum(COMPILERS).optional(),
    python: z.string().min(1).max(MAX_STRING).optional(),
    failOn: z.enum(FAIL_ON).optional(),
    /** When a pull request's change of the committed Config classes or jobs fails it (policy.ts); default never. */
    failOnContract: z.enum(FAIL_ON_CONTRACT).optional(),
    timeout: z.number().positive().max(3600).optional(),
    concurrency: z.number().int().positive().max(256).optional(),
    maxFileBytes: z.number().int().positive().optional(),
    // Globs become regexes (picomatch): bounded in length and number, like every PR input.
    ignore: z.array(ignoreGlob).max(200).default([]),
    /** Which metaflow-dagster writes this repo's files (default: detected from the committed files). */
    generator: z.enum(GENERATOR_PROFILES).optional(),
    /** metaflow's options before `dagster` for every flow without its own `topArgs`. */
    topArgs: z.array(z.string().max(MAX_STRING)).max(100).default([]),
    flows: z.array(flowEntry).max(100_000).default([]),
    /**
     * Repo directories the flows' imports resolve from, in order, after the flow's own directory
     * (PYTHONPATH). Default: the root plus the package directories of pyproject.toml/setup.cfg.
     */
    importRoots: z.array(repoDirectory).min(1).max(MAX_IMPORT_ROOTS).optional(),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema> & {
  /**
   * Not a key of the file: what the repo's project files declare, read by loadRepoConfig where
   * the file sets no `importRoots` (settings.ts decides which one is used).
   */
  projectImportRoots?: ImportRootsFound;
};
export type FlowEntry = z.infer<typeof flowEntry>;

export const EMPTY_REPO_CONFIG: RepoConfig = repoConfigSchema.parse({});

/** Formats zod issues as `file: key.path: message` lines. */
function describeIssues(file: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
      return `${file}: ${key}: ${issue.message}`;
    })
    .join("\n");
}

/** Parses the text of a config file; `file` names it in errors. */
export function parseRepoConfig(file: string, text: string): RepoConfig {
  let raw: unknown;
  try {
    raw = file.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigurationError(`${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML"}: ${(error as Error).message}`);
  }
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigurationError(describeIssues(file, result.error));
  return result.data;
}
