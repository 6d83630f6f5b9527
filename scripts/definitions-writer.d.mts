/** A job model in the shape of the corpus' expected files (src/core/job-model.ts, plus any extract.py diagnostics, which are ignored). */
export type WriterModel = Record<string, unknown>;

export interface DefinitionsSpec {
  /** The old spec: a decorator-free linear flow (`steps`, default start → end), written as metaflow-dagster 0.3.7 writes it. */
  flow?: string;
  job?: string;
  /** The absolute flow path on the generating machine (the header's `Source`, `FLOW_FILE`). */
  source?: string;
  /** The Config class lines (class line first), or `null` for none; with `model`, replaces the model's class when given. */
  configClass?: string[] | null;
  steps?: string[];
  datastoreRoot?: string;
  /** Write this model instead (the expected-file shape). */
  model?: WriterModel;
  /** The metaflow-dagster version whose constant and helper names to imitate: `0.3.7` or `main` (default: `main` for a model without `step_decorator_specs`, else `0.3.7`). */
  generator?: string;
  /** The constant and helper names to write instead of `generator`'s (another version's, from a recorded model's `template_constants` / `template_helpers`). */
  names?: { constants: string[]; helpers: string[] };
}
export const GENERATORS: Record<"0.3.7" | "main", { constants: string[]; helpers: string[] }>;
export function renderDefinitions(spec: DefinitionsSpec & ({ model: WriterModel } | { flow: string; source: string; configClass: string[] | null })): string;
