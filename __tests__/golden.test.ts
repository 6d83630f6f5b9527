/**
 * One golden file per template: each template in templates/ rendered with fixed, representative
 * contexts (built from the report in helpers/golden-report.ts) must give exactly the text in
 * __tests__/golden/<template>.txt. A template change shows up here as a diff of what people read;
 * `npm run golden` (scripts/golden.mjs) rewrites the goldens to review and commit.
 *
 * A new template needs one line in CASES below, then `npm run golden`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fixTargets } from "../src/core/fix.js";
import { judgeContract } from "../src/core/policy.js";
import type { CheckReport } from "../src/core/types.js";
import { createRenderer } from "../src/render/index.js";
import { jobModelSchema } from "../src/core/job-model.js";
import { checkView, inspectView } from "../src/render/views.js";
import { CLEAN_REPORT, CONTRACT, DRIFTING_REPORT, FAILING_REPORT, GOLDEN_FLOWS, TRAIN_CHANGES, UNCHECKED_REPORT } from "./helpers/golden-report.js";

const PROJECT = path.resolve(import.meta.dirname, "..");
const TEMPLATES = path.join(PROJECT, "templates");
const GOLDEN = path.join(PROJECT, "__tests__/golden");
/** Set by scripts/golden.mjs: write the goldens instead of comparing with them. */
const UPDATE = process.env.MFDAG_UPDATE_GOLDEN === "1";

/** The context every report template gets, as the CLI and the action build it. */
const reportContext = (report: CheckReport, more: object = {}) => ({ report, view: checkView(report), contract: null, notes: [], ...more });

const train = GOLDEN_FLOWS.find((flow) => flow.flowClass === "TrainFlow")!;
const [regenerated, failedTarget] = fixTargets({ ...FAILING_REPORT, flows: [train, { ...train, flowFile: "flows/eval_flow.py", definitionsFile: "dagster/eval_dagster.py" }] }, null);
const fixContext = { outcomes: [{ target: regenerated!, text: "...", error: null, committed: "..." }, { target: failedTarget!, text: null, error: "dagster create exited with code 1: ModuleNotFoundError: No module named 'torch'", committed: "..." }], skipped: FAILING_REPORT.flows.filter((flow) => flow.status === "error") };
const compiled = { flowFile: "flows/train_flow.py", flowClass: "TrainFlow", job: "TrainFlow", compiler: "static", exact: true, reason: null, error: null, errorLine: null, configClass: train.currentConfig, parameters: [] };
const listing = {
  root: "/home/ci/shop",
  flows: [{ path: "flows/etl_flow.py", flowClass: "EtlFlow", line: 12, definitions: ["dagster/etl_dagster.py", "dagster/etl_copy_dagster.py"] }, { path: "flows/score_flow.py", flowClass: "ScoreFlow", line: 30, definitions: [] }],
  definitions: [],
  orphaned: [{ path: "dagster/old_dagster.py", flow: "OldFlow", job: "OldFlow", source: "/home/ci/shop/flows/old_flow.py", configLine: null, configClass: null, problem: null }, { path: "dagster/anon_dagster.py", flow: null, job: null, source: null, configLine: null, configClass: null, problem: null }],
  unreadable: [{ path: "flows/broken_flow.py", error: "flows/broken_flow.py:4: '(' was never closed", line: 4 }],
  definitionsCount: 4,
};
const [added, , , typeChanged] = TRAIN_CHANGES;
/** A recorded model with a bit of everything: split, foreach, switch, retries, timeouts, env, schedule, sensor, tags, --with. */
const kitchenSink = jobModelSchema.parse(JSON.parse(readFileSync(path.join(PROJECT, "__tests__/fixtures/corpus-definitions/expected/0.3.7/x01_kitchen_sink.json"), "utf8")));

/** The contract gate's verdicts on CONTRACT: failing, accepted by the PR's author, and unknown. */
const approval = { approveLabel: "mfdag-contract-approved", labels: [], labeled: null, author: "alice" };
const gateViolated = judgeContract(CONTRACT, "breaking", approval);
const gateAccepted = judgeContract(CONTRACT, "type-change", { ...approval, labels: ["mfdag-contract-approved"], labeled: { label: "mfdag-contract-approved", by: "alice" } });
const gateUnknown = judgeContract(null, "type-change", approval, "mfdag could not read the pull request's files (HTTP 502)");
const gateUnchanged = judgeContract([], "type-change", approval);

/** The body of `fix: pull-request`'s pull request, as src/action/repair.ts makes it. */
const repairBody = {
  runUrl: "https://github.com/org/shop/actions/runs/42",
  regenerated: [{ file: "dagster/train_dagster.py", flowFile: "flows/train_flow.py", why: "type-changed epochs" }],
  failed: [],
  outOfTime: [],
  otherGenerators: [],
  branch: "mfdag/regenerate-default",
  base: "main",
};

/** Per template (file name in templates/), its cases: a name and the context it is rendered with. */
const CASES: Record<string, Record<string, object>> = {
  "audit-issue.md.njk": {
    "with the run's link and a patch artifact": reportContext(FAILING_REPORT, { runUrl: "https://github.com/org/shop/actions/runs/42", patchArtifact: "mfdag-patch", repairPullRequest: null }),
    "without either": reportContext(FAILING_REPORT, { runUrl: null, patchArtifact: null, repairPullRequest: null }),
    "with the repair pull request": reportContext(FAILING_REPORT, { runUrl: null, patchArtifact: null, repairPullRequest: { number: 12, url: "https://github.com/org/shop/pull/12" } }),
  },
  "repair-commit.txt.njk": { "one file": { files: ["dagster/train_dagster.py"] }, "two files": { files: ["dagster/train_dagster.py", "ml/dagster/eval_dagster.py"] } },
  "repair-pull-request.md.njk": {
    "opened, before the tracking issue is known": { ...repairBody, trackingIssue: null },
    "with the tracking issue, a file not regenerated and another generator": {
      ...repairBody,
      trackingIssue: 7,
      failed: [{ file: "dagster/eval_dagster.py", error: "ModuleNotFoundError: No module named 'torch'" }],
      otherGenerators: [{ file: "dagster/train_dagster.py", committed: "0.3.7", current: "main@af05540" }],
    },
    "two files left for the next audit (time budget)": { ...repairBody, trackingIssue: 7, outOfTime: ["dagster/eval_dagster.py", "ml/dagster/report_dagster.py"] },
  },
  "repair-pull-request-closed.md.njk": { "with the audit run's link": { runUrl: "https://github.com/org/shop/actions/runs/42", branch: "mfdag/regenerate-default" }, "without it": { runUrl: null, branch: "mfdag/regenerate-nightly" } },
  "repair-pull-request-title.txt.njk": { "the default comment-id": { commentId: "default" }, "a named one": { commentId: "nightly_ml.v2" } },
  "check.md.njk": { "failing, with the PR's contract and a note": reportContext(FAILING_REPORT, { contract: CONTRACT, notes: ["The regenerated definitions are attached to this run as the artifact mfdag-patch: download it and git apply it."] }), "drift that does not fail, a PR that changes no Config class": reportContext(DRIFTING_REPORT, { contract: [] }), "all up to date, outside a PR": reportContext(CLEAN_REPORT), "up to date, not fully checked": reportContext(UNCHECKED_REPORT),
    "up to date, a contract change the gate fails on": reportContext({ ...CLEAN_REPORT, contractGate: gateViolated } as CheckReport, { contract: CONTRACT }),
    "failing, a contract change the PR's author accepted": reportContext({ ...FAILING_REPORT, contractGate: gateAccepted } as CheckReport, { contract: CONTRACT }),
    "a contract that could not be compared": reportContext({ ...CLEAN_REPORT, contractGate: gateUnknown } as CheckReport),
    "a contract the gate lets through, no acceptance by label": reportContext({ ...CLEAN_REPORT, contractGate: { ...gateUnchanged!, approveLabel: null } } as CheckReport, { contract: [] }),
  },
  "check.txt.njk": { "failing, timed": reportContext(FAILING_REPORT, { elapsedSeconds: 1.43 }), "all up to date": reportContext(CLEAN_REPORT), "up to date, not fully checked": reportContext(UNCHECKED_REPORT) },
  "cut-pointer.md.njk": { "the job summary": { where: "The job summary", limit: "1 MiB", reportFile: "/home/runner/work/_temp/mfdag-report.json", sarifFile: "/home/runner/work/_temp/mfdag.sarif" } },
  "config.txt.njk": { exact: { result: compiled }, "not exact, from the metaflow compiler": { result: { ...compiled, compiler: "metaflow", exact: false, reason: "a default computed at import time" } }, "no parameters": { result: { ...compiled, configClass: null } }, error: { result: { ...compiled, error: "flows/train_flow.py:4: invalid syntax" } } },
  "fix.txt.njk": {
    "regenerated in place": { ...fixContext, patch: null, written: 0, otherGenerators: [] },
    "written to a patch": { ...fixContext, patch: "mfdag.patch", written: 1, otherGenerators: [] },
    "nothing stale": { outcomes: [], patch: null, written: 0, skipped: [], otherGenerators: [] },
    "regenerated by another metaflow-dagster": { ...fixContext, patch: null, written: 0, otherGenerators: [{ definitionsFile: "dagster/train_dagster.py", committed: "0.3.7", current: "main@af05540" }] },
  },
  "inspect.txt.njk": {
    "a file read back whole": { file: "dagster/kitchen_sink_dagster.py", problems: [], view: inspectView(kitchenSink, { version: "0.3.7", profile: "0.3.7", how: "template", alike: [], templateSha: "5e8226641a97559d" }) },
    "with problems, an unknown generator": { file: "dagster/kitchen_sink_dagster.py", problems: ["line 212: the job body calls op_wrap with an argument the reader cannot resolve"], view: inspectView({ ...kitchenSink, schedule: null, sensors: [] }, { version: null, profile: null, how: "unknown", alike: [], templateSha: "0123456789abcdef" }) },
    "nothing read back": { file: "dagster/broken_dagster.py", problems: ["no @job function", "no ops"], view: null },
  },
  "list.txt.njk": { "flows, orphans and an unreadable file": { listing } },
  "review-parameter.md.njk": { "an added field": { change: added, definitionsFile: train.definitionsFile, regenerate: train.regenerate }, "a type change": { change: typeChanged, definitionsFile: train.definitionsFile, regenerate: train.regenerate } },
  "review-suggestion.md.njk": { "a type change": { change: typeChanged, line: "    learning_rate: str = '0.001'  # Step size", regenerate: train.regenerate } },
  "tracking-issue-closed.md.njk": { "with the audit run's link": { runUrl: "https://github.com/org/shop/actions/runs/42" }, "without it": { runUrl: null } },
  "tracking-issue-reopened.md.njk": { "with the audit run's link": { runUrl: "https://github.com/org/shop/actions/runs/42" }, "without it": { runUrl: null } },
  "tracking-issue-title.txt.njk": { "the default comment-id": { commentId: "default" }, "a named one": { commentId: "nightly_ml.v2" } },
  "superseded.md.njk": {
    "a pull request that moved on, with a mention in the message": { message: "mfdag: the report is for dddddddddddd, an older commit of pull request #7, which is now at cccccccccccc. Nothing was posted: @team, the run for the newer commit publishes its own report." },
  },
  "tool-failure.md.njk": { "the user's configuration": { message: "No flow file and no definitions file under /home/runner/work/shop/shop", configuration: true }, "a bug in mfdag": { message: "TypeError: Cannot read properties of undefined (reading 'flows')\n    at check (dist/index.js:1:2)", configuration: false } },
};

/** `check.md.njk` → `check.md.txt`. */
const goldenName = (template: string) => template.replace(/\.njk$/, ".txt");

/** Partials (`_macros.njk`) are not rendered alone; the templates that import them cover them. */
const templates = () => readdirSync(TEMPLATES).filter((file) => file.endsWith(".njk") && !file.startsWith("_")).sort();

function renderCases(template: string): string {
  const renderer = createRenderer();
  return Object.entries(CASES[template]!)
    .map(([name, context]) => `===== ${template}: ${name} =====\n${renderer.render(template, context)}`)
    .join("\n");
}

describe("template goldens (npm run golden rewrites them)", () => {
  if (UPDATE) {
    mkdirSync(GOLDEN, { recursive: true });
    for (const file of readdirSync(GOLDEN)) if (!Object.keys(CASES).map(goldenName).includes(file)) rmSync(path.join(GOLDEN, file));
    for (const template of Object.keys(CASES)) writeFileSync(path.join(GOLDEN, goldenName(template)), renderCases(template));
  }

  it("every template in templates/ has cases and a golden, and every golden a template", () => {
    expect(Object.keys(CASES).sort(), "CASES in __tests__/golden.test.ts must name every template in templates/ (but partials, _*.njk), and nothing else").toEqual(templates());
    const goldens = readdirSync(GOLDEN).sort();
    expect(goldens, "__tests__/golden/ must hold one golden per template: run npm run golden").toEqual(templates().map(goldenName).sort());
  });

  for (const template of Object.keys(CASES).sort()) {
    it(`templates/${template} renders as __tests__/golden/${goldenName(template)}`, () => {
      const actual = renderCases(template);
      const file = path.join(GOLDEN, goldenName(template));
      expect(existsSync(file), `__tests__/golden/${goldenName(template)} is missing: run npm run golden, review it, and commit it`).toBe(true);
      expect(actual, `templates/${template} no longer renders as __tests__/golden/${goldenName(template)}: if the change is intended, run npm run golden and commit the new golden`).toBe(readFileSync(file, "utf8"));
    });
  }
});
