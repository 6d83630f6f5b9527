/** `mfdag fix`: regenerates the stale definitions files with the real compiler, in place or as a patch. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { CliCommand } from "../cli-args.js";
import { check } from "../core/check.js";
import { ConfigurationError } from "../core/errors.js";
import { repoRelative } from "../core/inspect.js";
import { permitMetaflow } from "../core/settings.js";
import { fixStaleDefinitions } from "../io/fix-pipeline.js";
import { openRepo, withPorts } from "./repo.js";
import { EXIT, terminalRenderer, write } from "./terminal.js";

export async function fixCommand({ options }: CliCommand): Promise<number> {
  const repo = await openRepo(options, null);
  const { root, portSettings } = repo;
  // Refuse before starting anything: fix exists to run the real compiler.
  const permit = permitMetaflow(repo.settings, "mfdag fix");
  return withPorts(repo, async (ports) => {
    // Regenerating needs the real compiler; refuse before looking at anything else.
    await ports.metaflow.ensureAvailable("mfdag fix regenerates files with the real compiler, so it");
    const only = options.flow?.map((file) => repoRelative(root, file)) ?? null;
    const report = await check({ compiler: "auto", failOn: "never", concurrency: portSettings.concurrency, maxFileBytes: portSettings.maxFileBytes, config: repo.config, generator: repo.settings.generator, allowEmpty: options["allow-empty"] ?? false }, ports);
    const unknown = only?.filter((file) => !report.flows.some((flow) => flow.flowFile === file)) ?? [];
    if (unknown.length > 0) throw new ConfigurationError(`--flow: ${unknown.join(", ")} is not a flow file that mfdag found under ${root} (see mfdag list).`);
    const { outcomes, patch, patchedFiles, otherGenerators } = await fixStaleDefinitions(
      report,
      only,
      { root, python: portSettings.python, timeoutMs: portSettings.timeoutSeconds * 1000, permit, importRoots: repo.settings.importRoots },
      options.patch ? { to: "patch", prefix: "" } : { to: "tree" },
    );
    if (options.patch && patchedFiles > 0) await writeFile(path.resolve(options.patch), patch);
    write(terminalRenderer(options).render("fix.txt.njk", { outcomes, patch: options.patch ?? null, written: patchedFiles, skipped: report.flows.filter((flow) => flow.status === "error"), otherGenerators }));
    return outcomes.some((outcome) => outcome.error) ? EXIT.policy : EXIT.ok;
  });
}
