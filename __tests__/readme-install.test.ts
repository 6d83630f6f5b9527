/**
 * What the README promises a team that adopts mfdag: a quick start of two commands with the test
 * suite's duration, installation by tag and by npm under the package's real name, and every
 * metaflow-dagster install pinned to the version the static compiler models by default.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_GENERATOR, profileVersion } from "../src/core/generators.js";
import { PROJECT } from "./helpers/repo.js";

const readme = readFileSync(path.join(PROJECT, "README.md"), "utf8");
const manifest = JSON.parse(readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { name: string; version: string; bin: Record<string, string> };

/** The text of a `## ` section, up to the next `## ` heading. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md: no '## ${heading}' section`);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The indented (4 spaces) command lines of a section, without their comments. */
const indentedCommands = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("    ") && line.trim())
    .map((line) => line.replace(/\s+#.*$/, "").trim());

describe("README.md", () => {
  it("has a quick start of exactly two commands, npm ci and npm test, saying how long the tests take", () => {
    const quickStart = section("Quick start");
    expect(indentedCommands(quickStart)).toEqual(["npm ci", "npm test"]);
    expect(quickStart).not.toContain("```");
    expect(quickStart).toMatch(/\d+(–\d+)? minutes/);
    // What the quick start's commands rely on: the scripts and the committed bundle it names.
    expect(quickStart).toContain("node dist/cli.js check --root examples/shop");
    expect(existsSync(path.join(PROJECT, "dist/cli.js"))).toBe(true);
    expect(existsSync(path.join(PROJECT, "examples/shop"))).toBe(true);
  });

  it("shows installation by tag (mfdag-dev/mfdag-action@v1) and by npm under the package's name", () => {
    const installation = section("Installation");
    expect(manifest.name).toBe("mfdag");
    expect(Object.keys(manifest.bin)).toEqual(["mfdag"]);
    expect(installation).toContain("uses: mfdag-dev/mfdag-action@v1");
    expect(indentedCommands(installation)).toEqual([`npx ${manifest.name}@1 check`, `npm install --save-dev ${manifest.name}`]);
  });

  it("promises the major version package.json has: every @vN of the action, mfdag@N and pre-commit rev", () => {
    const major = manifest.version.split(".")[0]!;
    const files = ["README.md", ".pre-commit-hooks.yaml", "src/core/config-json-schema.ts"].map((file) => [file, readFileSync(path.join(PROJECT, file), "utf8")] as const);
    const promises = files.flatMap(([file, text]) =>
      [...text.matchAll(/mfdag-dev\/mfdag-action(?:@|\/)v(\d+)|\bmfdag@(\d+)|\brev: v(\d+)/g)].map((match) => ({ file, promise: match[0], major: match[1] ?? match[2] ?? match[3] })),
    );
    expect(promises.length).toBeGreaterThanOrEqual(5);
    expect(promises.filter((promise) => promise.major !== major)).toEqual([]);
  });

  it(`pins metaflow-dagster to ${profileVersion(DEFAULT_GENERATOR)} (the default the static compiler models) in every pip install of the docs and workflows`, () => {
    const documents = [path.join(PROJECT, "README.md"), path.join(PROJECT, "SECURITY.md"), path.join(PROJECT, "DEVELOPERS.md")];
    const workflows = path.join(PROJECT, ".github/workflows");
    if (existsSync(workflows)) documents.push(...readdirSync(workflows).filter((name) => /\.ya?ml$/.test(name)).map((name) => path.join(workflows, name)));
    const installs = documents.flatMap((file) => [...readFileSync(file, "utf8").matchAll(/pip3? install[^\n`]*?metaflow-dagster[^\s`]*/g)].map((match) => `${path.relative(PROJECT, file)}: ${match[0]}`));
    // The README's recipes have at least two (the pull request prose and the audit workflow).
    expect(installs.length).toBeGreaterThanOrEqual(2);
    expect(installs.filter((install) => !install.endsWith(`metaflow-dagster==${profileVersion(DEFAULT_GENERATOR)}`))).toEqual([]);
  });
});
