/**
 * The TypeScript reader of committed definitions files and the fixture writer, both checked
 * against the corpus' reference reader (`extract.py`, run by real python3):
 * - every expected model of the corpus, written by the fixture writer, reads back through
 *   extract.py as that expected model (so the writer writes the documented format), and through
 *   readJobModel as extract.py's model of the same file, template fingerprint included;
 * - with the real compiler (MFDAG_MFD_037 / MFDAG_MFD_MAIN, see DEVELOPERS.md), the files it
 *   writes for a sample of corpus flows read the same through both readers.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readJobModel } from "../src/core/job-reader.js";
import { jobModelSchema } from "../src/core/job-model.js";
import { GENERATORS, renderDefinitions } from "../scripts/definitions-writer.mjs";
import { compileWithRealCompiler, extractModels, realCompilerOn, shellWords } from "../scripts/record-models.mjs";
import { PROJECT, tempDir } from "./helpers/repo.js";

const CORPUS = path.join(PROJECT, "__tests__/fixtures/corpus-definitions");
const VERSIONS = [
  { dir: "0.3.7", generator: "0.3.7", pythonPathVar: "MFDAG_MFD_037" },
  { dir: "main-af05540", generator: "main", pythonPathVar: "MFDAG_MFD_MAIN" },
] as const;

/** The keys of job-model.ts: what a reader must agree on. */
const MODEL_KEYS = Object.keys(jobModelSchema.shape) as (keyof typeof jobModelSchema.shape)[];
/** The documented comparison: everything except the reader's diagnostics, the machine and the version's text (section 8). */
const NOT_COMPARED = new Set(["schema", "python_valid", "python_error", "parse_errors", "step_env_keys", "template_sha", "template_constants", "template_helpers"]);

type Model = Record<string, unknown>;

function expectedModels(dir: string): { name: string; model: Model }[] {
  return readdirSync(path.join(CORPUS, "expected", dir))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ""), model: JSON.parse(readFileSync(path.join(CORPUS, "expected", dir, f), "utf8")) as Model }))
    .filter(({ model }) => !("error" in model));
}

/** The compared keys of a model; the header without the flow file's basename (a renamed file), missing header keys as `null`. */
function compared(model: Model, keys: readonly string[]): Model {
  const out: Model = {};
  for (const key of keys) {
    if (NOT_COMPARED.has(key)) continue;
    if (key === "header") {
      const header = (model.header ?? {}) as Model;
      out.header = { flow: header.flow ?? null, job: header.job ?? null, regenerate: header.regenerate ?? null };
    } else if (key in model) out[key] = model[key];
  }
  return out;
}

function expectSameReading(text: string, extracted: Model, label: string): void {
  const reading = readJobModel(text);
  expect(reading.model, label).not.toBeNull();
  expect(compared(reading.model as Model, MODEL_KEYS), label).toEqual(compared(extracted, MODEL_KEYS));
  expect(reading.fingerprint, label).toEqual({ templateSha: extracted.template_sha, constants: extracted.template_constants, helpers: extracted.template_helpers });
  expect(jobModelSchema.safeParse(reading.model).success, label).toBe(true);
}

for (const version of VERSIONS) {
  describe(`the fixture writer and the reader on every expected model of metaflow-dagster ${version.dir}`, () => {
    const expected = expectedModels(version.dir);
    const texts = expected.map(({ model }) => renderDefinitions({ model, generator: version.generator }));
    const extracted = extractModels(texts) as Model[];

    it(`has models to check (${expected.length})`, () => {
      expect(expected.length).toBeGreaterThan(30);
    });

    expected.forEach(({ name, model }, i) => {
      it(`${name}: extract.py reads the written file back as the expected model, and readJobModel reads it as extract.py does`, () => {
        const allKeys = [...new Set([...Object.keys(model), ...Object.keys(extracted[i]!)])];
        expect(compared(extracted[i]!, allKeys)).toEqual(compared(model, allKeys));
        // The writer imitates the version's constant and helper names (not its template text).
        expect(extracted[i]!.template_constants).toEqual(model.template_constants);
        expect(extracted[i]!.template_helpers).toEqual(model.template_helpers);
        expectSameReading(texts[i]!, extracted[i]!, name);
      });
    });

    it("the writer's version table holds the names of the expected files", () => {
      const { constants, helpers } = GENERATORS[version.generator];
      for (const { model } of expected) {
        expect(model.template_constants).toEqual(constants);
        expect(model.template_helpers).toEqual(helpers);
      }
    });
  });
}

describe("the fixture writer's old spec (a linear flow without decorators)", () => {
  it("writes what metaflow-dagster 0.3.7 writes for a linear flow: start, linear and end ops, empty decorator lists, 0.3.7's markers", () => {
    const text = renderDefinitions({ flow: "LinFlow", source: "/home/alice/flows/lin.py", configClass: ["class LinFlowConfig(Config):", "    alpha: int = 1  # Alpha value", "    label: str = 'x'"], steps: ["start", "mid", "end"] });
    const [model] = extractModels([text]) as Model[];
    const ops = model!.ops as { name: string; kind: string; parameters?: Record<string, string>; config: string | null }[];
    expect(ops.map((op) => [op.name, op.kind])).toEqual([
      ["op_start", "start"],
      ["op_mid", "linear"],
      ["op_end", "end"],
    ]);
    expect(ops[0]!.parameters).toEqual({ alpha: "config.alpha", label: "config.label" });
    expect(ops[0]!.config).toBe("LinFlowConfig");
    expect(model!.step_with_decorators).toEqual({ start: [], mid: [], end: [] });
    expect(model!.step_decorator_specs).toEqual({ start: [], mid: [], end: [] });
    expect(model!.template_constants).toEqual(GENERATORS["0.3.7"].constants);
    expect((model!.job as { body: string[] }).body).toEqual(["r_start = op_start()", "r_mid = op_mid(r_start)", "op_end(r_mid)"]);
    expectSameReading(text, model!, "old spec");
  });
});

describe("the reader is tolerant", () => {
  const [x03] = expectedModels("0.3.7").filter(({ name }) => name === "x03_awkward_params");
  const [f06] = expectedModels("0.3.7").filter(({ name }) => name === "f06_trigger_event");
  const [c11] = expectedModels("0.3.7").filter(({ name }) => name === "c11_name_digit");

  it("reads the files the real compiler writes that are not Python: a @trigger sensor with a column-0 yield, dashed parameter names and multi-line help, a digit-leading job name", () => {
    for (const { name, model } of [x03!, f06!, c11!]) {
      const reading = readJobModel(renderDefinitions({ model, generator: "0.3.7" }));
      expect(compared(reading.model as Model, MODEL_KEYS), name).toEqual(compared(model, MODEL_KEYS));
    }
    const digit = readJobModel(renderDefinitions({ model: c11!.model, generator: "0.3.7" }));
    expect(digit.model!.job_name_not_identifier).toBe(true);
    expect(digit.model!.job!.name).toBe(c11!.model.job_name);
  });

  it("points at the lines of each op, the job, the schedule and each sensor", () => {
    const [x01] = expectedModels("0.3.7").filter(({ name }) => name === "x01_kitchen_sink");
    const text = renderDefinitions({ model: x01!.model, generator: "0.3.7" });
    const lines = text.split("\n");
    const reading = readJobModel(text);
    for (const [op, line] of Object.entries(reading.lines.ops)) expect(lines[line - 1]).toMatch(new RegExp(`^def ${op}\\(`));
    expect(Object.keys(reading.lines.ops)).toEqual((x01!.model.ops as { name: string }[]).map((op) => op.name));
    expect(lines[reading.lines.job! - 1]).toBe(`def ${x01!.model.job_name}():`);
    expect(lines[reading.lines.schedule! - 1]).toMatch(/^\w+_schedule = ScheduleDefinition\($/);
    const sensors = Object.entries(reading.lines.sensors);
    expect(sensors.length).toBe((x01!.model.sensors as unknown[]).length);
    for (const [name, line] of sensors) expect(lines[line - 1]).toContain(`def ${name}(context`);
  });

  it("returns what a truncated file still holds, with problems, and null only for text that is not a definitions file", () => {
    const [g09] = expectedModels("main-af05540").filter(({ name }) => name === "g09_multibody_foreach");
    const text = renderDefinitions({ model: g09!.model, generator: "main" });
    const cut = text.slice(0, text.indexOf("@job"));
    const reading = readJobModel(cut);
    expect(reading.model!.ops.length).toBe((g09!.model.ops as unknown[]).length);
    expect(reading.model!.job).toBeNull();
    expect(reading.problems.join("\n")).toMatch(/no `@job` function/);
    const midOp = readJobModel(text.slice(0, text.indexOf("_run_step(", text.indexOf("@op")) + 12));
    expect(midOp.model!.flow_name).toBe(g09!.model.flow_name);
    expect(midOp.problems.length).toBeGreaterThan(0);
    expect(readJobModel("print('hello')\n").model).toBeNull();
    expect(readJobModel("").model).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// The real compiler

const FLOWS = path.join(CORPUS, "flows");
/** A sample covering every kind of part: graph shapes, decorators, arguments, schedules, sensors, awkward names. */
const SAMPLE = ["c04_with", "c05_workflow_timeout", "c11_name_digit", "d01_retry", "d03_environment", "d12_decos_in_compound", "f06_trigger_event", "f08_trigger_on_finish", "g09_multibody_foreach", "g12_nested_split", "g20_switch_same_target", "x01_kitchen_sink", "x03_awkward_params"];

for (const version of VERSIONS) {
  const pythonPath = process.env[version.pythonPathVar];
  const available = realCompilerOn(pythonPath);
  const title = available
    ? `readJobModel on what the real metaflow-dagster ${version.dir} writes`
    : `readJobModel on what the real metaflow-dagster ${version.dir} writes: SKIPPED, set ${version.pythonPathVar} to a PYTHONPATH with metaflow and metaflow-dagster ${version.dir} (see DEVELOPERS.md)`;
  describe.skipIf(!available)(title, () => {
    it(`reads ${SAMPLE.length} corpus flows' files (with their arguments) exactly as extract.py does, template fingerprint included`, () => {
      const words = (name: string, ext: string) => {
        try {
          return shellWords(readFileSync(path.join(FLOWS, `${name}.${ext}`), "utf8"));
        } catch {
          return [];
        }
      };
      const texts = SAMPLE.map((name) => {
        const result = compileWithRealCompiler(path.join(FLOWS, `${name}.py`), { pythonPath: pythonPath!, topArgs: words(name, "topargs"), args: words(name, "args") });
        if (result.error !== undefined) throw new Error(`${name}: ${result.error}`);
        return result.text;
      });
      const extracted = extractModels(texts) as Model[];
      texts.forEach((text, i) => {
        expectSameReading(text, extracted[i]!, SAMPLE[i]!);
        // And that is the recorded ground truth.
        const expected = JSON.parse(readFileSync(path.join(CORPUS, "expected", version.dir, `${SAMPLE[i]}.json`), "utf8")) as Model;
        expect(compared(readJobModel(text).model as Model, MODEL_KEYS), SAMPLE[i]).toEqual(compared(expected, MODEL_KEYS));
      });
    }, 180_000);

    it.skipIf(version.generator !== "0.3.7")("the old spec of the fixture writer gives the model the real compiler gives for the same decorator-free linear flow", () => {
      const dir = tempDir();
      const flowFile = path.join(dir, "lin.py");
      const steps = (names: string[]) => names.map((s, i) => `    @step\n    def ${s}(self):\n        ${i < names.length - 1 ? `self.next(self.${names[i + 1]})` : "pass"}\n`).join("\n");
      writeFileSync(flowFile, `from metaflow import FlowSpec, Parameter, step\n\n\nclass LinFlow(FlowSpec):\n    alpha = Parameter("alpha", default=1, help="Alpha value")\n    label = Parameter("label", default="x")\n\n${steps(["start", "mid", "end"])}\n\nif __name__ == "__main__":\n    LinFlow()\n`);
      const real = compileWithRealCompiler(flowFile, { pythonPath: pythonPath! });
      if (real.error !== undefined) throw new Error(real.error);
      const lines = real.text.split("\n");
      const start = lines.findIndex((l) => l.startsWith("class LinFlowConfig(Config):"));
      const configClass = lines.slice(start, lines.indexOf("", start));
      const ours = renderDefinitions({ flow: "LinFlow", source: "/home/alice/flows/lin.py", configClass, steps: ["start", "mid", "end"] });
      const [realModel, ourModel] = extractModels([real.text, ours]) as Model[];
      const keys = Object.keys(realModel!);
      expect(compared(ourModel!, keys)).toEqual(compared(realModel!, keys));
      expect(ourModel!.template_constants).toEqual(realModel!.template_constants);
      expect(ourModel!.template_helpers).toEqual(realModel!.template_helpers);
    });
  });
}
