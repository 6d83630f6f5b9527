/**
 * The contract gate's verdicts (policy.ts), on contract diffs made the real way: definitions files
 * written by the fixture writer at a pull request's base and head, compared by diffContracts.
 */
import { describe, expect, it } from "vitest";
import { renderDefinitions } from "../scripts/definitions-writer.mjs";
import { diffContracts, NO_LONGER_DEFINITIONS } from "../src/core/contract.js";
import { contractGateFails, judgeContract, violatesPolicy, type ContractApproval } from "../src/core/policy.js";
import { createRenderer } from "../src/render/index.js";
import { checkView } from "../src/render/views.js";
import type { CheckReport, ContractGate, FlowResult } from "../src/core/types.js";

const SOURCE = "/home/alice/shop/flows/train_flow.py";
const FILE = "dagster/train_dagster.py";

interface Version {
  fields?: string[];
  steps?: string[];
  job?: string;
}

function definitions({ fields = ["epochs: int = 10  # Training epochs", "model: str = 'two-tower'  # Model architecture"], steps = ["start", "train", "end"], job }: Version): string {
  return renderDefinitions({ flow: "TrainFlow", source: SOURCE, steps, ...(job ? { job } : {}), configClass: ["class TrainFlowConfig(Config):", ...fields.map((field) => `    ${field}`)] });
}

/** The contract diff of a pull request that takes the file from `base` to `head` (`null`: absent on that side). */
function contractOf(base: Version | null, head: Version | null) {
  return diffContracts([{ path: FILE, base: base && definitions(base), head: head && definitions(head) }]);
}

const NO_LABELS: ContractApproval = { approveLabel: "mfdag-contract-approved", labels: [], labeled: null, author: "alice" };

const typeChange = () => contractOf({}, { fields: ["epochs: float = 10.5  # Training epochs", "model: str = 'two-tower'  # Model architecture"] });
const addedField = () => contractOf({}, { fields: ["epochs: int = 10  # Training epochs", "model: str = 'two-tower'  # Model architecture", "seed: int = 1  # Random seed"] });
const addedStep = () => contractOf({}, { steps: ["start", "prepare", "train", "end"] });
const defaultChange = () => contractOf({}, { fields: ["epochs: int = 20  # Training epochs", "model: str = 'two-tower'  # Model architecture"] });

describe("fail-on-contract", () => {
  it("type-change fails a regenerated field type change, naming the file and the field", () => {
    const gate = judgeContract(typeChange(), "type-change", NO_LABELS);
    expect(gate).toMatchObject({ outcome: "violated", failOnContract: "type-change", files: [{ definitionsFile: FILE, flow: "TrainFlow", changes: ["type-changed epochs"] }] });
    expect(contractGateFails(gate)).toBe(true);
  });

  it("type-change fails a changed job graph, and so does breaking", () => {
    for (const policy of ["type-change", "breaking"] as const) {
      const gate = judgeContract(addedStep(), policy, NO_LABELS);
      expect(gate?.outcome).toBe("violated");
      expect(gate?.files[0]!.changes.some((change) => change.startsWith("step-added"))).toBe(true);
    }
  });

  it("breaking fails an added field, which type-change lets through", () => {
    expect(judgeContract(addedField(), "type-change", NO_LABELS)?.outcome).toBe("unchanged");
    expect(judgeContract(addedField(), "breaking", NO_LABELS)).toMatchObject({ outcome: "violated", files: [{ changes: ["added seed"] }] });
  });

  it("breaking fails a renamed job, which type-change lets through", () => {
    const renamed = contractOf({}, { job: "nightly_train" });
    expect(renamed[0]!.jobChange).toEqual({ committed: "TrainFlow", current: "nightly_train" });
    expect(judgeContract(renamed, "type-change", NO_LABELS)?.outcome).toBe("unchanged");
    expect(judgeContract(renamed, "breaking", NO_LABELS)?.files[0]!.changes).toContain("job renamed");
  });

  it("lets a non-breaking change (a default) through under either policy, though the contract diff shows it", () => {
    expect(defaultChange()).toHaveLength(1);
    expect(judgeContract(defaultChange(), "type-change", NO_LABELS)?.outcome).toBe("unchanged");
    expect(judgeContract(defaultChange(), "breaking", NO_LABELS)?.outcome).toBe("unchanged");
  });

  it("lets a new definitions file through and fails a removed one", () => {
    expect(judgeContract(contractOf(null, {}), "breaking", NO_LABELS)?.outcome).toBe("unchanged");
    for (const policy of ["type-change", "breaking"] as const) {
      expect(judgeContract(contractOf({}, null), policy, NO_LABELS)).toMatchObject({ outcome: "violated", files: [{ changes: ["definitions file removed"] }] });
    }
  });

  it("fails a definitions file whose head copy lost its header, under either policy, saying it is no longer one", () => {
    const edited = `# edited\n${definitions({ fields: ["epochs: str = '10'  # Training epochs", "model: str = 'two-tower'  # Model architecture"] })}`;
    const contract = diffContracts([{ path: FILE, base: definitions({}), head: edited }]);
    expect(contract).toMatchObject([{ definitionsFile: FILE, flow: "TrainFlow", status: "removed", unchecked: [{ part: "file", reason: NO_LONGER_DEFINITIONS }] }]);
    for (const policy of ["type-change", "breaking"] as const) {
      expect(judgeContract(contract, policy, NO_LABELS)).toMatchObject({ outcome: "violated", files: [{ definitionsFile: FILE, changes: [NO_LONGER_DEFINITIONS] }] });
    }
    expect(NO_LONGER_DEFINITIONS).toMatch(/^no longer a definitions file: /);
    // Neither side a definitions file: nothing to compare, as before.
    expect(diffContracts([{ path: FILE, base: "print('base')\n", head: edited }])).toEqual([]);
  });

  it("fails a file whose job could not be compared, saying why, under either policy", () => {
    // The reader gives a model for any text (a reader failure is a bug), so the diff is written out here.
    const [changed] = defaultChange();
    const unreadable = { ...changed!, unchecked: [{ part: "job", step: null, reason: "the head version could not be read as a job (the file could not be read: too deep)" }] };
    for (const policy of ["type-change", "breaking"] as const) {
      expect(judgeContract([unreadable], policy, NO_LABELS)).toMatchObject({ outcome: "violated", files: [{ changes: ["not compared: the head version could not be read as a job (the file could not be read: too deep)"] }] });
    }
  });

  it("is off under never, whatever the pull request changes", () => {
    expect(judgeContract(typeChange(), "never", NO_LABELS)).toBeNull();
    expect(judgeContract(null, "never", NO_LABELS)).toBeNull();
    expect(contractGateFails(null)).toBe(false);
  });

  it("fails when base and head could not be compared, and no label accepts that", () => {
    const gate = judgeContract(null, "type-change", { ...NO_LABELS, labels: ["mfdag-contract-approved"] }, "mfdag could not read the pull request's files (HTTP 502)");
    expect(gate).toMatchObject({ outcome: "unknown", problem: "mfdag could not read the pull request's files (HTTP 502)", files: [] });
    expect(contractGateFails(gate)).toBe(true);
  });
});

describe("approve-label", () => {
  it("accepts a violation when the pull request carries the label, in any case", () => {
    const gate = judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels: ["bug", "MFDAG-Contract-Approved"] });
    expect(gate).toMatchObject({ outcome: "accepted", approveLabel: "mfdag-contract-approved", acceptedBy: null, files: [{ changes: ["type-changed epochs"] }] });
    expect(contractGateFails(gate)).toBe(false);
  });

  it("names who added the label on the labeled event, and nobody for another label's event", () => {
    const labels = ["mfdag-contract-approved", "docs"];
    expect(judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels, labeled: { label: "mfdag-contract-approved", by: "carol" } })?.acceptedBy).toBe("carol");
    expect(judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels, labeled: { label: "docs", by: "mallory" } })?.acceptedBy).toBeNull();
  });

  it("says when the one who added the label is the pull request's author, whatever the login's case", () => {
    const gate = judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels: ["mfdag-contract-approved"], labeled: { label: "mfdag-contract-approved", by: "Alice" } });
    expect(gate).toMatchObject({ outcome: "accepted", acceptedBy: "Alice", acceptedByAuthor: true });
    const byReviewer = judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels: ["mfdag-contract-approved"], labeled: { label: "mfdag-contract-approved", by: "carol" } });
    expect(byReviewer?.acceptedByAuthor).toBe(false);
  });

  it("accepts nothing once the label is gone, or when approve-label is empty", () => {
    expect(judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels: ["docs"] })?.outcome).toBe("violated");
    const disabled = judgeContract(typeChange(), "type-change", { approveLabel: null, labels: ["mfdag-contract-approved"], labeled: null, author: "alice" });
    expect(disabled).toMatchObject({ outcome: "violated", approveLabel: null });
  });
});

describe("fail-on, on the same classification", () => {
  const flow = (changes: Pick<FlowResult, "changes" | "jobChange" | "jobChanges">): FlowResult =>
    ({ flowFile: "flows/f.py", flowClass: "F", definitionsFile: FILE, status: "drift", compiler: "static", error: null, configDiff: null, jobGraph: null, unchecked: [], regenerate: "", dagsterCreate: null, warnings: [], currentConfig: null, ...changes }) as FlowResult;

  it("fails type-change on a type or graph change only, breaking on every breaking kind and a renamed job", () => {
    const [typed] = typeChange();
    const [added] = addedField();
    const [stepped] = addedStep();
    const asFlow = (c: typeof typed) => flow({ changes: c!.changes, jobChange: c!.jobChange, jobChanges: c!.jobChanges ?? [] });
    expect(violatesPolicy(asFlow(typed), "type-change")).toBe(true);
    expect(violatesPolicy(asFlow(stepped), "type-change")).toBe(true);
    expect(violatesPolicy(asFlow(added), "type-change")).toBe(false);
    expect(violatesPolicy(asFlow(added), "breaking")).toBe(true);
    expect(violatesPolicy(flow({ changes: [], jobChange: { committed: "a", current: "b" }, jobChanges: [] }), "breaking")).toBe(true);
    expect(violatesPolicy(flow({ changes: [], jobChange: { committed: "a", current: "b" }, jobChanges: [] }), "type-change")).toBe(false);
  });
});

describe("the gate in the comment", () => {
  const report = (gate: ContractGate): CheckReport & { contractGate: ContractGate } => ({
    schemaVersion: 1,
    root: ".",
    failed: false,
    failOn: "type-change",
    compiler: "static",
    summary: { flows: 1, upToDate: 1, drift: 0, typeChanges: 0, breaking: 0, jobChanges: 0, unchecked: 0, missing: 0, orphaned: 0, errors: 0, warnings: 0 },
    flows: [],
    contractGate: gate,
  });
  const render = (gate: ContractGate) => {
    const shown = report(gate);
    return createRenderer().render("check.md.njk", { report: shown, view: checkView(shown), contract: null, notes: [] });
  };

  it("says which file's contract changed and how to accept it", () => {
    const body = render(judgeContract(typeChange(), "type-change", NO_LABELS)!);
    expect(body).toContain("### ❌ mfdag: this pull request changes the Dagster contract");
    expect(body).toContain("- <code>dagster/train_dagster.py</code> (TrainFlow): type-changed epochs");
    expect(body).toContain("adding the label <code>mfdag-contract-approved</code>");
  });

  it("says who accepted it with which label, escaping both", () => {
    const gate = judgeContract(typeChange(), "type-change", { approveLabel: "<img src=x>`ok`", labels: ["<img src=x>`ok`"], labeled: { label: "<img src=x>`ok`", by: "carol" }, author: "alice" })!;
    const body = render(gate);
    expect(body).toContain("### ✅ mfdag: all definitions are up to date");
    expect(body).toMatch(/✅ \*\*Contract change accepted\*\* by <code>carol<\/code> with the label <code>&lt;img src=x&gt;.*ok.*<\/code>/);
    expect(body).not.toContain("<img");
  });

  it("names the author as such when the author accepted", () => {
    const gate = judgeContract(typeChange(), "type-change", { ...NO_LABELS, labels: ["mfdag-contract-approved"], labeled: { label: "mfdag-contract-approved", by: "alice" } })!;
    expect(render(gate)).toContain("✅ **Contract change accepted** by <code>alice</code> (the pull request's author) with the label <code>mfdag-contract-approved</code>");
  });

  it("lists a job that could not be compared in the contract diff", () => {
    const [changed] = defaultChange();
    const contract = [{ ...changed!, unchecked: [{ part: "job", step: null, reason: "the base version could not be read as a job (<b>bug</b>)" }] }];
    const shown = report(judgeContract(contract, "breaking", NO_LABELS)!);
    const body = createRenderer().render("check.md.njk", { report: shown, view: checkView(shown), contract, notes: [] });
    expect(body).toContain("- **not compared**: the base version could not be read as a job (&lt;b&gt;bug&lt;/b&gt;)");
    expect(body).toContain("(TrainFlow): not compared: the base version could not be read as a job");
  });

  it("says why an unknown contract fails", () => {
    const body = render(judgeContract(null, "breaking", NO_LABELS, "mfdag could not read the pull request's files (HTTP 502)")!);
    expect(body).toContain("### ❌ mfdag: the pull request's Dagster contract could not be compared");
    expect(body).toContain("mfdag could not read the pull request's files (HTTP 502). mfdag cannot vouch");
  });
});
