/**
 * Compares a committed Config class with the one `dagster create` would write now. Pure: parsed
 * classes (definitions.ts) in, field changes out; lines in, a unified diff out.
 */
import { createTwoFilesPatch, formatPatch } from "diff";
import type { ChangeKind, ConfigClass, ConfigField, FieldChange, FieldValue, Severity } from "./types.js";

const SEVERITY: Record<ChangeKind, Severity> = {
  added: "breaking",
  removed: "breaking",
  "type-changed": "breaking",
  "default-changed": "non-breaking",
  "help-changed": "non-breaking",
  reordered: "non-breaking",
};

/**
 * What each breaking kind of change means, in the one line code scanning shows for its rule
 * (`mfdag/<kind>`): only breaking changes become annotations.
 */
export const BREAKING_CHANGE_DESCRIPTIONS = {
  "type-changed": "A Parameter's type changed but the committed Dagster definitions were not regenerated.",
  added: "A Parameter is missing from the committed Dagster Config class.",
  removed: "The committed Dagster Config class offers a Parameter the flow no longer has.",
} as const satisfies Partial<Record<ChangeKind, string>>;

export function severityOf(kind: ChangeKind): Severity {
  return SEVERITY[kind];
}

function valueOf(field: ConfigField): FieldValue {
  return { type: field.type, default: field.default, help: field.help };
}

function change(kind: ChangeKind, parameter: string, committed: ConfigField | null, current: ConfigField | null): FieldChange {
  return {
    parameter,
    kind,
    severity: SEVERITY[kind],
    committed: committed ? valueOf(committed) : null,
    current: current ? valueOf(current) : null,
    declaredIn: null,
    flowLine: null,
    definitionsLine: null,
  };
}

/**
 * Field-level changes from `committed` to `current` (either may be absent: a flow without
 * parameters has no Config class). A type change is reported once, as `type-changed`, even though
 * the default usually changes with it; a help edit is reported on its own.
 */
export function compareFields(committed: ConfigClass | null, current: ConfigClass | null): FieldChange[] {
  const before = new Map((committed?.fields ?? []).map((field) => [field.name, field]));
  const after = new Map((current?.fields ?? []).map((field) => [field.name, field]));
  const changes: FieldChange[] = [];
  for (const [name, now] of after) {
    const then = before.get(name);
    if (!then) {
      changes.push(change("added", name, null, now));
      continue;
    }
    if (then.type !== now.type) changes.push(change("type-changed", name, then, now));
    else if (then.default !== now.default) changes.push(change("default-changed", name, then, now));
    if (then.help !== now.help) changes.push(change("help-changed", name, then, now));
  }
  for (const [name, then] of before) {
    if (!after.has(name)) changes.push(change("removed", name, then, null));
  }
  // Order matters to nobody at run time, but a regenerated file differs, so say why the diff moves lines.
  const kept = [...after.keys()].filter((name) => before.has(name));
  const keptBefore = [...before.keys()].filter((name) => after.has(name));
  if (changes.length === 0 && kept.join("\0") !== keptBefore.join("\0")) {
    for (const [i, name] of kept.entries()) {
      if (keptBefore[i] !== name) changes.push(change("reordered", name, before.get(name)!, after.get(name)!));
    }
  }
  return changes;
}

/**
 * The most added plus removed lines the line diff looks for. Myers' diff costs about
 * (edits x lines), and both blocks can come from a pull request (a committed block and the block
 * of a flow with thousands of parameters), so past this it stops and shows the whole block
 * replaced: still a correct patch, only not the shortest. A real Config class has far fewer lines.
 */
export const MAX_DIFF_EDITS = 2000;

/** A unified diff of two Config class blocks, `null` when they are equal. */
export function configDiff(
  path: string,
  committed: readonly string[] | null,
  current: readonly string[] | null,
  labels: [string, string] = ["committed", "dagster create now"],
): string | null {
  const before = committed && committed.length > 0 ? committed.join("\n") + "\n" : "";
  const after = current && current.length > 0 ? current.join("\n") + "\n" : "";
  if (before === after) return null;
  const patch =
    createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, labels[0], labels[1], { context: 3, maxEditLength: MAX_DIFF_EDITS }) ??
    wholeBlockPatch(path, committed ?? [], current ?? [], labels);
  // Drop the `====` banner line: the diff is shown inside a fence that already names the file.
  return patch.replace(/^=+\n/, "");
}

/** One hunk that removes every committed line and adds every current one, as jsdiff would format it. */
function wholeBlockPatch(path: string, committed: readonly string[], current: readonly string[], labels: [string, string]): string {
  return formatPatch({
    oldFileName: `a/${path}`,
    newFileName: `b/${path}`,
    oldHeader: labels[0],
    newHeader: labels[1],
    hunks: [
      {
        oldStart: 1,
        oldLines: committed.length,
        newStart: 1,
        newLines: current.length,
        lines: [...committed.map((line) => "-" + line), ...current.map((line) => "+" + line)],
      },
    ],
  });
}
