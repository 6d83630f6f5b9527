/**
 * The job graph (core/job-graph.ts) and its Mermaid flowchart (render/mermaid.ts): what is marked
 * added, removed, changed or the same, how the diagram draws it, that no name from a pull request
 * can reach Mermaid's syntax or the Markdown around the block, and the size bounds. The models are
 * the recorded ground truth of the whole-definitions corpus (fixtures/corpus-definitions/expected).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { jobGraphOf } from "../src/core/job-graph.js";
import { jobModelSchema, type JobModel } from "../src/core/job-model.js";
import type { JobGraph } from "../src/core/types.js";
import { fence } from "../src/render/escape.js";
import { MERMAID_LIMITS, mermaidOf, mermaidText } from "../src/render/mermaid.js";
import { checkView } from "../src/render/views.js";
import { FAILING_REPORT, TRAIN_JOB_CHANGES } from "./helpers/golden-report.js";

const EXPECTED = path.resolve(import.meta.dirname, "fixtures/corpus-definitions/expected");
const model = (version: "0.3.7" | "main-af05540", flow: string): JobModel => jobModelSchema.parse(JSON.parse(readFileSync(path.join(EXPECTED, version, `${flow}.json`), "utf8")));
const clone = (value: JobModel): JobModel => structuredClone(value);

/** The node lines (`  n3["label"]`) of a diagram, by id. */
function nodeLines(diagram: string): Map<string, string> {
  const nodes = new Map<string, string>();
  for (const line of diagram.split("\n")) {
    const match = /^ {2}(n\d+)\["(.*)"\]$/.exec(line);
    if (match) nodes.set(match[1]!, match[2]!);
  }
  return nodes;
}

/** Mermaid's decoding of entity codes (`#quot;`, `#60;`), to read a label back as a person sees it. */
const decode = (label: string) => label.replace(/#(quot|\d+);/g, (_m, code: string) => (code === "quot" ? '"' : String.fromCodePoint(Number(code))));

/** What a label may contain: inert ASCII, entity codes, non-ASCII text, and mermaid.ts's own `<br/>`. */
const INERT_LABEL = /^(?:[A-Za-z0-9 _.,=+'/]|#(?:quot|\d+);|<br\/>|[^\x00-\x7f])*$/u;

describe("jobGraphOf", () => {
  it("marks everything the same when there is no committed model (what `mfdag inspect` draws)", () => {
    const current = model("0.3.7", "x01_kitchen_sink");
    const graph = jobGraphOf(current, null);
    expect(graph.nodes.map((node) => node.op)).toEqual(current.ops.map((op) => op.name));
    expect(graph.edges).toHaveLength(current.job!.edges.length);
    expect(new Set([...graph.nodes, ...graph.edges].map((item) => item.status))).toEqual(new Set(["same"]));
  });

  it("marks nothing when both models are the same", () => {
    const graph = jobGraphOf(model("0.3.7", "g03_split_start"), model("0.3.7", "g03_split_start"));
    expect(new Set([...graph.nodes, ...graph.edges].map((item) => item.status))).toEqual(new Set(["same"]));
  });

  it("marks a compound op added and the separate ops it replaces removed, with their edges (0.3.7 vs main on a multi-body foreach)", () => {
    const graph = jobGraphOf(model("main-af05540", "g09_multibody_foreach"), model("0.3.7", "g09_multibody_foreach"));
    const status = Object.fromEntries(graph.nodes.map((node) => [node.op, node.status]));
    expect(status).toEqual({ op_start: "same", op_build_index: "same", op_end: "same", op_start__body: "added", op_fetch_doc: "removed", op_tokenize: "removed", op_embed: "removed" });
    // The current ops first, in their order, then the removed ones.
    expect(graph.nodes.slice(-3).map((node) => node.status)).toEqual(["removed", "removed", "removed"]);
    expect(graph.nodes.find((node) => node.op === "op_start__body")!.steps).toEqual(["fetch_doc", "tokenize", "embed"]);
    const edge = (from: string, to: string) => graph.edges.find((e) => e.from === from && e.to === to)?.status;
    expect(edge("op_start", "op_start__body")).toBe("added");
    expect(edge("op_start__body", "op_build_index")).toBe("added");
    expect(edge("op_start", "op_fetch_doc")).toBe("removed");
    expect(edge("op_embed", "op_build_index")).toBe("removed");
    expect(edge("op_build_index", "op_end")).toBe("same");
  });

  it("marks an op changed for each compared field, and only for those", () => {
    const committed = model("0.3.7", "d01_retry");
    const edits: [string, (op: JobModel["ops"][number]) => void][] = [
      ["retry policy", (op) => void (op.retry_policy = { max_retries: 4, delay: 60 })],
      ["timeout", (op) => void ((op.timeout = 60), (op.tags = { "dagster/op_execution_timeout": "60" }))],
      ["kind", (op) => void (op.kind = "switch-merge")],
      ["inputs", (op) => void (op.ins = { other: "In(str)" })],
      ["outputs", (op) => void (op.out = "DynamicOut(str)")],
      ["a step's retries", (op) => void (op.runs[0]!.max_user_code_retries = 2)],
      ["a step's environment", (op) => void (op.runs[0]!.extra_env = { WORKERS: 8 })],
      ["a step's run tags", (op) => void (op.runs[0]!.tags = ["team:ml"])],
      ["its steps", (op) => void (op.steps = ["download", "extra"])],
    ];
    for (const [what, edit] of edits) {
      const current = clone(committed);
      edit(current.ops.find((op) => op.name === "op_download")!);
      const changed = jobGraphOf(current, committed).nodes.filter((node) => node.status !== "same");
      expect(changed.map((node) => [node.op, node.status]), what).toEqual([["op_download", "changed"]]);
    }
    // Not compared: the op's body text details that follow from the compared fields.
    const current = clone(committed);
    current.ops[1]!.params = ["renamed"];
    current.ops[1]!.decorator_keys = [];
    expect(jobGraphOf(current, committed).nodes.every((node) => node.status === "same")).toBe(true);
  });

  it("does not mark an op changed when only the order of its dict keys differs", () => {
    const committed = model("0.3.7", "g03_split_start");
    const current = clone(committed);
    const join = current.ops.find((op) => op.kind === "join")!;
    join.ins = Object.fromEntries(Object.entries(join.ins!).reverse());
    expect(jobGraphOf(current, committed).nodes.every((node) => node.status === "same")).toBe(true);
  });

  it("marks a rewired input as one edge removed and one added (`op_end` now takes `r_validate`)", () => {
    const committed = model("0.3.7", "c03_tags");
    const current = clone(committed);
    current.job!.edges = current.job!.edges.map((edge) => (edge.to === "op_end" ? { ...edge, from: "op_start" } : edge));
    const graph = jobGraphOf(current, committed);
    expect(graph.edges.filter((edge) => edge.status !== "same").map((edge) => [edge.from, edge.to, edge.status])).toEqual([
      ["op_start", "op_end", "added"],
      ["op_work", "op_end", "removed"],
    ]);
  });

  it("keeps one node per op name when a broken file repeats one", () => {
    const current = model("0.3.7", "c03_tags");
    current.ops.push(clone(current).ops[1]!);
    expect(jobGraphOf(current, null).nodes.map((node) => node.op)).toEqual(["op_start", "op_work", "op_end"]);
  });
});

describe("mermaidOf", () => {
  it("draws a top-down flowchart with one generated id per op and one arrow per edge", () => {
    const current = model("0.3.7", "x01_kitchen_sink");
    const diagram = mermaidOf(jobGraphOf(current, null));
    const lines = diagram.trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart TD");
    const nodes = nodeLines(diagram);
    // Every op, plus the `?stores_done` the reader could not resolve (drawn plainly, not dropped).
    expect([...nodes.keys()]).toEqual(Array.from({ length: current.ops.length + 1 }, (_, i) => `n${i}`));
    expect([...nodes.values()].map((label) => decode(label).split("<br/>")[0])).toEqual([...current.ops.map((op) => op.name), "?stores_done"]);
    expect(lines.filter((line) => / -->|-\.->/.test(line))).toHaveLength(current.job!.edges.length);
    expect(diagram).not.toMatch(/classDef|linkStyle/);
  });

  it("labels map, collect and named-output edges, and leaves plain inputs unlabelled", () => {
    const diagram = mermaidOf(jobGraphOf(model("main-af05540", "g09_multibody_foreach"), null));
    expect(diagram).toContain(`-->|"map"|`);
    expect(diagram).toContain(`-->|"collect"|`);
    const split = mermaidOf(jobGraphOf(model("0.3.7", "g03_split_start"), null));
    const ids = new Map([...nodeLines(split)].map(([id, label]) => [label, id]));
    expect(split).toContain(`  ${ids.get("op_start")} -->|"zeta"| ${ids.get("op_zeta")}`);
    expect(split).toContain(`  ${ids.get("op_alpha")} --> ${ids.get("op_combine")}`);
  });

  it("names the steps of a compound op under its name, and not the one step of a simple op", () => {
    const nodes = [...nodeLines(mermaidOf(jobGraphOf(model("0.3.7", "g07_nested_foreach"), null))).values()];
    expect(nodes).toContain("op_rows__body<br/>cols → cell → row_done");
    expect(nodes).toContain("op_rows");
  });

  it("colours added, removed and changed ops, dashes removed ops and dots removed edges", () => {
    const committed = model("0.3.7", "g09_multibody_foreach");
    const current = clone(model("main-af05540", "g09_multibody_foreach"));
    current.ops.find((op) => op.name === "op_end")!.retry_policy = { max_retries: 3, delay: 120 };
    const graph = jobGraphOf(current, committed);
    const diagram = mermaidOf(graph);
    const ids = new Map([...nodeLines(diagram)].map(([id, label]) => [decode(label).split("<br/>")[0], id]));
    const classOf = (status: string) => new RegExp(`^  class (\\S+) ${status}$`, "m").exec(diagram)?.[1]?.split(",");
    expect(classOf("added")).toEqual([ids.get("op_start__body")]);
    expect(classOf("removed")).toEqual(["op_fetch_doc", "op_tokenize", "op_embed"].map((op) => ids.get(op)));
    expect(classOf("changed")).toEqual([ids.get("op_end")]);
    expect(diagram).toMatch(/^ {2}classDef added fill:#\w+,stroke:#\w+/m);
    expect(diagram).toMatch(/^ {2}classDef removed .*stroke-dasharray/m);
    expect(diagram).toMatch(/^ {2}classDef changed fill:#\w+/m);
    // The status is written in the label too, for readers without colours.
    expect(nodeLines(diagram).get(ids.get("op_end")!)).toContain("#40;changed#41;");
    const removedEdge = graph.edges.findIndex((edge) => edge.status === "removed");
    const arrows = diagram.split("\n").filter((line) => / -->|-\.->/.test(line));
    expect(arrows[removedEdge]).toContain(" -.->");
    expect(arrows.filter((line) => line.includes("-.->"))).toHaveLength(graph.edges.filter((edge) => edge.status === "removed").length);
    const linkStyle = (status: string, colour: string) => new RegExp(`^  linkStyle ([\\d,]+) stroke:${colour}`, "m").exec(diagram)?.[1]?.split(",").map(Number);
    expect(linkStyle("added", "#1a7f37")).toEqual(graph.edges.flatMap((edge, i) => (edge.status === "added" ? [i] : [])));
    expect(linkStyle("removed", "#cf222e")).toEqual(graph.edges.flatMap((edge, i) => (edge.status === "removed" ? [i] : [])));
  });

  it("never derives an id from a name: ops named like ids get ids of their own", () => {
    const graph: JobGraph = {
      nodes: [
        { op: "n1", steps: [], kind: "start", status: "same" },
        { op: "n0", steps: [], kind: "end", status: "same" },
      ],
      edges: [{ from: "n1", to: "n0", how: "direct", output: null, status: "same" }],
    };
    expect(mermaidOf(graph)).toBe('flowchart TD\n  n0["n1"]\n  n1["n0"]\n  n0 --> n1\n');
  });

  describe("hostile names stay inside their label", () => {
    const HOSTILE = [
      'a"]; click n0 "https://evil.example"; x["',
      "a] --> evil[pwned",
      "a\n  evil --> n0\nclick n0 call alert()",
      "a\r\nflowchart LR",
      "a\u2028b\u2029c\u0085d\u000be\u000cf",
      "%%{init: {'securityLevel': 'loose'}}%%",
      "%% a comment that eats the rest",
      "```\n</details><img src=x onerror=alert(1)>",
      "`# md string`",
      '"` markdown `"',
      "<script>alert(1)</script><!-- hidden -->",
      "x |label| y -.-> z ==> w ~~~ v",
      "direction LR",
      "style n0 fill:#f00;",
      "classDef added fill:#000;",
      "#quot; #60; #35; &lt; &amp;",
      "@org/team #1 https://e.example",
      "tab\there\u0000nul\u001b[31mred\u202eevil",
      "(a)[b]{c}|d|<e>",
      "end",
      "subgraph x",
    ];

    for (const name of HOSTILE) {
      it(`op and step ${JSON.stringify(name)}`, () => {
        const graph: JobGraph = {
          nodes: [
            { op: name, steps: [name, "b"], kind: "linear", status: "changed" },
            { op: "op_end", steps: ["end"], kind: "end", status: "removed" },
          ],
          edges: [{ from: name, to: "op_end", how: "output", output: name, status: "removed" }],
        };
        const diagram = mermaidOf(graph);
        const lines = diagram.trimEnd().split("\n");
        // The statements mermaid.ts writes, and no other: nothing in a name starts a line.
        expect(lines).toHaveLength(9);
        expect(lines[0]).toBe("flowchart TD");
        expect(lines[1]).toMatch(/^ {2}n0\[".*"\]$/);
        expect(lines[2]).toMatch(/^ {2}n1\[".*"\]$/);
        expect(lines[3]).toMatch(/^ {2}n0 -\.->\|".*"\| n1$/);
        expect(lines.slice(4)).toEqual([
          expect.stringMatching(/^ {2}classDef removed /),
          "  class n1 removed",
          expect.stringMatching(/^ {2}classDef changed /),
          "  class n0 changed",
          expect.stringMatching(/^ {2}linkStyle 0 stroke:/),
        ]);
        const label = /^ {2}n0\["(.*)"\]$/.exec(lines[1]!)![1]!;
        const edgeLabel = /\|"(.*)"\|/.exec(lines[3]!)![1]!;
        for (const text of [label, edgeLabel]) {
          expect(text).toMatch(INERT_LABEL);
          // Without mermaid.ts's own line breaks and the entity codes, no syntax is left.
          expect(text.replace(/<br\/>/g, "").replace(/#(?:quot|\d+);/g, "")).not.toMatch(/["`[\]|<>%;#{}\n\r]|-->|direction|style|classDef/);
        }
        // Read back as Mermaid decodes it, the label is the name (line breaks shown as ⏎, hidden characters made visible).
        expect(decode(label).split("<br/>")[0]).toBe(decode(mermaidText(name)));
        if (!/[\s\S]{81}/.test(name) && !/[\r\n\u2028\u2029\u0085\u000b\u000c\u0000-\u0008\u000e-\u001f\u202e]/.test(name)) expect(decode(label).split("<br/>")[0]).toBe(name);
        // In a Markdown fence it stays in the fence, and carries no HTML comment.
        const block = fence(diagram, "mermaid");
        expect(block.startsWith("```mermaid\n")).toBe(true);
        expect(block.match(/^```/gm)).toHaveLength(2);
        expect(block).not.toContain("<!--");
      });
    }
  });

  it("cuts a long name with an ellipsis", () => {
    const text = mermaidText("x".repeat(500));
    expect([...text]).toHaveLength(MERMAID_LIMITS.label);
    expect(text.endsWith("…")).toBe(true);
  });

  describe("bounds", () => {
    const chain = (count: number): JobGraph => ({
      nodes: Array.from({ length: count }, (_, i) => ({ op: `op_s${i}`, steps: [`s${i}`], kind: "linear", status: "same" as const })),
      edges: Array.from({ length: count - 1 }, (_, i) => ({ from: `op_s${i}`, to: `op_s${i + 1}`, how: "direct", output: null, status: "same" as const })),
    });

    it(`draws a job of ${MERMAID_LIMITS.nodes} ops`, () => {
      expect(nodeLines(mermaidOf(chain(MERMAID_LIMITS.nodes))).size).toBe(MERMAID_LIMITS.nodes);
    });

    it(`draws a note instead of a job of ${MERMAID_LIMITS.nodes + 1} ops`, () => {
      const diagram = mermaidOf(chain(MERMAID_LIMITS.nodes + 1));
      expect([...nodeLines(diagram).values()]).toEqual([expect.stringContaining(`${MERMAID_LIMITS.nodes + 1} ops`)]);
      expect(diagram).not.toContain("-->");
    });

    it("draws a note instead of a job with too many edges", () => {
      const graph = chain(20);
      graph.edges = Array.from({ length: MERMAID_LIMITS.edges + 1 }, (_, i) => ({ from: `op_s${i % 20}`, to: `op_s${(i + 1) % 20}`, how: "map", output: null, status: "same" as const }));
      expect(nodeLines(mermaidOf(graph)).size).toBe(1);
    });

    it("draws a note instead of a diagram over the text bound, however it got there (long hostile names)", () => {
      const graph = chain(MERMAID_LIMITS.nodes);
      for (const node of graph.nodes) node.op = `"<>`.repeat(400) + node.op;
      const diagram = mermaidOf(graph);
      expect(diagram.length).toBeLessThan(1000);
      expect([...nodeLines(diagram).values()][0]).toContain("too long to draw");
    });

    it("draws the diagrams of a report first come first, and leaves out those past the report's room", () => {
      const big = chain(MERMAID_LIMITS.nodes);
      for (const node of big.nodes) node.op = `${node.op}_${"x".repeat(60)}`;
      const size = mermaidOf(big).length;
      expect(size).toBeLessThanOrEqual(MERMAID_LIMITS.text);
      const fits = Math.floor(MERMAID_LIMITS.report / size);
      const drifted = FAILING_REPORT.flows.find((flow) => flow.status === "drift")!;
      const flows = Array.from({ length: fits + 2 }, (_, i) => ({ ...drifted, flowFile: `flows/f${i}.py`, jobChanges: TRAIN_JOB_CHANGES, jobGraph: big }));
      const up = { ...flows[0]!, status: "up-to-date" as const };
      const view = checkView({ ...FAILING_REPORT, flows: [up, ...flows, { ...flows[0]!, jobChanges: [] }] });
      expect(view.diagrams.map((d) => (d.mermaid ? "drawn" : d.leftOut ? "left out" : "none"))).toEqual(["none", ...Array(fits).fill("drawn"), "left out", "left out", "none"]);
    });
  });
});
