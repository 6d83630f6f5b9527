/**
 * Lints on what `dagster create` generates: things that are legal Metaflow but surprise people in
 * the Dagster launchpad. Each lint is a small unit with an id and a pure `check`.
 */
import type { CompiledConfig, Finding } from "../types.js";

export interface Lint {
  id: string;
  description: string;
  check(compiled: CompiledConfig): Finding[];
}

function finding(lint: string, message: string, file: string, line: number | null, parameter: string | null): Finding {
  return { lint, message, file, line, parameter };
}

export const droppedParameter: Lint = {
  id: "dropped-parameter",
  description: "A Parameter that metaflow-dagster silently leaves out of the Config class.",
  check: (compiled) =>
    compiled.parameters
      .filter((p) => p.dropped)
      .map((p) =>
        finding(
          "dropped-parameter",
          `Parameter '${p.name}' (attribute \`${p.attribute}\`) never reaches Dagster: ${p.dropped}. Rename the attribute.`,
          p.file,
          p.line,
          p.name,
        ),
      ),
};

// The declared type= only matters to Metaflow's CLI; Dagster gets type(default).__name__.
const SIMPLE_TYPES = new Set(["int", "float", "str", "bool"]);

export const declaredTypeMismatch: Lint = {
  id: "declared-type-mismatch",
  description: "A declared `type=` that differs from the annotation Dagster will show.",
  check: (compiled) =>
    compiled.parameters
      .filter((p) => !p.dropped && p.declaredType && SIMPLE_TYPES.has(p.declaredType) && p.annotation && p.annotation !== p.declaredType)
      .map((p) =>
        finding(
          "declared-type-mismatch",
          `Parameter '${p.name}' declares type=${p.declaredType} but its default ${p.value ?? "?"} makes Dagster show \`${p.name}: ${p.annotation}\`. Write the default as a ${p.declaredType}.`,
          p.file,
          p.line,
          p.name,
        ),
      ),
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const invalidPython: Lint = {
  id: "invalid-python",
  description: "A parameter whose generated field line is not valid Python.",
  check: (compiled) => {
    const findings: Finding[] = [];
    for (const p of compiled.parameters) {
      if (p.dropped) continue;
      if (!IDENTIFIER.test(p.name)) {
        findings.push(
          finding("invalid-python", `Parameter name '${p.name}' is not a Python identifier: the generated Config class will not import. Use underscores.`, p.file, p.line, p.name),
        );
      }
      if (p.help && /[\r\n]/.test(p.help)) {
        findings.push(
          finding("invalid-python", `The help of parameter '${p.name}' has a line break: the generated Config class will not import. Keep help on one line.`, p.file, p.line, p.name),
        );
      }
    }
    return findings;
  },
};

export const LINTS: readonly Lint[] = [droppedParameter, declaredTypeMismatch, invalidPython];

export function runLints(compiled: CompiledConfig, lints: readonly Lint[] = LINTS): Finding[] {
  return lints.flatMap((lint) => lint.check(compiled));
}
