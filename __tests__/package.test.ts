/**
 * What ships: the npm tarball (`npx mfdag`), the bundles (minified, with source maps that stack
 * traces use) and their third-party licenses. The CLI bundle holds every dependency, so the package
 * declares none and must run with nothing installed.
 */
import { cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { bundledPackages } from "../scripts/bundled-packages.mjs";
import type { CheckReport } from "../src/core/types.js";
import { PROJECT, tempDir } from "./helpers/repo.js";

const manifest = JSON.parse(readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { version: string };

/** The files of a project folder whose names pass `keep`, as package paths. */
const filesIn = (dir: string, keep: (name: string) => boolean) =>
  readdirSync(path.join(PROJECT, dir))
    .filter((name) => keep(name) && statSync(path.join(PROJECT, dir, name)).isFile())
    .map((name) => `${dir}/${name}`);

/** A private npm cache per run: nothing read from or left in the user's. */
const npmEnv = (dir: string) => ({ npm_config_cache: path.join(dir, ".npm-cache"), npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" });

describe("the npm package", () => {
  it("ships exactly what npx mfdag runs: the CLI launcher, bundle and map, the licenses, the static and real compilers without their tests, the templates, the config schema", async () => {
    const packed = await execa("npm", ["pack", "--dry-run", "--json"], { cwd: PROJECT, env: npmEnv(tempDir("mfdag-npm-")) });
    const shipped = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path).sort();
    const expected = [
      "package.json",
      "README.md",
      // npm adds a LICENSE file whenever the repo has one.
      ...(existsSync(path.join(PROJECT, "LICENSE")) ? ["LICENSE"] : []),
      "dist/cli.js",
      "dist/cli.bundle.js",
      "dist/cli.bundle.js.map",
      "dist/licenses.txt",
      "schema/mfdag.schema.json",
      "python/mfdag_static.py",
      "python/mfdag_forkserver.py",
      "python/mfdag_contain.py",
      ...filesIn("python/mfstatic", (name) => name.endsWith(".py")),
      ...filesIn("templates", (name) => name.endsWith(".njk")),
    ].sort();
    expect(expected).toContain("python/mfstatic/server.py");
    expect(expected).toContain("templates/check.txt.njk");
    expect(shipped).toEqual(expected);
    // Spelled out, so a broader `files` pattern fails here with a clear name.
    for (const unwanted of ["dist/index.js", "dist/index.bundle.js", "action.yml"]) expect(shipped).not.toContain(unwanted);
    expect(shipped.filter((file) => /^(src|__tests__|scripts|examples|python\/tests)\//.test(file))).toEqual([]);
  });

  it("installs from its tarball offline and runs npx mfdag --version and mfdag check on a copy of examples/shop", async () => {
    const dir = tempDir("mfdag-pack-");
    const env = npmEnv(dir);
    const packed = await execa("npm", ["pack", "--pack-destination", dir, "--json"], { cwd: PROJECT, env });
    const tarball = path.join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);

    // A project of a team that adopts mfdag: the tarball is its only dependency, and --offline
    // proves the package needs nothing else from a registry.
    const team = tempDir("mfdag-team-");
    writeFileSync(path.join(team, "package.json"), JSON.stringify({ name: "team-repo", private: true }));
    await execa("npm", ["install", "--offline", "--save-dev", tarball], { cwd: team, env });
    const installed = JSON.parse(readFileSync(path.join(team, "node_modules/mfdag/package.json"), "utf8")) as Record<string, unknown>;
    expect(installed.dependencies).toBeUndefined();
    expect(installed.bin).toEqual({ mfdag: "dist/cli.js" });
    expect(readdirSync(path.join(team, "node_modules")).filter((name) => !name.startsWith("."))).toEqual(["mfdag"]);

    const version = await execa("npx", ["--offline", "mfdag", "--version"], { cwd: team, env, reject: false });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.split("\n")[0]).toBe(manifest.version);

    // Installed under node_modules/, a bug's stack still names the src/*.ts lines.
    const fault = `data:text/javascript,${encodeURIComponent('process.stdout.write = () => { throw new Error("deliberate fault"); };')}`;
    const faulty = await execa(process.execPath, ["--import", fault, path.join(team, "node_modules/.bin/mfdag"), "--version"], { cwd: team, reject: false });
    expect(faulty.exitCode).toBe(2);
    expect(faulty.stderr).toMatch(/at write \(.*node_modules\/mfdag\/src\/cli\/terminal\.ts:\d+:\d+\)/);

    const shop = path.join(team, "shop");
    cpSync(path.join(PROJECT, "examples/shop"), shop, { recursive: true });
    const run = await execa("npx", ["--offline", "mfdag", "check", "--root", shop, "--format", "json"], { cwd: team, reject: false, env: { ...env, NO_COLOR: "1" } });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(1); // the example's train_dagster.py is stale on purpose
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report.flows.map((flow) => [flow.flowFile, flow.status])).toEqual([
      ["flows/etl_flow.py", "up-to-date"],
      ["flows/report_flow.py", "up-to-date"],
      ["flows/train_flow.py", "drift"],
    ]);
  });

  const declaredEngines = (JSON.parse(readFileSync(path.join(PROJECT, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
  it(`npm ci on this Node (${process.version}; the package declares ${declaredEngines}, the action runs on node24) prints no EBADENGINE warning`, async () => {
    expect(declaredEngines).toBe(">=20");
    const dir = tempDir("mfdag-ci-");
    for (const file of ["package.json", "package-lock.json"]) cpSync(path.join(PROJECT, file), path.join(dir, file));
    // --dry-run resolves the lockfile and checks every package's engines without installing.
    const ci = await execa("npm", ["ci", "--dry-run", "--offline"], { cwd: dir, env: npmEnv(dir), reject: false });
    expect(`${ci.stdout}\n${ci.stderr}`).not.toContain("EBADENGINE");
    expect(`${ci.stdout}\n${ci.stderr}`).not.toMatch(/npm warn/i);
    expect(ci.exitCode).toBe(0);
  });
});

describe("the bundles", () => {
  it("are minified: well under the unminified sizes (dist/index.js 5.4 MB, dist/cli.js 1.6 MB)", () => {
    const megabytes = (file: string) => statSync(path.join(PROJECT, "dist", file)).size / 1e6;
    expect(megabytes("index.bundle.js")).toBeLessThan(3.5);
    expect(megabytes("cli.bundle.js")).toBeLessThan(1.2);
    // A minified bundle is a few long lines, not one statement per line.
    expect(readFileSync(path.join(PROJECT, "dist/cli.bundle.js"), "utf8").split("\n").length).toBeLessThan(1000);
  });

  it("an internal error in the CLI prints a stack that names the src/*.ts lines, not the minified bundle", async () => {
    // A deliberate fault in a child run: stdout that throws makes `mfdag --version` fail inside
    // mfdag's own code, which the CLI reports as an internal error with its stack.
    const fault = `data:text/javascript,${encodeURIComponent('process.stdout.write = () => { throw new Error("deliberate fault"); };')}`;
    const run = await execa(process.execPath, ["--import", fault, path.join(PROJECT, "dist/cli.js"), "--version"], { cwd: PROJECT, reject: false, env: { NO_COLOR: "1" } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain("mfdag: internal error: Error: deliberate fault");
    const frames = run.stderr.split("\n").filter((line) => /^\s+at /.test(line));
    expect(frames.some((frame) => /src\/cli\/terminal\.ts:\d+:\d+/.test(frame))).toBe(true);
    expect(frames.some((frame) => /src\/cli\.ts:\d+:\d+/.test(frame))).toBe(true);
    expect(frames.filter((frame) => frame.includes("cli.bundle.js"))).toEqual([]);
  });

  it("a failure while the action starts prints a stack that names TypeScript sources, not the minified bundle", async () => {
    // A runner whose event payload path is a directory: @actions/github fails reading it as the bundle loads.
    const run = await execa(process.execPath, [path.join(PROJECT, "dist/index.js")], { cwd: tempDir("mfdag-action-"), reject: false, env: { GITHUB_EVENT_PATH: tempDir("mfdag-event-") } });
    expect(run.exitCode).not.toBe(0);
    const frames = run.stderr.split("\n").filter((line) => /^\s+at /.test(line));
    expect(frames.some((frame) => /\.ts:\d+:\d+/.test(frame))).toBe(true);
    expect(frames.filter((frame) => frame.includes("index.bundle.js"))).toEqual([]);
  });
});

describe("dist/licenses.txt", () => {
  it("has the license of every package bundled into the CLI and action bundles", async () => {
    const bundle = (entry: string) => build({ entryPoints: [path.join(PROJECT, entry)], bundle: true, platform: "node", format: "esm", target: "node20", write: false, metafile: true, outfile: "out.js", logLevel: "silent" });
    const metafiles = await Promise.all(["src/cli.ts", "src/index.ts"].map(async (entry) => (await bundle(entry)).metafile));
    const packages = bundledPackages(metafiles, PROJECT);
    // The bundles' main dependencies, so an empty list cannot pass.
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(["zod", "nunjucks", "yaml", "execa", "@actions/core", "@actions/artifact", "@octokit/plugin-retry"]));

    const sections = readFileSync(path.join(PROJECT, "dist/licenses.txt"), "utf8").split(`\n${"-".repeat(80)}\n`).slice(1);
    const headers = sections.map((section) => section.split("\n")[0]);
    expect(headers).toEqual(packages.map((p) => `${p.name}@${p.version} (${p.license ?? "no license field"})`));
    for (const section of sections) expect(section.split("\n").slice(2).join("\n").trim().length).toBeGreaterThan(0);
    const zod = sections.find((section) => section.startsWith("zod@"))!;
    expect(zod).toContain("Permission is hereby granted, free of charge");
  });
});
