/** Builds the engine's ports from resolved settings; shared by the CLI and the action. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { CONFIG_FILE_NAMES, EMPTY_REPO_CONFIG, parseRepoConfig, type RepoConfig } from "../core/config-file.js";
import { ConfigurationError } from "../core/errors.js";
import type { CheckPorts } from "../core/check.js";
import type { Logger } from "../core/ports.js";
import { createMetaflowCompiler } from "./metaflow-compiler.js";
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
}

export function createPorts(settings: PortSettings): CheckPorts {
  const timeoutMs = settings.timeoutSeconds * 1000;
  return {
    repo: createRepoReader(settings.root, { ignore: settings.ignore }),
    // The static pass handles every flow of the check in one process, so it gets a larger budget.
    analyzer: createStaticAnalyzer({ root: settings.root, python: settings.python, maxFileBytes: settings.maxFileBytes, timeoutMs: Math.max(timeoutMs, 300_000) }),
    metaflow: createMetaflowCompiler({ root: settings.root, python: settings.python, timeoutMs }),
    logger: settings.logger,
  };
}
