/**
 * One settings resolver for the CLI and the action: explicit settings (command-line options or
 * workflow inputs) > the repo's config file > defaults, with the rules for untrusted events.
 *
 * The config file is repo content, so on a pull request it is the PR author's. Settings that run
 * programs (`python`) or raise the bounds meant to contain hostile input (`maxFileBytes`,
 * `timeout`, `concurrency`) are taken from it only where its content is trusted; on untrusted
 * events they are ignored with a notice naming them. SECURITY.md has the table.
 */
import { ConfigurationError } from "./errors.js";
import type { RepoConfig } from "./config-file.js";
import type { GeneratorProfile } from "./job-model.js";
import type { CompilerChoice, FailOn, FailOnContract } from "./types.js";

export const DEFAULT_SETTINGS = {
  python: "python3",
  timeoutSeconds: 120,
  maxFileBytes: 2_000_000,
} as const;

/** Config-file keys that only the workflow author may set on untrusted events (SECURITY.md). */
export const TRUSTED_ONLY_CONFIG_KEYS = ["python", "maxFileBytes", "timeout", "concurrency"] as const;
type TrustedOnlyKey = (typeof TRUSTED_ONLY_CONFIG_KEYS)[number];

/**
 * What the event that started mfdag lets it trust. `untrustedContent`: the checked-out files (the
 * config file included) may be a pull request author's. `metaflowForbidden`: why the metaflow
 * compiler, which imports and runs the flow files, must not run at all (the token can write and
 * the code may be a PR's), or `null` where it may.
 */
export interface Trust {
  event: string | null;
  untrustedContent: boolean;
  metaflowForbidden: string | null;
}

export const TRUSTED: Trust = { event: null, untrustedContent: false, metaflowForbidden: null };

/** Events whose checkout is (or may be) a pull request's head. */
const PULL_REQUEST_EVENTS = new Set(["pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"]);

const WRITE_TOKEN_WHY = (event: string) =>
  `on ${event} the token can write to the repository and the checkout may be a pull request's code, which the metaflow compiler would run`;

/**
 * Classifies a GitHub event. `payload` is the event's JSON (only a few fields are read: it tells
 * whether an `issue_comment` is on a pull request, and what started a `workflow_run`); `null`
 * when it could not be read, and then those two events are taken as untrusted.
 */
export function trustOfEvent(event: string, payload: unknown): Trust {
  if (payload === null && (event === "issue_comment" || event === "workflow_run")) {
    return { event, untrustedContent: true, metaflowForbidden: WRITE_TOKEN_WHY(`${event} (its payload could not be read)`) };
  }
  const p = (payload ?? {}) as { issue?: { pull_request?: unknown }; workflow_run?: { event?: unknown } };
  if (event === "pull_request_target") return { event, untrustedContent: true, metaflowForbidden: WRITE_TOKEN_WHY(event) };
  // pull_request from a fork gets a read-only token and no secrets: the metaflow compiler may run
  // there (it is the PR's own CI), but the PR's config file must not widen mfdag's bounds.
  if (PULL_REQUEST_EVENTS.has(event)) return { event, untrustedContent: true, metaflowForbidden: null };
  if (event === "issue_comment" && p.issue?.pull_request) return { event, untrustedContent: true, metaflowForbidden: WRITE_TOKEN_WHY(`${event} on a pull request`) };
  if (event === "workflow_run" && typeof p.workflow_run?.event === "string" && PULL_REQUEST_EVENTS.has(p.workflow_run.event)) {
    return { event, untrustedContent: true, metaflowForbidden: WRITE_TOKEN_WHY(`workflow_run of a ${p.workflow_run.event} run`) };
  }
  return { event, untrustedContent: false, metaflowForbidden: null };
}

/** `--untrusted` on the command line: for CI systems mfdag cannot classify itself. */
export const UNTRUSTED_BY_FLAG: Trust = {
  event: null,
  untrustedContent: true,
  metaflowForbidden: "--untrusted was given: the checked-out code is not trusted, and the metaflow compiler would run it",
};

/** Settings given explicitly: command-line options or workflow inputs. */
export interface ExplicitSettings {
  compiler?: CompilerChoice | undefined;
  python?: string | undefined;
  failOn?: FailOn | undefined;
  failOnContract?: FailOnContract | undefined;
  timeout?: number | undefined;
  concurrency?: number | undefined;
  generator?: GeneratorProfile | undefined;
}

export interface Settings {
  compiler: CompilerChoice;
  python: string;
  failOn: FailOn;
  /** The contract gate on pull requests (policy.ts `judgeContract`). */
  failOnContract: FailOnContract;
  timeoutSeconds: number;
  concurrency: number;
  maxFileBytes: number;
  ignore: readonly string[];
  /** The metaflow-dagster whose output is predicted; `null`: detect it from the committed files. */
  generator: GeneratorProfile | null;
  /** Repo-relative directories the flows' imports resolve from, after the flow's own (PYTHONPATH, in order). */
  importRoots: readonly string[];
  /** Why the metaflow compiler must not run, or `null` (see Trust). */
  metaflowForbidden: string | null;
  /** What the resolver decided that the user should see (ignored keys, a narrowed compiler). */
  notices: string[];
}

export interface ResolveInput {
  explicit: ExplicitSettings;
  config: RepoConfig;
  /** The config file's name, for notices; `null` when there is none. */
  configFile: string | null;
  trust: Trust;
  defaultConcurrency: number;
  /** An audit reports; it fails the workflow for drift only when fail-on is given explicitly. */
  audit?: boolean;
  /** How the user names an explicit setting in messages: `--compiler` or `Input 'compiler'`. */
  explicitName: (setting: "compiler") => string;
}

export function resolveSettings(input: ResolveInput): Settings {
  const { explicit, config, trust } = input;
  const notices: string[] = [];
  const ignored = trust.untrustedContent ? TRUSTED_ONLY_CONFIG_KEYS.filter((key) => config[key] !== undefined) : [];
  if (ignored.length > 0) {
    notices.push(
      `${input.configFile ?? "The config file"}: ${ignored.join(", ")} ignored on ${trust.event ?? "this untrusted run"}: the config file may be a pull request's, and these settings run programs or raise mfdag's bounds. Set them in the workflow instead (SECURITY.md).`,
    );
  }
  const fromConfig = <K extends TrustedOnlyKey>(key: K): RepoConfig[K] | undefined => (ignored.includes(key) ? undefined : config[key]);

  let compiler: CompilerChoice = explicit.compiler ?? config.compiler ?? "auto";
  if (trust.metaflowForbidden) {
    if (compiler === "metaflow" && explicit.compiler === "metaflow") {
      throw new ConfigurationError(
        `${input.explicitName("compiler")}: metaflow runs the flow files, and ${trust.metaflowForbidden}. Use compiler static, or the workflow_run pattern (README, "Pull requests from forks").`,
      );
    }
    if (compiler !== "static") {
      notices.push(`${trust.event ?? "untrusted run"}: mfdag uses only the static compiler, which never runs the flows (see SECURITY.md).`);
      compiler = "static";
    }
  }

  // The config file's list wins whole; else the root and the project files' package directories.
  const importRoots = config.importRoots ?? config.projectImportRoots?.roots ?? ["."];
  if (!config.importRoots) notices.push(...(config.projectImportRoots?.notices ?? []));

  return {
    compiler,
    python: explicit.python ?? fromConfig("python") ?? DEFAULT_SETTINGS.python,
    failOn: explicit.failOn ?? (input.audit ? "never" : (config.failOn ?? "type-change")),
    failOnContract: explicit.failOnContract ?? config.failOnContract ?? "never",
    timeoutSeconds: explicit.timeout ?? fromConfig("timeout") ?? DEFAULT_SETTINGS.timeoutSeconds,
    concurrency: explicit.concurrency ?? fromConfig("concurrency") ?? input.defaultConcurrency,
    maxFileBytes: fromConfig("maxFileBytes") ?? DEFAULT_SETTINGS.maxFileBytes,
    ignore: config.ignore,
    generator: explicit.generator ?? config.generator ?? null,
    importRoots,
    metaflowForbidden: trust.metaflowForbidden,
    notices,
  };
}

declare const permitBrand: unique symbol;

/**
 * Proof that the metaflow compiler may run here. Every path that can start it (check, config,
 * fix, upload-patch, audit) needs one, and `permitMetaflow` is the only way to get one: the guard
 * is this one function, not a check repeated at each call site.
 */
export interface MetaflowPermit {
  readonly [permitBrand]: true;
}

/** A permit, or a ConfigurationError saying why `purpose` cannot run the metaflow compiler here. */
export function permitMetaflow(settings: Pick<Settings, "metaflowForbidden">, purpose: string): MetaflowPermit {
  if (settings.metaflowForbidden) throw new ConfigurationError(`${purpose} needs the metaflow compiler, which runs the flow files, and ${settings.metaflowForbidden}. See SECURITY.md.`);
  return {} as MetaflowPermit;
}
