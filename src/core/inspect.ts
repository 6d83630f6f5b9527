/** The engine behind `mfdag list` and `mfdag config`: discovery and pairing, one flow's Config class. */
import type { GeneratorProfile } from "./job-model.js";
import path from "node:path";
import type { RepoConfig } from "./config-file.js";
import { discover } from "./discovery.js";
import { ConfigurationError } from "./errors.js";
import { pairFlows } from "./pairing.js";
import type { CheckPorts } from "./ports.js";
import type { CompilerChoice, CompiledConfig, DefinitionsFile, UnreadableFlowFile } from "./types.js";

export interface Listing {
  root: string;
  flows: { path: string; flowClass: string; line: number; definitions: string[] }[];
  definitions: { path: string; flow: string | null; job: string | null; source: string | null; flowFile: string | null }[];
  /** Without the job read back from them: `list` never reads it, and it is no part of what `list --format json` states. */
  orphaned: Omit<DefinitionsFile, "reading" | "fingerprint" | "bytes">[];
  unreadable: UnreadableFlowFile[];
  definitionsCount: number;
}

export async function listRepo(config: RepoConfig, maxFileBytes: number, ports: Pick<CheckPorts, "repo" | "analyzer">): Promise<Listing> {
  const found = await discover(ports.repo, ports.analyzer, maxFileBytes);
  const pairing = pairFlows(found.flows, found.definitions, config);
  const flowOf = new Map(pairing.pairs.map((pair) => [pair.definitions.path, pair.flow.path]));
  return {
    root: ports.repo.root,
    flows: found.flows.map((flow) => ({
      ...flow,
      definitions: pairing.pairs.filter((pair) => pair.flow.path === flow.path).map((pair) => pair.definitions.path),
    })),
    definitions: found.definitions.map((file) => ({ path: file.path, flow: file.flow, job: file.job, source: file.source, flowFile: flowOf.get(file.path) ?? null })),
    orphaned: pairing.orphaned.map(({ path, flow, job, source, configLine, configClass, problem }) => ({ path, flow, job, source, configLine, configClass, problem })),
    unreadable: found.unreadable,
    definitionsCount: found.definitions.length,
  };
}

/** What `dagster create` would write now for one flow file (repo-relative path), with its config file entry's arguments. */
export async function configOf(flowFile: string, compiler: CompilerChoice, ports: CheckPorts, config: RepoConfig, generator: GeneratorProfile): Promise<CompiledConfig> {
  const entry = config.flows.find((flow) => flow.flow === flowFile) ?? null;
  const request = { flowFile, flowClass: null, jobName: entry?.name ?? null, args: entry?.args ?? [], topArgs: entry?.topArgs ?? config.topArgs, generator, cwd: entry?.cwd ?? path.posix.dirname(flowFile) };
  const { files, results } = await ports.analyzer.analyze([flowFile], [request]);
  const scanned = files[0];
  const result = results[0]!;
  if (scanned?.error && !result.error) return { ...result, error: scanned.error, errorLine: scanned.errorLine };
  const predicted = result.exact && (result.jobInexact ?? []).length === 0;
  if (compiler === "static" || (compiler === "auto" && (predicted || result.error))) return result;
  if (compiler === "metaflow") await ports.metaflow.ensureAvailable();
  else if (!(await ports.metaflow.isAvailable())) return result;
  const real = await ports.metaflow.compile({ ...request, flowClass: result.flowClass });
  return { ...real, parameters: result.parameters };
}

/** Turns a user-given flow path into a repo-relative one, refusing paths outside the root. */
export function repoRelative(root: string, file: string): string {
  const relative = path.relative(root, path.resolve(file));
  if (relative.startsWith("..") || path.isAbsolute(relative)) throw new ConfigurationError(`${file} is outside the root ${root}; pass --root with a directory that contains it.`);
  return relative.split(path.sep).join("/");
}
