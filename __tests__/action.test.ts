import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { actionYml, pullRequestPayload, runAction } from "./helpers/action-runner.js";
import { fault, start, type FakeGitHub } from "./helpers/fake-github.js";
import { gitRepo, PER_PROCESS_COMPILER, PROJECT, shopRepo, tempDir } from "./helpers/repo.js";

const PR = { number: 7, baseSha: "b".repeat(40), headSha: "d".repeat(40) };
const prEvent = { name: "pull_request", payload: pullRequestPayload(PR) };
const COMMENTS = "GET /repos/acme/shop/issues/7/comments";

/** Regenerates the stale file the way `dagster create` would (our writer, current Config lines). */
function fixShop(root: string): void {
  writeFileSync(
    path.join(root, "dagster/train_dagster.py"),
    renderDefinitions({
      flow: "TrainFlow",
      source: "/home/alice/shop/flows/train_flow.py",
      steps: ["start", "train", "end"],
      configClass: [
        "class TrainFlowConfig(Config):",
        "    epochs: float = 10.5  # Training epochs",
        "    learning_rate: float = 0.001  # Optimizer step size",
        "    model: str = 'two-tower'  # Model architecture",
      ],
    }),
  );
}

let github: FakeGitHub;
beforeEach(async () => {
  github = await start();
  github.setPullFiles("acme/shop", 7, []);
});
afterEach(async () => {
  await github.close();
});

const botComments = () => github.state.issueComments.filter((c) => c.repo === "acme/shop" && c.issueNumber === 7);

describe("the action on a pull request", () => {
  it("creates the comment on the first run, updates the same one on the second, and turns it green once fixed", async () => {
    const repo = shopRepo();
    const first = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(first.exitCode).toBe(1);
    expect(botComments()).toHaveLength(1);
    expect(botComments()[0]!.body).toContain("mfdag: the committed Dagster definitions are out of date");
    expect(botComments()[0]!.body).toContain("-    epochs: int = 10  # Training epochs\n+    epochs: float = 10.5  # Training epochs");
    expect(botComments()[0]!.body).toContain("cd flows && python train_flow.py dagster create ../dagster/train_dagster.py");
    const id = botComments()[0]!.id;

    writeFileSync(path.join(repo, "flows/train_flow.py"), readFileSync(path.join(repo, "flows/train_flow.py"), "utf8").replace('default="two-tower"', 'default="deep"'));
    const second = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(second.exitCode).toBe(1);
    expect(botComments().map((c) => c.id)).toEqual([id]);
    expect(botComments()[0]!.body).toContain("+    model: str = 'deep'  # Model architecture");

    writeFileSync(path.join(repo, "flows/train_flow.py"), readFileSync(path.join(repo, "flows/train_flow.py"), "utf8").replace('default="deep"', 'default="two-tower"'));
    fixShop(repo);
    const third = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(third.exitCode).toBe(0);
    expect(botComments().map((c) => c.id)).toEqual([id]);
    expect(botComments()[0]!.body).toContain("mfdag: all definitions are up to date");
  });

  it("writes outputs, the job summary, a report and SARIF, and prints error annotations", async () => {
    const repo = shopRepo();
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(run.outputs).toMatchObject({ drift: "true", "type-changes": "1", failed: "true", verdict: "fail", "stale-files": "dagster/train_dagster.py" });
    const report = JSON.parse(readFileSync(run.outputs.report!, "utf8"));
    expect(report).toMatchObject({ schemaVersion: 1, failed: true, pullRequest: { number: 7 } });
    expect(path.dirname(run.outputs.sarif!)).toBe(path.dirname(run.outputs.report!));
    const sarif = JSON.parse(readFileSync(run.outputs.sarif!, "utf8"));
    expect(sarif.runs[0].results).toEqual(
      expect.arrayContaining([expect.objectContaining({ ruleId: "mfdag/type-changed", locations: [{ physicalLocation: { artifactLocation: { uri: "flows/train_flow.py", uriBaseId: "%SRCROOT%" }, region: { startLine: 6 } } }] })]),
    );
    expect(run.summary).toContain("mfdag: the committed Dagster definitions are out of date");
    expect(run.stdout).toMatch(/^::error title=mfdag%3A type-changed epochs,file=flows\/train_flow.py,line=6::The committed definitions offer epochs: int = 10; dagster create now writes epochs: float = 10.5/m);
    // At the field's line in the committed file.
    const epochsLine = readFileSync(path.join(repo, "dagster/train_dagster.py"), "utf8").split("\n").findIndex((line) => line.startsWith("    epochs: int")) + 1;
    expect(epochsLine).toBeGreaterThan(1);
    expect(run.stdout).toMatch(new RegExp(`^::error title=mfdag%3A type-changed epochs,file=dagster/train_dagster.py,line=${epochsLine}::`, "m"));
  });

  it("points SARIF results and annotations at the same paths, from the checkout's top, when root is a subdirectory", async () => {
    const shop = path.join(PROJECT, "examples/shop");
    const files = (readdirSync(shop, { recursive: true }) as string[]).filter((file) => statSync(path.join(shop, file)).isFile());
    const repo = gitRepo(Object.fromEntries(files.map((file) => [`services/shop/${file}`, readFileSync(path.join(shop, file))])));
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { root: "services/shop", comment: "never", "review-comments": "false" } });
    expect(run.exitCode).toBe(1);
    const sarif = JSON.parse(readFileSync(run.outputs.sarif!, "utf8"));
    const uris = sarif.runs[0].results.map((r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => r.locations[0]!.physicalLocation.artifactLocation.uri);
    expect(uris.sort()).toEqual(["services/shop/dagster/train_dagster.py", "services/shop/flows/train_flow.py"]);
    expect(run.stdout).toMatch(/^::error title=mfdag%3A type-changed epochs,file=services\/shop\/flows\/train_flow.py,line=6::/m);
  });

  it("follows fail-on for the exit code", async () => {
    const repo = shopRepo();
    expect((await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "fail-on": "never" } })).exitCode).toBe(0);
    expect((await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "fail-on": "drift" } })).exitCode).toBe(1);
  });

  it("degrades to a warning when the token may not comment (fork pull request)", async () => {
    const repo = shopRepo();
    github.script("POST /repos/acme/shop/issues/7/comments", fault.forbidden());
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "fail-on": "never" } });
    expect(run.exitCode).toBe(0);
    expect(botComments()).toHaveLength(0);
    expect(run.stdout).toMatch(/^::warning::.*(comment|workflow_run)/m);
    expect(run.summary).toContain("mfdag: ");
    expect(run.outputs.drift).toBe("true");
  });

  it("retries GitHub 500s", async () => {
    const repo = shopRepo();
    github.script(COMMENTS, fault.status(500), fault.status(502));
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "fail-on": "never" } });
    expect(run.exitCode).toBe(0);
    expect(github.requestsTo(COMMENTS).length).toBeGreaterThanOrEqual(3);
    expect(botComments()).toHaveLength(1);
  });

  it("shows how the committed Config classes differ between base and head", async () => {
    const repo = shopRepo();
    fixShop(repo);
    const head = readFileSync(path.join(repo, "dagster/train_dagster.py"), "utf8");
    const base = readFileSync(path.join(PROJECT, "examples/shop/dagster/train_dagster.py"), "utf8");
    github.setPullFiles("acme/shop", 7, [{ filename: "dagster/train_dagster.py", status: "modified", patch: "@@ -30,3 +30,3 @@\n class TrainFlowConfig(Config):\n-    epochs: int = 10  # Training epochs\n+    epochs: float = 10.5  # Training epochs\n" }]);
    github.setFile("acme/shop", "dagster/train_dagster.py", PR.baseSha, base);
    github.setFile("acme/shop", "dagster/train_dagster.py", PR.headSha, head);
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { comment: "always" } });
    expect(run.exitCode).toBe(0);
    const body = botComments()[0]!.body;
    expect(body).toContain("What Dagster will offer after merge");
    expect(body).toContain("⚠️ **type change**");
    expect(body).toContain("-    epochs: int = 10  # Training epochs\n+    epochs: float = 10.5  # Training epochs");
  });

  it("puts one review comment on a drifted parameter that the PR changed, and does not repeat it", async () => {
    const repo = shopRepo();
    github.setPullFiles("acme/shop", 7, [{ filename: "flows/train_flow.py", status: "modified", patch: '@@ -5,3 +5,3 @@\n class TrainFlow(FlowSpec):\n-    epochs = Parameter("epochs", default=10, type=int, help="Training epochs")\n+    epochs = Parameter("epochs", default=10.5, type=float, help="Training epochs")\n     learning_rate = Parameter("learning_rate", default=0.001, help="Optimizer step size")\n' }]);
    github.setFile("acme/shop", "flows/train_flow.py", PR.headSha, readFileSync(path.join(repo, "flows/train_flow.py"), "utf8"));
    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(github.state.reviews).toHaveLength(1);
    expect(github.state.reviews[0]).toMatchObject({ event: "COMMENT", commitId: PR.headSha });
    expect(github.state.reviews[0]!.comments).toEqual([expect.objectContaining({ path: "flows/train_flow.py", line: 6, side: "RIGHT" })]);
    expect(github.state.reviews[0]!.comments[0]!.body).toContain("<code>epochs: float = 10.5</code>");
    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent });
    expect(github.state.reviews).toHaveLength(1);
  });

  it("keeps separate comments for separate comment-ids", async () => {
    const repo = shopRepo();
    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "comment-id": "ml" } });
    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "comment-id": "etl" } });
    await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { "comment-id": "ml" } });
    expect(botComments()).toHaveLength(2);
  });
});

describe("the fork-safe workflow_run pattern", () => {
  const workflowRun = (headSha: string) => ({ name: "workflow_run", payload: { action: "completed", workflow_run: { id: 99, head_sha: headSha, pull_requests: [] } } });

  it("checks with no write access, then publishes the stored report from the trusted run", async () => {
    const repo = shopRepo();
    const checkRun = await runAction({ workspace: repo, apiUrl: github.url, event: prEvent, inputs: { comment: "never", "review-comments": "false" } });
    expect(checkRun.exitCode).toBe(1);
    expect(github.requests).toHaveLength(0);

    github.state.pulls.set("acme/shop#7", { headSha: PR.headSha, baseSha: PR.baseSha });
    const trusted = tempDir();
    const publish = await runAction({ workspace: trusted, apiUrl: github.url, event: workflowRun(PR.headSha), inputs: { mode: "publish", "report-file": checkRun.outputs.report! } });
    expect(publish.exitCode).toBe(0);
    expect(botComments()).toHaveLength(1);
    expect(botComments()[0]!.body).toContain("-    epochs: int = 10  # Training epochs");
    expect(publish.outputs["comment-url"]).toBe(`https://github.com/acme/shop/pull/7#issuecomment-${botComments()[0]!.id}`);
  });
  // A report for an older commit of the pull request ends neutral: action-daily.test.ts.
});

describe("the action's inputs", () => {
  it("fails with one line naming a bad input and its allowed values", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, inputs: { comment: "sometimes" } });
    expect(run.exitCode).toBe(2);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toContain("::error::Input 'comment': 'sometimes' is not one of always, on-change, never");
    expect(github.requests).toHaveLength(0);
  });

  it("checks without a pull request (push) and writes the summary without calling GitHub", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, inputs: { "fail-on": "never" } });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain("dagster/train_dagster.py");
    expect(github.requests).toHaveLength(0);
  });
});

describe("pull_request_target", () => {
  const target = { name: "pull_request_target", payload: pullRequestPayload(PR) };

  it("refuses the metaflow compiler, which would run the PR's code with a write token", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: target, inputs: { compiler: "metaflow" } });
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("::error::Input 'compiler': metaflow runs the flow files");
  });

  it("narrows auto to the static compiler", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: target, inputs: { "fail-on": "never" } });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("::notice::pull_request_target: mfdag uses only the static compiler");
    expect(JSON.parse(readFileSync(run.outputs.report!, "utf8")).compiler).toBe("static");
  });
});

describe("the action's time budget", () => {
  it("reports the flows it could not reach in time instead of being killed", async () => {
    // A stand-in interpreter whose dagster create would hang: with a one-minute budget (minus the
    // minute kept for publishing) no compile may start, so none does.
    const python = path.join(tempDir(), "python-slow");
    writeFileSync(python, `#!/bin/sh\ncase "$*" in\n  *"dagster create"*) sleep 300 ;;\n  *"import metaflow"*) exit 0 ;;\n  *) exec python3 "$@" ;;\nesac\n`, { mode: 0o755 });
    const started = Date.now();
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, inputs: { compiler: "metaflow", python, "timeout-minutes": "1" }, env: PER_PROCESS_COMPILER });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    const report = JSON.parse(readFileSync(run.outputs.report!, "utf8"));
    expect(report.flows.map((f: { error: string }) => f.error)).toEqual([expect.stringContaining("time budget"), expect.stringContaining("time budget"), expect.stringContaining("time budget")]);
    expect(run.summary).toContain("time budget");
  });
});

describe("README", () => {
  const readme = readFileSync(path.join(PROJECT, "README.md"), "utf8");
  const tableNames = (heading: string) => {
    const section = readme.split(`### ${heading}\n`)[1]!.split("\n## ")[0]!.split("\n### ")[0]!;
    return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  };

  it("lists exactly the inputs of action.yml, with their defaults", () => {
    const inputs = actionYml().inputs;
    expect(tableNames("Inputs")).toEqual(Object.keys(inputs));
    for (const [name, spec] of Object.entries(inputs)) {
      const row = readme.split("\n").find((line) => line.startsWith(`| \`${name}\` |`))!;
      const shownDefault = row.split("|")[2]!.trim().replace(/`/g, "");
      expect(shownDefault, name).toBe(spec.default ?? "");
    }
  });

  it("lists exactly the outputs of action.yml", () => {
    expect(tableNames("Outputs")).toEqual(Object.keys(actionYml().outputs));
  });
});
