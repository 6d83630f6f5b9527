/**
 * Runs the built dist/index.js the way the Actions runner does: a child process with INPUT_*
 * variables (defaults from action.yml, as the runner fills them in), an event payload file, and
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, talking to a local stand-in for the GitHub API.
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { parse as parseYaml } from "yaml";
import { PROJECT, tempDir } from "./repo.js";

interface ActionYml {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { description: string }>;
}

export function actionYml(): ActionYml {
  return parseYaml(readFileSync(path.join(PROJECT, "action.yml"), "utf8")) as ActionYml;
}

export interface PullRequestEvent {
  number: number;
  baseSha: string;
  headSha: string;
}

export function pullRequestPayload(pr: PullRequestEvent) {
  return {
    action: "synchronize",
    number: pr.number,
    pull_request: {
      number: pr.number,
      state: "open",
      base: { sha: pr.baseSha, ref: "main", repo: { full_name: "acme/shop" } },
      head: { sha: pr.headSha, ref: "feature", repo: { full_name: "acme/shop" } },
    },
    repository: { full_name: "acme/shop", name: "shop", owner: { login: "acme" } },
  };
}

/** Parses the `name<<DELIMITER ... DELIMITER` blocks @actions/core writes to GITHUB_OUTPUT. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const [, name, delimiter] = match;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!);
    outputs[name!] = value.join("\n");
  }
  return outputs;
}

export interface ActionRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

export async function runAction(options: {
  workspace: string;
  apiUrl: string;
  inputs?: Record<string, string>;
  event?: { name: string; payload: object };
  env?: Record<string, string>;
}): Promise<ActionRun> {
  const temp = tempDir("mfdag-runner-");
  const eventPath = path.join(temp, "event.json");
  const outputPath = path.join(temp, "output");
  const summaryPath = path.join(temp, "summary.md");
  const event = options.event ?? { name: "push", payload: {} };
  writeFileSync(eventPath, JSON.stringify(event.payload));
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  const env: Record<string, string> = {
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_API_URL: options.apiUrl,
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_RUN_ID: "4242",
    RUNNER_TEMP: temp,
    ...options.env,
  };
  const inputs: Record<string, string> = { "github-token": "test-token", ...options.inputs };
  for (const [name, spec] of Object.entries(actionYml().inputs)) {
    const value = inputs[name] ?? (spec.default?.includes("${{") ? "" : (spec.default ?? ""));
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  const child = await execa(process.execPath, [path.join(PROJECT, "dist/index.js")], { cwd: options.workspace, env, reject: false, extendEnv: true });
  return {
    exitCode: child.exitCode,
    stdout: child.stdout,
    stderr: child.stderr,
    outputs: existsSync(outputPath) ? parseOutputFile(readFileSync(outputPath, "utf8")) : {},
    summary: readFileSync(summaryPath, "utf8"),
  };
}
