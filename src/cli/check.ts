/** `mfdag check`: the committed definitions against the flows, as a report and a verdict. */
import type { CliCommand } from "../cli-args.js";
import { check } from "../core/check.js";
import { parseShard } from "../core/shard.js";
import { openRepo, withPorts } from "./repo.js";
import { writeReport } from "./terminal.js";

export async function checkCommand({ options }: CliCommand): Promise<number> {
  const repo = await openRepo(options, null);
  const { settings, portSettings } = repo;
  return withPorts(repo, async (ports) => {
    const started = performance.now();
    const report = await check(
      {
        compiler: settings.compiler,
        failOn: settings.failOn,
        generator: settings.generator,
        concurrency: portSettings.concurrency,
        maxFileBytes: portSettings.maxFileBytes,
        config: repo.config,
        allowEmpty: options["allow-empty"] ?? false,
        ...(options.shard ? { shard: parseShard(options.shard) } : {}),
      },
      ports,
    );
    return writeReport(report, options, (performance.now() - started) / 1000);
  });
}
