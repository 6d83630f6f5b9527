/**
 * Regex denial of service: every parser that reads what a pull request controls must take time
 * linear in its input, up to the largest input mfdag reads (maxFileBytes, 2 MB by default). The
 * regexes these parsers replaced are kept here, and only here, as oracles: once to show that each
 * attack input really is their worst case (4× the bytes, about 16× the time), and once to show
 * that the scanners read every valid line exactly as they did.
 *
 * No test compares a time with a fixed budget, which a busy machine would break: the unit tests
 * compare the time of 4× the input with the time of the input (linear gives about 4, quadratic
 * 16), and the end-to-end test gives the built CLI a deadline a hundred times what it needs.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import { createTwoFilesPatch } from "diff";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configDiff, MAX_DIFF_EDITS } from "../src/core/compare.js";
import type { CheckReport } from "../src/core/types.js";
import { parseConfigBlock, parseDefinitionsFile, parseFieldLine, splitFieldLine } from "../src/core/definitions.js";
import { readJobModel } from "../src/core/job-reader.js";
import { compareJobs } from "../src/core/job-compare.js";
import { jobModelSchema, type JobModel } from "../src/core/job-model.js";
import { machineRoot, normalizeLine, SYSROOT } from "../src/core/normalize.js";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { CLI, corpusExpected, flowSource, gitRepo, PROJECT, runCli, writeFiles } from "./helpers/repo.js";

// ---------------------------------------------------------------------------------------------
// The replaced code, as oracles

/** The field-line regex definitions.ts used: quadratic on `    a: a: a: …` without ` = `. */
const OLD_FIELD = /^ {4}([\s\S]+?): ([^=]+?) = ([\s\S]*)$/;

/** The IncludeFile URL regex normalize.ts used: quadratic on `local://` repeated. */
const OLD_INCLUDE_URL = /local:\/\/[^"'\s]*\/data\/([^/"'\s]+)\/([0-9a-f]{40})/g;

/** normalize.ts's normalizeLine as it was: the root regex `/\/+$/` is quadratic on a run of slashes, and the root is re-derived per line. */
function oldNormalizeLine(line: string, root: string | null): string {
  let out = line.replace(OLD_INCLUDE_URL, (_m, flow: string, sha: string) => `local://${SYSROOT}/data/${flow}/${sha}`);
  const trimmed = root?.replace(/\/+$/, "");
  if (trimmed && trimmed.length > 1) out = out.split(trimmed + "/").join("<ROOT>/");
  return out;
}

/** normalize.ts's machineRoot as it was (no memory of the last answer). */
function oldMachineRoot(source: string | null, flowFile: string): string | null {
  if (!source) return null;
  const normalized = source.replace(/\\/g, "/");
  const suffix = "/" + flowFile;
  return normalized.endsWith(suffix) ? normalized.slice(0, -suffix.length) || "/" : null;
}

/** compare.ts's configDiff as it was: Myers' diff with no bound on the edits. */
function oldConfigDiff(path: string, committed: readonly string[], current: readonly string[]): string | null {
  const before = committed.length > 0 ? committed.join("\n") + "\n" : "";
  const after = current.length > 0 ? current.join("\n") + "\n" : "";
  if (before === after) return null;
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, "committed", "dagster create now", { context: 3 }).replace(/^=+\n/, "");
}

// ---------------------------------------------------------------------------------------------
// Measuring growth

/** The default maxFileBytes: no file larger than this is read. */
const MAX_FILE_BYTES = 2_000_000;

/** The large input is this many times the small one. */
const SCALE = 8;

/**
 * Linear work grows about SCALE× from the small input to the large one, quadratic work SCALE²×;
 * the line between them is drawn at SCALE^1.5, which leaves a factor of almost 3 for a linear
 * scan that runs out of the CPU caches on the large input, and again for the quadratic one.
 */
const SUPERLINEAR_GROWTH = SCALE ** 1.5;

/** The fastest of `runs` timings of `work`, in ms: the minimum is the work itself, without GC pauses or a busy neighbour. */
function fastestMs(work: () => unknown, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** The time of one call of `work(input)`, from batches of at least 20 ms so that timer resolution and call overhead do not count. */
function msPerCall<T>(work: (input: T) => unknown, input: T, runs: number): number {
  let calls = 1;
  for (;;) {
    const batch = fastestMs(() => {
      for (let i = 0; i < calls; i++) work(input);
    }, runs);
    if (batch >= 20) return batch / calls;
    calls *= batch > 0 ? Math.min(100, Math.ceil(25 / batch)) : 100;
  }
}

/**
 * How much longer `work` takes on the input of `bytes` than on the input of `bytes / SCALE`. A
 * growth past SUPERLINEAR_GROWTH is measured once more and the lower one counts: a machine busy
 * with other work can slow one measurement of linear work past the line, but superlinear work is
 * past it every time.
 */
function growth<T>(make: (bytes: number) => T, work: (input: T) => unknown, bytes: number, runs = 3): number {
  const small = make(Math.floor(bytes / SCALE));
  const large = make(bytes);
  const measure = () => msPerCall(work, large, runs) / msPerCall(work, small, runs);
  const first = measure();
  return first < SUPERLINEAR_GROWTH ? first : Math.min(first, measure());
}

/** `unit` repeated to `bytes` characters after `prefix` (all ASCII, so characters are bytes). */
function repeatTo(prefix: string, unit: string, bytes: number): string {
  return prefix + unit.repeat(Math.max(1, Math.floor((bytes - prefix.length) / unit.length)));
}

/** A definitions file whose Config class holds `lines`, padded to `bytes` by the last line's shape. */
function definitionsWith(lines: string[], source = "/home/alice/repo/flows/hostile_flow.py"): string {
  return renderDefinitions({ flow: "HostileFlow", source, configClass: ["class HostileFlowConfig(Config):", ...lines] });
}

const SHA = "0123456789abcdef0123456789abcdef01234567";

/** Lines shaped like the worst cases, each `bytes` long. */
const hostileLine = {
  fieldColons: (bytes: number) => repeatTo("    ", "a: ", bytes),
  fieldUnspacedEquals: (bytes: number) => repeatTo("    ", "a: b=", bytes),
  urlSchemes: (bytes: number) => repeatTo("", "local://", bytes),
  urlAlmostTails: (bytes: number) => repeatTo("", `local:///data/F/${SHA.slice(0, 39)}g`, bytes),
};

// ---------------------------------------------------------------------------------------------

describe("attack: a hostile definitions file cannot stall the parser: its time grows linearly up to maxFileBytes", () => {
  it("a 2 MB field line `    a: a: a: …` without ` = ` (quadratic for the old field regex) is split by a one-pass scanner: 8× the bytes, under 23× the time", () => {
    expect(growth(hostileLine.fieldColons, (line) => OLD_FIELD.exec(line), 40_000, 1)).toBeGreaterThan(SUPERLINEAR_GROWTH);
    expect(growth(hostileLine.fieldColons, (line) => parseFieldLine(line, 0), MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
    expect(parseFieldLine(hostileLine.fieldColons(MAX_FILE_BYTES), 0)).toBeNull();
  });

  it("a 2 MB field line `    a: b=a: b=…` (an unspaced `=` after every `: `) is split in one pass, each `=` looked up once: 8× the bytes, under 23× the time", () => {
    expect(growth(hostileLine.fieldUnspacedEquals, (line) => parseFieldLine(line, 0), MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
    expect(parseFieldLine(hostileLine.fieldUnspacedEquals(MAX_FILE_BYTES), 0)).toBeNull();
  });

  it("a 2 MB line of `local://` repeated (quadratic for the old IncludeFile URL regex) is normalized one URL run at a time: 8× the bytes, under 23× the time", () => {
    expect(growth(hostileLine.urlSchemes, (line) => oldNormalizeLine(line, null), 40_000, 1)).toBeGreaterThan(SUPERLINEAR_GROWTH);
    expect(growth(hostileLine.urlSchemes, (line) => normalizeLine(line, { root: null }), MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
  });

  it("a 2 MB line of `local:///data/F/<39 hex>g` repeated (a datastore tail that never ends in a sha1) is normalized in one pass: 8× the bytes, under 23× the time", () => {
    expect(growth(hostileLine.urlAlmostTails, (line) => oldNormalizeLine(line, null), 40_000, 1)).toBeGreaterThan(SUPERLINEAR_GROWTH);
    expect(growth(hostileLine.urlAlmostTails, (line) => normalizeLine(line, { root: null }), MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
    const line = hostileLine.urlAlmostTails(MAX_FILE_BYTES);
    expect(normalizeLine(line, { root: null })).toBe(line);
  });

  it("a 2 MB Source of slashes `/////…/x/flows/a.py` (quadratic for the old trailing-slash regex) gives a root that is trimmed by a loop: 8× the bytes, under 23× the time", () => {
    const sourceOf = (bytes: number) => repeatTo("", "/", bytes - "x/flows/a.py".length) + "x/flows/a.py";
    const line = "    data: str = 'a'";
    expect(growth(sourceOf, (source) => oldNormalizeLine(line, oldMachineRoot(source, "flows/a.py")), 40_000, 1)).toBeGreaterThan(SUPERLINEAR_GROWTH);
    expect(growth(sourceOf, (source) => normalizeLine(line, { root: machineRoot(source, "flows/a.py") }), MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
  });

  it("a 1 MB Source over a Config class of 1 MB of short lines (the root was re-derived per line) is normalized with the root derived once: 8× the bytes, under 23× the time", () => {
    // The way check.ts calls it: the root is asked for on every line of the committed block.
    const blockOf = (bytes: number) => ({ source: repeatTo("/", "home/", bytes / 2) + "/flows/a.py", lines: Array.from({ length: Math.floor(bytes / 2 / 6) }, () => "    x") });
    const oldWay = ({ source, lines }: ReturnType<typeof blockOf>) => lines.map((line) => oldNormalizeLine(line, oldMachineRoot(source, "flows/a.py")));
    const newWay = ({ source, lines }: ReturnType<typeof blockOf>) => lines.map((line) => normalizeLine(line, { root: machineRoot(source, "flows/a.py") }));
    expect(growth(blockOf, oldWay, 80_000, 1)).toBeGreaterThan(SUPERLINEAR_GROWTH);
    expect(growth(blockOf, newWay, MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
    const block = blockOf(100_000);
    expect(newWay(block)).toEqual(oldWay(block));
  });

  it("a whole 2 MB definitions file of each hostile shape is parsed, its Config class read, in linear time: 8× the bytes, under 23× the time", () => {
    for (const [shape, line] of Object.entries(hostileLine)) {
      // A URL line is only normalized when it is inside a field: put it in a default.
      const fieldLine = shape.startsWith("url") ? (bytes: number) => `    table: str = '${line(bytes - 20)}'` : line;
      const parse = (text: string) => {
        const file = parseDefinitionsFile("dagster/hostile_dagster.py", text)!;
        return file.configClass!.lines.map((l) => normalizeLine(l, { root: machineRoot(file.source, "flows/hostile_flow.py") }));
      };
      expect(growth((bytes) => definitionsWith([fieldLine(bytes - 2_000)]), parse, MAX_FILE_BYTES), shape).toBeLessThan(SUPERLINEAR_GROWTH);
    }
  });

  it("a Source, Flow and Job of 2 MB each in the header are read in linear time: 8× the bytes, under 23× the time", () => {
    for (const [key, value] of Object.entries({ Flow: (n: number) => "a".repeat(n), Job: (n: number) => " ".repeat(n) + "\r", Source: (n: number) => "/".repeat(n) + "x" })) {
      const textOf = (bytes: number) => `"""\nDagster definitions generated by metaflow-dagster.\n${key} : ${value(bytes)}\n"""\nconfig: ${"a".repeat(bytes / 2)}Config\n`;
      expect(growth(textOf, (text) => parseDefinitionsFile("d.py", text), MAX_FILE_BYTES), key).toBeLessThan(SUPERLINEAR_GROWTH);
    }
  });
});

describe("attack: a hostile Config class cannot stall the comparison: the diff is bounded", () => {
  /** `count` committed lines and `count` current lines with nothing in common: Myers' worst case. */
  const disjointBlocks = (count: number) => ({
    committed: Array.from({ length: count }, (_, i) => `    c${i}: int = ${i}`),
    current: Array.from({ length: count }, (_, i) => `    n${i}: int = ${i}`),
  });

  it(`two Config classes of 1 MB each with nothing in common (quadratic for Myers' diff) give a whole-block patch past ${MAX_DIFF_EDITS} edits: 8× the lines, under 23× the time`, () => {
    const linesPerMegabyte = Math.floor(MAX_FILE_BYTES / 2 / "    c99999: int = 99999\n".length);
    expect(growth(disjointBlocks, ({ committed, current }) => oldConfigDiff("d.py", committed, current), 1_200, 1)).toBeGreaterThan(SUPERLINEAR_GROWTH);
    expect(growth(disjointBlocks, ({ committed, current }) => configDiff("d.py", committed, current), linesPerMegabyte, 3)).toBeLessThan(SUPERLINEAR_GROWTH);
    const { committed, current } = disjointBlocks(linesPerMegabyte);
    const patch = configDiff("d.py", committed, current)!;
    expect(patch.split("\n").slice(0, 3)).toEqual(["--- a/d.py\tcommitted", "+++ b/d.py\tdagster create now", `@@ -1,${linesPerMegabyte} +1,${linesPerMegabyte} @@`]);
    expect(patch.split("\n").filter((line) => line.startsWith("-    c")).length).toBe(linesPerMegabyte);
    expect(patch.split("\n").filter((line) => line.startsWith("+    n")).length).toBe(linesPerMegabyte);
  });

  it(`below ${MAX_DIFF_EDITS} edits the patch is Myers' own, and a one-sided block of any size is byte-identical to it`, () => {
    const { committed, current } = disjointBlocks(MAX_DIFF_EDITS / 2);
    expect(configDiff("d.py", committed, current)).toBe(oldConfigDiff("d.py", committed, current));
    const large = disjointBlocks(3 * MAX_DIFF_EDITS);
    expect(configDiff("d.py", [], large.current)).toBe(oldConfigDiff("d.py", [], large.current));
    expect(configDiff("d.py", large.committed, null)).toBe(oldConfigDiff("d.py", large.committed, []));
  });
});

// ---------------------------------------------------------------------------------------------

describe("the scanners read every valid line exactly as the regexes they replace", () => {
  /** Pieces that steer the old regexes through their branches: colons, `=`, spaces, quotes, URL parts, line separators. */
  const fieldPiece = fc.constantFrom("a", "b c", ": ", ":", " = ", "=", " ", "  ", "int", "'a = b'", "  # ", "#", "\u2028", "\r", "\t", "é");
  const urlPiece = fc.constantFrom("local://", "local:/", "/data/", "/data", "data/", "/", "F", "Flow-1", SHA, SHA.slice(0, 39), SHA.toUpperCase(), "'", '"', " ", "\u3000", "\u00a0", "x", "/home/alice/repo/");
  const lineOf = (piece: fc.Arbitrary<string>) => fc.tuple(fc.constantFrom("", "    ", "   ", "     "), fc.array(fc.oneof(piece, fc.string({ maxLength: 3 })), { maxLength: 16 })).map(([indent, parts]) => indent + parts.join(""));

  it("fast-check: the field scanner splits 20 000 random lines into the name, type and rest the old field regex captured, or refuses the same ones", () => {
    fc.assert(
      fc.property(lineOf(fieldPiece), (line) => {
        const match = OLD_FIELD.exec(line);
        expect(splitFieldLine(line)).toEqual(match ? { name: match[1], type: match[2], rest: match[3] } : null);
      }),
      { numRuns: 20_000 },
    );
  });

  it("fast-check: the IncludeFile URL scanner and the root placeholder rewrite 20 000 random lines exactly as the old regexes did", () => {
    const root = fc.constantFrom(null, "", "/", "//", "a", "/home/alice/repo", "/home/alice/repo///", "/data");
    fc.assert(
      fc.property(lineOf(urlPiece), root, (line, r) => {
        expect(normalizeLine(line, { root: r })).toBe(oldNormalizeLine(line, r));
      }),
      { numRuns: 20_000 },
    );
  });

  it("every UTF-16 code unit ends an IncludeFile URL exactly where `[\\s\"']` did, in the sysroot and in the flow name", () => {
    for (let code = 0; code < 0x10000; code++) {
      const ch = String.fromCharCode(code);
      for (const line of [`'local://a${ch}b/data/F/${SHA}'`, `local://a/data/F${ch}/${SHA}`, `local://a/data/F/${SHA.slice(0, 20)}${ch}${SHA.slice(21)}`]) {
        if (normalizeLine(line, { root: null }) !== oldNormalizeLine(line, null)) expect.fail(`U+${code.toString(16).padStart(4, "0")}: ${JSON.stringify(line)}`);
      }
    }
  });

  it("the recorded compiler outputs (the corpus) parse and normalize exactly as with the old regexes", () => {
    let fields = 0;
    for (const expected of corpusExpected()) {
      const block = expected.config_class ?? [];
      for (const line of block) {
        const match = OLD_FIELD.exec(line);
        expect(splitFieldLine(line)).toEqual(match ? { name: match[1], type: match[2], rest: match[3] } : null);
        for (const root of [null, "/home/alice/repo", "/"]) expect(normalizeLine(line, { root })).toBe(oldNormalizeLine(line, root));
        if (match) fields++;
      }
      if (block.length > 0) expect(parseConfigBlock(block).fields.length).toBe(block.slice(1).filter((line) => OLD_FIELD.test(line)).length);
    }
    expect(fields).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------------

describe("attack: a hostile definitions file in a pull request cannot hang the check", () => {
  const HEALTHY_FLOW = flowSource("HealthyFlow", '    alpha = Parameter("alpha", default=1, help="Alpha value")');
  const HOSTILE_FLOW = flowSource("HostileFlow", '    table = Parameter("table", default="t")');

  /** A repo with a healthy flow, its up-to-date definitions, and a 2 MB hostile definitions file for a second flow. */
  async function hostileRepo(): Promise<string> {
    const root = gitRepo({ "flows/healthy_flow.py": HEALTHY_FLOW, "flows/hostile_flow.py": HOSTILE_FLOW });
    const { stdout } = await runCli(["config", `${root}/flows/healthy_flow.py`, "--root", root, "--format", "json", "--compiler", "static"]);
    const healthy = renderDefinitions({ flow: "HealthyFlow", source: "/home/alice/repo/flows/healthy_flow.py", configClass: (JSON.parse(stdout) as { configClass: string[] }).configClass });
    // Every old worst case at once: field colons, `local://` runs, and a Source that is a run of slashes.
    const source = repeatTo("", "/", 20_000) + "x/flows/hostile_flow.py";
    const lineBytes = Math.floor((MAX_FILE_BYTES - Buffer.byteLength(definitionsWith(["", ""], source))) / 2) - 100;
    const hostile = definitionsWith([hostileLine.fieldColons(lineBytes), `    table: str = '${hostileLine.urlSchemes(lineBytes - 20)}'`], source);
    expect(Buffer.byteLength(hostile)).toBeLessThanOrEqual(MAX_FILE_BYTES);
    expect(Buffer.byteLength(hostile)).toBeGreaterThan(MAX_FILE_BYTES - 10_000);
    // Untracked files in a git repo are checked too (git would track them).
    writeFiles(root, { "dagster/healthy_dagster.py": healthy, "dagster/hostile_dagster.py": hostile });
    return root;
  }

  it("a 2 MB definitions file of every old worst case next to a healthy flow: `mfdag check` reports both within a deadline 100× what it needs, and stops at once on SIGTERM", async () => {
    const repo = await hostileRepo();
    // The old parser spent minutes on this file; the deadline is far above what a linear one needs (a few seconds).
    const { exitCode, stdout, stderr } = await runCli(["check", "--root", repo, "--format", "json", "--compiler", "static"], { timeout: 60_000 });
    // 0: the hostile file's only readable field changed its default, which the default fail-on (type-change) lets pass.
    expect(exitCode, stderr).toBe(0);
    const report = JSON.parse(stdout) as CheckReport;
    expect(report.flows.find((flow) => flow.flowFile === "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", definitionsFile: "dagster/healthy_dagster.py" });
    const hostile = report.flows.find((flow) => flow.definitionsFile === "dagster/hostile_dagster.py");
    expect(hostile).toMatchObject({ flowFile: "flows/hostile_flow.py", status: "drift" });
    expect(hostile!.changes.map((change) => [change.parameter, change.kind])).toEqual([["table", "default-changed"]]);
    expect(hostile!.configDiff).toContain("-    a: a: a: ");

    // SIGTERM while it reads the hostile file: the process must be gone within seconds, not when the parse ends.
    const child = spawn(process.execPath, [CLI, "check", "--root", repo, "--format", "json", "--compiler", "static"], { stdio: "ignore" });
    const exited = once(child, "exit").then(() => "exited");
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill("SIGTERM");
    const outcome = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000, "still running"))]);
    if (outcome !== "exited") child.kill("SIGKILL");
    expect(outcome, "10 s after SIGTERM").toBe("exited");
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

describe("attack: a hostile definitions file cannot stall or crash the job reader: its time grows linearly up to maxFileBytes, and it returns problems instead of throwing", () => {
  /** A healthy file with every part (ops, compound ops, job, schedule, sensors) to put the hostile text into. */
  const kitchenSink = JSON.parse(readFileSync(path.join(PROJECT, "__tests__/fixtures/corpus-definitions/expected/0.3.7/x01_kitchen_sink.json"), "utf8")) as Record<string, unknown>;
  const healthy = renderDefinitions({ model: kitchenSink, generator: "0.3.7" });
  const firstOpBody = healthy.indexOf("\n", healthy.indexOf("\ndef op_start(")) + 1;
  /** `part` of about `bytes` put at `at` of the healthy file. */
  const into = (at: "top" | "opBody" | "sensors", part: (bytes: number) => string) => (bytes: number) => {
    const index = at === "top" ? healthy.indexOf("\n@job") + 1 : at === "opBody" ? firstOpBody : healthy.indexOf("\ndefs = Definitions(") + 1;
    return healthy.slice(0, index) + part(bytes) + "\n" + healthy.slice(index);
  };
  const read = (text: string) => readJobModel(text);

  const shapes: Record<string, { make: (bytes: number) => string; problem: RegExp | null }> = {
    "a 2 MB line: one list literal of 200 000 strings (more items than a literal may hold)": { make: into("top", (n) => "HUGE_LIST = [" + "'a', ".repeat(n / 5) + "]"), problem: /HUGE_LIST is not a literal|line \d+: a statement of more than \d+ tokens was not read/ },
    "a literal nested 1 000 000 brackets deep": { make: into("top", (n) => "DEEP = " + "[".repeat(n / 2) + "]".repeat(n / 2)), problem: /DEEP is not a literal|line \d+: a statement of more than \d+ tokens was not read/ },
    "a 2 MB run of unclosed brackets `x = ((((…`": { make: into("top", (n) => "x = " + "(".repeat(n)), problem: /bracket is never closed/ },
    "an unclosed triple-quoted string of escaped quotes `S = '''\\'\\'…`": { make: into("top", (n) => "S = '''" + "\\'".repeat(n / 2)), problem: /string is never closed/ },
    "an unclosed one-line string `S = '\\\"\\\"…`": { make: into("top", (n) => "S = '" + '\\"'.repeat(n / 2)), problem: /string is never closed/ },
    "a `_run_step(` that never ends, inside an op": { make: into("opBody", (n) => "    task_path = _run_step(context, " + "a, ".repeat(n / 3)), problem: /bracket is never closed/ },
    "a 2 MB `@sensor(job=` line and `when the '` repeated in the sensors": { make: into("sensors", (n) => "@sensor(job=" + "a".repeat(n / 2) + "\n" + "when the '".repeat(n / 20)), problem: null },
    "a 2 MB constant line `A:` followed by spaces and no `=` in the preamble": { make: (n) => healthy.replace("\nFLOW_NAME", "\nA:" + " a".repeat(n / 2) + "\nFLOW_NAME"), problem: null },
  };

  for (const [name, { make, problem }] of Object.entries(shapes)) {
    it(`${name}: 8× the bytes, under 23× the time; the rest of the file is still read`, () => {
      expect(growth(make, read, MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
      const reading = readJobModel(make(MAX_FILE_BYTES));
      expect(reading.model).not.toBeNull();
      expect(reading.model!.flow_name).toBe("KitchenSinkFlow");
      if (problem) expect(reading.problems.join("\n")).toMatch(problem);
    });
  }

  it("thousands of ops (a linear flow of 8 000 steps in 2 MB): 8× the ops, under 23× the time; every op is read", () => {
    const flowOf = (bytes: number) => {
      const steps = Array.from({ length: Math.max(2, Math.floor(bytes / 250)) }, (_, i) => (i === 0 ? "start" : `step_${i}`));
      return renderDefinitions({ flow: "WideFlow", source: "/home/alice/flows/wide.py", configClass: null, steps });
    };
    expect(growth(flowOf, read, MAX_FILE_BYTES)).toBeLessThan(SUPERLINEAR_GROWTH);
    const text = flowOf(MAX_FILE_BYTES);
    const reading = readJobModel(text);
    expect(reading.model!.ops.length).toBe(Math.floor(MAX_FILE_BYTES / 250));
    expect(reading.model!.job!.edges.length).toBe(reading.model!.ops.length - 1);
  });

  it("random bytes, truncations and splices of a real-shaped file never make it throw", () => {
    fc.assert(
      fc.property(fc.nat(healthy.length), fc.nat(healthy.length), fc.string({ maxLength: 40 }), (cut, splice, junk) => {
        const text = healthy.slice(0, cut) + junk + healthy.slice(Math.min(splice, healthy.length));
        const reading = readJobModel(text);
        expect(Array.isArray(reading.problems)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("attack: a hostile committed job cannot stall the job comparison or hide an entry behind __proto__", () => {
  const linear = JSON.parse(readFileSync(path.join(PROJECT, "__tests__/fixtures/corpus-definitions/expected/0.3.7/g01_linear.json"), "utf8")) as Record<string, unknown>;

  /** g01's model, its job body wiring `n` more inputs into op_end (a file can hold tens of thousands in maxFileBytes). */
  function fannedIn(n: number): JobModel {
    const model = jobModelSchema.parse(linear);
    const extra = Array.from({ length: n }, (_, i) => ({ from: `op_start`, output: null, to: "op_end", input: `x${i}`, how: "direct" as const }));
    return { ...model, job: { ...model.job!, edges: [...model.job!.edges, ...extra] } };
  }

  it("thousands of edges into one op: 8× the edges, under 23× the time, and the rewiring is reported", () => {
    const current = jobModelSchema.parse(linear);
    const compare = (committed: JobModel) => compareJobs({ committed, current });
    // A model over its limits is not a model (job-model.ts): grow up to them.
    expect(growth((n) => fannedIn(Math.floor(n)), compare, 9_000)).toBeLessThan(SUPERLINEAR_GROWTH);
    expect(compare(fannedIn(9_000)).changes.map((c) => c.kind)).toEqual(["edge-changed"]);
  });

  it("a step named __proto__ in STEP_WITH_DECORATORS is read as an own entry and compared like any other", () => {
    const model = jobModelSchema.parse(linear);
    // JSON.parse makes `__proto__` an own key, as a file's dict literal should be read (an object literal would set the prototype).
    const withProto = JSON.parse(JSON.stringify(model.step_with_decorators).replace(/^\{/, '{"__proto__": ["retry:times=3"], ')) as Record<string, string[]>;
    expect(Object.hasOwn(withProto, "__proto__")).toBe(true);
    const text = renderDefinitions({ model: { ...linear, step_with_decorators: withProto }, generator: "0.3.7" });
    expect(text).toContain("'__proto__': ['retry:times=3']");
    const read = readJobModel(text).model!;
    expect(Object.hasOwn(read.step_with_decorators!, "__proto__")).toBe(true);
    expect(read.step_with_decorators!["__proto__"]).toEqual(["retry:times=3"]);
    // Against the clean model: the extra entry is a difference, never an inherited match.
    expect(compareJobs({ committed: read, current: model }).changes.length).toBeGreaterThan(0);
  });
});
