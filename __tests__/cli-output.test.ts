/**
 * What `mfdag` prints, through the built CLI (dist/cli.js) as a child process on temporary git
 * repos: aligned columns, the summary line, colours by flag and environment, "did you mean", and
 * `check --format github|sarif`.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { annotationsFor } from "../src/core/annotations.js";
import { toSarif } from "../src/core/sarif.js";
import type { CheckReport } from "../src/core/types.js";
import { MAX_COLUMN_WIDTH } from "../src/render/columns.js";
import { CLI, flowSource, gitRepo, PROJECT, runCli, shopRepo, tempDir, writeFiles } from "./helpers/repo.js";
import { runnerCommands } from "./helpers/workflow-commands.js";

const ESC = "\u001b";
/** Rows of the check report: a status mark, a space, the flow file (the summary line starts with a mark too). */
const ROW = /^[✓✗•] (?!.* · )/;
/** The status labels of templates/_macros.njk, which start the status column. */
const STATUS = /(?<=\S {2,})(up to date|drift|no definitions file|orphaned definitions|error)\b/;

/** The terminal column (in display cells) where `pattern` first matches in `line`; a zero-width space takes none. */
function columnOf(line: string, pattern: RegExp): number {
  const match = pattern.exec(line);
  if (!match) throw new Error(`${JSON.stringify(line)} has no ${pattern}`);
  return stringWidth(line.slice(0, match.index).replace(/\u200b/g, ""));
}

/** The built CLI with exactly `env` (and PATH, HOME), not this process's environment: colour depends on it. */
async function runWithEnv(args: string[], env: Record<string, string>, cwd?: string) {
  const child = await execa(process.execPath, [CLI, ...args], { reject: false, extendEnv: false, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, ...(cwd ? { cwd } : {}) });
  return { exitCode: child.exitCode, stdout: child.stdout, stderr: child.stderr };
}

/** A flow `name` (a class of its own) whose `rate` is a float now, and definitions that still say int. */
function staleFlow(flowFile: string, definitionsFile: string, cls: string): Record<string, string> {
  return {
    [flowFile]: flowSource(cls, '    rate = Parameter("rate", default=2.5)'),
    [definitionsFile]: renderDefinitions({ flow: cls, source: `/home/alice/elsewhere/${flowFile}`, configClass: [`class ${cls}Config(Config):`, "    rate: int = 1"] }),
  };
}

/** Names a PR can give files: separators of workflow-command properties, an escape sequence, `##[`, a literal %0A, and line breaks in the definitions file's name. */
const EVIL_FLOW = "flows/evil, name: \u001b[2J\u001b]0;t\u0007 ##[x %0A_flow.py";
const EVIL_DEFINITIONS = "dagster/e\r::error::cr\n::error::x_dagster.py";

describe("mfdag check in columns", () => {
  it("aligns the definitions and status columns of every row in display cells, wide characters and escaped names included", async () => {
    const root = shopRepo();
    writeFiles(root, { "flows/数据_flow.py": flowSource("DataFlow", '    n = Parameter("n", default=1)'), ...staleFlow(EVIL_FLOW, EVIL_DEFINITIONS, "EvilFlow") });
    const { stdout, exitCode } = await runCli(["check", "--root", root, "--compiler", "static"]);
    expect(exitCode).toBe(1);
    const rows = stdout.split("\n").filter((line) => ROW.test(line));
    expect(rows).toHaveLength(5);
    expect(rows.some((row) => row.includes("flows/数据_flow.py"))).toBe(true);
    expect(stdout).not.toMatch(/[\r\u001b\u0007]/);
    expect(rows.map((row) => columnOf(row, STATUS)), rows.join("\n")).toEqual(rows.map(() => columnOf(rows[0]!, STATUS)));
    const arrows = rows.filter((row) => row.includes(" → "));
    expect(arrows.length).toBe(4);
    expect(new Set(arrows.map((row) => columnOf(row, / → /))).size).toBe(1);
    // The escaped names take one line each: a line break in a file name shows as ⏎ in its cell.
    expect(rows.find((row) => row.includes("evil"))).toContain("dagster/e⏎::error::cr⏎::error::x_dagster.py");
  });

  it("lets one absurdly long path overflow its own row only; the others stay aligned within the cap", async () => {
    const root = shopRepo();
    const long = `flows/${"very_long_directory_name/".repeat(8)}deep_flow.py`;
    writeFiles(root, { [long]: flowSource("DeepFlow", '    n = Parameter("n", default=1)') });
    const { stdout } = await runCli(["check", "--root", root, "--compiler", "static"]);
    const rows = stdout.split("\n").filter((line) => ROW.test(line));
    const [longRow, ...others] = [rows.find((row) => row.includes("deep_flow.py"))!, ...rows.filter((row) => !row.includes("deep_flow.py"))];
    expect(others).toHaveLength(3);
    const statusColumn = columnOf(others[0]!, STATUS);
    for (const row of others) expect(columnOf(row, STATUS)).toBe(statusColumn);
    expect(statusColumn).toBeLessThanOrEqual(2 * MAX_COLUMN_WIDTH + 10);
    expect(columnOf(longRow, STATUS)).toBeGreaterThan(long.length);
  });

  it("mfdag list aligns the flow classes after the paths", async () => {
    const root = shopRepo();
    writeFiles(root, { "flows/数据_flow.py": flowSource("DataFlow", '    n = Parameter("n", default=1)') });
    const { stdout, exitCode } = await runCli(["list", "--root", root]);
    expect(exitCode).toBe(0);
    const rows = stdout.split("\n").filter((line) => /Flow {2}/.test(line));
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((row) => columnOf(row, /\S+Flow\b/))).size).toBe(1);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("4 flow files, 3 definitions files");
  });
});

describe("the summary line", () => {
  it("ends the report with the counts that are not zero and the time taken", async () => {
    const { stdout, exitCode } = await runCli(["check", "--root", shopRepo()]);
    expect(exitCode).toBe(1);
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(/^✗ 1 stale \(1 type change\), 2 up to date · 3 flows checked in \d+\.\d s$/);
    expect(stdout).not.toMatch(/\b0 (flows?|stale|errors?|warnings?|type changes?|orphaned|without)\b/);
  });

  it("is not green when a flow could not be checked, even when the policy passes", async () => {
    const root = shopRepo();
    writeFiles(root, { "flows/broken_flow.py": "from metaflow import FlowSpec, step\n\nclass BrokenFlow(FlowSpec):\n    x = (\n" });
    const { stdout, exitCode } = await runCli(["check", "--root", root, "--fail-on", "never"]);
    expect(exitCode).toBe(0);
    const last = stdout.trimEnd().split("\n").at(-1)!;
    expect(last).toMatch(/^! 1 stale \(1 type change\), 1 error, 2 up to date · 4 flows checked in /);
  });
});

describe("colours", () => {
  const hasColour = (text: string) => text.includes(`${ESC}[`);

  it("follow NO_COLOR, FORCE_COLOR, --color and --no-color when stdout is not a terminal", async () => {
    const root = shopRepo();
    const cases: [string[], Record<string, string>, boolean][] = [
      [[], {}, false],
      [[], { FORCE_COLOR: "1" }, true],
      [[], { FORCE_COLOR: "3" }, true],
      [[], { FORCE_COLOR: "true" }, true],
      [[], { FORCE_COLOR: "" }, true],
      [[], { FORCE_COLOR: "0" }, false],
      [[], { FORCE_COLOR: "false" }, false],
      [[], { NO_COLOR: "1" }, false],
      [[], { NO_COLOR: "1", FORCE_COLOR: "1" }, false],
      [[], { NO_COLOR: "", FORCE_COLOR: "1" }, true],
      [["--no-color"], { FORCE_COLOR: "1" }, false],
      [["--color"], { NO_COLOR: "1" }, true],
      [["--color", "--no-color"], {}, false],
    ];
    for (const [flags, env, coloured] of cases) {
      const run = await runWithEnv(["list", "--root", root, ...flags], env);
      expect(run.exitCode).toBe(0);
      expect(hasColour(run.stdout), `${flags.join(" ")} ${JSON.stringify(env)}`).toBe(coloured);
    }
    const check = await runWithEnv(["check", "--root", root], { FORCE_COLOR: "1" });
    expect(check.stdout).toContain(`${ESC}[31m✗${ESC}[39m 1 stale`);
    expect(hasColour((await runWithEnv(["check", "--root", root], {})).stdout)).toBe(false);
  });

  it("never pass an escape sequence of a file name to the terminal: only mfdag's own colour codes reach it", async () => {
    const root = gitRepo(staleFlow(EVIL_FLOW, EVIL_DEFINITIONS, "EvilFlow"));
    const run = await runWithEnv(["check", "--root", root, "--compiler", "static", "--color"], {});
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain("evil, name: ␛[2J␛]0;t␇");
    // Every escape is a colour (SGR) code; the name's \e[2J (clear screen) and \e]0; (title) are not.
    expect(run.stdout.match(/\u001b/g)!.length).toBe(run.stdout.match(/\u001b\[\d+m/g)!.length);
    expect(run.stdout).not.toMatch(/[\r\u0007]/);
  });
});

describe("did you mean", () => {
  it.each([
    [["chek"], "Unknown command 'chek'. Did you mean 'check'?"],
    [["check", "--complier", "static"], "Unknown option '--complier'. Did you mean '--compiler'?"],
    [["check", "--complier=static"], "Unknown option '--complier'. Did you mean '--compiler'?"],
    [["list", "--no-colr"], "Unknown option '--no-colr'. Did you mean '--no-color'?"],
    [["check", "--format", "jsn"], "--format: 'jsn' is not one of text, json, markdown, github, sarif for mfdag check. Did you mean 'json'?"],
    [["inspect", "x_dagster.py", "--format", "mermad"], "--format: 'mermad' is not one of text, json, mermaid for mfdag inspect. Did you mean 'mermaid'?"],
    [["check", "--fail-on", "breakng"], "--fail-on: 'breakng' is not one of never, type-change, breaking, drift. Did you mean 'breaking'?"],
  ])("mfdag %j exits 2 naming the input and what was meant", async (args, message) => {
    const run = await runCli(args);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(`mfdag: ${message}`);
  });

  it("suggests only formats the command prints", async () => {
    for (const [args, refused] of [
      [["check", "--format", "mermad"], "--format: 'mermad' is not one of text, json, markdown, github, sarif for mfdag check."],
      [["config", "flow.py", "--format", "githb"], "--format: 'githb' is not one of text, json, mermaid for mfdag config."],
    ] as const) {
      const run = await runCli([...args]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(`mfdag: ${refused}`);
      expect(run.stderr).not.toContain("Did you mean");
    }
  });

  it("suggests nothing for a word that is no typo, and shows the command's usage for an unknown option", async () => {
    const command = await runCli(["deploy"]);
    expect(command.exitCode).toBe(2);
    expect(command.stderr).toContain("Unknown command 'deploy'.\n");
    expect(command.stderr).not.toContain("Did you mean");
    const option = await runCli(["list", "--frobnicate"]);
    expect(option.exitCode).toBe(2);
    expect(option.stderr).toMatch(/^mfdag: Unknown option '--frobnicate'\.\n\nUsage:\n {2}mfdag list /);
    expect(option.stderr).not.toContain("mfdag check ");
  });

  it("shows a control character of the bad input as a visible stand-in", async () => {
    const run = await runCli(["chec\u001b[2Jk"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("Unknown command 'chec␛[2Jk'.");
    expect(run.stderr).not.toContain(ESC);
  });
});

describe("mfdag check --format github and --format sarif", () => {
  async function reportOf(root: string, ...extra: string[]): Promise<CheckReport> {
    return JSON.parse((await runCli(["check", "--root", root, "--format", "json", ...extra])).stdout) as CheckReport;
  }

  it("prints one workflow command per annotation of the report, with each hostile name read back by the runner as given, then the summary", async () => {
    const root = gitRepo({ ...staleFlow(EVIL_FLOW, EVIL_DEFINITIONS, "EvilFlow"), ...staleFlow("flows/plain_flow.py", "dagster/plain_dagster.py", "PlainFlow") });
    const run = await runWithEnv(["check", "--root", root, "--compiler", "static", "--format", "github"], {}, root);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).not.toMatch(/[\r\u001b\u0007]/);
    // Every line is a command: nothing else is printed.
    const lines = run.stdout.split("\n");
    expect(lines.every((line) => line.startsWith("::"))).toBe(true);
    const commands = runnerCommands(run.stdout);
    expect(commands).toHaveLength(lines.length);
    const annotations = annotationsFor(await reportOf(root, "--compiler", "static"));
    expect(annotations.length).toBe(4);
    expect(annotations.map((a) => a.file)).toEqual(expect.arrayContaining([EVIL_FLOW, EVIL_DEFINITIONS]));
    const visible = (text: string) => text.replace(/\u001b/g, "␛").replace(/\u0007/g, "␇").replace(/\r\n?/g, "\n").replace(/##\[/g, "##\u200b[");
    expect(commands.slice(0, -1)).toEqual(annotations.map((a) => ({ command: a.level, properties: { title: a.title, file: visible(a.file), ...(a.line ? { line: String(a.line) } : {}) }, message: visible(a.message) })));
    expect(commands.at(-1)).toEqual({ command: "error", properties: { title: "mfdag check" }, message: expect.stringMatching(/^✗ 2 stale \(2 type changes\) · 2 flows checked in \d+\.\d s$/) });
  });

  it("spends GitHub's 10 error annotations per step as the action does: one per flow at its Parameter, then +N more, then the summary", async () => {
    const files = Object.assign({}, ...Array.from({ length: 12 }, (_, i) => staleFlow(`flows/f${String(i).padStart(2, "0")}_flow.py`, `dagster/f${String(i).padStart(2, "0")}_dagster.py`, `F${i}Flow`)));
    const root = gitRepo(files);
    const run = await runWithEnv(["check", "--root", root, "--compiler", "static", "--format", "github"], {}, root);
    expect(run.exitCode).toBe(1);
    const commands = runnerCommands(run.stdout);
    const errors = commands.filter((c) => c.command === "error");
    expect(errors).toHaveLength(10);
    expect(commands).toHaveLength(10);
    // The 8 most useful: each a different flow, at the Parameter's line in the flow file.
    expect(errors.slice(0, 8).map((c) => c.properties.file)).toEqual(Array.from({ length: 8 }, (_, i) => `flows/f${String(i).padStart(2, "0")}_flow.py`));
    expect(errors[8]).toEqual({ command: "error", properties: { title: "mfdag: +16 more errors" }, message: expect.stringContaining("16 more errors (4 flows not annotated at all): mfdag check lists them all") });
    expect(errors[9]!.properties.title).toBe("mfdag check");
    expect(errors[9]!.message).toMatch(/^✗ 12 stale \(12 type changes\) · 12 flows checked in /);
    // SARIF keeps them all.
    expect(JSON.parse((await runCli(["check", "--root", root, "--compiler", "static", "--format", "sarif"])).stdout).runs[0].results).toHaveLength(24);
  });

  it("gives files from GITHUB_WORKSPACE when it is set, as the runner resolves them", async () => {
    const root = gitRepo(staleFlow("flows/plain_flow.py", "dagster/plain_dagster.py", "PlainFlow"));
    const run = await runWithEnv(["check", "--root", root, "--compiler", "static", "--format", "github"], { GITHUB_WORKSPACE: path.dirname(root) });
    const files = runnerCommands(run.stdout).map((c) => c.properties.file).filter(Boolean);
    expect(files).toEqual([`${path.basename(root)}/flows/plain_flow.py`, `${path.basename(root)}/dagster/plain_dagster.py`]);
  });

  it("ends with a notice when all is up to date, and keeps the exit codes of the text report", async () => {
    const root = shopRepo();
    for (const failOn of ["type-change", "never"]) {
      const text = await runCli(["check", "--root", root, "--fail-on", failOn]);
      for (const format of ["github", "sarif", "json"]) expect((await runCli(["check", "--root", root, "--fail-on", failOn, "--format", format])).exitCode, `${format} ${failOn}`).toBe(text.exitCode);
    }
    const clean = gitRepo({ "flows/ok_flow.py": flowSource("OkFlow", ""), "dagster/ok_dagster.py": renderDefinitions({ flow: "OkFlow", source: "/x/flows/ok_flow.py", configClass: null }) });
    const run = await runCli(["check", "--root", clean, "--compiler", "static", "--format", "github"]);
    expect(run.exitCode).toBe(0);
    expect(runnerCommands(run.stdout)).toEqual([{ command: "notice", properties: { title: "mfdag check" }, message: expect.stringMatching(/^✓ 1 up to date · 1 flow checked in /) }]);
  });

  it("--format sarif prints the SARIF the action writes for the same report", async () => {
    const root = shopRepo();
    const run = await runCli(["check", "--root", root, "--format", "sarif"]);
    expect(run.exitCode).toBe(1);
    const sarif = JSON.parse(run.stdout);
    const { version } = JSON.parse(readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { version: string };
    expect(sarif).toEqual(toSarif(annotationsFor(await reportOf(root)), version));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(["mfdag/type-changed", "mfdag/type-changed"]);
  });

  it("--format sarif names files from the checkout's top (GITHUB_WORKSPACE, else the current directory) when the root is a subdirectory of it", async () => {
    const workspace = tempDir();
    const root = path.join(workspace, "services", "shop");
    cpSync(shopRepo(), root, { recursive: true });
    const uris = (stdout: string) => JSON.parse(stdout).runs[0].results.map((r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => r.locations[0]!.physicalLocation.artifactLocation.uri).sort();
    const fromCwd = await runCli(["check", "--root", root, "--format", "sarif"], { cwd: workspace });
    expect(uris(fromCwd.stdout)).toEqual(["services/shop/dagster/train_dagster.py", "services/shop/flows/train_flow.py"]);
    const fromWorkspace = await runCli(["check", "--root", root, "--format", "sarif"], { env: { GITHUB_WORKSPACE: path.join(workspace, "services") } });
    expect(uris(fromWorkspace.stdout)).toEqual(["shop/dagster/train_dagster.py", "shop/flows/train_flow.py"]);
  });

  it("mfdag merge prints the merged report in the same formats", async () => {
    const root = shopRepo();
    const file = path.join(tempDir(), "shard.json");
    writeFileSync(file, (await runCli(["check", "--root", root, "--format", "json", "--shard", "1/1"])).stdout);
    const merged = await runWithEnv(["merge", file, "--format", "github"], {}, root);
    expect(merged.exitCode).toBe(1);
    const commands = runnerCommands(merged.stdout);
    expect(commands.map((c) => [c.command, c.properties.file])).toEqual([["error", "flows/train_flow.py"], ["error", "dagster/train_dagster.py"], ["error", undefined]]);
    expect(commands.at(-1)!.message).toBe("✗ 1 stale (1 type change), 2 up to date · 3 flows checked");
    expect(JSON.parse((await runCli(["merge", file, "--format", "sarif"])).stdout).runs[0].results).toHaveLength(2);
  });
});
