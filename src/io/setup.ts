/** Builds the engine's ports from resolved settings; shared by the CLI and the action. */
import { statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CONFIG_FILE_NAMES, EMPTY_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../core/config-file.js";
import { ConfigurationError } from "../core/errors.js";
import type { CheckPorts, Logger, MetaflowCompiler } from "../core/ports.js";
import { DEFAULT_SETTINGS, permitMetaflow, type Settings } from "../core/settings.js";
import { readFileInRepo } from "./bounded-read.js";
import { createForkServerCompiler } from "./fork-server.js";
import { readProjectImportRoots } from "./import-roots.js";
import { createRepoReader } from "./repo.js";
import { createStaticAnalyzer } from "./static-analyzer.js";

export const DEFAULTS = DEFAULT_SETTINGS;

/** A config file is a few kilobytes; anything near this is not one (and must not fill memory). */
const MAX_CONFIG_BYTES = 1_000_000;

/**
 * The directory to check: it must exist and be a directory, or the check would find nothing and
 * pass. `describe` names where it came from (`--root`, `Input 'root'`).
 */
export function checkedRoot(root: string, describe: string, hint = ""): string {
  let stat;
  try {
    stat = statSync(root);
  } catch {
    throw new ConfigurationError(`${describe}: ${root} does not exist${hint}.`);
  }
  if (!stat.isDirectory()) throw new ConfigurationError(`${describe}: ${root} is not a directory${hint}.`);
  return root;
}

/**
 * Reads a config file that may be a pull request's: a file in the repo is never read through a
 * symlink that leaves it (the link could point at a runner file and echo it in the parse error),
 * no file is waited on (a FIFO), and at most MAX_CONFIG_BYTES are read. `null` when there is no
 * such file.
 */
function readConfigText(file: string, root: string): string | null {
  const read = readFileInRepo(file, root, MAX_CONFIG_BYTES);
  if ("text" in read) return read.text;
  switch (read.error) {
    case "missing":
      return null;
    case "outside":
      throw new ConfigurationError(`Config file ${file} is a symbolic link to a file outside the repo; mfdag reads a config file in the repo only from the repo.`);
    case "not-a-file":
      throw new ConfigurationError(`Config file ${file} is not a regular file.`);
    case "too-large":
      throw new ConfigurationError(`Config file ${file} is ${read.size} bytes; a config file may have at most ${MAX_CONFIG_BYTES}.`);
    default:
      throw new ConfigurationError(`Config file ${file} cannot be read (${read.code}).`);
  }
}

/**
 * Reads the repo config: the file given explicitly (which must exist), else the first of
 * `.mfdag.yml`, `.mfdag.yaml`, `mfdag.config.json` in the root, else an empty config. Where it
 * sets no `importRoots`, the project files' package directories come with it.
 */
export async function loadRepoConfig(root: string, explicit: string | undefined): Promise<{ config: RepoConfig; file: string | null }> {
  const loaded = await loadConfigFile(root, explicit);
  if (loaded.config.importRoots) return loaded;
  return { ...loaded, config: { ...loaded.config, projectImportRoots: readProjectImportRoots(root) } };
}

async function loadConfigFile(root: string, explicit: string | undefined): Promise<{ config: RepoConfig; file: string | null }> {
  const candidates = explicit ? [path.resolve(explicit)] : CONFIG_FILE_NAMES.map((name) => path.join(root, name));
  for (const file of candidates) {
    // An explicit file is the workflow author's choice, but when it lies in the repo it is repo content too.
    const text = readConfigText(file, root);
    if (text === null) {
      if (explicit) throw new ConfigurationError(`Config file ${explicit} cannot be read (ENOENT).`);
      continue;
    }
    const name = path.relative(process.cwd(), file) || file;
    return { config: parseRepoConfig(name, text), file: name };
  }
  return { config: EMPTY_REPO_CONFIG, file: null };
}

export interface PortSettings {
  root: string;
  python: string;
  timeoutSeconds: number;
  maxFileBytes: number;
  ignore: readonly string[];
  logger: Logger;
  /** Real compiles at once (children of the fork server). */
  concurrency: number;
  /** Why the metaflow compiler must not run here (Settings.metaflowForbidden), or `null`. */
  metaflowForbidden: string | null;
  /** Repo-relative directories on the compiles' import path after the flow's own (Settings.importRoots); default the root. */
  importRoots?: readonly string[];
}

/** The ports' part of resolved settings, for the repo at `root`: the CLI and the action both open their ports so. */
export function portSettingsOf(root: string, settings: Settings, logger: Logger): PortSettings {
  const { python, timeoutSeconds, maxFileBytes, ignore, concurrency, metaflowForbidden, importRoots } = settings;
  return { root, python, timeoutSeconds, maxFileBytes, ignore, logger, concurrency, metaflowForbidden, importRoots };
}

/**
 * The metaflow port where the compiler must not run: it says it is unavailable and refuses, and
 * starts no Python, so no code path can reach the real compiler by forgetting a check.
 */
function forbiddenMetaflow(why: string): MetaflowCompiler & { close(): Promise<void> } {
  const refuse = (purpose?: string): never => {
    permitMetaflow({ metaflowForbidden: why }, purpose ?? "This check");
    throw new ConfigurationError(why);
  };
  return {
    async isAvailable() {
      return false;
    },
    async ensureAvailable(purpose) {
      refuse(purpose);
    },
    async compile() {
      return refuse();
    },
    async close() {},
  };
}

/** The ports plus `close()`, which stops the long-lived Python processes behind them. */
export type OpenPorts = CheckPorts & { close(): Promise<void> };

export function createPorts(settings: PortSettings): OpenPorts {
  const timeoutMs = settings.timeoutSeconds * 1000;
  // A silence deadline: a healthy server writes progress while it works, and each flow has its
  // own budget inside it; only a server that says nothing this long is taken as stuck.
  const analyzer = createStaticAnalyzer({
    root: settings.root,
    python: settings.python,
    maxFileBytes: settings.maxFileBytes,
    timeoutMs: Math.max(timeoutMs, 300_000),
    processes: Math.min(settings.concurrency, os.availableParallelism()),
    importRoots: settings.importRoots ?? ["."],
  });
  // One Python imports metaflow once and forks a child per flow (one process per flow where
  // fork is unavailable).
  // MFDAG_NO_FORK_SERVER=1 is the escape hatch for interpreters the fork server cannot preload.
  const metaflow = settings.metaflowForbidden
    ? forbiddenMetaflow(settings.metaflowForbidden)
    : createForkServerCompiler({
        permit: permitMetaflow(settings, "The metaflow compiler"),
    root: settings.root,
    python: settings.python,
    timeoutMs,
    concurrency: settings.concurrency,
    importRoots: settings.importRoots ?? ["."],
    ...(process.env.MFDAG_NO_FORK_SERVER ? { fork: false } : {}),
  });
  return {
    repo: createRepoReader(settings.root, { ignore: settings.ignore }),
    analyzer,
    metaflow,
    logger: settings.logger,
    async close() {
      await Promise.all([analyzer.close(), metaflow.close()]);
    },
  };
}
