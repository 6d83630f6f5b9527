/**
 * What ships: the npm tarball (`npx mfdag`) and the bundles' third-party licenses. The bundles
 * hold every dependency, so the package declares none and must run with nothing installed.
 */
import { cpSync, readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { bundledPackages } from "../scripts/bundled-packages.mjs";
import type { CheckReport } from "../src/core/types.js";
import { PROJECT, tempDir } from "./helpers/repo.js";

describe("the npm package", () => {
  it("runs mfdag check with no dependencies installed: the tarball holds the bundles, python/ and templates/", async () => {
    const dir = tempDir("mfdag-pack-");
    const packed = await execa("npm", ["pack", "--pack-destination", dir, "--json"], { cwd: PROJECT });
    const tarball = path.join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    await execa("tar", ["-xzf", tarball, "-C", dir]);
    const manifest = JSON.parse(readFileSync(path.join(dir, "package/package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined(); // `npx mfdag` downloads the tarball and nothing else
    expect(manifest.bin).toEqual({ mfdag: "dist/cli.js" });

    const shop = tempDir("mfdag-shop-");
    cpSync(path.join(PROJECT, "examples/shop"), shop, { recursive: true });
    // From the unpacked package, far from this project's node_modules.
    const run = await execa(process.execPath, [path.join(dir, "package/dist/cli.js"), "check", "--root", shop, "--format", "json"], { cwd: dir, reject: false, env: { NO_COLOR: "1" } });
    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(1); // the example's train_dagster.py is stale on purpose
    const report = JSON.parse(run.stdout) as CheckReport;
    expect(report.flows.map((flow) => [flow.flowFile, flow.status])).toEqual([
      ["flows/etl_flow.py", "up-to-date"],
      ["flows/report_flow.py", "up-to-date"],
      ["flows/train_flow.py", "drift"],
    ]);
  });
});

describe("dist/licenses.txt", () => {
  it("has the license of every package bundled into dist/cli.js and dist/index.js", async () => {
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
