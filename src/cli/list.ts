/** `mfdag list`: the flows and definitions files mfdag finds, and how it pairs them. */
import type { CliCommand } from "../cli-args.js";
import { listRepo } from "../core/inspect.js";
import { openRepo, withPorts } from "./repo.js";
import { EXIT, terminalRenderer, write } from "./terminal.js";

export async function listCommand({ options }: CliCommand): Promise<number> {
  const repo = await openRepo(options, null);
  return withPorts(repo, async (ports) => {
    const listing = await listRepo(repo.config, repo.portSettings.maxFileBytes, ports);
    write(options.format === "json" ? JSON.stringify(listing, null, 2) + "\n" : terminalRenderer(options).render("list.txt.njk", { listing }));
    return EXIT.ok;
  });
}
