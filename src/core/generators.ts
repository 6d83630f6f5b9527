/**
 * The metaflow-dagster versions we know, and which one wrote a definitions file.
 *
 * A definitions file carries its generator's fingerprint: `template_sha` (sha256, 16 hex, of the
 * docstring and preamble with every value replaced, as the corpus's `extract.py` computes it) and
 * the names of the upper-case constants and `_helper` functions its preamble defines, in file
 * order. The table below is the one place that says what each version writes; an upgrade edits it
 * here and nowhere else.
 *
 * Every row was measured, not read from a changelog: `git archive TAG` of npow/metaflow-dagster,
 * `python3 FLOW.py [TOPARGS] dagster create OUT.py [ARGS]` with metaflow 2.19.38 on all 48 flows of
 * `__tests__/fixtures/corpus-definitions/flows/` (PYTHONHASHSEED 0, 1 and 4242), and `extract.py`
 * on each output. For every version the sha and both name lists were the same for every flow it
 * compiled and for every hash seed: they depend on the version alone.
 */

import { DEFAULT_GENERATOR, GENERATOR_PROFILES, type GeneratorProfile } from "./job-model.js";

// The profiles (the versions whose output the static compiler predicts) and the default are declared
// with the job model, which the config file's `generator` setting also reads; re-exported here so
// version questions have one module to ask.
export { DEFAULT_GENERATOR, GENERATOR_PROFILES, type GeneratorProfile };

export interface GeneratorVersion {
  /** What we call it in messages: the release number, or `main@<commit>` for the main branch. */
  version: string;
  /** The git ref measured in npow/metaflow-dagster. */
  ref: string;
  /** The commit that ref pointed to when measured. */
  commit: string;
  templateSha: string;
  /** Upper-case constants of the preamble, in file order. */
  constants: readonly string[];
  /** `_helper` functions of the preamble, in file order. */
  helpers: readonly string[];
  /** The profile that predicts its output, or null: we recognise it but do not predict it. */
  profile: GeneratorProfile | null;
  /** What it writes differently from the next version, and what it refuses (measured). */
  notes: string;
}

const NAMES = {
  v010Constants: ["FLOW_FILE", "FLOW_NAME", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV"],
  v020Constants: ["FLOW_FILE", "FLOW_NAME", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV", "STEP_DECORATOR_SPECS", "STEP_MAX_USER_CODE_RETRIES", "STEP_WITH_DECORATORS"],
  v010Helpers: ["_make_run_id", "_build_env", "_run_cmd", "_run_init", "_run_step", "_get_foreach_splits", "_add_step_metadata"],
  v031Helpers: ["_make_run_id", "_build_env", "_communicate", "_run_cmd", "_run_init", "_run_step", "_get_foreach_splits", "_add_step_metadata"],
  v035Helpers: [
    "_make_run_id",
    "_build_env",
    "_communicate",
    "_run_cmd",
    "_run_init",
    "_get_ds_root",
    "_ensure_code_package",
    "_run_step",
    "_get_foreach_splits",
    "_get_condition_branch",
    "_add_step_metadata",
  ],
} as const;

/**
 * Newest first. The order is the tie rule: when several rows match a file equally (the same
 * template text, or the same names), the first one wins, so the newest of them is named and the
 * others are listed as `alike`. The file cannot tell them apart, and the newest is the likelier
 * install of versions that write the same thing.
 *
 * Rows that match alike (measured): v0.2.0 and v0.3.0 write the same template (same sha, the same
 * model for every flow: only the CLI and the deployer changed between them); v0.3.1, v0.3.2 and
 * v0.3.3 define the same names (their shas differ).
 */
export const GENERATOR_VERSIONS: readonly GeneratorVersion[] = [
  {
    version: "main@af05540",
    ref: "af05540",
    commit: "af055404dd3f16d6e211f655056d50be4495ffaf",
    templateSha: "f72b22ed8fb8b990",
    constants: ["FLOW_FILE", "FLOW_NAME", "ORIGIN_RUN_ID", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV", "STEP_WITH_DECORATORS", "STEP_CONDA_ENV_IDS"],
    helpers: [
      "_bootstrap_conda_envs",
      "_get_conda_interpreter",
      "_make_run_id",
      "_build_env",
      "_communicate",
      "_run_cmd",
      "_run_init",
      "_get_ds_root",
      "_run_step",
      "_get_foreach_splits",
      "_get_condition_branch",
      "_add_step_metadata",
    ],
    profile: "main",
    notes:
      "The main branch (its pyproject still says 0.3.7). No STEP_DECORATOR_SPECS and no _ensure_code_package; " +
      "a multi-body foreach is one op_<step>__body (g09: 4 ops where v0.3.7 writes 6); @catch, @secrets, @conda and " +
      "@kubernetes specs are forwarded in STEP_WITH_DECORATORS (v0.3.7: empty lists). Compiled 42 of 48 flows, as v0.3.7.",
  },
  {
    version: "0.3.7",
    ref: "v0.3.7",
    commit: "679ff4b9d5b0a7d40c249876194b9b6b90a425d5",
    templateSha: "5e8226641a97559d",
    constants: [
      "FLOW_FILE",
      "FLOW_NAME",
      "ORIGIN_RUN_ID",
      "METAFLOW_TOP_ARGS",
      "METAFLOW_STEP_ENV",
      "STEP_DECORATOR_SPECS",
      "STEP_WITH_DECORATORS",
      "STEP_CONDA_ENV_IDS",
    ],
    helpers: ["_bootstrap_conda_envs", "_get_conda_interpreter", ...NAMES.v035Helpers],
    profile: "0.3.7",
    notes:
      "The released package. Adds STEP_CONDA_ENV_IDS (ids change on every run, even with one hash seed) and " +
      "the flow config value (METAFLOW_FLOW_CONFIG_VALUE). Refuses the corpus's e01, e02, e04, e06, d08, d10; compiled 42 of 48.",
  },
  {
    version: "0.3.6",
    ref: "v0.3.6",
    commit: "b271bae11b12d171f25341a377687071187dd927",
    templateSha: "df779670e24c7aa2",
    constants: ["FLOW_FILE", "FLOW_NAME", "ORIGIN_RUN_ID", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV", "STEP_DECORATOR_SPECS", "STEP_WITH_DECORATORS"],
    helpers: NAMES.v035Helpers,
    profile: null,
    notes:
      "Adds ORIGIN_RUN_ID, sensors (@trigger, @trigger_on_finish) and forwards @resources in STEP_WITH_DECORATORS. " +
      "Against v0.3.7 its models differ only in step_conda_env_ids (no constant) and flow_config_value (f13_config). Compiled 42 of 48.",
  },
  {
    version: "0.3.5",
    ref: "v0.3.5",
    commit: "30e2931f0dda47b1fd1f8228397c996f7f784994",
    templateSha: "d5ce66c346285dd5",
    constants: ["FLOW_FILE", "FLOW_NAME", "METAFLOW_TOP_ARGS", "METAFLOW_STEP_ENV", "STEP_DECORATOR_SPECS", "STEP_WITH_DECORATORS"],
    helpers: NAMES.v035Helpers,
    profile: null,
    notes:
      "Adds switches (split-switch at start and mid-flow) and literal max_user_code_retries per run (no " +
      "STEP_MAX_USER_CODE_RETRIES); a dict Config field is typed dict. Definitions has no sensors; @resources and " +
      "--with resources are not forwarded (empty STEP_WITH_DECORATORS lists). Refuses @trigger and @trigger_on_finish " +
      "('Dagster error: @trigger is not supported with Dagster deployments.'). Compiled 39 of 48.",
  },
  {
    version: "0.3.3",
    ref: "v0.3.3",
    commit: "4e64ffd1dcb918190267900a990f218fc6d7c8ce",
    templateSha: "fbf372f31cc07107",
    constants: NAMES.v020Constants,
    helpers: NAMES.v031Helpers,
    profile: null,
    notes:
      "Same names as v0.3.1 and v0.3.2 (by names it is reported as 0.3.3); template text adds `import atexit` and " +
      "module-level imports. Same models as v0.3.0. Compiled 34 of 48.",
  },
  {
    version: "0.3.2",
    ref: "v0.3.2",
    commit: "d7ae38c55db3c36ed9cda0687a62eed2c68a1b2d",
    templateSha: "001cd4ee4bf72d2c",
    constants: NAMES.v020Constants,
    helpers: NAMES.v031Helpers,
    profile: null,
    notes: "Same names as v0.3.1; template text keeps the code package's local path (@sandbox). Same models as v0.3.0. Compiled 34 of 48.",
  },
  {
    version: "0.3.1",
    ref: "v0.3.1",
    commit: "f1b8479de714bee5e3953ed8ee6740016149dda1",
    templateSha: "755c5e630aee0569",
    constants: NAMES.v020Constants,
    helpers: NAMES.v031Helpers,
    profile: null,
    notes: "Adds the _communicate helper (a step's subprocess is killed when the op is). Same models as v0.3.0. Compiled 34 of 48.",
  },
  {
    version: "0.3.0",
    ref: "v0.3.0",
    commit: "c6489b850889e5093d1d3f5a6f00af93c2bbcfbd",
    templateSha: "c503e523cf7453e4",
    constants: NAMES.v020Constants,
    helpers: NAMES.v010Helpers,
    profile: null,
    notes:
      "Writes exactly what v0.2.0 writes (same sha; by sha or names it is reported as 0.3.0). Retries come from " +
      "STEP_MAX_USER_CODE_RETRIES (not a literal per run); a dict Config field is typed str. Refuses switches " +
      "(NotImplementedError: start step with type 'split-switch'; Unsupported node type: 'split-switch'), @trigger " +
      "and @trigger_on_finish. Compiled 34 of 48.",
  },
  {
    version: "0.2.0",
    ref: "v0.2.0",
    commit: "275ef2fafa465017cbe2b3e5c584e11d4f09673b",
    templateSha: "c503e523cf7453e4",
    constants: NAMES.v020Constants,
    helpers: NAMES.v010Helpers,
    profile: null,
    notes: "Adds STEP_DECORATOR_SPECS, STEP_WITH_DECORATORS, STEP_MAX_USER_CODE_RETRIES and run tags. Same template as v0.3.0.",
  },
  {
    version: "0.1.0",
    ref: "v0.1.0",
    commit: "ce54665512f52b33775fd8e1c0fde53c9ba48e0b",
    templateSha: "96bd0e25b73b6942",
    constants: NAMES.v010Constants,
    helpers: NAMES.v010Helpers,
    profile: null,
    notes:
      "No forwarded decorators, no run tags or retries per run; a nested foreach and decorated compound ops are " +
      "more ops (g07: 7 where later versions write 5). Refuses what v0.3.0 refuses. Compiled 34 of 48.",
  },
];

/** What a definitions file says about its generator (`template_sha`, `template_constants`, `template_helpers`). */
export interface GeneratorFingerprint {
  templateSha: string | null;
  constants: readonly string[];
  helpers: readonly string[];
}

export interface GeneratorIdentification {
  /** The table's version label, or null when nothing matched. */
  version: string | null;
  profile: GeneratorProfile | null;
  /** `template`: the template text is a known version's; `markers`: only the names are (a hand-edited file, a fixture writer's file). */
  how: "template" | "markers" | "unknown";
  /** Other versions that match the same way (the file cannot tell them from `version`). */
  alike: string[];
}

const sameNames = (fileNames: ReadonlySet<string>, known: readonly string[]): boolean =>
  fileNames.size === new Set(known).size && known.every((name) => fileNames.has(name));

const identified = (how: "template" | "markers", rows: readonly GeneratorVersion[]): GeneratorIdentification => ({
  version: rows[0]!.version,
  profile: rows[0]!.profile,
  how,
  alike: rows.slice(1).map((row) => row.version),
});

/**
 * Which known version wrote a file: the exact template first, else the version whose constant
 * names and helper names (as sets) are the file's; ties go to the newest (see GENERATOR_VERSIONS).
 */
export function identifyGenerator(fingerprint: GeneratorFingerprint): GeneratorIdentification {
  const bySha = GENERATOR_VERSIONS.filter((row) => fingerprint.templateSha !== null && row.templateSha === fingerprint.templateSha);
  if (bySha.length > 0) return identified("template", bySha);
  const constants = new Set(fingerprint.constants);
  const helpers = new Set(fingerprint.helpers);
  const byMarkers = GENERATOR_VERSIONS.filter((row) => sameNames(constants, row.constants) && sameNames(helpers, row.helpers));
  if (byMarkers.length > 0) return identified("markers", byMarkers);
  return { version: null, profile: null, how: "unknown", alike: [] };
}

/**
 * The profile a repo uses, read from its committed files: the one profile every file was
 * identified as, else the default (no files, an unknown file, a version we do not predict, or a mix).
 */
export function detectRepoGenerator(fingerprints: readonly GeneratorFingerprint[]): GeneratorProfile {
  let agreed: GeneratorProfile | null = null;
  for (const fingerprint of fingerprints) {
    const { profile } = identifyGenerator(fingerprint);
    if (profile === null || (agreed !== null && profile !== agreed)) return DEFAULT_GENERATOR;
    agreed = profile;
  }
  return agreed ?? DEFAULT_GENERATOR;
}

/** The version label of a profile, as messages name it ("0.3.7", "main@af05540"). */
export function profileVersion(profile: GeneratorProfile): string {
  return GENERATOR_VERSIONS.find((row) => row.profile === profile)!.version;
}

/** One line for a file made by another version: "made by metaflow-dagster 0.3.5; this repo uses 0.3.7". */
export function describeGenerator(made: GeneratorIdentification | string | null, uses: GeneratorProfile = DEFAULT_GENERATOR): string {
  const identification = typeof made === "string" || made === null ? { version: made, alike: [] as string[] } : made;
  const maker =
    identification.version === null
      ? "an unknown metaflow-dagster version"
      : `metaflow-dagster ${identification.version}` +
        (identification.alike.length > 0 ? ` (or ${identification.alike.join(", ")}: the file does not tell them apart)` : "");
  return `made by ${maker}; this repo uses ${profileVersion(uses)}`;
}
