/**
 * The GitHub Action: read the inputs, run the mode they choose (src/action/), set the result. With
 * src/action/ and cli.ts, the only place that touches @actions/*. The verdict is decided by the
 * check alone: failing to post a comment never changes it.
 */
import { auditMode } from "./action/audit.js";
import { checkMode } from "./action/check.js";
import { readActionContext, type ActionContext, type Mode } from "./action/context.js";
import { mergeMode } from "./action/merge.js";
import { publishMode } from "./action/publish.js";
import { setResult, setToolFailure, type ModeResult } from "./action/result.js";

export type { ActionReport } from "./action/result.js";

const MODES: Record<Mode, (action: ActionContext) => Promise<ModeResult>> = {
  check: checkMode,
  audit: auditMode,
  publish: publishMode,
  merge: mergeMode,
};

export async function run(): Promise<void> {
  try {
    const action = readActionContext();
    const result = await MODES[action.mode](action);
    await setResult(action, result);
  } catch (error) {
    await setToolFailure(error);
  }
}
