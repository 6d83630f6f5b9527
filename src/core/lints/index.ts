/**
 * Lints on what `dagster create` generates: things that are legal Metaflow but surprise people in
 * the Dagster launchpad. Each lint is a small unit with an id, a pure `check`, and the one-line
 * description code scanning shows for its rule (`mfdag/<id>`).
 */
import type { CompiledConfig, Finding } from "../types.js";

/** A kind of Finding: its `lint` id, and what it means in one line (the SARIF rule's description). */
export interface FindingKind {
  id: string;
  description: string;
}

export interface Lint extends FindingKind {
  check(compiled: CompiledConfig): Finding[];
}

function finding(lint: string, message: string, file: string, line: number | null, parameter: string | null): Finding {
  return { lint, message, file, line, parameter };
}

export const droppedParameter: Lint = {
  id: "dropped-parameter",
  description: "metaflow-dagster silently leaves this Parameter out of the Config class.",
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
  description: "The declared type= differs from the type Dagster shows.",
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
  description: "The generated definitions file would not be valid Python.",
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

/**
 * Not a lint of compiled output: the finding check() adds itself when a flow without a definitions
 * file does not compile (and the rule of an annotation for any flow it could not check).
 */
export const compileError: FindingKind = {
  id: "compile-error",
  description: "The flow could not be compiled, so its definitions cannot be checked.",
};
export const COMPILE_ERROR_LINT = compileError.id;

/** Every kind of Finding a check reports. */
export const FINDING_KINDS: readonly FindingKind[] = [...LINTS, compileError];

export function runLints(compiled: CompiledConfig, lints: readonly Lint[] = LINTS): Finding[] {
  return lints.flatMap((lint) => lint.check(compiled));
}
