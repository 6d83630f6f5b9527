/** Builds the engine's ports from resolved settings; shared by the CLI and the action. */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CONFIG_FILE_NAMES, EMPTY_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../core/config-file.js";
import { ConfigurationError } from "../core/errors.js";
import type { CheckPorts } from "../core/check.js";
import type { Logger } from "../core/ports.js";
import { createForkServerCompiler } from "./fork-server.js";
import { createRepoReader } from "./repo.js";
import { createStaticAnalyzer } from "./static-analyzer.js";

export const DEFAULTS = {
  python: "python3",
  timeoutSeconds: 120,
  maxFileBytes: 2_000_000,
} as const;

/**
 * Reads the repo config: the file given explicitly (which must exist), else the first of
 * `.mfdag.yml`, `.mfdag.yaml`, `mfdag.config.json` in the root, else an empty config.
 */
export async function loadRepoConfig(root: string, explicit: string | undefined): Promise<{ config: RepoConfig; file: string | null }> {
  const candidates = explicit ? [path.resolve(explicit)] : CONFIG_FILE_NAMES.map((name) => path.join(root, name));
  for (const file of candidates) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if (explicit) throw new ConfigurationError(`Config file ${explicit} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
      continue;
    }
    return { config: parseRepoConfig(path.relative(process.cwd(), file) || file, text), file };
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
}

/** The ports plus `close()`, which stops the long-lived Python processes behind them. */
export type OpenPorts = CheckPorts & { close(): Promise<void> };

export function createPorts(settings: PortSettings): OpenPorts {
  const timeoutMs = settings.timeoutSeconds * 1000;
  // A request covers every flow of the check, so it gets a larger budget than one compile.
  const analyzer = createStaticAnalyzer({
    root: settings.root,
    python: settings.python,
    maxFileBytes: settings.maxFileBytes,
    timeoutMs: Math.max(timeoutMs, 300_000),
    processes: Math.min(settings.concurrency, os.availableParallelism()),
  });
  // One Python imports metaflow once and forks a child per flow (one process per flow where
  // fork is unavailable).
  // MFDAG_NO_FORK_SERVER=1 is the escape hatch for interpreters the fork server cannot preload.
  const metaflow = createForkServerCompiler({
    root: settings.root,
    python: settings.python,
    timeoutMs,
    concurrency: settings.concurrency,
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
