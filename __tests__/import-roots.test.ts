/**
 * A `src/` layout end to end: the package directory pyproject.toml declares is an import root for
 * both compilers (the static compiler's search path, the real compiler's PYTHONPATH), so a flow
 * that imports its Parameter default from `src/mypkg` is checked exactly.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { checkJson, checkJsonWith, flowSource, gitRepo, PER_PROCESS_COMPILER, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, runCli, tempDir, writeFiles } from "./helpers/repo.js";

const FLOW = flowSource("TrainFlow", '    lr = Parameter("lr", default=DEFAULT_LR)', {
  header: "from metaflow import FlowSpec, Parameter, step\nfrom mypkg.params import DEFAULT_LR",
});

const SRC_LAYOUT = {
  "pyproject.toml": '[project]\nname = "mypkg"\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n',
  "src/mypkg/__init__.py": "",
  "src/mypkg/params.py": "DEFAULT_LR = 0.01\n",
  "flows/train.py": FLOW,
};

/** Definitions whose Config class says `lr: float = <lr>`, as our fixture writer writes them. */
const definitions = (lr: string) =>
  renderDefinitions({ flow: "TrainFlow", source: "/ci/work/flows/train.py", configClass: ["class TrainFlowConfig(Config):", `    lr: float = ${lr}`] });

type Flow = { flowFile: string; status: string; compiler: string; error: string | null; changes: { parameter: string; committed: { default: string }; current: { default: string } }[] };
const only = (report: { flows: Flow[] }) => {
  expect(report.flows).toHaveLength(1);
  return report.flows[0]!;
};

describe("import roots: the static compiler", () => {
  it("reads a Parameter default imported from the package directory pyproject.toml declares: up to date, exactly", async () => {
    const root = gitRepo({ ...SRC_LAYOUT, "flows/train_dagster.py": definitions("0.01") });
    const { report, exitCode, stderr } = await checkJson(root, "--compiler", "static", "--fail-on", "drift");
    expect(only(report)).toMatchObject({ flowFile: "flows/train.py", status: "up-to-date", compiler: "static", error: null });
    expect(exitCode).toBe(0);
    expect(stderr).toBe("");
  });

  it("finds the drift when the package's value changed", async () => {
    const root = gitRepo({ ...SRC_LAYOUT, "flows/train_dagster.py": definitions("0.02") });
    const flow = only((await checkJson(root, "--compiler", "static", "--fail-on", "never")).report);
    expect(flow.status).toBe("drift");
    expect(flow.changes.map((c) => [c.parameter, c.committed.default, c.current.default])).toEqual([["lr", "0.02", "0.01"]]);
  });

  it("takes the config file's importRoots instead of the project files'", async () => {
    const { "pyproject.toml": _, ...withoutProject } = SRC_LAYOUT;
    const declared = gitRepo({ ...withoutProject, ".mfdag.yml": "importRoots: [src]\n", "flows/train_dagster.py": definitions("0.01") });
    expect(only((await checkJson(declared, "--compiler", "static")).report).status).toBe("up-to-date");
    // The config file's list replaces the default: without src, mypkg is not the repo's.
    const rootOnly = gitRepo({ ...SRC_LAYOUT, ".mfdag.yml": "importRoots: ['.']\n", "flows/train_dagster.py": definitions("0.01") });
    const flow = only((await checkJson(rootOnly, "--compiler", "static", "--fail-on", "never")).report);
    expect(flow.status).toBe("error");
    expect(flow.error).toContain("external mypkg.params.DEFAULT_LR");
  });

  it("says which project file it could not read, and checks with the root as the only import root", async () => {
    const root = gitRepo({ ...SRC_LAYOUT, "pyproject.toml": "[tool.setuptools.packages.find\nwhere = ['src']\n", "flows/train_dagster.py": definitions("0.01") });
    const { report, stderr } = await checkJson(root, "--compiler", "static", "--fail-on", "never");
    expect(stderr).toMatch(/pyproject\.toml is not valid TOML \(line 1: .+\); its package directories are not import roots\./);
    expect(only(report).error).toContain("external mypkg.params.DEFAULT_LR");
  });

  it("refuses an import root outside the repo, naming the key", async () => {
    const root = gitRepo({ ...SRC_LAYOUT, ".mfdag.yml": "importRoots: ['src/../..']\n" });
    const { exitCode, stderr } = await runCli(["check", "--root", root, "--compiler", "static"]);
    expect(exitCode).toBe(2);
    expect(stderr).toContain(".mfdag.yml: importRoots.0: must stay inside the repo root");
  });
});

const available = realCompilerAvailable();
const title = available ? "import roots: the metaflow compiler" : `import roots: the metaflow compiler: SKIPPED, ${REAL_COMPILER_SKIP_REASON}`;

describe.skipIf(!available)(title, () => {
  /** The src layout with the definitions the installed metaflow-dagster writes for it elsewhere (with src on PYTHONPATH, as the user's CI would). */
  function realRepo(extra: Record<string, string> = {}): string {
    const elsewhere = tempDir("mfdag-elsewhere-");
    writeFiles(elsewhere, SRC_LAYOUT);
    const out = path.join(elsewhere, "train_dagster.py");
    execFileSync("python3", ["train.py", "dagster", "create", out], {
      cwd: path.join(elsewhere, "flows"),
      env: {
        ...process.env,
        PYTHONPATH: [path.join(elsewhere, "src"), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
        METAFLOW_DATASTORE_SYSROOT_LOCAL: path.join(elsewhere, "ds"),
        PYTHONHASHSEED: "0",
        USER: process.env.USER || "me",
      },
      stdio: "ignore",
      timeout: 120_000,
    });
    return gitRepo({ ...SRC_LAYOUT, "flows/train_dagster.py": readFileSync(out, "utf8"), ...extra });
  }

  it("compiles the flow with the package directory on PYTHONPATH, in the fork server and in a process of its own, and agrees with the static compiler", async () => {
    const root = realRepo();
    for (const [compiler, env] of [["metaflow", {}], ["metaflow", PER_PROCESS_COMPILER], ["static", {}]] as const) {
      const { report, exitCode } = await checkJsonWith(env, root, "--compiler", compiler, "--fail-on", "drift");
      expect(only(report), `${compiler} ${JSON.stringify(env)}`).toMatchObject({ status: "up-to-date", compiler, error: null });
      expect(exitCode).toBe(0);
    }
  });

  it("without the package directory as an import root, the flow cannot import it", async () => {
    const root = realRepo({ ".mfdag.yml": "importRoots: ['.']\n" });
    for (const env of [{}, PER_PROCESS_COMPILER]) {
      const flow = only((await checkJsonWith(env, root, "--compiler", "metaflow", "--fail-on", "never")).report);
      expect(flow.status).toBe("error");
      expect(flow.error).toBe("ModuleNotFoundError: No module named 'mypkg'");
    }
  });
});
