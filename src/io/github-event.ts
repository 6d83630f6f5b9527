/**
 * The trust of a run started by GitHub Actions, for the CLI in a `run:` step: the same rules as
 * the action (core/settings.ts), read from the runner's environment. Outside Actions a run is the
 * user's own and trusted, unless `--untrusted` says otherwise.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { TRUSTED, trustOfEvent, type Trust } from "../core/settings.js";

/** The runner writes the event payload; a real one is far below this. */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;

function readEventPayload(file: string | undefined): unknown {
  if (!file) return null;
  try {
    const fd = openSync(file, "r");
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_EVENT_BYTES) return null;
      const buffer = Buffer.alloc(size);
      readSync(fd, buffer, 0, size, 0);
      return JSON.parse(buffer.toString("utf8"));
    } finally {
      closeSync(fd);
    }
  } catch {
    // Without the payload, trustOfEvent takes the events it cannot classify by name as untrusted.
    return null;
  }
}

export function trustFromEnvironment(env: NodeJS.ProcessEnv = process.env): Trust {
  if (env.GITHUB_ACTIONS !== "true" || !env.GITHUB_EVENT_NAME) return TRUSTED;
  return trustOfEvent(env.GITHUB_EVENT_NAME, readEventPayload(env.GITHUB_EVENT_PATH));
}
