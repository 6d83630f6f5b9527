/**
 * The git work of `fix: pull-request`, with the `git` command line as a child process under a
 * deadline. The commit is made without touching the checkout: its files, index and branch stay as
 * they were (the blobs go into the object store, the tree is built in a temporary index). The
 * token reaches git only through the environment of the commands that talk to the remote, never
 * the repository's config and never an argument or the log.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { childEnvironment } from "./child-env.js";
import { lastLine } from "./dagster-create.js";

export interface GitSettings {
  /** The top of the work tree: the paths of a repair are relative to it. */
  cwd: string;
  /** The deadline of each git command. */
  timeoutMs: number;
}

/** A git command that failed; its message is git's last line, which never holds the token. */
export class GitError extends Error {}

async function git(settings: GitSettings, args: readonly string[], more: { env?: Record<string, string>; input?: string } = {}): Promise<string> {
  const child = await execa("git", args, {
    cwd: settings.cwd,
    // The runner's tokens stay out (childEnvironment); git must never wait for a password.
    env: { ...childEnvironment(), GIT_TERMINAL_PROMPT: "0", GCM_INTERACTIVE: "never", LC_ALL: "C", ...more.env },
    extendEnv: false,
    reject: false,
    timeout: settings.timeoutMs,
    forceKillAfterDelay: 2000,
    ...(more.input === undefined ? { stdin: "ignore" as const } : { input: more.input }),
  });
  if (child.timedOut) throw new GitError(`git ${args[0]} did not finish within ${Math.round(settings.timeoutMs / 1000)} s`);
  if (child.exitCode !== 0) throw new GitError(`git ${args[0]} failed: ${lastLine(child.stderr) || `exit code ${child.exitCode ?? child.signal}`}`);
  return child.stdout;
}

/** A file of the repair: its path from the top of the work tree, and its new text. */
export interface RepairFile {
  path: string;
  text: string;
}

export interface RepairCommitRequest {
  files: readonly RepairFile[];
  message: string;
}

/** The top of the work tree that `dir` is in. */
export async function workTreeTop(dir: string, timeoutMs: number): Promise<string> {
  return (await git({ cwd: dir, timeoutMs }, ["rev-parse", "--show-toplevel"])).trim();
}

/** The commit the work tree's HEAD points to. */
export async function headCommit(settings: GitSettings): Promise<string> {
  return (await git(settings, ["rev-parse", "--verify", "HEAD^{commit}"])).trim();
}

/** The identity of the repair's commits: git's own variables when the workflow sets them, else the Actions bot's. */
function identity(): Record<string, string> {
  const bot = { name: "github-actions[bot]", email: "41898282+github-actions[bot]@users.noreply.github.com" };
  const env = process.env;
  return {
    GIT_AUTHOR_NAME: env.GIT_AUTHOR_NAME || bot.name,
    GIT_AUTHOR_EMAIL: env.GIT_AUTHOR_EMAIL || bot.email,
    GIT_COMMITTER_NAME: env.GIT_COMMITTER_NAME || env.GIT_AUTHOR_NAME || bot.name,
    GIT_COMMITTER_EMAIL: env.GIT_COMMITTER_EMAIL || env.GIT_AUTHOR_EMAIL || bot.email,
  };
}

/** File names are names, not patterns (a committed file may be called `*` or `:(glob)x`). */
const LITERAL = { GIT_LITERAL_PATHSPECS: "1" };

/** Modes of a regular file in a tree: a repair replaces only those (never a link or a submodule). */
const REGULAR_FILE = /^100(644|755)$/;

/**
 * Makes one commit on top of HEAD holding `files`, without touching the work tree, the index or
 * any ref; its id, or `null` when the files are already HEAD's. The commit is dated like HEAD, so
 * the same repair of the same HEAD is the same commit, and a later audit that finds it already
 * pushed pushes nothing (no notification, no CI run).
 */
export async function commitRepair(settings: GitSettings, request: RepairCommitRequest): Promise<string | null> {
  const head = await headCommit(settings);
  const entries: string[] = [];
  for (const file of request.files) {
    const listed = (await git(settings, ["ls-tree", "-z", head, "--", file.path], { env: LITERAL })).split("\0").find((entry) => entry.endsWith(`\t${file.path}`));
    const mode = listed?.split(" ")[0] ?? "";
    if (!REGULAR_FILE.test(mode)) throw new GitError(`${file.path} is not a regular file in ${head.slice(0, 12)}; a repair replaces only committed regular files`);
    // --no-filters: the text is the file as committed; no clean filter of the repo's attributes runs.
    const blob = (await git(settings, ["hash-object", "-w", "--no-filters", "--stdin"], { input: file.text })).trim();
    entries.push(`${mode} ${blob}\t${file.path}\0`);
  }
  const temp = await mkdtemp(path.join(os.tmpdir(), "mfdag-repair-"));
  try {
    const index = { GIT_INDEX_FILE: path.join(temp, "index") };
    await git(settings, ["read-tree", head], { env: index });
    await git(settings, ["update-index", "-z", "--index-info"], { env: index, input: entries.join("") });
    const tree = (await git(settings, ["write-tree"], { env: index })).trim();
    if (tree === (await git(settings, ["rev-parse", `${head}^{tree}`])).trim()) return null;
    const date = `${(await git(settings, ["show", "-s", "--format=%ct", head])).trim()} +0000`;
    const env = { ...identity(), GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
    return (await git(settings, ["commit-tree", tree, "-p", head, "-F", "-"], { env, input: request.message })).trim();
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * The environment that gives git the token for the remote `url`, as the one Authorization header of
 * its requests. actions/checkout leaves its own header in .git/config (`persist-credentials`), and
 * two headers fail the push: a first entry for the same URL with an empty value empties git's list
 * of extra headers (`http.extraHeader`), then ours is added. Only the commands that talk to the
 * remote get it, through GIT_CONFIG_* (never the arguments, which other processes can read). Remotes
 * that are not HTTP (ssh, a path) get nothing: they have their own credentials.
 */
function remoteAuthEnv(url: string, token: string | null): Record<string, string> {
  if (!token || !/^https?:\/\//i.test(url)) return {};
  const key = `http.${url}.extraheader`;
  return {
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: "",
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basicCredentials(token)}`,
  };
}

/** What the Authorization header carries: the form GitHub takes an installation or personal token in. */
export function basicCredentials(token: string): string {
  return Buffer.from(`x-access-token:${token}`, "utf8").toString("base64");
}

export interface Remote {
  /** The remote's name (`origin`). */
  name: string;
  token: string | null;
}

async function remoteEnv(settings: GitSettings, remote: Remote): Promise<Record<string, string>> {
  const url = (await git(settings, ["remote", "get-url", remote.name])).trim();
  return remoteAuthEnv(url, remote.token);
}

/** The commit `branch` points to on the remote, or `null` when it has no such branch. */
export async function remoteBranchHead(settings: GitSettings, remote: Remote, branch: string): Promise<string | null> {
  const env = await remoteEnv(settings, remote);
  const listed = await git(settings, ["ls-remote", "--heads", remote.name, `refs/heads/${branch}`], { env });
  const line = listed.split("\n").find((entry) => entry.endsWith(`\trefs/heads/${branch}`));
  return line ? line.split("\t")[0]! : null;
}

/** Points `branch` on the remote at `commit`, whatever it pointed to (the repair is remade from the default branch every time). */
export async function forcePush(settings: GitSettings, remote: Remote, commit: string, branch: string): Promise<void> {
  // --no-verify: the checkout's pre-push hook is no part of a repair.
  await git(settings, ["push", "--force", "--no-verify", "--quiet", remote.name, `${commit}:refs/heads/${branch}`], { env: await remoteEnv(settings, remote) });
}

export async function deleteRemoteBranch(settings: GitSettings, remote: Remote, branch: string): Promise<void> {
  await git(settings, ["push", "--no-verify", "--quiet", remote.name, "--delete", `refs/heads/${branch}`], { env: await remoteEnv(settings, remote) });
}
