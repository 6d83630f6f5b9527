/**
 * Annotations as GitHub Actions workflow commands (`::error file=f.py,line=3,title=...::message`),
 * for `mfdag check --format github` in a `run:` step: the runner turns each line into an annotation,
 * as the action's own (src/action/result.ts, through @actions/core) are.
 *
 * Every field comes from the pull request (file names, parameter names, help texts), so each is
 * escaped the way the runner unescapes it (actions/toolkit `command.ts`): `%`, CR and LF in the
 * message; those and `:` and `,` in a property. A field then cannot end its line, and so cannot
 * start a command of its own, nor end its property early. Control characters are shown as visible
 * stand-ins (plainText), since the lines are also what a person reads on a terminal, and `##[`
 * is broken as everywhere else (the runner's legacy commands).
 */
import path from "node:path";
import { omittedWording, type Annotation, type OmittedAnnotations } from "../core/annotations.js";
import { plainText } from "./escape.js";

const ZWSP = "\u200B";

function visible(value: unknown): string {
  return plainText(value).replace(/##\[/g, `##${ZWSP}[`);
}

/** The message of a workflow command, as the runner reads it back. */
export function commandMessage(value: unknown): string {
  return visible(value).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** One property value of a workflow command, as the runner reads it back. */
export function commandProperty(value: unknown): string {
  return commandMessage(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** `::error file=...,line=...,title=...::message` (no line break). */
export function workflowCommand(level: Annotation["level"] | "notice", properties: Record<string, string | number>, message: string): string {
  const props = Object.entries(properties)
    .map(([key, value]) => `${key}=${commandProperty(value)}`)
    .join(",");
  return `::${level}${props ? ` ${props}` : ""}::${commandMessage(message)}`;
}

/**
 * The "+N more" command for annotations that did not fit in what GitHub shows of a step. The
 * action's wording points at the job summary, which a `run:` step does not write: this one points
 * at the full report instead.
 */
export function omittedCommand({ level, count, flows }: OmittedAnnotations): string {
  const { title, why, more } = omittedWording(level, count, flows);
  const message = `${why} ${more}: mfdag check lists them all (--format text, or --format sarif for code scanning).`;
  return workflowCommand(level, { title }, message) + "\n";
}

/**
 * One workflow command per annotation, its file given relative to `base` (the runner resolves
 * `file=` from the workspace), one per line.
 */
export function annotationCommands(annotations: readonly Annotation[], root: string, base: string): string {
  return annotations
    .map((a) => {
      const relative = path.relative(base, path.resolve(root, a.file)).split(path.sep).join("/");
      const file = relative.startsWith("../") || path.isAbsolute(relative) ? path.resolve(root, a.file) : relative;
      // The properties in the order @actions/core writes them for the action's annotations.
      return workflowCommand(a.level, { title: a.title, file, ...(a.line ? { line: a.line } : {}) }, a.message) + "\n";
    })
    .join("");
}
