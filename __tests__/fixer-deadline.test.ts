/**
 * Regenerating under a deadline (the repair's share of the step's timeout-minutes, src/io/fixer.ts):
 * a `dagster create` still running at the deadline is stopped, no other one starts after it, and
 * both files say "time budget" rather than blaming their flows. The interpreter is a stand-in
 * that logs each `dagster create` it is asked for and then sleeps far past the deadline.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { FixTarget } from "../src/core/fix.js";
import { permitMetaflow } from "../src/core/settings.js";
import { regenerateTargets, TIME_BUDGET } from "../src/io/fixer.js";
import { gitRepo, tempDir } from "./helpers/repo.js";

function target(name: string): FixTarget {
  return { flowFile: `flows/${name}_flow.py`, definitionsFile: `dagster/${name}_dagster.py`, dagsterCreate: { cwd: ".", name: null, args: [], topArgs: [] }, why: "type-changed epochs" };
}

describe("regenerating under a deadline", () => {
  it("stops the running dagster create at the deadline, starts no other, and names the time budget for both files", async () => {
    const root = gitRepo({ "flows/a_flow.py": "# a\n", "flows/b_flow.py": "# b\n", "dagster/a_dagster.py": "# old a\n", "dagster/b_dagster.py": "# old b\n" });
    const log = path.join(tempDir(), "creates.log");
    const python = path.join(tempDir(), "python-slow");
    writeFileSync(python, `#!/bin/sh\ncase "$*" in *"dagster create"*) echo "$*" >> '${log}'; sleep 60;; esac\nexit 0\n`, { mode: 0o755 });

    const outcomes = await regenerateTargets([target("a"), target("b")], { root, python, timeoutMs: 120_000, permit: permitMetaflow({ metaflowForbidden: null }, "test"), deadline: Date.now() + 2000 });

    expect(outcomes.map((outcome) => [outcome.target.definitionsFile, outcome.text, outcome.error])).toEqual([
      ["dagster/a_dagster.py", null, TIME_BUDGET],
      ["dagster/b_dagster.py", null, TIME_BUDGET],
    ]);
    expect(TIME_BUDGET).toContain("not regenerated (time budget)");
    const started = readFileSync(log, "utf8").trim().split("\n");
    expect(started).toHaveLength(1);
    expect(started[0]).toContain("a_flow.py");
  });

  it("regenerates every file when there is time", async () => {
    const root = gitRepo({ "flows/a_flow.py": "# a\n", "dagster/a_dagster.py": "# old a\n" });
    const python = path.join(tempDir(), "python-quick");
    // `python ... dagster create OUT`: writes OUT, the argument after `create`.
    writeFileSync(python, `#!/bin/sh\nnext=\nfor arg; do [ "$next" ] && { echo "# new" > "$arg"; exit 0; }; [ "$arg" = create ] && next=1; done\nexit 0\n`, { mode: 0o755 });
    const outcomes = await regenerateTargets([target("a")], { root, python, timeoutMs: 60_000, permit: permitMetaflow({ metaflowForbidden: null }, "test"), deadline: Date.now() + 60_000 });
    expect(outcomes.map((outcome) => [outcome.text, outcome.error])).toEqual([["# new\n", null]]);
  });
});
