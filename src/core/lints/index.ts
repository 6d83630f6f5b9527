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

/**
 * What metaflow-dagster itself gets wrong in the job, found by the static compiler while it
 * predicts the job (python/mfstatic/job.py writes these ids, with the flow's line).
 */
export const JOB_LINTS: readonly FindingKind[] = [
  { id: "trigger-sensor-invalid-python", description: "metaflow-dagster writes a @trigger's event sensor mis-indented: the definitions file is not valid Python." },
  { id: "trigger-event-dropped", description: "A @trigger event whose name is computed at deploy time gets no sensor." },
  { id: "schedule-daily-wins", description: "@schedule(weekly=True) or (hourly=True) without daily=False gets the daily cron." },
  { id: "compound-op-drops-decorators", description: "A step inside a compound foreach op loses its @timeout and Dagster RetryPolicy." },
  { id: "switch-merge-not-recognised", description: "metaflow-dagster does not recognise this switch's merge and wires only one branch." },
  { id: "switch-duplicate-target", description: "Two cases of a switch go to one step: the op gets a duplicated output." },
  { id: "switch-self-loop-drops-steps", description: "A switch that loops to itself makes metaflow-dagster leave out the steps after it." },
  { id: "split-in-foreach", description: "A split inside a foreach body is wired without .map: the job fails in Dagster." },
  { id: "split-op-misindented", description: "metaflow-dagster 0.3.7 writes this split's op mis-indented: the definitions file is not valid Python." },
  { id: "job-name-not-identifier", description: "The job name (from --name or @project) is not a Python identifier: the definitions file is not valid Python." },
];

/** Every kind of Finding a check reports. */
export const FINDING_KINDS: readonly FindingKind[] = [...LINTS, ...JOB_LINTS, compileError];

export function runLints(compiled: CompiledConfig, lints: readonly Lint[] = LINTS): Finding[] {
  return lints.flatMap((lint) => lint.check(compiled));
}
