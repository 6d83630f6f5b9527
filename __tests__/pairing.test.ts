import { describe, expect, it } from "vitest";
import { EMPTY_REPO_CONFIG, parseRepoConfig } from "../src/core/config-file.js";
import { pairFlows } from "../src/core/pairing.js";
import type { DefinitionsFile, FlowFile } from "../src/core/types.js";

const flow = (path: string, flowClass: string): FlowFile => ({ path, flowClass, line: 1 });
const defs = (path: string, flowName: string, source: string): DefinitionsFile => ({
  path,
  flow: flowName,
  job: flowName,
  source,
  configLine: null,
  configClass: null,
  problem: null,
});

describe("pairFlows", () => {
  it("pairs by flow class and the tail of Source written on another machine", () => {
    const result = pairFlows([flow("flows/a.py", "AFlow")], [defs("dagster/a.py", "AFlow", "/home/alice/repo/flows/a.py")], EMPTY_REPO_CONFIG);
    expect(result.pairs.map((p) => [p.flow.path, p.definitions.path])).toEqual([["flows/a.py", "dagster/a.py"]]);
    expect(result.missing).toEqual([]);
    expect(result.orphaned).toEqual([]);
  });

  it("keeps two flows with one class name apart by their paths (longest suffix wins)", () => {
    const flows = [flow("team_a/flows/train.py", "TrainFlow"), flow("flows/train.py", "TrainFlow")];
    const files = [defs("team_a/dagster.py", "TrainFlow", "/ci/checkout/team_a/flows/train.py"), defs("dagster.py", "TrainFlow", "/ci/checkout/flows/train.py")];
    const result = pairFlows(flows, files, EMPTY_REPO_CONFIG);
    expect(result.pairs.map((p) => [p.definitions.path, p.flow.path]).sort()).toEqual([
      ["dagster.py", "flows/train.py"],
      ["team_a/dagster.py", "team_a/flows/train.py"],
    ]);
  });

  it("reports flows without definitions as missing and definitions without a flow as orphaned", () => {
    const result = pairFlows([flow("flows/new.py", "NewFlow")], [defs("old_dagster.py", "OldFlow", "/r/flows/old.py")], EMPTY_REPO_CONFIG);
    expect(result.missing.map((m) => m.flow.path)).toEqual(["flows/new.py"]);
    expect(result.orphaned.map((d) => d.path)).toEqual(["old_dagster.py"]);
  });

  it("does not pair a definitions file whose Flow is not the file's main class", () => {
    const result = pairFlows([flow("two.py", "MainFlow")], [defs("d.py", "HelperFlow", "/r/two.py")], EMPTY_REPO_CONFIG);
    expect(result.pairs).toEqual([]);
    expect(result.orphaned).toHaveLength(1);
  });

  it("follows explicit pairs from the config file and reports entries that name missing files", () => {
    const config = parseRepoConfig(".mfdag.yml", "flows:\n  - flow: flows/a.py\n    definitions: deploy/x.py\n    name: custom\n  - flow: flows/gone.py\n");
    const result = pairFlows([flow("flows/a.py", "AFlow")], [defs("deploy/x.py", "AFlow", "/elsewhere/unrelated.py")], config);
    expect(result.pairs.map((p) => [p.flow.path, p.definitions.path, p.entry?.name])).toEqual([["flows/a.py", "deploy/x.py", "custom"]]);
    expect(result.problems).toEqual([expect.stringMatching(/^flows\.1\.flow: flows\/gone\.py/)]);
  });
});

describe("parseRepoConfig", () => {
  it("names the key of a bad value", () => {
    expect(() => parseRepoConfig(".mfdag.yml", "flows:\n  - flow: a.py\n    definitions: 3\n")).toThrow(/\.mfdag\.yml: flows\.0\.definitions:/);
    expect(() => parseRepoConfig(".mfdag.yml", "failOn: sometimes\n")).toThrow(/failOn/);
  });

  it("names an unknown key", () => {
    expect(() => parseRepoConfig("mfdag.config.json", '{"flowz": []}')).toThrow(/mfdag\.config\.json: .*flowz/);
  });

  it("rejects paths that leave the repo", () => {
    expect(() => parseRepoConfig(".mfdag.yml", "flows:\n  - flow: ../other/a.py\n")).toThrow(/flows\.0\.flow: must stay inside the repo root/);
    expect(() => parseRepoConfig(".mfdag.yml", "flows:\n  - flow: /etc/a.py\n")).toThrow(/flows\.0\.flow: must be a path relative/);
  });

  it("says which file is not valid YAML or JSON", () => {
    expect(() => parseRepoConfig(".mfdag.yml", "flows: [\n")).toThrow(/^\.mfdag\.yml: not valid YAML/);
    expect(() => parseRepoConfig("mfdag.config.json", "{")).toThrow(/^mfdag\.config\.json: not valid JSON/);
  });
});
