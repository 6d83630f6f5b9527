import { defineConfig } from "vitest/config";

/**
 * Two projects. `unit`: the pure core, templates, parsers and the static compiler's own unittest
 * suite, in-process or one Python process; no build needed (`npm run test:unit`). `e2e`: the built
 * dist/*.js as child processes, the fake GitHub and artifact servers, real Python processes per
 * test. Files are classified by name here (no test file moves); a new test file that is not listed
 * in UNIT is end-to-end, the safe default.
 */
export const UNIT = [
  "__tests__/check-engine.test.ts",
  "__tests__/compare.test.ts",
  "__tests__/definitions.test.ts",
  "__tests__/golden.test.ts",
  "__tests__/injection.test.ts",
  "__tests__/pairing.test.ts",
  "__tests__/python-unit.test.ts",
  "__tests__/render.test.ts",
  "__tests__/shard.test.ts",
];

export default defineConfig({
  test: {
    // End-to-end tests spawn Python and the built CLI; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      { extends: true, test: { name: "e2e", include: ["__tests__/**/*.test.ts"], exclude: UNIT } },
    ],
  },
});
