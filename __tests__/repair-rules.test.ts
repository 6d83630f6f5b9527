/** Where `fix: pull-request` may push (src/core/repair.ts): the events, the ref and the branch name. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repairBranch, repairBranchProblem, repairCheckoutRefusal, repairEventRefusal, repairRefRefusal, repairSettled } from "../src/core/repair.js";

describe("the events a repair may be pushed from", () => {
  it.each(["schedule", "workflow_dispatch", "push"])("allows %s", (event) => {
    expect(repairEventRefusal(event)).toBeNull();
  });

  it.each(["pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "issue_comment", "workflow_run", "merge_group", "repository_dispatch", ""])(
    "refuses %j, naming it and the events that are allowed",
    (event) => {
      const refusal = repairEventRefusal(event);
      expect(refusal).toContain("fix: pull-request runs only on schedule, workflow_dispatch or a push to the default branch");
      expect(refusal).toContain(`this run is a ${event || "unknown"} event`);
      expect(refusal).toContain("Nothing was regenerated or pushed");
    },
  );
});

describe("the ref a repair may be made of", () => {
  it("allows the default branch only", () => {
    expect(repairRefRefusal("refs/heads/main", "main")).toBeNull();
    expect(repairRefRefusal("refs/heads/trunk", "trunk")).toBeNull();
    expect(repairRefRefusal("refs/heads/main", "trunk")).toContain("(trunk), and this run checked out refs/heads/main");
    expect(repairRefRefusal("refs/tags/v1", "main")).toContain("checked out refs/tags/v1");
    expect(repairRefRefusal("refs/heads/main-old", "main")).not.toBeNull();
    expect(repairRefRefusal("", "main")).toContain("checked out an unknown ref");
  });
});

describe("the repair branch", () => {
  it("is named for the tracking id", () => {
    expect(repairBranch("default")).toBe("mfdag/regenerate-default");
    expect(repairBranch("nightly_ml.v2")).toBe("mfdag/regenerate-nightly_ml.v2");
  });

  it.each(["a..b", "..", "x.", "ml.lock"])("refuses the comment-id %j, which git cannot name a branch with", (id) => {
    expect(repairBranchProblem(id)).toContain(`Input 'comment-id': with fix: pull-request it names the branch mfdag/regenerate-${id}, which git does not allow`);
  });

  it.each(["default", "nightly_ml.v2", "a.b.c", "-x-", "lock"])("accepts the comment-id %j", (id) => {
    expect(repairBranchProblem(id)).toBeNull();
  });

  it("agrees with git check-ref-format on every comment-id the input allows, and on ones it does not", () => {
    // Every id 'comment-id' accepts is 1-64 of [A-Za-z0-9_.-]: these cover the dots, dashes and suffixes git cares about.
    const ids = ["default", "a..b", "..", ".", "x.", ".x", "ml.lock", "lock", "a.lock.b", "-x-", "-", "_", "a.b.c", "x...y", "v1.2", "ml.lock.", "a-.lock"];
    for (const id of ids) {
      const git = spawnSync("git", ["check-ref-format", `refs/heads/${repairBranch(id)}`]);
      expect({ id, allowed: repairBranchProblem(id) === null }).toEqual({ id, allowed: git.status === 0 });
    }
  });
});

describe("when a repair is done with", () => {
  it("only with no drift, no error and nothing uncompared", () => {
    expect(repairSettled({ drift: 0, errors: 0, unchecked: 0 })).toBe(true);
    expect(repairSettled({ drift: 1, errors: 0, unchecked: 0 })).toBe(false);
    expect(repairSettled({ drift: 0, errors: 1, unchecked: 0 })).toBe(false);
    expect(repairSettled({ drift: 0, errors: 0, unchecked: 1 })).toBe(false);
  });
});

describe("the checkout a repair may be built on", () => {
  const main = "a".repeat(40);
  const release = "b".repeat(40);
  it("allows the run's own commit, or the default branch's head on the remote", () => {
    expect(repairCheckoutRefusal({ head: main, eventSha: main, remoteHead: null }, "main")).toBeNull();
    expect(repairCheckoutRefusal({ head: main, eventSha: "c".repeat(40), remoteHead: main }, "main")).toBeNull();
    expect(repairCheckoutRefusal({ head: main, eventSha: null, remoteHead: main }, "main")).toBeNull();
  });
  it("refuses any other commit, naming the three commits and what to change", () => {
    const refusal = repairCheckoutRefusal({ head: release, eventSha: main, remoteHead: main }, "main");
    expect(refusal).toContain(`${release.slice(0, 12)} is neither this run's commit (${main.slice(0, 12)}) nor the head of main on origin (${main.slice(0, 12)})`);
    expect(refusal).toContain("check out main (actions/checkout without ref:)");
    expect(repairCheckoutRefusal({ head: release, eventSha: null, remoteHead: null }, "main")).toContain("is neither this run's commit nor the head of main on origin,");
  });
});
