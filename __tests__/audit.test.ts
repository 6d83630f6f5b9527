import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execaSync } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAction } from "./helpers/action-runner.js";
import { runtimeToken, startArtifactService, type FakeArtifacts } from "./helpers/fake-artifacts.js";
import { BOT, HUMAN, fault, start, type FakeGitHub } from "./helpers/fake-github.js";
import { checkJson, pythonWithoutMetaflow, shopRepo, standInCompiler } from "./helpers/repo.js";

const schedule = { name: "schedule", payload: { schedule: "0 6 * * 1" } };

/** Makes train_flow.py agree with its committed definitions again (epochs back to 10). */
function setEpochs(root: string, value: string): void {
  const file = path.join(root, "flows/train_flow.py");
  writeFileSync(file, readFileSync(file, "utf8").replace(/default=[0-9.]+, type=\w+, help="Training epochs"/, `default=${value}, type=${value.includes(".") ? "float" : "int"}, help="Training epochs"`));
}

let github: FakeGitHub;
beforeEach(async () => {
  github = await start();
});
afterEach(async () => {
  await github.close();
});

const trackingIssues = () => github.state.issues.filter((issue) => issue.repo === "acme/shop" && issue.body.includes("<!-- mfdag:tracking-id="));

describe("the scheduled audit", () => {
  it("opens one tracking issue, updates it, closes it when clean and reopens it when drift returns", async () => {
    const repo = shopRepo();
    const first = await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(first.exitCode).toBe(0); // audits report; they do not fail for drift by default
    expect(trackingIssues()).toHaveLength(1);
    const issue = trackingIssues()[0]!;
    expect(issue).toMatchObject({ state: "open", title: "mfdag: Dagster definitions are out of date", labels: ["mfdag-drift"] });
    expect(issue.body).toContain("-    epochs: int = 10  # Training epochs");
    expect(issue.body).toContain("npx mfdag fix");
    expect(first.outputs["issue-number"]).toBe(String(issue.number));
    expect(github.state.labels.map((l) => l.name)).toEqual(["mfdag-drift"]);

    setEpochs(repo, "12.5");
    const second = await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(second.outputs["issue-number"]).toBe(String(issue.number));
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]!.body).toContain("+    epochs: float = 12.5  # Training epochs");

    setEpochs(repo, "10");
    await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]!.state).toBe("closed");
    expect(github.requestsTo("POST /repos/acme/shop/issues/{n}/comments").at(-1)!.body).toMatchObject({ body: expect.stringContaining("up to date again") });

    setEpochs(repo, "10.5");
    await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]!).toMatchObject({ number: issue.number, state: "open" });
  });

  it("finds its issue by the marker, not the title, and ignores a copy by someone else", async () => {
    const repo = shopRepo();
    await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    const ours = trackingIssues()[0]!;
    ours.title = "Renamed by a maintainer";
    github.state.issues.push({ ...ours, number: 999, user: HUMAN, title: "mfdag: Dagster definitions are out of date" });
    setEpochs(repo, "11.5");
    await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(github.state.issues.find((i) => i.number === ours.number)!.body).toContain("epochs: float = 11.5");
    expect(github.state.issues.find((i) => i.number === 999)!.body).not.toContain("11.5");
    expect(github.state.issues.filter((i) => i.user.login === BOT.login)).toHaveLength(1);
  });

  it("finds its issue behind 2500 newer issues by people, where a scan of the newest would not reach", async () => {
    const repo = shopRepo();
    await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    const ours = trackingIssues()[0]!;
    for (let i = 0; i < 2500; i++) github.state.issues.push({ number: ours.number + 1 + i, repo: "acme/shop", title: `bug ${i}`, body: "", state: "open", labels: [], user: HUMAN });
    setEpochs(repo, "11.5");
    const before = github.requestsTo("GET /repos/acme/shop/issues").length;
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(run.outputs["issue-number"]).toBe(String(ours.number));
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]!.body).toContain("epochs: float = 11.5");
    // Found through the creator filter (the viewer login with GitHub's REST [bot] suffix), not by paging through people's issues.
    expect(github.requestsTo("GET /repos/acme/shop/issues").slice(before).map((r) => r.query.creator ?? null)).toEqual(["github-actions", "github-actions[bot]"]);
  });

  it("files the issue without labels when the token may not create them", async () => {
    const repo = shopRepo();
    github.script("POST /repos/acme/shop/labels", fault.forbidden());
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: schedule });
    expect(run.exitCode).toBe(0);
    expect(trackingIssues()).toHaveLength(1);
    expect(trackingIssues()[0]!.labels).toEqual([]);
    expect(run.stdout).toMatch(/^::warning::mfdag could not create the label\(s\) mfdag-drift/m);
  });

  it("keeps one issue per comment-id and fails only when fail-on says so", async () => {
    const repo = shopRepo();
    await runAction({ workspace: repo, apiUrl: github.url, event: schedule, inputs: { "comment-id": "ml" } });
    const strict = await runAction({ workspace: repo, apiUrl: github.url, event: { name: "workflow_dispatch", payload: {} }, inputs: { "comment-id": "etl", "fail-on": "type-change" } });
    expect(strict.exitCode).toBe(1);
    expect(trackingIssues().map((i) => i.title).sort()).toEqual(["mfdag: Dagster definitions are out of date (etl)", "mfdag: Dagster definitions are out of date (ml)"]);
  });

  it("fails when it could not run, whatever fail-on says", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: schedule, inputs: { python: "/nonexistent/python3" } });
    expect(run.exitCode).toBe(2);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toContain("::error::Python interpreter '/nonexistent/python3' was not found");
    expect(run.summary).toContain("mfdag could not check the definitions");
  });

  it("notes in the summary why upload-patch made no patch without metaflow-dagster", async () => {
    const run = await runAction({ workspace: shopRepo(), apiUrl: github.url, event: schedule, inputs: { "upload-patch": "true", python: pythonWithoutMetaflow() } });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain("cannot import metaflow-dagster, so no patch was made");
    expect(run.outputs.patch).toBe("");
  });
});

describe("upload-patch with the artifact service", () => {
  let artifacts: FakeArtifacts;
  beforeEach(async () => {
    artifacts = await startArtifactService();
  });
  afterEach(async () => {
    await artifacts.close();
  });
  // What the runner gives a step; github.com, since the artifact client refuses GHES. The stand-in
  // compiler fakes `dagster create` but cannot be preloaded by the fork server.
  const artifactEnv = () => ({ ACTIONS_RUNTIME_TOKEN: runtimeToken(), ACTIONS_RESULTS_URL: `${artifacts.url}/`, GITHUB_SERVER_URL: "https://github.com", MFDAG_NO_FORK_SERVER: "1" });

  /** The files of a zip, read with Python's zipfile (the zip @actions/artifact uploaded). */
  function unzip(zip: Buffer): Record<string, string> {
    const script = "import io, json, sys, zipfile\nz = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))\nprint(json.dumps({n: z.read(n).decode() for n in z.namelist()}))";
    return JSON.parse(execaSync("python3", ["-c", script], { input: zip }).stdout) as Record<string, string>;
  }

  it("attaches the regenerated definitions to the run as a 14-day artifact whose patch git apply accepts", async () => {
    const repo = shopRepo();
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: schedule, inputs: { "upload-patch": "true", python: standInCompiler(repo) }, env: artifactEnv() });
    expect(run.exitCode).toBe(0);
    expect(artifacts.artifacts.map((a) => a.name)).toEqual(["mfdag-fix-default"]);
    const artifact = artifacts.artifacts[0]!;
    expect(artifact).toMatchObject({ workflowRunBackendId: "run-backend-1", workflowJobRunBackendId: "job-backend-1" });
    expect(artifact.finalized).toEqual({ size: String(artifact.content.length), hash: `sha256:${createHash("sha256").update(artifact.content).digest("hex")}` });
    const days = (Date.parse(artifact.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(13.9);
    expect(days).toBeLessThan(14.1);

    // The artifact holds exactly the patch the step made, and the patch makes the repo up to date.
    const files = unzip(artifact.content);
    expect(Object.keys(files)).toEqual(["mfdag-fix.patch"]);
    expect(files["mfdag-fix.patch"]).toBe(readFileSync(run.outputs.patch!, "utf8"));
    expect(files["mfdag-fix.patch"]).toContain("+++ b/dagster/train_dagster.py");
    execaSync("git", ["apply"], { cwd: repo, input: files["mfdag-fix.patch"] });
    const { report } = await checkJson(repo, "--compiler", "static");
    expect(report.summary).toMatchObject({ drift: 0 });
    expect(run.summary).toContain("attached to this run as the artifact mfdag-fix-default");
  });

  it("keeps the verdict and says where the patch is when the artifact service refuses the upload", async () => {
    artifacts.failWith = 401;
    const repo = shopRepo();
    const run = await runAction({ workspace: repo, apiUrl: github.url, event: schedule, inputs: { "upload-patch": "true", python: standInCompiler(repo) }, env: artifactEnv() });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ drift: "true", verdict: "pass" }); // an audit reports drift; it does not fail for it
    expect(artifacts.artifacts).toEqual([]);
    expect(existsSync(run.outputs.patch!)).toBe(true);
    expect(run.summary).toContain(`upload-patch: the patch is at ${run.outputs.patch} but could not be attached to the run`);
    expect(run.stdout).toContain("::warning::upload-patch: the patch is at");
  });
});
