/**
 * Property-based attacks on the two parsers that read what a PR author controls: the TypeScript
 * parser of committed definitions files (src/core/definitions.ts) and the Python static compiler
 * (python/mfdag_static.py) that reads flow files. Both must answer anything, however broken,
 * without throwing, and must read back exactly what is well formed.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isDefinitionsText, parseConfigBlock, parseDefinitionsFile, parseFieldLine } from "../src/core/definitions.js";
import { staticResponseSchema } from "../src/core/static-protocol.js";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { CORPUS, PROJECT, tempDir } from "./helpers/repo.js";

// ---------------------------------------------------------------------------------------------
// Generators

const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);

/** What `type(default).__name__` gives, and some annotations a hand edit might leave. */
const typeName = fc.oneof(fc.constantFrom("int", "float", "str", "bool", "list", "dict", "tuple", "NoneType", "Dict[str, int]", "List[str]", "Optional[int]"), identifier);

/** Text biased towards what confuses a line parser: quotes, escapes, `  # `, `=`, `:`. */
const trickyText = fc
  .array(fc.oneof(fc.constantFrom("'", '"', "\\", "  # ", "#", " = ", "=", ":", ": ", ",", " ", "%", "`", "é", "→", "\t"), fc.string({ unit: "grapheme", maxLength: 4 })), { maxLength: 10 })
  .map((parts) => parts.join(""));

/** Python's `repr()` of a str: single quotes unless the text has ' and no ", escapes for the rest. */
function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    // Not printable for str.isprintable(): controls, separators (U+2028/9 too), surrogates.
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (/[\p{Z}\p{C}]/u.test(ch) && ch !== " ") out += code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Python literals as `repr()` writes them: numbers, strings, None/True/False, and containers. */
const pyLiteral: fc.Arbitrary<string> = fc.letrec<{ scalar: string; value: string; list: string; dict: string }>((tie) => ({
  scalar: fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Number.isInteger(n) ? `${n}.0` : String(n))),
    fc.constantFrom("None", "True", "False", "inf", "-0.0", "1e+100"),
    trickyText.map(pyRepr),
  ),
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("scalar"), tie("list"), tie("dict")),
  list: fc.array(tie("value"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
  dict: fc.array(fc.tuple(trickyText.map(pyRepr), tie("value")), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `${k}: ${v}`).join(", ")}}`),
})).value;

// Help is written raw after `  # `, so it may hold anything but a line break (U+2028/U+2029 are
// not line breaks in Python, and stay in).
const help = fc.oneof(trickyText, fc.string({ unit: "grapheme", maxLength: 30 })).map((text) => text.replace(/[\r\n]/g, " "));

interface Field {
  name: string;
  type: string;
  default: string;
  help: string;
}

const field: fc.Arbitrary<Field> = fc.record({ name: identifier, type: typeName, default: pyLiteral, help: fc.oneof(fc.constant(""), help) });

/** The line metaflow-dagster writes for a field: `    name: type = repr  # help` (no comment without help). */
const renderField = (f: Field) => `    ${f.name}: ${f.type} = ${f.default}${f.help === "" ? "" : `  # ${f.help}`}`;

/** Edits that hand edits, bad merges and broken tools make to a file. */
type Mutation = { kind: "insert"; at: number; text: string } | { kind: "delete"; at: number; length: number } | { kind: "flip"; at: number; mask: number } | { kind: "truncate"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(trickyText, fc.constantFrom('"""', "\n", "\r\n", "\n\n", "class XConfig(Config):\n", "    x: int = 1\n", "\uFEFF", "\0")) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

/** Applies `mutations` to the UTF-8 bytes of `text`, then decodes them as a reader would (U+FFFD for bad bytes). */
function mutate(text: string, mutations: readonly Mutation[]): string {
  let bytes = Buffer.from(text, "utf8");
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + 1);
    if (m.kind === "insert") bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.text, "utf8"), bytes.subarray(at)]);
    else if (m.kind === "delete") bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.length)]);
    else if (m.kind === "flip" && at < bytes.length) bytes[at] = bytes[at]! ^ m.mask;
    else if (m.kind === "truncate") bytes = bytes.subarray(0, at);
  }
  return new TextDecoder("utf-8").decode(bytes);
}

// ---------------------------------------------------------------------------------------------

describe("the definitions parser never throws and reads back every well-formed field", () => {
  const definitions = fc.record({
    flow: identifier.map((name) => `${name}Flow`),
    job: fc.option(identifier, { nil: undefined }),
    source: fc.array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,7}$/), { minLength: 1, maxLength: 4 }).map((parts) => `/home/alice/${parts.join("/")}.py`),
    fields: fc.array(field, { maxLength: 8 }),
    hasConfig: fc.boolean(),
  });

  it("mutated definitions files (insertions, deletions, byte flips, truncations) never make parseDefinitionsFile, parseConfigBlock or parseFieldLine throw", () => {
    fc.assert(
      fc.property(definitions, fc.array(mutation, { minLength: 1, maxLength: 6 }), (spec, mutations) => {
        const configClass = spec.hasConfig ? [`class ${spec.flow}Config(Config):`, ...spec.fields.map(renderField)] : null;
        const text = mutate(renderDefinitions({ flow: spec.flow, job: spec.job, source: spec.source, configClass }), mutations);
        const parsed = parseDefinitionsFile("dagster/d.py", text);
        // null exactly when the text does not start with the metaflow-dagster header.
        expect(parsed === null).toBe(!isDefinitionsText(text));
        if (parsed) {
          expect(parsed.path).toBe("dagster/d.py");
          expect(parsed.problem === null || parsed.problem.length > 0).toBe(true);
          if (parsed.configClass) {
            const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
            // configLine points at the class line, and every field at a line of the block.
            expect(lines[parsed.configLine! - 1]!.trimEnd()).toBe(parsed.configClass.lines[0]!.trimEnd());
            expect(parsed.configClass.fields.length + parsed.configClass.unparsed.length).toBeLessThanOrEqual(parsed.configClass.lines.length - 1);
            for (const f of parsed.configClass.fields) expect(parsed.configClass.lines[f.index + 1]!.startsWith(`    ${f.name}: `)).toBe(true);
          }
        }
        const lines = text.split("\n");
        expect(() => parseConfigBlock(lines)).not.toThrow();
        expect(() => parseConfigBlock(lines.slice(lines.findIndex((l) => l.startsWith("class ")) + 1))).not.toThrow();
        for (const [i, line] of lines.entries()) {
          const f = parseFieldLine(line, i);
          if (f) expect(line.startsWith(`    ${f.name}: `)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("a field line with quotes, backslashes and '  # ' inside its default or help reads back as the same name, type, default and help", () => {
    fc.assert(
      fc.property(field, fc.nat(), (f, index) => {
        expect(parseFieldLine(renderField(f), index)).toEqual({ ...f, index });
      }),
      { numRuns: 1000 },
    );
  });

  it("a whole Config class of such fields reads back field by field, with nothing unparsed", () => {
    fc.assert(
      fc.property(identifier, fc.array(field, { maxLength: 12 }), (flow, fields) => {
        const block = parseConfigBlock([`class ${flow}Config(Config):`, ...fields.map(renderField)]);
        expect(block.className).toBe(`${flow}Config`);
        expect(block.unparsed).toEqual([]);
        expect(block.fields).toEqual(fields.map((f, index) => ({ ...f, index })));
      }),
      { numRuns: 300 },
    );
  });

  it("a definitions file written with such a Config class parses back to exactly its lines and fields", () => {
    fc.assert(
      fc.property(definitions, (spec) => {
        const configClass = [`class ${spec.flow}Config(Config):`, ...spec.fields.map(renderField)];
        const parsed = parseDefinitionsFile("dagster/d.py", renderDefinitions({ flow: spec.flow, job: spec.job, source: spec.source, configClass }))!;
        expect(parsed).toMatchObject({ flow: spec.flow, job: spec.job ?? spec.flow, source: spec.source, problem: null });
        expect(parsed.configClass!.lines).toEqual(configClass);
        expect(parsed.configClass!.fields).toEqual(spec.fields.map((f, index) => ({ ...f, index })));
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------

const CORPUS_FLOWS = path.join(CORPUS, "flows");
const corpusFlowFiles = readdirSync(CORPUS_FLOWS).filter((f) => f.endsWith(".py")).sort();

/** Edits to a flow file: delete a line, insert characters, cut it short. */
type FlowMutation = { kind: "delete-line"; line: number } | { kind: "insert"; at: number; text: string } | { kind: "truncate"; at: number };

const flowMutation: fc.Arbitrary<FlowMutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete-line" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.constantFrom("(", ")", "[", "]", "{", "}", "'", '"', '"""', ":", ",", "=", "\n", "    ", "\t", "#", "\\", ".", "*", "0", "x", "é", "class ", "lambda: ", "import os\n"), fc.string({ unit: "grapheme", maxLength: 3 })) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutateFlow(text: string, mutations: readonly FlowMutation[]): string {
  let out = text;
  for (const m of mutations) {
    if (m.kind === "delete-line") {
      const lines = out.split("\n");
      lines.splice(m.line % Math.max(1, lines.length), 1);
      out = lines.join("\n");
    } else if (m.kind === "insert") {
      const at = m.at % (out.length + 1);
      out = out.slice(0, at) + m.text + out.slice(at);
    } else {
      out = out.slice(0, m.at % (out.length + 1));
    }
  }
  return out;
}

const mutant = fc.record({ base: fc.constantFrom(...corpusFlowFiles), mutations: fc.array(flowMutation, { minLength: 1, maxLength: 4 }) });

describe("the static compiler answers every mutated flow", () => {
  it("100 mutated corpus flows per request: exit 0, valid JSON, one answer per entry, each a Config class, an error or a reason", { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutant, { minLength: 100, maxLength: 100 }), async (mutants) => {
        // The corpus's shared modules and data file next to the mutants, as in the corpus itself.
        const root = tempDir("mfdag-mutants-");
        cpSync(CORPUS_FLOWS, root, { recursive: true });
        const files = mutants.map((m, i) => {
          const file = `m${String(i).padStart(3, "0")}_${m.base}`;
          writeFileSync(path.join(root, file), mutateFlow(readFileSync(path.join(CORPUS_FLOWS, m.base), "utf8"), m.mutations));
          return file;
        });
        const request = { root, scan: files, compile: files.map((flowFile) => ({ flowFile, flowClass: null, jobName: null })) };
        const child = await execa("python3", ["-B", path.join(PROJECT, "python/mfdag_static.py")], {
          input: JSON.stringify(request),
          reject: false,
          timeout: 90_000,
          cwd: root,
          env: { PYTHONDONTWRITEBYTECODE: "1", PYTHONHASHSEED: "0" },
        });
        expect(child.exitCode, child.stderr).toBe(0);
        // The shape the CLI validates at the boundary, and one answer per entry, in order.
        const response = staticResponseSchema.parse(JSON.parse(child.stdout));
        expect(response.files.map((f) => f.file)).toEqual(files);
        expect(response.results.map((r) => r.flowFile)).toEqual(files);
        for (const [i, result] of response.results.entries()) {
          const where = `${files[i]} (${JSON.stringify(mutants[i]!.mutations)}): ${JSON.stringify(result).slice(0, 400)}`;
          if (result.error !== null) {
            // A per-file error: the real compiler's or mfdag's, in words.
            expect(result.error.trim().length, where).toBeGreaterThan(0);
          } else if (!result.exact) {
            expect(result.reason?.trim().length ?? 0, where).toBeGreaterThan(0);
          } else {
            expect(result.reason, where).toBeNull();
            expect(result.job, where).not.toBeNull();
            if (result.configClass !== null) {
              expect(result.configClass[0], where).toMatch(/^class \S+Config\(Config\):$/);
              // Every line is a field, or continues the previous field's help (a help with a newline).
              const continuation = result.configClass.slice(1).filter((line) => !line.startsWith("    ")).length;
              const block = parseConfigBlock(result.configClass);
              expect(block.fields.length, where).toBe(result.configClass.length - 1 - continuation);
              expect(block.unparsed, where).toEqual([]);
            }
          }
        }
      }),
      // Three requests of 100 mutants. On failure the message names the mutant; shrinking would
      // re-run Python many times.
      { numRuns: 3, endOnFailure: true },
    );
  });
});
