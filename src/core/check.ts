/**
 * The drift check: discover, pair, compile, compare, lint, decide. Inputs in, a typed report out;
 * the file system and processes are reached only through the ports it is given.
 */
import path from "node:path";
import { compareFields, configDiff, parseConfigLines } from "./compare.js";
import type { RepoConfig } from "./config-file.js";
import { discover } from "./discovery.js";
import { ConfigurationError } from "./errors.js";
import { runLints } from "./lints/index.js";
import { machineRoot, normalizeLine } from "./normalize.js";
import { compileCwd, pairFlows, type Pair } from "./pairing.js";
import { violatesPolicy } from "./policy.js";
import { compareResults, inShard, resultShardPath, type Shard } from "./shard.js";
import { mapLimit } from "./pool.js";
import type { CompileRequest, Logger, MetaflowCompiler, RepoReader, StaticAnalyzer } from "./ports.js";
import { jobNameArgument, regenerateCommand, suggestedDefinitionsPath } from "./regenerate-command.js";
import type { CheckReport, CheckSummary, CompiledConfig, DagsterCreateArgs, CompilerChoice, DefinitionsFile, FailOn, FlowResult } from "./types.js";

export interface CheckOptions {
  compiler: CompilerChoice;
  failOn: FailOn;
  concurrency: number;
  maxFileBytes: number;
  config: RepoConfig;
  /**
   * Epoch milliseconds after which no new compile starts; flows not reached are reported as
   * errors ("not checked") instead of the whole run being killed from outside.
   */
  deadline?: number;
  /** Check only this shard's flows (`--shard k/n`); `mfdag merge` combines the shards' reports. */
  shard?: Shard;
  /**
   * A root with no flow and no definitions file is a tool error unless this is set: a typo in the
   * root, or a workflow without actions/checkout, must not pass as "0 flows, OK".
   */
  allowEmpty?: boolean;
}

export interface CheckPorts {
  repo: RepoReader;
  analyzer: StaticAnalyzer;
  metaflow: MetaflowCompiler;
  logger: Logger;
}

interface Job {
  request: CompileRequest;
  pair: Pair | null;
  static: CompiledConfig | null;
}

export async function check(options: CheckOptions, ports: CheckPorts): Promise<CheckReport> {
  const { repo, analyzer, logger } = ports;
  const found = await logger.group("Discover flows and definitions", async () => {
    const result = await discover(repo, analyzer, options.maxFileBytes);
    logger.info(`${result.flows.length} flow file(s), ${result.definitions.length} definitions file(s) in ${result.scanned} Python file(s)`);
    return result;
  });
  if (!options.allowEmpty && found.flows.length === 0 && found.definitions.length === 0 && found.unreadable.length === 0) {
    throw new ConfigurationError(
      `No flow file and no definitions file under ${repo.root} (${found.scanned} Python file(s) looked at), so nothing was checked. ` +
        "Check the root (and, in a workflow, that actions/checkout runs first), or allow an empty root with --allow-empty (action input allow-empty: true).",
    );
  }
  const pairing = pairFlows(found.flows, found.definitions, options.config);
  if (pairing.problems.length > 0) {
    throw new ConfigurationError(`The config file names files that are not there:\n${pairing.problems.join("\n")}`);
  }

  const mine = (file: string) => !options.shard || inShard(file, options.shard);
  const jobs: Job[] = [
    ...pairing.pairs.filter((pair) => mine(pair.flow.path)).map((pair) => ({
      pair,
      static: null,
      request: {
        flowFile: pair.flow.path,
        flowClass: pair.flow.flowClass,
        jobName: jobNameArgument(pair.definitions.job, pair.flow.flowClass, pair.entry),
        args: pair.entry?.args ?? [],
        cwd: compileCwd(pair.flow, pair.entry),
      },
    })),
    ...pairing.missing.filter(({ flow }) => mine(flow.path)).map(({ flow, entry }) => ({
      pair: null,
      static: null,
      request: { flowFile: flow.path, flowClass: flow.flowClass, jobName: entry?.name ?? null, args: entry?.args ?? [], cwd: compileCwd(flow, entry) },
    })),
  ];

  const compiled = await logger.group(`Compile ${jobs.length} flow(s) with the ${options.compiler} compiler`, () => compileAll(jobs, options, ports));

  const results: FlowResult[] = [];
  for (const [i, job] of jobs.entries()) {
    const staticResult = job.static!;
    const current = compiled[i]!;
    const warnings = runLints(staticResult);
    if (job.pair) {
      results.push({ ...compareWithCommitted(job.pair, job.request, current, staticResult, repo.root), warnings });
    } else {
      results.push({
        flowFile: job.request.flowFile,
        flowClass: job.request.flowClass,
        definitionsFile: null,
        status: "missing-definitions",
        compiler: current.compiler,
        error: null,
        ...notCompared(),
        regenerate: regenerateCommand(job.request.flowFile, suggestedDefinitionsPath(job.request.flowFile), job.request.cwd, job.request.jobName, job.request.args),
        dagsterCreate: dagsterCreateOf(job.request),
        warnings: [...compileFailure(job.request, current, staticResult), ...warnings],
        currentConfig: current.error || !current.exact ? null : current.configClass,
      });
    }
  }

  // A definitions file whose flow could not be parsed belongs to that error, not to "orphaned".
  const unreadableByPath = new Map(found.unreadable.map((file) => [file.path, file]));
  const claimed = new Map<string, DefinitionsFile>();
  const orphaned: DefinitionsFile[] = [];
  for (const file of pairing.orphaned) {
    // Normalized once per orphan: a Source is a PR's text and can be megabytes long.
    const source = file.source ? file.source.replace(/\\/g, "/") : null;
    const flowPath = source ? [...unreadableByPath.keys()].find((p) => source.endsWith("/" + p)) : undefined;
    if (flowPath && !claimed.has(flowPath)) claimed.set(flowPath, file);
    else orphaned.push(file);
  }
  for (const file of found.unreadable) {
    const definitions = claimed.get(file.path) ?? null;
    results.push({
      flowFile: file.path,
      flowClass: definitions?.flow ?? null,
      definitionsFile: definitions?.path ?? null,
      status: "error",
      compiler: null,
      error: file.line ? `${file.path}:${file.line}: ${file.error}` : file.error,
      ...notCompared(),
      regenerate: regenerateCommand(file.path, definitions?.path ?? suggestedDefinitionsPath(file.path), path.posix.dirname(file.path), null, []),
      dagsterCreate: null,
      warnings: [],
      currentConfig: null,
    });
  }
  for (const file of orphaned) {
    results.push({
      flowFile: file.source ?? "",
      flowClass: file.flow,
      definitionsFile: file.path,
      status: "orphaned-definitions",
      compiler: null,
      error: `no flow file in the repo runs ${file.flow ?? "the flow"} and matches its Source ${file.source ?? "(none)"}: delete ${file.path}, or map it in the config file`,
      ...notCompared(),
      regenerate: "",
      dagsterCreate: null,
      warnings: [],
      currentConfig: null,
    });
  }

  // Orphans and unreadable files are found by every shard; exactly one keeps each.
  const kept = results.filter((result) => mine(resultShardPath(result))).sort(compareResults);
  const failed = kept.some((result) => violatesPolicy(result, options.failOn));
  return { schemaVersion: 1, root: repo.root, failed, failOn: options.failOn, compiler: options.compiler, summary: summarize(kept), flows: kept };
}

async function compileAll(jobs: Job[], options: CheckOptions, ports: CheckPorts): Promise<CompiledConfig[]> {
  // The static analysis always runs: it is cheap, and its parameter lines feed the lints and
  // annotations even when the real compiler produces the Config class.
  const { results: staticResults } = jobs.length > 0 ? await ports.analyzer.analyze([], jobs.map((job) => job.request)) : { results: [] };
  jobs.forEach((job, i) => (job.static = staticResults[i]!));

  if (options.compiler === "static") return jobs.map((job) => staticVerdict(job.static!));

  const needsMetaflow = (job: Job) => options.compiler === "metaflow" || (!job.static!.exact && !job.static!.error);
  // Flows without definitions are only compiled for their lints; the real compiler would not add to that.
  const wanted = jobs.filter((job) => job.pair !== null && needsMetaflow(job));
  let available = false;
  if (options.compiler === "metaflow") {
    await ports.metaflow.ensureAvailable();
    available = true;
  } else if (wanted.length > 0) {
    available = await ports.metaflow.isAvailable();
    if (!available) ports.logger.info(`${wanted.length} flow(s) need the metaflow compiler, which this Python cannot import`);
  }

  const real = new Map<Job, CompiledConfig>();
  if (available) {
    const outputs = await mapLimit(wanted, options.concurrency, (job) =>
      options.deadline !== undefined && Date.now() >= options.deadline ? Promise.resolve(notReached(job)) : ports.metaflow.compile(job.request),
    );
    wanted.forEach((job, i) => real.set(job, { ...outputs[i]!, parameters: job.static!.parameters }));
  }
  return jobs.map((job) => {
    const fromMetaflow = real.get(job);
    if (fromMetaflow) return fromMetaflow;
    const result = job.static!;
    if (options.compiler === "auto" && !result.exact && !result.error && job.pair) {
      return {
        ...result,
        error: `needs the metaflow compiler: ${result.reason ?? "the static compiler cannot reproduce this flow exactly"}. Install metaflow-dagster for the Python given with --python (python input).`,
      };
    }
    return staticVerdict(result);
  });
}

/**
 * A flow without a definitions file is not compared, but when it does not compile, generating its
 * file is the next thing its author will try: say so now, with the compiler's message, at its
 * line. `staticVerdict`'s "cannot reproduce exactly" is not a failure of the flow, so the static
 * side counts only the static compiler's own error.
 */
function compileFailure(request: CompileRequest, current: CompiledConfig, staticResult: CompiledConfig): FlowResult["warnings"] {
  const error = current.compiler === "metaflow" ? current.error : staticResult.error;
  if (!error) return [];
  const line = current.compiler === "metaflow" ? current.errorLine : staticResult.errorLine;
  return [{ lint: "compile-error", message: `this flow does not compile, so no definitions file can be generated for it: ${error}`, file: request.flowFile, line, parameter: null }];
}

function notReached(job: Job): CompiledConfig {
  return { ...job.static!, compiler: "metaflow", error: "not checked: the time budget ran out before this flow's turn (raise the budget, or shard the check)", configClass: null };
}

/** With `--compiler static`, an inexact result is an error: comparing a guess would mislead. */
function staticVerdict(result: CompiledConfig): CompiledConfig {
  if (result.error || result.exact) return result;
  return { ...result, error: `the static compiler cannot reproduce this flow exactly: ${result.reason ?? "unknown reason"}. Use --compiler metaflow or auto.` };
}

function compareWithCommitted(pair: Pair, request: CompileRequest, current: CompiledConfig, staticResult: CompiledConfig, localRoot: string): Omit<FlowResult, "warnings"> {
  const file = pair.definitions;
  const base = {
    flowFile: pair.flow.path,
    flowClass: pair.flow.flowClass,
    definitionsFile: file.path,
    compiler: current.compiler,
    regenerate: regenerateCommand(pair.flow.path, file.path, request.cwd, request.jobName, request.args),
    dagsterCreate: dagsterCreateOf(request),
    ...notCompared(),
  };
  if (file.problem) {
    const advice = /regenerate/.test(file.problem) ? "" : "; regenerate it";
    return { ...base, status: "error", error: `${file.path}: ${file.problem}${advice}`, currentConfig: null };
  }
  if (current.error) {
    const where = current.errorLine ? `${pair.flow.path}:${current.errorLine}: ` : "";
    return { ...base, status: "error", error: `${where}${current.error}`, currentConfig: null };
  }

  const committedLines = (file.configClass?.lines ?? []).map((line) => normalizeLine(line, { root: machineRoot(file.source, pair.flow.path) }));
  const currentLines = (current.configClass ?? []).map((line) => normalizeLine(line, { root: localRoot }));
  const changes = compareFields(parseConfigLines(committedLines), parseConfigLines(currentLines));
  const definitionsFields = new Map((file.configClass?.fields ?? []).map((field) => [field.name, field]));
  const parameterLines = new Map(staticResult.parameters.filter((p) => !p.dropped).map((p) => [p.name, p]));
  for (const change of changes) {
    const field = definitionsFields.get(change.parameter);
    if (field && file.configLine) change.definitionsLine = file.configLine + 1 + field.index;
    const parameter = parameterLines.get(change.parameter);
    if (parameter) {
      change.declaredIn = parameter.file;
      change.flowLine = parameter.line;
    }
  }
  const jobChange = current.job && file.job && current.job !== file.job ? { committed: file.job, current: current.job } : null;
  const diff = configDiff(file.path, committedLines, currentLines);
  return {
    ...base,
    status: diff || jobChange ? "drift" : "up-to-date",
    error: null,
    changes,
    jobChange,
    configDiff: diff,
    currentConfig: current.configClass,
  };
}

/** The comparison fields of a result that was not (or not yet) compared with committed lines. */
function notCompared(): Pick<FlowResult, "changes" | "jobChange" | "configDiff"> {
  return { changes: [], jobChange: null, configDiff: null };
}

function dagsterCreateOf(request: CompileRequest): DagsterCreateArgs {
  return { cwd: request.cwd, name: request.jobName, args: [...request.args] };
}

export function summarize(results: readonly FlowResult[]): CheckSummary {
  const count = (status: FlowResult["status"]) => results.filter((result) => result.status === status).length;
  return {
    flows: results.length,
    upToDate: count("up-to-date"),
    drift: count("drift"),
    typeChanges: results.reduce((n, result) => n + result.changes.filter((change) => change.kind === "type-changed").length, 0),
    breaking: results.reduce((n, result) => n + result.changes.filter((change) => change.severity === "breaking").length + (result.jobChange ? 1 : 0), 0),
    missing: count("missing-definitions"),
    orphaned: count("orphaned-definitions"),
    errors: count("error"),
    warnings: results.reduce((n, result) => n + result.warnings.length, 0),
  };
}
