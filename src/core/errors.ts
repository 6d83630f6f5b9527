/**
 * Two kinds of failure: the user's (bad arguments, bad config, no Python: say what to change) and
 * ours (anything else: say how to report it). Edges map the first to exit code 2 with the message
 * alone, and the second to exit code 2 with a stack and a link to the issue tracker.
 */
import { ISSUES_URL } from "./project.js";

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

export function isConfigurationError(error: unknown): error is ConfigurationError {
  return error instanceof ConfigurationError;
}

export const REPORT_BUG_URL = ISSUES_URL;
