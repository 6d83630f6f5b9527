/**
 * `mfdag --help` and `mfdag COMMAND --help`, through the built CLI (dist/cli.js): the whole usage,
 * or one command's, and nothing run.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS, parseCommandLine, usageOf, USAGE } from "../src/cli-args.js";
import { DEFAULT_GENERATOR, GENERATOR_PROFILES, GENERATOR_VERSIONS, profileVersion } from "../src/core/generators.js";
import { PROJECT, runCli, tempDir } from "./helpers/repo.js";

/** The whole usage; per-command help must not change it. */
const FULL_USAGE = `Usage:
  mfdag check  [--root DIR] [--compiler auto|static|metaflow] [--python PATH]
               [--fail-on never|type-change|breaking|drift] [--config FILE]
               [--format text|json|markdown|github|sarif] [--color|--no-color]
               [--concurrency N] [--timeout SECONDS] [--shard k/n]
               [--generator 0.3.7|main] [--allow-empty] [--untrusted]
  mfdag config FLOW_FILE [--root DIR] [--compiler auto|static|metaflow] [--python PATH]
               [--generator 0.3.7|main] [--format text|json|mermaid]
               the Config class and the job dagster create would write for one flow
  mfdag inspect DEFINITIONS_FILE [--format text|json|mermaid]
               what a committed definitions file defines: ops, edges, schedule, sensors, options
  mfdag list   [--root DIR] [--format text|json] [--config FILE]
  mfdag merge  REPORT.json... [--format text|json|markdown|github|sarif]
               combines the JSON reports of \`check --shard k/n\` runs into one verdict
  mfdag fix    [--root DIR] [--python PATH] [--flow FILE]... [--patch FILE] [--config FILE]
               regenerates stale definitions files with the real compiler (or writes a patch)

The root defaults to the git top level of the current directory (of FLOW_FILE for config).
--allow-empty    a root without flows and definitions files passes (otherwise exit 2)
--untrusted      the checkout is not trusted (a pull request's): the config file may not set
                 python, maxFileBytes, timeout or concurrency, and the metaflow compiler never
                 runs. Automatic on GitHub Actions pull request events (see SECURITY.md).
--format github  the action's annotations as GitHub workflow commands (::error file=...::msg)
                 for a run: step; --format sarif: the SARIF 2.1.0 log the action writes.
--color          colors whatever the environment; --no-color: none. Without either, colors
                 on a terminal, none when NO_COLOR is set (non-empty), and always when
                 FORCE_COLOR is set, unless to 0 or false.

Exit codes: 0 checked and the policy holds, 1 the policy is violated, 2 could not check.`;

/** The lines that start each command's usage. */
const usageLine = (command: string) => new RegExp(`^  mfdag ${command} `, "m");

describe("mfdag --help", () => {
  it("prints the whole usage, every command, as it always has", async () => {
    expect(USAGE).toBe(FULL_USAGE);
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const run = await runCli(args);
      expect(run).toEqual({ exitCode: 0, stdout: FULL_USAGE, stderr: "" });
    }
  });

  it("prints the whole usage for a help topic that is not a command", async () => {
    expect(await runCli(["help", "nonsense"])).toEqual({ exitCode: 0, stdout: FULL_USAGE, stderr: "" });
  });
});

describe("mfdag COMMAND --help", () => {
  it.each(COMMANDS)("mfdag %s --help prints the usage of that command only", async (command) => {
    const run = await runCli([command, "--help"]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(usageOf(command));
    expect(run.stdout).toMatch(usageLine(command));
    for (const other of COMMANDS.filter((c) => c !== command)) expect(run.stdout).not.toMatch(usageLine(other));
    expect(run.stdout).toContain("Exit codes: 0 checked and the policy holds, 1 the policy is violated, 2 could not check.");
  });

  it("mfdag help check, mfdag check -h and mfdag --help check print the same as mfdag check --help", async () => {
    const expected = (await runCli(["check", "--help"])).stdout;
    for (const args of [["help", "check"], ["check", "-h"], ["--help", "check"]]) expect((await runCli(args)).stdout).toBe(expected);
  });

  it("mfdag check --help explains the options check has (--allow-empty, --untrusted, --format github, --color), mfdag merge --help not those of the repo", () => {
    expect(usageOf("check")).toContain("--allow-empty    a root without flows");
    expect(usageOf("check")).toContain("--untrusted      the checkout is not trusted");
    expect(usageOf("check")).toContain("--format github  the action's annotations as GitHub workflow commands");
    expect(usageOf("check")).toContain("--color          colors whatever the environment");
    expect(usageOf("merge")).toContain("--format github  the action's annotations as GitHub workflow commands");
    expect(usageOf("list")).not.toContain("--format github");
    expect(usageOf("merge")).not.toContain("--allow-empty");
    expect(usageOf("merge")).not.toContain("The root defaults");
    expect(usageOf("fix")).not.toContain("--untrusted      ");
  });

  it("mfdag check --help checks nothing: no root is needed and no report is printed", async () => {
    const empty = tempDir("mfdag-help-");
    const run = await runCli(["check", "--help", "--root", path.join(empty, "missing")], { cwd: empty });
    expect(run).toEqual({ exitCode: 0, stdout: usageOf("check"), stderr: "" });
  });

  it("a bad value is still an error with --help, naming the option (exit 2)", async () => {
    const run = await runCli(["check", "--help", "--format", "xml"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("--format: 'xml' is not one of text, json, markdown");
  });

  it("parses the help topic from the command or from the word after help", () => {
    expect(parseCommandLine(["fix", "--help"])).toMatchObject({ command: "help", helpTopic: "fix" });
    expect(parseCommandLine(["help", "list"])).toMatchObject({ command: "help", helpTopic: "list" });
    expect(parseCommandLine(["--help"]).helpTopic).toBeUndefined();
  });
});

describe("mfdag --version", () => {
  it("prints the version of package.json alone on its first line", async () => {
    const { version } = JSON.parse(readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { version: string };
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const run = await runCli(["--version"]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n")[0]).toBe(version);
  });

  it("names the metaflow-dagster versions the static compiler models, the default first, and those it only recognises", async () => {
    const lines = (await runCli(["--version"])).stdout.split("\n");
    // From the table of generator facts: the profiles' versions and every row without a profile.
    const modelled = GENERATOR_PROFILES.map((profile) => `${profileVersion(profile)}${profile === DEFAULT_GENERATOR ? " (default)" : ""}`);
    expect(modelled).toContain("0.3.7 (default)");
    expect(lines[1]).toBe(`metaflow-dagster modelled by the static compiler: ${modelled.join(", ")}`);
    const recognised = GENERATOR_VERSIONS.filter((row) => row.profile === null).map((row) => row.version);
    expect(recognised).toContain("0.3.6");
    expect(lines[2]).toBe(`metaflow-dagster recognised in committed files, not modelled: ${recognised.join(", ")}`);
    expect(lines).toHaveLength(3);
  });
});
