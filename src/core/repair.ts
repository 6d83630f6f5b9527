/**
 * `fix: pull-request`: where an audit's repair goes (one branch per tracking id) and on which events
 * it may be made at all. Pure: the action (src/action/repair.ts) does the git and GitHub work.
 */

/** Events whose checkout is the repository's own code and whose token the workflow chose. */
const REPAIR_EVENTS = new Set(["schedule", "workflow_dispatch", "push"]);

/** The branch an audit's repair is pushed to: one per tracking id (`comment-id`), like a dependency bot's. */
export function repairBranch(trackingId: string): string {
  return `mfdag/regenerate-${trackingId}`;
}

/**
 * Why `comment-id` cannot name a branch, or `null`. The input allows letters, digits, `_`, `.` and
 * `-`; git refuses `..` anywhere and a name ending in `.` or `.lock` (git check-ref-format).
 */
export function repairBranchProblem(trackingId: string): string | null {
  if (!/\.\.|\.$|\.lock$/.test(trackingId)) return null;
  return `Input 'comment-id': with fix: pull-request it names the branch ${repairBranch(trackingId)}, which git does not allow ('..', or a name ending in '.' or '.lock'); choose another comment-id.`;
}

const WHERE = "fix: pull-request runs only on schedule, workflow_dispatch or a push to the default branch";

/**
 * Why a run of `event` must not push a repair, or `null`. A repair runs the flow files with the real
 * compiler and pushes with a token that can write, so it is made only where the event is the
 * repository's own: never on pull_request*, issue_comment, workflow_run (whose checkout may be a
 * fork's) or any other event.
 */
export function repairEventRefusal(event: string): string | null {
  if (REPAIR_EVENTS.has(event)) return null;
  return `${WHERE}, and this run is a ${event || "unknown"} event, whose checkout or token may be a pull request's. Nothing was regenerated or pushed; set fix: pull-request only in the scheduled audit's workflow.`;
}

/**
 * Why a run that checked out `ref` (`GITHUB_REF`) must not push a repair, or `null`: only the default
 * branch is repaired, since the pull request goes there and a repair of another branch's files would
 * carry that branch's changes into it.
 */
export function repairRefRefusal(ref: string, defaultBranch: string): string | null {
  if (ref === `refs/heads/${defaultBranch}`) return null;
  return `${WHERE} (${defaultBranch}), and this run checked out ${ref || "an unknown ref"}. Nothing was regenerated or pushed; run the audit on ${defaultBranch}.`;
}

/**
 * Whether an audit's summary lets the repair be closed and its branch deleted: no drift, no flow
 * in error and nothing left uncompared. Nothing to regenerate is not enough: a drifted flow that
 * stops compiling is an error, not a repair that is done.
 */
export function repairSettled(summary: { drift: number; errors: number; unchecked: number }): boolean {
  return summary.drift === 0 && summary.errors === 0 && summary.unchecked === 0;
}

/** The commits a repair may be built on: the checkout's HEAD, and what says it is the default branch. */
export interface RepairCheckout {
  /** The checkout's HEAD commit: the repair's commit is made on it. */
  head: string;
  /** `GITHUB_SHA`: on a run of the default branch (repairRefRefusal), a commit of that branch. */
  eventSha: string | null;
  /** The default branch's head on `origin` (`git ls-remote`), when it was asked (`null` otherwise, or when it has none). */
  remoteHead: string | null;
}

/**
 * Why a repair must not be built on the checkout, or `null`. `GITHUB_REF` names the branch the run
 * is for, not what actions/checkout checked out (`ref: release`): the repair's commit is made on the
 * checkout's HEAD, so a HEAD off the default branch would carry its commits into the pull request.
 * The rule: HEAD is the event's commit (`GITHUB_SHA`, of the default branch on the runs that get
 * here) or the default branch's head on the remote now.
 */
export function repairCheckoutRefusal(checkout: RepairCheckout, defaultBranch: string): string | null {
  if (checkout.head === checkout.eventSha || checkout.head === checkout.remoteHead) return null;
  return `fix: pull-request builds the repair on the checked-out commit, and ${checkout.head.slice(0, 12)} is neither this run's commit${checkout.eventSha ? ` (${checkout.eventSha.slice(0, 12)})` : ""} nor the head of ${defaultBranch} on origin${checkout.remoteHead ? ` (${checkout.remoteHead.slice(0, 12)})` : ""}, so the pull request into ${defaultBranch} would carry other commits. Nothing was regenerated or pushed; check out ${defaultBranch} (actions/checkout without ref:) in the audit's workflow.`;
}
