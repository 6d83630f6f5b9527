/**
 * The repository a command works on: its root, its config file, the settings resolved from flags >
 * config file > defaults by the run's trust, and the ports that read it and run the compilers.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { defaultConcurrency, type CliOptions } from "../cli-args.js";
import type { RepoConfig } from "../core/config-file.js";
import { resolveSettings, UNTRUSTED_BY_FLAG, type Settings } from "../core/settings.js";
import { trustFromEnvironment } from "../io/github-event.js";
import { checkedRoot, createPorts, loadRepoConfig, portSettingsOf, type OpenPorts, type PortSettings } from "../io/setup.js";
import { terminalLogger } from "./terminal.js";

export interface CliRepo {
  root: string;
  config: RepoConfig;
  settings: Settings;
  portSettings: PortSettings;
}

/** The git work tree containing `dir`, else `dir` itself: imports resolve inside the repo. */
function defaultRoot(dir: string): string {
  try {
    return execFileSync("git", ["-C", dir, "rev-parse", "--show-toplevel"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 }).trim() || dir;
  } catch {
    return dir;
  }
}

/** The repo of `--root`, else of the current directory (of `flowFile` for `mfdag config`); prints the settings' notices. */
export async function openRepo(options: CliOptions, flowFile: string | null): Promise<CliRepo> {
  // Without --root, the repo's top level: checking only the current directory would hide the
  // drift of the rest of the repo. The text and JSON reports name the root that was checked.
  const root = options.root
    ? checkedRoot(path.resolve(options.root), "--root")
    : checkedRoot(defaultRoot(flowFile ? path.dirname(path.resolve(flowFile)) : process.cwd()), "The root");
  const { config, file: configFile } = await loadRepoConfig(root, options.config);
  const settings = resolveSettings({
    explicit: { compiler: options.compiler, python: options.python, failOn: options["fail-on"], timeout: options.timeout, concurrency: options.concurrency, generator: options.generator },
    config,
    configFile,
    trust: options.untrusted ? UNTRUSTED_BY_FLAG : trustFromEnvironment(),
    defaultConcurrency: defaultConcurrency(),
    explicitName: (setting) => `--${setting}`,
  });
  for (const notice of settings.notices) terminalLogger.warning(notice);
  return { root, config, settings, portSettings: portSettingsOf(root, settings, terminalLogger) };
}

/** Runs `work` with the repo's ports, and always stops their Python processes. */
export async function withPorts<T>(repo: CliRepo, work: (ports: OpenPorts) => Promise<T>): Promise<T> {
  const ports = createPorts(repo.portSettings);
  try {
    return await work(ports);
  } finally {
    await ports.close();
  }
}
