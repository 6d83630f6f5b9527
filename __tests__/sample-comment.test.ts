/**
 * The sample PR comment in docs/ and the README is rendered here from the real templates and the
 * real engine run on examples/shop. `npm run sample` rewrites it; this test fails when it is stale.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { check } from "../src/core/check.js";
import { diffContracts } from "../src/core/contract.js";
import { EMPTY_REPO_CONFIG } from "../src/core/config-file.js";
import { silentLogger } from "../src/core/ports.js";
import { createPorts } from "../src/io/setup.js";
import { createRenderer } from "../src/render/index.js";
import { checkView } from "../src/render/views.js";
import { PROJECT, tempDir } from "./helpers/repo.js";

const ETL_HEAD_CONFIG = [
  "class EtlFlowConfig(Config):",
  "    batch_size: float = 500.0  # Rows per insert",
  "    region: str = 'eu-west-1'  # Warehouse region",
  "    retries: int = 3  # Retry budget per query",
];

/**
 * The sample PR: it changes etl's batch_size default to 500.0 and regenerates etl's definitions
 * (so the contract changes, with a type change), while train_dagster.py stays stale, and more so:
 * the PR gives train a retry, a new `validate` step and a daily schedule without regenerating.
 */
async function sampleComment(): Promise<string> {
  const root = tempDir();
  cpSync(path.join(PROJECT, "examples/shop"), root, { recursive: true });
  const etlFlow = path.join(root, "flows/etl_flow.py");
  writeFileSync(etlFlow, readFileSync(etlFlow, "utf8").replace("default=500,", "default=500.0,"));
  const trainFlow = path.join(root, "flows/train_flow.py");
  const train = readFileSync(trainFlow, "utf8");
  const edited = train
    .replace("from metaflow import FlowSpec, Parameter, step", "from metaflow import FlowSpec, Parameter, retry, schedule, step")
    .replace("class TrainFlow(FlowSpec):", "@schedule(daily=True)\nclass TrainFlow(FlowSpec):")
    .replace("    @step\n    def train(self):\n        self.next(self.end)", "    @retry(times=3)\n    @step\n    def train(self):\n        self.next(self.validate)\n\n    @step\n    def validate(self):\n        self.next(self.end)");
  expect(edited.match(/validate|retry|schedule/g)?.length).toBeGreaterThanOrEqual(5);
  writeFileSync(trainFlow, edited);
  const base = readFileSync(path.join(root, "dagster/etl_dagster.py"), "utf8");
  const head = renderDefinitions({ flow: "EtlFlow", source: "/home/bob/shop/flows/etl_flow.py", configClass: ETL_HEAD_CONFIG });
  writeFileSync(path.join(root, "dagster/etl_dagster.py"), head);

  const ports = createPorts({ root, python: "python3", timeoutSeconds: 60, maxFileBytes: 2_000_000, ignore: [], logger: silentLogger, concurrency: 2, metaflowForbidden: null });
  const report = await check({ compiler: "static", failOn: "type-change", concurrency: 2, maxFileBytes: 2_000_000, config: EMPTY_REPO_CONFIG }, ports).finally(() => ports.close());
  const contract = diffContracts([{ path: "dagster/etl_dagster.py", base, head }]);
  return createRenderer().render("check.md.njk", { report, view: checkView(report), contract, notes: [] });
}

describe("the sample PR comment", () => {
  it("is what the templates render for the example repo (npm run sample updates it)", async () => {
    await expect(await sampleComment()).toMatchFileSnapshot(path.join(PROJECT, "docs/sample-comment.md"));
  });

  it("is embedded in the README as it is in docs/", () => {
    const readme = readFileSync(path.join(PROJECT, "README.md"), "utf8");
    const embedded = readme.split("<!-- sample-comment:start -->\n")[1]?.split("<!-- sample-comment:end -->")[0];
    expect(embedded?.trim()).toBe(readFileSync(path.join(PROJECT, "docs/sample-comment.md"), "utf8").trim());
  });
});
