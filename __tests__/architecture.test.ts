/**
 * The shape of src/: the import graph (read from the sources, type-only imports included) has no
 * cycle, and the engine under src/core reaches files, processes and the Actions runtime only
 * through its ports.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = path.resolve(__dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every module specifier of `import ... from "x"`, `export ... from "x"`, `import "x"` and `import("x")`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const statements = /^\s*(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;
  for (const match of text.matchAll(statements)) found.push((match[1] ?? match[2] ?? match[3])!);
  return found;
}

/** The repo-relative file a relative specifier names (`./x.js` is the source `./x.ts`). */
function resolveLocal(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".")) return null;
  const target = path.resolve(path.dirname(from), specifier).replace(/\.js$/, ".ts");
  return path.relative(SRC, target).split(path.sep).join("/");
}

interface Module {
  file: string;
  local: string[];
  external: string[];
}

function importGraph(): Map<string, Module> {
  const graph = new Map<string, Module>();
  for (const full of sourceFiles(SRC)) {
    const file = path.relative(SRC, full).split(path.sep).join("/");
    const local: string[] = [];
    const external: string[] = [];
    for (const specifier of specifiers(readFileSync(full, "utf8"))) {
      const target = resolveLocal(full, specifier);
      if (target) local.push(target);
      else external.push(specifier);
    }
    graph.set(file, { file, local, external });
  }
  return graph;
}

/** Every cycle as a path `a → b → ... → a`, found by depth-first search (one per back edge). */
function cycles(graph: Map<string, Module>): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file)?.local ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next].join(" → "));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

const FORBIDDEN_IN_CORE = [/^@actions\//, /^execa$/, /^(node:)?fs(\/promises)?$/, /^(node:)?child_process$/];

describe("the import graph of src/", () => {
  const graph = importGraph();

  it("is read from the sources: every local import names a file that exists", () => {
    expect(graph.size).toBeGreaterThan(20);
    expect(graph.get("core/check.ts")?.local).toContain("core/ports.ts");
    const missing = [...graph.values()].flatMap((module) => module.local.filter((target) => !graph.has(target)).map((target) => `${module.file} → ${target}`));
    expect(missing).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("finds a cycle when there is one (the check above can fail)", () => {
    const withCycle = new Map(graph);
    withCycle.set("core/types.ts", { file: "core/types.ts", local: [...graph.get("core/types.ts")!.local, "core/check.ts"], external: [] });
    expect(cycles(withCycle).length).toBeGreaterThan(0);
  });

  it("keeps src/core free of @actions/*, execa, the file system and child processes", () => {
    const offending = [...graph.values()]
      .filter((module) => module.file.startsWith("core/"))
      .flatMap((module) => module.external.filter((name) => FORBIDDEN_IN_CORE.some((pattern) => pattern.test(name))).map((name) => `${module.file} imports ${name}`));
    expect(offending).toEqual([]);
  });

  it("keeps src/core from importing the edges (github, io, render, main, cli)", () => {
    const offending = [...graph.values()]
      .filter((module) => module.file.startsWith("core/"))
      .flatMap((module) => module.local.filter((target) => !target.startsWith("core/")).map((target) => `${module.file} imports ${target}`));
    expect(offending).toEqual([]);
  });

  it("reads multi-line, type-only, re-export and side-effect imports", () => {
    const text = ['import {\n  a,\n  b,\n} from "./a.js";', 'import type { C } from "./c.js";', 'export { d } from "./d.js";', 'import "./e.js";', 'const f = await import("./f.js");'].join("\n");
    expect(specifiers(text)).toEqual(["./a.js", "./c.js", "./d.js", "./e.js", "./f.js"]);
  });
});

describe("one vocabulary across the Python/TypeScript line", () => {
  it("the outcome kinds the TypeScript side validates are exactly python/mfstatic/outcomes.py's OutcomeKind", async () => {
    const { OUTCOME_KINDS } = await import("../src/core/static-protocol.js");
    const python = readFileSync(path.join(import.meta.dirname, "../python/mfstatic/outcomes.py"), "utf8");
    const enumBody = python.split("class OutcomeKind")[1]!.split("\nclass ")[0]!;
    const values = [...enumBody.matchAll(/^ {4}[A-Z_]+ = "([a-z-]+)"$/gm)].map((match) => match[1]);
    expect(values.length).toBeGreaterThan(5);
    expect([...OUTCOME_KINDS]).toEqual(values);
  });
});
