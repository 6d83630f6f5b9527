#!/usr/bin/env node
// `npm run golden`: rewrites __tests__/golden/<template>.txt from the templates (and removes the
// goldens of templates that are gone) by running __tests__/golden.test.ts in update mode. Review
// the diff (`git diff __tests__/golden`) and commit it with the template change.
import { spawnSync } from "node:child_process";
import path from "node:path";

const project = path.resolve(import.meta.dirname, "..");
const vitest = path.join(project, "node_modules/vitest/vitest.mjs");
const run = spawnSync(process.execPath, [vitest, "run", "--project", "unit", "__tests__/golden.test.ts"], {
  cwd: project,
  stdio: "inherit",
  env: { ...process.env, MFDAG_UPDATE_GOLDEN: "1" },
});
process.exit(run.status ?? 1);
