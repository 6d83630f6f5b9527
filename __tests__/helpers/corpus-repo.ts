import { readFileSync } from "node:fs";
import path from "node:path";
import { renderDefinitions } from "../../scripts/definitions-writer.mjs";
import { CORPUS, copyCorpusFlows, corpusExpected, gitRepo, tempDir } from "./repo.js";

// Corpus flows whose Config class the static compiler reproduces; each gets a definitions file
// written as if generated on another machine, from the real compiler's recorded output: the job
// model metaflow-dagster 0.3.7 wrote (fixtures/corpus/models, `node scripts/record-models.mjs`)
// and the Config class lines of fixtures/corpus/expected.
export const EXACT_FLOWS = ["branching_flow.py", "broken_names_flow.py", "containers_flow.py", "include_flow.py", "inherited_flow.py", "ordering_flow.py", "scalars_flow.py", "two_flows.py"];
const OTHER_ROOT = "/home/alice/elsewhere";

export function definitionsFor(flowFile: string): [string, string] {
  const expected = corpusExpected().find((e) => e.flow_file === flowFile)!;
  const configClass = expected.config_class?.map((line) => line.replace("<SYSROOT>", `${OTHER_ROOT}/flows/.metaflow`)) ?? null;
  const model = JSON.parse(readFileSync(path.join(CORPUS, "models", flowFile.replace(/\.py$/, ".json")), "utf8"));
  const text = renderDefinitions({ model, generator: "0.3.7", source: `${OTHER_ROOT}/flows/${flowFile}`, configClass });
  return [`dagster/${flowFile.replace(/\.py$/, "_dagster.py")}`, text];
}

/** A git repo with the exact corpus flows and their definitions from another machine. */
export function corpusRepo(): string {
  const staging = tempDir();
  copyCorpusFlows(staging);
  const files: Record<string, string | Buffer> = {};
  for (const name of [...EXACT_FLOWS, "pkg/__init__.py", "pkg/base.py", "pkg/settings.py", "data.csv"]) files[`flows/${name}`] = readFileSync(path.join(staging, "flows", name));
  for (const flowFile of EXACT_FLOWS) {
    const [file, text] = definitionsFor(flowFile);
    files[file] = text;
  }
  return gitRepo(files);
}

