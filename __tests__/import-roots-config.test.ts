/**
 * The default import roots read from pyproject.toml and setup.cfg (hostile files included), the
 * config file's `importRoots` key, and which one the settings use.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EMPTY_REPO_CONFIG, parseRepoConfig } from "../src/core/config-file.js";
import { ConfigurationError } from "../src/core/errors.js";
import { defaultImportRoots, MAX_IMPORT_ROOTS, MAX_PROJECT_FILE_BYTES, pyprojectPackageDirs, readIni, setupCfgPackageDirs } from "../src/core/import-roots.js";
import { resolveSettings, TRUSTED } from "../src/core/settings.js";
import { readProjectImportRoots } from "../src/io/import-roots.js";
import { compilerPythonPath } from "../src/io/metaflow-compiler.js";

const pyproject = (text: string) => defaultImportRoots([{ name: "pyproject.toml", text }]);
const setupCfg = (text: string) => defaultImportRoots([{ name: "setup.cfg", text }]);

describe("pyproject.toml's package directories", () => {
  it("reads setuptools' package-dir for the root package and packages.find's where", () => {
    expect(pyproject('[tool.setuptools]\npackage-dir = {"" = "src"}\n')).toEqual({ roots: [".", "src"], notices: [] });
    expect(pyproject('[tool.setuptools.packages.find]\nwhere = ["src", "lib/py/"]\n')).toEqual({ roots: [".", "src", "lib/py"], notices: [] });
  });

  it("takes a package mapped to a directory of its own name as that directory's parent", () => {
    expect(pyproject('[tool.setuptools.package-dir]\nmypkg = "lib/mypkg"\n').roots).toEqual([".", "lib"]);
    const renamed = pyproject('[tool.setuptools.package-dir]\nmypkg = "lib/other"\n');
    expect(renamed.roots).toEqual(["."]);
    expect(renamed.notices).toEqual(["pyproject.toml: tool.setuptools.package-dir.mypkg: package mypkg in 'lib/other' cannot be imported from an import root, ignored."]);
  });

  it("reads hatch's wheel packages (their parent) and sources", () => {
    expect(pyproject('[tool.hatch.build.targets.wheel]\npackages = ["src/mypkg", "other"]\n').roots).toEqual([".", "src"]);
    expect(pyproject('[tool.hatch.build.targets.wheel]\nsources = ["src"]\n').roots).toEqual([".", "src"]);
    expect(pyproject('[tool.hatch.build.targets.wheel.sources]\n"code" = ""\n').roots).toEqual([".", "code"]);
    expect(pyproject('[tool.hatch.build.targets.wheel.sources]\n"code" = "renamed"\n').notices).toHaveLength(1);
  });

  it("reads poetry's packages with `from`, and pdm's package-dir", () => {
    expect(pyproject('[tool.poetry]\npackages = [{ include = "mypkg", from = "src" }, { include = "tools" }]\n').roots).toEqual([".", "src"]);
    expect(pyproject('[tool.pdm.build]\npackage-dir = "src"\n').roots).toEqual([".", "src"]);
  });

  it("names nothing for a project without package directories", () => {
    expect(pyproject('[project]\nname = "x"\n[tool.setuptools]\npackages = ["x"]\n')).toEqual({ roots: ["."], notices: [] });
    expect(defaultImportRoots([])).toEqual({ roots: ["."], notices: [] });
  });

  it("ignores, with a notice naming the key, a directory outside the repo", () => {
    for (const dir of ["..", "../x", "src/../../x", "/etc", "C:\\\\x"]) {
      const found = pyproject(`[tool.setuptools.packages.find]\nwhere = ["${dir}"]\n`);
      expect(found.roots, dir).toEqual(["."]);
      expect(found.notices[0], dir).toMatch(/^pyproject\.toml: tool\.setuptools\.packages\.find\.where: '.*' is not a directory inside the repo, ignored\.$/);
    }
    expect(pyproject("[tool.pdm.build]\npackage-dir = 3\n").notices).toEqual(["pyproject.toml: tool.pdm.build.package-dir: not a directory name, ignored."]);
  });
});

describe("setup.cfg's package directories", () => {
  it("reads package_dir on its own line or below the key, and packages.find's where", () => {
    expect(setupCfg("[options]\npackage_dir = =src\n").roots).toEqual([".", "src"]);
    expect(setupCfg("[metadata]\nname = x\n\n[options]\npackage_dir =\n    =src\npackages = find:\n\n[options.packages.find]\nwhere = src\n")).toEqual({ roots: [".", "src"], notices: [] });
    expect(setupCfg("[options]\npackage_dir =\n  mypkg = lib/mypkg\n").roots).toEqual([".", "lib"]);
  });

  it("reads INI as configparser does: `:` separators, comments, lower-cased keys", () => {
    const sections = readIni("; comment\n[options]\nPackage_Dir: =src\n# another\n[empty]\n");
    expect(sections.get("options")?.get("package_dir")).toBe("=src");
    expect(sections.get("empty")?.size).toBe(0);
  });

  it("ignores a directory outside the repo with a notice", () => {
    expect(setupCfgPackageDirs("[options.packages.find]\nwhere = ../up\n")).toEqual({ roots: [], notices: ["setup.cfg: options.packages.find.where: '../up' is not a directory inside the repo, ignored."] });
  });
});

describe("hostile project files", () => {
  it("a file that is not TOML gives a notice naming it and its line, and the root", () => {
    const found = pyproject('[tool.setuptools]\npackage-dir = {"" = "src" oops}\nname = 1\n');
    expect(found.roots).toEqual(["."]);
    expect(found.notices).toHaveLength(1);
    expect(found.notices[0]).toMatch(/^pyproject\.toml is not valid TOML \(line 2: .+\); its package directories are not import roots\.$/);
  });

  it("deep nesting, long dotted keys and prototype keys never throw", () => {
    const big = MAX_PROJECT_FILE_BYTES;
    for (const text of [
      "a = " + "[".repeat(big - 10),
      "a = " + "{b=".repeat(big / 3 - 10),
      "a" + ".a".repeat(big / 2 - 1) + " = 1",
      "[" + "tool.".repeat(big / 5 - 2) + "x]",
      '[tool.setuptools]\n"__proto__" = { "package-dir" = { "" = "../x" } }\n',
      '[tool]\n__proto__ = 1\n[tool.setuptools.packages.find]\nwhere = "src"\n',
    ]) {
      const started = performance.now();
      const found = pyprojectPackageDirs(text);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(found.roots.every((dir) => !dir.startsWith(".."))).toBe(true);
    }
    expect(pyprojectPackageDirs('[tool]\n__proto__ = 1\n[tool.setuptools.packages.find]\nwhere = "src"\n').roots).toEqual(["src"]);
  });

  it("a setup.cfg of many continuation lines is read in one pass", () => {
    const text = "[options]\npackage_dir =\n" + "  =src\n".repeat(MAX_PROJECT_FILE_BYTES / 7);
    const started = performance.now();
    expect(setupCfg(text).roots).toEqual([".", "src"]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("keeps at most MAX_IMPORT_ROOTS directories, and says so", () => {
    const dirs = Array.from({ length: 100 }, (_, i) => `"d${i}"`).join(", ");
    const found = pyproject(`[tool.setuptools.packages.find]\nwhere = [${dirs}]\n`);
    expect(found.roots).toHaveLength(MAX_IMPORT_ROOTS);
    expect(found.roots.slice(0, 2)).toEqual([".", "d0"]);
    expect(found.notices).toEqual([`The project files declare 101 package directories; mfdag uses the first ${MAX_IMPORT_ROOTS}.`]);
  });
});

describe("the project files in a repo", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const repo = (files: Record<string, string>) => {
    const root = mkdtempSync(path.join(os.tmpdir(), "mfdag-roots-"));
    dirs.push(root);
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
    return root;
  };

  it("reads both files, pyproject.toml first", () => {
    const root = repo({ "pyproject.toml": '[tool.setuptools.packages.find]\nwhere = ["src"]\n', "setup.cfg": "[options]\npackage_dir = =lib\n" });
    expect(readProjectImportRoots(root)).toEqual({ roots: [".", "src", "lib"], notices: [] });
  });

  it("does not read a symlink out of the repo, a FIFO or a file that is too large", () => {
    const outside = repo({ "pyproject.toml": '[tool.pdm.build]\npackage-dir = "src"\n' });
    const tooLarge = "[options]\npackage_dir = =" + "x".repeat(MAX_PROJECT_FILE_BYTES) + "\n";
    const root = repo({ "setup.cfg": tooLarge });
    symlinkSync(path.join(outside, "pyproject.toml"), path.join(root, "pyproject.toml"));
    expect(readProjectImportRoots(root)).toEqual({
      roots: ["."],
      notices: [
        "pyproject.toml cannot be read (a symbolic link to a file outside the repo); its package directories are not import roots.",
        `setup.cfg cannot be read (${tooLarge.length} bytes, more than the ${MAX_PROJECT_FILE_BYTES} mfdag reads); its package directories are not import roots.`,
      ],
    });
    const fifoRoot = repo({});
    execFileSync("mkfifo", [path.join(fifoRoot, "pyproject.toml")]);
    mkdirSync(path.join(fifoRoot, "setup.cfg"));
    expect(readProjectImportRoots(fifoRoot).notices).toEqual([
      "pyproject.toml cannot be read (not a regular file); its package directories are not import roots.",
      "setup.cfg cannot be read (not a regular file); its package directories are not import roots.",
    ]);
  });
});

describe("the importRoots setting", () => {
  const settingsOf = (config: typeof EMPTY_REPO_CONFIG) =>
    resolveSettings({ explicit: {}, config, configFile: ".mfdag.yml", trust: TRUSTED, defaultConcurrency: 2, explicitName: (s) => `--${s}` });

  it("is a list of directories inside the root, normalized", () => {
    expect(parseRepoConfig(".mfdag.yml", "importRoots: [src, ./lib/, '.']\n").importRoots).toEqual(["src", "lib", "."]);
    for (const bad of ["[../x]", "[/abs]", "[]", "src", `[${Array.from({ length: MAX_IMPORT_ROOTS + 1 }, (_, i) => `d${i}`).join(", ")}]`]) {
      expect(() => parseRepoConfig(".mfdag.yml", `importRoots: ${bad}\n`), bad).toThrow(ConfigurationError);
      expect(() => parseRepoConfig(".mfdag.yml", `importRoots: ${bad}\n`), bad).toThrow(/^\.mfdag\.yml: importRoots/);
    }
  });

  it("the config file's list wins whole over the project files', whose notices are then moot", () => {
    const project = { roots: [".", "src"], notices: ["pyproject.toml is not valid TOML (line 1: x); its package directories are not import roots."] };
    expect(settingsOf({ ...EMPTY_REPO_CONFIG, importRoots: ["lib"], projectImportRoots: project })).toMatchObject({ importRoots: ["lib"], notices: [] });
    expect(settingsOf({ ...EMPTY_REPO_CONFIG, projectImportRoots: project })).toMatchObject({ importRoots: [".", "src"], notices: project.notices });
    expect(settingsOf(EMPTY_REPO_CONFIG).importRoots).toEqual(["."]);
  });

  it("goes on PYTHONPATH in front of the user's, with no empty entry", () => {
    expect(compilerPythonPath(["/r", "/r/src"], "/u/a:/u/b")).toBe(["/r", "/r/src", "/u/a:/u/b"].join(path.delimiter));
    expect(compilerPythonPath(["/r"], "")).toBe("/r");
    expect(compilerPythonPath([], undefined)).toBeUndefined();
  });
});
