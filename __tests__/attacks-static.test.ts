/**
 * Attacks on the static compiler (python/mfdag_static.py) through the built CLI (dist/cli.js), a
 * real python3 and real processes: what a pull request's files can do to the interpreter that
 * reads them (imports, memory, time). The README's "Attacks tested" table is generated from the
 * `attack:` describes below (scripts/attack-table.mjs).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execaSync } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckReport, FlowResult } from "../src/core/types.js";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { flowSource, gitRepo, runCli, tempDir } from "./helpers/repo.js";
import { listener } from "./helpers/listener.js";

// ---------------------------------------------------------------------------------------------
// Helpers

const HEALTHY_FLOW = flowSource("HealthyFlow", '    x = Parameter("x", default=1, help="the x")');
const HEALTHY_CONFIG = ["class HealthyFlowConfig(Config):", "    x: int = 1  # the x"];

/** The healthy flow and its committed, up-to-date definitions. */
function healthyFiles(): Record<string, string> {
  return {
    "flows/healthy_flow.py": HEALTHY_FLOW,
    "dagster/healthy_dagster.py": renderDefinitions({ flow: "HealthyFlow", source: "/home/alice/elsewhere/flows/healthy_flow.py", configClass: HEALTHY_CONFIG }),
  };
}

/** A flow whose class body is `params` (one `name = Parameter(...)` line each), with committed definitions so it gets a result. */
function flowWithDefinitions(name: string, file: string, params: string[], header = "from metaflow import FlowSpec, Parameter, step"): Record<string, string> {
  return {
    [file]: flowSource(name, params.join("\n"), { header }),
    [`dagster/${path.posix.basename(file, ".py")}_dagster.py`]: renderDefinitions({ flow: name, source: `/home/alice/elsewhere/${file}`, configClass: [`class ${name}Config(Config):`, "    x: int = 1"] }),
  };
}

async function staticCheck(root: string, options: { env?: Record<string, string>; cwd?: string; python?: string; timeout?: number } = {}) {
  const { exitCode, stdout, stderr } = await runCli(["check", "--root", root, "--compiler", "static", "--format", "json", ...(options.python ? ["--python", options.python] : [])], {
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    timeout: options.timeout ?? 180_000,
  });
  if (exitCode !== 1 && exitCode !== 0) throw new Error(`mfdag check exited ${exitCode}: ${stderr}`);
  return { exitCode, stderr, report: JSON.parse(stdout) as CheckReport };
}

function resultFor(report: CheckReport, flowFile: string): FlowResult {
  const result = report.flows.find((flow) => flow.flowFile === flowFile);
  if (!result) throw new Error(`no result for ${flowFile}: ${report.flows.map((f) => f.flowFile).join(", ")}`);
  return result;
}

/** The interpreter python3 really is (not a shim): hostile stand-ins exec it by absolute path. */
function realPython(): string {
  return execaSync("python3", ["-c", "import sys; print(sys.executable)"]).stdout.trim();
}

/** Python that leaves a trace if it ever runs: a line in `marker` and a connection to `port`. */
function sideEffects(marker: string, port: number): string {
  return [
    "import socket as _s",
    `open(${JSON.stringify(marker)}, "a").write(__name__ + "\\n")`,
    "try:",
    `    _s.create_connection(("127.0.0.1", ${port}), timeout=2).close()`,
    "except Exception:",
    "    pass",
  ].join("\n");
}

/**
 * An interpreter for --python that runs the real one with at most `limitMb` of address space and
 * appends its peak resident size (MB) to `peakFile` when it exits: an unbounded allocation fails
 * fast instead of eating the machine, and the test sees how much the compiler really used.
 */
function measuredPython(limitMb: number, peakFile: string): string {
  const file = path.join(tempDir(), "python-measured");
  writeFileSync(
    file,
    `#!${realPython()}
import resource, subprocess, sys
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (${limitMb} << 20, ${limitMb} << 20))
code = subprocess.call([sys.executable] + sys.argv[1:], preexec_fn=limit)
with open(${JSON.stringify(peakFile)}, "a") as out:
    out.write("%d\\n" % (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))
sys.exit(code)
`,
    { mode: 0o755 },
  );
  return file;
}

// ---------------------------------------------------------------------------------------------

describe("attack: the static compiler imports nothing from the checked repo", () => {
  let server: Awaited<ReturnType<typeof listener>>;
  let marker: string;
  let root: string;
  const runs: Record<string, Awaited<ReturnType<typeof staticCheck>>> = {};

  // Four checks, one after the other.
  beforeAll(async () => {
    server = await listener();
    marker = path.join(tempDir(), "EXECUTED");
    const effects = sideEffects(marker, server.port);
    // Modules the compiler itself imports (and encodings, which Python imports at start-up),
    // sitecustomize/usercustomize, and a python3 that a PATH entry of "." would run.
    const shadows = ["json.py", "re.py", "ast.py", "tokenize.py", "string.py", "hashlib.py", "warnings.py", "traceback.py", "sitecustomize.py", "usercustomize.py", "encodings/__init__.py", "flows/json.py", "flows/re.py"];
    root = gitRepo({
      ...healthyFiles(),
      ...Object.fromEntries(shadows.map((file) => [file, `${effects}\n`])),
      "startup.py": `${effects}\n`,
      python3: `#!/bin/sh\necho "$0" >> ${JSON.stringify(marker)}\nexec ${JSON.stringify(realPython())} "$@"\n`,
    });
    chmodSync(path.join(root, "python3"), 0o755);
    const attacks: Record<string, Record<string, string>> = {
      dot: { PYTHONPATH: ".", PYTHONSTARTUP: path.join(root, "startup.py") },
      leading: { PYTHONPATH: ":/nonexistent" },
      trailing: { PYTHONPATH: "/nonexistent:" },
      path: { PATH: `:${process.env.PATH}`, PYTHONPATH: `${root}/flows` },
    };
    // One at a time: each starts its own Python, and the machine is shared.
    for (const [name, env] of Object.entries(attacks)) runs[name] = await staticCheck(root, { env, cwd: root });
  }, 240_000);
  afterAll(async () => {
    await server?.close();
  });

  it("PYTHONPATH=. with the repo root as working directory does not import the repo's json.py, re.py, ast.py or encodings/: -I ignores it and the compiler runs outside the repo", () => {
    expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe("");
    expect(server.connections()).toBe(0);
    expect(runs.dot!.report.summary).toMatchObject({ flows: 1, upToDate: 1, errors: 0 });
    expect(resultFor(runs.dot!.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", compiler: "static" });
  });

  it("a PYTHONPATH with an empty entry (':/x' or '/x:', the working directory) imports nothing from the repo either", () => {
    expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe("");
    for (const run of [runs.leading!, runs.trailing!]) expect(resultFor(run.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date" });
  });

  it("an executable python3 at the repo root with an empty PATH entry is never run: the compiler's working directory is its own", () => {
    expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe("");
    expect(resultFor(runs.path!.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date" });
  });
});

// ---------------------------------------------------------------------------------------------

describe("attack: one flow cannot make the static compiler use unbounded memory", () => {
  let peakFile: string;
  let run: Awaited<ReturnType<typeof staticCheck>>;

  beforeAll(async () => {
    peakFile = path.join(tempDir(), "peak-mb");
    // 300 module-level strings of 999,001 characters outside Latin-1 (4 bytes each): each under
    // the per-value bound, 1.2 GB together; one flow reads them all, another reads each twice.
    const big = Array.from({ length: 300 }, (_, i) => `B${i} = "\\U0001F600" * 999_000 + "${i}"`).join("\n");
    const root = gitRepo({
      ...healthyFiles(),
      "flows/big.py": `${big}\n`,
      ...flowWithDefinitions("PercentFlow", "flows/percent_flow.py", ['    x = Parameter("x", default="%*d" % (1_500_000_000, 1))']),
      ...flowWithDefinitions("PrecisionFlow", "flows/precision_flow.py", ['    x = Parameter("x", default="%.*f" % (1_500_000_000, 1.0))']),
      ...flowWithDefinitions("NestedFlow", "flows/nested_flow.py", ['    x = Parameter("x", default=f"{1:{1_500_000_000}}")', '    y = Parameter("y", default="{:{}}".format(1, 1_500_000_000))']),
      ...flowWithDefinitions(
        "CachedFlow",
        "flows/cached_flow.py",
        Array.from({ length: 300 }, (_, i) => `    p${i} = Parameter("p${i}", default=len(big.B${i}))`),
        "from metaflow import FlowSpec, Parameter, step\nfrom flows import big",
      ),
      ...flowWithDefinitions(
        "RereadFlow",
        "flows/reread_flow.py",
        Array.from({ length: 300 }, (_, i) => `    p${i} = Parameter("p${i}", default=len(big.B${299 - i}) + len(big.B${i}))`),
        "from metaflow import FlowSpec, Parameter, step\nfrom flows import big",
      ),
      "flows/__init__.py": "",
    });
    run = await staticCheck(root, { python: measuredPython(1024, peakFile) });
  }, 240_000);

  it("'%*d' % (1_500_000_000, 1) and '%.*f' in a few hundred bytes are not exact (width too large) instead of allocating gigabytes", () => {
    for (const flow of ["flows/percent_flow.py", "flows/precision_flow.py"]) {
      expect(resultFor(run.report, flow)).toMatchObject({ status: "error", error: expect.stringMatching(/cannot reproduce this flow exactly: .*format width is too large/) });
    }
    expect(resultFor(run.report, "flows/nested_flow.py")).toMatchObject({ status: "error", error: expect.stringMatching(/format width is too large.*nested format fields|nested format fields.*format width is too large/) });
  });

  it("300 cached module-level values each just under the per-value bound are not exact once the flow's total budget is spent, and Python stays far below its 1 GB limit", () => {
    for (const flow of ["flows/cached_flow.py", "flows/reread_flow.py"]) {
      const result = resultFor(run.report, flow);
      expect(result.status).toBe("error");
      expect(result.error).toMatch(/budget for one flow ran out \(values of a total weight over \d+/);
      expect(result.error).not.toMatch(/MemoryError/);
    }
    const peaks = readFileSync(peakFile, "utf8").trim().split("\n").map(Number);
    expect(peaks.length).toBeGreaterThan(0);
    expect(Math.max(...peaks)).toBeLessThan(300);
  });

  it("the healthy flow next to them is still up to date", () => {
    expect(resultFor(run.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", error: null });
    expect(run.exitCode).toBe(1);
  });

  it("a Config whose default file is 40 MB of JSON objects (gigabytes once parsed) is not exact, over maxFileBytes, and Python stays far below its 1 GB limit", async () => {
    const peaks = path.join(tempDir(), "peak-mb");
    const root = gitRepo({
      ...healthyFiles(),
      "flows/big.json": `[${"{},".repeat(13_000_000)}{}]`,
      ...flowWithDefinitions("ConfigFlow", "flows/config_flow.py", ['    cfg = Config("cfg", default="big.json")'], "from metaflow import Config, FlowSpec, Parameter, step"),
    });
    const checked = await staticCheck(root, { python: measuredPython(1024, peaks) });
    expect(resultFor(checked.report, "flows/config_flow.py")).toMatchObject({ status: "error", error: expect.stringContaining("Config 'cfg' default file is over the 2000000-byte limit (maxFileBytes)") });
    expect(resultFor(checked.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date" });
    expect(Math.max(...readFileSync(peaks, "utf8").trim().split("\n").map(Number))).toBeLessThan(300);
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------

describe("attack: dense Python files cannot make the static compiler hold gigabytes of syntax trees", () => {
  let peakFile: string;
  let run: Awaited<ReturnType<typeof staticCheck>>;
  // Small comprehensions, tuples and calls: about 0.6 KB of syntax tree per token, 2 KB per line.
  const DENSE_LINE = "x = [a for a in b if a]; y = (c, d, e, f, g, h, i, j, k, l); z = m.n.o.p(q, r, s, t)\n";
  const dense = (bytes: number, head: string, tail = "") => `${head}\n${DENSE_LINE.repeat(Math.floor((bytes - head.length - tail.length) / DENSE_LINE.length))}${tail}`;

  beforeAll(async () => {
    peakFile = path.join(tempDir(), "peak-mb");
    const files: Record<string, string> = { ...healthyFiles(), "flows/__init__.py": "" };
    // Ten 1.9 MB files (~1.26 million tokens each, ~0.8 GB of tree each), each a flow with committed
    // definitions, all imported by one more flow.
    for (let k = 0; k < 10; k++) {
      const tail = `class Dense${k}Flow(FlowSpec):\n    @step\n    def start(self):\n        self.next(self.end)\n\n    @step\n    def end(self):\n        pass\n\n\nif __name__ == "__main__":\n    Dense${k}Flow()\n`;
      files[`flows/dense_${k}.py`] = dense(1_900_000, `from metaflow import FlowSpec, step\nVALUE = ${k}`, tail);
      files[`dagster/dense_${k}_dagster.py`] = renderDefinitions({ flow: `Dense${k}Flow`, source: `/home/alice/elsewhere/flows/dense_${k}.py`, configClass: null });
    }
    Object.assign(files, flowWithDefinitions("ImportsDenseFlow", "flows/imports_dense_flow.py", ['    x = Parameter("x", default=dense_0.VALUE + dense_9.VALUE)'], `from metaflow import FlowSpec, Parameter, step\nfrom flows import ${Array.from({ length: 10 }, (_, k) => `dense_${k}`).join(", ")}`));
    // Twelve 290 kB modules (~190,000 tokens each: under the per-file limit, 2.3 million together),
    // one flow importing them all, and a small flow per module reading a value from it: the
    // cache fills up and is emptied again and again while the flows are checked.
    for (let k = 0; k < 12; k++) {
      files[`flows/mid_${k}.py`] = dense(290_000, "VALUE = 1");
      Object.assign(files, flowWithDefinitions(`ReadsMid${k}Flow`, `flows/reads_mid_${k}_flow.py`, [`    x = Parameter("x", default=mid_${k}.VALUE)`], `from metaflow import FlowSpec, Parameter, step\nfrom flows import mid_${k}`));
    }
    Object.assign(files, flowWithDefinitions("ImportsMidFlow", "flows/imports_mid_flow.py", ['    x = Parameter("x", default=mid_0.VALUE + mid_11.VALUE)'], `from metaflow import FlowSpec, Parameter, step\nfrom flows import ${Array.from({ length: 12 }, (_, k) => `mid_${k}`).join(", ")}`));
    run = await staticCheck(gitRepo(files), { python: measuredPython(1024, peakFile) });
  }, 240_000);

  it("ten 1.9 MB files of dense expressions imported by one flow (and checked as flows) are refused before they are parsed (over 1,000,000 tokens per file), and the static compiler's peak RSS stays under 500 MB with a 1 GB limit", () => {
    for (let k = 0; k < 10; k++) {
      const result = resultFor(run.report, `flows/dense_${k}.py`);
      expect(result.status).toBe("error");
      expect(result.error).toMatch(/file has \d+ tokens .*over the static compiler's limit of 1000000 per file/);
    }
    const importer = resultFor(run.report, "flows/imports_dense_flow.py");
    expect(importer.status).toBe("error");
    expect(importer.error).toMatch(/module flows\/dense_0\.py cannot be read: file has \d+ tokens .*over the static compiler's limit/);
    expect(JSON.stringify(run.report)).not.toMatch(/MemoryError/);
    const peaks = readFileSync(peakFile, "utf8").trim().split("\n").map(Number);
    expect(peaks.length).toBeGreaterThan(0);
    expect(Math.max(...peaks)).toBeLessThan(500);
  });

  it("twelve 190,000-token modules imported by one flow are not exact (the trees it needs together are over the 1,000,000 tokens a process holds), and twelve flows reading one each are still up to date while the cache is emptied between them", () => {
    const importer = resultFor(run.report, "flows/imports_mid_flow.py");
    expect(importer.status).toBe("error");
    expect(importer.error).toMatch(/budget for one flow ran out \(the files it reads have more than 1000000 tokens together/);
    for (let k = 0; k < 12; k++) expect(resultFor(run.report, `flows/reads_mid_${k}_flow.py`)).toMatchObject({ status: "up-to-date", error: null });
  });

  it("the healthy flow next to them is still up to date", () => {
    expect(resultFor(run.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", error: null });
    expect(run.exitCode).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe("attack: one flow cannot use up the static compiler's time for the whole check", () => {
  let run: Awaited<ReturnType<typeof staticCheck>>;
  let elapsedMs = 0;

  beforeAll(async () => {
    const root = gitRepo({
      ...healthyFiles(),
      // 3000 defaults of 40,000 steps each: under the per-default bound, hours together.
      ...flowWithDefinitions(
        "BusyFlow",
        "flows/busy_flow.py",
        Array.from({ length: 3000 }, (_, i) => `    p${i} = Parameter("p${i}", default=sum([i * 2 for i in range(10000)]))`),
      ),
      // Codecs whose cost is quadratic in the length of one string: a single step each.
      ...flowWithDefinitions("CodecFlow", "flows/codec_flow.py", [
        '    a = Parameter("a", default=len(("\\u00e9" * 200_000).encode("punycode")))',
        '    b = Parameter("b", default=len(("\\u00e9" * 200_000).encode("idna", "ignore")))',
        '    c = Parameter("c", default=len((b"xn--" + b"a" * 200_000).decode("punycode")))',
        '    d = Parameter("d", default=len(str(b"a" * 200_000, "punycode")))',
        '    e = Parameter("e", default=int("9" * 900_000))',
      ]),
    });
    const started = Date.now();
    run = await staticCheck(root, { timeout: 240_000 });
    elapsedMs = Date.now() - started;
  }, 240_000);

  it("3000 defaults of 40,000 steps each are not exact, naming the flow's budget, instead of a check that times out with no report", () => {
    const busy = resultFor(run.report, "flows/busy_flow.py");
    expect(busy.status).toBe("error");
    expect(busy.error).toMatch(/the static compiler's budget for one flow ran out \((more than \d+ evaluation steps|more than \d+ s on this flow)/);
    // Well under Node's deadline (at least 300 s without a sign of life).
    expect(elapsedMs).toBeLessThan(120_000);
  });

  it("str.encode/bytes.decode/str() with punycode or idna and int() of 900,000 digits are not exact instead of running for minutes", () => {
    const codec = resultFor(run.report, "flows/codec_flow.py");
    expect(codec.status).toBe("error");
    expect(codec.error).toMatch(/codec 'punycode' is not evaluated statically/);
    expect(codec.error).toMatch(/codec 'idna' is not evaluated statically/);
    expect(codec.error).toMatch(/int\(\) of a string of more than \d+ characters/);
  });

  it("the healthy flow is still checked and up to date", () => {
    expect(resultFor(run.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", error: null });
  });

  // Python < 3.12 parses one f-string in time (its fields) x (its length), in one C call that no
  // budget can interrupt: each of these would hold the python3 of this machine (3.11) for one to
  // two minutes. They are refused before parsing, so this check takes seconds; the old code ran
  // into the timeout below instead.
  let fstrings: Awaited<ReturnType<typeof staticCheck>>;
  // 285,000 fields of 3 tokens in 2 MB: under the 1,000,000-token limit per file.
  const manyFields = (bytes: number) => `f"${"{abcde}".repeat(Math.floor(bytes / 7))}"`;

  beforeAll(async () => {
    const root = gitRepo({
      ...healthyFiles(),
      "flows/__init__.py": "",
      ...flowWithDefinitions("FieldsFlow", "flows/fields_flow.py", [`    x = Parameter("x", default=${manyFields(1_990_000)})`]),
      // 280,000 fields again, after quotes that would make a scan that only looks for f-string
      // openers start an f-string inside a comment or a string: it would then take `'f'` in the
      // literal for the end of one f-string and the start of the next, and count 5,000 fields in
      // each of 56 pieces.
      "flows/fields_module.py": ["# it's f\"\"\" and f'", "A = 'f\"\"\"' + \"'\"", `VALUE = "f'" + f"${"{abcde}".repeat(5_000).concat("'f'").repeat(56)}"`, ""].join("\n"),
      ...flowWithDefinitions("ImportsFieldsFlow", "flows/imports_fields_flow.py", ['    x = Parameter("x", default=fields_module.A)'], "from metaflow import FlowSpec, Parameter, step\nfrom flows import fields_module"),
      // Few fields in a long literal: 9,000 fields in 1.9 MB, under the per-f-string limit.
      ...flowWithDefinitions("LongFstringFlow", "flows/long_fstring_flow.py", [`    x = Parameter("x", default=f"${"{a}".concat(" ".repeat(208)).repeat(9_000)}")`]),
    });
    fstrings = await staticCheck(root, { timeout: 120_000 });
  }, 150_000);

  it("a flow whose default is one f-string with 285,000 replacement fields (2 MB, under the token limit) is refused before it is parsed, naming the limit of 10,000 fields per f-string, and the healthy flow next to it is up to date", () => {
    const flow = resultFor(fstrings.report, "flows/fields_flow.py");
    expect(flow.status).toBe("error");
    expect(flow.error).toMatch(/an f-string has 28\d{4} replacement fields, over the static compiler's limit of 10000 per f-string/);
    expect(resultFor(fstrings.report, "flows/healthy_flow.py")).toMatchObject({ status: "up-to-date", error: null });
  });

  it("a module with such an f-string, split by `'f'` after an `f'` in a string and `f\"\"\"` in a comment, makes the flow importing it not exact, naming the module and the limit", () => {
    const importer = resultFor(fstrings.report, "flows/imports_fields_flow.py");
    expect(importer.status).toBe("error");
    expect(importer.error).toMatch(/module flows\/fields_module\.py cannot be read: an f-string has 28\d{4} replacement fields, over the static compiler's limit of 10000 per f-string/);
  });

  it("one f-string of 1.9 MB with 9,000 fields (under the per-f-string limit) is refused too: the file's fields x characters are over the limit of 1,000,000,000", () => {
    const flow = resultFor(fstrings.report, "flows/long_fstring_flow.py");
    expect(flow.status).toBe("error");
    expect(flow.error).toMatch(/the file's f-strings have \d+ replacement fields x characters, over the static compiler's limit of 1000000000 per file/);
  });
});

// ---------------------------------------------------------------------------------------------

describe("attack: a static compiler that dies in the middle of a check does not lose the report", () => {
  it("a Python killed while it works (1 s of CPU) gives each of its flows an error saying so, and the report is still written", { timeout: 240_000 }, async () => {
    // Busy enough to outlast one CPU second whatever the per-flow budgets allow: twenty flows
    // that each run until their own step budget is spent. The kernel then kills the interpreter
    // (SIGKILL after SIGXCPU), as an out-of-memory killer would.
    const busy = Array.from({ length: 3000 }, (_, i) => `    p${i} = Parameter("p${i}", default=sum([i * 2 for i in range(10000)]))`);
    const busyFlows = Array.from({ length: 20 }, (_, k) => flowWithDefinitions(`Busy${k}Flow`, `flows/busy_${k}_flow.py`, busy));
    const root = gitRepo(Object.assign({ ...healthyFiles() }, ...busyFlows));
    const python = path.join(tempDir(), "python-cpu-limited");
    writeFileSync(python, `#!/bin/sh\nulimit -t 1\nexec ${JSON.stringify(realPython())} "$@"\n`, { mode: 0o755 });
    const { exitCode, report } = await staticCheck(root, { python });
    expect(exitCode).toBe(1);
    expect(report.flows.map((f) => f.flowFile).sort()).toEqual([...Array.from({ length: 20 }, (_, k) => `flows/busy_${k}_flow.py`), "flows/healthy_flow.py"].sort());
    for (const flow of report.flows) expect(flow).toMatchObject({ status: "error", error: expect.stringMatching(/not checked: the static compiler stopped before answering/) });
  });
});
