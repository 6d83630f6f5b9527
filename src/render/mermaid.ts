/**
 * The job graph as a Mermaid flowchart, for the PR comment, the job summary, the audit issue and
 * `mfdag inspect`/`mfdag config --format mermaid`. GitHub renders a ```mermaid block as a diagram.
 *
 * Every name in the graph comes from a definitions file or a flow in a pull request, so nothing of
 * it reaches the diagram's syntax: node ids are generated (`n0`, `n1`, ...), and every label is a
 * quoted Mermaid string whose text is only letters, digits, spaces, a few inert punctuation marks
 * and Mermaid entity codes (`#quot;`, `#60;`: Mermaid decodes `#name;` and decimal `#NN;` after
 * parsing, so they cannot end the string). What that defends against, from Mermaid's flowchart
 * lexer (flow.jison) and its pre-parse passes (mermaidAPI encodeEntities, the directive and comment
 * scanners):
 * - `"` ends a string, and `"` followed by a backtick starts a Markdown string;
 * - `%%` starts a comment and `%%{...}%%` a directive, found anywhere in the text;
 * - a line containing `direction TB` (LR, RL, BT) is read whole as a direction statement;
 * - `style ...:...#...;` and `classDef ...:...#...;` lose their last `;`, which would spoil an entity;
 * - a line break ends the statement; `|` ends an edge label;
 * - the block must not be closable by the content (no backticks) and must hold no `<!--`.
 * A label is also cut to a bounded length, and past a bounded size (Mermaid refuses a diagram over
 * 50,000 characters or 500 edges, and a huge one would bury the comment) a short note is drawn instead.
 */
import type { JobGraph } from "../core/types.js";
import { plainText } from "./escape.js";

export const MERMAID_LIMITS = {
  /** Ops drawn; a bigger job gets a note instead of a diagram. */
  nodes: 150,
  /** Edges drawn (Mermaid's own default limit is 500). */
  edges: 300,
  /** Characters of one name in a label before it is cut with `…`. */
  label: 80,
  /** Characters of one diagram (Mermaid's default maximum is 50,000; a PR comment holds 65,536 in all). */
  text: 20_000,
  /** Characters of all the diagrams of one report, so they leave room in the comment for the changes. */
  report: 40_000,
} as const;

type Status = JobGraph["nodes"][number]["status"];

/** Node colours: GitHub's diff colours, readable in light and dark themes. */
const CLASS_DEFS: Record<Exclude<Status, "same">, string> = {
  added: "fill:#dafbe1,stroke:#1a7f37,stroke-width:2px,color:#0d1117",
  removed: "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5,color:#0d1117",
  changed: "fill:#fff8c5,stroke:#9a6700,stroke-width:2px,color:#0d1117",
};
const EDGE_COLORS: Record<Exclude<Status, "same" | "changed">, string> = { added: "#1a7f37", removed: "#cf222e" };
/** What a status says in the label itself, so the diagram reads the same without colours. */
const STATUS_WORDS: Record<Status, string> = { same: "", added: "added", removed: "removed", changed: "changed" };

/** ASCII that stands for itself in a quoted Mermaid string: everything else is an entity code. */
const PLAIN = /[A-Za-z0-9 _.,=+'/]/;
/** Words that Mermaid's pre-parse passes act on wherever they are on a line. */
const LINE_KEYWORDS = /direction|style|classDef/g;

/** Text as the inside of a quoted Mermaid string: one line, bounded, nothing Mermaid or Markdown reads as syntax. */
export function mermaidText(value: unknown, max: number = MERMAID_LIMITS.label): string {
  const chars = [...plainText(value, " ⏎ ")];
  const cut = chars.length > max ? [...chars.slice(0, max - 1), "…"] : chars;
  const escaped = cut
    .map((ch) => {
      if (PLAIN.test(ch)) return ch;
      if (ch === '"') return "#quot;";
      const code = ch.codePointAt(0)!;
      // Non-ASCII text (letters, ⏎, …) is shown as it is; ASCII punctuation and what plainText left
      // (a tab) become decimal entity codes.
      return code > 0x7f && code !== 0xa0 ? ch : `#${code};`;
    })
    .join("");
  // The first letter as an entity code keeps the word readable and out of reach of those passes.
  return escaped.replace(LINE_KEYWORDS, (word) => `#${word.charCodeAt(0)};${word.slice(1)}`);
}

/** An op's label: its name, the steps it runs when they are not just the one its name says, and its status. */
function nodeLabel(node: JobGraph["nodes"][number]): string {
  const lines = [mermaidText(node.op)];
  const ownStep = node.op.startsWith("op_") ? node.op.slice(3) : null;
  if (!(node.steps.length === 1 && node.steps[0] === ownStep) && node.steps.length > 0) {
    const shown = node.steps.slice(0, 8).map((step) => mermaidText(step, 40));
    lines.push(shown.join(" → ") + (node.steps.length > 8 ? ` → … #40;${node.steps.length} steps#41;` : ""));
  }
  if (node.status !== "same") lines.push(`#40;${STATUS_WORDS[node.status]}#41;`);
  return lines.join("<br/>");
}

/** An edge's label: how it feeds its op, when that is more than a plain input. */
function edgeLabel(edge: JobGraph["edges"][number]): string | null {
  if (edge.how === "map" || edge.how === "collect") return edge.how;
  if (edge.output !== null && edge.output !== "") return mermaidText(edge.output, 40);
  return null;
}

function note(text: string): string {
  return `flowchart TD\n  n0["${mermaidText(text, 200)}"]\n`;
}

/**
 * The flowchart of a job graph, top to bottom: ops as boxes (added, removed and changed ones
 * coloured and labelled, removed ones dashed), op inputs as arrows (removed ones dotted, labelled
 * `map`, `collect` or with the named output they take). A graph past MERMAID_LIMITS gets a note.
 */
export function mermaidOf(graph: JobGraph): string {
  if (graph.nodes.length > MERMAID_LIMITS.nodes || graph.edges.length > MERMAID_LIMITS.edges) {
    return note(`This job has ${graph.nodes.length} ops and ${graph.edges.length} edges: too many to draw (the limit is ${MERMAID_LIMITS.nodes} ops and ${MERMAID_LIMITS.edges} edges).`);
  }
  const ids = new Map<string, string>();
  const lines = ["flowchart TD"];
  const classes: Record<Exclude<Status, "same">, string[]> = { added: [], removed: [], changed: [] };
  const declare = (op: string, label: string, status: Status) => {
    const id = `n${ids.size}`;
    ids.set(op, id);
    lines.push(`  ${id}["${label}"]`);
    if (status !== "same") classes[status].push(id);
    return id;
  };
  for (const node of graph.nodes) if (!ids.has(node.op)) declare(node.op, nodeLabel(node), node.status);
  const edgeStyles: Record<Exclude<Status, "same" | "changed">, number[]> = { added: [], removed: [] };
  graph.edges.forEach((edge, index) => {
    // An edge can name an op the graph does not list (a broken or hostile file): draw it plainly.
    const from = ids.get(edge.from) ?? declare(edge.from, mermaidText(edge.from), "same");
    const to = ids.get(edge.to) ?? declare(edge.to, mermaidText(edge.to), "same");
    const label = edgeLabel(edge);
    const arrow = edge.status === "removed" ? "-.->" : "-->";
    lines.push(`  ${from} ${arrow}${label === null ? "" : `|"${label}"|`} ${to}`);
    if (edge.status === "added" || edge.status === "removed") edgeStyles[edge.status].push(index);
  });
  for (const status of ["added", "removed", "changed"] as const) {
    if (classes[status].length === 0) continue;
    lines.push(`  classDef ${status} ${CLASS_DEFS[status]}`);
    lines.push(`  class ${classes[status].join(",")} ${status}`);
  }
  for (const status of ["added", "removed"] as const) {
    if (edgeStyles[status].length > 0) lines.push(`  linkStyle ${edgeStyles[status].join(",")} stroke:${EDGE_COLORS[status]},stroke-width:2px`);
  }
  const text = lines.join("\n") + "\n";
  return text.length > MERMAID_LIMITS.text ? note(`This job's diagram would be ${text.length} characters: too long to draw (the limit is ${MERMAID_LIMITS.text}).`) : text;
}

const STATUSES: readonly Status[] = ["same", "added", "removed", "changed"];

/**
 * Any value as a job graph: a report's field is drawn whatever it holds (a stored report is
 * validated, but drawing does not rely on it, as the template filters do not).
 */
export function asJobGraph(value: unknown): JobGraph {
  const fields = (item: unknown) => (item !== null && typeof item === "object" ? (item as Record<string, unknown>) : {});
  const list = (item: unknown) => (Array.isArray(item) ? item : []);
  const text = (item: unknown) => String(item ?? "");
  const status = (item: unknown) => (STATUSES.includes(item as Status) ? (item as Status) : "same");
  const graph = fields(value);
  return {
    nodes: list(graph.nodes).map((node) => {
      const n = fields(node);
      return { op: text(n.op), steps: list(n.steps).map(text), kind: text(n.kind), status: status(n.status) };
    }),
    edges: list(graph.edges).map((edge) => {
      const e = fields(edge);
      return { from: text(e.from), to: text(e.to), how: text(e.how), output: e.output === null || e.output === undefined ? null : text(e.output), status: status(e.status) };
    }),
  };
}
