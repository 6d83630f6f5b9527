/**
 * Whole-definitions drift, end to end: the built CLI on a git repo whose definitions file was made
 * on another machine, with every kind of `dagster create` argument. The committed file is written
 * from the real compiler's recorded model (fixtures/job-drift) by our own writer, or, when the real
 * compiler is on this machine, is the real compiler's own output made in another directory.
 * Each single change of the flow is reported with its kind; a change that does not alter the
 * generated file is not.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDefinitions, type WriterModel } from "../scripts/definitions-writer.mjs";
import { annotationsFor } from "../src/core/annotations.js";
import { checkJson, gitRepo, PROJECT, REAL_COMPILER_SKIP_REASON, realCompilerAvailable, tempDir } from "./helpers/repo.js";

const FIXTURES = path.join(PROJECT, "__tests__/fixtures");
const X01 = readFileSync(path.join(FIXTURES, "corpus-definitions/flows/x01_kitchen_sink.py"), "utf8");
const CHAIN = readFileSync(path.join(FIXTURES, "job-drift/chain_flow.py"), "utf8");
const ELSEWHERE = "/home/alice/elsewhere";
/** What x01's definitions were made with (fixtures/job-drift/README.md); the config file gives only topArgs. */
const TOP_ARGS = ["--branch", "feature"];
const ARGS = ["--tag", "env:prod", "--tag", "team:retail", "--with", "sandbox", "--workflow-timeout", "10800", "--namespace", "retail_prod", "--name", "nightly_sink"];

type Generator = "0.3.7" | "main";
type Flow = { report: { flows: Array<{ status: string; jobChanges: Array<{ kind: string; severity: string; step: string | null }>; unchecked: unknown[]; error: string | null; regenerate: string; jobChange: unknown; warnings: Array<{ lint: string; file: string; line: number | null }> }> } };

function recordedModel(name: string, generator: Generator): WriterModel {
  return JSON.parse(readFileSync(path.join(FIXTURES, `job-drift/${name}.${generator}.json`), "utf8"));
}

function configFile(topArgs: readonly string[], extra = ""): string {
  return `flows:\n  - flow: flows/x01_kitchen_sink.py\n    topArgs: ${JSON.stringify(topArgs)}\n${extra}`;
}

function x01Repo(flow: string, generator: Generator, config = configFile(TOP_ARGS)): string {
  const definitions = renderDefinitions({ model: recordedModel("x01_named_branch", generator), generator, source: `${ELSEWHERE}/flows/x01_kitchen_sink.py` });
  return gitRepo({ "flows/x01_kitchen_sink.py": flow, "dagster/x01_dagster.py": definitions, ".mfdag.yml": config });
}

async function checked(root: string, ...extra: string[]) {
  const { report } = (await checkJson(root, "--fail-on", "never", ...extra)) as Flow;
  expect(report.flows).toHaveLength(1);
  return report.flows[0]!;
}

const kindsOf = (flow: Flow["report"]["flows"][number]) => [...new Set(flow.jobChanges.map((change) => change.kind))].sort();

/** One edit of x01's source, with the job change kind it must be reported as (`null`: none). */
interface Edit {
  name: string;
  edit: (source: string) => string;
  kind: string | null;
  /** Kinds that may come with it (0.3.7 writes every step decorator's spec, so decorator edits also change those). */
  alongside?: string[];
  only?: Generator;
}

const replace = (from: string, to: string) => (source: string) => {
  expect(source).toContain(from);
  return source.replace(from, to);
};

/** `@card` on `hold`, imported. */
function withCard(source: string): string {
  return replace("    @step\n    def hold(self):", "    @card\n    @step\n    def hold(self):")(replace("from metaflow import (\n", "from metaflow import (\n    card,\n")(source));
}

const EDITS: Edit[] = [
  { name: "a decorator added (@retry on wrap)", edit: replace("    @step\n    def wrap(self):", "    @retry(times=3)\n    @step\n    def wrap(self):"), kind: "retry-changed", alongside: ["decorators-changed"] },
  { name: "a decorator removed (@timeout of publish)", edit: replace("    @timeout(seconds=90)\n", ""), kind: "timeout-changed", alongside: ["decorators-changed"] },
  { name: "a decorator changed (@retry times)", edit: replace("@retry(times=2, minutes_between_retries=1)", "@retry(times=4, minutes_between_retries=1)"), kind: "retry-changed", alongside: ["decorators-changed"] },
  { name: "an @environment value changed", edit: replace('vars={"NOTIFY": "1"}', 'vars={"NOTIFY": "2"}'), kind: "env-changed", alongside: ["decorators-changed"] },
  { name: "@resources changed", edit: replace("@resources(cpu=2, memory=2048)", "@resources(cpu=4, memory=2048)"), kind: "decorators-changed" },
  {
    name: "a step added",
    edit: replace("    def wrap(self):\n        self.next(self.end)", "    def wrap(self):\n        self.next(self.validate)\n\n    @step\n    def validate(self):\n        self.next(self.end)"),
    kind: "step-added",
    alongside: ["edge-changed", "decorators-changed", "template-changed"],
  },
  { name: "the schedule changed", edit: replace('@schedule(cron="30 2 * * *")', '@schedule(cron="0 5 * * *")'), kind: "schedule-changed" },
  { name: "the trigger changed", edit: replace('@trigger_on_finish(flow="retail.prod.IngestFlow")', '@trigger_on_finish(flow="retail.prod.LabelsFlow")'), kind: "sensor-changed" },
  { name: "a comment added", edit: replace("    @step\n    def hold(self):", "    # hold the promotion until Monday\n    @step\n    def hold(self):"), kind: null },
  { name: "a statement inside a step changed", edit: replace("self.ids = [1, 2, 3]", "self.ids = [1, 2, 3, 4]"), kind: null },
  { name: "an attribute the compiler ignores (@schedule timezone)", edit: replace('@schedule(cron="30 2 * * *")', '@schedule(cron="30 2 * * *", timezone="Europe/Paris")'), kind: null },
  { name: "@card added (main writes nothing for it)", edit: (source) => withCard(source), kind: null, only: "main" },
  { name: "@card added (0.3.7 lists it in STEP_DECORATOR_SPECS)", edit: (source) => withCard(source), kind: "decorators-changed", only: "0.3.7" },
];

for (const generator of ["0.3.7", "main"] as const) {
  describe(`whole-definitions drift, static compiler, metaflow-dagster ${generator}`, () => {
    it("finds definitions made elsewhere with --name, --tag, --with, --workflow-timeout, --namespace and topArgs up to date", async () => {
      const flow = await checked(x01Repo(X01, generator), "--compiler", "static");
      expect(flow).toMatchObject({ status: "up-to-date", error: null, jobChanges: [], unchecked: [], jobChange: null });
      // Regenerating must pass every argument again, the ones read back from the file included.
      for (const word of [...TOP_ARGS, ...ARGS]) expect(flow.regenerate).toContain(word);
      expect(flow.regenerate).toMatch(/python x01_kitchen_sink\.py --branch feature dagster create /);
    });

    for (const edit of EDITS.filter((e) => !e.only || e.only === generator)) {
      it(`reports ${edit.name} as ${edit.kind ?? "no change"}`, async () => {
        const flow = await checked(x01Repo(edit.edit(X01), generator), "--compiler", "static");
        expect(flow.error).toBeNull();
        if (edit.kind === null) {
          expect(flow).toMatchObject({ status: "up-to-date", jobChanges: [] });
        } else {
          expect(flow.status).toBe("drift");
          expect(kindsOf(flow)).toContain(edit.kind);
          for (const kind of kindsOf(flow)) expect([edit.kind, ...(edit.alongside ?? [])]).toContain(kind);
        }
      });
    }

    it("reports a transition changed (start → b → a → end) as edge-changed, breaking, failing the default policy", async () => {
      const reordered = CHAIN.replace("def start(self):\n        self.next(self.a)", "def start(self):\n        self.next(self.b)")
        .replace("def a(self):\n        self.next(self.b)", "def a(self):\n        self.next(self.end)")
        .replace("def b(self):\n        self.next(self.end)", "def b(self):\n        self.next(self.a)");
      expect(reordered).not.toBe(CHAIN);
      const definitions = renderDefinitions({ model: recordedModel("chain_flow", generator), generator, source: `${ELSEWHERE}/flows/chain_flow.py` });
      const same = await checked(gitRepo({ "flows/chain_flow.py": CHAIN, "dagster/chain_dagster.py": definitions }), "--compiler", "static");
      expect(same).toMatchObject({ status: "up-to-date", jobChanges: [] });
      const root = gitRepo({ "flows/chain_flow.py": reordered, "dagster/chain_dagster.py": definitions });
      const flow = await checked(root, "--compiler", "static");
      expect(kindsOf(flow)).toEqual(["edge-changed"]);
      expect(flow.jobChanges.every((change) => change.severity === "breaking")).toBe(true);
      const { exitCode } = await checkJson(root, "--compiler", "static");
      expect(exitCode).toBe(1);
    });

    it("reports an argument changed in the config file: topArgs as top-args-changed, --tag as run-tags-changed", async () => {
      const branch = await checked(x01Repo(X01, generator, configFile(["--branch", "other"])), "--compiler", "static");
      expect(kindsOf(branch)).toEqual(["top-args-changed"]);
      const tags = await checked(x01Repo(X01, generator, configFile(TOP_ARGS, '    args: ["--tag", "env:dev"]\n')), "--compiler", "static");
      expect(kindsOf(tags)).toEqual(["run-tags-changed"]);
    });
  });
}

describe("annotations of breaking job changes", () => {
  it("point at the line in the flow that caused them: the new step's def, and the self.next that rewired its successor", async () => {
    const edited = EDITS.find((e) => e.name === "a step added")!.edit(X01);
    const { report } = await checkJson(x01Repo(edited, "0.3.7"), "--compiler", "static");
    const annotations = annotationsFor(report);
    const lineOf = (text: string) => edited.split("\n").findIndex((line) => line.includes(text)) + 1;
    expect(annotations).toContainEqual(expect.objectContaining({ rule: "mfdag/step-added", level: "error", file: "flows/x01_kitchen_sink.py", line: lineOf("def validate(self):") }));
    expect(annotations).toContainEqual(expect.objectContaining({ rule: "mfdag/edge-changed", file: "flows/x01_kitchen_sink.py", line: lineOf("self.next(self.validate)") }));
    // And at the op in the committed file that now runs differently.
    expect(annotations.some((a) => a.rule === "mfdag/edge-changed" && a.file === "dagster/x01_dagster.py" && a.line !== null)).toBe(true);
  });
});

describe("job lints: what metaflow-dagster itself gets wrong, at the flow's line", () => {
  it("warns about @schedule(weekly=True) without daily=False and about a @trigger, with or without a definitions file", async () => {
    const flows = ["f03_schedule_weekly.py", "f06_trigger_event.py"];
    const files = Object.fromEntries(flows.map((name) => [`flows/${name}`, readFileSync(path.join(FIXTURES, "corpus-definitions/flows", name), "utf8")]));
    const { report } = await checkJson(gitRepo(files), "--compiler", "static");
    const warnings = (report as Flow["report"]).flows.flatMap((flow) => flow.warnings);
    const lineOf = (name: string, text: string) => files[`flows/${name}`]!.split("\n").findIndex((line) => line.startsWith(text)) + 1;
    expect(warnings).toContainEqual(expect.objectContaining({ lint: "schedule-daily-wins", file: "flows/f03_schedule_weekly.py", line: lineOf("f03_schedule_weekly.py", "@schedule(") }));
    expect(warnings).toContainEqual(expect.objectContaining({ lint: "trigger-sensor-invalid-python", file: "flows/f06_trigger_event.py", line: lineOf("f06_trigger_event.py", "@trigger(") }));
  });
});

describe("a definitions file made by another metaflow-dagster", () => {
  it("is reported once, as generator-changed (non-breaking), not as drift of every op", async () => {
    const recorded = JSON.parse(readFileSync(path.join(FIXTURES, "corpus-definitions/expected/0.3.5/g01_linear.json"), "utf8")) as WriterModel & { template_constants: string[]; template_helpers: string[] };
    const definitions = renderDefinitions({ model: recorded, names: { constants: recorded.template_constants, helpers: recorded.template_helpers }, source: `${ELSEWHERE}/flows/g01_linear.py` });
    const flowSource = readFileSync(path.join(FIXTURES, "corpus-definitions/flows/g01_linear.py"), "utf8");
    const root = gitRepo({ "flows/g01_linear.py": flowSource, "dagster/g01_dagster.py": definitions });
    const flow = (await checked(root, "--compiler", "static")) as Flow["report"]["flows"][number] & { jobChanges: Array<{ committed: string | null; current: string | null }> };
    expect(flow.status).toBe("drift");
    expect(flow.jobChanges).toEqual([expect.objectContaining({ kind: "generator-changed", severity: "non-breaking", committed: "0.3.5", current: "0.3.7" })]);
    // Not a failure of the default policy, but of `drift`.
    expect((await checkJson(root, "--compiler", "static")).exitCode).toBe(0);
    expect((await checkJson(root, "--compiler", "static", "--fail-on", "drift")).exitCode).toBe(1);
  });
});

const available = realCompilerAvailable();
const title = available ? "whole-definitions drift with the real compiler" : `whole-definitions drift with the real compiler: SKIPPED, ${REAL_COMPILER_SKIP_REASON}`;

describe.skipIf(!available)(title, () => {
  /** x01's definitions as the real compiler on PYTHONPATH writes them, made in another directory (another machine). */
  function realDefinitions(flow: string): string {
    const elsewhere = tempDir("mfdag-elsewhere-");
    mkdirSync(path.join(elsewhere, "flows"));
    writeFileSync(path.join(elsewhere, "flows/x01_kitchen_sink.py"), flow);
    const out = path.join(elsewhere, "x01_dagster.py");
    execFileSync("python3", ["x01_kitchen_sink.py", ...TOP_ARGS, "dagster", "create", out, ...ARGS], {
      cwd: path.join(elsewhere, "flows"),
      env: { ...process.env, METAFLOW_DATASTORE_SYSROOT_LOCAL: path.join(elsewhere, "ds"), PYTHONHASHSEED: "0", USER: process.env.USER || "me" },
      stdio: "ignore",
      timeout: 120_000,
    });
    return readFileSync(out, "utf8");
  }
  const committed = available ? realDefinitions(X01) : "";
  const repo = (flow: string) => gitRepo({ "flows/x01_kitchen_sink.py": flow, "dagster/x01_dagster.py": committed, ".mfdag.yml": configFile(TOP_ARGS) });

  for (const compiler of ["static", "metaflow"]) {
    it(`finds the real file made elsewhere with every argument up to date (${compiler} compiler)`, async () => {
      const flow = await checked(repo(X01), "--compiler", compiler);
      expect(flow).toMatchObject({ status: "up-to-date", error: null, jobChanges: [], unchecked: [] });
    });
  }

  it("reports a hand edit of the file that no model key covers as template-changed, at its line (metaflow compiler)", async () => {
    const lines = committed.split("\n");
    const at = lines.findIndex((line) => line.startsWith("def _run_step("));
    expect(at).toBeGreaterThan(0);
    lines.splice(at + 1, 0, "    # edited by hand");
    const root = gitRepo({ "flows/x01_kitchen_sink.py": X01, "dagster/x01_dagster.py": lines.join("\n"), ".mfdag.yml": configFile(TOP_ARGS) });
    const flow = (await checked(root, "--compiler", "metaflow")) as Flow["report"]["flows"][number] & { jobChanges: Array<{ definitionsLine: number | null; committed: string | null }> };
    expect(kindsOf(flow)).toEqual(["template-changed"]);
    expect(flow.jobChanges[0]).toMatchObject({ definitionsLine: at + 2, committed: "    # edited by hand" });
    // The static compiler compares the model only, and says nothing of the text (README, Limits).
    expect(await checked(root, "--compiler", "static")).toMatchObject({ status: "up-to-date" });
  });

  for (const edit of EDITS.filter((e) => ["a decorator changed (@retry times)", "a step added", "the schedule changed", "a comment added", "a statement inside a step changed"].includes(e.name))) {
    it(`reports ${edit.name} as ${edit.kind ?? "no change"} (metaflow compiler)`, async () => {
      const flow = await checked(repo(edit.edit(X01)), "--compiler", "metaflow");
      expect(flow.error).toBeNull();
      if (edit.kind === null) expect(flow).toMatchObject({ status: "up-to-date", jobChanges: [] });
      else expect(kindsOf(flow)).toContain(edit.kind);
    });
  }
});
