/**
 * The drift check: discover, pair, compile, compare, lint, decide. Inputs in, a typed report out;
 * the file system and processes are reached only through the ports it is given.
 */
import path from "node:path";
import { compareFields, configDiff } from "./compare.js";
import type { FlowEntry, RepoConfig } from "./config-file.js";
import { dagsterWithOf, givesWith, inferredCreateArgs, withArgs } from "./create-args.js";
import { firstDifferentLine, normalizedDefinitionsLines } from "./definitions-text.js";
import { detectRepoGenerator, identifyGenerator, profileVersion, type GeneratorFingerprint, type GeneratorIdentification } from "./generators.js";
import { compareJobs, jobSeverityOf } from "./job-compare.js";
import { jobGraphOf } from "./job-graph.js";
import { DEFAULT_GENERATOR, type GeneratorProfile } from "./job-model.js";
import { fingerprintOf, forgetContent, parseConfigLines, readJob } from "./definitions.js";
import { discover } from "./discovery.js";
import { ConfigurationError } from "./errors.js";
import { COMPILE_ERROR_LINT, runLints } from "./lints/index.js";
import { machineRoot, normalizeConfigClass } from "./normalize.js";
import { compileCwd, pairFlows, type Pair } from "./pairing.js";
import { violatesPolicy } from "./policy.js";
import { inShard, resultShardPath, type Shard } from "./shard.js";
import { mapLimit } from "./pool.js";
import type { CheckPorts, CompileRequest } from "./ports.js";
import { jobNameArgument, regenerateCommand, suggestedDefinitionsPath } from "./regenerate-command.js";
import { compareResults, summarize } from "./report.js";
import type { CheckReport, CompiledConfig, DagsterCreateArgs, CompilerChoice, DefinitionsFile, FailOn, FlowResult, JobDiff } from "./types.js";

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
  /** The metaflow-dagster whose output the static compiler predicts; `null`: detected from the committed files. */
  generator?: GeneratorProfile | null;
  /**
   * A root with no flow and no definitions file is a tool error unless this is set: a typo in the
   * root, or a workflow without actions/checkout, must not pass as "0 flows, OK".
   */
  allowEmpty?: boolean;
}

/**
 * One flow to compile: the request for the compilers, the committed definitions file it is
 * compared with (`null` for a flow without one), and the static compiler's answer once it is in.
 */
interface CompileUnit {
  /** Made when its batch is compiled: it needs the committed file's job read. */
  request: CompileRequest | null;
  pair: Pair | null;
  static: CompiledConfig | null;
}

export async function check(options: CheckOptions, ports: CheckPorts): Promise<CheckReport> {
  const { repo, analyzer, logger } = ports;
  // The real compiler's server imports metaflow first, which takes a while: with --compiler
  // metaflow it starts now, while discovery reads the repo (it is awaited before anything compiles).
  const metaflowReady = options.compiler === "metaflow" ? ports.metaflow.ensureAvailable() : null;
  metaflowReady?.catch(() => undefined);
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
  await metaflowReady;

  const mine = (file: string) => !options.shard || inShard(file, options.shard);
  // One target for the whole repo: the setting, else what every committed file's fingerprint says.
  const generator = options.generator ?? detectRepoGenerator(found.definitions.flatMap((file) => fingerprintOf(file) ?? []));
  const topArgsOf = (entry: FlowEntry | null) => entry?.topArgs ?? options.config.topArgs;
  // Requests are made batch by batch, when their committed file's job is read (see compileAll).
  const units: CompileUnit[] = [
    ...pairing.pairs.filter((pair) => mine(pair.flow.path)).map((pair) => ({ pair, static: null, request: null })),
    ...pairing.missing.filter(({ flow }) => mine(flow.path)).map(({ flow, entry }) => ({
      pair: null,
      static: null,
      request: { flowFile: flow.path, flowClass: flow.flowClass, jobName: entry?.name ?? null, args: entry?.args ?? [], topArgs: topArgsOf(entry), generator, cwd: compileCwd(flow, entry) },
    })),
  ];
  const requestOf = (pair: Pair): CompileRequest => {
    const configured = pair.entry?.args ?? [];
    const committed = readJob(pair.definitions).model;
    return {
      flowFile: pair.flow.path,
      flowClass: pair.flow.flowClass,
      jobName: jobNameArgument(pair.definitions.job, pair.flow.flowClass, pair.entry),
      // The arguments the committed file was made with, where it shows them: regenerating without them would drop them.
      args: [...configured, ...(committed ? inferredCreateArgs(committed, configured) : [])],
      topArgs: topArgsOf(pair.entry),
      generator,
      cwd: compileCwd(pair.flow, pair.entry),
    };
  };

  const results = new Array<FlowResult>(units.length);
  // A definitions file the config file pairs with several flows is read once for all of them.
  const comparisons = new Map<DefinitionsFile, number>();
  for (const unit of units) if (unit.pair) comparisons.set(unit.pair.definitions, (comparisons.get(unit.pair.definitions) ?? 0) + 1);
  const finish = async (unit: CompileUnit, index: number, current: CompiledConfig) => {
    results[index] = await resultOf(unit, current, ports, options.maxFileBytes);
    // What the comparison needed is not kept: a check of thousands of flows holds a few batches of them at a time.
    unit.static = null;
    const file = unit.pair?.definitions;
    if (file) {
      const left = comparisons.get(file)! - 1;
      comparisons.set(file, left);
      if (left === 0) forgetContent(file);
    }
  };
  await logger.group(`Compile ${units.length} flow(s) with the ${options.compiler} compiler`, () => compileAll(units, requestOf, finish, options, ports));

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
  return {
    schemaVersion: 1,
    root: repo.root,
    failed,
    failOn: options.failOn,
    compiler: options.compiler,
    summary: summarize(kept),
    flows: kept,
    ...(options.shard ? { shard: { index: options.shard.index, count: options.shard.count } } : {}),
  };
}

/** One flow's result, from its compile (`current`) and the static compiler's answer (`unit.static`). */
async function resultOf(unit: CompileUnit, current: CompiledConfig, ports: CheckPorts, maxFileBytes: number): Promise<FlowResult> {
  const staticResult = unit.static!;
  const request = unit.request!;
  const warnings = runLints(staticResult);
  if (unit.pair) {
    const result: FlowResult = { ...compareWithCommitted(unit.pair, request, current, staticResult, ports.repo.root), warnings: [...warnings, ...jobLints(staticResult)] };
    const template = await templateChange(result, unit, current, ports, maxFileBytes);
    if (template) Object.assign(result, { status: "drift", jobChanges: [template] });
    return result;
  }
  return {
    flowFile: request.flowFile,
    flowClass: request.flowClass,
    definitionsFile: null,
    status: "missing-definitions",
    compiler: current.compiler,
    error: null,
    ...notCompared(),
    regenerate: regenerateCommand(request.flowFile, suggestedDefinitionsPath(request.flowFile), request.cwd, request.jobName, request.args, request.topArgs),
    dagsterCreate: dagsterCreateOf(request),
    warnings: [...compileFailure(request, current, staticResult), ...warnings, ...jobLints(staticResult)],
    currentConfig: current.error || !current.exact ? null : current.configClass,
  };
}

/**
 * Flows compiled statically per batch: Node reads the next batch's committed files while the
 * static compiler works on the one before, and each flow the static compiler settles is compared
 * as soon as its batch is in (`finish`), so memory holds a few batches, not the repo. Flows that
 * need the real compiler wait for it, after the last batch.
 */
const BATCH = 50;
/** Batches sent ahead of the answers; enough to keep every static compiler process busy. */
const BATCHES_IN_FLIGHT = 4;

async function compileAll(
  units: CompileUnit[],
  requestOf: (pair: Pair) => CompileRequest,
  finish: (unit: CompileUnit, index: number, current: CompiledConfig) => Promise<void>,
  options: CheckOptions,
  ports: CheckPorts,
): Promise<void> {
  // Parts of the job it could not predict count as much as an inexact Config class: the real compiler knows them.
  // A refusal the static compiler is not sure of (say, of a file the flow's __main__ block writes first) is asked again too.
  const needsMetaflow = (unit: CompileUnit) => options.compiler === "metaflow" || !unit.static!.exact || (!unit.static!.error && (unit.static!.jobInexact ?? []).length > 0);
  // Flows without definitions are only compiled for their lints; the real compiler would not add to that.
  const wanted: { unit: CompileUnit; index: number }[] = [];
  const settle = async (batch: number[]) => {
    for (const index of batch) {
      const unit = units[index]!;
      if (options.compiler !== "static" && unit.pair !== null && needsMetaflow(unit)) wanted.push({ unit, index });
      else await finish(unit, index, options.compiler === "static" ? staticVerdict(unit.static!) : autoVerdict(unit, options));
    }
  };

  // The static analysis always runs: it is cheap, and its parameter lines feed the lints and
  // annotations even when the real compiler produces the Config class.
  const inFlight = new Set<Promise<void>>();
  for (let start = 0; start < units.length; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, units.length - start) }, (_, i) => start + i);
    for (const index of batch) {
      const unit = units[index]!;
      unit.request ??= requestOf(unit.pair!);
    }
    const done: Promise<void> = ports.analyzer
      .analyze([], batch.map((index) => units[index]!.request!))
      .then(async ({ results }) => {
        batch.forEach((index, i) => (units[index]!.static = results[i]!));
        await withDagsterWith(batch.map((index) => units[index]!), ports);
        await settle(batch);
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
    // Lets the answers in (the static compiler blocks on a full pipe) and keeps a bounded number of batches out.
    while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(inFlight);
  wanted.sort((a, b) => a.index - b.index);

  if (wanted.length === 0) return;
  let available = false;
  if (options.compiler === "metaflow") {
    await ports.metaflow.ensureAvailable();
    available = true;
  } else {
    available = await ports.metaflow.isAvailable();
    if (!available) ports.logger.info(`${wanted.length} flow(s) need the metaflow compiler, which this Python cannot import`);
  }

  if (!available) {
    for (const { unit, index } of wanted) await finish(unit, index, autoVerdict(unit, options));
    return;
  }
  await mapLimit(wanted, options.concurrency, async ({ unit, index }) => {
    const output = options.deadline !== undefined && Date.now() >= options.deadline ? notReached(unit) : await ports.metaflow.compile(unit.request!);
    await finish(unit, index, { ...output, parameters: unit.static!.parameters });
  });
}

/** The static compiler's answer as the verdict, where the real compiler was not asked (or cannot be). */
function autoVerdict(unit: CompileUnit, options: CheckOptions): CompiledConfig {
  const result = unit.static!;
  if (options.compiler === "auto" && !result.exact && !result.error && unit.pair) {
    return {
      ...result,
      error: `needs the metaflow compiler: ${result.reason ?? "the static compiler cannot reproduce this flow exactly"}. Install metaflow-dagster for the Python given with --python (python input).`,
    };
  }
  return staticVerdict(result);
}

/**
 * A flow without a definitions file is not compared, but when it does not compile, generating its
 * file is the next thing its author will try: say so now, with the compiler's message, at its
 * line. `staticVerdict`'s "cannot reproduce exactly" is not a failure of the flow, so the static
 * side counts only the static compiler's own error.
 */
function compileFailure(request: CompileRequest, current: CompiledConfig, staticResult: CompiledConfig): FlowResult["warnings"] {
  // A refusal the static compiler is not sure of is not announced as the flow's.
  const error = current.compiler === "metaflow" ? current.error : staticResult.exact ? staticResult.error : null;
  if (!error) return [];
  const line = current.compiler === "metaflow" ? current.errorLine : staticResult.errorLine;
  return [{ lint: COMPILE_ERROR_LINT, message: `this flow does not compile, so no definitions file can be generated for it: ${error}`, file: request.flowFile, line, parameter: null }];
}

function notReached(unit: CompileUnit): CompiledConfig {
  return { ...unit.static!, compiler: "metaflow", error: "not checked: the time budget ran out before this flow's turn (raise the budget, or shard the check)", configClass: null };
}

/** With `--compiler static`, an inexact result is an error: comparing a guess would mislead. */
function staticVerdict(result: CompiledConfig): CompiledConfig {
  if (result.exact) return result;
  // A refusal it is not sure of is not the flow's error: say what is unsure.
  if (result.error) return { ...result, error: `the static compiler cannot decide this flow: it would refuse it (${result.error}), but ${result.reason ?? "not for certain"}. Use --compiler metaflow or auto.` };
  return { ...result, error: `the static compiler cannot reproduce this flow exactly: ${result.reason ?? "unknown reason"}. Use --compiler metaflow or auto.` };
}

function compareWithCommitted(pair: Pair, request: CompileRequest, current: CompiledConfig, staticResult: CompiledConfig, localRoot: string): Omit<FlowResult, "warnings"> {
  const file = pair.definitions;
  const base = {
    flowFile: pair.flow.path,
    flowClass: pair.flow.flowClass,
    definitionsFile: file.path,
    compiler: current.compiler,
    regenerate: regenerateCommand(pair.flow.path, file.path, request.cwd, request.jobName, request.args, request.topArgs),
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

  // The committed class was parsed with its file; the compiler's answer is lines.
  const committed = normalizeConfigClass(file.configClass, { root: machineRoot(file.source, pair.flow.path) });
  const now = normalizeConfigClass(parseConfigLines(current.configClass), { root: localRoot });
  const changes = compareFields(committed, now);
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
  // A job name the compiler could not predict (a mutator, an unreadable @project) is no rename.
  const jobNameKnown = current.compiler !== "static" || !(current.jobInexact ?? []).some((part) => part.part === "job-name");
  const jobChange = jobNameKnown && current.job && file.job && current.job !== file.job ? { committed: file.job, current: current.job } : null;
  const diff = configDiff(file.path, committed?.lines ?? [], now?.lines ?? []);
  const job = compareJob(pair, current, staticResult, request.generator ?? DEFAULT_GENERATOR);
  return {
    ...base,
    status: diff || jobChange || job.jobChanges.length > 0 ? "drift" : "up-to-date",
    error: null,
    changes,
    jobChange,
    configDiff: diff,
    ...job,
    currentConfig: current.configClass,
  };
}

/**
 * The job beyond the Config class: the committed file's model against the model of what
 * `dagster create` writes now (the static compiler's prediction, or the real compiler's file read
 * back), then, with the real compiler, the whole normalized text, so nothing is silently equal.
 */
function compareJob(pair: Pair, current: CompiledConfig, staticResult: CompiledConfig, target: GeneratorProfile): Pick<FlowResult, "jobChanges" | "jobGraph" | "unchecked"> {
  const reading = readJob(pair.definitions);
  const now = current.jobModel ?? null;
  if (!reading?.model || !now) {
    const why = !reading?.model ? `${pair.definitions.path} could not be read as a job (${reading?.problems.join("; ") || "no ops or job found"})` : "the compiler did not predict the job";
    return { jobChanges: [], jobGraph: null, unchecked: [{ part: "job", step: null, reason: why }] };
  }
  const committedVersion = identifyGenerator(reading.fingerprint);
  // With the real compiler, the version is the one installed; statically, the one the check targets.
  const written = current.written ?? null;
  const currentVersion: GeneratorIdentification = written ? identifyGenerator(written.fingerprint) : { version: profileVersion(target), profile: target, how: "template", alike: [] };
  const sameGenerator = written ? sameVersion(reading.fingerprint, written.fingerprint) : committedVersion.profile === target;
  const result = compareJobs({
    committed: reading.model,
    current: now,
    inexact: current.compiler === "static" ? (current.jobInexact ?? []) : [],
    sources: staticResult.jobSources ?? null,
    lines: reading.lines,
    generator: sameGenerator ? null : { committed: versionLabel(committedVersion), current: versionLabel(currentVersion) },
  });
  return { jobChanges: result.changes, jobGraph: result.changes.length > 0 ? jobGraphOf(now, reading.model) : null, unchecked: result.unchecked };
}

/**
 * With the real compiler, the whole text too: a difference the job model does not explain (a
 * helper's text, a part no model key covers) is still a difference. Only for files of the
 * installed metaflow-dagster (others are generator-changed already) that nothing else explains.
 */
async function templateChange(result: FlowResult, unit: CompileUnit, current: CompiledConfig, ports: CheckPorts, maxFileBytes: number): Promise<JobDiff | null> {
  const written = current.written;
  const file = unit.pair?.definitions;
  if (!written || !file?.reading || result.status !== "up-to-date" || !sameVersion(file.reading.fingerprint, written.fingerprint)) return null;
  const read = await ports.repo.read(file.path, maxFileBytes);
  if ("error" in read) return null;
  const committedLines = normalizedDefinitionsLines(read.bytes.toString("utf8"), { root: machineRoot(file.source, unit.pair!.flow.path) });
  const where = firstDifferentLine(committedLines, written.lines);
  if (!where) return null;
  return {
    kind: "template-changed",
    severity: jobSeverityOf("template-changed"),
    subject: `line ${where.line}`,
    step: null,
    committed: where.committed,
    current: where.current,
    upstream: [],
    downstream: [],
    declaredIn: null,
    flowLine: null,
    definitionsLine: where.line,
  };
}

/**
 * Whether two files were made by the same metaflow-dagster: the same template text, or (a file
 * whose text was edited by hand) the same version by its names. Then any other difference in
 * their text is a change, not a version's.
 */
function sameVersion(a: GeneratorFingerprint, b: GeneratorFingerprint): boolean {
  if (a.templateSha !== null && a.templateSha === b.templateSha) return true;
  const version = identifyGenerator(a).version;
  return version !== null && version === identifyGenerator(b).version;
}

/** How a report names the metaflow-dagster that made a file; `null` when it is not one mfdag knows. */
function versionLabel(identification: GeneratorIdentification): string | null {
  if (identification.version === null) return null;
  return identification.alike.length > 0 ? `${identification.version} (or ${identification.alike.join(", ")})` : identification.version;
}

/** The static compiler's lints of the job (a `@trigger` whose sensor is not valid Python, ...). */
function jobLints(staticResult: CompiledConfig): FlowResult["warnings"] {
  return (staticResult.jobLints ?? []).map((lint) => ({ lint: lint.lint, message: lint.message, file: lint.file, line: lint.line, parameter: null }));
}

/**
 * `--with` leaves its strings at the head of every step's forwarded decorators; what they were is
 * only known once the prediction without them is in (a decorator every step carries itself looks
 * the same). Flows whose committed file shows them are compiled again with them.
 */
async function withDagsterWith(units: CompileUnit[], ports: CheckPorts): Promise<void> {
  const again: CompileUnit[] = [];
  for (const unit of units) {
    const committed = unit.pair ? readJob(unit.pair.definitions).model : null;
    const predicted = unit.static?.jobModel;
    if (!committed || !predicted || givesWith(unit.pair?.entry?.args ?? [])) continue;
    const decorators = dagsterWithOf(committed, predicted);
    if (!decorators) continue;
    unit.request = { ...unit.request!, args: [...unit.request!.args, ...withArgs(decorators)] };
    again.push(unit);
  }
  if (again.length === 0) return;
  const { results } = await ports.analyzer.analyze([], again.map((unit) => unit.request!));
  again.forEach((unit, i) => (unit.static = results[i]!));
}

/** The comparison fields of a result that was not (or not yet) compared with committed lines. */
function notCompared(): Pick<FlowResult, "changes" | "jobChange" | "configDiff" | "jobChanges" | "jobGraph" | "unchecked"> {
  return { changes: [], jobChange: null, configDiff: null, jobChanges: [], jobGraph: null, unchecked: [] };
}

function dagsterCreateOf(request: CompileRequest): DagsterCreateArgs {
  return { cwd: request.cwd, name: request.jobName, args: [...request.args], topArgs: [...(request.topArgs ?? [])] };
}
