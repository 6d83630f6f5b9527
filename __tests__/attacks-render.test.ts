/**
 * Attacks on what mfdag says on a pull request's behalf: nothing a PR writes (parameter names,
 * help texts, file names, a report made by its own run) may speak through the bot, whether in the
 * comment, the review, the audit issue, the job summary, the step's log or the action's outputs.
 * Each describe is one guarantee and each test title the attack and its defense (see
 * scripts/attack-table.mjs). End-to-end tests run the built dist/index.js and dist/cli.js.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import nunjucks from "nunjucks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { quotePath, staleFilesOutput } from "../src/core/outputs.js";
import { JOB_CHANGE_KINDS, type CheckReport, type FieldChange, type FlowResult } from "../src/core/types.js";
import { readReportFile } from "../src/io/report-file.js";
import { createRenderer, fence, inlineCode, markdownText, MARKDOWN_FILTERS, neutralizeWorkflowCommands, plainText, tableCell, TEXT_FILTERS } from "../src/render/index.js";
import { mermaidOf } from "../src/render/mermaid.js";
import { checkView } from "../src/render/views.js";
import { runAction } from "./helpers/action-runner.js";
import { start, type FakeGitHub } from "./helpers/fake-github.js";
import { flowSource, PROJECT, runCli, tempDir, writeFiles } from "./helpers/repo.js";
import { flowResult } from "./helpers/flow-result.js";

const PR = { number: 7, baseSha: "b".repeat(40), headSha: "d".repeat(40) };
const workflowRun = { name: "workflow_run", payload: { action: "completed", workflow_run: { id: 99, head_sha: PR.headSha, pull_requests: [] } } };

/** What GitHub would turn into a mention, an image, a link, an issue reference, math or a new block. */
const HOSTILE = "@org/team ![i](https://e.example/i.png) [x](https://e.example) www.e.example #1 $x$ <img src=x> **b** __u__";
/** Each line break CommonMark or another reader knows, each followed by what would start a block there. */
const BREAKS = ["x\r# pwned-cr", "x\r\n# pwned-crlf", "x\u2028# pwned-ls", "x\u2029> pwned-ps", "x\u0085- pwned-nel", "x\n<img src=y>"];

/** Job changes of every kind, a graph and an unchecked part, every name and value in them `text`. */
function hostileJob(text: string): Pick<FlowResult, "jobChanges" | "jobGraph" | "unchecked"> {
  return {
    jobChanges: JOB_CHANGE_KINDS.map((kind, i) => ({
      kind,
      severity: i % 2 ? "breaking" : "non-breaking",
      subject: text,
      step: text,
      committed: i % 3 === 0 ? null : text,
      current: i % 3 === 1 ? null : text,
      upstream: [text, text],
      downstream: i % 2 ? [text] : [],
      declaredIn: `flows/${text}.py`,
      flowLine: 3,
      definitionsLine: 9,
    })),
    jobGraph: {
      nodes: [
        { op: text, steps: [text, text], kind: text, status: "added" },
        { op: `op_${text}`, steps: [text], kind: "end", status: "removed" },
        { op: "op_end", steps: ["end"], kind: "end", status: "changed" },
      ],
      edges: [
        { from: text, to: `op_${text}`, how: "output", output: text, status: "removed" },
        { from: text, to: "op_end", how: "map", output: null, status: "added" },
        { from: text, to: text, how: text, output: text, status: "same" },
      ],
    },
    unchecked: [{ part: text, step: text, reason: text }],
  };
}

function hostileReport(text: string): CheckReport & { pullRequest: typeof PR & { owner: string; repo: string }; contract: null } {
  const value = { type: `str ${text}`, default: `'${text}'`, help: text };
  const change = (kind: FieldChange["kind"]): FieldChange => ({
    parameter: text,
    kind,
    severity: "breaking",
    committed: { ...value, type: "int" },
    current: value,
    declaredIn: `flows/${text}.py`,
    flowLine: 3,
    definitionsLine: 9,
  });
  return {
    schemaVersion: 1,
    root: `/r/${text}`,
    failed: true,
    failOn: "type-change",
    compiler: "static",
    summary: { flows: 2, upToDate: 0, drift: 1, typeChanges: 1, breaking: 1, missing: 0, orphaned: 0, errors: 1, warnings: 1, jobChanges: 0, unchecked: 0 },
    flows: [
      {
        flowFile: `flows/${text}.py`,
        flowClass: `F${text}`,
        definitionsFile: `dagster/${text}.py`,
        status: "drift",
        compiler: "static",
        error: null,
        changes: [change("type-changed"), change("help-changed"), change("default-changed")],
        jobChange: { committed: text, current: `${text}2` },
        configDiff: `--- a\n+++ b\n@@ -1 +1 @@\n-    x: int = 1  # ${text}\n+    x: str = '${text}'  # ${text}\n`,
        ...hostileJob(text),
        regenerate: `cd '${text}' && python x.py dagster create out.py`,
        dagsterCreate: null,
        warnings: [{ lint: "invalid-python", message: text, file: `flows/${text}.py`, line: 3, parameter: text }],
        currentConfig: null,
      },
      flowResult(`flows/e${text}.py`, { flowClass: null, definitionsFile: null, status: "error", compiler: null, error: `${text}\n${text}` }),
    ],
    pullRequest: { owner: "acme", repo: "shop", ...PR },
    contract: null,
  };
}

/** Lines outside fenced code blocks, split where CommonMark splits them (`\n`, `\r\n`, `\r`). */
function linesOutsideFences(markdown: string): string[] {
  const lines = markdown.split(/\r\n|\r|\n/);
  const outside: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})[^`]*$/.exec(lines[i]!);
    if (!open) {
      outside.push(lines[i]!);
      continue;
    }
    const close = lines.findIndex((line, j) => j > i && line === open[1]);
    expect(close, `fence opened at line ${i + 1}`).toBeGreaterThan(i);
    i = close;
  }
  return outside;
}

/** Fails when `markdown` has, outside code blocks, anything GitHub would make live from user content. */
function expectInert(markdown: string): void {
  expect(markdown).not.toMatch(/[\r\u2028\u2029\u0085]/);
  const outside = linesOutsideFences(markdown);
  const text = outside.join("\n");
  expect(text).not.toMatch(/(?:^|[^\w`])@[A-Za-z0-9]/m); // mentions, in <code> too
  expect(text).not.toMatch(/!\[|\]\(|https?:\/\/|www\.|(?<!&)#\d|\$|<img|\*\*b\*\*|__u__/);
  // No line starts with what followed a line break in user content (a heading, quote, list or tag).
  for (const line of outside) expect(line).not.toMatch(/^\s*(?:#+|>|-)\s*pwned|^\s*<img/);
}

/** Lines the Actions runner reads from a step's output (it splits at `\r` too) that it would take for a command. */
function workflowCommandLines(output: string): string[] {
  return output.split(/\r\n|\r|\n/).filter((line) => /^[\s\u0085]*::/.test(line) || line.includes("##["));
}

describe("attack: a report made by an untrusted run is checked whole before the trusted run posts it", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await start();
    github.setPullFiles("acme/shop", 7, []);
    github.state.pulls.set("acme/shop#7", { headSha: PR.headSha, baseSha: PR.baseSha });
  });
  afterEach(async () => {
    await github.close();
  });

  async function publish(report: unknown) {
    const file = path.join(tempDir(), "mfdag-report.json");
    writeFileSync(file, JSON.stringify(report));
    return { file, run: await runAction({ workspace: tempDir(), apiUrl: github.url, event: workflowRun, inputs: { mode: "publish", "report-file": file } }) };
  }

  it("summary counts that are strings carrying <img> and @org/team: exit 2 naming the file and $.summary.drift, nothing posted", async () => {
    const report = hostileReport("a") as unknown as { summary: Record<string, unknown> };
    report.summary.drift = '<img src="https://e.example/x.png"> @org/team';
    const { file, run } = await publish(report);
    expect(run.exitCode).toBe(2);
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toContain(`::error::Input 'report-file': ${file} is not a valid mfdag report: $.summary.drift: `);
    expect(github.requests).toHaveLength(0);
    expect(github.state.issueComments).toHaveLength(0);
    expect(run.summary).not.toContain("<img");
  });

  it("an unknown change kind carrying @org/team: exit 2 naming $.flows[0].changes[1].kind, nothing posted", async () => {
    const report = hostileReport("a");
    (report.flows[0]!.changes[1] as { kind: string }).kind = "@org/team ![x](https://e.example/x.png)";
    const { run } = await publish(report);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toContain("is not a valid mfdag report: $.flows[0].changes[1].kind: ");
    expect(github.requests).toHaveLength(0);
    expect(github.state.issueComments).toHaveLength(0);
    expect(run.summary).not.toMatch(/@org\/team|!\[/);
  });

  it("unknown fields, negative or fractional counts, unknown statuses, oversized strings and lists, and a pull request that is not GitHub's shape are each refused with their JSON path", async () => {
    const dir = tempDir();
    const cases: [string, (report: Record<string, any>) => void][] = [
      ["$.flows[0].body", (r) => (r.flows[0].body = "<img src=x>")],
      ["$.summary.errors", (r) => (r.summary.errors = -1)],
      ["$.summary.flows", (r) => (r.summary.flows = 1.5)],
      ["$.flows[1].status", (r) => (r.flows[1].status = "fine")],
      ["$.failOn", (r) => (r.failOn = "sometimes")],
      ["$.flows[0].compiler", (r) => (r.flows[0].compiler = "python")],
      ["$.flows[0].flowFile", (r) => (r.flows[0].flowFile = "x".repeat(5000))],
      ["$.flows[0].changes", (r) => (r.flows[0].changes = Array.from({ length: 100_001 }, () => r.flows[0].changes[0]))],
      ["$.flows[0].changes[0].committed.help", (r) => (r.flows[0].changes[0].committed.help = 3)],
      ["$.pullRequest.headSha", (r) => (r.pullRequest.headSha = "main")],
      ["$.pullRequest.owner", (r) => (r.pullRequest.owner = "acme/other")],
      ["$.pullRequest.number", (r) => (r.pullRequest.number = 0)],
      ['$["@org/team\\n::error::x"]', (r) => (r["@org/team\n::error::x"] = 1)],
    ];
    for (const [where, corrupt] of cases) {
      const report = structuredClone(hostileReport("a")) as Record<string, any>;
      corrupt(report);
      const file = path.join(dir, "report.json");
      writeFileSync(file, JSON.stringify(report));
      const error = await readReportFile(file, "Input 'report-file'").then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message, where).toContain(`Input 'report-file': ${file} is not a valid mfdag report: ${where}: `);
      expect(error?.name, where).toBe("ConfigurationError");
    }
  });

  it("a report that mfdag itself wrote (check, then action) reads back unchanged under the strict schema", async () => {
    const report = hostileReport("a");
    const file = path.join(tempDir(), "report.json");
    writeFileSync(file, JSON.stringify(report));
    expect(await readReportFile(file)).toEqual(report);
  });

  it("a hostile but valid report (mentions, images, links, headings behind lone CR, U+2028 and NEL in every field) is posted with all of it inert", async () => {
    const report = hostileReport(`${HOSTILE} ${BREAKS.join(" ")}`);
    const { run } = await publish(report);
    expect(run.exitCode, run.stdout).toBe(0);
    const comments = github.state.issueComments.filter((c) => c.issueNumber === 7);
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body).toContain("mfdag: the committed Dagster definitions are out of date");
    expectInert(body);
    expectInert(run.summary);
  });
});

describe("attack: every field of every template is escaped for its context, whatever its type", () => {
  const renderer = createRenderer();
  const TEMPLATES = path.join(PROJECT, "templates");

  /** Why `node` (one value of a `{{ ... }}`) is not escaped, or null when it is. */
  function unescaped(node: any, allowed: Record<string, string>): string | null {
    switch (node.typename) {
      case "TemplateData":
        return null;
      case "Literal":
        return typeof node.value === "string" ? null : `literal ${String(node.value)}`;
      case "Group":
        return node.children.map((child: any) => unescaped(child, allowed)).find(Boolean) ?? null;
      case "InlineIf":
        return unescaped(node.body, allowed) ?? (node.else_ ? unescaped(node.else_, allowed) : null);
      case "Filter":
        return node.name.value in allowed ? null : `ends in filter '${node.name.value}'`;
      default:
        return `a ${node.typename} without an escaping filter`;
    }
  }

  function outputsOf(node: any, found: any[] = []): any[] {
    if (!node || typeof node !== "object") return found;
    if (node.typename === "Output") found.push(node);
    for (const field of node.fields ?? []) {
      const child = node[field];
      if (Array.isArray(child)) child.forEach((c) => outputsOf(c, found));
      else if (child?.typename) outputsOf(child, found);
    }
    return found;
  }

  it("a {{ ... }} without an escaping filter for its context is caught in every template by parsing them", () => {
    const files = readdirSync(TEMPLATES).filter((name) => name.endsWith(".njk"));
    expect(files.length).toBeGreaterThanOrEqual(9);
    const problems: string[] = [];
    for (const file of files) {
      // The macros' results are values like any other: the templates that call them escape them.
      if (file === "_macros.njk") continue;
      const allowed = file.endsWith(".txt.njk") ? TEXT_FILTERS : MARKDOWN_FILTERS;
      const ast = (nunjucks as any).parser.parse(readFileSync(path.join(TEMPLATES, file), "utf8"));
      for (const output of outputsOf(ast)) {
        for (const child of output.children) {
          const why = unescaped(child, allowed);
          if (why) problems.push(`${file}:${child.lineno + 1}: ${why}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("a string smuggled into a count, a kind or a status renders escaped in the comment and the terminal", () => {
    const report = hostileReport("a") as any;
    for (const key of Object.keys(report.summary)) report.summary[key] = "@org/team ![i](https://e.example/i.png)\r# pwned <img src=x>";
    report.flows[0].changes[0].kind = "@org/team\r# pwned";
    report.flows[1].status = "@org/team\r# pwned";
    const contract = [{ definitionsFile: "d.py", flow: null, status: "@org/team\r# pwned", changes: report.flows[0].changes, jobChange: null, configDiff: null }];
    expectInert(renderer.render("check.md.njk", { report, view: checkView(report), contract, notes: [] }));
    expectInert(renderer.render("audit-issue.md.njk", { report, view: checkView(report), contract: null, notes: [], runUrl: null, patchArtifact: "@org/team" }));
    // The run URL is mfdag's own, but even so it stays one link: nothing in it can close it.
    const audit = renderer.render("audit-issue.md.njk", { report, view: checkView(report), contract: null, notes: [], runUrl: "https://e.example/run) ![x](y", patchArtifact: null });
    expect(audit).toContain("([audit run](https://e.example/run%29%20![x]%28y))");
    expectInert(renderer.render("review-parameter.md.njk", { change: report.flows[0].changes[0], definitionsFile: "@org/team\r# pwned", regenerate: "x" }));
    const text = renderer.render("check.txt.njk", { report, view: checkView(report), contract: null, notes: [] });
    expect(text).not.toMatch(/[\r\u001b]/);
    expect(workflowCommandLines(text)).toEqual([]);
  });

  it("lone CR, CRLF, VT, FF, NEL, U+2028 and U+2029 never make a line break in code, cell, md or html; in fences they become the \\n CommonMark would see", () => {
    for (const lineBreak of ["\r", "\r\n", "\v", "\f", "\u0085", "\u2028", "\u2029"]) {
      const value = `a${lineBreak}# b`;
      expect(inlineCode(value)).toBe("<code>a⏎# b</code>");
      expect(tableCell(value)).toBe("a ⏎ # b");
      expect(markdownText(value)).toBe("a ⏎ # b");
      expect(fence(value)).toBe("```\na\n# b\n```");
    }
  });

  it("other control characters and bidi overrides are shown as visible stand-ins, never passed to the reader or the terminal", () => {
    expect(plainText("a\u0000b\u001b[2Jc\u007fd\u009be\u202ef")).toBe("a\u2400b\u241b[2Jc\u2421d\uFFFDe\uFFFDf");
    expect(inlineCode("\u001b]8;;https://e.example\u0007x")).not.toMatch(/[\u001b\u0007]/);
    expect(createRenderer({ color: true }).render("config.txt.njk", { result: { error: "\u001b[2J\u001b]0;title\u0007", flowFile: "\u001b[31mf.py" } })).not.toMatch(/\u001b\[2J|\u001b\]|\u001b\[31mf/);
  });

  it("@team mentions, issue references, images, links, autolinks, emphasis and math in user content render as plain text, inside <code> too", () => {
    const value = "@org/team @alice ![i](https://e.example/i.png) [l](y) www.e.example #12 $x$ **b** *i* ~~s~~ __u__ `c` \\|";
    for (const out of [inlineCode(value), tableCell(value), markdownText(value)]) {
      expect(out).not.toMatch(/@[A-Za-z0-9]|!\[|\[l\]|\]\(|https?:\/\/|www\.|(?<!&)#\d|\$|\*|~|__|`|\\/);
    }
    // Names as they usually are stay readable in the Markdown source, not only on GitHub.
    expect(inlineCode("learning_rate: float = 0.001")).toBe("<code>learning_rate: float = 0.001</code>");
  });
});

describe("attack: text output cannot issue workflow commands", () => {
  /** A flow whose parameter name and help carry workflow commands behind LF and lone CR, with stale definitions. */
  function commandRepo(): string {
    const root = tempDir();
    // Not in the name: click cannot make an option of such a name, so the flow would not compile.
    writeFiles(root, {
      "flows/evil_flow.py": flowSource(
        "EvilFlow",
        [
          `    bad = Parameter("bad", default=1, help=${JSON.stringify("x\n::error::pwned a\r::add-mask::secret")})`,
          `    rate = Parameter("rate", default=2, help=${JSON.stringify("b\r  ::warning::w ##[error]legacy")})`,
        ].join("\n"),
      ),
      "dagster/evil_dagster.py": renderDefinitions({ flow: "EvilFlow", source: "/home/a/x/flows/evil_flow.py", configClass: ["class EvilFlowConfig(Config):", "    rate: int = 1  # old"] }),
    });
    return root;
  }

  it("mfdag check with a parameter whose help is x\\n::error::pwned and \\r::add-mask::secret prints no line the runner reads as a command, in text and in Markdown", async () => {
    const root = commandRepo();
    const text = await runCli(["check", "--root", root, "--compiler", "static"]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain("pwned");
    expect(text.stdout).toContain("add-mask");
    expect(workflowCommandLines(text.stdout)).toEqual([]);
    const markdown = await runCli(["check", "--root", root, "--compiler", "static", "--format", "markdown"]);
    expect(markdown.stdout).toContain("pwned");
    expect(workflowCommandLines(markdown.stdout)).toEqual([]);
  });

  it("mfdag config prints the Config class with such a parameter and no command line", async () => {
    const root = commandRepo();
    const config = await runCli(["config", path.join(root, "flows/evil_flow.py"), "--root", root, "--compiler", "static"]);
    expect(config.stdout).toContain("pwned");
    expect(workflowCommandLines(config.stdout)).toEqual([]);
  });

  it(":: after spaces, tabs, NBSP or NEL at the start of any line (split at LF, CR or CRLF), and ##[ anywhere, are broken by a zero-width space", () => {
    const out = neutralizeWorkflowCommands("::a::\n  ::b::\r::c::\r\n\t\u00a0\u0085::d::\nok ::e:: ##[error]f\n");
    expect(workflowCommandLines(out)).toEqual([]);
    expect(out.replace(/\u200B/g, "")).toBe("::a::\n  ::b::\r::c::\r\n\t\u00a0\u0085::d::\nok ::e:: ##[error]f\n");
  });
});

describe("attack: action outputs stay unambiguous whatever the file names", () => {
  let github: FakeGitHub;
  beforeEach(async () => {
    github = await start();
  });
  afterEach(async () => {
    await github.close();
  });

  /** Reads one line of stale-files back: C-style unquoting of git's quoted paths. */
  function unquote(line: string): string {
    if (!line.startsWith('"')) return line;
    const bytes: number[] = [];
    const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
    const body = Buffer.from(line.slice(1, -1), "utf8");
    for (let i = 0; i < body.length; i++) {
      if (body[i] !== 92) {
        bytes.push(body[i]!);
        continue;
      }
      const next = String.fromCharCode(body[++i]!);
      if (/[0-7]/.test(next)) {
        bytes.push(parseInt(body.subarray(i, i + 3).toString(), 8));
        i += 2;
      } else bytes.push(simple[next]!);
    }
    return Buffer.from(bytes).toString("utf8");
  }

  it("a definitions file named with a newline is one C-quoted entry of stale-files, which reads back as its name", async () => {
    const root = tempDir();
    const stale = "dagster/evil\nname_dagster.py";
    writeFiles(root, {
      "flows/train_flow.py": flowSource("TrainFlow", '    epochs = Parameter("epochs", default=2, help="Epochs")'),
      [stale]: renderDefinitions({ flow: "TrainFlow", source: "/home/a/x/flows/train_flow.py", configClass: ["class TrainFlowConfig(Config):", "    epochs: int = 1  # Epochs"] }),
    });
    const run = await runAction({ workspace: root, apiUrl: github.url, inputs: { "fail-on": "never" } });
    expect(run.exitCode, run.stdout).toBe(0);
    const lines = run.outputs["stale-files"]!.split("\n");
    expect(lines).toEqual(['"dagster/evil\\nname_dagster.py"']);
    expect(lines.map(unquote)).toEqual([stale]);
  });

  it("names with CR, tab, quote, backslash, control characters and U+2028 are quoted as git quotes them; other names, Unicode included, stay as they are", () => {
    const names = ["plain/ok_dagster.py", "sp ace/é_dagster.py", 'q"uote.py', "back\\slash.py", "cr\rlf\n.py", "tab\t.py", "esc\u001b.py", "ls\u2028.py", '"starts-with-quote.py'];
    expect(names.map(quotePath)).toEqual([
      "plain/ok_dagster.py",
      "sp ace/é_dagster.py",
      '"q\\"uote.py"',
      '"back\\\\slash.py"',
      '"cr\\rlf\\n.py"',
      '"tab\\t.py"',
      '"esc\\033.py"',
      '"ls\\342\\200\\250.py"',
      '"\\"starts-with-quote.py"',
    ]);
    for (const name of names) expect(unquote(quotePath(name))).toBe(name);
    const report = { flows: names.map((definitionsFile) => ({ status: "drift", definitionsFile })) } as unknown as CheckReport;
    expect(staleFilesOutput(report, "sub").split("\n").map(unquote)).toEqual(names.map((name) => `sub/${name}`));
  });
});

describe("attack: a hostile op or step name cannot break out of the job diagram or the Markdown around it", () => {
  /** Names that would end a Mermaid label, add a statement, a directive, a click handler or a comment, or close the fence. */
  const MERMAID_HOSTILE = [
    'a"]; click n0 "https://e.example"; x["',
    "a] --> pwned[b",
    "a\n  pwned --> n0\nclick n0 call alert()",
    "%%{init: {'securityLevel': 'loose'}}%%",
    "%% eats the rest",
    "```\n</details><img src=x onerror=alert(1)>",
    '"` **md** `"',
    "<!-- mfdag --> <script>x</script>",
    "direction LR",
    "classDef added fill:#f00;",
    `${HOSTILE} ${BREAKS.join(" ")}`,
  ];

  /** The statements mermaid.ts writes; a line of a diagram that is none of them came from a name. */
  const MERMAID_STATEMENT = [
    /^flowchart TD$/,
    /^ {2}n\d+\["[^"]*"\]$/,
    /^ {2}n\d+ (?:-->|-\.->)(?:\|"[^"]*"\|)? n\d+$/,
    /^ {2}classDef (?:added|removed|changed) [\w:#,. -]+$/,
    /^ {2}class n\d+(?:,n\d+)* (?:added|removed|changed)$/,
    /^ {2}linkStyle \d+(?:,\d+)* stroke:#\w+,stroke-width:2px$/,
  ];

  function expectOwnStatements(diagram: string): void {
    expect(diagram).not.toMatch(/[`%]|<!--|<(?!br\/>)/);
    for (const line of diagram.trimEnd().split("\n")) expect(MERMAID_STATEMENT.some((statement) => statement.test(line)), line).toBe(true);
  }

  it("in job changes, the graph and unchecked parts, the PR comment keeps them inert and has one ```mermaid block of mfdag's own statements", () => {
    const renderer = createRenderer();
    for (const name of MERMAID_HOSTILE) {
      const report = hostileReport(name);
      const markdown = renderer.render("check.md.njk", { report, view: checkView(report), contract: null, notes: [] });
      expectInert(markdown);
      expect(workflowCommandLines(markdown)).toEqual([]);
      const blocks = [...markdown.matchAll(/^(`{3,})mermaid\n([\s\S]*?)\n\1$/gm)];
      expect(blocks, name).toHaveLength(1);
      expectOwnStatements(blocks[0]![2]!);
      expect(blocks[0]![2]).toBe(mermaidOf(report.flows[0]!.jobGraph!).trimEnd());
      // Outside the block no line of the names' own survives as Markdown: every job change is one list item.
      const items = linesOutsideFences(markdown).filter((line) => /^- \*\*[a-z-]+\*\*/.test(line));
      expect(items.length).toBeGreaterThanOrEqual(JOB_CHANGE_KINDS.length);
    }
  });

  it("mfdag inspect on a committed definitions file whose step names carry them prints only mfdag's statements", async () => {
    const dir = tempDir();
    for (const [i, name] of MERMAID_HOSTILE.entries()) {
      const file = path.join(dir, `evil${i}_dagster.py`);
      writeFileSync(file, renderDefinitions({ flow: "EvilFlow", source: "/home/a/x/flows/evil_flow.py", configClass: null, steps: ["start", name, "end"] }));
      const diagram = await runCli(["inspect", file, "--format", "mermaid"]);
      if (diagram.exitCode === 0) expectOwnStatements(diagram.stdout);
      else expect(diagram.stdout).toBe("");
      const text = await runCli(["inspect", file]);
      expect(text.stdout).not.toMatch(/[\r\u001b]/);
      expect(workflowCommandLines(text.stdout)).toEqual([]);
    }
  });
});
