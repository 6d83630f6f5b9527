/** `mfdag config FLOW_FILE`: the Config class and the job the compiler makes of one flow file. */
import { DEFAULT_GENERATOR } from "../core/job-model.js";
import { statSync } from "node:fs";
import type { CliCommand } from "../cli-args.js";
import { ConfigurationError } from "../core/errors.js";
import { configOf, repoRelative } from "../core/inspect.js";
import { jobGraphOf } from "../core/job-graph.js";
import type { JobModel } from "../core/job-model.js";
import type { CompiledConfig } from "../core/types.js";
import { neutralizeWorkflowCommands } from "../render/index.js";
import { mermaidOf } from "../render/mermaid.js";
import { openRepo, withPorts } from "./repo.js";
import { EXIT, terminalRenderer, write } from "./terminal.js";

/** A file that is not there is a missing input (exit 2), not a broken flow. */
function existingFlowFile(file: string): string {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw new ConfigurationError(`${file} does not exist; pass the path of a flow file.`);
  }
  if (!stat.isFile()) throw new ConfigurationError(`${file} is not a file; pass the path of a flow file.`);
  return file;
}

/**
 * The job the compiler predicts. TODO(integration): the job-static branch adds `jobModel` to the
 * compile result (static-protocol.ts); read it from the type then, not through this cast.
 */
function jobModelOf(result: CompiledConfig): JobModel | null {
  return result.jobModel ?? null;
}

export async function configCommand({ options, positionals }: CliCommand): Promise<number> {
  const flowFile = existingFlowFile(positionals[0]!);
  const repo = await openRepo(options, flowFile);
  return withPorts(repo, async (ports) => {
    const result = await configOf(repoRelative(repo.root, flowFile), repo.settings.compiler, ports, repo.config, repo.settings.generator ?? DEFAULT_GENERATOR);
    if (options.format === "json") {
      const { flowFile, flowClass, job, compiler: used, exact, reason, error, configClass, parameters } = result;
      write(JSON.stringify({ flowFile, flowClass, job, compiler: used, exact, reason, error, configClass, parameters, jobModel: jobModelOf(result) }, null, 2) + "\n");
    } else if (options.format === "mermaid") {
      const model = jobModelOf(result);
      if (result.error) throw new ConfigurationError(`${flowFile}: ${result.error}`);
      if (!model) throw new ConfigurationError(`${flowFile}: the ${result.compiler} compiler did not predict the job${result.reason ? ` (${result.reason})` : ""}, so there is no diagram to draw.`);
      write(neutralizeWorkflowCommands(mermaidOf(jobGraphOf(model, null))) + "\n");
    } else {
      write(terminalRenderer(options).render("config.txt.njk", { result }));
    }
    return result.error ? EXIT.policy : EXIT.ok;
  });
}
