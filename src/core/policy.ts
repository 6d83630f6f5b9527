/**
 * The verdicts: whether a check result violates the `fail-on` policy (README, "What fails a
 * check"), and whether a pull request's change of the committed contract passes the contract
 * gate (`fail-on-contract`, `approve-label`). Both classify changes the same way.
 */
import { GRAPH_CHANGE_KINDS, jobChangeLabel } from "./job-compare.js";
import type { ContractChange, ContractGate, FailOn, FailOnContract, FieldChange, FlowResult, JobChange, JobDiff } from "./types.js";

/** The changes of one Config class and its job, from a check (committed → current) or a pull request (base → head). */
interface Changes {
  changes: readonly FieldChange[];
  jobChange: JobChange | null;
  jobChanges: readonly JobDiff[];
}

/**
 * The changes `policy` fails on, each in a few words (`type-changed epochs`, `step-added train`).
 * `type-change`: a field's type or the graph (a stale graph breaks runs as surely as a stale type:
 * Dagster runs the old ops against the new code); `breaking`: every breaking kind (compare.ts,
 * job-compare.ts) and a renamed job.
 */
export function changesFailingOn({ changes, jobChange, jobChanges }: Changes, policy: "type-change" | "breaking"): string[] {
  const fields = changes.filter((change) => (policy === "type-change" ? change.kind === "type-changed" : change.severity === "breaking"));
  const jobs = jobChanges.filter((change) => (policy === "type-change" ? GRAPH_CHANGE_KINDS.has(change.kind) : change.severity === "breaking"));
  return [...(policy === "breaking" && jobChange ? ["job renamed"] : []), ...fields.map((change) => `${change.kind} ${change.parameter}`), ...jobs.map(jobChangeLabel)];
}

/** A flow that could not be compiled violates every policy but `never`: we cannot vouch for it. */
export function violatesPolicy(result: FlowResult, failOn: FailOn): boolean {
  if (failOn === "never") return false;
  if (result.status === "error") return true;
  if (failOn === "drift") return result.status === "drift";
  return changesFailingOn(result, failOn).length > 0;
}

/**
 * What of a pull request's contract change `failOnContract` fails on. A new definitions file adds
 * a job and changes nothing Dagster offers today, so it passes; a removed one takes a job away,
 * which is a graph change under either policy.
 */
export function contractChangesFailingOn(change: ContractChange, failOnContract: FailOnContract): string[] {
  if (failOnContract === "never" || change.status === "added") return [];
  // A head copy that is no longer a definitions file (Dagster may still load it) cannot be read by
  // mfdag: it fails as a removed one would, with the reason instead of "removed".
  if (change.status === "removed") return change.unchecked?.length ? change.unchecked.map((part) => part.reason) : ["definitions file removed"];
  // What could not be compared may hide a change of either kind: a reviewer must look.
  const unchecked = (change.unchecked ?? []).map((part) => `not compared: ${part.reason}`);
  return [...changesFailingOn({ changes: change.changes, jobChange: change.jobChange, jobChanges: change.jobChanges ?? [] }, failOnContract), ...unchecked];
}

/** What the pull request says about acceptance: its labels and, on a `labeled` event, who added which. */
export interface ContractApproval {
  /** `approve-label`; `null` when empty: no label accepts a change. */
  approveLabel: string | null;
  /** The pull request's labels, as GitHub has them now (never a payload's: a re-run replays an old one). */
  labels: readonly string[];
  /** Who added which label: the `labeled` event's, or what the pull request's events say. */
  labeled: { label: string; by: string } | null;
  /** The pull request's author, when the event says. */
  author: string | null;
}

/** GitHub keeps one label per name whatever its case, so the input's case need not match the repo's. */
const sameLabel = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The contract gate's verdict on a pull request: `null` under `never`. `contract` is `null` when
 * base and head could not be compared (`problem` says why): that is `unknown`, which fails, and no
 * label accepts it, since a reviewer cannot have accepted changes nobody could list.
 */
export function judgeContract(contract: readonly ContractChange[] | null, failOnContract: FailOnContract, approval: ContractApproval, problem: string | null = null): ContractGate | null {
  if (failOnContract === "never") return null;
  const base = { failOnContract, approveLabel: approval.approveLabel, acceptedBy: null, acceptedByAuthor: false, problem: null };
  if (contract === null) return { ...base, outcome: "unknown", files: [], problem: problem ?? "the pull request's base and head could not be compared" };
  const files = contract
    .map((change) => ({ definitionsFile: change.definitionsFile, flow: change.flow, changes: contractChangesFailingOn(change, failOnContract) }))
    .filter((file) => file.changes.length > 0);
  if (files.length === 0) return { ...base, outcome: "unchanged", files };
  const label = approval.approveLabel;
  if (label === null || !approval.labels.some((name) => sameLabel(name, label))) return { ...base, outcome: "violated", files };
  const acceptedBy = approval.labeled && sameLabel(approval.labeled.label, label) ? approval.labeled.by : null;
  // Logins are case-insensitive on GitHub too.
  const acceptedByAuthor = acceptedBy !== null && approval.author !== null && acceptedBy.toLowerCase() === approval.author.toLowerCase();
  return { ...base, outcome: "accepted", files, acceptedBy, acceptedByAuthor };
}

/** Whether the gate fails the run: a change nobody accepted, or one nobody could see. */
export function contractGateFails(gate: ContractGate | null | undefined): boolean {
  return gate?.outcome === "violated" || gate?.outcome === "unknown";
}
