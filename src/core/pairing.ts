/**
 * Pairs each definitions file with the flow it was generated from. The header's `Source` is an
 * absolute path on another machine, so only its tail can match: the flow file whose repo-relative
 * path is the longest suffix of `Source` (and whose main class is the header's `Flow`) wins.
 * Explicit pairs from the config file take precedence.
 */
import path from "node:path";
import type { FlowEntry, RepoConfig } from "./config-file.js";
import type { DefinitionsFile, FlowFile } from "./types.js";

export interface Pair {
  flow: FlowFile;
  definitions: DefinitionsFile;
  entry: FlowEntry | null;
}

export interface Pairing {
  pairs: Pair[];
  /** Flows without a definitions file, with their config entry when there is one. */
  missing: { flow: FlowFile; entry: FlowEntry | null }[];
  orphaned: DefinitionsFile[];
  /** Config entries that name files that are not there, as messages. */
  problems: string[];
}

/** `normalizedSource` has forward slashes already: a Source can be as long as its file, so it is normalized once per file, not per candidate. */
function endsWithPath(normalizedSource: string, relative: string): boolean {
  return normalizedSource === relative || normalizedSource.endsWith("/" + relative);
}

export function pairFlows(flows: readonly FlowFile[], definitions: readonly DefinitionsFile[], config: RepoConfig): Pairing {
  const flowByPath = new Map(flows.map((flow) => [flow.path, flow]));
  const definitionsByPath = new Map(definitions.map((file) => [file.path, file]));
  const flowsByClass = new Map<string, FlowFile[]>();
  for (const flow of flows) {
    const list = flowsByClass.get(flow.flowClass) ?? [];
    list.push(flow);
    flowsByClass.set(flow.flowClass, list);
  }

  const pairs: Pair[] = [];
  const problems: string[] = [];
  const pairedDefinitions = new Set<string>();
  const pairedFlows = new Set<string>();
  const entryByFlow = new Map<string, FlowEntry>();

  for (const [i, entry] of config.flows.entries()) {
    const flow = flowByPath.get(entry.flow);
    if (!flow) {
      problems.push(`flows.${i}.flow: ${entry.flow} is not a flow file (no FlowSpec subclass run under __main__, or not found)`);
      continue;
    }
    entryByFlow.set(flow.path, entry);
    if (!entry.definitions) continue;
    const file = definitionsByPath.get(entry.definitions);
    if (!file) {
      problems.push(`flows.${i}.definitions: ${entry.definitions} is not a metaflow-dagster definitions file (or not found)`);
      continue;
    }
    pairs.push({ flow, definitions: file, entry });
    pairedDefinitions.add(file.path);
    pairedFlows.add(flow.path);
  }

  const orphaned: DefinitionsFile[] = [];
  for (const file of definitions) {
    if (pairedDefinitions.has(file.path)) continue;
    const candidates = (file.flow ? flowsByClass.get(file.flow) : undefined) ?? [];
    const source = file.source?.replace(/\\/g, "/");
    const matching = source ? candidates.filter((flow) => endsWithPath(source, flow.path)) : [];
    // Longest suffix wins; a tie (the same relative path cannot occur twice) is impossible.
    matching.sort((a, b) => b.path.length - a.path.length);
    const flow = matching[0];
    if (!flow) {
      orphaned.push(file);
      continue;
    }
    pairs.push({ flow, definitions: file, entry: entryByFlow.get(flow.path) ?? null });
    pairedFlows.add(flow.path);
  }

  const missing = flows
    .filter((flow) => !pairedFlows.has(flow.path))
    .map((flow) => ({ flow, entry: entryByFlow.get(flow.path) ?? null }));
  pairs.sort((a, b) => a.flow.path.localeCompare(b.flow.path) || a.definitions.path.localeCompare(b.definitions.path));
  return { pairs, missing, orphaned, problems };
}

/** The working directory of a flow's compile: the config entry's `cwd`, else the flow's directory. */
export function compileCwd(flow: FlowFile, entry: FlowEntry | null): string {
  return entry?.cwd ?? (path.posix.dirname(flow.path) || ".");
}
