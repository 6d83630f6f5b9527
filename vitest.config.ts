import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

/**
 * Two layers, as vitest projects (`npm run test:unit`, `npm run test:e2e`; `npm test` runs both):
 * - `unit`: the pure core, templates, parsers and the static compiler's unittest suite (one Python
 *   process); no build needed. It runs first.
 * - `e2e`: the built dist/*.js as child processes, the fake GitHub and artifact servers, real
 *   Python processes per test. These files mostly wait (on processes, servers, deadlines), so
 *   several run at once. `e2e-alone` holds the end-to-end files whose verdicts depend on CPU time
 *   (the parsers' linear-growth attacks, the static compiler's per-flow budget): they run last,
 *   one at a time, so no neighbour skews them.
 * Files are classified by name here (no test file moves); a file not listed in UNIT or ALONE is
 * end-to-end, the safe default.
 */
export const UNIT = [
  "__tests__/annotation-budget.test.ts",
  "__tests__/architecture.test.ts",
  "__tests__/check-engine.test.ts",
  "__tests__/cli-text.test.ts",
  "__tests__/compare.test.ts",
  "__tests__/contract-gate.test.ts",
  "__tests__/definitions.test.ts",
  "__tests__/fit-markdown.test.ts",
  "__tests__/generators.test.ts",
  "__tests__/golden.test.ts",
  "__tests__/import-roots-config.test.ts",
  "__tests__/injection.test.ts",
  "__tests__/job-compare.test.ts",
  "__tests__/mermaid.test.ts",
  "__tests__/job-reader.test.ts",
  "__tests__/pairing.test.ts",
  "__tests__/python-unit.test.ts",
  "__tests__/render.test.ts",
  "__tests__/sarif-rules.test.ts",
  "__tests__/shard.test.ts",
  "__tests__/tracking-issue-text.test.ts",
];

/** End-to-end files whose assertions compare CPU timings, or that fill the static compiler's 10 s budget for one flow. */
export const ALONE = ["__tests__/attacks-parsers.test.ts", "__tests__/attacks-static.test.ts"];

export default defineConfig({
  define: { __MFDAG_VERSION__: JSON.stringify(JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")).version) },
  test: {
    // End-to-end tests spawn Python and the built CLI; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files at once (vitest's default on 2 cores is one): the e2e files are mostly waiting.
    maxWorkers: 4,
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: "unit", include: UNIT, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "e2e", include: ["__tests__/**/*.test.ts"], exclude: [...UNIT, ...ALONE], sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: "e2e-alone", include: ALONE, sequence: { groupOrder: 2 }, poolOptions: { forks: { singleFork: true } } } },
    ],
  },
});
